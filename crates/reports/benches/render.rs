//! Rendering time of the two documents, end to end (layout, font subsetting, PDF writing):
//! `cargo bench -p kintsugi-reports -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kintsugi_reports::{note, progress, samples};

fn render(c: &mut Criterion) {
    let note_doc = samples::note();
    let progress_doc = samples::progress();
    let charts = samples::charts();
    let timeline = samples::timeline();
    c.bench_function("note_pdf_2_pages", |b| {
        b.iter(|| note::render(black_box(&note_doc)))
    });
    c.bench_function("progress_pdf_timeline_2_charts", |b| {
        b.iter(|| progress::render(black_box(&progress_doc)))
    });
    c.bench_function("chart_svg", |b| b.iter(|| black_box(&charts[0]).to_svg()));
    c.bench_function("timeline_svg", |b| {
        b.iter(|| black_box(&timeline).to_svg("Stage timeline"))
    });
}

criterion_group!(benches, render);
criterion_main!(benches);

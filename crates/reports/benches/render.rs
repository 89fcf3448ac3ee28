//! Rendering time of the documents, end to end (layout, font subsetting, PDF writing): a
//! one-page note, a twenty-page note and the progress report with its timeline and two charts,
//! plus the SVG drawings the couple page shows. `scripts/bench-pdf` runs this and compares the
//! same content rendered from HTML by WeasyPrint; by hand:
//! `cargo bench -p kintsugi-reports --bench render -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kintsugi_reports::{note, progress, samples};

mod common;

fn render(c: &mut Criterion) {
    let one_page = common::one_page_note();
    let two_pages = samples::note();
    let twenty_pages = common::twenty_page_note();
    let report = common::report();
    let charts = samples::charts();
    let timeline = samples::timeline();
    c.bench_function("note_pdf_1_page", |b| {
        b.iter(|| note::render(black_box(&one_page)))
    });
    c.bench_function("note_pdf_2_pages", |b| {
        b.iter(|| note::render(black_box(&two_pages)))
    });
    c.bench_function("note_pdf_20_pages", |b| {
        b.iter(|| note::render(black_box(&twenty_pages)))
    });
    c.bench_function("progress_pdf_timeline_2_charts", |b| {
        b.iter(|| progress::render(black_box(&report)))
    });
    c.bench_function("chart_svg", |b| b.iter(|| black_box(&charts[0]).to_svg()));
    c.bench_function("timeline_svg", |b| {
        b.iter(|| black_box(&timeline).to_svg("Stage timeline"))
    });
}

criterion_group!(benches, render);
criterion_main!(benches);

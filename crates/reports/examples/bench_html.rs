//! The benchmark's documents for the comparison with WeasyPrint: writes each one's PDF (from
//! this crate) and its HTML twin into a directory, times this crate's rendering of each (median
//! of many runs, after a warm-up) and prints one line per document:
//! `name<TAB>median_ms<TAB>pages<TAB>html_file`. Used by `scripts/bench-pdf`:
//! `cargo run --release -p kintsugi-reports --example bench_html -- /tmp/kintsugi-bench`

use std::path::PathBuf;
use std::time::Instant;

use kintsugi_reports::{ReportError, note, progress};

#[path = "../benches/common/mod.rs"]
mod common;

/// One document's rendering, run many times.
type Renderer = Box<dyn Fn() -> Result<Vec<u8>, ReportError>>;

fn median_ms(
    runs: usize,
    mut render: impl FnMut() -> Result<Vec<u8>, ReportError>,
) -> Result<f64, ReportError> {
    for _ in 0..5 {
        render()?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(render()?);
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[runs / 2])
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/kintsugi-bench".into()),
    );
    std::fs::create_dir_all(&dir)?;
    let one = common::one_page_note();
    let twenty = common::twenty_page_note();
    let report = common::report();
    let docs: [(&str, String, Renderer, usize); 3] = [
        (
            "note_pdf_1_page",
            common::note_html(&one),
            Box::new(move || note::render(&one)),
            200,
        ),
        (
            "note_pdf_20_pages",
            common::note_html(&twenty),
            Box::new(move || note::render(&twenty)),
            30,
        ),
        (
            "progress_pdf_timeline_2_charts",
            common::report_html(&report),
            Box::new(move || progress::render(&report)),
            100,
        ),
    ];
    for (name, html, render, runs) in docs {
        let pdf = render()?;
        let pages = lopdf::Document::load_mem(&pdf)?.get_pages().len();
        std::fs::write(dir.join(format!("{name}.pdf")), &pdf)?;
        let html_path = dir.join(format!("{name}.html"));
        std::fs::write(&html_path, html)?;
        let ms = median_ms(runs, &render)?;
        println!("{name}\t{ms:.3}\t{pages}\t{}", html_path.display());
    }
    Ok(())
}

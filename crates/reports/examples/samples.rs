//! Render the sample note and progress report (A4 and US Letter) into a directory:
//! `cargo run -p kintsugi-reports --example samples -- /tmp/kintsugi-samples`

use std::path::PathBuf;

use kintsugi_reports::{PaperSize, note, progress, samples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "/tmp/kintsugi-samples".into()),
    );
    std::fs::create_dir_all(&dir)?;

    let signed = samples::note();
    let mut draft = signed.clone();
    draft.signature = None;
    draft.addenda.clear();
    let mut letter = samples::progress();
    letter.paper = PaperSize::Letter;

    let files = [
        ("note.pdf", note::render(&signed)?),
        ("note-draft.pdf", note::render(&draft)?),
        ("progress.pdf", progress::render(&samples::progress())?),
        ("progress-letter.pdf", progress::render(&letter)?),
    ];
    for (name, bytes) in files {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        println!("{}", path.display());
    }
    let charts = samples::charts();
    std::fs::write(dir.join("chart.svg"), charts[0].to_svg())?;
    std::fs::write(
        dir.join("timeline.svg"),
        samples::timeline().to_svg("Stage timeline"),
    )?;
    Ok(())
}

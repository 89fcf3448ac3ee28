//! Progress of a long command (backup, restore, key rotation, the demo generator), on standard
//! error so that standard output stays the command's result.
//!
//! On a terminal: an `indicatif` bar that redraws itself. Anywhere else (a log file, a pipe, a
//! systemd journal): plain lines, one at each tenth of the way and at least every
//! [`PLAIN_EVERY`] while it runs, so that a log shows the command is alive without filling up
//! with redraws.
//!
//! ```ignore
//! let progress = Progress::new("couples", 10_000);
//! for _ in 0..10_000 { /* … */ progress.inc(1); }
//! progress.finish();
//! ```
//!
//! A total of 0 means "unknown": a spinner on a terminal, lines every [`PLAIN_EVERY`] elsewhere.
//! [`Progress::spinner`] is for work that cannot be counted at all (an external tool running):
//! call [`Progress::tick`] now and then so that plain output says it still runs.
//! `Progress` is `Send + Sync`; share it between tasks behind an `Arc`.

use std::io::{IsTerminal as _, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Longest silence of the plain lines while a command runs.
pub const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// What is counted: shown as counts or as sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Items,
    Bytes,
    /// Nothing counted: only the time it has been running.
    Time,
}

pub struct Progress {
    inner: Inner,
}

enum Inner {
    Bar(ProgressBar),
    Plain(Mutex<Plain>),
}

struct Plain {
    out: Box<dyn Write + Send>,
    label: String,
    unit: Unit,
    total: u64,
    pos: u64,
    started: Instant,
    last_line: Instant,
    /// The last tenth of the way a line was printed for.
    last_tenth: u64,
    finished: bool,
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.inner {
            Inner::Bar(_) => "bar",
            Inner::Plain(_) => "plain",
        };
        f.debug_struct("Progress").field("kind", &kind).finish()
    }
}

impl Progress {
    /// Counting `total` things (0: unknown) under `label`.
    pub fn new(label: impl Into<String>, total: u64) -> Self {
        Self::start(label.into(), total, Unit::Items)
    }

    /// Counting `total` bytes (0: unknown) under `label`.
    pub fn bytes(label: impl Into<String>, total: u64) -> Self {
        Self::start(label.into(), total, Unit::Bytes)
    }

    /// Work that cannot be counted: a spinner, or a line every [`PLAIN_EVERY`] saying it runs.
    pub fn spinner(label: impl Into<String>) -> Self {
        Self::start(label.into(), 0, Unit::Time)
    }

    fn start(label: String, total: u64, unit: Unit) -> Self {
        if std::io::stderr().is_terminal() {
            Self {
                inner: Inner::Bar(bar(label, total, unit)),
            }
        } else {
            Self::plain(Box::new(std::io::stderr()), label, total, unit)
        }
    }

    /// Plain lines into `out`, whatever the terminal (tests read them).
    fn plain(out: Box<dyn Write + Send>, label: String, total: u64, unit: Unit) -> Self {
        let now = Instant::now();
        let mut plain = Plain {
            out,
            label,
            unit,
            total,
            pos: 0,
            started: now,
            last_line: now,
            last_tenth: 0,
            finished: false,
        };
        plain.line("started");
        Self {
            inner: Inner::Plain(Mutex::new(plain)),
        }
    }

    /// `n` more done.
    pub fn inc(&self, n: u64) {
        match &self.inner {
            Inner::Bar(b) => b.inc(n),
            Inner::Plain(p) => with(p, |p| {
                p.pos = p.pos.saturating_add(n);
                p.maybe_line();
            }),
        }
    }

    /// `pos` done in all (for work measured rather than counted, such as a file's size).
    pub fn set(&self, pos: u64) {
        match &self.inner {
            Inner::Bar(b) => b.set_position(pos),
            Inner::Plain(p) => with(p, |p| {
                p.pos = pos;
                p.maybe_line();
            }),
        }
    }

    /// Still running (plain output: a line if none came for [`PLAIN_EVERY`]).
    pub fn tick(&self) {
        match &self.inner {
            Inner::Bar(b) => b.tick(),
            Inner::Plain(p) => with(p, Plain::maybe_line),
        }
    }

    /// The total turned out different (0: unknown).
    pub fn set_total(&self, total: u64) {
        match &self.inner {
            Inner::Bar(b) => {
                if total == 0 {
                    b.unset_length();
                } else {
                    b.set_length(total);
                }
            }
            Inner::Plain(p) => with(p, |p| p.total = total),
        }
    }

    /// Done: the bar stays on screen at its end; the plain output gets its last line.
    pub fn finish(&self) {
        match &self.inner {
            Inner::Bar(b) => {
                if let Some(total) = b.length() {
                    b.set_position(total);
                }
                b.finish();
            }
            Inner::Plain(p) => with(p, |p| {
                if !p.finished {
                    p.finished = true;
                    if p.total > 0 {
                        p.pos = p.total;
                    }
                    let secs = p.started.elapsed().as_secs_f64();
                    p.line(&format!("done in {secs:.1} s"));
                }
            }),
        }
    }
}

fn with(p: &Mutex<Plain>, f: impl FnOnce(&mut Plain)) {
    // A panic elsewhere while printing leaves nothing half-changed worth refusing over.
    let mut guard = p.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard);
}

fn bar(label: String, total: u64, unit: Unit) -> ProgressBar {
    let template = match (total, unit) {
        (0, Unit::Items) => "{spinner} {prefix}: {pos} ({elapsed})",
        (0, Unit::Bytes) => "{spinner} {prefix}: {bytes} ({elapsed})",
        (_, Unit::Time) => "{spinner} {prefix} ({elapsed})",
        (_, Unit::Items) => "{prefix}: [{wide_bar}] {pos}/{len} ({percent}%, {eta} left)",
        (_, Unit::Bytes) => "{prefix}: [{wide_bar}] {bytes}/{total_bytes} ({percent}%, {eta} left)",
    };
    let bar = if total == 0 {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::new(total)
    };
    // The templates are fixed text; should one be refused, the default style still shows progress.
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(label);
    if total == 0 {
        bar.enable_steady_tick(Duration::from_millis(120));
    }
    bar
}

impl Plain {
    fn maybe_line(&mut self) {
        if self.finished {
            return;
        }
        let tenth = (self.pos.min(self.total) * 10).checked_div(self.total);
        match tenth {
            Some(t) if t > self.last_tenth && t < 10 => {
                self.last_tenth = t;
                self.line("");
            }
            _ if self.last_line.elapsed() >= PLAIN_EVERY => self.line(""),
            _ => {}
        }
    }

    fn amount(&self, n: u64) -> String {
        match self.unit {
            Unit::Items | Unit::Time => n.to_string(),
            Unit::Bytes => format!("{}", indicatif::HumanBytes(n)),
        }
    }

    /// `label: 300/1000 (30%)` or `label: 300` when the total is unknown, then `note`; for
    /// uncounted work the note alone, or how long it has been running.
    fn line(&mut self, note: &str) {
        if self.unit == Unit::Time {
            let note = if note.is_empty() {
                format!("running for {} s", self.started.elapsed().as_secs())
            } else {
                note.to_owned()
            };
            let _ = writeln!(self.out, "{}: {note}", self.label);
            let _ = self.out.flush();
            self.last_line = Instant::now();
            return;
        }
        let mut text = format!("{}: {}", self.label, self.amount(self.pos));
        if let Some(percent) = (self.pos.min(self.total) * 100).checked_div(self.total) {
            text.push_str(&format!("/{} ({percent}%)", self.amount(self.total)));
        }
        if !note.is_empty() {
            text.push_str(", ");
            text.push_str(note);
        }
        // Progress is a courtesy: a closed standard error must not stop the work.
        let _ = writeln!(self.out, "{text}");
        let _ = self.out.flush();
        self.last_line = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// A writer whose text the test can read afterwards.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        fn lines(&self) -> Vec<String> {
            String::from_utf8(self.0.lock().expect("lock").clone())
                .expect("utf-8")
                .lines()
                .map(str::to_owned)
                .collect()
        }
    }

    #[test]
    fn plain_lines_come_at_each_tenth_and_at_the_end() {
        let out = Captured::default();
        let p = Progress::plain(Box::new(out.clone()), "couples".into(), 1000, Unit::Items);
        for _ in 0..1000 {
            p.inc(1);
        }
        p.finish();
        p.finish();
        let lines = out.lines();
        assert_eq!(
            lines.first().map(String::as_str),
            Some("couples: 0/1000 (0%), started")
        );
        assert!(
            lines.contains(&"couples: 300/1000 (30%)".to_owned()),
            "{lines:?}"
        );
        // Start, nine tenths, the end: never one line per step, never a redraw.
        assert_eq!(lines.len(), 11, "{lines:?}");
        let last = lines.last().expect("a last line");
        assert!(
            last.starts_with("couples: 1000/1000 (100%), done in "),
            "{last}"
        );
        assert!(
            lines
                .iter()
                .all(|l| !l.contains('\r') && !l.contains('\x1b'))
        );
    }

    #[test]
    fn bytes_and_unknown_totals_read_plainly() {
        let out = Captured::default();
        let p = Progress::plain(Box::new(out.clone()), "backup".into(), 0, Unit::Bytes);
        p.set(3 * 1024 * 1024);
        p.finish();
        let lines = out.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[1].starts_with("backup: 3.00 MiB, done in "),
            "{lines:?}"
        );

        let out = Captured::default();
        let p = Progress::plain(Box::new(out.clone()), "restore".into(), 0, Unit::Time);
        p.tick();
        p.finish();
        let lines = out.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0], "restore: started");
        assert!(lines[1].starts_with("restore: done in "), "{lines:?}");
    }
}

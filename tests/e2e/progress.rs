//! Long commands show their progress (issue #8, point 6): without a terminal (a pipe, as under
//! systemd or cron) `kintsugi backup` and `kintsugi restore` print plain progress lines on
//! standard error, no redraws or escape codes, and the result stays alone on standard output.

use std::process::Stdio;

use reqwest::StatusCode;

use crate::db_tests;
use crate::support::cli::run;
use crate::support::{TestApp, couple_json, fresh_database};

db_tests!(backup_and_restore_print_plain_progress_lines_without_a_terminal);

/// The real binary with nothing on standard input; `run` gives it pipes for standard output
/// and standard error: no terminal.
fn kintsugi(dir: &std::path::Path, database_url: &str) -> tokio::process::Command {
    let mut cmd = crate::support::cli::kintsugi(dir, database_url);
    cmd.stdin(Stdio::null());
    cmd
}

/// The `label: …` lines of `stderr`: a first line, a last one saying it is done, nothing that
/// redraws.
fn assert_plain_progress(stderr: &str, label: &str) {
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "redraws or escape codes: {stderr:?}"
    );
    let prefix = format!("{label}: ");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with(&prefix)).collect();
    assert!(lines.len() >= 2, "progress lines of {label}: {stderr}");
    assert!(lines[0].ends_with("started"), "{stderr}");
    let last = lines[lines.len() - 1];
    assert!(
        last.contains("done in ") && last.ends_with(" s"),
        "{stderr}"
    );
}

async fn backup_and_restore_print_plain_progress_lines_without_a_terminal(app: TestApp) {
    let me = app
        .counselor(
            "Counselor Progress",
            "progress@practice.example",
            kintsugi_core::practice::Role::Counselor,
        )
        .await;
    let api = app.api(&app.api_token(me.id).await);
    for i in 0..5 {
        let r = api
            .post_json("/api/v1/couples", &couple_json(&format!("Progress {i}")))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("kintsugi.backup");
    let (code, stdout, stderr) = run(kintsugi(dir.path(), &app.database_url)
        .arg("backup")
        .arg(&file))
    .await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_plain_progress(&stderr, "backup");
    assert!(stdout.starts_with("Backup written to "), "{stdout}");
    assert!(
        !stdout.contains("backup: "),
        "progress belongs on standard error: {stdout}"
    );
    if app.backend == crate::support::Backend::Sqlite {
        // Counted in bytes, up to the whole database.
        let last = stderr
            .lines()
            .rfind(|l| l.starts_with("backup: "))
            .unwrap_or_default();
        assert!(last.contains("(100%)"), "{stderr}");
    }

    let (empty, _keep) = fresh_database(app.backend).await;
    let (code, stdout, stderr) = run(kintsugi(dir.path(), &empty).arg("restore").arg(&file)).await;
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_plain_progress(&stderr, "restore");
    assert!(stdout.starts_with("Restored "), "{stdout}");
}

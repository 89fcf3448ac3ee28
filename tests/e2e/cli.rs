//! The `kintsugi` binary itself: configuration errors, migrate, create-counselor, api-token,
//! demo, serve and a graceful stop on SIGTERM.

use std::path::Path;

use tokio::process::{Child, Command};

use crate::support::cli::{self, run, run_with_input, sqlite_in, terminate};

/// The binary on `k.db` in `dir`.
fn kintsugi(dir: &Path) -> Command {
    cli::kintsugi(dir, &sqlite_in(dir))
}

#[tokio::test]
async fn bad_configuration_is_one_clear_line() {
    let dir = tempfile::tempdir().expect("dir");
    for (var, value) in [
        ("KINTSUGI_BIND", "everywhere"),
        ("KINTSUGI_DATABASE_URL", "mysql://nope"),
        ("KINTSUGI_SMTP_URL", "mail.example.org"),
        ("KINTSUGI_SECURE_COOKIES", "perhaps"),
    ] {
        let (code, stdout, stderr) = run(kintsugi(dir.path()).env(var, value).arg("migrate")).await;
        assert_eq!(code, 2, "{var}: {stderr}");
        assert!(stdout.is_empty());
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{var}: {stderr}");
        assert!(lines[0].contains(var), "{var}: {stderr}");
    }
}

#[tokio::test]
async fn a_dotenv_file_is_read() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join(".env"),
        "KINTSUGI_SECURE_COOKIES=not-a-bool\n",
    )
    .expect("write .env");
    let mut cmd = kintsugi(dir.path());
    let (code, _, stderr) = run(cmd.arg("migrate")).await;
    assert_eq!(code, 2);
    assert!(stderr.contains("KINTSUGI_SECURE_COOKIES"), "{stderr}");
}

#[tokio::test]
async fn migrate_creates_the_sqlite_file_in_wal_mode() {
    let dir = tempfile::tempdir().expect("dir");
    let nested = dir.path().join("data");
    let (code, stdout, stderr) = run(kintsugi(dir.path())
        .env(
            "KINTSUGI_DATABASE_URL",
            format!("sqlite://{}/kintsugi.db?mode=rwc", nested.display()),
        )
        .arg("migrate"))
    .await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Migrations applied."));
    assert!(
        nested.join("kintsugi.db").exists(),
        "the data folder and file are created"
    );
    assert!(
        nested.join("kintsugi.db-wal").exists()
            || nested.join("kintsugi.db-shm").exists()
            || wal_mode(&nested.join("kintsugi.db"))
    );
    // Running it again is harmless.
    let (code, _, _) = run(kintsugi(dir.path())
        .env(
            "KINTSUGI_DATABASE_URL",
            format!("sqlite://{}/kintsugi.db?mode=rwc", nested.display()),
        )
        .arg("migrate"))
    .await;
    assert_eq!(code, 0);
}

/// SQLite records WAL mode in the file header (bytes 18 and 19 are 2).
fn wal_mode(file: &Path) -> bool {
    std::fs::read(file)
        .map(|b| b.len() > 19 && b[18] == 2 && b[19] == 2)
        .unwrap_or(false)
}

async fn create_counselor(dir: &Path, email: &str, admin: bool) -> (i32, String, String) {
    let mut cmd = kintsugi(dir);
    cmd.args([
        "create-counselor",
        "--email",
        email,
        "--name",
        "Zoë Ñúñez-Łukasiewicz",
        "--password-stdin",
    ]);
    if admin {
        cmd.arg("--admin");
    }
    run_with_input(&mut cmd, b"a calm and long passphrase\n").await
}

/// Start `kintsugi serve` and return it with the address it printed.
async fn serve(dir: &Path, args: &[&str]) -> (Child, String, Vec<String>) {
    cli::serve(kintsugi(dir).arg("serve").args(args)).await
}

#[tokio::test]
async fn create_counselor_then_api_token_then_serve() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, stdout, stderr) = create_counselor(dir.path(), "Zoe@Practice.example", true).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Zoë Ñúñez-Łukasiewicz") && stdout.contains("practice admin"),
        "{stdout}"
    );
    // The same email in another case is the same account.
    let (code, _, stderr) = create_counselor(dir.path(), "zoe@practice.EXAMPLE", false).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("already used"), "{stderr}");

    let (code, token, stderr) =
        run(kintsugi(dir.path()).args(["api-token", "--email", "zoe@practice.example"])).await;
    assert_eq!(code, 0, "{stderr}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("kgi_") && token.len() > 40, "{token}");
    let (code, _, stderr) =
        run(kintsugi(dir.path()).args(["api-token", "--email", "nobody@practice.example"])).await;
    assert_ne!(code, 0);
    assert!(stderr.contains("no active counselor"), "{stderr}");

    let (child, base, _) = serve(dir.path(), &[]).await;
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{base}/api/v1/couples"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(r.status(), 200);
    assert_eq!(terminate(child).await, 0, "a clean exit on SIGTERM");
}

#[tokio::test]
async fn a_short_or_missing_password_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = kintsugi(dir.path());
    cmd.args([
        "create-counselor",
        "--email",
        "a@practice.example",
        "--name",
        "A",
        "--password-stdin",
    ]);
    let (code, _, stderr) = run_with_input(&mut cmd, b"short\n").await;
    assert_ne!(code, 0);
    assert!(stderr.contains("at least 8"));
}

#[tokio::test]
async fn demo_loads_a_living_practice_once() {
    let dir = tempfile::tempdir().expect("dir");
    let (code, stdout, stderr) = run(kintsugi(dir.path()).arg("demo")).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Loaded the demo practice"), "{stdout}");
    assert!(stdout.contains(kintsugi_core::demo::DEMO_PASSWORD));
    let (code, stdout, _) = run(kintsugi(dir.path()).arg("demo")).await;
    assert_eq!(code, 0);
    assert!(stdout.contains("already loaded"), "{stdout}");
}

#[tokio::test]
async fn serve_with_demo_prints_how_to_sign_in_and_shows_the_caseload() {
    let dir = tempfile::tempdir().expect("dir");
    let (child, base, printed) = serve(dir.path(), &["--demo"]).await;
    let text = printed.join("\n");
    assert!(
        text.contains("sign in") && text.contains(kintsugi_core::demo::DEMO_ADMIN_EMAIL),
        "{text}"
    );
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let login = client
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("login")
        .text()
        .await
        .expect("html");
    let csrf = crate::support::http::csrf_from(&login).expect("csrf");
    let dashboard = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "daniel.simkova@demo.kintsugi.example"),
            ("password", kintsugi_core::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .expect("sign in")
        .text()
        .await
        .expect("dashboard");
    for expected in [
        "Your caseload",
        "Alex &#38; Sam",
        "Zoë &#38; Jonas",
        "Openness to healing",
        "Paused",
    ] {
        assert!(
            dashboard.contains(expected),
            "{expected} missing from the demo dashboard"
        );
    }
    assert_eq!(terminate(child).await, 0);
}

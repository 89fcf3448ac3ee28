//! The `kintsugi` binary itself: configuration errors, migrate, create-counselor, api-token,
//! demo, serve and a graceful stop on SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_kintsugi");

fn kintsugi(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "KINTSUGI_DATABASE_URL",
            format!("sqlite://{}/k.db?mode=rwc", dir.display()),
        )
        .env("KINTSUGI_BIND", "127.0.0.1:0")
        .env("KINTSUGI_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

async fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().await.expect("run kintsugi");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a calm and long passphrase\n")
        .await
        .expect("write");
    let out = child.wait_with_output().await.expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Start `kintsugi serve` and return it with the address it printed.
async fn serve(dir: &Path, args: &[&str]) -> (Child, String, Vec<String>) {
    let mut child = kintsugi(dir)
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut seen = Vec::new();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read") {
            seen.push(line.clone());
            if let Some(rest) = line.split("listening on ").nth(1) {
                return rest.split(')').next().expect("addr").to_owned();
            }
        }
        panic!("serve exited early: {seen:?}");
    })
    .await
    .expect("serve started in time");
    // Keep draining stdout so the server never blocks on a full pipe.
    let tail = tokio::spawn(async move {
        let mut rest = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            rest.push(line);
        }
        rest
    });
    drop(tail);
    (child, format!("http://{addr}"), seen)
}

async fn terminate(mut child: Child) -> i32 {
    let pid = child.id().expect("pid").to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("stopped in time")
        .expect("wait");
    status.code().unwrap_or(-1)
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
    let mut child = kintsugi(dir.path())
        .args([
            "create-counselor",
            "--email",
            "a@practice.example",
            "--name",
            "A",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"short\n")
        .await
        .expect("write");
    let out = child.wait_with_output().await.expect("wait");
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8"));
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

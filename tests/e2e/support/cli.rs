//! The real `kintsugi` binary, run as a command with nothing from this process's environment.

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The real binary, on `database_url`, in `dir`, with nothing from this process's environment.
pub fn kintsugi(dir: &Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kintsugi"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KINTSUGI_DATABASE_URL", database_url)
        .env("KINTSUGI_BIND", "127.0.0.1:0")
        .env("KINTSUGI_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

pub fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub async fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().await.expect("run kintsugi");
    let (stdout, stderr) = text(&out);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// A SQLite database `k.db` in `dir`, as a database URL.
pub fn sqlite_in(dir: &Path) -> String {
    format!("sqlite://{}/k.db?mode=rwc", dir.display())
}

/// [`run`] with `input` written to standard input.
pub async fn run_with_input(cmd: &mut Command, input: &[u8]) -> (i32, String, String) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kintsugi");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .await
        .expect("write");
    let out = child.wait_with_output().await.expect("wait");
    let (stdout, stderr) = text(&out);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// Start a `serve` command and wait until it prints its address: the process, its base URL and
/// the lines it printed until then. The rest of its output is read and dropped, so the server
/// never blocks on a full pipe.
pub async fn serve(cmd: &mut Command) -> (Child, String, Vec<String>) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn kintsugi");
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
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://{addr}"), seen)
}

/// Stop a process with SIGTERM, as a service manager does; its exit code.
pub async fn terminate(mut child: Child) -> i32 {
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

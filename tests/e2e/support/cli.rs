//! The real `kintsugi` binary, run as a command with nothing from this process's environment.

use std::path::Path;
use std::process::Output;

/// The real binary, on `database_url`, in `dir`, with nothing from this process's environment.
pub fn kintsugi(dir: &Path, database_url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_kintsugi"));
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

pub async fn run(cmd: &mut tokio::process::Command) -> (i32, String, String) {
    let out = cmd.output().await.expect("run kintsugi");
    let (stdout, stderr) = text(&out);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

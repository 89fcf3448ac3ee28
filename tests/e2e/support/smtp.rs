//! A real SMTP server on a free loopback port for the tests: Python's aiosmtpd (Debian
//! package python3-aiosmtpd, installed by scripts/test), storing each message in a Maildir.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::free_port;

pub struct SmtpServer {
    pub port: u16,
    pub maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let maildir = dir.path().join("mail");
        let child = Command::new("/usr/bin/python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("python3-aiosmtpd must be installed (scripts/test installs it)");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return SmtpServer {
                    port,
                    maildir,
                    child,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the SMTP server did not start on port {port}");
    }

    /// The URL for `KINTSUGI_SMTP_URL`: a server on this machine, without TLS.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// Every message received so far, parsed.
    pub fn mails(&self) -> Vec<Mail> {
        self.messages().iter().map(|raw| Mail::parse(raw)).collect()
    }

    /// Wait (up to `limit`) until at least `n` messages have arrived; returns how many did.
    /// For processes that send on their own schedule (a `kintsugi worker`), not for time
    /// logic: tests that decide when things are due use a fixed clock.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let count = self.count();
            if count >= n || tokio::time::Instant::now() >= deadline {
                return count;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The messages that arrived since the last call with the same `seen` set.
    pub fn new_mails(&self, seen: &mut std::collections::HashSet<String>) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut fresh: Vec<(String, std::path::PathBuf)> = entries
            .filter_map(|e| e.ok())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
            .filter(|(name, _)| !seen.contains(name))
            .collect();
        fresh.sort();
        fresh
            .into_iter()
            .filter_map(|(name, path)| {
                let raw = std::fs::read_to_string(path).ok()?;
                seen.insert(name);
                Some(Mail::parse(&raw))
            })
            .collect()
    }

    /// How many messages arrived (without reading them).
    pub fn count(&self) -> usize {
        std::fs::read_dir(self.maildir.join("new"))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Every message received so far, as raw text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect();
        out.sort();
        out
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// A received message, decoded: headers, both bodies and attachments as text.
#[derive(Debug, Clone)]
pub struct Mail {
    pub raw: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub content_type: String,
    pub text: String,
    pub html: String,
    /// (content type with subtype, file name, contents)
    pub attachments: Vec<(String, String, String)>,
    headers: Vec<(String, String)>,
}

impl Mail {
    pub fn parse(raw: &str) -> Mail {
        use mail_parser::{MessageParser, MimeHeaders};
        let m = MessageParser::default()
            .parse(raw.as_bytes())
            .expect("a parsable message");
        let ctype = |p: &dyn MimeHeaders| {
            p.content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or_default()))
                .unwrap_or_default()
        };
        Mail {
            raw: raw.to_owned(),
            to: m
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_owned(),
            subject: m.subject().unwrap_or_default().to_owned(),
            message_id: m.message_id().unwrap_or_default().to_owned(),
            content_type: ctype(&m),
            text: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
            html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
            attachments: m
                .attachments()
                .map(|a| {
                    (
                        ctype(a),
                        a.attachment_name().unwrap_or_default().to_owned(),
                        String::from_utf8_lossy(a.contents()).into_owned(),
                    )
                })
                .collect(),
            headers: m
                .headers_raw()
                .map(|(n, v)| {
                    (
                        n.to_owned(),
                        v.split_whitespace().collect::<Vec<_>>().join(" "),
                    )
                })
                .collect(),
        }
    }

    /// A header's raw value, trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Everything a reader could see: subject, both bodies and attachments.
    pub fn all_text(&self) -> String {
        let mut out = format!("{}\n{}\n{}", self.subject, self.text, self.html);
        for (_, _, body) in &self.attachments {
            out.push('\n');
            out.push_str(body);
        }
        out
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '"')
            .unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

//! The test harness: a real Kintsugi server on a free loopback port, against a fresh, migrated
//! database per test (a SQLite file in a temporary folder, or a new PostgreSQL database), and
//! clients that talk to it over HTTP like a browser or an integration would.

pub mod actors;
pub mod bodies;
pub mod browser;
pub mod cli;
pub mod fixture;
pub mod hostile;
pub mod http;
pub mod logs;
pub mod mail;
pub mod queries;
pub mod records;
pub mod sessions;
pub mod smtp;
pub mod snapshot;

use std::sync::Arc;

use kintsugi_core::SystemClock;
use kintsugi_core::clock::SharedClock;
use kintsugi_core::domain::{DisplayName, EmailAddress, Password, TimeZone};
use kintsugi_core::practice::{Role, counselors};
use kintsugi_migrations::{Migrator, MigratorTrait};
use kintsugi_web::{AppState, Config, Server};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use http::Browser;

/// Generate one test per database for each named `async fn(TestApp)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::TestApp::spawn($crate::support::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::support::TestApp::spawn_postgres().await {
                    Some(app) => super::$name(app).await,
                    None => eprintln!("skipped: KINTSUGI_TEST_POSTGRES_URL is not set"),
                }
            }
        }
    )*};
}

pub const PASSWORD: &str = "a calm and long passphrase";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub db: DatabaseConnection,
    pub database_url: String,
    pub backend: Backend,
    pub clock: SharedClock,
    views: kintsugi_core::audit::ViewLog,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// `None` when no PostgreSQL is configured for tests. When one is configured but cannot be
    /// reached, the test fails: a run that silently skips PostgreSQL would be a lie.
    pub async fn spawn_postgres() -> Option<Self> {
        std::env::var("KINTSUGI_TEST_POSTGRES_URL")
            .ok()
            .filter(|v| !v.is_empty())?;
        Some(Self::spawn(Backend::Postgres).await)
    }

    /// Start with a configuration adjusted by `tweak` (for example a stricter throttle).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Self {
        let (url, dir) = fresh_database(backend).await;
        Self::start(backend, url, dir, tweak).await
    }

    /// Start on a clock the test moves (session timeouts, due dates): no sleeps.
    pub async fn spawn_at(backend: Backend, clock: SharedClock) -> Self {
        let (url, dir) = fresh_database(backend).await;
        Self::start_with_clock(backend, url, dir, |_| {}, clock).await
    }

    async fn start(
        backend: Backend,
        url: String,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
        Self::start_with_clock(backend, url, dir, tweak, Arc::new(SystemClock)).await
    }

    /// Start on `clock` with every statement of the app's connection recorded in `log`.
    pub async fn spawn_logged(
        backend: Backend,
        clock: SharedClock,
        log: &queries::QueryLog,
    ) -> Self {
        let (url, dir) = fresh_database(backend).await;
        Self::start_logged(backend, url, dir, |_| {}, clock, Some(log)).await
    }

    async fn start_with_clock(
        backend: Backend,
        url: String,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
        clock: SharedClock,
    ) -> Self {
        Self::start_logged(backend, url, dir, tweak, clock, None).await
    }

    async fn start_logged(
        backend: Backend,
        url: String,
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut Config),
        clock: SharedClock,
        log: Option<&queries::QueryLog>,
    ) -> Self {
        // Clinical text is sealed with the process's data key, installed once as `serve` does;
        // the key file beside a SQLite database lets the real binary open the same data.
        kintsugi_core::crypto::install(kintsugi_core::crypto::Keyring::new(data_key().clone()))
            .expect("one data key per test process");
        if backend == Backend::Sqlite {
            let file = Config::for_database(&url).data_key_file;
            if !file.exists() {
                kintsugi_web::cli::keys::create_key_file(&file, data_key()).expect("key file");
            }
        }
        let mut db = kintsugi_core::db::connect(&url).await.expect("connect");
        if let Some(log) = log {
            log.install(&mut db);
        }
        Migrator::up(&db, None).await.expect("migrate");
        kintsugi_core::homework::library::install_builtins(&db)
            .await
            .expect("built-in exercises");

        let mut config = Config::for_database(&url);
        // A free port chosen up front, so that links built from the base URL really lead here.
        let port = free_port();
        config.bind = format!("127.0.0.1:{port}").parse().expect("addr");
        config.base_url = format!("http://127.0.0.1:{port}");
        tweak(&mut config);

        Self::serve(backend, url, dir, db, config, clock).await
    }

    async fn serve(
        backend: Backend,
        url: String,
        dir: tempfile::TempDir,
        db: DatabaseConnection,
        config: Config,
        clock: SharedClock,
    ) -> Self {
        let state = AppState::new(db.clone(), clock.clone(), config.clone());
        let views = state.views.clone();
        let server = Server::bind(config.bind, state).await.expect("bind");
        let addr = server.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        TestApp {
            base: format!("http://{addr}"),
            db,
            database_url: url,
            backend,
            clock,
            views,
            shutdown: Some(tx),
            server: Some(handle),
            _dir: dir,
        }
    }

    /// Stop the server, letting requests in flight finish.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(handle) = self.server.take() {
            handle.await.expect("server task").expect("server result");
        }
    }

    async fn into_parts(mut self) -> (Backend, tempfile::TempDir) {
        self.stop().await;
        let dir = std::mem::replace(&mut self._dir, tempfile::tempdir().expect("temp dir"));
        (self.backend, dir)
    }

    /// Stop this server and start a new one on the same database (a restart, as after a
    /// deployment). The new server listens on a new port.
    pub async fn restart(self) -> Self {
        let url = self.database_url.clone();
        let (backend, dir) = self.into_parts().await;
        Self::start(backend, url, dir, |_| {}).await
    }

    /// Another instance of the application on this one's database, with its own connection
    /// pool, throttles and caches, as a second `kintsugi serve` behind a load balancer. Stop it
    /// (or drop it) before this one.
    pub async fn another_instance(&self, tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = kintsugi_core::db::connect(&self.database_url)
            .await
            .expect("connect");
        let mut config = Config::for_database(&self.database_url);
        let port = free_port();
        config.bind = format!("127.0.0.1:{port}").parse().expect("addr");
        config.base_url = format!("http://127.0.0.1:{port}");
        tweak(&mut config);
        let (url, clock) = (self.database_url.clone(), self.clock.clone());
        Self::serve(self.backend, url, dir, db, config, clock).await
    }

    /// Wait until the views this server has queued for the audit trail are written (they are
    /// batched; see `kintsugi_core::audit::views`).
    pub async fn flush_audit(&self) {
        self.views.flush().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A new counselor account (password [`PASSWORD`]).
    pub async fn counselor(&self, name: &str, email: &str, role: Role) -> counselors::Counselor {
        counselors::create(
            &self.db,
            self.clock.as_ref(),
            &kintsugi_core::audit::Actor::system(),
            counselors::NewCounselor {
                name: DisplayName::parse(name).expect("name"),
                email: EmailAddress::parse(email).expect("email"),
                password: Password::parse(PASSWORD).expect("password"),
                role,
                timezone: TimeZone::parse("Europe/Berlin").expect("tz"),
            },
        )
        .await
        .expect("create counselor")
    }

    /// A browser with a signed-in session for a new counselor.
    pub async fn signed_in_counselor(
        &self,
        name: &str,
        email: &str,
    ) -> (counselors::Counselor, Browser) {
        let c = self.counselor(name, email, Role::Counselor).await;
        let b = Browser::new(self);
        b.sign_in(email, PASSWORD).await;
        (c, b)
    }

    pub async fn api_token(&self, counselor_id: uuid::Uuid) -> String {
        kintsugi_core::access::api_tokens::create(
            &self.db,
            self.clock.as_ref(),
            &kintsugi_core::audit::Actor::system(),
            counselor_id,
            "test",
        )
        .await
        .expect("token")
    }

    pub fn api(&self, token: &str) -> http::Api {
        http::Api::new(self, token)
    }
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// The data key of every server this test process starts in-process.
pub fn data_key() -> &'static kintsugi_core::crypto::DataKey {
    static KEY: std::sync::OnceLock<kintsugi_core::crypto::DataKey> = std::sync::OnceLock::new();
    KEY.get_or_init(kintsugi_core::crypto::DataKey::generate)
}

/// A new, empty database: a SQLite file in a temporary folder, or a new PostgreSQL database
/// named `kt_<random>` on the server of `KINTSUGI_TEST_POSTGRES_URL`.
pub async fn fresh_database(backend: Backend) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    match backend {
        Backend::Sqlite => (
            format!("sqlite://{}/kintsugi.db?mode=rwc", dir.path().display()),
            dir,
        ),
        Backend::Postgres => {
            let admin_url = std::env::var("KINTSUGI_TEST_POSTGRES_URL")
                .expect("KINTSUGI_TEST_POSTGRES_URL must be set");
            let name = format!("kt_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(admin_url.as_str())
                .await
                .unwrap_or_else(|e| {
                    panic!("cannot reach PostgreSQL at KINTSUGI_TEST_POSTGRES_URL: {e}")
                });
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (server, _) = admin_url
                .rsplit_once('/')
                .expect("KINTSUGI_TEST_POSTGRES_URL must name a database, e.g. postgres://postgres@127.0.0.1:5432/postgres");
            (format!("{server}/{name}"), dir)
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The partners of [`couple_form`] and [`couple_json`]: names in several scripts.
pub const ZOE: &str = "Zoë Ñúñez-Łukasiewicz";
pub const RENEE: &str = "Renée O’Brien";

/// A couple as the page form sends it.
pub fn couple_form(label: &str) -> Vec<(&'static str, String)> {
    vec![
        ("label", label.to_owned()),
        ("intake_date", "2026-03-02".to_owned()),
        ("disclosure_date", String::new()),
        ("involved.name", ZOE.to_owned()),
        ("involved.email", "zoe@mail.example".to_owned()),
        ("involved.timezone", "Europe/Warsaw".to_owned()),
        ("hurt.name", RENEE.to_owned()),
        ("hurt.email", "renee@mail.example".to_owned()),
        ("hurt.timezone", "America/New_York".to_owned()),
    ]
}

/// A couple as the API takes it.
pub fn couple_json(label: &str) -> serde_json::Value {
    couple_json_with(
        label,
        (ZOE, "zoe@mail.example", "Europe/Warsaw"),
        (RENEE, "renee@mail.example", "America/New_York"),
    )
}

/// A couple as the API takes it, with each partner's `(name, email, time zone)`: involved, then
/// hurt.
pub fn couple_json_with(
    label: &str,
    involved: (&str, &str, &str),
    hurt: (&str, &str, &str),
) -> serde_json::Value {
    serde_json::json!({
        "label": label,
        "open_agreement": false,
        "intake_date": "2026-03-02",
        "partners": [
            {"role": "involved", "name": involved.0, "email": involved.1, "timezone": involved.2},
            {"role": "hurt", "name": hurt.0, "email": hurt.1, "timezone": hurt.2}
        ]
    })
}

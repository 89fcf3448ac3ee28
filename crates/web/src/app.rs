//! Assembling the application: router, middleware, and a server that shuts down gracefully.
//! What handlers share is [`AppState`], in `state.rs`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, AppError};
use crate::routes;
pub use crate::state::AppState;

/// Largest request body accepted anywhere.
pub const BODY_LIMIT: usize = 256 * 1024;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let secure = state.config.secure_cookies;
    let routes = routes::router(state.clone()).layer(axum::middleware::from_fn_with_state(
        state,
        crate::auth::refusals::audit_refusals,
    ));
    with_middleware(routes, secure)
}

/// The middleware every response passes through (request ids, logging, panics, the
/// cross-site check, security headers) around `routes`. The application uses it around
/// [`routes::router`]; tests may add a route of their own (a handler that panics) and get
/// exactly the stack the application serves.
pub fn with_middleware(routes: Router, secure: bool) -> Router {
    // Recording starts before the first request is answered.
    crate::monitoring::handle();
    let mut app = routes
        .layer(axum::middleware::from_fn(crate::auth::origin::refuse_cross_site))
        // The limit is enforced where bodies are read (forms and JSON), so that an oversize
        // body gets the same page or problem detail as any other refusal.
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CatchPanicLayer::custom(panic_response))
        // A panic under /api/ answers a problem detail like every other API error.
        .layer(axum::middleware::from_fn(api_panic_as_problem))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(crate::logging::request_span).on_response(crate::logging::on_response))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        // Clinical pages must not linger in shared caches or the browser's history cache.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        ))
        // Outermost, so that the time covers the whole stack. Layers run inside routing: the
        // route's template is known here.
        .layer(axum::middleware::from_fn(crate::monitoring::track));
    if secure {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    app
}

/// Marks the answer to a handler that panicked.
#[derive(Debug, Clone, Copy)]
struct Panicked;

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let mut response = crate::routes::fallback::panic_response(panic);
    response.extensions_mut().insert(Panicked);
    response
}

/// The panic answer is an HTML page; an API client gets the same opaque 500 as a problem.
async fn api_panic_as_problem(req: axum::extract::Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    if api && response.extensions().get::<Panicked>().is_some() {
        return ApiError(AppError::Internal("panic".into())).into_response();
    }
    response
}

/// A bound, not yet running server. Binding first lets callers (and tests) learn the port.
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    pub async fn bind(addr: SocketAddr, state: AppState) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self { listener, state })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until `shutdown` resolves; requests in flight then finish before this returns.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let views = self.state.views.clone();
        let app = router(self.state.clone());
        let sweeper = tokio::spawn(sweep_sessions(self.state));
        let upkeep = tokio::spawn(crate::monitoring::upkeep());
        let result = axum::serve(
            self.listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        sweeper.abort();
        upkeep.abort();
        // The requests are done: their view events reach the trail before the process ends.
        views.flush().await;
        result
    }
}

/// Expired browser sessions and spent throttle buckets are deleted every ten minutes.
async fn sweep_sessions(state: AppState) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        if let Err(e) = kintsugi_core::access::sign_ins::sweep(&state.db, state.clock()).await {
            tracing::warn!(error = %e, "session sweep failed");
        }
        state.throttle.sweep().await;
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

pub fn request_id<B>(req: &Request<B>) -> &str {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
}

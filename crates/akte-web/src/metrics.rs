//! `/metrics` (Prometheus text format), `/healthz` (the process answers) and
//! `/readyz` (the store answers), and the counting of web requests.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Web;

/// Counts each request under its route's pattern (never the concrete path:
/// share links carry their token in it).
pub async fn track(State(web): State<Arc<Web>>, req: Request, next: Next) -> Response {
    // Only the methods browsers use, and only the routes there are: no new
    // series for made-up requests.
    let verb = match req.method().as_str() {
        m @ ("GET" | "POST" | "HEAD") => m,
        _ => "OTHER",
    };
    let method = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| format!("{verb} {}", p.as_str()))
        .unwrap_or_else(|| format!("{verb} (no route)"));
    let started = Instant::now();
    let res = next.run(req).await;
    web.store
        .metrics()
        .request("web", &method, res.status().as_str(), started.elapsed());
    res
}

/// The figures, to the machine itself (a scraper on it or a proxy) unless
/// `[web] metrics_public` opens them to every address.
pub async fn export(State(web): State<Arc<Web>>, req: Request) -> Response {
    let peer = crate::session::peer_of(req.extensions());
    if !web.settings.metrics_public && !peer.ip().is_loopback() {
        return (
            StatusCode::FORBIDDEN,
            "metrics are served to this machine only\n",
        )
            .into_response();
    }
    let figures = match web.store.figures().await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(error = %e, "reading figures for /metrics failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "figures unavailable\n").into_response();
        }
    };
    match web.store.metrics().encode(&figures) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready when the catalog answers a read.
pub async fn readyz(State(web): State<Arc<Web>>) -> Response {
    match web.store.figures().await {
        Ok(_) => "ready\n".into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}\n")).into_response(),
    }
}

//! The web interface of akte: the caseworker's pages (search, case, document,
//! site inbox, access log), the employer's share links and the citizen's
//! status pages, and the operations endpoints (`/metrics`, `/healthz`,
//! `/readyz`).
//!
//! Pages are rendered on the server (askama templates, checked when
//! compiled); one small script of our own adds uploads with a progress bar.
//! Every page acts through [`akte_core::Store`] as the logged-in principal,
//! so the same access rules and access log apply as over gRPC.

mod error;
mod files;
mod links;
mod listen;
mod login;
mod metrics;
mod oidc;
mod pages;
mod session;
mod templates;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use akte_core::auth::Authenticator;
use akte_core::web_config::WebSettings;
use akte_core::Store;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;

/// What the web interface works with.
pub struct Web {
    store: Store,
    auth: Arc<Authenticator>,
    settings: WebSettings,
    /// Where people reach the interface, without a trailing slash.
    public_url: String,
    sessions: session::Sessions,
    links: links::LinkLimiter,
    /// Rendered page previews, by content hash.
    previews: PathBuf,
    /// Login at the identity provider, if configured.
    oidc: Option<oidc::Oidc>,
    /// Page previews being rendered.
    renders: tokio::sync::Semaphore,
}

/// Page previews rendered at once.
const MAX_RENDERS: usize = 2;

impl Web {
    /// The interface for `store`; `bound` is the address the listener got
    /// (for the public URL when none is configured).
    pub fn new(
        store: Store,
        auth: Arc<Authenticator>,
        settings: WebSettings,
        bound: SocketAddr,
        tls: bool,
    ) -> Result<Arc<Self>, String> {
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| format!("{}://{bound}", if tls { "https" } else { "http" }));
        let oidc = oidc::Oidc::new(
            auth.issuer(),
            settings.oidc_client_id.as_deref(),
            settings.oidc_client_secret.as_deref(),
            &public_url,
        )?;
        let previews = store.data_dir().join("cache").join("previews");
        // Copies of content left by renderings a crash interrupted.
        let _ = std::fs::remove_dir_all(previews.join("work"));
        Ok(Arc::new(Self {
            renders: tokio::sync::Semaphore::new(MAX_RENDERS),
            oidc,
            sessions: session::Sessions::new(settings.session_idle, settings.session_max),
            links: links::LinkLimiter::new(settings.link_requests_per_minute),
            store,
            auth,
            settings,
            public_url,
            previews,
        }))
    }

    fn oidc_enabled(&self) -> bool {
        self.oidc.is_some()
    }

    /// Where people reach the interface.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// A link that logs in as `principal` once, within ten minutes: what
    /// `akte serve` prints for the machine's administrator.
    pub fn one_time_login(&self, principal: akte_core::access::Principal) -> String {
        let code = self.sessions.login_code(principal);
        format!("{}/login/code/{code}", self.public_url)
    }

    fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/", get(pages::home))
            .route("/login", get(login::form).post(login::with_token))
            .route(
                "/login/code/{code}",
                get(login::code_page).post(login::with_code),
            )
            .route("/login/oidc", get(login::oidc_start))
            .route("/login/callback", get(login::oidc_callback))
            .route("/logout", post(login::logout))
            .route("/search", get(pages::search))
            .route("/cases/{number}", get(pages::case))
            .route("/cases/{number}/reason", post(pages::give_reason))
            .route(
                "/cases/{number}/documents",
                post(files::upload).layer(DefaultBodyLimit::disable()),
            )
            .route("/cases/{number}/shares", post(links::create_share))
            .route("/shares/{id}/revoke", post(links::revoke_share))
            .route("/shares/card.pdf", post(links::card_pdf))
            .route("/documents/{id}", get(files::document))
            .route("/documents/{id}/content", get(files::content))
            .route("/documents/{id}/download", get(files::download))
            .route("/documents/{id}/pages/{page}", get(files::page_preview))
            .route("/documents/{id}/move", post(files::move_document))
            .route("/documents/{id}/reason", post(files::give_reason))
            .route("/inbox", get(pages::inbox))
            .route("/inbox/{id}/assign", post(pages::assign))
            .route("/audit", get(pages::audit))
            .route("/s/{token}", get(links::shared))
            .route("/s/{token}/{document}", get(links::shared_download))
            .route("/status/{token}", get(links::status))
            .route("/static/akte.css", get(templates::css))
            .route("/static/akte.js", get(templates::js))
            .route("/metrics", get(metrics::export))
            .route("/healthz", get(metrics::healthz))
            .route("/readyz", get(metrics::readyz))
            .fallback(|| async { error::WebError::NotFound })
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(self),
                metrics::track,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(self),
                templates::security_headers,
            ))
            .with_state(Arc::clone(self))
    }
}

/// Serves the interface on `listener` until `shutdown` completes; over TLS
/// with the gRPC port's settings when `tls` is given.
pub async fn serve(
    web: Arc<Web>,
    listener: TcpListener,
    tls: Option<akte_core::TlsSettings>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let sweeper = {
        let web = Arc::clone(&web);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                web.sessions.sweep();
                web.links.sweep();
            }
        })
    };
    let app = web
        .router()
        .into_make_service_with_connect_info::<listen::Peer>();
    tracing::info!(url = %web.public_url, "web interface serving");
    let result = match tls {
        Some(settings) => {
            let tls = akte_server::tls::Tls::with_protocols(
                &settings,
                vec![b"h2".to_vec(), b"http/1.1".to_vec()],
            )?;
            let listener = listen::TlsListener::new(&tls, listener)?;
            let r = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
            tls.reload.abort();
            r
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    sweeper.abort();
    Ok(result?)
}

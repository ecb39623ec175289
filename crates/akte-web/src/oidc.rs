//! Login at the deployment's OpenID Connect provider (`[auth] issuer`):
//! the authorization-code flow with PKCE (S256), state and nonce, with the
//! openidconnect crate. The ID token is verified (signature by the
//! provider's published keys, issuer, audience = our client id, expiry,
//! nonce); its claims become a principal through the same claim mapping
//! as the provider's bearer tokens (`[auth.claims]`, `[auth.roles]`).

use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

use crate::error::WebError;
use crate::login::Callback;
use crate::session;
use crate::Web;

/// The cookie that ties a login in flight to the browser that began it.
const STATE_COOKIE: &str = "akte_oidc";
/// How long the provider's discovery document is used before it is fetched again.
const METADATA_TTL: Duration = Duration::from_secs(300);

pub struct Oidc {
    issuer: IssuerUrl,
    client_id: ClientId,
    secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    http: Http,
    metadata: tokio::sync::Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

/// An HTTP error of the provider's endpoints.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// The provider's endpoints over reqwest (no redirects followed).
struct Http(reqwest::Client);

impl<'c> openidconnect::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<openidconnect::HttpResponse, HttpError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, req: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let res = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(|e| HttpError(e.to_string()))?;
            let status = res.status();
            let headers = res.headers().clone();
            let body = res.bytes().await.map_err(|e| HttpError(e.to_string()))?;
            let mut out = http::Response::new(body.to_vec());
            *out.status_mut() = status;
            *out.headers_mut() = headers;
            Ok(out)
        })
    }
}

impl Oidc {
    /// `None` unless both `[auth] issuer` and `[web] oidc_client_id` are set.
    pub fn new(
        issuer: &str,
        client_id: Option<&str>,
        secret: Option<&str>,
        public_url: &str,
    ) -> Result<Option<Self>, String> {
        let (issuer, Some(client_id)) = (issuer.trim(), client_id) else {
            return Ok(None);
        };
        if issuer.is_empty() {
            return Ok(None);
        }
        let http = reqwest::Client::builder()
            // The token endpoint must not send the code elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Some(Self {
            issuer: IssuerUrl::new(issuer.to_owned()).map_err(|e| format!("auth.issuer: {e}"))?,
            client_id: ClientId::new(client_id.to_owned()),
            secret: secret.map(|s| ClientSecret::new(s.to_owned())),
            redirect: RedirectUrl::new(format!("{public_url}/login/callback"))
                .map_err(|e| format!("web.public_url: {e}"))?,
            http: Http(http),
            metadata: tokio::sync::Mutex::new(None),
        }))
    }

    async fn client(
        &self,
    ) -> Result<
        openidconnect::core::CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        WebError,
    > {
        let mut cached = self.metadata.lock().await;
        let fresh = matches!(&*cached, Some((_, at)) if at.elapsed() < METADATA_TTL);
        if !fresh {
            let meta = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "the identity provider's discovery failed");
                    WebError::Internal(format!("the identity provider cannot be reached: {e}"))
                })?;
            *cached = Some((meta, Instant::now()));
        }
        let meta = cached
            .as_ref()
            .map(|(m, _)| m.clone())
            .ok_or_else(|| WebError::internal("no provider metadata"))?;
        Ok(
            CoreClient::from_provider_metadata(meta, self.client_id.clone(), self.secret.clone())
                .set_redirect_uri(self.redirect.clone()),
        )
    }
}

/// Sends the browser to the provider.
pub async fn start(web: &Web) -> Result<Response, WebError> {
    let oidc = web.oidc.as_ref().ok_or(WebError::NotFound)?;
    let client = oidc.client().await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    if !web.sessions.begin_oidc(
        state.secret().clone(),
        verifier.secret().clone(),
        nonce.secret().clone(),
    ) {
        return Err(WebError::TooMany);
    }
    // Lax: the cookie must come back with the provider's redirect.
    let cookie = session::cookie_lax(STATE_COOKIE, state.secret(), Duration::from_secs(600));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response())
}

/// The provider's answer: the principal, or `Forbidden` with a message for
/// the login page.
pub async fn finish(
    web: &Web,
    headers: &HeaderMap,
    cb: Callback,
) -> Result<akte_core::access::Principal, WebError> {
    let oidc = web.oidc.as_ref().ok_or(WebError::NotFound)?;
    let refused = |m: &str| WebError::Forbidden(m.to_owned());
    if !cb.error.is_empty() {
        return Err(WebError::Forbidden(format!(
            "Der Anmeldedienst hat die Anmeldung abgelehnt ({}).",
            cb.error
        )));
    }
    let bound = session::read_cookie(headers, STATE_COOKIE).unwrap_or_default();
    if cb.state.is_empty() || !session::same(&bound, &cb.state) {
        return Err(refused(
            "Die Anmeldung wurde nicht in diesem Browser begonnen. Bitte erneut anmelden.",
        ));
    }
    let attempt = web
        .sessions
        .finish_oidc(&cb.state)
        .ok_or_else(|| refused("Die Anmeldung ist abgelaufen. Bitte erneut anmelden."))?;
    let client = oidc.client().await?;
    let token = client
        .exchange_code(AuthorizationCode::new(cb.code))
        .map_err(|e| WebError::internal(format!("the provider has no token endpoint: {e}")))?
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier))
        .request_async(&oidc.http)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "exchanging the login code failed");
            refused("Der Anmeldedienst hat den Anmeldecode nicht bestätigt.")
        })?;
    let id_token = token
        .id_token()
        .ok_or_else(|| refused("Der Anmeldedienst hat kein ID-Token geschickt."))?;
    let verifier = client.id_token_verifier().set_allowed_algs([
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        CoreJwsSigningAlgorithm::RsaSsaPssSha256,
        CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        CoreJwsSigningAlgorithm::EcdsaP384Sha384,
        CoreJwsSigningAlgorithm::EdDsa,
    ]);
    id_token
        .claims(&verifier, &Nonce::new(attempt.nonce))
        .map_err(|e| {
            tracing::warn!(error = %e, "an ID token failed verification");
            refused("Das ID-Token des Anmeldedienstes ist nicht gültig.")
        })?;
    // Verified above; read all its claims (roles, sites, groups) for the
    // mapping.
    let payload = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .ok_or_else(|| WebError::internal("an ID token's claims do not decode"))?;
    web.auth.principal_for_claims(&payload).map_err(|e| {
        tracing::info!(error = %e, "a web login at the identity provider has no role here");
        WebError::Forbidden(
            "Anmeldung nicht möglich: Ihr Konto beim Anmeldedienst hat keine Rolle für akte. \
                 Bitte wenden Sie sich an die Administration."
                .into(),
        )
    })
}

/// After the provider's redirect: a page that moves on to the search by
/// itself, so that the browser sends the (SameSite=Strict) session cookie
/// on a navigation that starts on this site.
pub fn continue_page(set_cookies: Vec<String>) -> Response {
    let mut res = Html(
        "<!doctype html><html lang=\"de\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url=/search\"><title>Angemeldet – akte</title>\
         </head><body><main><h1>Angemeldet</h1><p><a href=\"/search\">Weiter zur Suche</a></p>\
         </main></body></html>",
    )
    .into_response();
    for c in set_cookies {
        if let Ok(v) = c.parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

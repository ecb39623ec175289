//! Logging in and out: with a token (the server's own, e.g. the admin token
//! or one from `akte token issue`), with a one-time code that `akte serve`
//! prints, or at the identity provider (authorization-code flow with PKCE,
//! see [`crate::oidc`]).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::error::WebError;
use crate::session::{self, User, COOKIE, LOGIN_COOKIE};
use crate::templates::{render, LoginPage};
use crate::Web;

/// The login page; its form's forgery token travels in a cookie as well
/// (there is no session yet to keep it in).
pub async fn form(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    if let Some(id) = session::read_cookie(&headers, COOKIE) {
        if web.sessions.get(&id).is_some() {
            return Redirect::to("/search").into_response();
        }
    }
    login_page(&web, None)
}

fn login_page(web: &Web, error: Option<String>) -> Response {
    let csrf = session::random_token();
    let cookie = session::cookie(LOGIN_COOKIE, &csrf, std::time::Duration::from_secs(3600));
    let status = if error.is_some() {
        axum::http::StatusCode::UNAUTHORIZED
    } else {
        axum::http::StatusCode::OK
    };
    (
        status,
        [(header::SET_COOKIE, cookie)],
        render(&LoginPage {
            csrf,
            oidc: web.oidc_enabled(),
            error,
        }),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    token: String,
}

pub async fn with_token(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    let expected = session::read_cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(&form.csrf, &expected) {
        return Err(WebError::Forbidden(
            "Das Anmeldeformular ist abgelaufen. Bitte laden Sie die Seite neu.".into(),
        ));
    }
    match web.auth.authenticate(&form.token).await {
        Ok(principal) => {
            tracing::info!(principal = %principal.label(), "web login with a token");
            Ok(logged_in(&web, principal))
        }
        Err(e) => Ok(login_page(
            &web,
            Some(format!("Anmeldung fehlgeschlagen: {e}.")),
        )),
    }
}

/// The page of a one-time login link: a button that logs in. Opening the
/// link alone (e.g. by a chat program's link preview) does not use it up.
pub async fn code_page(Path(code): Path<String>) -> Response {
    let csrf = session::random_token();
    let cookie = session::cookie(LOGIN_COOKIE, &csrf, std::time::Duration::from_secs(3600));
    (
        [(header::SET_COOKIE, cookie)],
        render(&crate::templates::CodePage { csrf, code }),
    )
        .into_response()
}

pub async fn with_code(
    State(web): State<Arc<Web>>,
    Path(code): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    let expected = session::read_cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(&form.csrf, &expected) {
        return Err(WebError::Forbidden(
            "Das Anmeldeformular ist abgelaufen. Bitte öffnen Sie den Link erneut.".into(),
        ));
    }
    match web.sessions.redeem(&code) {
        Some(principal) => {
            tracing::info!(principal = %principal.label(), "web login with a one-time code");
            Ok(logged_in(&web, principal))
        }
        None => Ok(login_page(
            &web,
            Some("Dieser Anmeldelink ist abgelaufen oder wurde schon benutzt.".into()),
        )),
    }
}

/// Starts a session and goes to the search page.
pub fn logged_in(web: &Web, principal: akte_core::access::Principal) -> Response {
    let id = web.sessions.start(principal);
    let mut res = Redirect::to("/search").into_response();
    let h = res.headers_mut();
    for c in [
        session::cookie(COOKIE, &id, web.settings.session_max),
        session::cookie(LOGIN_COOKIE, "", std::time::Duration::ZERO),
    ] {
        if let Ok(v) = c.parse() {
            h.append(header::SET_COOKIE, v);
        }
    }
    res
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(
    State(web): State<Arc<Web>>,
    user: User,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    web.sessions.end(&user.id);
    Ok((
        [(
            header::SET_COOKIE,
            session::cookie(COOKIE, "", std::time::Duration::ZERO),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

pub async fn oidc_start(State(web): State<Arc<Web>>) -> Result<Response, WebError> {
    crate::oidc::start(&web).await
}

#[derive(Deserialize)]
pub struct Callback {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub error: String,
}

pub async fn oidc_callback(
    State(web): State<Arc<Web>>,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Result<Response, WebError> {
    match crate::oidc::finish(&web, &headers, cb).await {
        Ok(principal) => {
            tracing::info!(principal = %principal.label(), "web login at the identity provider");
            let id = web.sessions.start(principal);
            Ok(crate::oidc::continue_page(vec![
                session::cookie(COOKIE, &id, web.settings.session_max),
                session::cookie_lax("akte_oidc", "", std::time::Duration::ZERO),
            ]))
        }
        Err(WebError::Forbidden(m)) => Ok(login_page(&web, Some(m))),
        Err(e) => Err(e),
    }
}

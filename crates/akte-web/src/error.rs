//! What a page answers when something is wrong: a status code and a page in
//! German saying what happened and what to do.

use akte_core::{CoreError, ErrorCode};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use crate::templates::{render, ErrorPage};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No (live) session: to the login page.
    #[error("login needed")]
    LoginNeeded,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("not found")]
    NotFound,
    /// A share or status link that is unknown, expired or revoked.
    #[error("gone")]
    Gone,
    #[error("too many requests")]
    TooMany,
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    fn status_and_text(&self) -> (StatusCode, &'static str, String) {
        match self {
            WebError::LoginNeeded => (
                StatusCode::UNAUTHORIZED,
                "Anmeldung erforderlich",
                "Bitte melden Sie sich an.".into(),
            ),
            WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "Nicht erlaubt", m.clone()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Ungültige Eingabe", m.clone()),
            WebError::NotFound => (
                StatusCode::NOT_FOUND,
                "Nicht gefunden",
                "Diese Seite gibt es nicht.".into(),
            ),
            WebError::Gone => (
                StatusCode::GONE,
                "Link nicht mehr gültig",
                "Dieser Link ist abgelaufen oder wurde widerrufen. Bitte wenden Sie sich an die \
                 Person, die ihn Ihnen gegeben hat."
                    .into(),
            ),
            WebError::TooMany => (
                StatusCode::TOO_MANY_REQUESTS,
                "Zu viele Anfragen",
                "Bitte warten Sie eine Minute und versuchen Sie es dann erneut.".into(),
            ),
            WebError::Core(e) => core_text(e),
            WebError::Internal(m) => {
                tracing::error!(error = %m, "web request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Fehler",
                    "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut."
                        .into(),
                )
            }
        }
    }
}

/// A store error as a page: the store's message is shown (it is written for
/// the caller and never reveals what the caller may not know).
pub fn core_text(e: &CoreError) -> (StatusCode, &'static str, String) {
    let msg = e.to_string();
    match e.code() {
        ErrorCode::PermissionDenied => (
            StatusCode::FORBIDDEN,
            "Nicht erlaubt",
            format!("Nicht erlaubt oder nicht vorhanden ({msg})."),
        ),
        ErrorCode::Unauthenticated => (StatusCode::UNAUTHORIZED, "Anmeldung erforderlich", msg),
        ErrorCode::NotFound => (StatusCode::NOT_FOUND, "Nicht gefunden", msg),
        ErrorCode::InvalidArgument => (StatusCode::BAD_REQUEST, "Ungültige Eingabe", msg),
        ErrorCode::AlreadyExists => (StatusCode::CONFLICT, "Bereits vorhanden", msg),
        ErrorCode::FailedPrecondition | ErrorCode::Aborted => {
            (StatusCode::CONFLICT, "Nicht möglich", msg)
        }
        ErrorCode::ResourceExhausted | ErrorCode::Unavailable => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Ausgelastet",
            format!("Der Dienst ist ausgelastet; bitte gleich erneut versuchen ({msg})."),
        ),
        ErrorCode::Cancelled => (StatusCode::BAD_REQUEST, "Abgebrochen", msg),
        ErrorCode::Gone => (
            StatusCode::GONE,
            "Link nicht mehr gültig",
            "Dieser Link ist abgelaufen oder wurde widerrufen.".into(),
        ),
        ErrorCode::DataLoss => {
            tracing::error!(error = %msg, "stored data failed verification");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Daten beschädigt",
                "Die gespeicherten Daten sind beschädigt und werden nicht ausgeliefert. Der \
                 Betrieb ist informiert."
                    .into(),
            )
        }
        ErrorCode::Internal => {
            tracing::error!(error = %msg, "web request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Fehler",
                "Ein interner Fehler ist aufgetreten.".into(),
            )
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if matches!(self, WebError::LoginNeeded) {
            return Redirect::to("/login").into_response();
        }
        let (status, title, message) = self.status_and_text();
        let page = render(&ErrorPage {
            status: status.as_u16(),
            title,
            message,
        });
        (status, page).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let code = |e: WebError| e.into_response().status();
        assert_eq!(code(WebError::Gone), StatusCode::GONE);
        assert_eq!(code(WebError::LoginNeeded), StatusCode::SEE_OTHER);
        assert_eq!(
            code(WebError::Core(CoreError::PermissionDenied("x".into()))),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            code(WebError::Core(CoreError::DataLoss("x".into()))),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}

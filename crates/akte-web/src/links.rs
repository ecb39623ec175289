//! Share links for employers (the applicant's card) and status links for
//! citizens: created and revoked on the case page, opened without login.
//!
//! The link's token is shown once, when it is made (as URL, QR code and
//! printable card); the store keeps only its hash. Opening a link acts as
//! the link itself (a principal of its own in the access rules), is logged
//! with the link's id, and is limited per network address. An unknown,
//! expired or revoked link answers 410 and nothing else.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use akte_core::access::Caller;
use akte_core::{NewShare, Share, SharePurpose};
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use futures::TryStreamExt;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::WebError;
use crate::pages::{display_title, urlencode};
use crate::session::{peer_of, User};
use crate::templates::{day, render, size, status_label, when};
use crate::Web;

/// Requests to links, per network address.
pub struct LinkLimiter(DefaultKeyedRateLimiter<IpAddr>);

impl LinkLimiter {
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self(RateLimiter::keyed(Quota::per_minute(n)))
    }

    fn check(&self, ip: IpAddr) -> Result<(), WebError> {
        self.0.check_key(&ip).map_err(|_| WebError::TooMany)
    }

    /// Forgets addresses that have not asked for a while.
    pub fn sweep(&self) {
        self.0.retain_recent();
    }
}

/// A link of the case, as the case page lists it.
pub struct ShareRow {
    pub id: String,
    pub recipient: String,
    pub kind: &'static str,
    pub documents: String,
    pub expires: String,
    pub state: &'static str,
    pub active: bool,
}

/// A link just made: the only time its token is shown.
#[derive(Clone, Debug)]
pub struct IssuedView {
    pub recipient: String,
    pub url: String,
    pub expires: String,
    pub qr_png_base64: String,
    /// "1" for a status link.
    pub status: String,
}

fn millis(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn row(s: &Share, now: SystemTime) -> ShareRow {
    let (state, active) = if s.revoked_at.is_some() {
        ("widerrufen", false)
    } else if s.expires_at <= now {
        ("abgelaufen", false)
    } else {
        ("gültig", true)
    };
    ShareRow {
        id: s.id.clone(),
        recipient: s.recipient.clone(),
        kind: match s.purpose {
            SharePurpose::Documents => "Dokumente",
            SharePurpose::Status => "Bearbeitungsstand",
        },
        documents: s.document_ids.len().to_string(),
        expires: when(millis(s.expires_at)),
        state,
        active,
    }
}

/// The case's links, for its page.
pub async fn rows(web: &Web, caller: &Caller, number: &str) -> Result<Vec<ShareRow>, WebError> {
    let now = SystemTime::now();
    Ok(web
        .store
        .list_shares(caller, number)
        .await?
        .iter()
        .map(|s| row(s, now))
        .collect())
}

/// Reads a urlencoded form whose keys may repeat.
fn form_pairs(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub async fn create_share(
    State(web): State<Arc<Web>>,
    user: User,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = form_pairs(&body);
    user.check_csrf(field(&form, "csrf"))?;
    let days: u64 = field(&form, "days")
        .trim()
        .parse()
        .map_err(|_| WebError::BadRequest("Bitte geben Sie die Gültigkeit in Tagen an.".into()))?;
    let purpose = match field(&form, "kind") {
        "status" => SharePurpose::Status,
        _ => SharePurpose::Documents,
    };
    let document_ids: Vec<String> = match purpose {
        SharePurpose::Status => Vec::new(),
        SharePurpose::Documents => form
            .iter()
            .filter(|(k, _)| k == "document")
            .map(|(_, v)| v.clone())
            .collect(),
    };
    if purpose == SharePurpose::Documents && document_ids.is_empty() {
        return Err(WebError::BadRequest(
            "Bitte wählen Sie mindestens ein Dokument aus.".into(),
        ));
    }
    let expires_at = SystemTime::now()
        + Duration::from_secs(days.saturating_mul(86_400).min(u64::from(u32::MAX)));
    let caller = user.caller_for_case(&number);
    let issued = web
        .store
        .create_share(
            &caller,
            NewShare {
                case_number: number.clone(),
                document_ids,
                recipient: field(&form, "recipient").to_owned(),
                expires_at,
                purpose,
            },
        )
        .await?;
    let path = match issued.share.purpose {
        SharePurpose::Documents => format!("/s/{}", issued.token),
        SharePurpose::Status => format!("/status/{}", issued.token),
    };
    let url = format!("{}{path}", web.public_url);
    let qr = akte_extract::qr_png(&url).map_err(WebError::internal)?;
    let view = IssuedView {
        recipient: issued.share.recipient.clone(),
        expires: when(millis(issued.share.expires_at)),
        qr_png_base64: base64::engine::general_purpose::STANDARD.encode(qr),
        status: if issued.share.purpose == SharePurpose::Status {
            "1".into()
        } else {
            String::new()
        },
        url,
    };
    // Shown once by the case page the browser is sent to: reloading it
    // makes no second link.
    web.sessions.update(&user.id, |s| s.issued = Some(view));
    Ok(Redirect::to(&format!(
        "/cases/{}#freigaben",
        urlencode(&issued.share.case_number)
    ))
    .into_response())
}

pub async fn revoke_share(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = form_pairs(&body);
    user.check_csrf(field(&form, "csrf"))?;
    let number = field(&form, "case_number");
    let share = web
        .store
        .revoke_share(&user.caller_for_case(number), &id)
        .await?;
    Ok(Redirect::to(&format!(
        "/cases/{}#freigaben",
        urlencode(&share.case_number)
    ))
    .into_response())
}

/// The printable card of a link just made (its URL comes back from the page
/// that showed it: the server does not have the token any more).
pub async fn card_pdf(
    State(web): State<Arc<Web>>,
    user: User,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = form_pairs(&body);
    user.check_csrf(field(&form, "csrf"))?;
    let url = field(&form, "url");
    if !url.starts_with(&format!("{}/", web.public_url)) {
        return Err(WebError::BadRequest("Kein Link dieses Dienstes.".into()));
    }
    let pdf = akte_extract::share_card_pdf(
        url,
        field(&form, "recipient"),
        field(&form, "expires"),
        field(&form, "status") == "1",
    );
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"karte.pdf\"",
            ),
        ],
        pdf,
    )
        .into_response())
}

// ------------------------------------------------------------ without login

pub struct SharedDoc {
    pub id: String,
    pub title: String,
    pub document_type: String,
    pub received: String,
    pub size: String,
}

#[derive(Template)]
#[template(path = "shared.html")]
pub struct SharedPage {
    pub token: String,
    pub recipient: String,
    pub expires: String,
    pub documents: Vec<SharedDoc>,
}

#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusPage {
    pub status: &'static str,
    pub events: Vec<(String, String)>,
}

fn gone_unless_ok<T>(r: akte_core::Result<T>) -> Result<T, WebError> {
    r.map_err(|e| match e {
        akte_core::CoreError::Gone(_) => WebError::Gone,
        e => WebError::Core(e),
    })
}

pub async fn shared(
    State(web): State<Arc<Web>>,
    Path(token): Path<String>,
    req: axum::http::Request<Body>,
) -> Result<Response, WebError> {
    let peer = peer_of(req.extensions());
    web.links.check(peer.ip())?;
    let view = gone_unless_ok(web.store.open_share(&token, Some(peer)).await)?;
    if view.share.purpose != SharePurpose::Documents {
        return Err(WebError::Gone);
    }
    let page = SharedPage {
        recipient: view.share.recipient.clone(),
        expires: when(millis(view.share.expires_at)),
        documents: view
            .documents
            .iter()
            .map(|d| SharedDoc {
                id: d.document_id.to_string(),
                title: display_title(d),
                document_type: d.document_type.clone(),
                received: day(d.received_at),
                size: size(d.size_bytes),
            })
            .collect(),
        token,
    };
    Ok(render(&page).into_response())
}

pub async fn shared_download(
    State(web): State<Arc<Web>>,
    Path((token, document)): Path<(String, String)>,
    req: axum::http::Request<Body>,
) -> Result<Response, WebError> {
    let peer = peer_of(req.extensions());
    web.links.check(peer.ip())?;
    let (doc, stream) = gone_unless_ok(
        web.store
            .download_shared(&token, &document, Some(peer))
            .await,
    )?;
    let name = if doc.filename.is_empty() {
        format!("{}.bin", doc.document_id)
    } else {
        doc.filename.clone()
    };
    let mut res = Response::new(Body::from_stream(stream.map_err(std::io::Error::other)));
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&doc.media_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(doc.size_bytes));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        name.replace(
            |c: char| !c.is_ascii_graphic() || c == '"' || c == '\\',
            "_"
        ),
        urlencode(&name)
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

pub async fn status(
    State(web): State<Arc<Web>>,
    Path(token): Path<String>,
    req: axum::http::Request<Body>,
) -> Result<Response, WebError> {
    let peer = peer_of(req.extensions());
    web.links.check(peer.ip())?;
    let view = gone_unless_ok(web.store.open_share(&token, Some(peer)).await)?;
    if view.share.purpose != SharePurpose::Status {
        return Err(WebError::Gone);
    }
    let page = StatusPage {
        status: view.status.map(status_label).unwrap_or("Unbekannt"),
        events: view
            .timeline
            .iter()
            .rev()
            .filter(|e| !e.text.is_empty())
            .map(|e| (day(millis(e.at)), e.text.clone()))
            .collect(),
    };
    Ok(render(&page).into_response())
}

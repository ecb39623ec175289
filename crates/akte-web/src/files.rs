//! A document: its page, its content inline and as a download (verified
//! against its hash while it streams, as over gRPC), page previews rendered
//! by the server and cached by content hash, uploads and moves.

use std::sync::Arc;

use akte_core::{CoreError, UploadHeader};
use akte_types::Document;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::error::WebError;
use crate::pages::{display_title, index_label, urlencode};
use crate::session::User;
use crate::templates::{render, size, when, Nav};
use crate::Web;

/// Pages shown as previews at most.
const MAX_PREVIEW_PAGES: u32 = 100;

#[derive(Template)]
#[template(path = "document.html")]
pub struct DocumentPage {
    pub nav: Nav,
    pub id: String,
    pub title: String,
    pub case_number: String,
    pub site: String,
    pub document_type: String,
    pub media_type: String,
    pub filename: String,
    pub source: String,
    pub received: String,
    pub size: String,
    pub sha256: String,
    pub index_state: &'static str,
    /// "pdf", "image", "text" or "" (no inline view).
    pub view: &'static str,
    pub pages: Vec<u32>,
    pub transfer_note: Vec<(&'static str, String)>,
    pub history: Vec<String>,
    pub routing_note: String,
    /// `case=NUMBER` for the links of the page, or empty.
    pub case_param: String,
}

fn view_kind(media_type: &str) -> &'static str {
    match media_type {
        "application/pdf" => "pdf",
        "image/png" | "image/jpeg" => "image",
        "text/plain" => "text",
        _ => "",
    }
}

fn transfer_note(d: &Document) -> Vec<(&'static str, String)> {
    let Some(n) = &d.transfer_note else {
        return Vec::new();
    };
    let mut rows = vec![("Scanstation", n.station_id.clone())];
    if !n.operator.is_empty() {
        rows.push(("Bedienung", n.operator.clone()));
    }
    if let Some(at) = n.scanned_at {
        rows.push(("Gescannt", when(at)));
    }
    if n.page_count > 0 {
        rows.push(("Seiten laut Station", n.page_count.to_string()));
    }
    rows.push((
        "Nachbearbeitung",
        if n.post_processing {
            format!("ja {}", n.post_processing_detail)
        } else {
            "nein".into()
        },
    ));
    if let Some(h) = n.sha256 {
        rows.push(("SHA-256", h.to_string()));
    }
    rows
}

/// The case a document page was reached from (`?case=`): the reason given
/// for that case applies.
#[derive(Deserialize, Default)]
pub struct FromCase {
    #[serde(default)]
    case: Option<String>,
    /// Width of a page preview.
    #[serde(default)]
    w: u32,
}

impl FromCase {
    fn param(&self) -> String {
        match &self.case {
            Some(c) if !c.is_empty() => format!("case={}", urlencode(c)),
            _ => String::new(),
        }
    }
}

pub async fn document(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    Query(from): Query<FromCase>,
) -> Result<Response, WebError> {
    let caller = user.caller_for_document(&id, from.case.as_deref());
    let d = match web.store.get_document(&caller, &id).await {
        Ok(d) => d,
        Err(CoreError::PermissionDenied(_)) if caller.reason.is_none() => {
            // Perhaps a document of another site's case: ask for the reason.
            let page = crate::pages::ReasonPage {
                nav: Nav::new(&user, ""),
                what: format!("Dokument {}", id.trim()),
                action: format!("/documents/{}/reason", urlencode(id.trim())),
            };
            return Ok((StatusCode::FORBIDDEN, render(&page)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let pages = match (d.media_type.as_str(), d.page_count) {
        ("application/pdf", n) => (1..=n.clamp(1, MAX_PREVIEW_PAGES)).collect(),
        ("image/png" | "image/jpeg" | "image/tiff", _) => vec![1],
        _ => Vec::new(),
    };
    let page = DocumentPage {
        case_param: from.param(),
        nav: Nav::new(&user, ""),
        id: d.document_id.to_string(),
        title: display_title(&d),
        case_number: d.case_number_str().to_owned(),
        site: d.site.clone(),
        document_type: d.document_type.clone(),
        media_type: d.media_type.clone(),
        filename: d.filename.clone(),
        source: d.source.clone(),
        received: when(d.received_at),
        size: size(d.size_bytes),
        sha256: d.sha256.to_string(),
        index_state: index_label(d.index_state),
        view: view_kind(&d.media_type),
        pages,
        transfer_note: transfer_note(&d),
        history: d
            .history
            .iter()
            .map(|m| {
                format!(
                    "{}: {} → {} ({:?}{}{})",
                    when(m.at),
                    m.from
                        .as_ref()
                        .map(|n| n.to_string())
                        .unwrap_or_else(|| "Posteingang".into()),
                    m.to,
                    m.by,
                    if m.detail.is_empty() { "" } else { ", " },
                    m.detail
                )
            })
            .collect(),
        routing_note: d.routing_note.clone().unwrap_or_default(),
    };
    Ok(render(&page).into_response())
}

/// The document's bytes, verified while they stream; `attachment` for a
/// download, else inline.
async fn send(
    web: &Web,
    user: &User,
    id: &str,
    from: &FromCase,
    attachment: bool,
) -> Result<Response, WebError> {
    let caller = user.caller_for_document(id, from.case.as_deref());
    let (doc, stream) = web.store.download(&caller, id, None, None).await?;
    let name = if doc.filename.is_empty() {
        doc.document_id.to_string()
    } else {
        doc.filename.clone()
    };
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if attachment { "attachment" } else { "inline" },
        name.replace(
            |c: char| !c.is_ascii_graphic() || c == '"' || c == '\\',
            "_"
        ),
        urlencode(&name)
    );
    // A damaged blob ends the body with an error: the browser sees a broken
    // download, never silently bad bytes.
    let body = Body::from_stream(stream.map_err(std::io::Error::other));
    let mut res = Response::new(body);
    let h = res.headers_mut();
    // Text is sent as plain text whatever it contains; nothing is sniffed.
    let media = if doc.media_type.starts_with("text/") {
        "text/plain; charset=utf-8".to_owned()
    } else {
        doc.media_type.clone()
    };
    if let Ok(v) = HeaderValue::from_str(&media) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(doc.size_bytes));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"),
    );
    Ok(res)
}

pub async fn content(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    Query(from): Query<FromCase>,
) -> Result<Response, WebError> {
    send(&web, &user, &id, &from, false).await
}

pub async fn download(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    Query(from): Query<FromCase>,
) -> Result<Response, WebError> {
    send(&web, &user, &id, &from, true).await
}

/// Records the reason for opening a document of another site, for this
/// login.
pub async fn give_reason(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<crate::pages::ReasonForm>,
) -> Result<Response, WebError> {
    let reason = form.reason(&user)?;
    let id = id.trim().to_owned();
    web.sessions.update(&user.id, |s| {
        s.reasons.insert(
            crate::session::document_key(&id),
            crate::session::Given { reason, case: None },
        );
    });
    Ok(Redirect::to(&format!("/documents/{}", urlencode(&id))).into_response())
}

/// A page as PNG, rendered once per content and width and then read from the
/// cache (`<data_dir>/cache/previews`); each request is checked and logged.
pub async fn page_preview(
    State(web): State<Arc<Web>>,
    user: User,
    Path((id, page)): Path<(String, u32)>,
    Query(q): Query<FromCase>,
) -> Result<Response, WebError> {
    if page == 0 || page > MAX_PREVIEW_PAGES {
        return Err(WebError::NotFound);
    }
    let width = if q.w > 400 { 1200 } else { 240 };
    let caller = user.caller_for_document(&id, q.case.as_deref());
    // Checked and logged as a read of the document, whether the preview
    // is rendered now or comes from the cache.
    let d = web.store.get_document(&caller, &id).await?;
    let dir = web.previews.join(d.sha256.to_string());
    let cached = dir.join(format!("{page}-{width}.png"));
    let png = match tokio::fs::read(&cached).await {
        Ok(png) => png,
        Err(_) => render_preview(&web, &caller, &id, page, width, &dir, &cached).await?,
    };
    // Not kept by the browser (the default no-store applies).
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// Renders a page preview from the verified content and keeps it in the
/// cache. At most [`crate::MAX_RENDERS`] at once; the copy of the content
/// it works on is removed whatever happens (also when the request goes away).
async fn render_preview(
    web: &Web,
    caller: &akte_core::access::Caller,
    id: &str,
    page: u32,
    width: u32,
    dir: &std::path::Path,
    cached: &std::path::Path,
) -> Result<Vec<u8>, WebError> {
    let _permit = web.renders.acquire().await.map_err(WebError::internal)?;
    let (doc, mut stream) = web.store.download(caller, id, None, None).await?;
    let work_root = web.previews.join("work");
    tokio::fs::create_dir_all(&work_root)
        .await
        .map_err(WebError::internal)?;
    let work = tempfile::tempdir_in(&work_root).map_err(WebError::internal)?;
    let source = work.path().join("source");
    let mut file = tokio::fs::File::create(&source)
        .await
        .map_err(WebError::internal)?;
    while let Some(chunk) = stream.next().await {
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk?)
            .await
            .map_err(WebError::internal)?;
    }
    drop(file);
    let media = doc.media_type.clone();
    let rendered = tokio::task::spawn_blocking(move || {
        let png = akte_extract::page_preview(&media, &source, page, width, work.path());
        drop(work);
        png
    })
    .await
    .map_err(WebError::internal)?;
    let png = match rendered {
        Ok(png) => png,
        Err(
            akte_extract::PreviewError::NoSuchPage(_) | akte_extract::PreviewError::Unsupported(_),
        ) => return Err(WebError::NotFound),
        Err(e) => return Err(WebError::internal(e)),
    };
    store_preview(dir, cached, &png).await;
    Ok(png)
}

/// Keeps a rendered preview; a failure only costs rendering it again.
async fn store_preview(dir: &std::path::Path, path: &std::path::Path, png: &[u8]) {
    let tmp = path.with_extension(format!("tmp{}", crate::session::random_token()));
    let ok = tokio::fs::create_dir_all(dir).await.is_ok()
        && tokio::fs::write(&tmp, png).await.is_ok()
        && tokio::fs::rename(&tmp, path).await.is_ok();
    if !ok {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
}

fn header_text(h: &HeaderMap, name: &str) -> String {
    let raw = h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
    percent_decode(raw)
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// An upload from the case page's script: the body is the file, the
/// headers carry the forgery token and the file's name, title and type
/// (percent-encoded). Answers with the new document's address (JSON).
pub async fn upload(
    State(web): State<Arc<Web>>,
    user: User,
    Path(number): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, WebError> {
    user.check_csrf(&header_text(&headers, "x-csrf-token"))?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let header = UploadHeader {
        case_number: number.clone(),
        title: header_text(&headers, "x-title"),
        document_type: header_text(&headers, "x-document-type"),
        filename: header_text(&headers, "x-filename"),
        media_type: if media_type == "application/octet-stream" {
            String::new()
        } else {
            media_type
        },
        source: "web".into(),
        ..UploadHeader::default()
    };
    let chunks = body
        .into_data_stream()
        .map_err(|e| CoreError::Cancelled(format!("the upload was interrupted: {e}")));
    let caller = user.caller_for_case(&number);
    match web.store.upload(&caller, header, chunks).await {
        Ok(doc) => Ok((
            StatusCode::CREATED,
            axum::Json(serde_json::json!({
                "document_id": doc.document_id.to_string(),
                "url": format!("/documents/{}", doc.document_id),
                "title": display_title(&doc),
            })),
        )
            .into_response()),
        Err(e) => {
            let (status, _, message) = crate::error::core_text(&e);
            Ok((status, axum::Json(serde_json::json!({ "error": message }))).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    note: String,
}

pub async fn move_document(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    if form.note.trim().is_empty() {
        return Err(WebError::BadRequest(
            "Bitte geben Sie an, warum das Dokument verschoben wird.".into(),
        ));
    }
    let doc = web
        .store
        .assign_document(
            &user.caller_for_case(form.case_number.trim()),
            &id,
            &form.case_number,
            &form.note,
        )
        .await?;
    Ok(Redirect::to(&format!("/documents/{}", doc.document_id)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("Bescheid%20%C3%BCber"), "Bescheid über");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}

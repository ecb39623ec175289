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

pub async fn document(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let d = web.store.get_document(&user.caller(), &id).await?;
    let caller = user.caller_for_case(d.case_number_str());
    // Read again with the reason given for its case, if it needed one.
    let d = if caller.reason.is_some() {
        web.store.get_document(&caller, &id).await?
    } else {
        d
    };
    let pages = match (d.media_type.as_str(), d.page_count) {
        ("application/pdf", n) => (1..=n.clamp(1, MAX_PREVIEW_PAGES)).collect(),
        ("image/png" | "image/jpeg" | "image/tiff", _) => vec![1],
        _ => Vec::new(),
    };
    let page = DocumentPage {
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
async fn send(web: &Web, user: &User, id: &str, attachment: bool) -> Result<Response, WebError> {
    let d = web.store.get_document(&user.caller(), id).await?;
    let caller = user.caller_for_case(d.case_number_str());
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
        HeaderValue::from_static("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; plugin-types application/pdf; frame-ancestors 'self'; sandbox"),
    );
    Ok(res)
}

pub async fn content(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    send(&web, &user, &id, false).await
}

pub async fn download(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    send(&web, &user, &id, true).await
}

#[derive(Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    w: u32,
}

/// A page as PNG, rendered once per content and width and then read from the
/// cache (`<data_dir>/cache/previews`); each request is checked and logged.
pub async fn page_preview(
    State(web): State<Arc<Web>>,
    user: User,
    Path((id, page)): Path<(String, u32)>,
    Query(q): Query<PreviewQuery>,
) -> Result<Response, WebError> {
    let width = if q.w > 400 { 1200 } else { 240 };
    let d = web.store.get_document(&user.caller(), &id).await?;
    let caller = user.caller_for_case(d.case_number_str());
    let dir = web.previews.join(d.sha256.to_string());
    let cached = dir.join(format!("{page}-{width}.png"));
    let png = match tokio::fs::read(&cached).await {
        Ok(png) => {
            // The same check and log record as a rendering would make.
            web.store.get_document(&caller, &id).await?;
            png
        }
        Err(_) => {
            let (doc, stream) = web.store.download(&caller, &id, None, None).await?;
            let work = tempfile_dir(&web)?;
            let source = work.join("source");
            let mut file = tokio::fs::File::create(&source)
                .await
                .map_err(WebError::internal)?;
            let mut stream = stream;
            while let Some(chunk) = stream.next().await {
                tokio::io::AsyncWriteExt::write_all(&mut file, &chunk?)
                    .await
                    .map_err(WebError::internal)?;
            }
            drop(file);
            let media = doc.media_type.clone();
            let work2 = work.clone();
            let rendered = tokio::task::spawn_blocking(move || {
                akte_extract::page_preview(&media, &source, page, width, &work2)
            })
            .await
            .map_err(WebError::internal)?;
            let _ = tokio::fs::remove_dir_all(&work).await;
            let png = match rendered {
                Ok(png) => png,
                Err(akte_extract::PreviewError::NoSuchPage(_)) => return Err(WebError::NotFound),
                Err(e) => return Err(WebError::internal(e)),
            };
            store_preview(&dir, &cached, &png).await;
            png
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        png,
    )
        .into_response())
}

fn tempfile_dir(web: &Web) -> Result<std::path::PathBuf, WebError> {
    let dir = web
        .previews
        .join("work")
        .join(crate::session::random_token());
    std::fs::create_dir_all(&dir).map_err(WebError::internal)?;
    Ok(dir)
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
            let message = e.to_string();
            let status = WebError::Core(e).into_response().status();
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

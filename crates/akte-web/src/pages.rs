//! The caseworker's pages: search, case, site inbox, access log.

use std::sync::Arc;

use akte_core::access::Reason;
use akte_core::{AccessFilter, CoreError, ErrorCode, SearchRequest};
use akte_types::{Document, IndexState};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use crate::error::WebError;
use crate::session::User;
use crate::templates::{day, parse_day, render, size, status_label, when, Nav};
use crate::Web;

pub async fn home(user: Option<User>) -> Redirect {
    match user {
        Some(_) => Redirect::to("/search"),
        None => Redirect::to("/login"),
    }
}

impl axum::extract::OptionalFromRequestParts<Arc<Web>> for User {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        web: &Arc<Web>,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <User as axum::extract::FromRequestParts<Arc<Web>>>::from_request_parts(parts, web)
                .await
                .ok(),
        )
    }
}

// ------------------------------------------------------------------ search

#[derive(Deserialize, Default)]
pub struct SearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    doc_type: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
    /// A reason for searching other sites' cases too.
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason: String,
}

pub struct HitView {
    pub case_number: String,
    pub document_id: String,
    pub title: String,
    pub document_type: String,
    pub received: String,
    /// Escaped by the index, words marked with `<b>`.
    pub snippet_html: String,
    pub pages: Vec<u32>,
}

#[derive(Template)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub nav: Nav,
    pub q: String,
    pub site: String,
    pub doc_type: String,
    pub from: String,
    pub to: String,
    pub reason_code: String,
    pub reason: String,
    pub searched: bool,
    pub hits: Vec<HitView>,
    pub total: u64,
    pub next: Option<String>,
    pub error: Option<String>,
}

fn query_string(f: &SearchForm, page: &str) -> String {
    let pairs = [
        ("q", &f.q),
        ("site", &f.site),
        ("doc_type", &f.doc_type),
        ("from", &f.from),
        ("to", &f.to),
    ];
    let mut out = String::from("/search?");
    for (k, v) in pairs {
        if !v.is_empty() {
            out.push_str(&format!("{k}={}&", urlencode(v)));
        }
    }
    out.push_str(&format!("page={}", urlencode(page)));
    out
}

/// `s` for a URL's path segment or query value.
pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub async fn search(
    State(web): State<Arc<Web>>,
    user: User,
    Query(form): Query<SearchForm>,
) -> Result<Response, WebError> {
    let mut page = SearchPage {
        nav: Nav::new(&user, "search"),
        q: form.q.clone(),
        site: form.site.clone(),
        doc_type: form.doc_type.clone(),
        from: form.from.clone(),
        to: form.to.clone(),
        reason_code: form.reason_code.clone(),
        reason: form.reason.clone(),
        searched: false,
        hits: Vec::new(),
        total: 0,
        next: None,
        error: None,
    };
    if form.q.trim().is_empty() {
        return Ok(render(&page).into_response());
    }
    page.searched = true;
    let reason = match Reason::parse(&form.reason_code, &form.reason) {
        Ok(r) => r,
        Err(e) => {
            page.error = Some(e.to_string());
            return Ok(render(&page).into_response());
        }
    };
    let date = |s: &str, end: bool| -> Result<Option<i64>, WebError> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        let (start, next) = parse_day(s)
            .ok_or_else(|| WebError::BadRequest(format!("„{s}“ ist kein Datum (JJJJ-MM-TT).")))?;
        // The end bound excludes: up to the start of the next day.
        Ok(Some(if end { next } else { start }))
    };
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let request = SearchRequest {
        query: form.q.clone(),
        case_number: None,
        site: opt(&form.site),
        document_type: opt(&form.doc_type),
        received_from: date(&form.from, false)?,
        received_to: date(&form.to, true)?,
        limit: 20,
        page_token: form.page.clone(),
    };
    let caller = user.caller().with_reason(reason);
    match web.store.search(&caller, request).await {
        Ok(result) => {
            page.total = result.total_hits;
            page.next = (!result.next_page_token.is_empty())
                .then(|| query_string(&form, &result.next_page_token));
            page.hits = result
                .hits
                .into_iter()
                .map(|h| HitView {
                    case_number: h.document.case_number_str().to_owned(),
                    document_id: h.document.document_id.to_string(),
                    title: display_title(&h.document),
                    document_type: h.document.document_type.clone(),
                    received: day(h.document.received_at),
                    snippet_html: h.snippet,
                    pages: h.pages,
                })
                .collect();
        }
        Err(e) if matches!(e.code(), ErrorCode::InvalidArgument) => {
            page.error = Some(format!("Die Suche ist nicht verständlich: {e}"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(render(&page).into_response())
}

pub fn display_title(d: &Document) -> String {
    if !d.title.trim().is_empty() {
        d.title.clone()
    } else if !d.filename.trim().is_empty() {
        d.filename.clone()
    } else {
        format!("Dokument {}", d.document_id)
    }
}

// -------------------------------------------------------------------- case

pub struct DocRow {
    pub id: String,
    pub title: String,
    pub document_type: String,
    pub received: String,
    pub source: String,
    pub size: String,
    pub index_state: &'static str,
}

impl DocRow {
    pub fn of(d: &Document) -> Self {
        Self {
            id: d.document_id.to_string(),
            title: display_title(d),
            document_type: d.document_type.clone(),
            received: day(d.received_at),
            source: d.source.clone(),
            size: size(d.size_bytes),
            index_state: index_label(d.index_state),
        }
    }
}

pub fn index_label(s: IndexState) -> &'static str {
    match s {
        IndexState::Indexed => "durchsuchbar",
        IndexState::Failed => "Text nicht lesbar",
        _ => "wird verarbeitet",
    }
}

pub struct EventView {
    pub at: String,
    pub public_text: String,
    pub internal_text: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub nav: Nav,
    pub number: String,
    pub title: String,
    pub site: String,
    pub parties: Vec<String>,
    pub status: &'static str,
    pub restricted: Option<String>,
    pub documents: Vec<DocRow>,
    pub more_documents: bool,
    pub timeline: Vec<EventView>,
    /// `None` when the caller may not share the case.
    pub shares: Option<Vec<crate::links::ShareRow>>,
    pub issued: Option<crate::links::IssuedView>,
    pub max_upload: u64,
}

/// Asks for the reason before opening a case or document that may belong
/// to another site.
#[derive(Template)]
#[template(path = "reason.html")]
pub struct ReasonPage {
    pub nav: Nav,
    /// "Akte 12345BG…" or "Dokument 01J…".
    pub what: String,
    /// Where the form posts.
    pub action: String,
}

pub async fn case(
    State(web): State<Arc<Web>>,
    user: User,
    Path(number): Path<String>,
) -> Result<Response, WebError> {
    let mut issued = None;
    if user.session.issued.is_some() {
        web.sessions.update(&user.id, |s| issued = s.issued.take());
    }
    case_page(&web, &user, &number, issued).await
}

/// The case page; `issued`: a share link just created, shown once.
pub async fn case_page(
    web: &Web,
    user: &User,
    number: &str,
    issued: Option<crate::links::IssuedView>,
) -> Result<Response, WebError> {
    let caller = user.caller_for_case(number);
    let view = match web.store.get_case_by_number(&caller, number).await {
        Ok(v) => v,
        Err(CoreError::PermissionDenied(_)) if caller.reason.is_none() => {
            // Perhaps a case of another site: ask for the reason first.
            let page = ReasonPage {
                nav: Nav::new(user, ""),
                what: format!("Akte {number}"),
                action: format!("/cases/{}/reason", urlencode(number)),
            };
            return Ok((axum::http::StatusCode::FORBIDDEN, render(&page)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let case = view.case;
    let number = case.case_number.to_string();
    let docs = web
        .store
        .list_case_documents(&caller, None, Some(&number), 200, "")
        .await?;
    let timeline = web.store.case_timeline(&caller, &number).await?;
    // Someone who may read but not share the case (another site's
    // caseworker with a reason) sees it without the links.
    let shares = match crate::links::rows(web, &caller, &number).await {
        Ok(rows) => Some(rows),
        Err(WebError::Core(CoreError::PermissionDenied(_))) => None,
        Err(e) => return Err(e),
    };
    let page = CasePage {
        nav: Nav::new(user, ""),
        title: case.title.clone(),
        site: case.site.clone(),
        parties: case.parties.clone(),
        status: status_label(case.status),
        restricted: case.restricted_to.clone(),
        documents: docs.documents.iter().map(DocRow::of).collect(),
        more_documents: !docs.next_page_token.is_empty(),
        timeline: timeline
            .iter()
            .rev()
            .map(|e| EventView {
                at: when(e.at),
                public_text: e.public_text.clone(),
                internal_text: e.internal_text.clone(),
                by: e.by.clone().unwrap_or_default(),
            })
            .collect(),
        shares,
        issued,
        max_upload: web.store.max_upload_bytes(),
        number,
    };
    Ok(render(&page).into_response())
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason_code: String,
    #[serde(default)]
    reason: String,
}

impl ReasonForm {
    /// The reason stated, from a form with a valid forgery token.
    pub fn reason(&self, user: &User) -> Result<Reason, WebError> {
        user.check_csrf(&self.csrf)?;
        Reason::parse(&self.reason_code, &self.reason)?.ok_or_else(|| {
            WebError::BadRequest("Bitte geben Sie einen Grund (Art und Text) an.".into())
        })
    }
}

/// Records the reason for opening another site's case, for this login.
pub async fn give_reason(
    State(web): State<Arc<Web>>,
    user: User,
    Path(number): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, WebError> {
    let reason = form.reason(&user)?;
    let number = web.store.parse_case_number(&number)?.to_string();
    // Opened with the reason once here, to learn which case it is for.
    let view = web
        .store
        .get_case_by_number(&user.caller().with_reason(Some(reason.clone())), &number)
        .await?;
    web.sessions.update(&user.id, |s| {
        s.reasons.insert(
            crate::session::case_key(&number),
            crate::session::Given {
                reason,
                case: Some(view.case.case_id),
            },
        );
    });
    Ok(Redirect::to(&format!("/cases/{}", urlencode(&number))).into_response())
}

// ------------------------------------------------------------------- inbox

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    site: String,
    #[serde(default)]
    done: String,
}

pub struct InboxRow {
    pub id: String,
    pub title: String,
    pub received: String,
    pub source: String,
    pub note: String,
    /// Case numbers the routing found in the text: one click files into each.
    pub candidates: Vec<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub nav: Nav,
    pub site: String,
    pub rows: Vec<InboxRow>,
    pub done: String,
}

pub async fn inbox(
    State(web): State<Arc<Web>>,
    user: User,
    Query(q): Query<InboxQuery>,
) -> Result<Response, WebError> {
    let site = if q.site.trim().is_empty() {
        match user.session.principal.sites.first() {
            Some(s) => s.clone(),
            // Someone of no site (e.g. an administrator) names one first.
            None => {
                return Ok(render(&InboxPage {
                    nav: Nav::new(&user, "inbox"),
                    site: String::new(),
                    rows: Vec::new(),
                    done: String::new(),
                })
                .into_response())
            }
        }
    } else {
        q.site.trim().to_owned()
    };
    let page = web.store.list_inbox(&user.caller(), &site, 200, "").await?;
    let rows = page
        .documents
        .iter()
        .map(|d| {
            let note = d.routing_note.clone().unwrap_or_default();
            InboxRow {
                id: d.document_id.to_string(),
                title: display_title(d),
                received: when(d.received_at),
                source: d.source.clone(),
                candidates: candidates(&web, &note),
                note,
            }
        })
        .collect();
    let mut nav = Nav::new(&user, "inbox");
    nav.inbox_site.clone_from(&site);
    Ok(render(&InboxPage {
        nav,
        site,
        rows,
        done: q.done,
    })
    .into_response())
}

/// The valid case numbers named in a routing note.
fn candidates(web: &Web, note: &str) -> Vec<String> {
    let mut out: Vec<String> = note
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';' || c == ':')
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        .filter_map(|w| web.store.parse_case_number(w).ok())
        .map(|n| n.to_string())
        .collect();
    out.dedup();
    out.truncate(5);
    out
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    site: String,
}

pub async fn assign(
    State(web): State<Arc<Web>>,
    user: User,
    Path(id): Path<String>,
    Form(form): Form<AssignForm>,
) -> Result<Response, WebError> {
    user.check_csrf(&form.csrf)?;
    let doc = web
        .store
        .assign_document(
            &user.caller_for_case(form.case_number.trim()),
            &id,
            &form.case_number,
            "im Posteingang zugeordnet",
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/inbox?site={}&done={}",
        urlencode(&form.site),
        urlencode(&format!(
            "{} wurde der Akte {} zugeordnet.",
            display_title(&doc),
            doc.case_number_str().to_owned()
        ))
    ))
    .into_response())
}

// ------------------------------------------------------------------- audit

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    case_number: String,
    #[serde(default)]
    principal: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

pub struct RecordView {
    pub seq: String,
    pub at: String,
    pub principal: String,
    pub action: String,
    pub decision: String,
    pub case_number: String,
    pub document_id: String,
    pub reason: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    pub nav: Nav,
    pub case_number: String,
    pub principal: String,
    pub from: String,
    pub to: String,
    pub records: Vec<RecordView>,
    pub intact: bool,
    pub verification: String,
}

pub async fn audit(
    State(web): State<Arc<Web>>,
    user: User,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let bad_date = |s: &str| WebError::BadRequest(format!("„{s}“ ist kein Datum (JJJJ-MM-TT)."));
    let from = match opt(&q.from) {
        Some(s) => Some(parse_day(&s).ok_or_else(|| bad_date(&s))?.0),
        None => None,
    };
    // The filter's end excludes: up to the start of the next day.
    let to = match opt(&q.to) {
        Some(s) => Some(parse_day(&s).ok_or_else(|| bad_date(&s))?.1),
        None => None,
    };
    let records = web
        .store
        .access_records(
            &user.caller(),
            AccessFilter {
                case_number: opt(&q.case_number),
                principal: opt(&q.principal),
                from,
                to,
                limit: 500,
            },
        )
        .await?;
    // Only someone allowed to read the log gets here.
    let check = web.store.verify_access_log(None).await?;
    let verification = if check.intact() {
        format!(
            "Unverändert: {} Einträge, {} signierte Prüfpunkte bestätigt.",
            check.records, check.checkpoints
        )
    } else {
        format!("VERÄNDERT: {}", check.problems.join("; "))
    };
    let records = records
        .into_iter()
        .map(|r| RecordView {
            seq: r.seq.map(|s| s.to_string()).unwrap_or_default(),
            at: when(r.at),
            principal: r.principal.unwrap_or_default(),
            action: format!("{:?}", r.action),
            decision: match r.decision {
                Some(akte_types::AccessDecision::Denied) => "verweigert".into(),
                Some(_) => "erlaubt".into(),
                None => String::new(),
            },
            case_number: r.case_number.unwrap_or_default(),
            document_id: r.document_id.unwrap_or_default(),
            reason: r
                .reason
                .map(|(c, t)| format!("{c}: {t}"))
                .unwrap_or_default(),
            detail: r.detail,
        })
        .collect();
    Ok(render(&AuditPage {
        nav: Nav::new(&user, "audit"),
        case_number: q.case_number,
        principal: q.principal,
        from: q.from,
        to: q.to,
        records,
        intact: check.intact(),
        verification,
    })
    .into_response())
}

//! The pages' templates (askama, checked when compiled), the style sheet and
//! the script, and the security headers every answer carries.

use askama::Template;
use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::session::User;

/// A rendered page; a template that fails to render is an internal error.
pub fn render(t: &impl Template) -> Html<String> {
    match t.render() {
        Ok(html) => Html(html),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            Html(
                "<!doctype html><html lang=\"de\"><title>Fehler</title><p>Fehler</p></html>".into(),
            )
        }
    }
}

/// The navigation bar of a logged-in user.
pub struct Nav {
    pub name: String,
    pub role: String,
    pub csrf: String,
    /// Sites whose inbox the user may open.
    pub sites: Vec<String>,
    pub auditor: bool,
    /// Which entry is the current page: "search", "inbox", "audit" or "".
    pub active: &'static str,
    /// The site whose inbox is shown, on the inbox page.
    pub inbox_site: String,
}

impl Nav {
    pub fn new(user: &User, active: &'static str) -> Self {
        let p = &user.session.principal;
        use akte_core::access::PrincipalKind as K;
        Self {
            name: p.name.clone(),
            role: match p.kind {
                K::Caseworker => "Sachbearbeitung",
                K::MailRoom => "Posteingangsstelle",
                K::Station => "Scanstation",
                K::Service => "Dienst",
                K::Auditor => "Datenschutzkontrolle",
                K::Admin => "Administration",
                K::Share => "Freigabelink",
            }
            .into(),
            csrf: user.session.csrf.clone(),
            sites: p.sites.clone(),
            auditor: p.kind == K::Auditor,
            active,
            inbox_site: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub status: u16,
    pub title: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "code.html")]
pub struct CodePage {
    pub csrf: String,
    pub code: String,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub oidc: bool,
    pub error: Option<String>,
}

/// The time zone of the job centres: dates are shown and read in it (a
/// letter received at 00:30 in Germany is received that day).
fn local() -> &'static jiff::tz::TimeZone {
    static TZ: std::sync::OnceLock<jiff::tz::TimeZone> = std::sync::OnceLock::new();
    TZ.get_or_init(|| {
        jiff::tz::TimeZone::get("Europe/Berlin").unwrap_or_else(|e| {
            tracing::warn!(error = %e, "no time zone data for Europe/Berlin: dates in UTC");
            jiff::tz::TimeZone::UTC
        })
    })
}

fn zoned(ms: akte_types::UnixMillis) -> Option<jiff::Zoned> {
    jiff::Timestamp::from_millisecond(ms)
        .ok()
        .map(|t| t.to_zoned(local().clone()))
}

/// A date and time as people here write it.
pub fn when(ms: akte_types::UnixMillis) -> String {
    zoned(ms).map_or_else(String::new, |z| z.strftime("%d.%m.%Y %H:%M").to_string())
}

/// A date only.
pub fn day(ms: akte_types::UnixMillis) -> String {
    zoned(ms).map_or_else(String::new, |z| z.strftime("%d.%m.%Y").to_string())
}

/// "YYYY-MM-DD" (a date input's value): the start of that day, and of the
/// next one (an end bound excludes it), in milliseconds.
pub fn parse_day(s: &str) -> Option<(akte_types::UnixMillis, akte_types::UnixMillis)> {
    let date: jiff::civil::Date = s.trim().parse().ok()?;
    let start = date.to_zoned(local().clone()).ok()?;
    let next = date.tomorrow().ok()?.to_zoned(local().clone()).ok()?;
    Some((
        start.timestamp().as_millisecond(),
        next.timestamp().as_millisecond(),
    ))
}

/// A size in bytes for people.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["Byte", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} Byte")
    } else {
        format!("{v:.1} {}", UNITS[unit]).replace('.', ",")
    }
}

/// The German name of a case status.
pub fn status_label(s: akte_types::CaseStatus) -> &'static str {
    use akte_types::CaseStatus as S;
    match s {
        S::Received => "Eingegangen",
        S::InProgress => "In Bearbeitung",
        S::WaitingForDocuments => "Wartet auf Unterlagen",
        S::Decided => "Entschieden",
        S::Closed => "Abgeschlossen",
    }
}

pub async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/akte.css"),
    )
}

pub async fn js() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/akte.js"),
    )
}

/// Headers on every answer: no framing by others, no scripts or styles but
/// our own, no referrer (share links carry their token in the path), no
/// caching of pages with social data.
pub async fn security_headers(
    axum::extract::State(web): axum::extract::State<std::sync::Arc<crate::Web>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if web.public_url.starts_with("https://") {
        h.entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(HeaderValue::from_static("max-age=31536000"));
    }
    let set = |h: &mut axum::http::HeaderMap, name: header::HeaderName, v: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-src 'self'; \
         frame-ancestors 'self'; base-uri 'none'; form-action 'self'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::X_FRAME_OPTIONS, "SAMEORIGIN");
    set(h, header::CACHE_CONTROL, "no-store");
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_sizes() {
        // German time: 23:30 UTC on 2 December is 00:30 on 3 December.
        assert_eq!(when(1_764_718_200_000), "03.12.2025 00:30");
        assert_eq!(day(1_764_718_200_000), "03.12.2025");
        let (start, next) = parse_day("2025-12-03").unwrap();
        assert_eq!(day(start), "03.12.2025");
        assert_eq!(next - start, 86_400_000);
        assert_eq!(when(start), "03.12.2025 00:00");
        // The day summer time ends has 25 hours.
        let (start, next) = parse_day("2025-10-26").unwrap();
        assert_eq!(next - start, 25 * 3_600_000);
        assert_eq!(
            parse_day("2024-02-29").map(|d| day(d.0)).as_deref(),
            Some("29.02.2024")
        );
        for bad in ["2025-02-31", "2025-13-01", "x", ""] {
            assert!(parse_day(bad).is_none(), "{bad}");
        }
        assert_eq!(size(512), "512 Byte");
        assert_eq!(size(1536), "1,5 KB");
    }
}

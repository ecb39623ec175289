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
#[template(path = "login.html")]
pub struct LoginPage {
    pub csrf: String,
    pub oidc: bool,
    pub error: Option<String>,
}

/// A date and time as people here write it (UTC).
pub fn when(ms: akte_types::UnixMillis) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{d:02}.{m:02}.{y} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// A date only.
pub fn day(ms: akte_types::UnixMillis) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(1000).div_euclid(86_400));
    format!("{d:02}.{m:02}.{y}")
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// "YYYY-MM-DD" (a date input's value) to milliseconds at the start of that
/// day, UTC.
pub fn parse_day(s: &str) -> Option<akte_types::UnixMillis> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    // Days from civil (the inverse of civil_from_days).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400_000)
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
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
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
        assert_eq!(when(0), "01.01.1970 00:00 UTC");
        assert_eq!(day(1_764_720_000_000), "03.12.2025");
        let ms = parse_day("2025-12-03").unwrap();
        assert_eq!(day(ms), "03.12.2025");
        assert_eq!(
            parse_day("2024-02-29").map(day).as_deref(),
            Some("29.02.2024")
        );
        assert!(parse_day("2025-13-01").is_none() && parse_day("x").is_none());
        assert_eq!(size(512), "512 Byte");
        assert_eq!(size(1536), "1,5 KB");
    }
}

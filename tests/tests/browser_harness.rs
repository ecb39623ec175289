//! The browser harness of the web UI's tests, on small pages served here
//! from 127.0.0.1: axe-core finds the faults of a bad page and none on a
//! good one (under a strict Content-Security-Policy), Tab reaches the good
//! page's button, screenshots are PNGs of the window's size, the phone
//! screen is a phone's, cookies are read with their flags over a self-signed
//! TLS certificate, waits end when their condition holds, and every browser
//! has a fresh profile that is gone with it.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use akte_e2e::browser::{
    assert_accessible, axe, cookie, keyboard_reaches, screenshot, tab_order, wait_for,
    wait_for_condition, wait_until, Browser, DESKTOP, PHONE,
};
use futures::FutureExt;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

/// No alternative text, an input without a label, grey on white, no language.
const BAD: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>Unzugänglich</title></head>
<body>
<img src="/siegel.png">
<form action="/schlecht"><input type="text" name="aktenzeichen"></form>
<p style="color: #bbbbbb; background: #ffffff">Kaum lesbarer Hinweis</p>
</body></html>"#;

const GOOD: &str = r##"<!doctype html>
<html lang="de"><head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Akte suchen</title>
</head>
<body>
<header><a class="sprung" href="#inhalt">Zum Inhalt</a></header>
<main id="inhalt">
<h1>Akte suchen</h1>
<form action="/gut" method="get">
<label for="az">Aktenzeichen</label>
<input id="az" name="az" type="text" autocomplete="off">
<button type="submit" id="suchen">Suchen</button>
</form>
<h2>Hinweis</h2>
<p>Das Aktenzeichen steht oben rechts auf jedem Schreiben.</p>
</main>
</body></html>"##;

/// Changes after a moment, by a script of its own (the CSP allows no inline one).
const LATE: &str = r#"<!doctype html>
<html lang="de"><head><meta charset="utf-8"><title>Lädt</title>
<script src="/spaet.js" defer></script></head>
<body><main><h1>Lädt</h1></main></body></html>"#;

const LATE_JS: &str = r#"setTimeout(() => {
  const p = document.createElement('p');
  p.id = 'fertig';
  p.textContent = 'Fertig';
  document.querySelector('main').append(p);
  document.title = 'Fertig';
}, 300);"#;

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'";

fn answer(path: &str) -> (String, &'static str, Vec<String>, &'static str) {
    let html = "text/html; charset=utf-8";
    match path {
        "/schlecht" => ("200 OK".into(), html, vec![], BAD),
        "/gut" => (
            "200 OK".into(),
            html,
            vec![
                format!("Content-Security-Policy: {CSP}"),
                "Set-Cookie: sitzung=abc123; Path=/; HttpOnly; Secure; SameSite=Strict".into(),
                "Set-Cookie: hinweis=gelesen; Path=/; SameSite=Lax; Max-Age=3600".into(),
            ],
            GOOD,
        ),
        "/spaet" => (
            "200 OK".into(),
            html,
            vec![format!("Content-Security-Policy: {CSP}")],
            LATE,
        ),
        "/spaet.js" => (
            "200 OK".into(),
            "text/javascript; charset=utf-8",
            vec![],
            LATE_JS,
        ),
        _ => (
            "404 Not Found".into(),
            "text/plain; charset=utf-8",
            vec![],
            "nicht gefunden",
        ),
    }
}

/// Answers one request on `stream` and closes it.
async fn serve_one<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    let (status, content_type, headers, body) = answer(path);
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for h in headers {
        out.push_str(&h);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.push_str(body);
    let _ = stream.write_all(out.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Serves the pages over HTTP on 127.0.0.1; the base URL.
async fn serve() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve_one(stream));
        }
    });
    format!("http://{addr}")
}

/// Serves the pages over HTTPS with a self-signed certificate; the base URL.
async fn serve_tls() -> String {
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let key =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![key.cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.signing_key.serialize_der())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(stream).await {
                    serve_one(tls).await;
                }
            });
        }
    });
    format!("https://{addr}")
}

/// Width and height of a PNG file, which it must be.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is no PNG",
        path.display()
    );
    assert_eq!(&bytes[12..16], b"IHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (width, height)
}

#[tokio::test]
async fn axe_reports_the_faults_of_a_bad_page() {
    let base = serve().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/schlecht")).await.unwrap();
    let violations = axe(&browser).await;
    let ids: BTreeSet<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    for expected in ["image-alt", "label", "color-contrast", "html-has-lang"] {
        assert!(ids.contains(expected), "{expected} not in {ids:?}");
    }
    let image = violations.iter().find(|v| v.id == "image-alt").unwrap();
    assert_eq!(image.targets, ["img"]);
    assert_eq!(image.impact.as_deref(), Some("critical"));
    assert!(image.help_url.contains("image-alt"), "{}", image.help_url);
    let label = violations.iter().find(|v| v.id == "label").unwrap();
    assert_eq!(label.targets, ["input"]);
    let contrast = violations
        .iter()
        .find(|v| v.id == "color-contrast")
        .unwrap();
    assert_eq!(contrast.targets, ["p"]);
    assert!(contrast.html[0].contains("Kaum lesbarer Hinweis"));

    // assert_accessible fails, naming the page and each broken rule.
    let failed = std::panic::AssertUnwindSafe(assert_accessible(&browser, "Schlechte Seite"))
        .catch_unwind()
        .await
        .expect_err("the bad page passed assert_accessible");
    let message = failed.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("Schlechte Seite"), "{message}");
    for expected in ["image-alt", "label", "color-contrast", "html-has-lang"] {
        assert!(message.contains(expected), "{expected} not in {message}");
    }
}

#[tokio::test]
async fn a_good_page_passes_axe_under_a_strict_csp_and_works_by_keyboard() {
    let base = serve().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/gut")).await.unwrap();
    assert!(axe(&browser).await.is_empty());
    assert_accessible(&browser, "Gute Seite").await;
    // Running axe again on the same page (axe-core already injected).
    assert_accessible(&browser, "Gute Seite").await;

    assert!(keyboard_reaches(&browser, "#suchen").await);
    assert!(keyboard_reaches(&browser, "#az").await);
    // Tab goes through the page once, from its top, and stops.
    assert_eq!(
        tab_order(&browser).await,
        [
            "a.sprung \"Zum Inhalt\"",
            "input#az",
            "button#suchen \"Suchen\""
        ]
    );
    assert!(!keyboard_reaches(&browser, "h1").await);
    assert!(!keyboard_reaches(&browser, "#gibt-es-nicht").await);
    // From the top again, wherever focus was.
    browser
        .execute("document.getElementById('suchen').focus();", vec![])
        .await
        .unwrap();
    assert_eq!(tab_order(&browser).await[0], "a.sprung \"Zum Inhalt\"");
}

#[tokio::test]
async fn screenshots_are_pngs_of_the_window() {
    let base = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/gut")).await.unwrap();
    let file = dir.path().join("bilder/gut.png");
    screenshot(&browser, &file).await;
    assert_eq!(png_size(&file), DESKTOP);
    let viewport = browser
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .unwrap();
    assert_eq!(viewport, serde_json::json!([DESKTOP.0, DESKTOP.1]));
    // German first, as the users' browsers.
    let language = browser
        .execute("return navigator.language;", vec![])
        .await
        .unwrap();
    assert_eq!(language, "de-DE");

    let small = Browser::with_window(800, 600).await;
    small.goto(&format!("{base}/gut")).await.unwrap();
    let file = dir.path().join("klein.png");
    screenshot(&small, &file).await;
    assert_eq!(png_size(&file), (800, 600));
}

#[tokio::test]
async fn the_mobile_browser_has_a_phone_screen() {
    let base = serve().await;
    let dir = tempfile::tempdir().unwrap();
    let browser = Browser::mobile().await;
    browser.goto(&format!("{base}/gut")).await.unwrap();
    let screen = browser
        .execute(
            "return [window.innerWidth, window.innerHeight, navigator.maxTouchPoints > 0];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(screen, serde_json::json!([PHONE.0, PHONE.1, true]));
    let file = dir.path().join("telefon.png");
    screenshot(&browser, &file).await;
    assert_eq!(png_size(&file), PHONE);
    assert_accessible(&browser, "Gute Seite auf dem Telefon").await;
}

#[tokio::test]
async fn cookies_with_their_flags_over_a_self_signed_certificate() {
    let base = serve_tls().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/gut")).await.unwrap();
    wait_for(&browser, "h1").await;

    let session = cookie(&browser, "sitzung").await;
    assert_eq!(session.value, "abc123");
    assert!(session.http_only);
    assert!(session.secure);
    assert_eq!(session.same_site.as_deref(), Some("Strict"));
    assert_eq!(session.path.as_deref(), Some("/"));
    assert_eq!(session.expires_unix, None);

    let note = cookie(&browser, "hinweis").await;
    assert!(!note.http_only);
    assert!(!note.secure);
    assert_eq!(note.same_site.as_deref(), Some("Lax"));
    assert!(note.expires_unix.is_some());

    // HttpOnly: the page's scripts see only the other cookie.
    let visible = browser
        .execute("return document.cookie;", vec![])
        .await
        .unwrap();
    assert_eq!(visible, "hinweis=gelesen");
}

#[tokio::test]
async fn waits_end_when_the_page_is_ready() {
    let base = serve().await;
    let browser = Browser::start().await;
    browser.goto(&format!("{base}/spaet")).await.unwrap();
    let done = wait_for(&browser, "#fertig").await;
    assert_eq!(done.text().await.unwrap(), "Fertig");
    wait_until(&browser, "document.title === 'Fertig'", "the title changes").await;
    wait_for_condition("the title is read", || async {
        browser.title().await.ok().as_deref() == Some("Fertig")
    })
    .await;
}

#[tokio::test]
async fn every_browser_has_a_fresh_profile_gone_with_it() {
    let base = serve_tls().await;
    let first = Browser::start().await;
    first.goto(&format!("{base}/gut")).await.unwrap();
    assert!(!akte_e2e::browser::cookies(&first).await.is_empty());
    let second = Browser::start().await;
    assert_ne!(first.profile_dir(), second.profile_dir());
    second.goto(&format!("{base}/schlecht")).await.unwrap();
    assert!(akte_e2e::browser::cookies(&second).await.is_empty());

    let profiles = [
        first.profile_dir().to_path_buf(),
        second.profile_dir().to_path_buf(),
    ];
    drop(first);
    second.close().await;
    for profile in &profiles {
        assert!(!profile.exists(), "{} is still there", profile.display());
    }
    // No process of either browser is left.
    wait_for_condition("the browsers' processes end", || async {
        !browser_processes_left(&profiles)
    })
    .await;
}

/// Whether a live process runs with one of `profiles` on its command line.
fn browser_processes_left(profiles: &[std::path::PathBuf]) -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        let dir = entry.path();
        let stat = std::fs::read_to_string(dir.join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X'));
        let cmdline = std::fs::read(dir.join("cmdline")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(&cmdline);
        !zombie
            && profiles
                .iter()
                .any(|p| cmdline.contains(&*p.to_string_lossy()))
    })
}

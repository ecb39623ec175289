//! The web interface end to end, in headless Chromium: a caseworker logs in,
//! searches a German word, opens the case and a scanned document, uploads a
//! file with the progress bar, files an inbox document; creates a share
//! link that an employer opens on a phone in a fresh browser, seeing exactly
//! the shared documents, and nothing after revocation or expiry. Every page
//! is checked with axe-core (WCAG 2.1 AA) and reached by keyboard.
//!
//! With `AKTE_SCREENSHOTS=DIR` the main pages are saved there as PNG (the
//! README's screenshots come from this).
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

use akte_e2e::browser::{
    assert_accessible, cookie, keyboard_reaches, screenshot, wait_for, wait_for_condition,
    wait_until, Browser,
};
use akte_e2e::Server;
use akte_proto::v1 as pb;
use akte_proto::v1::share_service_client::ShareServiceClient;
use common::*;
use fantoccini::{Client, Locator};

const CASE: &str = "12345BG0000001";
const OTHER_CASE: &str = "12345BG0000002";

async fn shot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("AKTE_SCREENSHOTS") {
        // From the top of the page, nothing focused.
        client
            .execute(
                "window.scrollTo(0, 0); if (document.activeElement) { document.activeElement.blur(); }",
                vec![],
            )
            .await
            .unwrap();
        screenshot(
            client,
            std::path::Path::new(&dir).join(format!("{name}.png")),
        )
        .await;
    }
}

async fn text_of(client: &Client, selector: &str) -> String {
    wait_for(client, selector).await.text().await.unwrap()
}

/// A server with a case of site Nord holding a letter (text PDF) and a
/// scan (PNG), a second case, and a scan waiting in Nord's inbox.
struct Setup {
    server: Server,
    _dir: tempfile::TempDir,
    letter_id: String,
    scan_id: String,
    inbox_id: String,
    letter: Vec<u8>,
}

async fn setup(config: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), Some(config)).unwrap();
    let mut c = clients(&server).await;
    create_case(&mut c, CASE, "Nord").await;
    create_case(&mut c, OTHER_CASE, "Nord").await;
    let letter = akte_extract::fixtures::text_pdf(&[
        "Bescheid über die Mietkostenübernahme",
        "Die Kosten der Unterkunft werden übernommen.",
    ]);
    let mut h = header(CASE, "application/pdf", "bescheid.pdf");
    h.title = "Bescheid Mietkosten".into();
    let letter_id = upload(&mut c, h, &letter).await.unwrap().document_id;
    let scan = akte_extract::fixtures::letter_png(&["Antrag auf Weiterbewilligung"], 100);
    let mut h = header(CASE, "image/png", "scan.png");
    h.title = "Scan Weiterbewilligung".into();
    let scan_id = upload(&mut c, h, &scan).await.unwrap().document_id;
    let mut h = header("", "text/plain", "brief.txt");
    h.title = "Brief ohne Aktenzeichen".into();
    h.site = "Nord".into();
    let inbox_id = upload(&mut c, h, "Ein Schreiben ohne Nummer.".as_bytes())
        .await
        .unwrap()
        .document_id;
    wait_found(&mut c, "Mietkostenübernahme", &letter_id).await;
    Setup {
        server,
        _dir: dir,
        letter_id,
        scan_id,
        inbox_id,
        letter,
    }
}

/// Logs `browser` in with `token` through the login form.
async fn log_in(browser: &Client, web: &str, token: &str) {
    browser.goto(&format!("{web}/login")).await.unwrap();
    wait_for(browser, "#token")
        .await
        .send_keys(token)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(browser, "#q").await;
}

#[tokio::test]
async fn caseworker_and_employer_in_the_browser() {
    let s = setup("[ocr]\nmode = \"off\"\n[web]\nlink_requests_per_minute = 100000\n").await;
    let web = s.server.web_url().unwrap();
    let anna = s
        .server
        .token(&["--sub", "anna", "--role", "caseworker", "--site", "Nord"])
        .unwrap();
    let b = Browser::start().await;

    // Login page: accessible, reachable by keyboard.
    b.goto(&format!("{web}/login")).await.unwrap();
    wait_for(&b, "#token").await;
    assert_accessible(&b, "login").await;
    assert!(keyboard_reaches(&b, "#login-submit").await);
    shot(&b, "login").await;
    log_in(&b, &web, &anna).await;
    let session = cookie(&b, "akte_session").await;
    assert!(session.http_only && session.secure, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Strict"));

    // Search a German word (an inflected form finds it too).
    let q = wait_for(&b, "#q").await;
    q.send_keys("Mietkostenübernahme").await.unwrap();
    b.find(Locator::Css("#search-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, ".hit").await;
    assert!(text_of(&b, "#treffer").await.starts_with("1 Treffer"));
    assert!(text_of(&b, ".hit .snippet")
        .await
        .contains("Mietkostenübernahme"));
    assert_eq!(text_of(&b, ".hit a.case-link").await, CASE);
    assert_accessible(&b, "search results").await;
    assert!(keyboard_reaches(&b, "a.doc-link").await);
    shot(&b, "search").await;

    // The document: viewed inline, with the server's page previews.
    b.find(Locator::Css("a.doc-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&b, "iframe#viewer").await;
    wait_until(
        &b,
        "document.querySelector('ol.pages img').complete && document.querySelector('ol.pages img').naturalWidth > 100",
        "the first page's preview shows",
    )
    .await;
    assert!(b.source().await.unwrap().contains(&s.letter_id));
    assert_accessible(&b, "document").await;
    assert!(keyboard_reaches(&b, "#download").await);
    assert!(keyboard_reaches(&b, "#move-note").await);
    shot(&b, "document").await;

    // The scanned document: the image itself.
    b.goto(&format!("{web}/documents/{}", s.scan_id))
        .await
        .unwrap();
    wait_until(
        &b,
        "document.querySelector('img#viewer').complete && document.querySelector('img#viewer').naturalWidth > 100",
        "the scan shows",
    )
    .await;
    assert_accessible(&b, "scanned document").await;

    // The case: documents newest first, upload with the progress bar.
    b.goto(&format!("{web}/cases/{CASE}")).await.unwrap();
    wait_for(&b, "tr.document").await;
    assert_eq!(
        b.find_all(Locator::Css("tr.document")).await.unwrap().len(),
        2
    );
    assert_accessible(&b, "case").await;
    assert!(keyboard_reaches(&b, "#upload-file").await);
    assert!(keyboard_reaches(&b, "#share-submit").await);
    shot(&b, "case").await;
    let file = s._dir.path().join("nachweis.pdf");
    std::fs::write(
        &file,
        akte_extract::fixtures::text_pdf(&["Nachweis über Einkommen"]),
    )
    .unwrap();
    wait_for(&b, "#upload-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    wait_for(&b, "#upload-title")
        .await
        .send_keys("Einkommensnachweis")
        .await
        .unwrap();
    b.find(Locator::Css("#upload-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        &b,
        "document.getElementById('upload-progress') && document.getElementById('upload-progress').value === 100 && document.getElementById('upload-status').textContent.indexOf('Gespeichert') === 0",
        "the upload finishes with the bar full",
    )
    .await;
    // The page reloads with the new document on it.
    wait_until(
        &b,
        "document.querySelectorAll('tr.document').length === 3",
        "the uploaded document is listed",
    )
    .await;
    let mut c = clients(&s.server).await;
    let docs = list_documents(&mut c, CASE).await;
    assert!(docs
        .iter()
        .any(|d| d.title == "Einkommensnachweis" && d.source == "web"));

    // The inbox: the unfiled scan, filed into the case in the row itself.
    b.goto(&format!("{web}/inbox?site=Nord")).await.unwrap();
    wait_for(&b, "tr.inbox-document").await;
    assert_accessible(&b, "inbox").await;
    assert!(keyboard_reaches(&b, "tr.inbox-document input[name=case_number]").await);
    shot(&b, "inbox").await;
    wait_for(&b, &format!("#case-{}", s.inbox_id))
        .await
        .send_keys(OTHER_CASE)
        .await
        .unwrap();
    b.find(Locator::XPath(&format!(
        "//input[@id='case-{}']/following-sibling::button",
        s.inbox_id
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    assert!(text_of(&b, "p.ok").await.contains(OTHER_CASE));
    assert!(list_documents(&mut c, OTHER_CASE)
        .await
        .iter()
        .any(|d| d.document_id == s.inbox_id));

    // A share link with the letter only.
    b.goto(&format!("{web}/cases/{CASE}")).await.unwrap();
    wait_for(&b, &format!("#share-doc-{}", s.letter_id))
        .await
        .click()
        .await
        .unwrap();
    wait_for(&b, "#share-recipient")
        .await
        .send_keys("Bäckerei Schmidt")
        .await
        .unwrap();
    b.find(Locator::Css("#share-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let url = wait_for(&b, "#share-url")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(url.starts_with(&format!("{web}/s/")), "{url}");
    wait_until(
        &b,
        "document.getElementById('share-qr').complete && document.getElementById('share-qr').naturalWidth > 100",
        "the QR code shows",
    )
    .await;
    // The QR code on the page holds exactly that link.
    let src = wait_for(&b, "#share-qr")
        .await
        .attr("src")
        .await
        .unwrap()
        .unwrap();
    let png = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        src.strip_prefix("data:image/png;base64,").unwrap(),
    )
    .unwrap();
    let mut qr = rqrr::PreparedImage::prepare(image::load_from_memory(&png).unwrap().to_luma8());
    let grids = qr.detect_grids();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].decode().unwrap().1, url);
    assert_accessible(&b, "case with a new share link").await;
    // Reloading the page makes no second link and no longer shows this one.
    b.refresh().await.unwrap();
    wait_for(&b, "tr.share").await;
    assert!(b.find(Locator::Css("#share-url")).await.is_err());
    assert_eq!(b.find_all(Locator::Css("tr.share")).await.unwrap().len(), 1);
    shot(&b, "share").await;

    // The employer, on a phone, in a browser of their own.
    let employer = Browser::mobile().await;
    employer.goto(&url).await.unwrap();
    wait_for(&employer, "li.shared-document").await;
    let listed = employer
        .find_all(Locator::Css("li.shared-document a"))
        .await
        .unwrap();
    assert_eq!(listed.len(), 1, "exactly the shared documents");
    assert_eq!(listed[0].text().await.unwrap(), "Bescheid Mietkosten");
    let page = employer.source().await.unwrap();
    assert!(!page.contains("Scan Weiterbewilligung") && !page.contains(CASE));
    assert_accessible(&employer, "share page").await;
    assert!(keyboard_reaches(&employer, "li.shared-document a").await);
    shot(&employer, "shared").await;
    let href = listed[0].attr("href").await.unwrap().unwrap();
    let http = reqwest::Client::new();
    let bytes = http
        .get(format!("{web}{href}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], &s.letter[..], "the shared document, verified");

    // Revoked on the case page: 410 and nothing else.
    b.goto(&format!("{web}/cases/{CASE}")).await.unwrap();
    b.find(Locator::Css("tr.share form button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        &b,
        "[...document.querySelectorAll('tr.share')].some(r => r.textContent.includes('widerrufen'))",
        "the link is listed as revoked",
    )
    .await;
    employer.refresh().await.unwrap();
    wait_for(&employer, "h1").await;
    assert_eq!(text_of(&employer, "h1").await, "Link nicht mehr gültig");
    assert!(!employer
        .source()
        .await
        .unwrap()
        .contains("Bescheid Mietkosten"));
    let res = http.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 410);
    let res = http.get(format!("{web}{href}")).send().await.unwrap();
    assert_eq!(res.status(), 410);
    assert_accessible(&employer, "revoked link").await;

    // A link that expires: 410 once its time is up.
    let mut shares = ShareServiceClient::new(s.server.channel().await.unwrap());
    let soon = SystemTime::now() + Duration::from_secs(3);
    let created = shares
        .create_share(pb::CreateShareRequest {
            case_number: CASE.into(),
            document_ids: vec![s.letter_id.clone()],
            recipient: "Pflegedienst Nord".into(),
            expires_at: Some(prost_types::Timestamp::from(soon)),
            purpose: pb::SharePurpose::Documents as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let expiring = format!("{web}{}", created.path);
    assert_eq!(http.get(&expiring).send().await.unwrap().status(), 200);
    wait_for_condition("the link expires", || async {
        http.get(&expiring).send().await.unwrap().status() == 410
    })
    .await;
    employer.goto(&expiring).await.unwrap();
    assert_eq!(text_of(&employer, "h1").await, "Link nicht mehr gültig");

    // The status page of the case, from a status link.
    let status = shares
        .create_share(pb::CreateShareRequest {
            case_number: CASE.into(),
            document_ids: vec![],
            recipient: "Erika Mustermann".into(),
            expires_at: Some(prost_types::Timestamp::from(
                SystemTime::now() + Duration::from_secs(3600),
            )),
            purpose: pb::SharePurpose::Status as i32,
        })
        .await
        .unwrap()
        .into_inner();
    employer
        .goto(&format!("{web}{}", status.path))
        .await
        .unwrap();
    assert_eq!(text_of(&employer, "#status").await, "Eingegangen");
    assert!(!employer
        .source()
        .await
        .unwrap()
        .contains("Bescheid Mietkosten"));
    assert_accessible(&employer, "status page").await;
    shot(&employer, "status").await;

    // Logout ends the session.
    b.goto(&format!("{web}/search")).await.unwrap();
    wait_for(&b, "form.logout button")
        .await
        .click()
        .await
        .unwrap();
    wait_for(&b, "#token").await;
    b.goto(&format!("{web}/cases/{CASE}")).await.unwrap();
    wait_for(&b, "#token").await;

    employer.close().await;
    b.close().await;
}

#[tokio::test]
async fn newcomer_logs_in_with_the_printed_link_and_finds_a_document() {
    let s = setup("[ocr]\nmode = \"off\"\n[web]\nlink_requests_per_minute = 100000\n").await;
    let b = Browser::start().await;
    // 1: open the printed link, 2: log in.
    b.goto(&s.server.login_link().unwrap()).await.unwrap();
    assert_accessible(&b, "one-time login").await;
    wait_for(&b, "#code-login").await.click().await.unwrap();
    // 3: type a German word and press Enter.
    wait_for(&b, "#q")
        .await
        .send_keys("Mietkostenübernahme\u{E007}")
        .await
        .unwrap();
    wait_for(&b, ".hit a.doc-link").await;
    assert_eq!(text_of(&b, ".hit a.doc-link").await, "Bescheid Mietkosten");
    assert!(text_of(&b, "header form.logout span")
        .await
        .contains("Administration"));
    // The link logs in once only.
    let again = Browser::start().await;
    again.goto(&s.server.login_link().unwrap()).await.unwrap();
    wait_for(&again, "#code-login").await.click().await.unwrap();
    assert!(text_of(&again, "p.error")
        .await
        .contains("abgelaufen oder wurde schon benutzt"));
    // The administrator does not read the access log; an auditor does,
    // verified.
    let web = s.server.web_url().unwrap();
    b.goto(&format!("{web}/audit")).await.unwrap();
    assert_eq!(text_of(&b, "h1").await, "Nicht erlaubt");
    let auditor = s
        .server
        .token(&["--sub", "dsb", "--role", "auditor"])
        .unwrap();
    log_in(&again, &web, &auditor).await;
    again
        .goto(&format!("{web}/audit?principal=admin:admin"))
        .await
        .unwrap();
    assert!(text_of(&again, "#verification")
        .await
        .starts_with("Unverändert"));
    wait_for(&again, "tr.record").await;
    assert!(
        again
            .source()
            .await
            .unwrap()
            .contains("Mietkostenübernahme"),
        "the search is logged with its words"
    );
    assert_accessible(&again, "access log").await;
    assert!(keyboard_reaches(&again, "form.filters button").await);
    shot(&again, "audit").await;
    again.close().await;
    b.close().await;
}

//! The web interface's defences, over plain HTTP: forms without the right
//! forgery token change nothing; session cookies carry their flags; a
//! caseworker of another site cannot open a case or a document by guessing
//! its address; share tokens are never stored or logged in plain text;
//! links are rate-limited; `/metrics` counts gRPC and web requests.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, SystemTime};

use akte_e2e::Server;
use akte_proto::v1 as pb;
use akte_proto::v1::audit_service_client::AuditServiceClient;
use akte_proto::v1::share_service_client::ShareServiceClient;
use common::*;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

const CASE: &str = "12345BG0000001";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of the `name="csrf"` field of a page.
fn csrf_of(html: &str) -> String {
    let start = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a csrf field")
        + 19;
    html[start..].split('"').next().unwrap().to_owned()
}

/// The `Set-Cookie` header for cookie `name`.
fn set_cookie(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no cookie {name}"))
}

fn value_of(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

/// A logged-in browser, as far as the server can tell.
struct Web {
    base: String,
    cookie: String,
    csrf: String,
}

impl Web {
    async fn login(base: &str, token: &str) -> Self {
        let h = http();
        let page = h.get(format!("{base}/login")).send().await.unwrap();
        let login_cookie = value_of(&set_cookie(&page, "akte_login"));
        let form_csrf = csrf_of(&page.text().await.unwrap());
        // Without the cookie, or with another token than the cookie's: refused.
        for (cookie, csrf) in [
            (String::new(), form_csrf.clone()),
            (format!("akte_login={login_cookie}"), "falsch".to_owned()),
        ] {
            let res = h
                .post(format!("{base}/login"))
                .header(COOKIE, cookie)
                .form(&[("csrf", csrf.as_str()), ("token", token)])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN);
            assert!(res
                .headers()
                .get_all(SET_COOKIE)
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("akte_session=")));
        }
        let res = h
            .post(format!("{base}/login"))
            .header(COOKIE, format!("akte_login={login_cookie}"))
            .form(&[("csrf", form_csrf.as_str()), ("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let session = set_cookie(&res, "akte_session");
        for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
            assert!(session.contains(flag), "{session}");
        }
        let cookie = format!("akte_session={}", value_of(&session));
        let search = h
            .get(format!("{base}/search"))
            .header(COOKIE, &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(search.status(), StatusCode::OK);
        let csrf = csrf_of(&search.text().await.unwrap());
        Self {
            base: base.to_owned(),
            cookie,
            csrf,
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        http()
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        http()
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

async fn server_with_case(config: &str) -> (tempfile::TempDir, Server, Clients, String) {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(&dir.path().join("data"), Some(config)).unwrap();
    let mut c = clients(&server).await;
    create_case(&mut c, CASE, "Nord").await;
    let mut h = header(CASE, "text/plain", "bescheid.txt");
    h.title = "Bescheid Mietkosten".into();
    let id = upload(
        &mut c,
        h,
        "Bescheid über die Mietkostenübernahme".as_bytes(),
    )
    .await
    .unwrap()
    .document_id;
    wait_found(&mut c, "Mietkostenübernahme", &id).await;
    (dir, server, c, id)
}

#[tokio::test]
async fn forms_without_the_forgery_token_change_nothing() {
    let (_dir, server, mut c, id) = server_with_case("[ocr]\nmode = \"off\"\n").await;
    let anna = server
        .token(&["--sub", "anna", "--role", "caseworker", "--site", "Nord"])
        .unwrap();
    let web = Web::login(&server.web_url().unwrap(), &anna).await;
    let mut inbox = header("", "text/plain", "brief.txt");
    inbox.site = "Nord".into();
    let waiting = upload(&mut c, inbox, b"Ein Brief")
        .await
        .unwrap()
        .document_id;
    for csrf in ["", "falsch"] {
        let refused = [
            web.post("/logout", &[("csrf", csrf)]).await,
            web.post(
                &format!("/inbox/{waiting}/assign"),
                &[("csrf", csrf), ("case_number", CASE), ("site", "Nord")],
            )
            .await,
            web.post(
                &format!("/documents/{id}/move"),
                &[("csrf", csrf), ("case_number", CASE), ("note", "x")],
            )
            .await,
            web.post(
                &format!("/cases/{CASE}/shares"),
                &[
                    ("csrf", csrf),
                    ("kind", "documents"),
                    ("recipient", "Firma"),
                    ("days", "3"),
                    ("document", &id),
                ],
            )
            .await,
            web.post(
                &format!("/cases/{CASE}/reason"),
                &[
                    ("csrf", csrf),
                    ("reason_code", "vertretung"),
                    ("reason", "x"),
                ],
            )
            .await,
            http()
                .post(format!("{}/cases/{CASE}/documents", web.base))
                .header(COOKIE, &web.cookie)
                .header("X-CSRF-Token", csrf)
                .header("Content-Type", "text/plain")
                .body("Neuer Text")
                .send()
                .await
                .unwrap(),
        ];
        for res in refused {
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{}", res.url());
        }
    }
    // Nothing changed: still logged in, the letter still waits in the inbox,
    // no link, no new document.
    assert_eq!(web.get("/search").await.status(), StatusCode::OK);
    assert_eq!(list_documents(&mut c, CASE).await.len(), 1);
    let mut shares = ShareServiceClient::new(server.channel().await.unwrap());
    let listed = shares
        .list_shares(pb::ListSharesRequest {
            case_number: CASE.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(listed.shares.is_empty());
    // With the token the same form works.
    let res = web
        .post(
            &format!("/inbox/{waiting}/assign"),
            &[("csrf", &web.csrf), ("case_number", CASE), ("site", "Nord")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(list_documents(&mut c, CASE).await.len(), 2);
    // And moving a document into another case, with a note.
    create_case(&mut c, "12345BG0000009", "Nord").await;
    let res = web
        .post(
            &format!("/documents/{waiting}/move"),
            &[
                ("csrf", &web.csrf),
                ("case_number", "12345BG0000009"),
                ("note", "gehört zur Akte der Tochter"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let moved = list_documents(&mut c, "12345BG0000009").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0].document_id, waiting);
    // The printable card of a link: only with the token, only for links of
    // this service.
    let url = format!("{}/s/abc", web.base);
    let card = [
        ("url", url.as_str()),
        ("recipient", "Firma"),
        ("expires", "morgen"),
    ];
    let mut form = card.to_vec();
    form.push(("csrf", "falsch"));
    assert_eq!(
        web.post("/shares/card.pdf", &form).await.status(),
        StatusCode::FORBIDDEN
    );
    let mut form = card.to_vec();
    form.push(("csrf", &web.csrf));
    let res = web.post("/shares/card.pdf", &form).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    let elsewhere = [
        ("url", "https://elsewhere.example/s/abc"),
        ("csrf", web.csrf.as_str()),
    ];
    assert_eq!(
        web.post("/shares/card.pdf", &elsewhere).await.status(),
        StatusCode::BAD_REQUEST
    );
    let res = web.post("/logout", &[("csrf", &web.csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let after = web.get("/search").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn another_sites_caseworker_cannot_open_a_case_or_document_by_its_address() {
    let (_dir, server, _c, id) = server_with_case("[ocr]\nmode = \"off\"\n").await;
    let base = server.web_url().unwrap();
    let bernd = server
        .token(&["--sub", "bernd", "--role", "caseworker", "--site", "Süd"])
        .unwrap();
    let web = Web::login(&base, &bernd).await;
    let case = web.get(&format!("/cases/{CASE}")).await;
    assert_eq!(case.status(), StatusCode::FORBIDDEN);
    let body = case.text().await.unwrap();
    assert!(!body.contains("Bedarfsgemeinschaft") && !body.contains("Bescheid Mietkosten"));
    let missing = web.get("/cases/99999BG9999999").await;
    assert_eq!(
        missing.status(),
        StatusCode::FORBIDDEN,
        "the same answer as for a missing case"
    );
    let unknown_doc = "01JAAAAAAAAAAAAAAAAAAAAAAA";
    for path in [
        format!("/documents/{id}"),
        format!("/documents/{id}/content"),
        format!("/documents/{id}/download"),
        format!("/documents/{id}/pages/1"),
        format!("/documents/{unknown_doc}"),
    ] {
        let res = web.get(&path).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("Mietkosten"), "{path}: {body}");
    }
    let search = web.get("/search?q=Mietkosten%C3%BCbernahme").await;
    assert!(search.text().await.unwrap().contains("0 Treffer"));
    // With a stated reason (the reference rules allow reading other sites'
    // cases then), the case opens, and the log has the reason.
    let res = web
        .post(
            &format!("/cases/{CASE}/reason"),
            &[
                ("csrf", &web.csrf),
                ("reason_code", "vertretung"),
                ("reason", "Urlaubsvertretung Team Nord"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let case = web.get(&format!("/cases/{CASE}")).await;
    assert_eq!(case.status(), StatusCode::OK);
    assert!(case.text().await.unwrap().contains("Bescheid Mietkosten"));
    let doc = web
        .get(&format!("/documents/{id}/download?case={CASE}"))
        .await;
    assert_eq!(doc.status(), StatusCode::OK);
    // Reached without its case, a document asks for its own reason.
    let doc = web.get(&format!("/documents/{id}")).await;
    assert_eq!(doc.status(), StatusCode::FORBIDDEN);
    assert!(doc.text().await.unwrap().contains("Mit Grund öffnen"));
    let auditor = server
        .token(&["--sub", "dsb", "--role", "auditor"])
        .unwrap();
    let mut audit = AuditServiceClient::new(server.channel_as(&auditor).await.unwrap());
    let records = audit
        .list_access_records(pb::ListAccessRecordsRequest {
            principal: "caseworker:bernd".into(),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(records.iter().any(|r| r.document_id == id
        && r.decision == "allowed"
        && r.reason
            .as_ref()
            .is_some_and(|x| x.text == "Urlaubsvertretung Team Nord")));
    // The reason is for that case only.
    assert!(web
        .get("/search?q=Mietkosten%C3%BCbernahme")
        .await
        .text()
        .await
        .unwrap()
        .contains("0 Treffer"));
    // Without a login: to the login page, nothing else.
    let res = http()
        .get(format!("{base}/documents/{id}/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/login");
    // A made-up session cookie is no login either.
    let res = http()
        .get(format!("{base}/cases/{CASE}"))
        .header(COOKIE, "akte_session=erfunden")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

/// Every file below `dir`, read whole.
fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    files_below(dir)
        .into_iter()
        .filter(|p| {
            std::fs::read(p).is_ok_and(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
        })
        .collect()
}

#[tokio::test]
async fn share_tokens_are_never_stored_or_logged_and_links_are_rate_limited() {
    let (_dir, server, _c, id) =
        server_with_case("[ocr]\nmode = \"off\"\n[web]\nlink_requests_per_minute = 4\n").await;
    let base = server.web_url().unwrap();
    let mut shares = ShareServiceClient::new(server.channel().await.unwrap());
    let created = shares
        .create_share(pb::CreateShareRequest {
            case_number: CASE.into(),
            document_ids: vec![id.clone()],
            recipient: "Bäckerei Schmidt".into(),
            expires_at: Some(prost_types::Timestamp::from(
                SystemTime::now() + Duration::from_secs(3600),
            )),
            purpose: pb::SharePurpose::Documents as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let token = created.token.clone();
    assert!(token.len() >= 43, "at least 256 bits");
    let share_id = created.share.unwrap().share_id;
    let h = http();
    let page = h
        .get(format!("{base}{}", created.path))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["referrer-policy"], "no-referrer");
    let download = h
        .get(format!("{base}{}/{id}", created.path))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), StatusCode::OK);
    // Two more within the minute are allowed, then 429.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            h.get(format!("{base}{}", created.path))
                .send()
                .await
                .unwrap()
                .status(),
        );
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // The access log names the link by its id, never by its token.
    let auditor = server
        .token(&["--sub", "dsb", "--role", "auditor"])
        .unwrap();
    let mut audit = AuditServiceClient::new(server.channel_as(&auditor).await.unwrap());
    let records = audit
        .list_access_records(pb::ListAccessRecordsRequest {
            principal: format!("share:{share_id}"),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(records.len() >= 2, "{records:?}");
    assert!(records.iter().any(|r| r.document_id == id));
    assert!(!format!("{records:?}").contains(&token));
    // Nor do the metrics, nor any file of the data directory.
    let metrics = h
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains(&token));
    assert!(metrics.contains("method=\"GET /s/{token}\""), "{metrics}");
    assert_eq!(
        files_containing(&server.data_dir, token.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );
}

#[tokio::test]
async fn metrics_count_grpc_and_web_requests() {
    let (_dir, server, _c, _id) = server_with_case("[ocr]\nmode = \"off\"\n").await;
    let base = server.web_url().unwrap();
    let h = http();
    assert_eq!(
        h.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        h.get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let text = h
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "akte_requests_total{interface=\"grpc\",method=\"akte.v1.CaseService/CreateCase\",code=\"OK\"} 1",
        "akte_requests_total{interface=\"grpc\",method=\"akte.v1.DocumentService/UploadDocument\",code=\"OK\"} 1",
        "akte_requests_total{interface=\"web\",method=\"GET /healthz\",code=\"200\"} 1",
        "akte_upload_bytes_total 39",
        "akte_queue_length{queue=\"index\"} 0",
        "akte_disk_free_bytes{dir=\"data\"}",
        "akte_request_duration_seconds_bucket",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
}

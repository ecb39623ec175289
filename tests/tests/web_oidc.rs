//! Logging in to the web interface at a real OpenID Connect provider
//! (`oidc-provider` from npm, on the machine's Node, on 127.0.0.1) in a real
//! browser: the authorization-code flow with PKCE ends on the search page
//! as the person the provider names, with the role and sites its claims
//! map to, behind an HttpOnly, Secure, SameSite=Strict session cookie. A
//! person without a role of this service, a callback this browser did not
//! begin and one with an altered code are refused on the login page,
//! without a session.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use akte_e2e::browser::{assert_accessible, cookie, cookies, wait_for, wait_until, Browser};
use akte_e2e::Server;
use fantoccini::Client;
use serde_json::json;

/// The client id of akte's web interface at the provider.
const CLIENT_ID: &str = "akte-web";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// The provider, killed when dropped.
struct Provider {
    child: Child,
    port: u16,
}

impl Provider {
    /// Starts the provider on `port` with the clients and accounts written
    /// to `dir`.
    fn start(dir: &Path, port: u16) -> Self {
        assert!(
            fixture().join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is missing: run `AKTE_SETUP_TESTS=1 . scripts/setup.sh` \
             (or `npm ci` in tests/oidc)"
        );
        let mut child = Command::new("node")
            .arg(fixture().join("provider.mjs"))
            .arg(dir)
            .arg(port.to_string())
            .arg("1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node (Node.js) is needed for this test");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        out.read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready", "the provider did not start");
        // Whatever it prints later goes to the test's output; its stdout
        // stays open (a closed pipe would end the provider).
        std::thread::spawn(move || {
            for line in out.lines() {
                let Ok(line) = line else { break };
                eprintln!("provider: {line}");
            }
        });
        Self { child, port }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Goes from akte's login page to the provider's and logs in there as
/// `login` (the provider's development form takes any password).
async fn log_in_at_provider(browser: &Client, web: &str, issuer: &str, login: &str) {
    browser.goto(&format!("{web}/login")).await.unwrap();
    wait_for(browser, "#oidc-login")
        .await
        .click()
        .await
        .unwrap();
    wait_for(browser, "input[name=login]")
        .await
        .send_keys(login)
        .await
        .unwrap();
    let at = browser.current_url().await.unwrap();
    assert!(
        at.as_str().starts_with(issuer),
        "the login form is not the provider's: {at}"
    );
    browser
        .find(fantoccini::Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys("beliebig")
        .await
        .unwrap();
    browser
        .find(fantoccini::Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The text of the login page's error message, once it shows one.
async fn login_error(browser: &Client) -> String {
    wait_for(browser, "p.error[role=alert]")
        .await
        .text()
        .await
        .unwrap()
}

/// Fails if the browser holds a session cookie of akte.
async fn assert_no_session(browser: &Client, after: &str) {
    let names: Vec<String> = cookies(browser).await.into_iter().map(|c| c.name).collect();
    assert!(
        !names.iter().any(|n| n == "akte_session"),
        "{after}: the browser got a session cookie ({names:?})"
    );
}

#[tokio::test]
async fn login_at_the_provider_maps_its_claims_and_refuses_what_does_not_fit() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("provider");
    std::fs::create_dir_all(&keys).unwrap();
    // The redirect URI is registered before akte starts: the web interface
    // gets a port chosen here.
    let web_port = free_port();
    let web = format!("http://127.0.0.1:{web_port}");
    let clients = json!([
        {"client_id": CLIENT_ID, "redirect_uris": [format!("{web}/login/callback")]}
    ]);
    std::fs::write(keys.join("clients.json"), clients.to_string()).unwrap();
    let accounts = json!({
        "anna": {
            "preferred_username": "anna.schmidt", "name": "Anna Schmidt",
            "sites": ["Nord"], "groups": ["/akte/nord"],
            "realm_access": {"roles": ["offline_access", "akte-sachbearbeitung"]}
        },
        "gast": {
            "preferred_username": "gast", "name": "Gast",
            "sites": ["Nord"],
            "realm_access": {"roles": ["offline_access"]}
        }
    });
    std::fs::write(keys.join("accounts.json"), accounts.to_string()).unwrap();
    let provider = Provider::start(&keys, free_port());
    let issuer = provider.issuer();
    let config = format!(
        "[ocr]\nmode = \"off\"\n\
         [auth]\nissuer = \"{issuer}\"\n\
         [auth.roles]\n\"akte-sachbearbeitung\" = \"caseworker\"\n\
         [web]\noidc_client_id = \"{CLIENT_ID}\"\n"
    );
    let server = Server::start_with_web_listen(
        &dir.path().join("data"),
        Some(&config),
        &format!("127.0.0.1:{web_port}"),
    )
    .unwrap();
    assert_eq!(server.web_url().unwrap(), web);

    // A caseworker of Nord.
    let browser = Browser::start().await;
    browser.goto(&format!("{web}/login")).await.unwrap();
    wait_for(&browser, "#oidc-login").await;
    assert_accessible(&browser, "Anmeldeseite mit Anmeldedienst").await;
    log_in_at_provider(&browser, &web, &issuer, "anna").await;
    wait_until(
        &browser,
        &format!("location.origin === '{web}' && location.pathname === '/search'"),
        "back on akte's search page after the login at the provider",
    )
    .await;
    let who = wait_for(&browser, "header form.logout span")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(who, "anna.schmidt (Sachbearbeitung)");
    // Her site from the provider's claims: its inbox is in the navigation.
    let nav = wait_for(&browser, "header nav").await.text().await.unwrap();
    assert!(nav.contains("Posteingang Nord"), "{nav}");
    let session = cookie(&browser, "akte_session").await;
    assert!(session.http_only, "{session:?}");
    assert!(session.secure, "{session:?}");
    assert_eq!(session.same_site.as_deref(), Some("Strict"), "{session:?}");
    // The cookie of the login in flight is gone with it.
    browser.goto(&format!("{web}/login")).await.unwrap();
    wait_until(
        &browser,
        "location.pathname === '/search'",
        "a logged-in browser is sent from the login page to the search",
    )
    .await;
    let left: Vec<String> = cookies(&browser)
        .await
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(!left.iter().any(|n| n == "akte_oidc"), "{left:?}");
    browser.close().await;

    // A fresh browser: no session at akte nor at the provider.
    let browser = Browser::start().await;

    // A callback this browser did not begin.
    browser
        .goto(&format!("{web}/login/callback?code=x&state=wrong"))
        .await
        .unwrap();
    let e = login_error(&browser).await;
    assert!(e.contains("nicht in diesem Browser begonnen"), "{e}");
    assert_no_session(&browser, "a forged callback").await;

    // A callback of a login this browser began, with an altered code: the
    // provider does not confirm it.
    browser.goto(&format!("{web}/login")).await.unwrap();
    wait_for(&browser, "#oidc-login")
        .await
        .click()
        .await
        .unwrap();
    wait_for(&browser, "input[name=login]").await;
    browser.goto(&format!("{web}/login")).await.unwrap();
    let state = cookie(&browser, "akte_oidc").await.value;
    browser
        .goto(&format!(
            "{web}/login/callback?code=ein-anderer-code&state={state}"
        ))
        .await
        .unwrap();
    let e = login_error(&browser).await;
    assert!(e.contains("Anmeldecode nicht bestätigt"), "{e}");
    assert_no_session(&browser, "an altered code").await;
    // Its attempt is used up: the same state does not come again.
    browser
        .goto(&format!(
            "{web}/login/callback?code=noch-einer&state={state}"
        ))
        .await
        .unwrap();
    let e = login_error(&browser).await;
    assert!(e.contains("abgelaufen"), "{e}");
    assert_no_session(&browser, "a used state").await;

    // A person the provider knows, without a role of this service.
    log_in_at_provider(&browser, &web, &issuer, "gast").await;
    wait_until(
        &browser,
        &format!("location.origin === '{web}' && location.pathname === '/login/callback'"),
        "back at akte after the login at the provider",
    )
    .await;
    let e = login_error(&browser).await;
    assert!(
        e.contains("Anmeldung nicht möglich") && e.contains("keine Rolle"),
        "{e}"
    );
    assert_accessible(&browser, "Anmeldeseite mit Fehlermeldung").await;
    assert_no_session(&browser, "a person without a role").await;
    browser.goto(&format!("{web}/search")).await.unwrap();
    wait_until(
        &browser,
        "location.pathname === '/login'",
        "the search page sends a browser without a session to the login",
    )
    .await;
    browser.close().await;
}

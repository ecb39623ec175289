//! A real headless browser for the tests of the web UI: Debian's Chromium,
//! driven over WebDriver by its `chromedriver` (through `fantoccini`), with
//! the checks every page gets: accessibility by axe-core (WCAG 2.1 A and AA),
//! reachability by keyboard, cookie flags, and screenshots.
//!
//! Chromium, chromedriver and axe-core come from
//! `AKTE_SETUP_TESTS=1 scripts/setup.sh`; where one is missing, the test
//! fails and says so. The functions here are for tests: they panic with a
//! readable message when the browser fails.
//!
//! ```no_run
//! # async fn page() {
//! use akte_e2e::browser::{assert_accessible, keyboard_reaches, Browser};
//! let browser = Browser::start().await;
//! browser.goto("http://127.0.0.1:8080/").await.expect("page");
//! assert_accessible(&browser, "Startseite").await;
//! assert!(keyboard_reaches(&browser, "button[type=submit]").await);
//! # }
//! ```

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde::Deserialize;
use serde_json::{json, Value};

/// Debian's Chromium (`chromium`).
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's WebDriver server for it (`chromium-driver`).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long the waits of this module wait at most: for chromedriver and the
/// browser to start, for an element or a condition.
pub const WAIT: Duration = Duration::from_secs(30);
/// What pages get of the window of [`Browser::start`]: a laptop screen.
pub const DESKTOP: (u32, u32) = (1280, 900);
/// The screen of [`Browser::mobile`]: a phone, in CSS pixels.
pub const PHONE: (u32, u32) = (390, 844);
/// The most Tab presses [`keyboard_reaches`] and [`tab_order`] make.
pub const MAX_TABS: usize = 200;
/// The rules [`axe`] checks: the axe-core tags of WCAG 2.0 and 2.1, levels A
/// and AA.
pub const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

const SETUP: &str = "AKTE_SETUP_TESTS=1 scripts/setup.sh";

/// A headless Chromium with a fresh profile, driven by its own chromedriver
/// on a free loopback port. It accepts self-signed TLS certificates, prefers
/// German (`de-DE`) and hides scrollbars (screenshots without them).
/// Dereferences to the [`Client`] that drives it. Dropping it ends the
/// browser and chromedriver and removes the profile.
pub struct Browser {
    client: Client,
    driver: Child,
    port: u16,
    session: Option<String>,
    browser_pid: Option<u32>,
    profile: tempfile::TempDir,
}

impl Browser {
    /// A browser with a desktop window whose pages get [`DESKTOP`]
    /// (1280x900) pixels.
    pub async fn start() -> Browser {
        Self::launch(Screen::Window(DESKTOP.0, DESKTOP.1)).await
    }

    /// A browser with a window whose pages get `width` x `height` pixels.
    pub async fn with_window(width: u32, height: u32) -> Browser {
        Self::launch(Screen::Window(width, height)).await
    }

    /// A browser that shows pages as a phone does: a touch screen of
    /// [`PHONE`] (390x844) CSS pixels, and pages laid out by their viewport
    /// `<meta>` (without one, a page is laid out 980 pixels wide and shrunk,
    /// as on a real phone).
    pub async fn mobile() -> Browser {
        Self::launch(Screen::Phone(PHONE.0, PHONE.1)).await
    }

    async fn launch(screen: Screen) -> Browser {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).is_file(),
                "{path} is missing (Debian package {package}): install it with `{SETUP}`"
            );
        }
        let profile = tempfile::Builder::new()
            .prefix("akte-chromium-")
            .tempdir()
            .expect("a temporary directory for the browser profile");
        let (mut driver, port) = start_driver().await;
        if let Err(e) = wait_ready(port).await {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!("{e}");
        }
        let caps = capabilities(&screen, profile.path());
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let connected = tokio::time::timeout(
            WAIT,
            ClientBuilder::new(connector)
                .capabilities(caps)
                .connect(&format!("http://127.0.0.1:{port}")),
        )
        .await;
        let client = match connected {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver did not start Chromium ({CHROMIUM}): {e}");
            }
            Err(_) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("Chromium did not start within {WAIT:?}");
            }
        };
        if let Screen::Window(width, height) = screen {
            // --window-size sizes the whole window, whose (invisible) tab
            // strip and toolbar take part of it: grow it by them, so that
            // pages get the full size.
            let frame = client
                .execute(
                    "return [window.outerWidth - window.innerWidth, \
                             window.outerHeight - window.innerHeight];",
                    vec![],
                )
                .await
                .expect("reading the browser window's frame");
            let extra = |i: usize| {
                frame[i]
                    .as_u64()
                    .and_then(|v| u32::try_from(v).ok())
                    .unwrap_or(0)
            };
            client
                .set_window_size(width + extra(0), height + extra(1))
                .await
                .expect("sizing the browser window");
        }
        let session = client.session_id().await.ok().flatten();
        let browser_pid = client
            .capabilities()
            .and_then(|c| c.get("goog:processID"))
            .and_then(Value::as_u64)
            .and_then(|p| u32::try_from(p).ok());
        Browser {
            client,
            driver,
            port,
            session,
            browser_pid,
            profile,
        }
    }

    /// The client that drives the browser.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The profile directory of this browser (its own, removed on drop).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// Ends the WebDriver session (the browser quits), then chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if client.close().await.is_ok() {
            self.session = None;
        }
    }
}

impl Deref for Browser {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver quit the browser; killing
        // chromedriver alone would leave the browser running.
        if let Some(session) = self.session.take() {
            let _ = local_http_blocking(
                self.port,
                "DELETE",
                &format!("/session/{session}"),
                Duration::from_secs(10),
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Some(pid) = self.browser_pid {
            if process_running(pid, self.profile.path()) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
        }
    }
}

enum Screen {
    Window(u32, u32),
    Phone(u32, u32),
}

fn capabilities(screen: &Screen, profile: &Path) -> serde_json::Map<String, Value> {
    let (width, height) = match screen {
        Screen::Window(w, h) => (*w, *h),
        Screen::Phone(..) => DESKTOP,
    };
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        format!("--user-data-dir={}", profile.display()),
        format!("--window-size={width},{height}"),
        "--force-device-scale-factor=1".to_owned(),
        "--hide-scrollbars".to_owned(),
        "--lang=de-DE".to_owned(),
        "--no-first-run".to_owned(),
        "--no-default-browser-check".to_owned(),
        "--disable-extensions".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-domain-reliability".to_owned(),
        "--disable-sync".to_owned(),
        "--no-pings".to_owned(),
        "--disable-features=Translate,OptimizationHints,MediaRouter".to_owned(),
    ];
    let mut options = json!({
        "binary": CHROMIUM,
        "args": args,
        "prefs": { "intl.accept_languages": "de-DE,de" },
    });
    if let Screen::Phone(w, h) = screen {
        options["mobileEmulation"] = json!({
            "deviceMetrics": {
                "width": w,
                "height": h,
                "pixelRatio": 1.0,
                "touch": true,
                "mobile": true,
            }
        });
    }
    let caps = json!({
        "browserName": "chrome",
        "acceptInsecureCerts": true,
        "goog:chromeOptions": options,
    });
    match caps {
        Value::Object(map) => map,
        _ => unreachable!("capabilities are an object"),
    }
}

/// Starts chromedriver on a port of its choosing on 127.0.0.1 and reads the
/// port from its output; its further output goes to stderr.
async fn start_driver() -> (Child, u16) {
    let mut driver = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {CHROMEDRIVER}: {e} (install it with `{SETUP}`)"));
    let stdout = driver.stdout.take().expect("chromedriver's stdout");
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<u16, String>>();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        let mut banner = String::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.is_none() {
                eprintln!("chromedriver: {line}");
                continue;
            }
            let port = line
                .split_once("started successfully on port ")
                .and_then(|(_, p)| p.trim().trim_end_matches('.').parse::<u16>().ok());
            match port {
                Some(port) => {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(Ok(port));
                    }
                }
                None => {
                    banner.push_str(&line);
                    banner.push('\n');
                }
            }
        }
        if let Some(tx) = tx.take() {
            let _ = tx.send(Err(banner));
        }
    });
    let port = match tokio::time::timeout(WAIT, rx).await {
        Ok(Ok(Ok(port))) => port,
        Ok(Ok(Err(output))) => {
            let status = driver.wait();
            panic!("chromedriver exited ({status:?}) without naming its port:\n{output}");
        }
        Ok(Err(_)) => unreachable!("the reader of chromedriver's output always answers"),
        Err(_) => {
            let _ = driver.kill();
            let _ = driver.wait();
            panic!("chromedriver named no port within {WAIT:?}");
        }
    };
    (driver, port)
}

/// Waits until chromedriver's `/status` says it is ready for sessions.
async fn wait_ready(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + WAIT;
    let mut last;
    loop {
        let port_ = port;
        let answer = tokio::task::spawn_blocking(move || {
            local_http_blocking(port_, "GET", "/status", Duration::from_secs(5))
        })
        .await
        .map_err(|e| e.to_string())?;
        match answer {
            Ok(body) => {
                let status: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                if status["value"]["ready"] == Value::Bool(true) {
                    return Ok(());
                }
                last = body;
            }
            Err(e) => last = e.to_string(),
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "chromedriver on port {port} was not ready within {WAIT:?}: {last}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One HTTP/1.1 request without a body to 127.0.0.1:`port`; the body of the
/// answer.
fn local_http_blocking(
    port: u16,
    method: &str,
    path: &str,
    timeout: Duration,
) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&answer);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())
                    .flatten()
            });
            if length.is_some_and(|len| body.len() >= len) {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&answer).into_owned();
    match text.split_once("\r\n\r\n") {
        Some((_, body)) => Ok(body.to_owned()),
        None => Err(std::io::Error::other(format!("no HTTP answer: {text:?}"))),
    }
}

/// Whether `pid` is a live (not zombie) process of the browser on `profile`.
fn process_running(pid: u32, profile: &Path) -> bool {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit_once(") ").map(|(_, rest)| rest.chars().next());
    if !matches!(state, Some(Some(s)) if s != 'Z' && s != 'X') {
        return false;
    }
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    String::from_utf8_lossy(&cmdline).contains(&*profile.to_string_lossy())
}

/// One rule of axe-core that a page breaks.
#[derive(Debug, Clone, Deserialize)]
pub struct Violation {
    /// The rule, e.g. `image-alt`, `label`, `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for, in a sentence.
    pub help: String,
    /// Where the rule is explained.
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    /// The elements that break it, each as a CSS selector (into frames and
    /// shadow roots joined by ` >>> `).
    pub targets: Vec<String>,
    /// The elements' HTML, as far as axe-core quotes it, one for each target.
    pub html: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "[{}] {}: {} ({})",
            self.impact.as_deref().unwrap_or("?"),
            self.id,
            self.help,
            self.help_url
        )?;
        for (target, html) in self.targets.iter().zip(&self.html) {
            writeln!(f, "    {target}    {html}")?;
        }
        Ok(())
    }
}

/// The axe-core script that [`axe`] injects (from `tests/axe`, by npm).
pub fn axe_script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/node_modules/axe-core/axe.min.js")
}

/// Runs axe-core on the current page of `client` with the rules of WCAG 2.0
/// and 2.1, levels A and AA ([`WCAG_TAGS`]); the rules the page breaks.
pub async fn axe(client: &Client) -> Vec<Violation> {
    let path = axe_script_path();
    let loaded = client
        .execute("return typeof window.axe === 'object';", vec![])
        .await
        .expect("running a script in the page");
    if loaded != Value::Bool(true) {
        let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "axe-core is missing ({}: {e}): install it with `{SETUP}`",
                path.display()
            )
        });
        // The script defines window.axe when run as a function body.
        client
            .execute(&source, vec![])
            .await
            .expect("injecting axe-core into the page");
    }
    let run = r#"
        const tags = arguments[0];
        const done = arguments[arguments.length - 1];
        const selector = (t) => Array.isArray(t) ? t.join(' >>> ') : String(t);
        window.axe
            .run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
            .then((r) => done({ violations: r.violations.map((v) => ({
                id: v.id,
                impact: v.impact || null,
                help: v.help,
                helpUrl: v.helpUrl,
                targets: v.nodes.map((n) => n.target.map(selector).join(' >>> ')),
                html: v.nodes.map((n) => n.html),
            })) }))
            .catch((e) => done({ error: String(e && e.stack || e) }));
    "#;
    let answer = client
        .execute_async(run, vec![json!(WCAG_TAGS)])
        .await
        .expect("running axe-core in the page");
    if let Some(error) = answer.get("error") {
        panic!("axe-core failed on the page: {error}");
    }
    serde_json::from_value(answer["violations"].clone())
        .unwrap_or_else(|e| panic!("axe-core's answer ({answer}): {e}"))
}

/// Fails the test when axe-core finds the current page of `client` breaking
/// a rule of WCAG 2.1 A or AA, with every such rule and element listed.
pub async fn assert_accessible(client: &Client, page_name: &str) {
    let violations = axe(client).await;
    if !violations.is_empty() {
        let url = client
            .current_url()
            .await
            .map_or_else(|_| "?".to_owned(), |u| u.to_string());
        let list: String = violations.iter().map(ToString::to_string).collect();
        panic!(
            "{page_name} ({url}) breaks {} rule(s) of WCAG 2.1 A/AA (axe-core):\n{list}",
            violations.len()
        );
    }
}

/// Presses Tab from the top of the page until focus is on an element
/// matching the CSS `selector` (true), or has gone through every element
/// that Tab reaches, or [`MAX_TABS`] presses (false).
pub async fn keyboard_reaches(client: &Client, selector: &str) -> bool {
    tab_through(client, Some(selector)).await.0
}

/// The elements that Tab reaches from the top of the page, in order, each
/// described as `tag#id.class "text"`, until focus comes back to one or
/// leaves the page twice (at most [`MAX_TABS`] presses).
pub async fn tab_order(client: &Client) -> Vec<String> {
    tab_through(client, None).await.1
}

async fn tab_through(client: &Client, selector: Option<&str>) -> (bool, Vec<String>) {
    // Focus a marker at the very start of the body, then remove it: the
    // next Tab goes to the first element of the page's focus order.
    let start = r#"
        if (document.activeElement && document.activeElement !== document.body) {
            document.activeElement.blur();
        }
        window.scrollTo(0, 0);
        const marker = document.createElement('span');
        marker.tabIndex = -1;
        document.body.prepend(marker);
        marker.focus();
        marker.remove();
        window.__akteTabSeen = new Set();
        window.__akteTabLast = null;
        window.__akteTabLeft = 0;
    "#;
    client
        .execute(start, vec![])
        .await
        .expect("running a script in the page");
    let step = r#"
        const selector = arguments[0];
        const el = document.activeElement;
        if (!el || el === document.body || el === document.documentElement) {
            window.__akteTabLeft += 1;
            return { matches: false, done: window.__akteTabLeft >= 2, name: null };
        }
        const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
            .trim().replace(/\s+/g, ' ').slice(0, 40);
        const name = el.tagName.toLowerCase()
            + (el.id ? '#' + el.id : '')
            + Array.from(el.classList).map((c) => '.' + c).join('')
            + (text ? ' "' + text + '"' : '');
        // Tab moves within some elements while focus stays on them (the
        // parts of a date input, the controls of an embedded PDF viewer):
        // only coming back to an earlier element ends the round.
        if (el === window.__akteTabLast) {
            return { matches: false, done: false, name: null };
        }
        window.__akteTabLast = el;
        if (window.__akteTabSeen.has(el)) {
            return { matches: false, done: true, name: null };
        }
        window.__akteTabSeen.add(el);
        return { matches: selector !== null && el.matches(selector), done: false, name };
    "#;
    let mut order = Vec::new();
    for _ in 0..MAX_TABS {
        let tab = KeyActions::new("keyboard".to_owned())
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            });
        client
            .perform_actions(tab)
            .await
            .expect("pressing Tab in the browser");
        let state = client
            .execute(step, vec![json!(selector)])
            .await
            .expect("reading the focused element");
        if let Some(name) = state["name"].as_str() {
            order.push(name.to_owned());
        }
        if state["matches"] == Value::Bool(true) {
            return (true, order);
        }
        if state["done"] == Value::Bool(true) {
            break;
        }
    }
    (false, order)
}

/// Saves what the browser's viewport shows as a PNG file at `path` (its
/// folders made where missing).
pub async fn screenshot(client: &Client, path: impl AsRef<Path>) {
    let path = path.as_ref();
    let png = client.screenshot().await.expect("taking a screenshot");
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    }
    std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Waits (at most [`WAIT`]) for an element matching the CSS `selector` on
/// the current page.
pub async fn wait_for(client: &Client, selector: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .every(Duration::from_millis(50))
        .for_element(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("no element {selector:?} on the page within {WAIT:?}: {e}"))
}

/// Waits (at most [`WAIT`]) until the JavaScript expression `condition` is
/// true in the current page; `what` names the condition in the failure.
pub async fn wait_until(client: &Client, condition: &str, what: &str) {
    let script = format!("return !!({condition});");
    wait_for_condition(what, || async {
        client.execute(&script, vec![]).await.ok() == Some(Value::Bool(true))
    })
    .await;
}

/// Waits (at most [`WAIT`]) until `check` answers true, asking every 50 ms;
/// `what` names the condition in the failure.
pub async fn wait_for_condition<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not so within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A cookie of the current page, with its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieInfo {
    pub name: String,
    pub value: String,
    pub domain: Option<String>,
    pub path: Option<String>,
    /// Sent over HTTPS only.
    pub secure: bool,
    /// Out of reach of the page's scripts.
    pub http_only: bool,
    /// `Strict`, `Lax` or `None`, as the browser keeps it.
    pub same_site: Option<String>,
    /// When it expires (Unix seconds); none for a cookie of the browser
    /// session.
    pub expires_unix: Option<i64>,
}

/// The cookies of the current page (as WebDriver reports them: including
/// HttpOnly ones).
pub async fn cookies(client: &Client) -> Vec<CookieInfo> {
    client
        .get_all_cookies()
        .await
        .expect("reading the cookies of the page")
        .into_iter()
        .map(|c| CookieInfo {
            name: c.name().to_owned(),
            value: c.value().to_owned(),
            domain: c.domain().map(str::to_owned),
            path: c.path().map(str::to_owned),
            secure: c.secure().unwrap_or(false),
            http_only: c.http_only().unwrap_or(false),
            same_site: c.same_site().map(|s| s.to_string()),
            expires_unix: c
                .expires()
                .and_then(|e| e.datetime())
                .map(|d| d.unix_timestamp()),
        })
        .collect()
}

/// The cookie `name` of the current page; fails the test where there is none.
pub async fn cookie(client: &Client, name: &str) -> CookieInfo {
    let all = cookies(client).await;
    let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
    let names = names.join(", ");
    all.iter()
        .find(|c| c.name == name)
        .cloned()
        .unwrap_or_else(|| panic!("no cookie {name:?} on the page (there are: {names})"))
}

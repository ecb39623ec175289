//! Logins: sessions kept in memory behind an HttpOnly, Secure, SameSite=Strict
//! cookie, each with its own token against cross-site request forgery; one-time
//! login codes; the login attempts of the identity provider in flight.
//!
//! Only the SHA-256 of a session id is kept, so a memory dump does not hand
//! out logins. Sessions end after `session_idle` without use, after
//! `session_max` in any case, and with the process (a restart logs everyone
//! out).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use akte_core::access::{Caller, Principal, Reason};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use base64::Engine;
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::error::WebError;
use crate::Web;

/// The session cookie.
pub const COOKIE: &str = "akte_session";
/// The cookie that carries the login form's forgery token before a session exists.
pub const LOGIN_COOKIE: &str = "akte_login";

/// How long a one-time login code is valid.
const LOGIN_CODE_TTL: Duration = Duration::from_secs(600);
/// Logins at the identity provider in flight at most (each costs memory
/// until it is finished or has expired).
const MAX_OIDC_ATTEMPTS: usize = 10_000;
/// How long a login at the identity provider may take.
const OIDC_ATTEMPT_TTL: Duration = Duration::from_secs(600);

/// 256 random bits from the operating system, base64url.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn key(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Equal in constant time (for forgery tokens).
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (key(a), key(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[derive(Clone, Debug)]
pub struct Session {
    pub principal: Principal,
    pub csrf: String,
    created: Instant,
    last_used: Instant,
    /// A share link just made, shown once on the next case page.
    pub issued: Option<crate::links::IssuedView>,
    /// Reasons given for cases outside the principal's sites, by
    /// [`case_key`] or [`document_key`].
    pub reasons: HashMap<String, Given>,
}

/// A reason given on a page: for one case (with its id, so that it opens
/// that case only), or for one document.
#[derive(Clone, Debug)]
pub struct Given {
    pub reason: Reason,
    pub case: Option<akte_types::CaseId>,
}

impl Given {
    fn apply(&self, caller: Caller) -> Caller {
        match self.case {
            Some(case) => caller.with_reason_for_case(Some(self.reason.clone()), case),
            None => caller.with_reason(Some(self.reason.clone())),
        }
    }
}

/// A login at the identity provider in flight (authorization-code flow).
#[derive(Clone, Debug)]
pub struct OidcAttempt {
    pub pkce_verifier: String,
    pub nonce: String,
    started: Instant,
}

struct Code {
    principal: Principal,
    issued: Instant,
}

pub struct Sessions {
    idle: Duration,
    max: Duration,
    live: Mutex<HashMap<[u8; 32], Session>>,
    codes: Mutex<HashMap<[u8; 32], Code>>,
    attempts: Mutex<HashMap<String, OidcAttempt>>,
}

impl Sessions {
    pub fn new(idle: Duration, max: Duration) -> Self {
        Self {
            idle,
            max,
            live: Mutex::new(HashMap::new()),
            codes: Mutex::new(HashMap::new()),
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session for `principal`; returns its id (the cookie's value).
    pub fn start(&self, principal: Principal) -> String {
        let id = random_token();
        let now = Instant::now();
        self.live.lock().insert(
            key(&id),
            Session {
                principal,
                csrf: random_token(),
                created: now,
                last_used: now,
                reasons: HashMap::new(),
                issued: None,
            },
        );
        id
    }

    /// The live session `id` names, marked as used.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut live = self.live.lock();
        let k = key(id);
        let now = Instant::now();
        let s = live.get_mut(&k)?;
        if now.duration_since(s.last_used) > self.idle || now.duration_since(s.created) > self.max {
            live.remove(&k);
            return None;
        }
        s.last_used = now;
        Some(s.clone())
    }

    /// Changes the session `id` names, if it is live.
    pub fn update(&self, id: &str, change: impl FnOnce(&mut Session)) {
        if let Some(s) = self.live.lock().get_mut(&key(id)) {
            change(s);
        }
    }

    pub fn end(&self, id: &str) {
        self.live.lock().remove(&key(id));
    }

    /// A code that logs in as `principal` once.
    pub fn login_code(&self, principal: Principal) -> String {
        let code = random_token();
        self.codes.lock().insert(
            key(&code),
            Code {
                principal,
                issued: Instant::now(),
            },
        );
        code
    }

    /// The principal of a valid code, which is used up by this.
    pub fn redeem(&self, code: &str) -> Option<Principal> {
        let c = self.codes.lock().remove(&key(code))?;
        (c.issued.elapsed() <= LOGIN_CODE_TTL).then_some(c.principal)
    }

    /// Remembers a login begun at the provider; `false` when too many are in
    /// flight.
    pub fn begin_oidc(&self, state: String, pkce_verifier: String, nonce: String) -> bool {
        let mut attempts = self.attempts.lock();
        if attempts.len() >= MAX_OIDC_ATTEMPTS {
            attempts.retain(|_, a| a.started.elapsed() <= OIDC_ATTEMPT_TTL);
            if attempts.len() >= MAX_OIDC_ATTEMPTS {
                return false;
            }
        }
        attempts.insert(
            state,
            OidcAttempt {
                pkce_verifier,
                nonce,
                started: Instant::now(),
            },
        );
        true
    }

    pub fn finish_oidc(&self, state: &str) -> Option<OidcAttempt> {
        let a = self.attempts.lock().remove(state)?;
        (a.started.elapsed() <= OIDC_ATTEMPT_TTL).then_some(a)
    }

    /// Forgets ended sessions, codes and attempts.
    pub fn sweep(&self) {
        let now = Instant::now();
        self.live.lock().retain(|_, s| {
            now.duration_since(s.last_used) <= self.idle
                && now.duration_since(s.created) <= self.max
        });
        self.codes
            .lock()
            .retain(|_, c| now.duration_since(c.issued) <= LOGIN_CODE_TTL);
        self.attempts
            .lock()
            .retain(|_, a| now.duration_since(a.started) <= OIDC_ATTEMPT_TTL);
    }
}

/// `Set-Cookie` for a session id (empty with `max_age` 0: removes it).
pub fn cookie(name: &str, value: &str, max_age: Duration) -> String {
    cookie::Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(cookie::SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
        .to_string()
}

/// Like [`cookie`], but sent along when another site sends the browser
/// here (the identity provider's redirect back).
pub fn cookie_lax(name: &str, value: &str, max_age: Duration) -> String {
    cookie::Cookie::build((name, value))
        .path("/login")
        .http_only(true)
        .secure(true)
        .same_site(cookie::SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
        .to_string()
}

/// The value of cookie `name` in the request's headers.
pub fn read_cookie(parts: &http::HeaderMap, name: &str) -> Option<String> {
    parts
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// Where the reason given for a case is kept in the session.
pub fn case_key(number: &str) -> String {
    number.trim().to_uppercase()
}

/// Where the reason given for a single document is kept in the session.
pub fn document_key(id: &str) -> String {
    format!("document:{}", id.trim())
}

/// A request of a logged-in user: the session and who calls from where.
pub struct User {
    pub id: String,
    pub session: Session,
    pub peer: SocketAddr,
}

impl User {
    /// The caller for the store, with the reason given for `case` (if any).
    pub fn caller(&self) -> Caller {
        Caller::new(self.session.principal.clone(), format!("web:{}", self.peer))
    }

    pub fn caller_for_case(&self, case_number: &str) -> Caller {
        match self.session.reasons.get(&case_key(case_number)) {
            Some(given) => given.apply(self.caller()),
            None => self.caller(),
        }
    }

    /// The caller for document `id` as reached from case `case` (the page
    /// links carry it): with the reason given for that document, else the
    /// one given for that case, which stands only if the document is in it.
    pub fn caller_for_document(&self, id: &str, case: Option<&str>) -> Caller {
        let given = self
            .session
            .reasons
            .get(&document_key(id))
            .or_else(|| case.and_then(|c| self.session.reasons.get(&case_key(c))));
        match given {
            Some(given) => given.apply(self.caller()),
            None => self.caller(),
        }
    }

    /// Refuses a form whose forgery token is missing or wrong.
    pub fn check_csrf(&self, given: &str) -> Result<(), WebError> {
        if given.is_empty() || !same(given, &self.session.csrf) {
            return Err(WebError::Forbidden(
                "Das Formular ist abgelaufen oder stammt nicht von dieser Seite. Bitte laden Sie \
                 die Seite neu."
                    .into(),
            ));
        }
        Ok(())
    }
}

impl FromRequestParts<Arc<Web>> for User {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<Self, WebError> {
        let peer = peer_of(&parts.extensions);
        let id = read_cookie(&parts.headers, COOKIE).ok_or(WebError::LoginNeeded)?;
        let session = web.sessions.get(&id).ok_or(WebError::LoginNeeded)?;
        Ok(User { id, session, peer })
    }
}

/// The client's address, for pages without login.
pub fn peer_of(parts: &http::Extensions) -> SocketAddr {
    parts
        .get::<ConnectInfo<crate::listen::Peer>>()
        .map(|c| c.0 .0)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use akte_core::access::PrincipalKind;

    #[test]
    fn sessions_expire_and_codes_are_single_use() {
        let s = Sessions::new(Duration::from_millis(50), Duration::from_secs(10));
        let id = s.start(Principal::new(PrincipalKind::Admin, "a"));
        assert!(s.get(&id).is_some());
        assert!(s.get("other").is_none());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.get(&id).is_none(), "idle sessions end");
        let code = s.login_code(Principal::new(PrincipalKind::Admin, "a"));
        assert_eq!(s.redeem(&code).map(|p| p.name), Some("a".into()));
        assert!(s.redeem(&code).is_none(), "a code logs in once");
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("", "x"));
    }

    #[test]
    fn cookie_flags() {
        let c = cookie(COOKIE, "v", Duration::from_secs(60));
        for flag in [
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(c.contains(flag), "{c}");
        }
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            "a=1; akte_session=xyz".parse().unwrap(),
        );
        assert_eq!(read_cookie(&h, COOKIE).as_deref(), Some("xyz"));
    }
}

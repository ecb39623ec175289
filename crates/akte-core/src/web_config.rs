//! Settings of the web interface (see config/akte.toml, `[web]`).

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::{CoreError, Result};

/// `[web]` as written in the configuration file.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Address of the web interface; empty: no web interface.
    pub listen: String,
    /// The address people reach the web interface under (share links, QR
    /// codes, the identity provider's redirect); empty: derived from `listen`.
    pub public_url: String,
    /// Seconds a login lasts without being used.
    pub session_idle_secs: u64,
    /// Seconds a login lasts at most.
    pub session_max_secs: u64,
    /// Requests a minute one network address may make to share and status
    /// links.
    pub link_requests_per_minute: u32,
    /// Serve `/metrics` to every address rather than to this machine only.
    pub metrics_public: bool,
    /// Client id of this web interface at the OpenID Connect provider
    /// (`[auth] issuer`); empty: no login with the provider.
    pub oidc_client_id: String,
    /// Its client secret; empty for a public client (PKCE only).
    pub oidc_client_secret: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: String::new(),
            session_idle_secs: 30 * 60,
            session_max_secs: 10 * 3600,
            link_requests_per_minute: 30,
            metrics_public: false,
            oidc_client_id: String::new(),
            oidc_client_secret: String::new(),
        }
    }
}

/// `[web]`, checked.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// `None`: no web interface.
    pub listen: Option<SocketAddr>,
    /// Without a trailing slash; `None`: derived from the bound address.
    pub public_url: Option<String>,
    pub session_idle: Duration,
    pub session_max: Duration,
    pub link_requests_per_minute: u32,
    pub metrics_public: bool,
    pub oidc_client_id: Option<String>,
    pub oidc_client_secret: Option<String>,
}

fn invalid(key: &str, msg: impl std::fmt::Display) -> CoreError {
    CoreError::InvalidArgument(format!("config: web.{key}: {msg}"))
}

impl WebConfig {
    pub fn validate(&self) -> Result<WebSettings> {
        let listen = match self.listen.trim() {
            "" => None,
            l => Some(l.parse().map_err(|e| {
                invalid(
                    "listen",
                    format!("{l:?} is not an address like 127.0.0.1:8080 ({e})"),
                )
            })?),
        };
        let public_url = match self.public_url.trim().trim_end_matches('/') {
            "" => None,
            u if (u.starts_with("https://") || u.starts_with("http://"))
                && !u.contains(['?', '#', ' ']) =>
            {
                Some(u.to_owned())
            }
            u => {
                return Err(invalid(
                    "public_url",
                    format!("{u:?} is not an http(s) URL"),
                ))
            }
        };
        if listen.is_some_and(|l: SocketAddr| l.ip().is_unspecified()) && public_url.is_none() {
            return Err(invalid(
                "public_url",
                "is required when listen names no single address (links and QR codes need one)",
            ));
        }
        if self.session_idle_secs == 0 || self.session_max_secs < self.session_idle_secs {
            return Err(invalid(
                "session_idle_secs",
                "must be positive and at most session_max_secs",
            ));
        }
        if self.link_requests_per_minute == 0 {
            return Err(invalid("link_requests_per_minute", "must be positive"));
        }
        let set = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
        Ok(WebSettings {
            listen,
            public_url,
            session_idle: Duration::from_secs(self.session_idle_secs),
            session_max: Duration::from_secs(self.session_max_secs),
            link_requests_per_minute: self.link_requests_per_minute,
            metrics_public: self.metrics_public,
            oidc_client_id: set(&self.oidc_client_id),
            oidc_client_secret: set(&self.oidc_client_secret),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_refusals() {
        let s = WebConfig::default().validate().unwrap();
        assert_eq!(s.listen, Some("127.0.0.1:8080".parse().unwrap()));
        assert!(s.public_url.is_none());
        let off = WebConfig {
            listen: String::new(),
            public_url: "https://akte.example/".into(),
            ..WebConfig::default()
        }
        .validate()
        .unwrap();
        assert!(off.listen.is_none());
        assert_eq!(off.public_url.as_deref(), Some("https://akte.example"));
        for bad in [
            WebConfig {
                listen: "nowhere".into(),
                ..WebConfig::default()
            },
            WebConfig {
                public_url: "akte.example".into(),
                ..WebConfig::default()
            },
            WebConfig {
                public_url: "https://akte.example/?x=1".into(),
                ..WebConfig::default()
            },
            WebConfig {
                session_idle_secs: 0,
                ..WebConfig::default()
            },
            WebConfig {
                link_requests_per_minute: 0,
                ..WebConfig::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}

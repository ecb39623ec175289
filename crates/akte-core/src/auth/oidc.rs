//! The deployment's OpenID Connect provider: its signing keys (JWKS),
//! fetched at start and again in the background, and the check of its
//! tokens.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde_json::Value;

use super::{token_error, AuthConfig, PROVIDER_ALGORITHMS};
use crate::{CoreError, Result};

/// Earliest refetch when a token names a key not yet known.
const MIN_REFETCH: Duration = Duration::from_secs(10);

struct Key {
    decoding: DecodingKey,
    algorithm: Algorithm,
}

pub(crate) struct Provider {
    issuer: String,
    jwks_url: String,
    http: reqwest::Client,
    keys: tokio::sync::RwLock<HashMap<String, Key>>,
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
}

fn unavailable(e: impl std::fmt::Display) -> CoreError {
    CoreError::Unavailable(format!("identity provider: {e}"))
}

/// The algorithm a key is for: as the key says, or as its type implies.
fn algorithm_of(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    let alg = match (&jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::EdDSA), _) => Algorithm::EdDSA,
        (Some(KeyAlgorithm::ES256), _) => Algorithm::ES256,
        (Some(KeyAlgorithm::ES384), _) => Algorithm::ES384,
        (Some(KeyAlgorithm::RS256), _) => Algorithm::RS256,
        (Some(KeyAlgorithm::PS256), _) => Algorithm::PS256,
        (Some(_), _) => return None,
        (None, AlgorithmParameters::RSA(_)) => Algorithm::RS256,
        (None, AlgorithmParameters::EllipticCurve(p)) => match p.curve {
            EllipticCurve::P256 => Algorithm::ES256,
            EllipticCurve::P384 => Algorithm::ES384,
            _ => return None,
        },
        (None, AlgorithmParameters::OctetKeyPair(p)) if p.curve == EllipticCurve::Ed25519 => {
            Algorithm::EdDSA
        }
        // Symmetric and unknown keys are never used.
        (None, _) => return None,
    };
    PROVIDER_ALGORITHMS.contains(&alg).then_some(alg)
}

impl Provider {
    pub(crate) fn new(config: &AuthConfig) -> Result<Self> {
        let issuer = config.issuer.trim_end_matches('/').to_owned();
        url::Url::parse(&issuer)
            .map_err(|e| CoreError::Config(format!("auth.issuer {issuer:?}: {e}")))?;
        if !config.jwks_url.is_empty() {
            url::Url::parse(&config.jwks_url)
                .map_err(|e| CoreError::Config(format!("auth.jwks_url: {e}")))?;
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| CoreError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            issuer: config.issuer.clone(),
            jwks_url: config.jwks_url.clone(),
            http,
            keys: tokio::sync::RwLock::default(),
            last_fetch: tokio::sync::Mutex::new(None),
        })
    }

    async fn get_json(&self, url: &str) -> Result<Value> {
        self.http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json()
            .await
            .map_err(unavailable)
    }

    /// Fetches the provider's current keys and replaces the known ones.
    pub(crate) async fn refresh(&self) -> Result<usize> {
        let mut last = self.last_fetch.lock().await;
        // Attempts count, failed ones too: a provider that is down is not
        // asked again for every token.
        *last = Some(Instant::now());
        self.fetch().await
    }

    /// Fetches the keys again for a token with a key id not known, unless
    /// the last attempt is recent. One fetch at a time: callers arriving
    /// meanwhile wait for it and then find the keys (or a recent attempt).
    async fn refresh_for_unknown_key(&self) -> Result<()> {
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|t| t.elapsed() < MIN_REFETCH) {
            return Ok(());
        }
        *last = Some(Instant::now());
        self.fetch().await.map(drop)
    }

    async fn fetch(&self) -> Result<usize> {
        let url = if self.jwks_url.is_empty() {
            let discovery = format!(
                "{}/.well-known/openid-configuration",
                self.issuer.trim_end_matches('/')
            );
            let doc = self.get_json(&discovery).await?;
            doc.get("jwks_uri")
                .and_then(Value::as_str)
                .ok_or_else(|| unavailable("discovery document has no jwks_uri"))?
                .to_owned()
        } else {
            self.jwks_url.clone()
        };
        let set: JwkSet = serde_json::from_value(self.get_json(&url).await?)
            .map_err(|e| unavailable(format!("{url}: {e}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(algorithm) = algorithm_of(jwk) else {
                continue;
            };
            if let Ok(decoding) = DecodingKey::from_jwk(jwk) {
                let kid = jwk.common.key_id.clone().unwrap_or_default();
                keys.insert(
                    kid,
                    Key {
                        decoding,
                        algorithm,
                    },
                );
            }
        }
        let n = keys.len();
        *self.keys.write().await = keys;
        tracing::debug!(keys = n, "identity provider keys fetched");
        Ok(n)
    }

    /// Checks a token's signature, issuer, audience and times; returns its claims.
    pub(crate) async fn verify(
        &self,
        token: &str,
        header: &Header,
        config: &AuthConfig,
    ) -> Result<Value> {
        let kid = header.kid.clone().unwrap_or_default();
        if !self.keys.read().await.contains_key(&kid) {
            self.refresh_for_unknown_key().await?;
        }
        let keys = self.keys.read().await;
        let key = keys.get(&kid).ok_or_else(|| {
            CoreError::Unauthenticated(
                "the token is signed with a key the identity provider does not publish".into(),
            )
        })?;
        // The key decides the algorithm, never the token's header.
        if header.alg != key.algorithm {
            return Err(CoreError::Unauthenticated(
                "the token's algorithm does not match its key".into(),
            ));
        }
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.leeway = config.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<Value>(token, &key.decoding, &validation)
            .map_err(|e| token_error(&e))?;
        Ok(data.claims)
    }
}

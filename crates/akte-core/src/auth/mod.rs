//! Who is calling: bearer tokens (JWT) signed by this server's own key or by
//! the deployment's OpenID Connect provider, and client certificates, each
//! turned into a [`Principal`]. There is no unauthenticated mode.

pub mod config;
mod local;
mod oidc;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use serde_json::Value;

pub use config::{AccessConfig, AuthConfig, ClaimsConfig, ClientConfig};
pub(crate) use local::write_private;
pub use local::{LocalKey, ADMIN_TOKEN_FILE};

use crate::access::{Principal, PrincipalKind};
use crate::{CoreError, Result};

/// The algorithms accepted from an identity provider.
pub const PROVIDER_ALGORITHMS: [jsonwebtoken::Algorithm; 5] = [
    jsonwebtoken::Algorithm::EdDSA,
    jsonwebtoken::Algorithm::ES256,
    jsonwebtoken::Algorithm::ES384,
    jsonwebtoken::Algorithm::RS256,
    jsonwebtoken::Algorithm::PS256,
];

/// Checks credentials.
pub struct Authenticator {
    local: LocalKey,
    provider: Option<oidc::Provider>,
    config: AuthConfig,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("issuer", &self.config.issuer)
            .finish_non_exhaustive()
    }
}

fn unauthenticated(msg: impl Into<String>) -> CoreError {
    CoreError::Unauthenticated(msg.into())
}

/// What a token's failed check tells its holder.
pub(crate) fn token_error(e: &jsonwebtoken::errors::Error) -> CoreError {
    let msg = match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "the token is from another issuer",
        ErrorKind::InvalidAudience => "the token is for another audience",
        ErrorKind::InvalidSignature => "the token's signature is not valid",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "the token's algorithm is not accepted"
        }
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
        _ => "the token is malformed",
    };
    unauthenticated(msg)
}

impl Authenticator {
    /// Opens the server's own signing key in `data_dir` (creating it on
    /// first start) and, if configured, the identity provider.
    pub fn open(data_dir: &Path, config: &AuthConfig) -> Result<Self> {
        let local = LocalKey::open_or_create(data_dir)?;
        let provider = if config.issuer.is_empty() {
            None
        } else {
            Some(oidc::Provider::new(config)?)
        };
        Ok(Self {
            local,
            provider,
            config: config.clone(),
        })
    }

    /// Fetches the provider's keys now and then every
    /// `jwks_refresh_secs`, until the task is aborted.
    pub fn spawn_key_refresh(self: &std::sync::Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        let me = std::sync::Arc::clone(self);
        self.provider.as_ref()?;
        Some(tokio::spawn(async move {
            let every = Duration::from_secs(me.config.jwks_refresh_secs.max(10));
            loop {
                if let Some(p) = &me.provider {
                    if let Err(e) = p.refresh().await {
                        tracing::warn!(error = %e, "fetching the identity provider's keys failed; retrying");
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        continue;
                    }
                }
                tokio::time::sleep(every).await;
            }
        }))
    }

    /// The server's own key, to mint tokens with.
    pub fn local_key(&self) -> &LocalKey {
        &self.local
    }

    /// The principal a bearer token stands for.
    pub async fn authenticate(&self, token: &str) -> Result<Principal> {
        let token = token.trim();
        let header = jsonwebtoken::decode_header(token).map_err(|e| token_error(&e))?;
        if header.kid.as_deref() == Some(self.local.key_id()) {
            return self.local.verify(token, &self.config);
        }
        let Some(provider) = &self.provider else {
            return Err(unauthenticated(
                "the token is not signed by this server's key, and no identity provider is configured",
            ));
        };
        let claims = provider.verify(token, &header, &self.config).await?;
        self.principal_from_claims(&claims)
    }

    /// The identity provider's issuer URL; empty when there is none.
    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Maps the claims of a token of the provider (verified by the caller,
    /// e.g. an ID token of a web login) to a principal.
    pub fn principal_for_claims(&self, claims: &Value) -> Result<Principal> {
        self.principal_from_claims(claims)
    }

    /// Maps a provider token's claims to a principal.
    fn principal_from_claims(&self, claims: &Value) -> Result<Principal> {
        let c = &self.config.claims;
        let name = claim_string(claims, &c.name)
            .or_else(|| claim_string(claims, "sub"))
            .ok_or_else(|| unauthenticated("the token names no subject"))?;
        let roles = claim_list(claims, &c.roles);
        let kind = [
            PrincipalKind::Admin,
            PrincipalKind::Auditor,
            PrincipalKind::Caseworker,
            PrincipalKind::MailRoom,
            PrincipalKind::Service,
            PrincipalKind::Station,
        ]
        .into_iter()
        .find(|kind| roles.iter().any(|r| self.config.roles.get(r) == Some(kind)))
        .ok_or_else(|| {
            CoreError::PermissionDenied(format!(
                "the token carries no role this service knows (claim {:?})",
                c.roles
            ))
        })?;
        Ok(Principal {
            kind,
            name,
            sites: claim_list(claims, &c.sites),
            teams: claim_list(claims, &c.teams),
            groups: claim_list(claims, &c.groups)
                .into_iter()
                // Keycloak writes group paths ("/akte/personal"); keep both forms.
                .flat_map(|g| {
                    let bare = g.trim_start_matches('/').to_owned();
                    if bare == g {
                        vec![g]
                    } else {
                        vec![g, bare]
                    }
                })
                .collect(),
            scopes: claim_list(claims, &c.scopes),
        })
    }

    /// The principal of a verified client certificate with these names (its
    /// DNS names and subject CN), if the configuration lists one.
    pub fn principal_for_certificate(&self, names: &[String]) -> Option<Principal> {
        let client = self
            .config
            .clients
            .iter()
            .find(|c| names.iter().any(|n| n == &c.certificate_name))?;
        Some(Principal {
            kind: client.kind,
            name: if client.name.is_empty() {
                client.certificate_name.clone()
            } else {
                client.name.clone()
            },
            sites: client.sites.clone(),
            teams: Vec::new(),
            groups: Vec::new(),
            scopes: client.scopes.clone(),
        })
    }
}

/// The value at a dotted path.
fn claim<'a>(claims: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    path.split('.').try_fold(claims, |v, part| v.get(part))
}

fn claim_string(claims: &Value, path: &str) -> Option<String> {
    claim(claims, path)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .filter(|s| !s.is_empty())
}

/// A list claim; a string is split at spaces (as `scope` is).
fn claim_list(claims: &Value, path: &str) -> Vec<String> {
    match claim(claims, path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

//! The server's own signing key (Ed25519, in `<data_dir>/auth/`), the tokens
//! it mints (`akte token issue`, the admin token) and their check.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{token_error, AuthConfig};
use crate::access::{Principal, PrincipalKind};
use crate::{CoreError, Result};

/// The issuer of tokens this server signs.
pub const LOCAL_ISSUER: &str = "akte-local";
/// The admin token written at start, for the CLI on this machine.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";
const KEY_FILE: &str = "auth/signing-key.pem";

/// The claims of a token this server signs.
#[derive(Debug, Serialize, Deserialize)]
struct LocalClaims {
    iss: String,
    aud: String,
    sub: String,
    iat: u64,
    nbf: u64,
    exp: u64,
    /// The principal's kind and attributes.
    akte: Granted,
}

#[derive(Debug, Serialize, Deserialize)]
struct Granted {
    kind: PrincipalKind,
    #[serde(default)]
    sites: Vec<String>,
    #[serde(default)]
    teams: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
}

/// The server's signing key.
pub struct LocalKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
    key_id: String,
}

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

fn config_err(path: &Path, e: impl std::fmt::Display) -> CoreError {
    CoreError::Config(format!("{}: {e}", path.display()))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes `bytes` to `path` readable by the owner only, atomically and durably.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| config_err(path, "has no parent directory"))?;
    std::fs::create_dir_all(dir).map_err(|e| config_err(dir, e))?;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| config_err(&tmp, e))?;
    // An existing file keeps its mode on open: set it.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all())
        .map_err(|e| config_err(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| config_err(path, e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| config_err(dir, e))
}

impl LocalKey {
    /// Reads the key from `data_dir`, or creates it there on first start.
    pub fn open_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join(KEY_FILE);
        let der = match std::fs::read(&path) {
            Ok(text) => {
                let parsed = pem::parse(&text).map_err(|e| config_err(&path, e))?;
                parsed.contents().to_vec()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let rng = aws_lc_rs::rand::SystemRandom::new();
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| CoreError::Internal("generating a signing key failed".into()))?;
                let der = doc.as_ref().to_vec();
                let text = pem::encode(&pem::Pem::new("PRIVATE KEY", der.clone()));
                write_private(&path, text.as_bytes())?;
                tracing::info!(path = %path.display(), "created the server's token signing key");
                der
            }
            Err(e) => return Err(config_err(&path, e)),
        };
        let pair = Ed25519KeyPair::from_pkcs8(&der).map_err(|e| config_err(&path, e))?;
        let public = pair.public_key().as_ref().to_vec();
        let key_id = format!("akte-{}", &hex::encode(Sha256::digest(&public))[..16]);
        Ok(Self {
            encoding: EncodingKey::from_ed_der(&der),
            decoding: DecodingKey::from_ed_der(&public),
            key_id,
        })
    }

    /// The `kid` of tokens this key signs.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Mints a token for `principal`, valid for `ttl`, for `audience`.
    pub fn issue(&self, principal: &Principal, ttl: Duration, audience: &str) -> Result<String> {
        if principal.name.trim().is_empty() {
            return Err(CoreError::InvalidArgument("a token needs a subject".into()));
        }
        let now = now_secs();
        let claims = LocalClaims {
            iss: LOCAL_ISSUER.into(),
            aud: audience.into(),
            sub: principal.name.clone(),
            iat: now,
            nbf: now,
            exp: now.saturating_add(ttl.as_secs().max(1)),
            akte: Granted {
                kind: principal.kind,
                sites: principal.sites.clone(),
                teams: principal.teams.clone(),
                groups: principal.groups.clone(),
                scopes: principal.scopes.clone(),
            },
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| CoreError::Internal(format!("signing a token: {e}")))
    }

    /// Checks a token this key signed.
    pub(crate) fn verify(&self, token: &str, config: &AuthConfig) -> Result<Principal> {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[LOCAL_ISSUER]);
        validation.set_audience(&[&config.audience]);
        validation.leeway = config.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        let data = jsonwebtoken::decode::<LocalClaims>(token, &self.decoding, &validation)
            .map_err(|e| token_error(&e))?;
        let c = data.claims;
        Ok(Principal {
            kind: c.akte.kind,
            name: c.sub,
            sites: c.akte.sites,
            teams: c.akte.teams,
            groups: c.akte.groups,
            scopes: c.akte.scopes,
        })
    }

    /// Writes a fresh admin token to `<data_dir>/admin.token` (owner-only)
    /// unless the one there is still valid for a day; returns its path.
    /// The machine's administrator, as the admin token names it.
    pub fn admin_principal() -> Principal {
        Principal::new(PrincipalKind::Admin, "admin")
    }

    pub fn write_admin_token(&self, data_dir: &Path, config: &AuthConfig) -> Result<PathBuf> {
        let path = data_dir.join(ADMIN_TOKEN_FILE);
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let fresh = jsonwebtoken::decode::<LocalClaims>(existing.trim(), &self.decoding, &{
                let mut v = Validation::new(Algorithm::EdDSA);
                v.set_issuer(&[LOCAL_ISSUER]);
                v.set_audience(&[&config.audience]);
                v.leeway = 0;
                v.reject_tokens_expiring_in_less_than = 24 * 3600;
                v
            });
            if fresh.is_ok_and(|d| d.claims.akte.kind == PrincipalKind::Admin) {
                return Ok(path);
            }
        }
        let admin = Self::admin_principal();
        let token = self.issue(
            &admin,
            Duration::from_secs(config.admin_token_ttl_secs.max(2 * 24 * 3600)),
            &config.audience,
        )?;
        write_private(&path, format!("{token}\n").as_bytes())?;
        tracing::info!(path = %path.display(), "wrote the admin token");
        Ok(path)
    }
}

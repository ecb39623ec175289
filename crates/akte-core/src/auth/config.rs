//! The `[access]` and `[auth]` sections of the configuration.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::access::PrincipalKind;

/// The access rules (see config/policies.cedar) and the access log.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AccessConfig {
    /// A Cedar policy file; empty: the reference policies.
    pub policy_file: PathBuf,
    /// Seconds between signed checkpoints of the access log.
    pub checkpoint_interval_secs: u64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        Self {
            policy_file: PathBuf::new(),
            checkpoint_interval_secs: 60,
        }
    }
}

/// Who may call: tokens and client certificates.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Issuer URL of the OpenID Connect provider (as in its tokens' `iss`);
    /// empty: only tokens signed by this server's own key are accepted.
    pub issuer: String,
    /// The audience tokens must name (`aud`).
    pub audience: String,
    /// Where the provider's signing keys are; empty: found through
    /// `<issuer>/.well-known/openid-configuration`.
    pub jwks_url: String,
    /// How often the provider's keys are fetched again, in seconds. A token
    /// with an unknown key id makes an earlier fetch (at most every 10 s).
    pub jwks_refresh_secs: u64,
    /// Clock skew allowed for `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
    /// Lifetime of the admin token written to `<data_dir>/admin.token`.
    pub admin_token_ttl_secs: u64,
    /// Where in the provider's tokens the principal's attributes are.
    pub claims: ClaimsConfig,
    /// Provider roles (values of `claims.roles`) and the kind of principal
    /// each makes; the first listed kind a token has wins, in the order
    /// admin, auditor, caseworker, mail_room, service, station.
    pub roles: BTreeMap<String, PrincipalKind>,
    /// Client certificates that identify stations and services.
    pub clients: Vec<ClientConfig>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: "akte".into(),
            jwks_url: String::new(),
            jwks_refresh_secs: 300,
            leeway_secs: 60,
            admin_token_ttl_secs: 30 * 24 * 3600,
            claims: ClaimsConfig::default(),
            roles: BTreeMap::new(),
            clients: Vec::new(),
        }
    }
}

/// Claim names; a dotted name reaches into nested objects
/// (`realm_access.roles`). A claim may hold a list or a string (a string
/// is split at spaces, as OAuth scopes are).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ClaimsConfig {
    /// The principal's name; falls back to `sub` when missing.
    pub name: String,
    pub sites: String,
    pub teams: String,
    pub groups: String,
    pub roles: String,
    pub scopes: String,
}

impl Default for ClaimsConfig {
    fn default() -> Self {
        Self {
            name: "preferred_username".into(),
            sites: "sites".into(),
            teams: "teams".into(),
            groups: "groups".into(),
            roles: "realm_access.roles".into(),
            scopes: "scope".into(),
        }
    }
}

/// A client certificate (verified against `tls.client_ca_file`) and the
/// principal it makes.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Matched against the certificate's DNS names and its subject's common
    /// name (CN).
    pub certificate_name: String,
    pub kind: PrincipalKind,
    /// The principal's name (a station's id as in its transfer notes);
    /// default: `certificate_name`.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

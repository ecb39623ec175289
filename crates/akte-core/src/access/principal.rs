//! Who is calling: the principal and what comes with its call.

use serde::{Deserialize, Serialize};

use crate::{CoreError, Result};

/// The kinds of principals the access rules know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A caseworker (Sachbearbeiter/in) of one or more sites.
    #[default]
    Caseworker,
    /// The mail room (Posteingangsstelle) of one or more sites.
    MailRoom,
    /// A scanning station.
    Station,
    /// Another service, with scopes.
    Service,
    /// Reads the access log.
    Auditor,
    /// Runs the service.
    Admin,
    /// A share link, named by its id: the principal of whoever opens it.
    /// Made by the store for the link's calls only; no credential, token
    /// or configuration can name it.
    #[serde(skip_deserializing)]
    Share,
}

impl PrincipalKind {
    /// The kinds a credential can name (every kind but [`PrincipalKind::Share`]).
    pub const ALL: [PrincipalKind; 6] = [
        PrincipalKind::Caseworker,
        PrincipalKind::MailRoom,
        PrincipalKind::Station,
        PrincipalKind::Service,
        PrincipalKind::Auditor,
        PrincipalKind::Admin,
    ];

    /// The name used in tokens, configuration and the access log.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Caseworker => "caseworker",
            PrincipalKind::MailRoom => "mail_room",
            PrincipalKind::Station => "station",
            PrincipalKind::Service => "service",
            PrincipalKind::Auditor => "auditor",
            PrincipalKind::Admin => "admin",
            PrincipalKind::Share => "share",
        }
    }

    pub(crate) fn entity_type(self) -> &'static str {
        match self {
            PrincipalKind::Caseworker => "Akte::Caseworker",
            PrincipalKind::MailRoom => "Akte::MailRoom",
            PrincipalKind::Station => "Akte::Station",
            PrincipalKind::Service => "Akte::Service",
            PrincipalKind::Auditor => "Akte::Auditor",
            PrincipalKind::Admin => "Akte::Admin",
            PrincipalKind::Share => "Akte::Share",
        }
    }
}

impl std::str::FromStr for PrincipalKind {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                CoreError::InvalidArgument(format!(
                    "unknown role {s:?}; one of: {}",
                    Self::ALL.map(PrincipalKind::as_str).join(", ")
                ))
            })
    }
}

impl std::fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub kind: PrincipalKind,
    /// The subject: a user name, a station's or service's id.
    pub name: String,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
}

impl Principal {
    pub fn new(kind: PrincipalKind, name: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            ..Self::default()
        }
    }

    pub fn with_sites(mut self, sites: &[&str]) -> Self {
        self.sites = sites.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn with_groups(mut self, groups: &[&str]) -> Self {
        self.groups = groups.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub fn with_scopes(mut self, scopes: &[&str]) -> Self {
        self.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// How the access log names it: `kind:name`.
    pub fn label(&self) -> String {
        format!("{}:{}", self.kind, self.name)
    }
}

/// Why a caller accesses a case outside its own sites: a short code (e.g.
/// "vertretung", "umzug") and a sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    pub code: String,
    pub text: String,
}

impl Reason {
    /// A reason as a client states it; both parts empty means none.
    pub fn parse(code: &str, text: &str) -> Result<Option<Self>> {
        let (code, text) = (code.trim(), text.trim());
        if code.is_empty() && text.is_empty() {
            return Ok(None);
        }
        if code.is_empty() || text.is_empty() {
            return Err(CoreError::InvalidArgument(
                "a reason needs both a code and a text".into(),
            ));
        }
        if code.len() > 64
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(CoreError::InvalidArgument(
                "reason code: at most 64 letters, digits, '-', '_' or '.'".into(),
            ));
        }
        crate::store::check_len("reason text", text)?;
        Ok(Some(Self {
            code: code.to_owned(),
            text: text.to_owned(),
        }))
    }
}

/// What a share link grants, as the access rules see its principal: set by
/// the store on the calls of a link (see `store::shares`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShareGrant {
    /// The case the link shows.
    pub case_id: String,
    /// The documents it shows (a documents link).
    pub documents: Vec<String>,
    /// "documents" or "status".
    pub purpose: &'static str,
}

/// A call: who makes it, from where, and what it states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    /// The client's network address ("" for local commands).
    pub peer: String,
    pub reason: Option<Reason>,
    /// The case the reason was stated for; `None`: for whatever the call is
    /// about (one call of the gRPC API or the CLI states it for its target).
    pub(crate) reason_case: Option<akte_types::CaseId>,
    /// The scanning station an upload names in its transfer note; set by the
    /// store, not by entry points.
    pub(crate) station: Option<String>,
    /// What the share link that calls grants; set by the store for a
    /// [`PrincipalKind::Share`] principal only.
    pub(crate) share: Option<ShareGrant>,
    /// The one document a read through a share link is about; set by the
    /// store.
    pub(crate) document: Option<String>,
}

impl Caller {
    pub fn new(principal: Principal, peer: impl Into<String>) -> Self {
        Self {
            principal,
            peer: peer.into(),
            reason: None,
            reason_case: None,
            station: None,
            share: None,
            document: None,
        }
    }

    pub fn with_reason(mut self, reason: Option<Reason>) -> Self {
        self.reason = reason;
        self.reason_case = None;
        self
    }

    /// With a reason stated for case `case` only: for anything else the
    /// caller has given no reason (a web login keeps reasons per case).
    pub fn with_reason_for_case(
        mut self,
        reason: Option<Reason>,
        case: akte_types::CaseId,
    ) -> Self {
        self.reason = reason;
        self.reason_case = Some(case);
        self
    }

    /// Whether a reason stands for an access to `resource`.
    pub(crate) fn reason_for(&self, resource: &super::Resource) -> bool {
        match (&self.reason, self.reason_case) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(_), Some(scope)) => matches!(
                resource,
                super::Resource::Case { case_id: Some(id), .. } if *id == scope
            ),
        }
    }

    /// The operator of this machine, for commands run on the data directory
    /// itself (they already have every file): an admin named after the
    /// operating-system user.
    pub fn local_admin(command: &str) -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Self::new(
            Principal::new(PrincipalKind::Admin, format!("local/{user}")),
            format!("local:{command}"),
        )
    }
}

//! Who may do what: the principal of a call, and the access rules (Cedar
//! policies) every entry point goes through. The rules live in a policy file
//! (config/policies.cedar is the reference), validated against
//! `schema.cedarschema` at start.

mod principal;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};

pub(crate) use principal::ShareGrant;
pub use principal::{Caller, Principal, PrincipalKind, Reason};

use crate::{CoreError, Result};

/// The schema policies are written against.
pub const SCHEMA: &str = include_str!("schema.cedarschema");
/// The reference policies, used when the configuration names no file.
pub const REFERENCE_POLICIES: &str = include_str!("../../../../config/policies.cedar");

/// What a call does; the Cedar action of the same name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    CreateCase,
    ReadCase,
    RestrictCase,
    UpdateCaseStatus,
    ReadDocument,
    UploadDocument,
    FileDocument,
    Search,
    ReadAccessLog,
    /// Create, list and revoke a case's share links.
    ShareCase,
    /// Read a case's status and the public texts of its timeline (what a
    /// status link shows).
    ReadCaseStatus,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateCase => "CreateCase",
            Action::ReadCase => "ReadCase",
            Action::RestrictCase => "RestrictCase",
            Action::UpdateCaseStatus => "UpdateCaseStatus",
            Action::ReadDocument => "ReadDocument",
            Action::UploadDocument => "UploadDocument",
            Action::FileDocument => "FileDocument",
            Action::Search => "Search",
            Action::ReadAccessLog => "ReadAccessLog",
            Action::ShareCase => "ShareCase",
            Action::ReadCaseStatus => "ReadCaseStatus",
        }
    }
}

/// What a call acts on, with the attributes the rules may look at.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Resource {
    /// A case (and with it all its documents).
    Case {
        /// The case; `None` when the rules decide about every case of a
        /// site and restriction at once (an access class of the search
        /// index, see [`case_class`]), or about a case not created yet.
        case_id: Option<akte_types::CaseId>,
        site: String,
        /// The group that alone may see it, if restricted.
        restricted_to: Option<String>,
    },
    /// A site's inbox of unfiled mail.
    Inbox {
        site: String,
    },
    AccessLog,
}

impl Resource {
    pub fn case(case: &akte_types::Case) -> Self {
        Resource::Case {
            case_id: Some(case.case_id),
            site: case.site.clone(),
            restricted_to: case.restricted_to.clone(),
        }
    }
}

/// The outcome of a check: whether allowed, and the ids of the policies that
/// decided it (none when nothing permitted it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub policies: Vec<String>,
}

/// The validated access rules.
pub struct Policies {
    schema: Schema,
    set: PolicySet,
    authorizer: Authorizer,
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field("policies", &self.set.policies().count())
            .finish()
    }
}

fn type_name(name: &str) -> EntityTypeName {
    // Every name passed here is a constant of this module.
    EntityTypeName::from_str(name).unwrap_or_else(|_| unreachable!("entity type {name}"))
}

fn uid(type_: &str, id: &str) -> EntityUid {
    EntityUid::from_type_name_and_id(type_name(type_), EntityId::new(id))
}

fn strings<'a>(values: impl IntoIterator<Item = &'a String>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        values
            .into_iter()
            .map(|v| RestrictedExpression::new_string(v.clone())),
    )
}

impl Policies {
    /// The reference policies.
    pub fn reference() -> Result<Self> {
        Self::parse(REFERENCE_POLICIES, "the reference policies")
    }

    /// The policies of `file`, or the reference ones if none is named.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        match file {
            None => Self::reference(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    CoreError::Config(format!("access.policy_file {}: {e}", path.display()))
                })?;
                Self::parse(&text, &path.display().to_string())
            }
        }
    }

    /// Parses and validates policies; every policy needs an `@id`.
    pub fn parse(text: &str, origin: &str) -> Result<Self> {
        let (schema, _warnings) = Schema::from_cedarschema_str(SCHEMA)
            .map_err(|e| CoreError::Internal(format!("access schema: {e}")))?;
        let set =
            PolicySet::from_str(text).map_err(|e| CoreError::Config(format!("{origin}: {e:?}")))?;
        let validation = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
        if !validation.validation_passed() {
            let errors: Vec<String> = validation
                .validation_errors()
                .map(|e| e.to_string())
                .collect();
            return Err(CoreError::Config(format!(
                "{origin} does not match the access schema: {}",
                errors.join("; ")
            )));
        }
        for policy in set.policies() {
            if policy.annotation("id").is_none() {
                return Err(CoreError::Config(format!(
                    "{origin}: every policy needs an @id(\"...\") annotation (the access log names it); this one has none: {policy}"
                )));
            }
        }
        Ok(Self {
            schema,
            set,
            authorizer: Authorizer::new(),
        })
    }

    fn checked_schema(&self) -> Option<&Schema> {
        cfg!(debug_assertions).then_some(&self.schema)
    }

    /// Whether `caller` may do `action` on `resource`.
    pub fn check(&self, caller: &Caller, action: Action, resource: &Resource) -> Result<Verdict> {
        let principal = &caller.principal;
        let p_uid = uid(principal.kind.entity_type(), &principal.name);
        let mut p_attrs = HashMap::from([
            (
                "name".to_owned(),
                RestrictedExpression::new_string(principal.name.clone()),
            ),
            ("sites".to_owned(), strings(&principal.sites)),
            ("teams".to_owned(), strings(&principal.teams)),
            ("groups".to_owned(), strings(&principal.groups)),
            ("scopes".to_owned(), strings(&principal.scopes)),
        ]);
        if principal.kind == PrincipalKind::Share {
            // A link without its grant (never made so by the store) is
            // granted nothing: no case has an empty id.
            let none = ShareGrant {
                case_id: String::new(),
                documents: Vec::new(),
                purpose: "",
            };
            let grant = caller.share.as_ref().unwrap_or(&none);
            p_attrs.extend([
                (
                    "case_id".to_owned(),
                    RestrictedExpression::new_string(grant.case_id.clone()),
                ),
                ("documents".to_owned(), strings(&grant.documents)),
                (
                    "purpose".to_owned(),
                    RestrictedExpression::new_string(grant.purpose.to_owned()),
                ),
            ]);
        }
        let (r_uid, r_attrs) = match resource {
            Resource::Case {
                case_id,
                site,
                restricted_to,
            } => (
                uid("Akte::Case", "case"),
                HashMap::from([
                    (
                        "id".to_owned(),
                        RestrictedExpression::new_string(
                            case_id.map(|id| id.to_string()).unwrap_or_default(),
                        ),
                    ),
                    (
                        "site".to_owned(),
                        RestrictedExpression::new_string(site.clone()),
                    ),
                    (
                        "restricted".to_owned(),
                        RestrictedExpression::new_bool(restricted_to.is_some()),
                    ),
                    (
                        "restricted_group".to_owned(),
                        RestrictedExpression::new_string(restricted_to.clone().unwrap_or_default()),
                    ),
                ]),
            ),
            Resource::Inbox { site } => (
                uid("Akte::Inbox", "inbox"),
                HashMap::from([(
                    "site".to_owned(),
                    RestrictedExpression::new_string(site.clone()),
                )]),
            ),
            Resource::AccessLog => (uid("Akte::AccessLog", "log"), HashMap::new()),
        };
        let internal =
            |e: &dyn std::fmt::Display| CoreError::Internal(format!("access check: {e}"));
        let entities = Entities::from_entities(
            [
                Entity::new(p_uid.clone(), p_attrs, Default::default())
                    .map_err(|e| internal(&e))?,
                Entity::new(r_uid.clone(), r_attrs, Default::default())
                    .map_err(|e| internal(&e))?,
            ],
            // Built here to the schema's shape: checked against it in debug
            // builds (the tests), not on every call of a release build.
            self.checked_schema(),
        )
        .map_err(|e| internal(&e))?;
        let context = Context::from_pairs([
            (
                "reason_given".to_owned(),
                RestrictedExpression::new_bool(caller.reason_for(resource)),
            ),
            (
                "station".to_owned(),
                RestrictedExpression::new_string(caller.station.clone().unwrap_or_default()),
            ),
            (
                "document".to_owned(),
                RestrictedExpression::new_string(caller.document.clone().unwrap_or_default()),
            ),
        ])
        .map_err(|e| internal(&e))?;
        let request = Request::new(
            p_uid,
            uid("Akte::Action", action.name()),
            r_uid,
            context,
            self.checked_schema(),
        )
        .map_err(|e| internal(&e))?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.set, &entities);
        if let Some(e) = response.diagnostics().errors().next() {
            // A policy that errors is skipped by Cedar; say so, it is a bug in the file.
            tracing::error!(error = %e, "an access policy failed to evaluate");
        }
        let policies = response
            .diagnostics()
            .reason()
            .map(|id| {
                self.set
                    .annotation(id, "id")
                    .map_or_else(|| id.to_string(), str::to_owned)
            })
            .collect();
        Ok(Verdict {
            allowed: response.decision() == Decision::Allow,
            policies,
        })
    }
}

/// Separates the parts of an access class.
const SEP: char = '\u{1f}';

/// The access class of a case's documents in the search index: every case
/// with the same site and restriction is one class, and the rules decide
/// about a class as about any of its cases.
pub fn case_class(site: &str, restricted_to: Option<&str>) -> String {
    format!("case{SEP}{site}{SEP}{}", restricted_to.unwrap_or_default())
}

/// The access class of a site's inbox.
pub fn inbox_class(site: &str) -> String {
    format!("inbox{SEP}{site}")
}

/// The resource an access class stands for.
pub fn class_resource(class: &str) -> Option<Resource> {
    let mut parts = class.split(SEP);
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("case"), Some(site), Some(group), None) => Some(Resource::Case {
            case_id: None,
            site: site.to_owned(),
            restricted_to: Some(group.to_owned()).filter(|g| !g.is_empty()),
        }),
        (Some("inbox"), Some(site), None, None) => Some(Resource::Inbox {
            site: site.to_owned(),
        }),
        _ => None,
    }
}

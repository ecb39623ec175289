//! Access checks and the access log: every call is checked against the
//! rules here, and every access, allowed or denied, is recorded (synced)
//! before it is answered.

use akte_types::{now_millis, AccessAction, AccessDecision, AccessRecord, Case, Document};

use super::Inner;
use crate::access::{self, Action, Caller, Resource, Verdict};
use crate::{CoreError, Result, Store};

/// What an access is about, as the log names it.
#[derive(Clone, Debug, Default)]
pub(crate) struct Target {
    pub case_number: Option<String>,
    pub document_id: Option<String>,
}

impl Target {
    pub fn case(case: &Case) -> Self {
        Self {
            case_number: Some(case.case_number.to_string()),
            document_id: None,
        }
    }

    pub fn document(doc: &Document) -> Self {
        Self {
            case_number: doc.case_number.as_ref().map(ToString::to_string),
            document_id: Some(doc.document_id.to_string()),
        }
    }
}

/// The answer to a caller who may not see something, the same whether it
/// exists or not.
pub(crate) fn denied(what: &str) -> CoreError {
    CoreError::PermissionDenied(format!("{what}: not permitted, or it does not exist"))
}

/// Principals whose visible classes are remembered at most.
const CLASS_CACHE_ENTRIES: usize = 10_000;

/// Which access records an auditor asks for.
#[derive(Clone, Debug, Default)]
pub struct AccessFilter {
    pub case_number: Option<String>,
    /// "kind:name".
    pub principal: Option<String>,
    pub from: Option<akte_types::UnixMillis>,
    pub to: Option<akte_types::UnixMillis>,
    /// 0: 100; at most 10,000.
    pub limit: usize,
}

impl AccessFilter {
    fn matches(&self, r: &AccessRecord) -> bool {
        self.case_number
            .as_ref()
            .is_none_or(|n| r.case_number.as_ref() == Some(n))
            && self
                .principal
                .as_ref()
                .is_none_or(|p| r.principal.as_ref() == Some(p))
            && self.from.is_none_or(|t| r.at >= t)
            && self.to.is_none_or(|t| r.at < t)
    }
}

/// The resource a document is covered by: its case, or its site's inbox.
pub(crate) fn resource_of(inner: &Inner, doc: &Document) -> Result<Resource> {
    match doc.case_id {
        Some(id) => match inner.catalog.get_case(id)? {
            Some(case) => Ok(Resource::case(&case)),
            None => Err(CoreError::DataLoss(format!(
                "document {} names case {id}, which is missing",
                doc.document_id
            ))),
        },
        None => Ok(Resource::Inbox {
            site: doc.site.clone(),
        }),
    }
}

impl Store {
    /// Checks an access. A denial is logged and returned as
    /// PERMISSION_DENIED naming `what`; an allowed access still has to be
    /// logged by the caller with [`Store::log`] before it is served.
    pub(crate) async fn authorize(
        &self,
        caller: &Caller,
        action: Action,
        resource: &Resource,
        log_as: AccessAction,
        target: &Target,
        what: &str,
    ) -> Result<Verdict> {
        let verdict = self.inner.policies.check(caller, action, resource)?;
        if !verdict.allowed {
            self.log(caller, log_as, &verdict, target, String::new())
                .await?;
            tracing::info!(principal = %caller.principal.label(), action = action.name(), what, "access denied");
            return Err(denied(what));
        }
        Ok(verdict)
    }

    /// Logs a look-up of something that does not exist, and answers it like
    /// a denial (so that callers cannot probe for what exists).
    pub(crate) async fn missing(
        &self,
        caller: &Caller,
        log_as: AccessAction,
        target: &Target,
        what: &str,
    ) -> CoreError {
        let verdict = Verdict {
            allowed: false,
            policies: Vec::new(),
        };
        if let Err(e) = self
            .log(caller, log_as, &verdict, target, "does not exist".into())
            .await
        {
            return e;
        }
        denied(what)
    }

    /// Records an access with its decision and `detail`, before it is
    /// answered; an access that cannot be recorded is refused.
    pub(crate) async fn log(
        &self,
        caller: &Caller,
        action: AccessAction,
        verdict: &Verdict,
        target: &Target,
        detail: String,
    ) -> Result<()> {
        let record = AccessRecord {
            seq: None,
            at: now_millis(),
            action,
            principal: Some(caller.principal.label()),
            peer: caller.peer.clone(),
            case_number: target.case_number.clone(),
            document_id: target.document_id.clone(),
            detail,
            decision: Some(if verdict.allowed {
                AccessDecision::Allowed
            } else {
                AccessDecision::Denied
            }),
            policies: verdict.policies.clone(),
            reason: caller
                .reason
                .as_ref()
                .map(|r| (r.code.clone(), r.text.clone())),
        };
        self.blocking(move |inner| Ok(inner.catalog.log_access(&record)?))
            .await
            .map(drop)
    }

    /// Remembers an access class, once.
    pub(crate) async fn note_class(&self, class: String) -> Result<()> {
        if self.inner.classes.read().contains(&class) {
            return Ok(());
        }
        let stored = class.clone();
        self.blocking(move |inner| Ok(inner.catalog.add_access_class(&stored)?))
            .await?;
        self.inner.classes.write().insert(class);
        Ok(())
    }

    /// The access classes whose documents `caller` may find with `action`.
    /// Remembered per principal, reason and action until a class is added
    /// (classes are only ever added; the rules do not change while the
    /// service runs).
    pub(crate) fn visible_classes(&self, caller: &Caller, action: Action) -> Result<Vec<String>> {
        let key = format!(
            "{:?}|{}|{}",
            caller.principal,
            // A reason for one case does not widen a search.
            caller.reason.is_some() && caller.reason_case.is_none(),
            action.name()
        );
        let classes: Vec<String> = self.inner.classes.read().iter().cloned().collect();
        if let Some((known, visible)) = self.inner.class_cache.lock().get(&key) {
            if *known == classes.len() {
                return Ok(visible.clone());
            }
        }
        let mut visible = Vec::new();
        for class in &classes {
            let Some(resource) = access::class_resource(class) else {
                continue;
            };
            if self
                .inner
                .policies
                .check(caller, action, &resource)?
                .allowed
            {
                visible.push(class.clone());
            }
        }
        let mut cache = self.inner.class_cache.lock();
        if cache.len() >= CLASS_CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(key, (classes.len(), visible.clone()));
        Ok(visible)
    }

    /// The newest `limit` access records, newest first; for auditors.
    pub async fn access_log(&self, caller: &Caller, limit: usize) -> Result<Vec<AccessRecord>> {
        self.access_records(
            caller,
            AccessFilter {
                limit,
                ..AccessFilter::default()
            },
        )
        .await
    }

    /// Checks that the caller may read the access log, and logs the reading
    /// (`detail`: what is read).
    pub(crate) async fn audit_read(&self, caller: &Caller, detail: String) -> Result<()> {
        let target = Target::default();
        let verdict = self
            .authorize(
                caller,
                Action::ReadAccessLog,
                &Resource::AccessLog,
                AccessAction::ReadAccessLog,
                &target,
                "the access log",
            )
            .await?;
        self.log(
            caller,
            AccessAction::ReadAccessLog,
            &verdict,
            &target,
            detail,
        )
        .await
    }

    /// The newest access records that match `filter`, newest first; for auditors.
    pub async fn access_records(
        &self,
        caller: &Caller,
        filter: AccessFilter,
    ) -> Result<Vec<AccessRecord>> {
        let limit = match filter.limit {
            0 => 100,
            n => n.min(10_000),
        };
        self.audit_read(caller, format!("{filter:?}")).await?;
        self.blocking(move |inner| {
            Ok(inner
                .catalog
                .access_log_where(limit, |r| filter.matches(r))?)
        })
        .await
    }
}

//! Cases: creation, look-up by id or number, listing by site.

use akte_types::{now_millis, AccessAction, Case, CaseId, CaseNumber};

use super::audit::Target;
use super::{bad_token, check_len, page_size, Inner};
use crate::access::{self, Action, Caller, Resource};
use crate::{CoreError, Result, Store};

/// Input of [`Store::create_case`].
#[derive(Clone, Debug, Default)]
pub struct NewCase {
    pub case_number: String,
    pub title: String,
    pub site: String,
    pub team: Option<String>,
    pub parties: Vec<String>,
    /// The only group that may see the case (see [`Store::restrict_case`]).
    pub restricted_to: Option<String>,
}

/// A case with its current number of documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseView {
    pub case: Case,
    pub document_count: u64,
}

impl Store {
    pub async fn create_case(&self, caller: &Caller, input: NewCase) -> Result<CaseView> {
        let case_number = self.parse_case_number(&input.case_number)?;
        let site = input.site.trim().to_owned();
        if site.is_empty() {
            return Err(CoreError::InvalidArgument("site is required".into()));
        }
        check_len("site", &site)?;
        check_len("title", &input.title)?;
        let team = input
            .team
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty());
        if let Some(t) = &team {
            check_len("team", t)?;
        }
        if input.parties.len() > 64 {
            return Err(CoreError::InvalidArgument("at most 64 parties".into()));
        }
        for p in &input.parties {
            check_len("party", p)?;
        }
        let restricted_to = restriction(input.restricted_to)?;
        let target = Target {
            case_number: Some(case_number.to_string()),
            document_id: None,
        };
        let what = format!("creating case {case_number}");
        // Created as an open case, then restricted: both must be allowed.
        let open = Resource::Case {
            case_id: None,
            site: site.clone(),
            restricted_to: None,
        };
        let mut verdict = self
            .authorize(
                caller,
                Action::CreateCase,
                &open,
                AccessAction::CreateCase,
                &target,
                &what,
            )
            .await?;
        if restricted_to.is_some() {
            let restricted = Resource::Case {
                case_id: None,
                site: site.clone(),
                restricted_to: restricted_to.clone(),
            };
            let restricting = self
                .authorize(
                    caller,
                    Action::RestrictCase,
                    &restricted,
                    AccessAction::RestrictCase,
                    &target,
                    &what,
                )
                .await?;
            verdict.policies.extend(restricting.policies);
        }
        self.note_class(access::case_class(&site, restricted_to.as_deref()))
            .await?;
        let case = Case {
            case_id: self.inner.ids.case_id(),
            case_number,
            title: input.title.trim().to_owned(),
            site,
            team,
            parties: input.parties.iter().map(|p| p.trim().to_owned()).collect(),
            created_at: now_millis(),
            restricted_to,
            status: akte_types::CaseStatus::default(),
        };
        let stored = case.clone();
        let created = self
            .blocking(move |inner| Ok(inner.catalog.create_case(&stored)?))
            .await;
        if let Err(e) = created {
            if e.code() != crate::ErrorCode::AlreadyExists {
                return Err(e);
            }
            // Said only to whoever may read the case that has the number:
            // to others it is a denial like any other.
            let existing = self
                .point_read(|inner| Ok(inner.catalog.get_case_by_number(&case.case_number)?))?;
            let readable = match &existing {
                Some(c) => {
                    self.inner
                        .policies
                        .check(caller, Action::ReadCase, &Resource::case(c))?
                        .allowed
                }
                None => false,
            };
            let refused = access::Verdict {
                allowed: false,
                policies: Vec::new(),
            };
            self.log(
                caller,
                AccessAction::CreateCase,
                &refused,
                &target,
                "the number is taken".to_owned(),
            )
            .await?;
            return Err(if readable {
                e
            } else {
                super::audit::denied(&what)
            });
        }
        self.log(
            caller,
            AccessAction::CreateCase,
            &verdict,
            &target,
            String::new(),
        )
        .await?;
        tracing::info!(case_id = %case.case_id, case_number = %case.case_number, site = %case.site, "case created");
        Ok(CaseView {
            case,
            document_count: 0,
        })
    }

    pub(super) fn view(inner: &Inner, case: Case) -> Result<CaseView> {
        let document_count = inner.catalog.case_document_count(case.case_id)?;
        Ok(CaseView {
            case,
            document_count,
        })
    }

    pub async fn get_case_by_id(&self, caller: &Caller, id: &str) -> Result<CaseView> {
        let id: CaseId = id
            .parse()
            .map_err(|e: akte_types::IdParseError| CoreError::InvalidArgument(e.to_string()))?;
        let case = self.point_read(|inner| Ok(inner.catalog.get_case(id)?))?;
        let target = Target {
            case_number: None,
            document_id: None,
        };
        self.read_case(caller, case, target, &format!("case {id}"))
            .await
    }

    pub async fn get_case_by_number(&self, caller: &Caller, number: &str) -> Result<CaseView> {
        let number = self.parse_case_number(number)?;
        let case = self.point_read(|inner| Ok(inner.catalog.get_case_by_number(&number)?))?;
        let target = Target {
            case_number: Some(number.to_string()),
            document_id: None,
        };
        self.read_case(caller, case, target, &format!("case {number}"))
            .await
    }

    /// Shows a case that was looked up (or not found) to the caller, if allowed.
    async fn read_case(
        &self,
        caller: &Caller,
        case: Option<Case>,
        target: Target,
        what: &str,
    ) -> Result<CaseView> {
        let Some(case) = case else {
            return Err(self
                .missing(caller, AccessAction::GetCase, &target, what)
                .await);
        };
        let target = Target::case(&case);
        let verdict = self
            .authorize(
                caller,
                Action::ReadCase,
                &Resource::case(&case),
                AccessAction::GetCase,
                &target,
                what,
            )
            .await?;
        let view = self.point_read(|inner| Self::view(inner, case))?;
        self.log(
            caller,
            AccessAction::GetCase,
            &verdict,
            &target,
            String::new(),
        )
        .await?;
        Ok(view)
    }

    /// Sets (`Some(group)`) or lifts (`None`) a case's restriction: once set,
    /// only that group sees the case and its documents, in every call and in
    /// search. Takes effect in search before this returns.
    pub async fn restrict_case(
        &self,
        caller: &Caller,
        number: &str,
        group: Option<String>,
    ) -> Result<CaseView> {
        let group = restriction(group)?;
        let (case, verdict) = self
            .case_for(
                caller,
                number,
                Action::RestrictCase,
                AccessAction::RestrictCase,
                "restricting case",
            )
            .await?;
        let target = Target::case(&case);
        self.note_class(access::case_class(&case.site, group.as_deref()))
            .await?;
        let detail = match &group {
            Some(g) => format!("restricted to group {g:?}"),
            None => "restriction lifted".to_owned(),
        };
        // Recorded before it is done: a restriction that cannot be logged is not made.
        self.log(
            caller,
            AccessAction::RestrictCase,
            &verdict,
            &target,
            detail,
        )
        .await?;
        let id = case.case_id;
        let changed = self
            .blocking(move |inner| {
                // The indexer takes this lock too: no batch it started before
                // the change puts a document back under the old class.
                let _indexing = inner.index_lock.lock();
                let Some(case) = inner.catalog.restrict_case(id, group)? else {
                    return Ok(None);
                };
                crate::indexer::reindex_case(inner, &case)?;
                Ok(Some(case))
            })
            .await?;
        let case = changed.ok_or_else(|| denied_missing(&case.case_number))?;
        tracing::info!(case_number = %case.case_number, restricted = case.restricted_to.is_some(), "case restriction changed");
        self.point_read(|inner| Self::view(inner, case))
    }

    /// Cases ordered by number, optionally of one site. The page token is the
    /// last case number of the previous page.
    pub async fn list_cases(
        &self,
        caller: &Caller,
        site: &str,
        size: usize,
        token: &str,
    ) -> Result<(Vec<CaseView>, String)> {
        let site = Some(site.trim().to_owned()).filter(|s| !s.is_empty());
        let site_label = site.clone().unwrap_or_default();
        let after = if token.is_empty() {
            None
        } else {
            let raw = hex::decode(token).map_err(|_| bad_token())?;
            let s = String::from_utf8(raw).map_err(|_| bad_token())?;
            Some(CaseNumber::from_stored(s))
        };
        let size = page_size(size);
        let _slot = self.read_slot()?;
        let who = caller.clone();
        let (views, next, policies) = self
            .blocking(move |inner| {
                // Cases the caller may not read are passed over while reading,
                // so that pages stay full and tokens stay valid.
                let mut views = Vec::with_capacity(size);
                let mut policies = std::collections::BTreeSet::new();
                let mut after = after;
                let mut more = false;
                'scan: loop {
                    let cases =
                        inner
                            .catalog
                            .list_cases(site.as_deref(), after.as_ref(), size + 1)?;
                    let exhausted = cases.len() <= size;
                    for case in cases {
                        after = Some(case.case_number.clone());
                        if views.len() == size {
                            more = true;
                            break 'scan;
                        }
                        let verdict =
                            inner
                                .policies
                                .check(&who, Action::ReadCase, &Resource::case(&case))?;
                        if verdict.allowed {
                            policies.extend(verdict.policies);
                            views.push(Self::view(inner, case)?);
                        }
                    }
                    if exhausted {
                        break;
                    }
                }
                let next = match views.last() {
                    Some(v) if more => hex::encode(v.case.case_number.as_str()),
                    _ => String::new(),
                };
                Ok((views, next, policies))
            })
            .await?;
        let shown: Vec<&str> = views.iter().map(|v| v.case.case_number.as_str()).collect();
        let verdict = access::Verdict {
            allowed: true,
            policies: policies.into_iter().collect(),
        };
        self.log(
            caller,
            AccessAction::ListCases,
            &verdict,
            &Target::default(),
            format!("site={:?} shown={}", site_label, shown.join(",")),
        )
        .await?;
        Ok((views, next))
    }
}

/// A restriction as a client states it: a group name, or none.
fn restriction(group: Option<String>) -> Result<Option<String>> {
    let group = group.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty());
    if let Some(g) = &group {
        check_len("restricted_to", g)?;
    }
    Ok(group)
}

pub(super) fn denied_missing(number: &CaseNumber) -> CoreError {
    super::audit::denied(&format!("case {number}"))
}

//! A case's status and timeline: what the citizen's status page shows.

use akte_types::{AccessAction, Case, CaseStatus, TimelineEvent};

use super::audit::Target;
use super::{check_len, CaseView};
use crate::access::{Action, Caller, Resource};
use crate::{CoreError, Result, Store};

/// Most events a timeline answer holds.
pub(super) const MAX_EVENTS: usize = 1000;

impl Store {
    /// Looks a case up by number for `action`; a missing one is answered
    /// like a denial.
    pub(super) async fn case_for(
        &self,
        caller: &Caller,
        number: &str,
        action: Action,
        log_as: AccessAction,
        what: &str,
    ) -> Result<(Case, crate::access::Verdict)> {
        let number = self.parse_case_number(number)?;
        let what = format!("{what} {number}");
        let target = Target {
            case_number: Some(number.to_string()),
            document_id: None,
        };
        let Some(case) =
            self.point_read(|inner| Ok(inner.catalog.get_case_by_number(&number)?))?
        else {
            return Err(self.missing(caller, log_as, &target, &what).await);
        };
        let verdict = self
            .authorize(
                caller,
                action,
                &Resource::case(&case),
                log_as,
                &target,
                &what,
            )
            .await?;
        Ok((case, verdict))
    }

    /// Sets a case's status, with a public text (what the citizen sees; the
    /// status's own text when empty) and an internal one; the change goes on
    /// the case's timeline (closing and reopening as such).
    pub async fn update_case_status(
        &self,
        caller: &Caller,
        number: &str,
        status: &str,
        note_public: &str,
        note_internal: &str,
    ) -> Result<CaseView> {
        let status: CaseStatus = status.trim().parse().map_err(CoreError::InvalidArgument)?;
        check_len("note_public", note_public)?;
        check_len("note_internal", note_internal)?;
        let (case, verdict) = self
            .case_for(
                caller,
                number,
                Action::UpdateCaseStatus,
                AccessAction::UpdateCaseStatus,
                "changing the status of case",
            )
            .await?;
        let public = match note_public.trim() {
            "" => status.public_text().to_owned(),
            text => text.to_owned(),
        };
        // Logged before it is done: a change that cannot be logged is not made.
        self.log(
            caller,
            AccessAction::UpdateCaseStatus,
            &verdict,
            &Target::case(&case),
            format!("{} -> {}", case.status.as_str(), status.as_str()),
        )
        .await?;
        let by = Some(caller.principal.label());
        let internal = note_internal.trim().to_owned();
        let id = case.case_id;
        let changed = self
            .blocking(move |inner| {
                Ok(inner
                    .catalog
                    .set_case_status(id, status, public, internal, by)?)
            })
            .await?;
        let Some((case, _)) = changed else {
            return Err(super::cases::denied_missing(&case.case_number));
        };
        tracing::info!(case_number = %case.case_number, status = status.as_str(), "case status changed");
        self.point_read(|inner| Self::view(inner, case))
    }

    /// A case's timeline, oldest first: created, documents received and
    /// filed, status changes, closing and reopening.
    pub async fn case_timeline(&self, caller: &Caller, number: &str) -> Result<Vec<TimelineEvent>> {
        let (case, verdict) = self
            .case_for(
                caller,
                number,
                Action::ReadCase,
                AccessAction::GetCaseTimeline,
                "the timeline of case",
            )
            .await?;
        self.log(
            caller,
            AccessAction::GetCaseTimeline,
            &verdict,
            &Target::case(&case),
            String::new(),
        )
        .await?;
        let id = case.case_id;
        self.blocking(move |inner| Ok(inner.catalog.timeline(id, 0, MAX_EVENTS)?))
            .await
    }
}

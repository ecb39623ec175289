//! Cases: creation, look-up by id or number, listing by site.

use akte_types::{now_millis, Case, CaseId, CaseNumber};

use super::{bad_token, check_len, page_size, Inner};
use crate::{CoreError, Result, Store};

/// Input of [`Store::create_case`].
#[derive(Clone, Debug, Default)]
pub struct NewCase {
    pub case_number: String,
    pub title: String,
    pub site: String,
    pub team: Option<String>,
    pub parties: Vec<String>,
}

/// A case with its current number of documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseView {
    pub case: Case,
    pub document_count: u64,
}

impl Store {
    pub async fn create_case(&self, input: NewCase) -> Result<CaseView> {
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
        let case = Case {
            case_id: self.inner.ids.case_id(),
            case_number,
            title: input.title.trim().to_owned(),
            site,
            team,
            parties: input.parties.iter().map(|p| p.trim().to_owned()).collect(),
            created_at: now_millis(),
        };
        let stored = case.clone();
        self.blocking(move |inner| Ok(inner.catalog.create_case(&stored)?))
            .await?;
        tracing::info!(case_id = %case.case_id, case_number = %case.case_number, site = %case.site, "case created");
        Ok(CaseView {
            case,
            document_count: 0,
        })
    }

    fn view(inner: &Inner, case: Case) -> Result<CaseView> {
        let document_count = inner.catalog.case_document_count(case.case_id)?;
        Ok(CaseView {
            case,
            document_count,
        })
    }

    pub async fn get_case_by_id(&self, id: &str) -> Result<CaseView> {
        let id: CaseId = id
            .parse()
            .map_err(|e: akte_types::IdParseError| CoreError::InvalidArgument(e.to_string()))?;
        self.point_read(|inner| match inner.catalog.get_case(id)? {
            Some(case) => Self::view(inner, case),
            None => Err(CoreError::NotFound(format!("case {id} not found"))),
        })
    }

    pub async fn get_case_by_number(&self, number: &str) -> Result<CaseView> {
        let number = self.parse_case_number(number)?;
        self.point_read(|inner| match inner.catalog.get_case_by_number(&number)? {
            Some(case) => Self::view(inner, case),
            None => Err(CoreError::NotFound(format!("case {number} not found"))),
        })
    }

    /// Cases ordered by number, optionally of one site. The page token is the
    /// last case number of the previous page.
    pub async fn list_cases(
        &self,
        site: &str,
        size: usize,
        token: &str,
    ) -> Result<(Vec<CaseView>, String)> {
        let site = Some(site.trim().to_owned()).filter(|s| !s.is_empty());
        let after = if token.is_empty() {
            None
        } else {
            let raw = hex::decode(token).map_err(|_| bad_token())?;
            let s = String::from_utf8(raw).map_err(|_| bad_token())?;
            Some(CaseNumber::from_stored(s))
        };
        let size = page_size(size);
        let _slot = self.read_slot()?;
        self.blocking(move |inner| {
            let cases = inner
                .catalog
                .list_cases(site.as_deref(), after.as_ref(), size + 1)?;
            let more = cases.len() > size;
            let views = cases
                .into_iter()
                .take(size)
                .map(|c| Self::view(inner, c))
                .collect::<Result<Vec<_>>>()?;
            let next = match views.last() {
                Some(v) if more => hex::encode(v.case.case_number.as_str()),
                _ => String::new(),
            };
            Ok((views, next))
        })
        .await
    }
}

//! Full-text search: query the index, join the hits with the catalog.

use akte_index::SearchQuery;
use akte_types::{AccessAction, Document, DocumentId, UnixMillis};

use super::audit::{resource_of, Target};
use super::{bad_token, MAX_PAGE_SIZE};
use crate::access::{Action, Caller, Verdict};
use crate::{CoreError, Result, Store};

/// Deepest hit a search can be paged to.
pub const MAX_SEARCH_WINDOW: usize = 10_000;

#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub query: String,
    pub case_number: Option<String>,
    pub site: Option<String>,
    pub document_type: Option<String>,
    pub received_from: Option<UnixMillis>,
    pub received_to: Option<UnixMillis>,
    pub limit: usize,
    pub page_token: String,
}

#[derive(Clone, Debug)]
pub struct SearchResultHit {
    pub document: Document,
    pub score: f32,
    pub snippet: String,
    /// Pages (1-based) whose text matches the query's words.
    pub pages: Vec<u32>,
}

#[derive(Clone, Debug)]
pub struct SearchPage {
    pub hits: Vec<SearchResultHit>,
    pub total_hits: u64,
    pub next_page_token: String,
}

impl Store {
    // ------------------------------------------------------------ search

    /// Searches the documents the caller may find: the access rules are
    /// part of the query, so hits, their number and snippets only ever come
    /// from cases and inboxes the caller may search.
    pub async fn search(&self, caller: &Caller, req: SearchRequest) -> Result<SearchPage> {
        let offset = if req.page_token.is_empty() {
            0
        } else {
            req.page_token.parse::<usize>().map_err(|_| bad_token())?
        };
        let limit = match req.limit {
            0 => 20,
            n => n.min(MAX_PAGE_SIZE),
        };
        // The index collects offset + limit hits to return the page: bound it.
        if offset.saturating_add(limit) > MAX_SEARCH_WINDOW {
            return Err(CoreError::InvalidArgument(format!(
                "search results are available up to hit {MAX_SEARCH_WINDOW}; narrow the query or filters"
            )));
        }
        let nonempty = |s: Option<String>| s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let case_number = match nonempty(req.case_number) {
            Some(n) => Some(self.parse_case_number(&n)?.as_str().to_owned()),
            None => None,
        };
        if req.query.len() > 4096 {
            return Err(CoreError::InvalidArgument(
                "query is longer than 4096 bytes".into(),
            ));
        }
        let detail = format!(
            "query={:?} case_number={:?} site={:?} document_type={:?}",
            req.query,
            case_number.as_deref().unwrap_or_default(),
            req.site.as_deref().unwrap_or_default(),
            req.document_type.as_deref().unwrap_or_default()
        );
        let visible = self.visible_classes(caller, Action::Search)?;
        let query = SearchQuery {
            access: Some(visible.clone()),
            text: req.query,
            case_number,
            site: nonempty(req.site),
            document_type: nonempty(req.document_type),
            received_from: req.received_from,
            received_to: req.received_to,
            offset,
            limit,
        };
        let _slot = self.read_slot()?;
        let who = caller.clone();
        let page = self.blocking(move |inner| {
            let results = inner.index.search(&query)?;
            let pages = inner.index.page_matcher(&query)?;
            let mut hits = Vec::with_capacity(results.hits.len());
            let mut withheld = Vec::new();
            for hit in results.hits {
                let Ok(id) = hit.document_id.parse::<DocumentId>() else {
                    continue;
                };
                // The index may briefly know a document the catalog no longer has.
                if let Some(document) = inner.catalog.get_document(id)? {
                    // The index can lag a move or a restriction by a moment:
                    // a hit the rules do not allow now is not shown.
                    let resource = resource_of(inner, &document)?;
                    if !inner.policies.check(&who, Action::Search, &resource)?.allowed {
                        tracing::warn!(document_id = %id, "search hit outside the caller's access classes withheld; indexing it again");
                        withheld.push(akte_catalog::DocUpdate {
                            enqueue: Some(akte_catalog::Queue::Index),
                            ..akte_catalog::DocUpdate::new(id)
                        });
                        continue;
                    }
                    let pages = match (&pages, inner.catalog.get_text(id)?) {
                        (Some(m), Some(text)) => m.pages(&text.pages),
                        _ => Vec::new(),
                    };
                    hits.push(SearchResultHit {
                        document,
                        score: hit.score,
                        snippet: hit.snippet,
                        pages,
                    });
                }
            }
            // Not counted either; and indexed again under their class now.
            let total = results.total.saturating_sub(withheld.len());
            if !withheld.is_empty() {
                inner.catalog.update_documents(&withheld, false)?;
                inner.index_wakeup.notify_one();
            }
            let next = offset + limit;
            let next_page_token = if next < total.min(MAX_SEARCH_WINDOW) {
                next.to_string()
            } else {
                String::new()
            };
            Ok(SearchPage {
                hits,
                total_hits: total as u64,
                next_page_token,
            })
        })
        .await?;
        let shown: Vec<String> = page
            .hits
            .iter()
            .map(|h| h.document.document_id.to_string())
            .collect();
        let verdict = Verdict {
            allowed: true,
            policies: Vec::new(),
        };
        self.log(
            caller,
            AccessAction::Search,
            &verdict,
            &Target::default(),
            format!(
                "{detail} classes={} total_hits={} shown={}",
                visible.len(),
                page.total_hits,
                shown.join(",")
            ),
        )
        .await?;
        Ok(page)
    }
}

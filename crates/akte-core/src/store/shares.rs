//! Share links: chosen documents of a case shown to someone without an
//! account (an employer, through the QR code of an applicant card), or a
//! case's status and the public texts of its timeline shown to the citizen
//! (printed on letters).
//!
//! A link is a random token; only its SHA-256 is kept. Whoever opens a link
//! calls as the link: a `Share` principal named by the link's id, asked
//! about by the same access rules and written to the same access log as
//! every other call. A link that is unknown, expired, revoked, or whose case
//! was restricted since, is [`CoreError::Gone`], worded alike in every case.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use akte_types::{
    now_millis, AccessAction, Case, CaseStatus, Document, DocumentId, ShareId, SharePurpose,
    ShareRecord, TimelineEvent, TimelineKind, UnixMillis,
};
use base64::Engine;
use bytes::Bytes;
use futures::stream::BoxStream;
use rand::TryRng;
use sha2::{Digest, Sha256};

use super::audit::{denied, resource_of, Target};
use super::check_len;
use crate::access::{Action, Caller, Principal, PrincipalKind, Resource, ShareGrant, Verdict};
use crate::{CoreError, ErrorCode, Result, Store};

/// Random bytes of a link's token.
const TOKEN_BYTES: usize = 32;
/// Characters of a token: `TOKEN_BYTES` in base64url without padding.
const TOKEN_CHARS: usize = 43;
/// Longest recipient (bytes).
pub const MAX_RECIPIENT: usize = 256;
/// Most documents one link shows.
pub const MAX_SHARED_DOCUMENTS: usize = 100;
/// Most links [`Store::list_shares`] returns (the newest).
pub const MAX_LISTED_SHARES: usize = 1000;
/// What every link that does not lead anywhere is answered with.
const GONE: &str = "this link is no longer valid";

/// Input of [`Store::create_share`].
#[derive(Clone, Debug)]
pub struct NewShare {
    pub case_number: String,
    /// The documents a documents link shows: at least one, each of the case.
    /// Empty for a status link.
    pub document_ids: Vec<String>,
    /// Whom the link is for (e.g. the employer's name); required.
    pub recipient: String,
    /// When the link stops working: in the future, and at most
    /// `[shares] max_ttl_days` ahead.
    pub expires_at: SystemTime,
    pub purpose: SharePurpose,
}

/// A share link, as caseworkers see it (without its token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Share {
    /// The link's id (a ULID); the access log names whoever opens the link
    /// `share:<id>`.
    pub id: String,
    pub case_id: String,
    pub case_number: String,
    pub purpose: SharePurpose,
    /// The documents shown (documents links).
    pub document_ids: Vec<String>,
    pub recipient: String,
    /// Who made it ("kind:name").
    pub created_by: String,
    pub created_at: SystemTime,
    pub expires_at: SystemTime,
    pub revoked_at: Option<SystemTime>,
    /// Who revoked it ("kind:name").
    pub revoked_by: Option<String>,
}

impl Share {
    /// Whether the link opens at `now`: neither revoked nor expired.
    pub fn is_active(&self, now: SystemTime) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

impl From<ShareRecord> for Share {
    fn from(r: ShareRecord) -> Self {
        Self {
            id: r.share_id.to_string(),
            case_id: r.case_id.to_string(),
            case_number: r.case_number.to_string(),
            purpose: r.purpose,
            document_ids: r.document_ids.iter().map(ToString::to_string).collect(),
            recipient: r.recipient,
            created_by: r.created_by,
            created_at: time(r.created_at),
            expires_at: time(r.expires_at),
            revoked_at: r.revoked_at.map(time),
            revoked_by: r.revoked_by,
        }
    }
}

/// A link just made, with its token: the only time the token is seen.
#[derive(Clone)]
pub struct IssuedShare {
    pub share: Share,
    /// The token in plain text (base64url, 43 characters).
    pub token: String,
}

impl IssuedShare {
    /// The link's path, as the web interface serves it: `/s/{token}` for
    /// documents, `/status/{token}` for the status page.
    pub fn path(&self) -> String {
        self.share.purpose.path(&self.token)
    }
}

impl std::fmt::Debug for IssuedShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret: never in a log line.
        f.debug_struct("IssuedShare")
            .field("share", &self.share)
            .finish_non_exhaustive()
    }
}

/// An event of a case's timeline as a status link shows it: its public
/// text only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicEvent {
    pub at: SystemTime,
    pub kind: TimelineKind,
    /// The case's status after the event.
    pub status: CaseStatus,
    pub text: String,
}

impl From<TimelineEvent> for PublicEvent {
    fn from(e: TimelineEvent) -> Self {
        Self {
            at: time(e.at),
            kind: e.kind,
            status: e.status,
            text: e.public_text,
        }
    }
}

/// What an opened link shows.
#[derive(Clone, Debug)]
pub struct SharedView {
    pub share: Share,
    /// Documents link: the documents shared, in the order listed (those
    /// still in the case).
    pub documents: Vec<Document>,
    /// Status link: the case's status.
    pub status: Option<CaseStatus>,
    /// Status link: the case's timeline, oldest first, public texts only.
    pub timeline: Vec<PublicEvent>,
}

fn time(ms: UnixMillis) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

fn millis(t: SystemTime, field: &str) -> Result<UnixMillis> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| UnixMillis::try_from(d.as_millis()).ok())
        .ok_or_else(|| CoreError::InvalidArgument(format!("{field} is out of range")))
}

/// The answer to a link that does not lead anywhere, whatever the cause.
fn gone() -> CoreError {
    CoreError::Gone(GONE.to_owned())
}

/// A denial of a link's read, answered like any other dead link.
fn as_gone(e: CoreError) -> CoreError {
    match e.code() {
        ErrorCode::PermissionDenied | ErrorCode::Gone => gone(),
        _ => e,
    }
}

/// A new token: random bytes from the operating system, base64url.
fn new_token() -> Result<String> {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rngs::SysRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| CoreError::Internal(format!("the system's random generator failed: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The key a token's link is kept under.
fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` could be one this store made (so that nothing else is
/// hashed and looked up).
fn plausible(token: &str) -> bool {
    token.len() == TOKEN_CHARS
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The caller a link's calls are made as: the link itself.
fn link_caller(share: &ShareRecord, peer: Option<SocketAddr>) -> Caller {
    let mut caller = Caller::new(
        Principal::new(PrincipalKind::Share, share.share_id.to_string()),
        peer.map(|p| p.to_string()).unwrap_or_default(),
    );
    caller.share = Some(ShareGrant {
        case_id: share.case_id.to_string(),
        documents: share.document_ids.iter().map(ToString::to_string).collect(),
        purpose: share.purpose.as_str(),
    });
    caller
}

fn refused() -> Verdict {
    Verdict {
        allowed: false,
        policies: Vec::new(),
    }
}

impl Store {
    /// Makes a share link to a case: to `document_ids` (purpose documents)
    /// or to the case's status page (purpose status). Needs the rules'
    /// ShareCase; a restricted case is never shared (FAILED_PRECONDITION).
    /// Durable and logged when it returns, with the token in plain text,
    /// which is kept nowhere.
    pub async fn create_share(&self, caller: &Caller, input: NewShare) -> Result<IssuedShare> {
        let recipient = input.recipient.trim().to_owned();
        if recipient.is_empty() {
            return Err(CoreError::InvalidArgument("recipient is required".into()));
        }
        if recipient.len() > MAX_RECIPIENT {
            return Err(CoreError::InvalidArgument(format!(
                "recipient is longer than {MAX_RECIPIENT} bytes"
            )));
        }
        check_len("recipient", &recipient)?;
        let now = now_millis();
        let expires_at = millis(input.expires_at, "expires_at")?;
        self.check_expiry(now, expires_at)?;
        let documents = shared_documents(input.purpose, &input.document_ids)?;
        let (case, verdict) = self
            .case_for(
                caller,
                &input.case_number,
                Action::ShareCase,
                AccessAction::CreateShare,
                "sharing case",
            )
            .await?;
        let target = Target::case(&case);
        if case.restricted_to.is_some() {
            self.log(
                caller,
                AccessAction::CreateShare,
                &refused(),
                &target,
                "the case is restricted".into(),
            )
            .await?;
            return Err(CoreError::FailedPrecondition(format!(
                "case {} is restricted and cannot be shared",
                case.case_number
            )));
        }
        if let Some(id) = self.first_outside(&case, &documents).await? {
            self.log(
                caller,
                AccessAction::CreateShare,
                &refused(),
                &target,
                format!("document {id} is not in the case"),
            )
            .await?;
            return Err(CoreError::InvalidArgument(format!(
                "document {id} is not a document of case {}",
                case.case_number
            )));
        }
        let token = new_token()?;
        let record = ShareRecord {
            share_id: self.inner.ids.share_id(),
            case_id: case.case_id,
            case_number: case.case_number.clone(),
            purpose: input.purpose,
            document_ids: documents,
            recipient,
            created_by: caller.principal.label(),
            created_at: now,
            expires_at,
            revoked_at: None,
            revoked_by: None,
        };
        let shown: Vec<String> = record
            .document_ids
            .iter()
            .map(ToString::to_string)
            .collect();
        // Logged before it is made: a link that cannot be logged is not made.
        self.log(
            caller,
            AccessAction::CreateShare,
            &verdict,
            &target,
            format!(
                "share={} purpose={} documents={} recipient={:?} expires_at={}",
                record.share_id,
                record.purpose.as_str(),
                shown.join(","),
                record.recipient,
                record.expires_at
            ),
        )
        .await?;
        let hash = token_hash(&token);
        let stored = record.clone();
        self.blocking(move |inner| Ok(inner.catalog.create_share(&stored, &hash)?))
            .await?;
        tracing::info!(share_id = %record.share_id, case_number = %record.case_number, purpose = record.purpose.as_str(), "share link created");
        Ok(IssuedShare {
            share: record.into(),
            token,
        })
    }

    /// An expiry must be ahead, and at most `[shares] max_ttl_days` ahead.
    fn check_expiry(&self, now: UnixMillis, expires_at: UnixMillis) -> Result<()> {
        if expires_at <= now {
            return Err(CoreError::InvalidArgument(
                "expires_at must be in the future".into(),
            ));
        }
        let max = self.inner.settings.share_max_ttl;
        let latest = now.saturating_add(UnixMillis::try_from(max.as_millis()).unwrap_or(i64::MAX));
        if expires_at > latest {
            return Err(CoreError::InvalidArgument(format!(
                "expires_at is more than {} days ahead (shares.max_ttl_days)",
                max.as_secs() / 86_400
            )));
        }
        Ok(())
    }

    /// The first of `documents` that is not in `case`.
    async fn first_outside(
        &self,
        case: &Case,
        documents: &[DocumentId],
    ) -> Result<Option<DocumentId>> {
        let (case_id, documents) = (case.case_id, documents.to_vec());
        self.blocking(move |inner| {
            for id in documents {
                let doc = inner.catalog.get_document(id)?;
                if doc.and_then(|d| d.case_id) != Some(case_id) {
                    return Ok(Some(id));
                }
            }
            Ok(None)
        })
        .await
    }

    /// Revokes a share link: from then on it opens nothing. Needs the
    /// rules' ShareCase on its case; revoking a revoked link changes
    /// nothing.
    pub async fn revoke_share(&self, caller: &Caller, share_id: &str) -> Result<Share> {
        let id: ShareId = share_id
            .parse()
            .map_err(|e: akte_types::IdParseError| CoreError::InvalidArgument(e.to_string()))?;
        let what = format!("share link {id}");
        let Some(share) = self.point_read(|inner| Ok(inner.catalog.get_share(id)?))? else {
            self.log(
                caller,
                AccessAction::RevokeShare,
                &refused(),
                &Target::default(),
                format!("share={id} does not exist"),
            )
            .await?;
            return Err(denied(&what));
        };
        let case = self
            .point_read(|inner| Ok(inner.catalog.get_case(share.case_id)?))?
            .ok_or_else(|| {
                CoreError::DataLoss(format!(
                    "share link {id} names case {}, which is missing",
                    share.case_id
                ))
            })?;
        let target = Target::case(&case);
        let verdict = self
            .authorize(
                caller,
                Action::ShareCase,
                &Resource::case(&case),
                AccessAction::RevokeShare,
                &target,
                &what,
            )
            .await?;
        // Logged before it is done: a revocation that cannot be logged is not made.
        self.log(
            caller,
            AccessAction::RevokeShare,
            &verdict,
            &target,
            format!("share={id}"),
        )
        .await?;
        let by = caller.principal.label();
        let revoked = self
            .blocking(move |inner| Ok(inner.catalog.revoke_share(id, now_millis(), by)?))
            .await?
            .ok_or_else(|| denied(&what))?;
        tracing::info!(share_id = %id, case_number = %case.case_number, "share link revoked");
        Ok(revoked.into())
    }

    /// The share links of a case, newest first (at most
    /// [`MAX_LISTED_SHARES`]), revoked and expired ones too. Needs the
    /// rules' ShareCase.
    pub async fn list_shares(&self, caller: &Caller, case_number: &str) -> Result<Vec<Share>> {
        let (case, verdict) = self
            .case_for(
                caller,
                case_number,
                Action::ShareCase,
                AccessAction::ListShares,
                "the share links of case",
            )
            .await?;
        let id = case.case_id;
        let shares = self
            .blocking(move |inner| Ok(inner.catalog.case_shares(id, MAX_LISTED_SHARES)?))
            .await?;
        let shown: Vec<String> = shares.iter().map(|s| s.share_id.to_string()).collect();
        self.log(
            caller,
            AccessAction::ListShares,
            &verdict,
            &Target::case(&case),
            format!("shown={}", shown.join(",")),
        )
        .await?;
        Ok(shares.into_iter().map(Share::from).collect())
    }

    /// What the link with `token` shows, opened from `peer`: the shared
    /// documents, or the case's status and public timeline. Logged (synced)
    /// before it is answered, with the link as the principal. Gone if the
    /// link does not lead anywhere (any more).
    pub async fn open_share(&self, token: &str, peer: Option<SocketAddr>) -> Result<SharedView> {
        let (share, case, caller) = self
            .link(token, peer, AccessAction::OpenShare, None)
            .await?;
        let target = Target::case(&case);
        match share.purpose {
            SharePurpose::Status => {
                let verdict = self
                    .authorize(
                        &caller,
                        Action::ReadCaseStatus,
                        &Resource::case(&case),
                        AccessAction::OpenShare,
                        &target,
                        &format!("the status of case {}", case.case_number),
                    )
                    .await
                    .map_err(as_gone)?;
                let id = case.case_id;
                let events = self
                    .blocking(move |inner| {
                        Ok(inner.catalog.timeline(id, 0, super::timeline::MAX_EVENTS)?)
                    })
                    .await?;
                self.log(
                    &caller,
                    AccessAction::OpenShare,
                    &verdict,
                    &target,
                    "status".into(),
                )
                .await?;
                Ok(SharedView {
                    share: share.into(),
                    documents: Vec::new(),
                    status: Some(case.status),
                    timeline: events
                        .into_iter()
                        .filter(|e| !e.public_text.is_empty())
                        .map(PublicEvent::from)
                        .collect(),
                })
            }
            SharePurpose::Documents => {
                let (documents, verdict) = self.readable_shared(&caller, &share).await?;
                let shown: Vec<String> = documents
                    .iter()
                    .map(|d| d.document_id.to_string())
                    .collect();
                self.log(
                    &caller,
                    AccessAction::OpenShare,
                    &verdict,
                    &target,
                    format!("shown={}", shown.join(",")),
                )
                .await?;
                if !verdict.allowed {
                    tracing::info!(share_id = %share.share_id, "share link opened, nothing of it may be shown");
                    return Err(gone());
                }
                Ok(SharedView {
                    share: share.into(),
                    documents,
                    status: None,
                    timeline: Vec::new(),
                })
            }
        }
    }

    /// The documents of a link the rules let it show now (each still in its
    /// case, the case not restricted), with the verdict: allowed if any is.
    async fn readable_shared(
        &self,
        caller: &Caller,
        share: &ShareRecord,
    ) -> Result<(Vec<Document>, Verdict)> {
        let (caller, ids) = (caller.clone(), share.document_ids.clone());
        self.blocking(move |inner| {
            let mut shown = Vec::new();
            let mut permitting = BTreeSet::new();
            let mut denying = BTreeSet::new();
            for id in &ids {
                let Some(doc) = inner.catalog.get_document(*id)? else {
                    continue;
                };
                let mut reading = caller.clone();
                reading.document = Some(id.to_string());
                let verdict = inner.policies.check(
                    &reading,
                    Action::ReadDocument,
                    &resource_of(inner, &doc)?,
                )?;
                if verdict.allowed {
                    permitting.extend(verdict.policies);
                    shown.push(doc);
                } else {
                    denying.extend(verdict.policies);
                }
            }
            let allowed = !shown.is_empty();
            let policies = if allowed { permitting } else { denying };
            Ok((
                shown,
                Verdict {
                    allowed,
                    policies: policies.into_iter().collect(),
                },
            ))
        })
        .await
    }

    /// A document of the link with `token` and a stream of its bytes,
    /// verified against its SHA-256 as [`Store::download`] does (it is that
    /// download, made as the link). Logged before it is served. Gone if the
    /// link does not lead anywhere (any more) or does not show that
    /// document.
    pub async fn download_shared(
        &self,
        token: &str,
        document_id: &str,
        peer: Option<SocketAddr>,
    ) -> Result<(Document, BoxStream<'static, Result<Bytes>>)> {
        let (_, _, mut caller) = self
            .link(
                token,
                peer,
                AccessAction::DownloadDocument,
                Some(document_id),
            )
            .await?;
        let Ok(id) = Self::parse_document_id(document_id) else {
            return Err(gone());
        };
        caller.document = Some(id.to_string());
        self.download(&caller, &id.to_string(), None, None)
            .await
            .map_err(as_gone)
    }

    /// The link `token` opens, its case, and the caller its calls are made
    /// as. An unknown token is Gone; an expired or revoked link, or one
    /// whose case is missing, too, after its refusal is logged as `log_as`.
    async fn link(
        &self,
        token: &str,
        peer: Option<SocketAddr>,
        log_as: AccessAction,
        document: Option<&str>,
    ) -> Result<(ShareRecord, Case, Caller)> {
        let token = token.trim();
        let share = if plausible(token) {
            let hash = token_hash(token);
            self.point_read(|inner| Ok(inner.catalog.share_by_token(&hash)?))?
        } else {
            None
        };
        let Some(share) = share else {
            // Nobody to name in the access log, and nothing was read.
            tracing::info!(peer = ?peer, "an unknown share link was opened");
            return Err(gone());
        };
        let caller = link_caller(&share, peer);
        let target = Target {
            case_number: Some(share.case_number.to_string()),
            document_id: document.map(|d| d.trim().chars().take(64).collect()),
        };
        let why = if share.revoked_at.is_some() {
            "the link is revoked"
        } else if share.expires_at <= now_millis() {
            "the link has expired"
        } else {
            match self.point_read(|inner| Ok(inner.catalog.get_case(share.case_id)?))? {
                Some(case) => return Ok((share, case, caller)),
                None => "its case is missing",
            }
        };
        self.log(&caller, log_as, &refused(), &target, why.to_owned())
            .await?;
        tracing::info!(share_id = %share.share_id, why, "share link refused");
        Err(gone())
    }
}

/// The documents of a new link, parsed and checked against its purpose.
fn shared_documents(purpose: SharePurpose, ids: &[String]) -> Result<Vec<DocumentId>> {
    match purpose {
        SharePurpose::Status if ids.is_empty() => Ok(Vec::new()),
        SharePurpose::Status => Err(CoreError::InvalidArgument(
            "a status link shows no documents: leave document_ids empty".into(),
        )),
        SharePurpose::Documents => {
            if ids.is_empty() {
                return Err(CoreError::InvalidArgument(
                    "a documents link needs at least one document_id".into(),
                ));
            }
            if ids.len() > MAX_SHARED_DOCUMENTS {
                return Err(CoreError::InvalidArgument(format!(
                    "a link shows at most {MAX_SHARED_DOCUMENTS} documents"
                )));
            }
            let mut documents = Vec::with_capacity(ids.len());
            for id in ids {
                let id = Store::parse_document_id(id)?;
                if !documents.contains(&id) {
                    documents.push(id);
                }
            }
            Ok(documents)
        }
    }
}

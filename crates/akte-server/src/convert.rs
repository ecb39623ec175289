//! Conversions between core records and the generated `akte.v1` types.

use akte_core::checkpoint::Checkpoint;
use akte_core::{CaseView, CoreError, DocumentEvidence, ErrorCode, Log, Share, SharePurpose};
use akte_proto::v1 as pb;
use akte_types::{AssignedBy, CaseMove, Document, IndexState, TransferNote, UnixMillis};
use tonic::{Code, Status};

/// The one mapping of core errors to gRPC statuses. Internal errors are
/// logged in full and shown to the client as a generic message. A share link
/// that does not lead anywhere (any more) is NOT_FOUND: nothing is there for
/// its holder, whatever the cause.
pub fn status_from(err: CoreError) -> Status {
    let code = match err.code() {
        ErrorCode::NotFound | ErrorCode::Gone => Code::NotFound,
        ErrorCode::AlreadyExists => Code::AlreadyExists,
        ErrorCode::InvalidArgument => Code::InvalidArgument,
        ErrorCode::PermissionDenied => Code::PermissionDenied,
        ErrorCode::Unauthenticated => Code::Unauthenticated,
        ErrorCode::FailedPrecondition => Code::FailedPrecondition,
        ErrorCode::ResourceExhausted => Code::ResourceExhausted,
        ErrorCode::Cancelled => Code::Cancelled,
        ErrorCode::Aborted => Code::Aborted,
        ErrorCode::Unavailable => Code::Unavailable,
        ErrorCode::DataLoss => Code::DataLoss,
        ErrorCode::Internal => Code::Internal,
    };
    if matches!(code, Code::Internal | Code::Unavailable | Code::DataLoss) {
        tracing::error!(error = %err, ?code, "request failed");
    }
    Status::new(code, err.client_message())
}

pub fn timestamp(ms: UnixMillis) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: i32::try_from(ms.rem_euclid(1000) * 1_000_000).unwrap_or(0),
    }
}

/// Milliseconds of a client timestamp; out-of-range values are refused.
pub fn millis(field: &str, ts: &prost_types::Timestamp) -> Result<UnixMillis, Status> {
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(Status::invalid_argument(format!(
            "{field}: nanos must be within 0..1e9"
        )));
    }
    ts.seconds
        .checked_mul(1000)
        .and_then(|ms| ms.checked_add(i64::from(ts.nanos / 1_000_000)))
        .filter(|ms| ms.abs() < 253_402_300_800_000)
        .ok_or_else(|| Status::invalid_argument(format!("{field}: timestamp out of range")))
}

pub fn case(view: CaseView) -> pb::Case {
    let c = view.case;
    pb::Case {
        case_id: c.case_id.to_string(),
        case_number: c.case_number.to_string(),
        title: c.title,
        site: c.site,
        team: c.team.unwrap_or_default(),
        parties: c.parties,
        created_at: Some(timestamp(c.created_at)),
        document_count: view.document_count,
        restricted_to: c.restricted_to.unwrap_or_default(),
        status: case_status(c.status) as i32,
    }
}

pub fn case_status(s: akte_types::CaseStatus) -> pb::CaseStatus {
    use akte_types::CaseStatus as S;
    match s {
        S::Received => pb::CaseStatus::Received,
        S::InProgress => pb::CaseStatus::InProgress,
        S::WaitingForDocuments => pb::CaseStatus::WaitingForDocuments,
        S::Decided => pb::CaseStatus::Decided,
        S::Closed => pb::CaseStatus::Closed,
    }
}

/// The status a client names, as the store spells it.
pub fn case_status_in(s: i32) -> Result<&'static str, Status> {
    use akte_types::CaseStatus as S;
    Ok(match pb::CaseStatus::try_from(s) {
        Ok(pb::CaseStatus::Received) => S::Received.as_str(),
        Ok(pb::CaseStatus::InProgress) => S::InProgress.as_str(),
        Ok(pb::CaseStatus::WaitingForDocuments) => S::WaitingForDocuments.as_str(),
        Ok(pb::CaseStatus::Decided) => S::Decided.as_str(),
        Ok(pb::CaseStatus::Closed) => S::Closed.as_str(),
        _ => {
            return Err(Status::invalid_argument(
                "status is required (CASE_STATUS_RECEIVED … CASE_STATUS_CLOSED)",
            ))
        }
    })
}

pub fn timeline_event(e: akte_types::TimelineEvent) -> pb::TimelineEvent {
    pb::TimelineEvent {
        at: Some(timestamp(e.at)),
        kind: serde_plain(&e.kind),
        status: case_status(e.status) as i32,
        public_text: e.public_text,
        internal_text: e.internal_text,
        by: e.by.unwrap_or_default(),
        document_id: e.document_id.unwrap_or_default(),
    }
}

fn system_time(t: std::time::SystemTime) -> prost_types::Timestamp {
    let ms = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    timestamp(ms)
}

pub fn share_purpose(p: SharePurpose) -> pb::SharePurpose {
    match p {
        SharePurpose::Documents => pb::SharePurpose::Documents,
        SharePurpose::Status => pb::SharePurpose::Status,
    }
}

/// The purpose a client names.
pub fn share_purpose_in(p: i32) -> Result<SharePurpose, Status> {
    match pb::SharePurpose::try_from(p) {
        Ok(pb::SharePurpose::Documents) => Ok(SharePurpose::Documents),
        Ok(pb::SharePurpose::Status) => Ok(SharePurpose::Status),
        _ => Err(Status::invalid_argument(
            "purpose is required (SHARE_PURPOSE_DOCUMENTS or SHARE_PURPOSE_STATUS)",
        )),
    }
}

pub fn share(s: Share) -> pb::Share {
    pb::Share {
        active: s.is_active(std::time::SystemTime::now()),
        share_id: s.id,
        case_id: s.case_id,
        case_number: s.case_number,
        purpose: share_purpose(s.purpose) as i32,
        document_ids: s.document_ids,
        recipient: s.recipient,
        created_by: s.created_by,
        created_at: Some(system_time(s.created_at)),
        expires_at: Some(system_time(s.expires_at)),
        revoked_at: s.revoked_at.map(system_time),
        revoked_by: s.revoked_by.unwrap_or_default(),
    }
}

/// A client's timestamp as a point in time; before 1970 is refused.
pub fn system_time_in(
    field: &str,
    ts: &prost_types::Timestamp,
) -> Result<std::time::SystemTime, Status> {
    let ms = millis(field, ts)?;
    let ms =
        u64::try_from(ms).map_err(|_| Status::invalid_argument(format!("{field}: before 1970")))?;
    Ok(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
}

pub fn access_record(r: akte_types::AccessRecord) -> pb::AccessRecord {
    pb::AccessRecord {
        at: Some(timestamp(r.at)),
        action: serde_plain(&r.action),
        principal: r.principal.unwrap_or_default(),
        peer: r.peer,
        case_number: r.case_number.unwrap_or_default(),
        document_id: r.document_id.unwrap_or_default(),
        detail: r.detail,
        decision: r.decision.map(|d| serde_plain(&d)).unwrap_or_default(),
        policies: r.policies,
        reason: r.reason.map(|(code, text)| pb::AccessReason { code, text }),
        seq: r.seq.unwrap_or_default(),
    }
}

/// A unit enum variant by its serialised (snake_case) name.
fn serde_plain<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

pub fn index_state(s: IndexState) -> pb::IndexState {
    match s {
        IndexState::Pending => pb::IndexState::Pending,
        IndexState::Indexed => pb::IndexState::Indexed,
        IndexState::Failed => pb::IndexState::Failed,
        IndexState::AwaitingText => pb::IndexState::AwaitingText,
        IndexState::Ocr => pb::IndexState::Ocr,
    }
}

pub fn assigned_by(by: Option<AssignedBy>) -> pb::AssignedBy {
    match by {
        None => pb::AssignedBy::Unspecified,
        Some(AssignedBy::Upload) => pb::AssignedBy::Upload,
        Some(AssignedBy::Text) => pb::AssignedBy::Text,
        Some(AssignedBy::Code) => pb::AssignedBy::Code,
        Some(AssignedBy::Manual) => pb::AssignedBy::Manual,
    }
}

fn case_move(m: CaseMove) -> pb::CaseMove {
    pb::CaseMove {
        at: Some(timestamp(m.at)),
        from_case_number: m.from.map(|n| n.to_string()).unwrap_or_default(),
        to_case_number: m.to.to_string(),
        assigned_by: assigned_by(Some(m.by)) as i32,
        detail: m.detail,
    }
}

fn transfer_note(n: TransferNote) -> pb::TransferNote {
    pb::TransferNote {
        station_id: n.station_id,
        operator: n.operator,
        scanned_at: n.scanned_at.map(timestamp),
        page_count: n.page_count,
        post_processing: n.post_processing,
        post_processing_detail: n.post_processing_detail,
        sha256: n.sha256.map(|h| h.to_hex()).unwrap_or_default(),
    }
}

/// A client's transfer note; the hash is set by the store.
pub fn transfer_note_in(n: pb::TransferNote) -> Result<TransferNote, Status> {
    Ok(TransferNote {
        station_id: n.station_id,
        operator: n.operator,
        scanned_at: n
            .scanned_at
            .as_ref()
            .map(|t| millis("transfer_note.scanned_at", t))
            .transpose()?,
        page_count: n.page_count,
        post_processing: n.post_processing,
        post_processing_detail: n.post_processing_detail,
        sha256: None,
    })
}

pub fn document(d: Document) -> pb::Document {
    let assigned_by = assigned_by(d.assigned_by()) as i32;
    pb::Document {
        document_id: d.document_id.to_string(),
        case_id: d.case_id.map(|c| c.to_string()).unwrap_or_default(),
        case_number: d.case_number.map(|c| c.to_string()).unwrap_or_default(),
        sha256: d.sha256.to_hex(),
        size_bytes: d.size_bytes,
        media_type: d.media_type,
        filename: d.filename,
        title: d.title,
        document_type: d.document_type,
        source: d.source,
        received_at: Some(timestamp(d.received_at)),
        created_at: Some(timestamp(d.created_at)),
        index_state: index_state(d.index_state) as i32,
        index_error: d.index_error.unwrap_or_default(),
        site: d.site,
        page_count: d.page_count,
        assigned_by,
        history: d.history.into_iter().map(case_move).collect(),
        routing_note: d.routing_note.unwrap_or_default(),
        transfer_note: d.transfer_note.map(transfer_note),
    }
}

/// A signed checkpoint of `log`, with the text that is signed and the key.
pub fn checkpoint(c: Checkpoint, log: Log, public_key: Vec<u8>) -> pb::Checkpoint {
    pb::Checkpoint {
        signed_text: c.signed_text(log),
        root: hex::decode(&c.root).unwrap_or_default().into(),
        signature: hex::decode(&c.signature).unwrap_or_default().into(),
        at: Some(timestamp(c.at)),
        size: c.size,
        catalog_id: c.catalog_id,
        public_key: public_key.into(),
    }
}

pub fn document_evidence(e: DocumentEvidence) -> pb::DocumentEvidence {
    pb::DocumentEvidence {
        document_id: e.leaf.document_id.to_string(),
        sha256: e.leaf.sha256.to_hex(),
        size_bytes: e.leaf.size_bytes,
        created_at_millis: e.leaf.created_at,
        leaf: e.leaf.data().into_bytes().into(),
        leaf_index: e.leaf_index,
        root: Some(checkpoint(e.root, Log::Evidence, e.public_key)),
        path: e.path.iter().map(|h| h.to_vec().into()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for ms in [0, 1, 999, 1_700_000_000_123, -1, -1001] {
            assert_eq!(millis("t", &timestamp(ms)).unwrap(), ms);
        }
        assert!(millis(
            "t",
            &prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0
            }
        )
        .is_err());
        assert!(millis(
            "t",
            &prost_types::Timestamp {
                seconds: 0,
                nanos: -1
            }
        )
        .is_err());
    }

    #[test]
    fn internal_errors_are_not_shown() {
        let s = status_from(CoreError::Internal("secret path /x".into()));
        assert_eq!(s.code(), Code::Internal);
        assert!(!s.message().contains("secret"));
        let s = status_from(CoreError::NotFound("case 1 not found".into()));
        assert_eq!(s.code(), Code::NotFound);
        assert_eq!(s.message(), "case 1 not found");
        let s = status_from(CoreError::Gone("this link is no longer valid".into()));
        assert_eq!(s.code(), Code::NotFound);
        assert_eq!(s.message(), "this link is no longer valid");
    }
}

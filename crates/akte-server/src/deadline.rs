//! Deadlines of streamed responses.
//!
//! tonic ends a call at its `grpc-timeout` only until the response has
//! started; the body of a streamed response (a download) would go on for as
//! long as the client keeps the stream open. [`bounded`] ends such a body at
//! the client's deadline with DEADLINE_EXCEEDED.
//!
//! tonic's parser of the header is private, so the few lines of the gRPC
//! over HTTP/2 format are repeated here.

use std::pin::Pin;
use std::time::Duration;

use futures::stream::{Stream, StreamExt};
use tokio::time::Instant;
use tonic::metadata::MetadataMap;
use tonic::Status;

/// The time by which the call must end, from its `grpc-timeout` header
/// (`TimeoutValue TimeoutUnit`: at most 8 digits and one of H M S m u n).
/// A missing or malformed header means no deadline, as in tonic.
pub fn of(metadata: &MetadataMap) -> Option<Instant> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let unit = value.chars().last()?;
    let digits = &value[..value.len() - unit.len_utf8()];
    if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    let timeout = match unit {
        'H' => Duration::from_secs(n * 3600),
        'M' => Duration::from_secs(n * 60),
        'S' => Duration::from_secs(n),
        'm' => Duration::from_millis(n),
        'u' => Duration::from_micros(n),
        'n' => Duration::from_nanos(n),
        _ => return None,
    };
    Some(Instant::now() + timeout)
}

/// `stream`, ended with DEADLINE_EXCEEDED once `deadline` has passed (checked
/// before every item, so that a stream whose items are always ready is cut
/// off too).
pub fn bounded<T: Send + 'static>(
    stream: impl Stream<Item = Result<T, Status>> + Send + 'static,
    deadline: Option<Instant>,
) -> Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>> {
    let Some(deadline) = deadline else {
        return Box::pin(stream);
    };
    let sleep = Box::pin(tokio::time::sleep_until(deadline));
    let stream = Box::pin(stream);
    Box::pin(futures::stream::unfold(
        Some((stream, sleep)),
        |state| async move {
            let (mut stream, mut sleep) = state?;
            tokio::select! {
                biased;
                () = &mut sleep => Some((
                    Err(Status::deadline_exceeded("the call's deadline passed during the response")),
                    None,
                )),
                item = stream.next() => item.map(|item| (item, Some((stream, sleep)))),
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deadline(value: &str) -> Option<Duration> {
        let mut m = MetadataMap::new();
        m.insert("grpc-timeout", value.parse().expect("ascii"));
        of(&m).map(|at| at.saturating_duration_since(Instant::now()))
    }

    #[tokio::test]
    async fn parses_every_unit_and_rejects_malformed_values() {
        let close = |v: &str, want: Duration| {
            let got = deadline(v).unwrap_or_else(|| panic!("{v} not parsed"));
            assert!(
                got <= want && want - got < Duration::from_secs(1),
                "{v}: {got:?}"
            );
        };
        close("2H", Duration::from_secs(7200));
        close("3M", Duration::from_secs(180));
        close("4S", Duration::from_secs(4));
        close("1500m", Duration::from_millis(1500));
        close("99999999u", Duration::from_micros(99_999_999));
        close("5n", Duration::from_nanos(5));
        for bad in ["", "S", "123456789S", "12x", "-1S", "1.5S"] {
            assert_eq!(deadline(bad), None, "{bad:?}");
        }
        assert!(of(&MetadataMap::new()).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_stream_past_its_deadline_ends_with_deadline_exceeded() {
        // Items always ready: only the deadline ends the stream.
        let endless = futures::stream::repeat_with(|| Ok::<_, Status>(1u8)).then(|x| async move {
            tokio::time::sleep(Duration::from_millis(10)).await;
            x
        });
        let items: Vec<_> = bounded(endless, Some(Instant::now() + Duration::from_millis(95)))
            .collect()
            .await;
        let (last, before) = items.split_last().expect("items");
        assert_eq!(before.len(), 9);
        assert!(before.iter().all(Result::is_ok));
        assert_eq!(
            last.as_ref().expect_err("ends with an error").code(),
            tonic::Code::DeadlineExceeded
        );
    }

    #[tokio::test]
    async fn a_stream_within_its_deadline_is_unchanged() {
        let items: Vec<_> = bounded(
            futures::stream::iter([Ok::<_, Status>(1), Ok(2), Err(Status::data_loss("x"))]),
            Some(Instant::now() + Duration::from_secs(60)),
        )
        .collect()
        .await;
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[2].as_ref().map_err(Status::code),
            Err(tonic::Code::DataLoss)
        );
        let plain: Vec<_> = bounded(futures::stream::iter([Ok::<_, Status>(1)]), None)
            .collect()
            .await;
        assert_eq!(plain.len(), 1);
    }
}

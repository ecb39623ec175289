//! Figures for operations, in the Prometheus text format: requests by
//! interface, method and outcome, their latencies, bytes uploaded; queue
//! lengths, inbox sizes and free disk space are read when scraped.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// "grpc" or "web".
    pub interface: String,
    /// The gRPC method ("akte.v1.DocumentService/Upload") or the web
    /// route's pattern ("/cases/{number}"), never a concrete path.
    pub method: String,
    /// The gRPC status code name or the HTTP status.
    pub code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MethodLabels {
    pub interface: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SiteLabels {
    site: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DirLabels {
    dir: String,
}

/// The service's figures.
pub struct Metrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<MethodLabels, Histogram>,
    upload_bytes: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            requests: Family::default(),
            latency: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.0, 16))
            }),
            upload_bytes: Counter::default(),
        }
    }
}

/// What is read at each scrape.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub index_queue: u64,
    pub ocr_queue: u64,
    /// Documents waiting in each site's inbox.
    pub inboxes: Vec<(String, u64)>,
    /// Free bytes of the data directory's and (if local) the blob
    /// directory's file systems.
    pub disk_free: Vec<(String, u64)>,
    pub disk_reserve: u64,
}

impl Metrics {
    /// One request answered.
    pub fn request(&self, interface: &str, method: &str, code: &str, took: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                interface: interface.to_owned(),
                method: method.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&MethodLabels {
                interface: interface.to_owned(),
                method: method.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Content of a document stored.
    pub fn uploaded(&self, bytes: u64) {
        self.upload_bytes.inc_by(bytes);
    }

    /// All figures in the Prometheus text format, with `figures` read now.
    pub fn encode(&self, figures: &Figures) -> Result<String, std::fmt::Error> {
        let mut registry = Registry::with_prefix("akte");
        registry.register(
            "requests",
            "Requests answered, by interface, method and outcome",
            self.requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request (for streams: to the first response)",
            self.latency.clone(),
        );
        registry.register(
            "upload_bytes",
            "Bytes of documents stored",
            self.upload_bytes.clone(),
        );
        let queues = Family::<QueueLabels, Gauge>::default();
        for (name, n) in [("index", figures.index_queue), ("ocr", figures.ocr_queue)] {
            queues
                .get_or_create(&QueueLabels { queue: name.into() })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        registry.register("queue_length", "Documents waiting in a queue", queues);
        let inboxes = Family::<SiteLabels, Gauge>::default();
        for (site, n) in &figures.inboxes {
            inboxes
                .get_or_create(&SiteLabels { site: site.clone() })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        registry.register(
            "inbox_documents",
            "Documents waiting in a site's inbox",
            inboxes,
        );
        let free = Family::<DirLabels, Gauge>::default();
        for (dir, n) in &figures.disk_free {
            free.get_or_create(&DirLabels { dir: dir.clone() })
                .set(i64::try_from(*n).unwrap_or(i64::MAX));
        }
        registry.register(
            "disk_free_bytes",
            "Free bytes on the file systems akte writes to",
            free,
        );
        let reserve = Gauge::<i64>::default();
        reserve.set(i64::try_from(figures.disk_reserve).unwrap_or(i64::MAX));
        registry.register(
            "disk_reserve_bytes",
            "Free space uploads must leave on each disk",
            reserve,
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_format() {
        let m = Metrics::default();
        m.request(
            "grpc",
            "akte.v1.CaseService/GetCase",
            "OK",
            Duration::from_millis(3),
        );
        m.uploaded(1234);
        let text = m
            .encode(&Figures {
                index_queue: 2,
                ocr_queue: 1,
                inboxes: vec![("Nord".into(), 5)],
                disk_free: vec![("data".into(), 10)],
                disk_reserve: 7,
            })
            .unwrap();
        for line in [
            "akte_requests_total{interface=\"grpc\",method=\"akte.v1.CaseService/GetCase\",code=\"OK\"} 1",
            "akte_upload_bytes_total 1234",
            "akte_queue_length{queue=\"index\"} 2",
            "akte_inbox_documents{site=\"Nord\"} 5",
            "akte_disk_free_bytes{dir=\"data\"} 10",
            "akte_disk_reserve_bytes 7",
        ] {
            assert!(text.contains(line), "{line} missing in\n{text}");
        }
        assert!(text.contains("akte_request_duration_seconds_bucket"));
    }
}

//! Configuration: a TOML file parsed into [`Config`] (every key optional, with
//! defaults), then validated into [`Settings`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use akte_types::{CaseNumberPattern, DEFAULT_CASE_NUMBER_PATTERN};
use serde::Deserialize;

use crate::{CoreError, Result};

/// The file as written; see config/akte.toml for every key.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub storage: StorageConfig,
    pub limits: LimitsConfig,
    pub cases: CasesConfig,
    pub media: MediaConfig,
    pub index: IndexConfig,
    pub ocr: OcrConfig,
    pub gc: GcConfig,
    pub scrub: ScrubConfig,
    pub tls: TlsConfig,
    pub access: crate::auth::AccessConfig,
    pub auth: crate::auth::AuthConfig,
    pub shares: SharesConfig,
    pub evidence: EvidenceConfig,
    pub web: crate::web_config::WebConfig,
}

/// The evidence log of every document stored, and its signed roots.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceConfig {
    /// Time between signed roots (if documents were stored), in seconds.
    pub checkpoint_interval_secs: u64,
}

impl Default for EvidenceConfig {
    fn default() -> Self {
        Self {
            checkpoint_interval_secs: 3600,
        }
    }
}

/// Share links: documents shown to an employer, a citizen's status page.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SharesConfig {
    /// The longest a share link may be valid, in days.
    pub max_ttl_days: u64,
}

impl Default for SharesConfig {
    fn default() -> Self {
        Self { max_ttl_days: 90 }
    }
}

/// Longest `shares.max_ttl_days` accepted (ten years).
const MAX_SHARE_TTL_DAYS: u64 = 3650;

/// The integrity check beside the service.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScrubConfig {
    /// Time between scrubs, in seconds; 0: none.
    pub interval_secs: u64,
    /// Most bytes read a second.
    pub max_bytes_per_sec: u64,
}

impl Default for ScrubConfig {
    fn default() -> Self {
        Self {
            interval_secs: 7 * 24 * 3600,
            max_bytes_per_sec: 16 * 1024 * 1024,
        }
    }
}

/// TLS of the gRPC port (see config/akte.toml).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// The server's certificate chain (PEM); empty: plain TCP.
    pub cert_file: PathBuf,
    /// Its private key (PEM).
    pub key_file: PathBuf,
    /// CA certificates (PEM) client certificates are verified against;
    /// empty: no client certificates.
    pub client_ca_file: PathBuf,
    /// Refuse clients without a certificate from `client_ca_file`.
    pub require_client_cert: bool,
    /// How often the files are checked for changes, in seconds.
    pub reload_interval_secs: u64,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            client_ca_file: PathBuf::new(),
            require_client_cert: false,
            reload_interval_secs: 10,
        }
    }
}

/// Validated TLS settings.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
    pub require_client_cert: bool,
    pub reload_interval: std::time::Duration,
}

/// Whether images and scans without a text layer are recognised (OCR).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum OcrMode {
    /// On if tesseract with the language's data is installed, else off (with
    /// a warning at start).
    #[default]
    Auto,
    /// On; the server does not start without tesseract.
    On,
    Off,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct OcrConfig {
    pub mode: OcrMode,
    pub tesseract: PathBuf,
    pub language: String,
    pub workers: usize,
    pub dpi: u32,
    pub max_pages: u32,
    pub max_page_pixels: u64,
    pub page_timeout_secs: u64,
}

impl Default for OcrConfig {
    fn default() -> Self {
        let d = akte_extract::OcrSettings::default();
        Self {
            mode: OcrMode::Auto,
            tesseract: d.tesseract,
            language: d.language,
            workers: 1,
            dpi: d.dpi,
            max_pages: d.max_pages,
            max_page_pixels: d.max_page_pixels,
            page_timeout_secs: d.page_timeout.as_secs(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Empty: the directory `<data_dir>/objects`. Else `file:///dir` or
    /// `s3://bucket/prefix` (`memory://` is refused: see `validate_storage`).
    pub url: String,
    /// Options of the object store (for S3: endpoint, region, access_key_id,
    /// secret_access_key, allow_http, virtual_hosted_style_request, ...).
    pub options: BTreeMap<String, String>,
    /// Files whose content is a secret option each, e.g.
    /// `secret_access_key = "/run/secrets/s3_secret"`.
    pub option_files: BTreeMap<String, PathBuf>,
    /// How this node's catalog shares the store with other catalogs.
    pub sharing: akte_blob::Sharing,
    /// Lets the data directory or a local blob directory be on a file
    /// system held in memory (tmpfs), which a reboot empties.
    pub allow_volatile: bool,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    pub max_upload_bytes: u64,
    pub inline_upload_bytes: u64,
    pub inline_memory_bytes: u64,
    pub max_concurrent_uploads: usize,
    pub max_concurrent_reads: usize,
    pub reserved_disk_bytes: u64,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CasesConfig {
    pub number_pattern: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MediaConfig {
    pub allowed: Vec<String>,
}

/// Whether unreferenced blobs are deleted.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum GcMode {
    /// On for a local directory (or memory) used exclusively, off for any
    /// other object store; off whenever the store is shared.
    #[default]
    Auto,
    On,
    Off,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GcConfig {
    pub mode: GcMode,
    pub grace_secs: u64,
    pub interval_secs: u64,
}

impl Default for GcConfig {
    fn default() -> Self {
        Self {
            mode: GcMode::Auto,
            grace_secs: 3600,
            interval_secs: 3600,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IndexConfig {
    pub batch_size: usize,
    pub commit_interval_ms: u64,
    pub max_extract_bytes: u64,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:50051";
pub const DEFAULT_DATA_DIR: &str = "./akte-data";

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.into(),
            data_dir: PathBuf::from(DEFAULT_DATA_DIR),
            storage: StorageConfig::default(),
            limits: LimitsConfig::default(),
            cases: CasesConfig::default(),
            media: MediaConfig::default(),
            index: IndexConfig::default(),
            ocr: OcrConfig::default(),
            gc: GcConfig::default(),
            scrub: ScrubConfig::default(),
            tls: TlsConfig::default(),
            access: crate::auth::AccessConfig::default(),
            auth: crate::auth::AuthConfig::default(),
            shares: SharesConfig::default(),
            evidence: EvidenceConfig::default(),
            web: crate::web_config::WebConfig::default(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_upload_bytes: 1024 * 1024 * 1024,
            inline_upload_bytes: akte_blob::DEFAULT_INLINE_LIMIT as u64,
            inline_memory_bytes: akte_blob::DEFAULT_MEMORY_BUDGET,
            max_concurrent_uploads: 128,
            max_concurrent_reads: 256,
            reserved_disk_bytes: 512 * 1024 * 1024,
        }
    }
}

impl Default for CasesConfig {
    fn default() -> Self {
        Self {
            number_pattern: DEFAULT_CASE_NUMBER_PATTERN.into(),
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            allowed: akte_extract::KNOWN_MEDIA_TYPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
        }
    }
}

impl Default for IndexConfig {
    fn default() -> Self {
        Self {
            batch_size: 512,
            commit_interval_ms: 200,
            max_extract_bytes: 256 * 1024 * 1024,
        }
    }
}

/// Validated configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub storage_url: String,
    pub storage_options: BTreeMap<String, String>,
    pub max_upload_bytes: u64,
    pub inline_upload_bytes: usize,
    pub inline_memory_bytes: u64,
    pub max_concurrent_uploads: usize,
    /// Downloads being streamed, searches and listings running at once.
    pub max_concurrent_reads: usize,
    /// Free space uploads must leave on the disks akte writes to.
    pub reserved_disk_bytes: u64,
    pub case_numbers: CaseNumberPattern,
    pub allowed_media: Vec<String>,
    pub index_batch_size: usize,
    pub index_commit_interval: std::time::Duration,
    pub max_extract_bytes: u64,
    /// Text recognition; `None` when switched off.
    pub ocr: Option<akte_extract::OcrSettings>,
    pub ocr_mode: OcrMode,
    pub ocr_workers: usize,
    /// How the object store is shared with other catalogs.
    pub sharing: akte_blob::Sharing,
    /// A data or blob directory on tmpfs is accepted.
    pub allow_volatile: bool,
    /// Whether garbage is collected; `Auto` is decided when the store is
    /// opened, from the kind of object store it is.
    pub gc_mode: GcMode,
    pub gc_grace: std::time::Duration,
    pub gc_interval: std::time::Duration,
    /// TLS of the gRPC port; `None`: plain TCP.
    pub tls: Option<TlsSettings>,
    /// Time between scrubs beside the service; `None`: none.
    pub scrub_interval: Option<std::time::Duration>,
    pub scrub_bytes_per_sec: u64,
    /// The access rules' file; `None`: the reference policies.
    pub policy_file: Option<PathBuf>,
    /// Time between signed checkpoints of the access log.
    pub checkpoint_interval: std::time::Duration,
    /// Time between signed roots of the evidence log.
    pub evidence_interval: std::time::Duration,
    pub auth: crate::auth::AuthConfig,
    /// The longest a share link may be valid.
    pub share_max_ttl: std::time::Duration,
    pub web: crate::web_config::WebSettings,
}

fn invalid(key: &str, msg: impl std::fmt::Display) -> CoreError {
    CoreError::Config(format!("{key}: {msg}"))
}

impl Config {
    /// Reads a TOML file; unknown keys and wrong types are errors naming the key.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CoreError::Config(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| CoreError::Config(format!("{}: {e}", path.display())))
    }

    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| CoreError::Config(e.to_string()))
    }

    pub fn validate(&self) -> Result<Settings> {
        let listen = self.listen.parse().map_err(|e| {
            invalid(
                "listen",
                format!(
                    "{:?} is not an address like 127.0.0.1:50051 ({e})",
                    self.listen
                ),
            )
        })?;
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let case_numbers = CaseNumberPattern::new(&self.cases.number_pattern)
            .map_err(|e| invalid("cases.number_pattern", e))?;
        if self.limits.max_upload_bytes == 0 {
            return Err(invalid("limits.max_upload_bytes", "must be positive"));
        }
        if self.limits.max_concurrent_uploads == 0 {
            return Err(invalid("limits.max_concurrent_uploads", "must be positive"));
        }
        if self.limits.max_concurrent_reads == 0 {
            return Err(invalid("limits.max_concurrent_reads", "must be positive"));
        }
        let inline_upload_bytes = usize::try_from(self.limits.inline_upload_bytes)
            .map_err(|_| invalid("limits.inline_upload_bytes", "too large"))?;
        let mut allowed_media = Vec::new();
        for m in &self.media.allowed {
            let canonical = akte_extract::canonical_media_type(m);
            if !akte_extract::KNOWN_MEDIA_TYPES.contains(&canonical.as_str()) {
                return Err(invalid(
                    "media.allowed",
                    format!(
                        "unknown media type {m:?}; known are {}",
                        akte_extract::KNOWN_MEDIA_TYPES.join(", ")
                    ),
                ));
            }
            allowed_media.push(canonical);
        }
        if allowed_media.is_empty() {
            return Err(invalid(
                "media.allowed",
                "must name at least one media type",
            ));
        }
        if self.index.batch_size == 0 {
            return Err(invalid("index.batch_size", "must be positive"));
        }
        let o = &self.ocr;
        if o.workers == 0 {
            return Err(invalid("ocr.workers", "must be positive"));
        }
        if !(50..=1200).contains(&o.dpi) {
            return Err(invalid("ocr.dpi", "must be within 50..=1200"));
        }
        if o.max_pages == 0 || o.max_page_pixels == 0 || o.page_timeout_secs == 0 {
            return Err(invalid(
                "ocr",
                "max_pages, max_page_pixels and page_timeout_secs must be positive",
            ));
        }
        if o.language.trim().is_empty() {
            return Err(invalid("ocr.language", "must not be empty"));
        }
        let ocr = (o.mode != OcrMode::Off).then(|| akte_extract::OcrSettings {
            tesseract: o.tesseract.clone(),
            language: o.language.trim().to_owned(),
            dpi: o.dpi,
            max_pages: o.max_pages,
            max_page_pixels: o.max_page_pixels,
            page_timeout: std::time::Duration::from_secs(o.page_timeout_secs),
        });
        self.validate_storage()?;
        let mut storage_options = self.storage.options.clone();
        for (key, file) in &self.storage.option_files {
            let value = std::fs::read_to_string(file).map_err(|e| {
                invalid(
                    &format!("storage.option_files.{key}"),
                    format!("{}: {e}", file.display()),
                )
            })?;
            storage_options.insert(key.clone(), value.trim().to_owned());
        }
        Ok(Settings {
            listen,
            data_dir: self.data_dir.clone(),
            storage_url: self.storage.url.clone(),
            storage_options,
            max_upload_bytes: self.limits.max_upload_bytes,
            inline_upload_bytes,
            inline_memory_bytes: self.limits.inline_memory_bytes,
            max_concurrent_uploads: self.limits.max_concurrent_uploads,
            max_concurrent_reads: self.limits.max_concurrent_reads,
            reserved_disk_bytes: self.limits.reserved_disk_bytes,
            case_numbers,
            allowed_media,
            index_batch_size: self.index.batch_size,
            index_commit_interval: std::time::Duration::from_millis(self.index.commit_interval_ms),
            max_extract_bytes: self.index.max_extract_bytes,
            ocr,
            ocr_mode: o.mode,
            ocr_workers: o.workers,
            sharing: self.storage.sharing,
            allow_volatile: self.storage.allow_volatile,
            gc_mode: self.gc.mode,
            gc_grace: std::time::Duration::from_secs(self.gc.grace_secs),
            gc_interval: std::time::Duration::from_secs(self.gc.interval_secs.max(1)),
            tls: self.validate_tls()?,
            scrub_interval: (self.scrub.interval_secs > 0)
                .then(|| std::time::Duration::from_secs(self.scrub.interval_secs)),
            scrub_bytes_per_sec: if self.scrub.max_bytes_per_sec == 0 {
                return Err(invalid("scrub.max_bytes_per_sec", "must be positive"));
            } else {
                self.scrub.max_bytes_per_sec
            },
            policy_file: (!self.access.policy_file.as_os_str().is_empty())
                .then(|| self.access.policy_file.clone()),
            checkpoint_interval: std::time::Duration::from_secs(
                self.access.checkpoint_interval_secs.max(1),
            ),
            evidence_interval: match self.evidence.checkpoint_interval_secs {
                0 => {
                    return Err(invalid(
                        "evidence.checkpoint_interval_secs",
                        "must be positive",
                    ))
                }
                secs => std::time::Duration::from_secs(secs),
            },
            auth: self.auth.clone(),
            share_max_ttl: self.validate_shares()?,
            web: self.web.validate()?,
        })
    }
}

impl Config {
    fn validate_shares(&self) -> Result<std::time::Duration> {
        let days = self.shares.max_ttl_days;
        if !(1..=MAX_SHARE_TTL_DAYS).contains(&days) {
            return Err(invalid(
                "shares.max_ttl_days",
                format!("must be within 1..={MAX_SHARE_TTL_DAYS}"),
            ));
        }
        Ok(std::time::Duration::from_secs(days * 24 * 3600))
    }

    fn validate_tls(&self) -> Result<Option<TlsSettings>> {
        let t = &self.tls;
        let set = |p: &PathBuf| !p.as_os_str().is_empty();
        match (set(&t.cert_file), set(&t.key_file)) {
            (false, false) => {
                if set(&t.client_ca_file) || t.require_client_cert {
                    return Err(invalid(
                        "tls",
                        "client certificates need tls.cert_file and tls.key_file",
                    ));
                }
                return Ok(None);
            }
            (true, true) => {}
            _ => {
                return Err(invalid(
                    "tls",
                    "cert_file and key_file are given together or not at all",
                ))
            }
        }
        if t.require_client_cert && !set(&t.client_ca_file) {
            return Err(invalid(
                "tls.require_client_cert",
                "needs tls.client_ca_file to verify client certificates against",
            ));
        }
        Ok(Some(TlsSettings {
            cert_file: t.cert_file.clone(),
            key_file: t.key_file.clone(),
            client_ca_file: set(&t.client_ca_file).then(|| t.client_ca_file.clone()),
            require_client_cert: t.require_client_cert,
            reload_interval: std::time::Duration::from_secs(t.reload_interval_secs.max(1)),
        }))
    }

    /// Refuses storage settings under which a restart would lose
    /// acknowledged documents, or garbage collection would delete blobs
    /// that another catalog references.
    fn validate_storage(&self) -> Result<()> {
        let url = self.storage.url.trim();
        let scheme = url
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        if scheme == "memory" {
            return Err(invalid(
                "storage.url",
                "\"memory://\" keeps blobs in process memory while the catalog in data_dir \
                 persists: after a restart every document would point at nothing. Use \"\" \
                 (data_dir/objects), file:///dir or s3://bucket/prefix",
            ));
        }
        if scheme == "file" {
            if let Ok(parsed) = url::Url::parse(url) {
                if let Ok(dir) = parsed.to_file_path() {
                    self.refuse_blobs_in_managed_dir(&dir)?;
                }
            }
        }
        if self.gc.mode == GcMode::On && self.storage.sharing != akte_blob::Sharing::Exclusive {
            return Err(invalid(
                "gc.mode",
                format!(
                    "\"on\" with storage.sharing = \"{}\": garbage collection would delete blobs \
                     that other catalogs reference; it runs only on a store used exclusively",
                    self.storage.sharing
                ),
            ));
        }
        Ok(())
    }

    /// A blob directory inside the parts of data_dir that akte empties
    /// (staging at every start, index on a rebuild) or owns (catalog) loses
    /// its blobs.
    fn refuse_blobs_in_managed_dir(&self, dir: &Path) -> Result<()> {
        let absolute = |p: &Path| -> PathBuf {
            let p = if p.is_absolute() {
                p.to_path_buf()
            } else {
                std::env::current_dir().unwrap_or_default().join(p)
            };
            // Lexically: the directories need not exist yet.
            p.components().collect()
        };
        let dir = absolute(dir);
        let data = absolute(&self.data_dir);
        for managed in ["staging", "index", "catalog"] {
            let m = data.join(managed);
            if dir.starts_with(&m) || m.starts_with(&dir) {
                return Err(invalid(
                    "storage.url",
                    format!(
                        "the blob directory {} overlaps {}, which akte manages itself (staging \
                         is emptied at every start, the index is rebuilt, the catalog is \
                         RocksDB's): blobs there would be lost",
                        dir.display(),
                        m.display()
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message with which the configuration `toml` is refused.
    fn refused(toml: &str) -> String {
        Config::from_toml(toml)
            .unwrap()
            .validate()
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn reference_config_is_the_default() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/akte.toml");
        let cfg = Config::from_file(&path).unwrap();
        assert_eq!(cfg, Config::default());
        cfg.validate().unwrap();
    }

    #[test]
    fn storage_traps_are_refused() {
        for url in ["memory://", "MEMORY://", "memory:///x"] {
            let err = refused(&format!("[storage]\nurl = \"{url}\""));
            assert!(
                err.contains("storage.url") && err.contains("restart"),
                "{err}"
            );
        }
        for sub in ["staging", "index", "catalog", "staging/blobs"] {
            let err = refused(&format!(
                "data_dir = \"/srv/akte\"\n[storage]\nurl = \"file:///srv/akte/{sub}\""
            ));
            assert!(err.contains("manages itself"), "{sub}: {err}");
        }
        // Beside them, and data_dir/objects, are fine.
        let cfg = Config::from_toml(
            "data_dir = \"/srv/akte\"\n[storage]\nurl = \"file:///srv/akte/objects\"",
        )
        .unwrap();
        cfg.validate().unwrap();
        for sharing in ["shared", "reader"] {
            let err = refused(&format!(
                "[storage]\nsharing = \"{sharing}\"\n[gc]\nmode = \"on\""
            ));
            assert!(err.contains("gc.mode"), "{err}");
        }
    }

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(Config::from_toml("").unwrap(), Config::default());
    }

    #[test]
    fn bad_keys_are_named() {
        let err = Config::from_toml("[limits]\nmax_upload = 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_upload"), "{err}");
        let err = Config::from_toml("listen = 5").unwrap_err().to_string();
        assert!(err.contains("listen"), "{err}");
        assert!(refused("listen = \"nowhere\"").contains("listen"));
        assert!(refused("[cases]\nnumber_pattern = \"(\"").contains("cases.number_pattern"));
        assert!(refused("[ocr]\nworkers = 0").contains("ocr.workers"));
        assert!(refused("[media]\nallowed = [\"video/mp4\"]").contains("media.allowed"));
        assert!(refused("[shares]\nmax_ttl_days = 0").contains("shares.max_ttl_days"));
        assert!(refused("[evidence]\ncheckpoint_interval_secs = 0")
            .contains("evidence.checkpoint_interval_secs"));
    }
}

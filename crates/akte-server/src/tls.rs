//! TLS of the gRPC port. The rustls configuration is built here rather than
//! by tonic, whose own cannot restrict cipher suites: TLS 1.2 and 1.3 only,
//! forward-secret AES-GCM suites, the NIST P-256 and P-384 curves (BSI
//! TR-02102-2). The certificate and key are read from files and read again
//! when they change; client certificates (scanning stations, services) are
//! verified against a configured CA when one is given.

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use akte_core::TlsSettings;
use futures::Stream;
use rustls::crypto::{aws_lc_rs as provider, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A TLS handshake that takes longer is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// What is wrong with the TLS settings or files.
#[derive(Debug)]
pub struct TlsError(String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tls: {}", self.0)
    }
}

impl std::error::Error for TlsError {}

fn error(what: impl std::fmt::Display) -> TlsError {
    TlsError(what.to_string())
}

/// The cryptography the port offers: AES-GCM suites with ECDHE only (TLS
/// 1.3's suites are all forward secret), on P-384 and P-256.
pub fn crypto_provider() -> CryptoProvider {
    use provider::cipher_suite::{
        TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384,
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    };
    use provider::kx_group::{SECP256R1, SECP384R1};
    CryptoProvider {
        cipher_suites: vec![
            TLS13_AES_256_GCM_SHA384,
            TLS13_AES_128_GCM_SHA256,
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        ],
        kx_groups: vec![SECP384R1, SECP256R1],
        ..provider::default_provider()
    }
}

/// The server's certificate, replaced when its files change.
#[derive(Debug)]
struct Reloading {
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|k| Arc::clone(&k))
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| error(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(error(format!("{}: no certificate in it", path.display())));
    }
    Ok(certs)
}

fn load_key(settings: &TlsSettings, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let certs = certificates(&settings.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&settings.key_file)
        .map_err(|e| error(format!("{}: {e}", settings.key_file.display())))?;
    let key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| error(format!("{}: {e}", settings.key_file.display())))?;
    let certified = CertifiedKey::new(certs, key);
    certified.keys_match().map_err(|e| {
        error(format!(
            "{} does not belong to {}: {e}",
            settings.key_file.display(),
            settings.cert_file.display()
        ))
    })?;
    Ok(certified)
}

/// The TLS side of the port: the configuration, and a task that reads the
/// certificate again when its files change.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub reload: tokio::task::JoinHandle<()>,
}

impl Tls {
    /// Reads the files and builds the configuration; an error names the file
    /// and what is wrong with it.
    pub fn new(settings: &TlsSettings) -> Result<Self, TlsError> {
        Self::with_protocols(settings, vec![b"h2".to_vec()])
    }

    /// The same, offering the application protocols `alpn` (the web
    /// interface offers HTTP/2 and HTTP/1.1).
    pub fn with_protocols(settings: &TlsSettings, alpn: Vec<Vec<u8>>) -> Result<Self, TlsError> {
        let provider = Arc::new(crypto_provider());
        let resolver = Arc::new(Reloading {
            current: RwLock::new(Arc::new(load_key(settings, &provider)?)),
        });
        let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(error)?;
        let builder = match &settings.client_ca_file {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                for cert in certificates(ca)? {
                    roots
                        .add(cert)
                        .map_err(|e| error(format!("{}: {e}", ca.display())))?;
                }
                let verifier = WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    Arc::clone(&provider),
                );
                let verifier = if settings.require_client_cert {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                builder.with_client_cert_verifier(verifier.build().map_err(error)?)
            }
            None => builder.with_no_client_auth(),
        };
        let mut config = builder.with_cert_resolver(Arc::clone(&resolver) as _);
        config.alpn_protocols = alpn;
        let reload = tokio::spawn(watch(settings.clone(), resolver, provider));
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            reload,
        })
    }

    /// Connections accepted on `listener` once their handshake is done;
    /// handshakes run side by side, failed ones are dropped.
    pub fn incoming(
        &self,
        listener: TcpListener,
    ) -> impl Stream<Item = std::io::Result<TlsStream<TcpStream>>> {
        let acceptor = self.acceptor.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if tx.is_closed() {
                    return;
                }
                // See `serve`: no 40 ms wait for delayed acknowledgements.
                let _ = tcp.set_nodelay(true);
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send(Ok(tls)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        tokio_stream::wrappers::ReceiverStream::new(rx)
    }
}

/// Modification time and length of the certificate and key files.
fn stamps(settings: &TlsSettings) -> [Option<(SystemTime, u64)>; 2] {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    [stamp(&settings.cert_file), stamp(&settings.key_file)]
}

/// Reads the certificate again whenever its files change; a pair that does
/// not load (e.g. written half) keeps the one in use until the next change.
async fn watch(settings: TlsSettings, resolver: Arc<Reloading>, provider: Arc<CryptoProvider>) {
    let mut seen = stamps(&settings);
    loop {
        tokio::time::sleep(settings.reload_interval).await;
        let now = stamps(&settings);
        if now == seen {
            continue;
        }
        seen = now;
        match load_key(&settings, &provider) {
            Ok(key) => {
                if let Ok(mut current) = resolver.current.write() {
                    *current = Arc::new(key);
                    tracing::info!(cert = %settings.cert_file.display(), "TLS certificate reloaded");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "TLS certificate not reloaded; the one in use stays")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_forward_secret_aes_gcm_suites_are_offered() {
        let p = crypto_provider();
        for suite in &p.cipher_suites {
            let name = format!("{:?}", suite.suite());
            assert!(name.contains("AES") && name.contains("GCM"), "{name}");
            assert!(
                name.starts_with("TLS13_") || name.contains("ECDHE"),
                "{name}"
            );
        }
        assert_eq!(p.kx_groups.len(), 2);
    }

    #[test]
    fn missing_files_are_named() {
        let settings = TlsSettings {
            cert_file: "/nonexistent/cert.pem".into(),
            key_file: "/nonexistent/key.pem".into(),
            client_ca_file: None,
            require_client_cert: false,
            reload_interval: Duration::from_secs(1),
        };
        let err = load_key(&settings, &crypto_provider())
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}

//! TLS on the gRPC port: the configured certificate, read again when its
//! files change; TLS 1.2 and 1.3 with forward-secret AES-GCM suites only;
//! client certificates when required; plain TCP only on loopback.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akte_e2e::{akte_bin, with_token, Conn, Server};
use akte_proto::v1 as pb;
use akte_proto::v1::case_service_client::CaseServiceClient;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};
use wait_timeout::ChildExt;

/// A CA that signs certificates for tests.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A certificate for `names` and its key, in PEM.
    fn sign(&self, names: &[&str]) -> (String, String) {
        let key = KeyPair::generate().unwrap();
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// Writes the server's certificate and key, and the config that names them.
fn tls_config(dir: &Path, ca: &Ca, extra: &str) -> String {
    let (cert, key) = ca.sign(&["localhost", "127.0.0.1"]);
    std::fs::write(dir.join("server.pem"), cert).unwrap();
    std::fs::write(dir.join("server.key"), key).unwrap();
    format!(
        "[ocr]\nmode = \"off\"\n[tls]\ncert_file = \"{}\"\nkey_file = \"{}\"\nreload_interval_secs = 1\n{extra}",
        dir.join("server.pem").display(),
        dir.join("server.key").display()
    )
}

fn port(server: &Server) -> u16 {
    server.addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// A TLS connection that calls as the server's administrator.
async fn tls_channel(
    server: &Server,
    ca_pem: &str,
    identity: Option<(&str, &str)>,
) -> Result<Conn, tonic::transport::Error> {
    let token = std::fs::read_to_string(server.admin_token_file()).unwrap();
    Ok(with_token(
        tls_connect(server, ca_pem, identity).await?,
        Some(&token),
    ))
}

async fn tls_connect(
    server: &Server,
    ca_pem: &str,
    identity: Option<(&str, &str)>,
) -> Result<Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(ca_pem))
        .domain_name("localhost");
    if let Some((cert, key)) = identity {
        tls = tls.identity(Identity::from_pem(cert, key));
    }
    Channel::from_shared(format!("https://localhost:{}", port(server)))
        .unwrap()
        .tls_config(tls)?
        .connect()
        .await
}

async fn create_case(channel: Conn, number: &str) -> Result<pb::Case, tonic::Status> {
    CaseServiceClient::new(channel)
        .create_case(pb::CreateCaseRequest {
            case_number: number.into(),
            title: "Akte".into(),
            site: "Nord".into(),
            ..Default::default()
        })
        .await
        .map(|r| r.into_inner())
}

#[tokio::test]
async fn the_port_serves_over_tls_and_a_renewed_certificate_is_taken_up() {
    let dir = tempfile::tempdir().unwrap();
    let first = Ca::new("akte test CA 1");
    let config = tls_config(dir.path(), &first, "");
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    let channel = tls_channel(&server, &first.pem, None).await.unwrap();
    create_case(channel, "12345BG0000801").await.unwrap();
    // Plain gRPC to the TLS port does not get through.
    let plain = async {
        let c = Channel::from_shared(server.addr.clone())
            .unwrap()
            .connect()
            .await?;
        let c = with_token(
            c,
            Some(&std::fs::read_to_string(server.admin_token_file())?),
        );
        Ok::<_, Box<dyn std::error::Error>>(create_case(c, "12345BG0000802").await?)
    };
    assert!(plain.await.is_err());

    // A certificate from another CA replaces it; no restart.
    let second = Ca::new("akte test CA 2");
    let (cert, key) = second.sign(&["localhost"]);
    std::fs::write(dir.path().join("server.key.new"), key).unwrap();
    std::fs::write(dir.path().join("server.pem.new"), cert).unwrap();
    std::fs::rename(
        dir.path().join("server.key.new"),
        dir.path().join("server.key"),
    )
    .unwrap();
    std::fs::rename(
        dir.path().join("server.pem.new"),
        dir.path().join("server.pem"),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(c) = tls_channel(&server, &second.pem, None).await {
            if create_case(c, "12345BG0000803").await.is_ok() {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not taken up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Clients that trust only the old CA no longer get through.
    let old = async {
        let c = tls_channel(&server, &first.pem, None).await?;
        Ok::<_, Box<dyn std::error::Error>>(create_case(c, "12345BG0000804").await?)
    };
    assert!(old.await.is_err());
}

/// A TLS handshake with the server offering only `suites` and `versions`.
async fn handshake(
    server: &Server,
    ca_pem: &str,
    suites: Vec<rustls::SupportedCipherSuite>,
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> std::io::Result<()> {
    use rustls::pki_types::pem::PemObject;
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: suites,
        kx_groups: groups,
        ..rustls::crypto::aws_lc_rs::default_provider()
    };
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec()];
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port(server))).await?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map(drop)
}

#[tokio::test]
async fn only_tls_1_2_and_1_3_with_forward_secret_aes_gcm_suites() {
    use rustls::crypto::aws_lc_rs::cipher_suite::*;
    use rustls::crypto::aws_lc_rs::kx_group::{SECP256R1, X25519};
    use rustls::version::{TLS12, TLS13};
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("akte test CA");
    let config = tls_config(dir.path(), &ca, "");
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    // (suite, key exchange, version, accepted)
    let cases = [
        // TLS 1.3 with AES-GCM, and TLS 1.2 with ECDHE and AES-GCM.
        (TLS13_AES_256_GCM_SHA384, SECP256R1, &TLS13, true),
        (TLS13_AES_128_GCM_SHA256, SECP256R1, &TLS13, true),
        (
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            SECP256R1,
            &TLS12,
            true,
        ),
        // ChaCha20 (not in BSI TR-02102-2) is refused in both versions, and
        // so is X25519 as the only key exchange.
        (TLS13_CHACHA20_POLY1305_SHA256, SECP256R1, &TLS13, false),
        (
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            SECP256R1,
            &TLS12,
            false,
        ),
        (TLS13_AES_128_GCM_SHA256, X25519, &TLS13, false),
    ];
    for (suite, group, version, accepted) in cases {
        let result = handshake(&server, &ca.pem, vec![suite], vec![group], &[version]).await;
        assert_eq!(result.is_ok(), accepted, "{suite:?} {group:?}: {result:?}");
    }
}

/// Whether `openssl s_client` with `args` completes a handshake with the
/// server (another TLS implementation than the server's, which still speaks
/// the old versions).
fn openssl_handshake(server: &Server, args: &[&str]) -> bool {
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", port(server)),
        ])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("this test needs the openssl program (Debian package openssl)");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("Cipher is") && !text.contains("Cipher is (NONE)")
}

#[tokio::test]
async fn old_protocol_versions_and_suites_without_forward_secrecy_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("akte test CA");
    let config = tls_config(dir.path(), &ca, "");
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    // The control: a TLS 1.2 handshake with an allowed suite works.
    assert!(openssl_handshake(
        &server,
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]
    ));
    assert!(openssl_handshake(&server, &["-tls1_3"]));
    for refused in [
        &["-tls1", "-cipher", "DEFAULT@SECLEVEL=0"][..],
        &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
        // RSA key transport: no forward secrecy.
        &["-tls1_2", "-cipher", "AES128-GCM-SHA256"],
        // CBC instead of GCM.
        &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"],
    ] {
        assert!(!openssl_handshake(&server, refused), "{refused:?}");
    }
}

#[tokio::test]
async fn client_certificates_are_required_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("akte test CA");
    let stations = Ca::new("akte test station CA");
    std::fs::write(dir.path().join("clients.pem"), &stations.pem).unwrap();
    let config = tls_config(
        dir.path(),
        &ca,
        &format!(
            "client_ca_file = \"{}\"\nrequire_client_cert = true\n\
             [[auth.clients]]\ncertificate_name = \"poststelle-1\"\nkind = \"service\"\n\
             sites = [\"Nord\"]\nscopes = [\"cases:write\"]\n",
            dir.path().join("clients.pem").display()
        ),
    );
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    // Without a certificate, or with one of another CA: refused.
    let without = async {
        let c = tls_channel(&server, &ca.pem, None).await?;
        Ok::<_, Box<dyn std::error::Error>>(create_case(c, "12345BG0000811").await?)
    };
    assert!(without.await.is_err());
    let (other_cert, other_key) = ca.sign(&["poststelle-1"]);
    let other = async {
        let c = tls_channel(&server, &ca.pem, Some((&other_cert, &other_key))).await?;
        Ok::<_, Box<dyn std::error::Error>>(create_case(c, "12345BG0000812").await?)
    };
    assert!(other.await.is_err());

    // The CLI with the station's certificate gets through, and its
    // certificate (no token) makes it the configured principal: a service
    // that may create cases of its site, not read them.
    let (cert, key) = stations.sign(&["poststelle-1"]);
    for (name, pem) in [
        ("ca.pem", &ca.pem),
        ("station.pem", &cert),
        ("station.key", &key),
    ] {
        std::fs::write(dir.path().join(name), pem).unwrap();
    }
    let with_certificate = |args: &[&str]| {
        Command::new(akte_bin())
            .args(args)
            .arg("--server")
            .arg(format!("https://localhost:{}", port(&server)))
            .arg("--ca-cert")
            .arg(dir.path().join("ca.pem"))
            .arg("--client-cert")
            .arg(dir.path().join("station.pem"))
            .arg("--client-key")
            .arg(dir.path().join("station.key"))
            .env_remove("AKTE_TOKEN")
            .env_remove("AKTE_TOKEN_FILE")
            .env("AKTE_DATA_DIR", dir.path().join("no-token-here"))
            .output()
            .unwrap()
    };
    let out = with_certificate(&[
        "case",
        "create",
        "12345BG0000813",
        "--title",
        "Akte",
        "--site",
        "Nord",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("12345BG0000813"));
    let read = with_certificate(&["case", "show", "12345BG0000813"]);
    assert!(!read.status.success());
    assert!(
        String::from_utf8_lossy(&read.stderr).contains("PermissionDenied")
            || String::from_utf8_lossy(&read.stderr).contains("permission"),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
}

/// Starts `akte serve` with `args`; returns whether it started, and what it
/// printed on stderr if it did not.
fn serve(data: &Path, args: &[&str]) -> (bool, String) {
    let mut child = Command::new(akte_bin())
        .args(["serve", "--web-listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(args)
        .env_remove("AKTE_CONFIG")
        .env_remove("AKTE_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if line.starts_with("akte listening on ") {
        child.kill().unwrap();
        child.wait().unwrap();
        return (true, String::new());
    }
    let status = child.wait_timeout(Duration::from_secs(60)).unwrap();
    assert!(status.is_some_and(|s| !s.success()), "{line}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    (false, err)
}

#[test]
fn plain_tcp_only_on_loopback_unless_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (started, err) = serve(&data, &["--listen", "0.0.0.0:0"]);
    assert!(!started);
    assert!(
        err.contains("without TLS") && err.contains("--insecure-listen"),
        "{err}"
    );
    let (started, _) = serve(&data, &["--listen", "0.0.0.0:0", "--insecure-listen"]);
    assert!(started);
    let (started, _) = serve(&data, &["--listen", "127.0.0.1:0"]);
    assert!(started);
}

#[tokio::test]
async fn the_web_interface_serves_over_tls_with_the_same_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("akte test CA web");
    let config = tls_config(dir.path(), &ca, "");
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();
    let web = server.web_url().unwrap();
    let web_port = web.rsplit(':').next().unwrap().to_owned();
    assert!(web.starts_with("https://"), "{web}");
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .build()
        .unwrap();
    let res = client
        .get(format!("https://localhost:{web_port}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("Zugangstoken"));
    // The printed login link is an https link too, and works.
    let link = server.login_link().unwrap();
    assert!(link.starts_with("https://"));
    // Plain HTTP to the web port gets no page.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{web_port}/login"))
        .send()
        .await;
    assert!(plain.is_err() || plain.is_ok_and(|r| r.status() != 200));
}

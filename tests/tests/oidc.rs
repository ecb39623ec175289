//! Tokens of a real OpenID Connect provider (`oidc-provider` from npm, on
//! the machine's Node, started on 127.0.0.1): accepted, their claims mapped,
//! its key rotation followed; forged, expired, not-yet-valid, foreign and
//! algorithm-confused tokens refused.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use akte_e2e::Server;
use akte_proto::v1 as pb;
use akte_proto::v1::audit_service_client::AuditServiceClient;
use akte_proto::v1::case_service_client::CaseServiceClient;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use tonic::Code;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// The provider, killed when dropped.
struct Provider {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Provider {
    fn start(dir: &Path, port: u16, generation: u32) -> Self {
        assert!(
            fixture().join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is missing: run `npm ci` in tests/oidc (scripts/test does)"
        );
        let mut child = Command::new("node")
            .arg(fixture().join("provider.mjs"))
            .arg(dir)
            .arg(port.to_string())
            .arg(generation.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node is needed for this test");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "the provider did not start");
        Self {
            child,
            dir: dir.to_path_buf(),
            port,
        }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A token for `client` by the client credentials grant.
    async fn token(&self, client: &str) -> String {
        let r: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/token", self.issuer()))
            .basic_auth(client, Some(secret(client)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        r["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{r}"))
            .to_owned()
    }

    /// The provider's signing key of `generation`, to forge with.
    fn key(&self, generation: u32) -> EncodingKey {
        let pem = std::fs::read(self.dir.join(format!("key-{generation}.pem"))).unwrap();
        EncodingKey::from_ec_pem(&pem).unwrap()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn secret(client: &str) -> String {
    format!("secret-of-{client}-0123456789abcdef0123456789abcdef")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn list_cases(server: &Server, token: &str) -> Result<(), tonic::Status> {
    CaseServiceClient::new(server.channel_as(token).await.unwrap())
        .list_cases(pb::ListCasesRequest::default())
        .await
        .map(drop)
}

#[tokio::test]
async fn provider_tokens_are_accepted_forgeries_refused_and_key_rotation_followed() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("provider");
    std::fs::create_dir_all(&keys).unwrap();
    let clients = json!([
        {"client_id": "anna", "client_secret": secret("anna"), "claims": {
            "preferred_username": "anna", "sites": ["Nord"],
            "realm_access": {"roles": ["offline_access", "akte-sachbearbeitung"]}}},
        {"client_id": "revision", "client_secret": secret("revision"), "claims": {
            "preferred_username": "revision",
            "realm_access": {"roles": ["akte-revision"]}}},
        {"client_id": "gast", "client_secret": secret("gast"), "claims": {
            "realm_access": {"roles": ["offline_access"]}}}
    ]);
    std::fs::write(keys.join("clients.json"), clients.to_string()).unwrap();
    let port = free_port();
    let provider = Provider::start(&keys, port, 1);
    let config = format!(
        "[ocr]\nmode = \"off\"\n[auth]\nissuer = \"{}\"\nleeway_secs = 0\n\
         [auth.roles]\n\"akte-sachbearbeitung\" = \"caseworker\"\n\"akte-revision\" = \"auditor\"\n",
        provider.issuer()
    );
    let server = Server::start(&dir.path().join("data"), Some(&config)).unwrap();

    // A caseworker of Nord: creates and reads Nord's cases, not Süd's.
    let anna = provider.token("anna").await;
    let mut cases = CaseServiceClient::new(server.channel_as(&anna).await.unwrap());
    let create = |site: &str, number: &str| pb::CreateCaseRequest {
        case_number: number.into(),
        site: site.into(),
        title: "Akte".into(),
        ..Default::default()
    };
    cases
        .create_case(create("Nord", "12345BG0000961"))
        .await
        .unwrap();
    let e = cases
        .create_case(create("Süd", "12345BG0000962"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // The auditor reads the log and finds anna's calls under her name.
    let revision = provider.token("revision").await;
    let records = AuditServiceClient::new(server.channel_as(&revision).await.unwrap())
        .list_access_records(pb::ListAccessRecordsRequest {
            principal: "caseworker:anna".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .records;
    assert!(records
        .iter()
        .any(|r| r.action == "create_case" && r.decision == "allowed"));
    assert!(records
        .iter()
        .any(|r| r.action == "create_case" && r.decision == "denied"));
    // A valid token without a role of this service.
    let gast = provider.token("gast").await;
    assert_eq!(
        list_cases(&server, &gast).await.unwrap_err().code(),
        Code::PermissionDenied
    );

    // Forgeries and misfits, signed with the provider's own key unless said.
    let claims = |overrides: serde_json::Value| {
        let mut c = json!({
            "iss": provider.issuer(), "aud": "akte", "sub": "anna",
            "preferred_username": "anna", "sites": ["Nord"],
            "realm_access": {"roles": ["akte-sachbearbeitung"]},
            "iat": now(), "exp": now() + 300,
        });
        for (k, v) in overrides.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let es256 = {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some("g1".into());
        h
    };
    let sign = |claims: &serde_json::Value, key: &EncodingKey| {
        jsonwebtoken::encode(&es256, claims, key).unwrap()
    };
    let key = provider.key(1);
    // Sanity: a token made this way with nothing wrong is accepted.
    list_cases(&server, &sign(&claims(json!({})), &key))
        .await
        .unwrap();
    let stranger = {
        let pair = rcgen::KeyPair::generate().unwrap();
        EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap()
    };
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "g1"})),
        b64(&claims(json!({})))
    );
    let hmac = {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("g1".into());
        // The provider's public key as an HMAC secret: the classic confusion.
        let jwks = std::fs::read(keys.join("jwks-1.json")).unwrap();
        jsonwebtoken::encode(
            &h,
            &claims(json!({})),
            &EncodingKey::from_secret(&jwks).unwrap(),
        )
        .unwrap()
    };
    for (what, token) in [
        ("expired", sign(&claims(json!({"exp": now() - 5})), &key)),
        (
            "not yet valid",
            sign(&claims(json!({"nbf": now() + 600})), &key),
        ),
        (
            "another issuer",
            sign(&claims(json!({"iss": "http://127.0.0.1:1"})), &key),
        ),
        (
            "another audience",
            sign(&claims(json!({"aud": "fremd"})), &key),
        ),
        ("a stranger's key", sign(&claims(json!({})), &stranger)),
        ("alg none", unsigned),
        ("HS256 with the public key", hmac),
    ] {
        let e = list_cases(&server, &token).await.unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "{what}: {e:?}");
    }

    // The provider rotates its key: new tokens are accepted once the server
    // has fetched the new key set (at most 10 s after its last fetch), and
    // tokens of the retired key are refused from then on.
    drop(provider);
    let provider = Provider::start(&keys, port, 2);
    let fresh = provider.token("anna").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match list_cases(&server, &fresh).await {
            Ok(()) => break,
            Err(e) if Instant::now() < deadline => {
                assert!(
                    matches!(e.code(), Code::Unauthenticated | Code::Unavailable),
                    "{e:?}"
                );
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("a token of the rotated key is still refused: {e:?}"),
        }
    }
    assert_eq!(
        list_cases(&server, &anna).await.unwrap_err().code(),
        Code::Unauthenticated
    );
}

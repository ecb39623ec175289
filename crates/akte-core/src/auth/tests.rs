use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use base64::Engine;
use serde_json::json;

use super::*;

fn open(dir: &Path) -> Authenticator {
    Authenticator::open(dir, &AuthConfig::default()).unwrap()
}

fn b64(v: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn a_minted_token_names_its_principal() {
    let dir = tempfile::tempdir().unwrap();
    let auth = open(dir.path());
    let p = Principal::new(PrincipalKind::Caseworker, "anna")
        .with_sites(&["Nord", "Süd"])
        .with_groups(&["personal"]);
    let token = auth
        .local_key()
        .issue(&p, Duration::from_secs(60), "akte")
        .unwrap();
    assert_eq!(auth.authenticate(&token).await.unwrap(), p);
}

#[tokio::test]
async fn the_key_survives_a_restart_and_a_new_key_refuses_old_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let p = Principal::new(PrincipalKind::Admin, "root");
    let token = open(dir.path())
        .local_key()
        .issue(&p, Duration::from_secs(60), "akte")
        .unwrap();
    assert_eq!(open(dir.path()).authenticate(&token).await.unwrap(), p);
    let other = tempfile::tempdir().unwrap();
    let e = open(other.path()).authenticate(&token).await.unwrap_err();
    assert_eq!(e.code(), crate::ErrorCode::Unauthenticated, "{e}");
    let mode = std::fs::metadata(dir.path().join("auth/signing-key.pem"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn expired_foreign_audience_unsigned_and_tampered_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let auth = open(dir.path());
    let key = auth.local_key();
    let p = Principal::new(PrincipalKind::Caseworker, "anna").with_sites(&["Nord"]);
    let expect = |e: CoreError, words: &str| {
        assert_eq!(e.code(), crate::ErrorCode::Unauthenticated, "{e}");
        assert!(e.to_string().contains(words), "{e}");
    };
    // Expired beyond the leeway.
    let config = AuthConfig {
        leeway_secs: 0,
        ..AuthConfig::default()
    };
    let short = key.issue(&p, Duration::from_secs(1), "akte").unwrap();
    let strict = Authenticator {
        local: LocalKey::open_or_create(dir.path()).unwrap(),
        provider: None,
        config,
    };
    tokio::time::sleep(Duration::from_millis(2100)).await;
    expect(strict.authenticate(&short).await.unwrap_err(), "expired");
    // Another audience.
    let foreign = key.issue(&p, Duration::from_secs(60), "other").unwrap();
    expect(auth.authenticate(&foreign).await.unwrap_err(), "audience");
    // alg "none", with the local key id.
    let header = json!({"alg": "none", "kid": key.key_id()});
    let claims = json!({"iss": "akte-local", "aud": "akte", "sub": "mallory",
        "exp": 4_000_000_000u64, "nbf": 0, "iat": 0,
        "akte": {"kind": "admin"}});
    let unsigned = format!("{}.{}.", b64(&header), b64(&claims));
    assert!(auth.authenticate(&unsigned).await.is_err());
    // A claim changed after signing.
    let good = key.issue(&p, Duration::from_secs(60), "akte").unwrap();
    let parts: Vec<&str> = good.split('.').collect();
    let mut body: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    body["akte"]["kind"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64(&body), parts[2]);
    expect(auth.authenticate(&tampered).await.unwrap_err(), "signature");
    // Garbage.
    expect(
        auth.authenticate("not a token").await.unwrap_err(),
        "malformed",
    );
}

#[tokio::test]
async fn the_admin_token_is_written_private_and_kept_while_valid() {
    let dir = tempfile::tempdir().unwrap();
    let auth = open(dir.path());
    let config = AuthConfig::default();
    let path = auth
        .local_key()
        .write_admin_token(dir.path(), &config)
        .unwrap();
    let first = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let admin = auth.authenticate(&first).await.unwrap();
    assert_eq!(admin.kind, PrincipalKind::Admin);
    auth.local_key()
        .write_admin_token(dir.path(), &config)
        .unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), first);
    std::fs::write(&path, "garbage").unwrap();
    auth.local_key()
        .write_admin_token(dir.path(), &config)
        .unwrap();
    let renewed = std::fs::read_to_string(&path).unwrap();
    assert!(auth.authenticate(&renewed).await.is_ok());
}

#[test]
fn provider_claims_map_to_a_principal() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AuthConfig::default();
    config
        .roles
        .insert("akte-sachbearbeitung".into(), PrincipalKind::Caseworker);
    config
        .roles
        .insert("akte-revision".into(), PrincipalKind::Auditor);
    let auth = Authenticator::open(dir.path(), &config).unwrap();
    let claims = json!({
        "sub": "f81d4fae",
        "preferred_username": "anna.schmidt",
        "realm_access": {"roles": ["offline_access", "akte-sachbearbeitung"]},
        "sites": ["Nord"],
        "groups": ["/personal"],
        "scope": "openid profile"
    });
    let p = auth.principal_from_claims(&claims).unwrap();
    assert_eq!(p.kind, PrincipalKind::Caseworker);
    assert_eq!(p.name, "anna.schmidt");
    assert_eq!(p.sites, ["Nord"]);
    assert_eq!(p.groups, ["/personal", "personal"]);
    assert_eq!(p.scopes, ["openid", "profile"]);
    // Auditor outranks caseworker when a token has both.
    let both =
        json!({"sub": "x", "realm_access": {"roles": ["akte-sachbearbeitung", "akte-revision"]}});
    assert_eq!(
        auth.principal_from_claims(&both).unwrap().kind,
        PrincipalKind::Auditor
    );
    let none = json!({"sub": "x", "realm_access": {"roles": ["offline_access"]}});
    assert_eq!(
        auth.principal_from_claims(&none).unwrap_err().code(),
        crate::ErrorCode::PermissionDenied
    );
}

#[test]
fn client_certificates_map_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = AuthConfig::default();
    config.clients.push(ClientConfig {
        certificate_name: "scan-01.jobcenter.example".into(),
        kind: PrincipalKind::Station,
        name: "scan-01".into(),
        sites: vec!["Nord".into()],
        scopes: vec![],
    });
    let auth = Authenticator::open(dir.path(), &config).unwrap();
    let p = auth
        .principal_for_certificate(&["other".into(), "scan-01.jobcenter.example".into()])
        .unwrap();
    assert_eq!(p.kind, PrincipalKind::Station);
    assert_eq!(p.name, "scan-01");
    assert!(auth
        .principal_for_certificate(&["scan-02".into()])
        .is_none());
}

#[tokio::test]
async fn no_credential_or_configuration_can_name_a_share_link() {
    // Only the store makes a share link's principal.
    assert!("share".parse::<PrincipalKind>().is_err());
    assert!(!PrincipalKind::ALL.contains(&PrincipalKind::Share));
    assert!(serde_json::from_value::<PrincipalKind>(json!("share")).is_err());
    assert!(
        crate::Config::from_toml("[auth.roles]\n\"akte-link\" = \"share\"").is_err(),
        "a provider role must not make a share link"
    );
    // A token this server signed for one is refused all the same.
    let dir = tempfile::tempdir().unwrap();
    let auth = open(dir.path());
    let link = Principal::new(PrincipalKind::Share, "01JD3X2B0000000000000000SH");
    let token = auth
        .local_key()
        .issue(&link, Duration::from_secs(60), "akte")
        .unwrap();
    let e = auth.authenticate(&token).await.unwrap_err();
    assert_eq!(e.code(), crate::ErrorCode::Unauthenticated, "{e}");
}

//! `akte evidence`: the proof that a document is unchanged since it was
//! stored, as text or as JSON for `tests/evidence/verify.py` and any other
//! checker (README, "Proving a document unchanged").

use akte_core::checkpoint::Checkpoint;
use akte_core::{DocumentEvidence, Log};
use akte_proto::v1 as pb;
use akte_proto::v1::document_service_client::DocumentServiceClient;
use akte_types::merkle::Hash;
use akte_types::EvidenceLeaf;
use anyhow::Context;
use clap::Args;
use serde::Serialize;

use super::{channel, status, Server};

#[derive(Args, Debug)]
pub struct EvidenceArgs {
    document_id: String,
    /// Print the evidence as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    server: Server,
}

/// The JSON of `akte evidence --json`; hashes, signature and key in
/// lower-case hex, times in milliseconds since 1970 (UTC).
#[derive(Serialize)]
struct EvidenceJson {
    document_id: String,
    sha256: String,
    size: u64,
    created_at: i64,
    leaf_index: u64,
    /// The leaf's data (what is hashed, after a 0x00 byte).
    leaf: String,
    root: RootJson,
    /// Sibling hashes from the leaf up.
    path: Vec<String>,
}

#[derive(Serialize)]
struct RootJson {
    catalog_id: String,
    size: u64,
    root: String,
    at: i64,
    signature: String,
    public_key: String,
    signed_text: String,
}

pub async fn evidence(args: EvidenceArgs) -> anyhow::Result<()> {
    let mut client = DocumentServiceClient::new(channel(&args.server).await?);
    let e = client
        .get_document_evidence(pb::GetDocumentEvidenceRequest {
            document_id: args.document_id,
            reason: args.server.access_reason(),
        })
        .await
        .map_err(status)?
        .into_inner();
    let root = e.root.clone().context("the server sent no root")?;
    let at = match &root.at {
        Some(t) => t
            .seconds
            .saturating_mul(1000)
            .saturating_add(i64::from(t.nanos / 1_000_000)),
        None => 0,
    };
    let out = EvidenceJson {
        document_id: e.document_id.clone(),
        sha256: e.sha256.clone(),
        size: e.size_bytes,
        created_at: e.created_at_millis,
        leaf_index: e.leaf_index,
        leaf: String::from_utf8_lossy(&e.leaf).into_owned(),
        root: RootJson {
            catalog_id: root.catalog_id.clone(),
            size: root.size,
            root: hex::encode(&root.root),
            at,
            signature: hex::encode(&root.signature),
            public_key: hex::encode(&root.public_key),
            signed_text: root.signed_text.clone(),
        },
        path: e.path.iter().map(hex::encode).collect(),
    };
    // Checked here too, with the key the server names: what arrived is
    // whole. Only a key kept apart from the server proves more (README).
    let verified = verifies(&out)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_evidence(&out);
    }
    if !verified {
        anyhow::bail!("the evidence does not verify: the path does not lead from the leaf to the signed root, or the signature is not the key's");
    }
    Ok(())
}

fn print_evidence(e: &EvidenceJson) {
    let time = |ms: i64| {
        let at = std::time::UNIX_EPOCH
            + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
        humantime::format_rfc3339_millis(at).to_string()
    };
    println!("document    {}", e.document_id);
    println!("sha256      {}", e.sha256);
    println!("size        {}", e.size);
    println!("created_at  {}  ({})", time(e.created_at), e.created_at);
    println!("leaf        {} of {}", e.leaf_index, e.root.size);
    println!("root        {}", e.root.root);
    println!("signed at   {}  ({})", time(e.root.at), e.root.at);
    println!("catalog     {}", e.root.catalog_id);
    println!("signature   {}", e.root.signature);
    println!("public key  {}", e.root.public_key);
    for (i, h) in e.path.iter().enumerate() {
        println!("{:<11} {h}", if i == 0 { "path" } else { "" });
    }
}

/// Whether the leaf leads by the path to the root, signed by the key given.
fn verifies(e: &EvidenceJson) -> anyhow::Result<bool> {
    let path = e
        .path
        .iter()
        .map(|h| {
            let bytes = hex::decode(h)?;
            Hash::try_from(bytes.as_slice()).context("a path hash is not 32 bytes")
        })
        .collect::<anyhow::Result<Vec<Hash>>>()?;
    let evidence = DocumentEvidence {
        leaf: EvidenceLeaf {
            document_id: e.document_id.parse()?,
            sha256: e.sha256.parse()?,
            size_bytes: e.size,
            created_at: e.created_at,
        },
        leaf_index: e.leaf_index,
        root: Checkpoint {
            catalog_id: e.root.catalog_id.clone(),
            size: e.root.size,
            root: e.root.root.clone(),
            at: e.root.at,
            signature: e.root.signature.clone(),
        },
        public_key: hex::decode(&e.root.public_key)?,
        path,
    };
    Ok(evidence.leaf.data() == e.leaf
        && evidence.root.signed_text(Log::Evidence) == e.root.signed_text
        && evidence.verify(&evidence.public_key))
}

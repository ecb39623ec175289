use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protoc = protoc_bin_vendored::protoc_bin_path()?;
    let include = protoc_bin_vendored::include_path()?;
    // Edition 2021: setting the variable for this build script's own process only.
    std::env::set_var("PROTOC", protoc);

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let proto = root.join("akte/v1/akte.proto");
    println!("cargo:rerun-if-changed={}", proto.display());

    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    tonic_prost_build::configure()
        .bytes(".")
        .file_descriptor_set_path(out.join("akte_v1_descriptor.bin"))
        .compile_protos(&[proto], &[root, include])?;
    Ok(())
}

//! Generated types and service stubs of the `akte.v1` gRPC API (proto/akte/v1).

#![allow(clippy::all, clippy::pedantic, clippy::unwrap_used, missing_docs)]

pub mod v1 {
    tonic::include_proto!("akte.v1");

    /// Encoded `FileDescriptorSet` of the API, for server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        tonic::include_file_descriptor_set!("akte_v1_descriptor");
}

//! Generated code for the platform's contracts: one module per proto package under `/proto`.
//! Nothing here is written by hand; edit the `.proto` files instead.
#![allow(missing_docs, clippy::all)]

/// Encoded `FileDescriptorSet` of every package, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/ess_descriptor.bin"));

pub mod events {
    pub mod v1 {
        tonic::include_proto!("ess.events.v1");
    }
}

pub mod registry {
    pub mod v1 {
        tonic::include_proto!("ess.registry.v1");
    }
}

pub mod observatory {
    pub mod v1 {
        tonic::include_proto!("ess.observatory.v1");
    }
}

//! Generated code for the platform's contracts: one module per proto package under `/proto`.
//! Nothing here is written by hand; edit the `.proto` files instead.
#![allow(missing_docs, clippy::all)]

/// Encoded `FileDescriptorSet` of `ess.registry.v1` (and its imports), for server reflection.
pub const REGISTRY_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/registry_descriptor.bin"));

/// Encoded `FileDescriptorSet` of `ess.activities.v1` (and its imports), for server reflection.
pub const ACTIVITIES_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/activities_descriptor.bin"));

/// Encoded `FileDescriptorSet` of `ess.observatory.v1` (and its imports), for server reflection.
pub const OBSERVATORY_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/observatory_descriptor.bin"));

/// Encoded `FileDescriptorSet` of `ess.platform.v1` (services every service serves), for reflection.
pub const PLATFORM_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/platform_descriptor.bin"));

/// Encoded `FileDescriptorSet` of `ess.events.v1` (every event payload), so that tools decode any
/// event by the type named in its `Ess-Event-Type` header without a list of event types.
pub const EVENTS_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/events_descriptor.bin"));

pub mod platform {
    pub mod v1 {
        tonic::include_proto!("ess.platform.v1");
    }
}

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

pub mod activities {
    pub mod v1 {
        tonic::include_proto!("ess.activities.v1");
    }
}

pub mod observatory {
    pub mod v1 {
        tonic::include_proto!("ess.observatory.v1");
    }
}

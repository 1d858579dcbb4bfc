//! The error enums of the RPCs and their one mapping each to `tonic::Status`.

use platform::grpc::{FieldViolation, internal, invalid_argument};
use tonic::Status;

use crate::domain::{Violation, partner::ChangeRefused};

macro_rules! chain_debug {
    ($t:ty) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                platform::error::error_chain_fmt(self, f)
            }
        }
    };
}

#[derive(thiserror::Error)]
pub enum CreatePartnerError {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("a partner already has this SIRET")]
    SiretTaken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
chain_debug!(CreatePartnerError);

impl From<CreatePartnerError> for Status {
    fn from(e: CreatePartnerError) -> Self {
        match e {
            CreatePartnerError::Invalid(v) => invalid_argument(to_field_violations(v)),
            CreatePartnerError::SiretTaken => Status::already_exists("a partner already has this SIRET"),
            CreatePartnerError::Unexpected(err) => internal(err),
        }
    }
}

/// Reads: GetPartner, LookupPartners, ListPartners, GetMembership, GetPtce, GetInitiative...
#[derive(thiserror::Error)]
pub enum ReadError {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
chain_debug!(ReadError);

impl From<ReadError> for Status {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Invalid(v) => invalid_argument(to_field_violations(v)),
            ReadError::NotFound(what) => Status::not_found(what),
            ReadError::Unexpected(err) => internal(err),
        }
    }
}

/// Changes: update, archive, contacts, membership, affiliations, PTCEs, initiatives.
#[derive(thiserror::Error)]
pub enum ChangeError {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("the partner changed since it was read (version {current})")]
    Stale { current: i64 },
    #[error("refused in the current state: {0}")]
    Precondition(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
chain_debug!(ChangeError);

impl From<ChangeRefused> for ChangeError {
    fn from(r: ChangeRefused) -> Self {
        match r {
            ChangeRefused::StaleVersion { current } => ChangeError::Stale { current },
            ChangeRefused::Archived => ChangeError::Precondition("the partner is archived"),
        }
    }
}

impl From<ChangeError> for Status {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Invalid(v) => invalid_argument(to_field_violations(v)),
            ChangeError::NotFound(what) => Status::not_found(what),
            ChangeError::Stale { current } => Status::aborted(format!(
                "the partner changed since it was read: its version is now {current}; read it again"
            )),
            ChangeError::Precondition(why) => Status::failed_precondition(why),
            ChangeError::Unexpected(err) => internal(err),
        }
    }
}

pub fn to_field_violations(v: Vec<Violation>) -> Vec<FieldViolation> {
    v.into_iter().map(|v| FieldViolation::new(v.field, v.reason)).collect()
}

//! The registry's rules, as types that cannot hold invalid values. No I/O, no SQL, no proto.

pub mod location;
pub mod partner;
pub mod siret;

/// One violated rule of a command: the input field it concerns and why (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Name of the input field, as the API calls it (`siret`, `commune_code`).
    pub field: &'static str,
    /// What is wrong.
    pub reason: String,
}

impl Violation {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

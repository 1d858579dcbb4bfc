//! The registry's rules, as types that cannot hold invalid values. No I/O, no SQL, no proto.

pub mod contact;
pub mod dates;
pub mod family;
pub mod initiative;
pub mod location;
pub mod membership;
pub mod nomenclature;
pub mod partner;
pub mod ptce;
pub mod search;
pub mod sirene;
pub mod siret;

/// One violated rule of a command: the input field it concerns and why (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the input field, as the API calls it (`siret`, `contacts[1].email`).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same violation under `prefix` (`email` becomes `contacts[0].email`).
    pub fn under(self, prefix: &str) -> Self {
        Self {
            field: format!("{prefix}.{}", self.field),
            reason: self.reason,
        }
    }
}

//! The activities service's rules, as types that cannot hold invalid values. No I/O, no SQL, no
//! proto: the gRPC layer maps proto enums and fields onto these.

pub mod activity;
pub mod outcome;
pub mod practice;
pub mod registration;

/// One violated rule of a command: the input field path it concerns (`sessions[1].end`) and why
/// (never the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub reason: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Collects violations while parsing a command, so that every bad field is reported at once.
#[derive(Debug, Default)]
pub struct Violations(pub Vec<Violation>);

impl Violations {
    /// Keeps `Ok` values; records the field and reason of an `Err`.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: impl Into<String>, r: Result<T, E>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(Violation::new(field, e.to_string()));
                None
            }
        }
    }

    pub fn push(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(Violation::new(field, reason));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A trimmed text of 1 to `max` characters without control characters (newlines allowed when
/// `multiline`).
pub fn bounded_text(raw: &str, max: usize, multiline: bool) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > max {
        return Err(format!("must be at most {max} characters"));
    }
    if t.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err("must not contain control characters".into());
    }
    Ok(t.to_owned())
}

//! Printing an error with its chain of causes, so that one log line tells the whole story.

use std::fmt;

/// Writes `err` followed by each `Caused by:` in its source chain. Use it in `Debug` impls of
/// error enums (`impl Debug for X { fn fmt(..) { error_chain_fmt(self, f) } }`).
pub fn error_chain_fmt(err: &dyn std::error::Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{err}")?;
    let mut current = err.source();
    while let Some(cause) = current {
        write!(f, "\n  caused by: {cause}")?;
        current = cause.source();
    }
    Ok(())
}

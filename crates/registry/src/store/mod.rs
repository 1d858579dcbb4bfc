//! The registry's database access (sqlx). Functions take `&mut PgConnection` so that a use case
//! composes them, and its outbox event, in one transaction.

pub mod initiatives;
pub mod memberships;
pub mod partners;
pub mod ptces;
pub mod sirene;
pub mod word_statistics;

/// What can go wrong in the store, in terms callers can act on.
#[derive(thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write.
    #[error("conflict on {constraint}")]
    Conflict { constraint: String },
    /// A row read back does not satisfy the domain rules (corrupt data).
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    /// Any other database failure. Not `transparent`: the `sqlx::Error` must stay in the cause
    /// chain, where `platform::grpc::internal` recognises a lost database (UNAVAILABLE).
    #[error("database error")]
    Unexpected(#[from] sqlx::Error),
}

impl std::fmt::Debug for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        platform::error::error_chain_fmt(self, f)
    }
}

/// Maps SQLSTATE 23505 (unique violation) to [`StoreError::Conflict`].
pub(crate) fn classify(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some("23505")
    {
        return StoreError::Conflict {
            constraint: db.constraint().unwrap_or("unknown").to_owned(),
        };
    }
    StoreError::Unexpected(e)
}

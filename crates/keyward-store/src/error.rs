use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; says which.
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("the organization must keep at least one owner")]
    LastOwner,
    #[error("the organization has reached its limit of live keys")]
    KeyLimitReached,
    #[error("the record the write refers to does not exist")]
    MissingReference,
    /// The database can't take the values given (text it can't encode, more
    /// values than one statement holds); says what. The server validates
    /// input before it gets here, so this is a second line of defence.
    #[error("the store can't take {0}")]
    Unstorable(&'static str),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    /// The database can't be reached: no connection within the pool's
    /// timeout, a connection refused or closed, the server shutting down.
    #[error("the database is unreachable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// Whether `e` says the database can't be reached, rather than that it
/// refused a statement.
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: connection exceptions (class 08), the server shutting
        // down or starting (57P01-57P03), no connection slot left (53300).
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if unreachable(&e) {
            return StoreError::Unavailable(e);
        }
        if let sqlx::Error::Database(db) = &e {
            // PostgreSQL: invalid byte sequence (NUL) and character not in repertoire.
            if matches!(db.code().as_deref(), Some("22021" | "22P05")) {
                return StoreError::Unstorable("text with these characters");
            }
            if db.message().contains("too many SQL variables") {
                return StoreError::Unstorable("this many values at once");
            }
            if db.is_foreign_key_violation() {
                return StoreError::MissingReference;
            }
            if db.is_unique_violation() {
                let message = db.message();
                let what = [
                    ("slug", "an organization with this slug"),
                    ("permissions", "a permission with this name"),
                    ("users", "a user with this email"),
                    ("memberships", "this membership"),
                    ("service_accounts", "a service account with this name"),
                    ("teams", "a team with this name"),
                    ("roles", "a role with this name"),
                    ("principal_groups", "a group with this name"),
                    ("audit_events", "this audit event"),
                ]
                .into_iter()
                .find(|(needle, _)| message.contains(needle))
                .map_or("a record with these values", |(_, what)| what);
                return StoreError::Conflict(what);
            }
        }
        StoreError::Database(e)
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_are_unavailable_and_other_failures_are_not() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        for e in [sqlx::Error::PoolTimedOut, sqlx::Error::Io(refused)] {
            assert!(matches!(StoreError::from(e), StoreError::Unavailable(_)));
        }
        let missing = StoreError::from(sqlx::Error::ColumnNotFound("x".into()));
        assert!(matches!(missing, StoreError::Database(_)));
    }
}

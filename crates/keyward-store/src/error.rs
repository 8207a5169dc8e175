use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A uniqueness rule refused the write; says which.
    #[error("{0} already exists")]
    Conflict(&'static str),
    #[error("the organization has reached its limit of live keys")]
    KeyLimitReached,
    #[error("the record the write refers to does not exist")]
    MissingReference,
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            if db.is_foreign_key_violation() {
                return StoreError::MissingReference;
            }
            if db.is_unique_violation() {
                let what = match db.message() {
                    m if m.contains("slug") => "an organization with this slug",
                    m if m.contains("permissions") => "a permission with this name",
                    _ => "a record with these values",
                };
                return StoreError::Conflict(what);
            }
        }
        StoreError::Database(e)
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

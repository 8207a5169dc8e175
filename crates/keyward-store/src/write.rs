//! What every write shares, whichever the dialect: the connection it runs
//! on, and whether its result says it changed something, so that its audit
//! events (see [`Store::audited`](crate::Store::audited)) are recorded in its
//! transaction exactly when it did. Each dialect's `finish` appends the
//! events and commits.

use crate::Acceptance;
use crate::Result;
use keyward_core::model::Permission;
use sqlx::pool::PoolConnection;
use sqlx::{Database, Transaction};
use std::ops::{Deref, DerefMut};

/// The connection a write runs on.
pub(crate) enum Write<DB: Database> {
    /// A transaction: the write's statements and its audit events commit
    /// together, or, dropped before `commit`, roll back.
    Tx(Transaction<'static, DB>),
    /// A write of one statement with no events to record: the statement
    /// is its own transaction, without the round trips of `BEGIN` and
    /// `COMMIT`.
    Alone(PoolConnection<DB>),
}

impl<DB: Database> Write<DB> {
    pub(crate) async fn commit(self) -> Result<()> {
        if let Write::Tx(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }
}

impl<DB: Database> Deref for Write<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Write::Tx(tx) => tx,
            Write::Alone(conn) => conn,
        }
    }
}

impl<DB: Database> DerefMut for Write<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Write::Tx(tx) => tx,
            Write::Alone(conn) => conn,
        }
    }
}

/// Whether a write's result says it changed something. A write that
/// answers `()` or a created record did; `false`, `None` or a refused
/// acceptance did not.
pub(crate) trait Changed {
    fn changed(&self) -> bool;
}

impl Changed for () {
    fn changed(&self) -> bool {
        true
    }
}

impl Changed for Permission {
    fn changed(&self) -> bool {
        true
    }
}

impl Changed for bool {
    fn changed(&self) -> bool {
        *self
    }
}

impl<T> Changed for Option<T> {
    fn changed(&self) -> bool {
        self.is_some()
    }
}

impl Changed for Acceptance {
    fn changed(&self) -> bool {
        matches!(self, Acceptance::Accepted(_))
    }
}

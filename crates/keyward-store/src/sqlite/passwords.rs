//! Passwords on SQLite.

use super::access::user_from_row;
use super::{SqliteStore, from_ms, ms, opt_from_ms};
use crate::Result;
use crate::passwords::PasswordStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use keyward_core::KeyHash;
use keyward_core::access::{PasswordReset, User};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

const RESET_COLUMNS: &str =
    "id, user_id, organization_id, created_by, created_at, expires_at, used_at";

fn reset_from_row(row: &SqliteRow) -> Result<PasswordReset> {
    Ok(PasswordReset {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        organization_id: row.try_get("organization_id")?,
        created_by: row.try_get("created_by")?,
        created_at: from_ms(row.try_get("created_at")?)?,
        expires_at: from_ms(row.try_get("expires_at")?)?,
        used_at: opt_from_ms(row.try_get("used_at")?)?,
    })
}

#[async_trait]
impl PasswordStore for SqliteStore {
    async fn set_password(
        &self,
        user_id: Uuid,
        password_hash: &str,
        keep: Option<&KeyHash>,
    ) -> Result<bool> {
        let mut tx = self.transaction().await?;
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?")
            .bind(user_id)
            .bind(keep.map(|token| token.as_bytes().to_vec()))
            .execute(&mut *tx)
            .await?;
        // A reset link issued before the change would undo it.
        sqlx::query("DELETE FROM password_resets WHERE user_id = ? AND used_at IS NULL")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        self.finish(tx, true).await
    }

    async fn create_password_reset(&self, reset: &PasswordReset, token: &KeyHash) -> Result<()> {
        let mut write = self.statement().await?;
        sqlx::query(&format!(
            "INSERT INTO password_resets ({RESET_COLUMNS}, token_hash) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(reset.id)
        .bind(reset.user_id)
        .bind(reset.organization_id)
        .bind(&reset.created_by)
        .bind(ms(reset.created_at))
        .bind(ms(reset.expires_at))
        .bind(reset.used_at.map(ms))
        .bind(token.as_bytes().as_slice())
        .execute(&mut *write)
        .await?;
        self.finish(write, ()).await
    }

    async fn password_reset_by_token(&self, token: &KeyHash) -> Result<Option<PasswordReset>> {
        sqlx::query(&format!(
            "SELECT {RESET_COLUMNS} FROM password_resets WHERE token_hash = ?"
        ))
        .bind(token.as_bytes().as_slice())
        .fetch_optional(&self.reader)
        .await?
        .as_ref()
        .map(reset_from_row)
        .transpose()
    }

    async fn use_password_reset(
        &self,
        token: &KeyHash,
        now: DateTime<Utc>,
        password_hash: &str,
    ) -> Result<Option<User>> {
        let mut tx = self.transaction().await?;
        // Claiming the reset is the first write: a second use finds it used.
        let claimed: Option<Uuid> = sqlx::query_scalar(
            "UPDATE password_resets SET used_at = ? \
             WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? \
             RETURNING user_id",
        )
        .bind(ms(now))
        .bind(token.as_bytes().as_slice())
        .bind(ms(now))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user_id) = claimed else {
            return Ok(None);
        };
        sqlx::query("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL")
            .bind(ms(now))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        let user = sqlx::query(
            "UPDATE users SET password_hash = ? WHERE id = ? \
             RETURNING id, email, name, enabled, created_at",
        )
        .bind(password_hash)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(user_from_row)
        .transpose()?;
        sqlx::query("DELETE FROM sessions WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        self.finish(tx, user).await
    }
}

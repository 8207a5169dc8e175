//! The audit log: filtered pages, the JSON Lines export read line by line
//! as it arrives, and the hash-chain check.

use crate::types::{AuditFilter, AuditPage, ChainCheck};
use crate::{Client, ClientError, Method, path};

/// An export being received: [`AuditLines::next_line`] hands out each
/// event's JSON line as soon as it is complete, so an export of any size
/// never sits in memory.
pub struct AuditLines {
    response: reqwest::Response,
    pending: Vec<u8>,
    done: bool,
}

impl AuditLines {
    /// The next line, without its newline; `None` at the end.
    pub async fn next_line(&mut self) -> Result<Option<String>, ClientError> {
        loop {
            if let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).take(end).collect();
                return decode(line).map(Some);
            }
            if self.done {
                return match std::mem::take(&mut self.pending) {
                    rest if rest.is_empty() => Ok(None),
                    rest => decode(rest).map(Some),
                };
            }
            match self.response.chunk().await? {
                Some(chunk) => self.pending.extend_from_slice(&chunk),
                None => self.done = true,
            }
        }
    }
}

fn decode(line: Vec<u8>) -> Result<String, ClientError> {
    String::from_utf8(line).map_err(|_| ClientError::Decode("an export line is not UTF-8".into()))
}

impl Client {
    /// A page of an organization's audit log (`org`: id or slug), or of
    /// the organization-less chain with `None` (admin key), newest first.
    pub async fn list_audit(
        &self,
        org: Option<&str>,
        filter: &AuditFilter,
    ) -> Result<AuditPage, ClientError> {
        let limit = filter.limit.map(|l| l.to_string());
        let params = [
            ("action", filter.action.as_deref()),
            ("actor_id", filter.actor_id.as_deref()),
            ("target_id", filter.target_id.as_deref()),
            ("since", filter.since.as_deref()),
            ("until", filter.until.as_deref()),
            ("limit", limit.as_deref()),
            ("cursor", filter.cursor.as_deref()),
        ];
        let path = path::with_query(path::audit(org, ""), &params);
        self.call(Method::GET, &path, None).await?.json()
    }

    /// Starts an export of the events at or after `since` and before
    /// `until` (RFC 3339), oldest first.
    pub async fn export_audit(
        &self,
        org: Option<&str>,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<AuditLines, ClientError> {
        let params = [("since", since), ("until", until)];
        let path = path::with_query(path::audit(org, "/export"), &params);
        let response = self.request(Method::GET, &path).send().await?;
        if !response.status().is_success() {
            // An error answers with the common body, which `call` reads.
            let status = response.status().as_u16();
            let body = Self::read(response).await?;
            return Err(crate::api_error(status, body));
        }
        Ok(AuditLines {
            response,
            pending: Vec::new(),
            done: false,
        })
    }

    /// Recomputes the chain's hashes on the server.
    pub async fn verify_audit(&self, org: Option<&str>) -> Result<ChainCheck, ClientError> {
        self.call(Method::GET, &path::audit(org, "/verify"), None)
            .await?
            .json()
    }
}

//! What can go wrong when talking to keyward.

use crate::types::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with a non-2xx status.
    #[error("{}: {}", body.code, body.message)]
    Api { status: u16, body: ErrorBody },
    /// The request could not be sent, or the response could not be read.
    #[error("request to keyward failed")]
    Transport(#[from] reqwest::Error),
    /// A request body could not be encoded, or a 2xx response did not have
    /// the expected shape.
    #[error("unexpected response: {0}")]
    Decode(String),
}

impl ClientError {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The error code (`KEY_NOT_FOUND`, …), for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { body, .. } => Some(&body.code),
            _ => None,
        }
    }
}

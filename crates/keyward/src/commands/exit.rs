//! How a command ends, as its exit code:
//!
//! - 0: done (and when stdout's reader went away, `| head`);
//! - 1: done, and the answer is "no": `keys verify` found the key not
//!   `VALID`, `audit verify` found the chain broken;
//! - 2: not done: a usage error, the server unreachable, or an API error.

use std::fmt;

/// The command ran, and its answer is a "no" for scripts (exit code 1).
#[derive(Debug)]
pub struct Verdict(pub String);

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Verdict {}

/// Stdout's reader went away; nothing is left to say (exit code 0).
#[derive(Debug)]
pub struct ClosedStdout;

impl fmt::Display for ClosedStdout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for ClosedStdout {}

pub const NO: u8 = 1;
pub const FAILED: u8 = 2;

/// How a command that returned `err` ends: `None` quietly with success
/// (stdout was closed), else the code to exit with after reporting it.
pub fn code(err: &anyhow::Error) -> Option<u8> {
    if err.is::<ClosedStdout>() {
        None
    } else if err.is::<Verdict>() {
        Some(NO)
    } else {
        Some(FAILED)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_no_is_one_a_failure_two_a_closed_pipe_nothing() {
        assert_eq!(
            code(&anyhow::Error::new(Verdict("EXPIRED".into()))),
            Some(1)
        );
        assert_eq!(code(&anyhow::anyhow!("connection refused")), Some(2));
        assert_eq!(code(&anyhow::Error::new(ClosedStdout)), None);
        let io = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(code(&anyhow::Error::new(io)), Some(2));
    }
}

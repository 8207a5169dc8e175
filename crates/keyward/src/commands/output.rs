//! How a command prints its answer: pretty JSON for scripts, or an aligned
//! table for people (`--output`, by default a table on a terminal and JSON
//! on a pipe or file). Every write to stdout goes through [`write_stdout`],
//! so a reader that went away (`keyward keys list | head -1`) ends the
//! command quietly instead of a panic as with `println!`.

use super::exit::ClosedStdout;
use super::table;
use std::io::{IsTerminal, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Pretty-printed JSON, the API's answer as it is.
    Json,
    /// Aligned columns for people.
    Table,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    format: Format,
}

impl Output {
    /// `chosen`, or else a table when stdout is a terminal and JSON when it
    /// isn't, so scripts reading a pipe get JSON without asking.
    pub fn new(chosen: Option<Format>) -> Self {
        let format = chosen.unwrap_or(if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        });
        Self { format }
    }

    /// Prints every field of `value`.
    pub fn print(&self, value: &impl serde::Serialize) -> anyhow::Result<()> {
        self.print_columns(value, None)
    }

    /// Prints `value`; a table shows only `columns` (a listing's columns
    /// or a record's fields), in that order. JSON always has everything.
    pub fn print_columns(
        &self,
        value: &impl serde::Serialize,
        columns: Option<&[&str]>,
    ) -> anyhow::Result<()> {
        let text = match self.format {
            Format::Json => serde_json::to_string_pretty(value)?,
            Format::Table => table::render(&serde_json::to_value(value)?, columns),
        };
        write_stdout(&text)
    }

    /// A secret shown this once: JSON already carries it in the answer; a
    /// table is followed by it, on a line of its own to copy.
    pub fn secret(&self, secret: &str) -> anyhow::Result<()> {
        match self.format {
            Format::Json => Ok(()),
            Format::Table => write_stdout(&format!(
                "\nThe key's secret, shown this once; store it now:\n{secret}"
            )),
        }
    }
}

/// Writes `text` and a newline to stdout and flushes it; a closed stdout is
/// [`ClosedStdout`], which ends the command quietly.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => anyhow::Error::new(ClosedStdout),
            _ => anyhow::Error::new(e).context("writing to stdout"),
        })
}

//! Scenario files: loading, decoding and validating them.
//!
//! A scenario is a JSON file (format in `scenarios/README.md`, types in [`types`]). Loading reports
//! *every* problem in a file at once, each with its line and column: malformed JSON (which stops
//! the parse), values of the wrong type or out of range, unknown or duplicate fields (with a
//! "did you mean" hint), and semantic mistakes such as unknown dependencies, dependency cycles,
//! or tasks no agent can run.
//!
//! The pipeline: a pull `lexer` over the bytes feeds `decode`'s primitives, which `schema` uses to
//! build the typed structs directly (no intermediate JSON tree), recording the byte offsets later
//! checks need in side tables; `validate` then runs the semantic checks; offsets become
//! line:column only when there is something to report (`error`).

mod decode;
mod error;
mod ids;
mod lexer;
mod schema;
pub mod types;
mod validate;

#[cfg(test)]
mod tests;

pub use error::{Problem, ScenarioError};
pub use types::*;

use std::path::Path;

/// Read and validate a scenario file. `Err` lists every problem found.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| ScenarioError::whole_file(&origin, format!("cannot read file: {}", io_reason(&e))))?;
    match String::from_utf8(bytes) {
        Ok(text) => parse(&origin, &text),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
            let mut diag = error::Diag::default();
            diag.push(at, String::new(), "file is not valid UTF-8".to_string());
            Err(diag.into_error(&origin, &text))
        }
    }
}

/// Parse and validate scenario text; `origin` is the file name used in messages.
pub fn parse(origin: &str, text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() >= decode::NONE as usize {
        return Err(ScenarioError::whole_file(origin, "file is too large (the limit is 4 GiB)".to_string()));
    }
    let mut diag = error::Diag::default();
    if let Some((scenario, meta)) = schema::decode(text, &mut diag) {
        validate::validate(&scenario, &meta, &mut diag);
        if diag.is_empty() {
            return Ok(scenario);
        }
    }
    Err(diag.into_error(origin, text))
}

/// The OS error text without Rust's " (os error 2)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

//! Scenario files: loading, decoding and validating them.
//!
//! A scenario is a JSON file (format in `scenarios/README.md`, types in [`types`]). Loading reports
//! *every* problem in a file at once, each with its line and column: malformed JSON (which stops
//! the parse), values of the wrong type or out of range, unknown or duplicate fields (with a
//! "did you mean" hint), and semantic mistakes such as unknown dependencies, dependency cycles,
//! or tasks no agent can run.
//!
//! The pipeline: a pull `lexer` over a sliding `window` of the input (never the whole file, but for
//! `--set`, whose changes are made to the text: see [`overrides`]) feeds `decode`'s primitives,
//! which `schema` uses to build the typed structs directly (no intermediate JSON tree), recording
//! the byte offsets later checks need in side tables (`meta`) and indexing ids as they come
//! (`ids`); `validate` then runs the semantic checks; offsets become line:column only when there is
//! something to report (`error`).

pub(crate) mod agent_kind;
pub mod bounds;
pub(crate) mod decode;
pub(crate) mod error;
mod faults;
mod ids;
pub(crate) mod lexer;
pub(crate) mod lookup;
pub(crate) mod meta;
mod number;
pub mod overrides;
mod quick;
mod schema;
pub mod types;
mod validate;
mod window;

#[cfg(test)]
mod tests;

pub use crate::protocols::growth::spec::{decode_subtasks, subtasks_of_output};
pub(crate) use crate::protocols::ladder::spec::tier_problem_in;
pub use crate::protocols::teams::spec::{Announcement, Audience, HelpSpec, OnLimit, ReviewSpec};
pub use crate::protocols::vote::spec::{DecisionSpec, TieRule, Voters};
pub use agent_kind::DEFAULT_LLM_TIMEOUT_MS;
pub(crate) use error::hint;
pub use error::{MAX_PROBLEMS_SHOWN, Problem, ScenarioError};
pub(crate) use lookup::Lookup;
pub use types::*;
pub(crate) use validate::capability_problem;

use lexer::Lexer;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::Path;

/// The largest scenario file [`load`] reads: 512 MiB, well above the 1 M-task generated scenario
/// (about 250 MB). [`load_limited`] takes another limit (the CLI's `--max-scenario-bytes`).
pub const DEFAULT_MAX_BYTES: u64 = 512 << 20;

/// Read and validate a scenario file of at most [`DEFAULT_MAX_BYTES`]. `Err` lists every problem found.
///
/// A regular file is streamed: only a window of its text is in memory at a time, so a large file
/// costs little more than the scenario it describes. If anything is wrong, the file is read again
/// whole and checked again in memory, where each problem can be given its line and column (and
/// where an unreadable or non-UTF-8 file is told apart from malformed JSON). Problems are the
/// exception, and this keeps the fast path free of everything only they need.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_limited(path, DEFAULT_MAX_BYTES)
}

/// [`load`] with a size limit of `max_bytes`: a larger file is refused before it is read, and
/// anything else (a pipe, a device) is read no further than the limit. Reading also stops at the
/// first NUL byte, which no JSON text contains, so `/dev/zero` is refused at once.
pub fn load_limited(path: &Path, max_bytes: u64) -> Result<Scenario, ScenarioError> {
    Ok(with_paths_resolved(load_text(path, max_bytes)?, path))
}

/// [`load_limited`], then the `--set`s applied (see [`overrides`]): the file is checked as it is
/// first, then the changed scenario, whose problems name their `--set`.
pub fn load_overridden(
    path: &Path,
    max_bytes: u64,
    changes: &[overrides::Override],
) -> Result<Scenario, Box<dyn std::error::Error>> {
    if changes.is_empty() {
        return Ok(load_limited(path, max_bytes)?);
    }
    // Read once: a pipe (`run <(…) --set …`) cannot be read a second time.
    let text = read_text(path, max_bytes)?;
    overridden(path, &text, changes)
}

/// The scenario in `text`, read from `path` by [`read_text`], with the `--set`s applied: the text
/// is checked as it is first, then the changed scenario, whose problems name their `--set`.
pub fn overridden(
    path: &Path,
    text: &str,
    changes: &[overrides::Override],
) -> Result<Scenario, Box<dyn std::error::Error>> {
    if !changes.is_empty() {
        parse(&path.display().to_string(), text)?;
    }
    changed(path, text, changes)
}

/// [`overridden`] for a text already checked as it is (variants of one file check it once).
pub fn changed(
    path: &Path,
    text: &str,
    changes: &[overrides::Override],
) -> Result<Scenario, Box<dyn std::error::Error>> {
    let origin = path.display().to_string();
    let scenario = if changes.is_empty() { parse(&origin, text)? } else { overrides::apply(&origin, text, changes)? };
    Ok(with_paths_resolved(scenario, path))
}

/// Agents' relative paths (programs, CA files) taken from the directory of the scenario's file.
fn with_paths_resolved(mut scenario: Scenario, path: &Path) -> Scenario {
    agent_kind::resolve_paths(&mut scenario, path.parent().unwrap_or(Path::new(".")));
    scenario
}

/// A scenario file's whole text, bounded as [`load_limited`] bounds it: a regular file larger
/// than `max_bytes` is refused before it is read, anything else is read no further than the
/// limit or its first NUL byte. Not valid UTF-8 is a positioned problem.
pub fn read_text(path: &Path, max_bytes: u64) -> Result<String, ScenarioError> {
    let origin = path.display().to_string();
    let (mut file, size) = open(path, &origin, max_bytes)?;
    whole_text(&mut file, size, &origin, max_bytes)
}

fn load_text(path: &Path, max_bytes: u64) -> Result<Scenario, ScenarioError> {
    let origin = path.display().to_string();
    let (mut file, size) = open(path, &origin, max_bytes)?;
    if let Some(size) = size {
        if size >= u64::from(decode::NONE) {
            return Err(too_large(&origin));
        }
        let mut diag = diag_for(&origin);
        let reader = (&mut file).take(max_bytes);
        if let Some(scenario) = check(Lexer::from_reader(reader, lexer::CHUNK), size as usize, &mut diag) {
            return Ok(scenario);
        }
        file.rewind().map_err(|e| cannot_read(&origin, &e))?;
    }
    // Not a regular file (it may not be readable twice), or something to report.
    parse(&origin, &whole_text(&mut file, size, &origin, max_bytes)?)
}

/// The file, and its size if it is a regular one: refused at once if that is over the limit.
fn open(path: &Path, origin: &str, max_bytes: u64) -> Result<(File, Option<u64>), ScenarioError> {
    let file = File::open(path).map_err(|e| cannot_read(origin, &e))?;
    let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
    if size.is_some_and(|size| size > max_bytes) {
        return Err(over_limit(origin, max_bytes));
    }
    Ok((file, size))
}

/// The rest of `file` as text, by [`read_bounded`] and [`text_of`].
fn whole_text(file: &mut File, size: Option<u64>, origin: &str, max_bytes: u64) -> Result<String, ScenarioError> {
    let bytes = read_bounded(file, size, max_bytes).map_err(|e| cannot_read(origin, &e))?;
    text_of(origin, bytes, max_bytes)
}

fn cannot_read(origin: &str, e: &std::io::Error) -> ScenarioError {
    ScenarioError::whole_file(origin, format!("cannot read file: {}", io_reason(e)))
}

/// What [`read_bounded`] read, as text: over the limit, or not UTF-8 (with where), is an error.
fn text_of(origin: &str, bytes: Vec<u8>, max_bytes: u64) -> Result<String, ScenarioError> {
    if bytes.len() as u64 > max_bytes {
        return Err(over_limit(origin, max_bytes));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..at]);
        let mut diag = diag_for(origin);
        diag.push(at, String::new(), "file is not valid UTF-8".to_string());
        diag.into_error(origin, &text)
    })
}

/// Reads `file` to its end, to one byte past `max_bytes` (so the caller can tell it is too
/// large), or to its first NUL byte (inclusive: the parser then reports it where it is).
fn read_bounded(file: &mut File, size: Option<u64>, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let cap = size.unwrap_or(0).min(max_bytes).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(cap).unwrap_or(usize::MAX).min(1 << 30));
    let mut reader = file.take(max_bytes.saturating_add(1));
    let mut chunk = vec![0u8; lexer::CHUNK];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(nul) = chunk[..n].iter().position(|&b| b == 0) {
            bytes.extend_from_slice(&chunk[..=nul]);
            return Ok(bytes);
        }
        bytes.extend_from_slice(&chunk[..n]);
    }
}

/// Parse and validate scenario text; `origin` is the file name used in messages.
pub fn parse(origin: &str, text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() >= decode::NONE as usize {
        return Err(too_large(origin));
    }
    let mut diag = diag_for(origin);
    match check(Lexer::new(text), text.len(), &mut diag) {
        Some(scenario) => Ok(scenario),
        None => Err(diag.into_error(origin, text)),
    }
}

/// Decode and validate what `lx` reads (`size_hint` bytes, if known). `None` when there is
/// anything to report; it is in `diag`, as byte offsets.
fn check(lx: Lexer, size_hint: usize, diag: &mut error::Diag) -> Option<Scenario> {
    let _hints = error::HintBudget::start();
    let (mut scenario, mut meta) = schema::decode(lx, size_hint, diag)?;
    let targets = validate::validate(&scenario, &mut meta, diag);
    // The side tables go first: the index is copied once more on its way into an `Arc`.
    drop(meta);
    scenario.dep_index = DepIndex(Some(targets.into()));
    diag.is_empty().then_some(scenario)
}

/// A collector whose relative paths are taken from the directory of `origin` (the file's name).
fn diag_for(origin: &str) -> error::Diag {
    let base_dir = Path::new(origin).parent().map(Path::to_path_buf).unwrap_or_default();
    let mut diag = error::Diag::default();
    diag.base_dir = base_dir;
    diag
}

fn over_limit(origin: &str, max_bytes: u64) -> ScenarioError {
    let message = format!(
        "file is larger than the scenario size limit of {max_bytes} bytes (raise it with --max-scenario-bytes)"
    );
    ScenarioError::whole_file(origin, message)
}

fn too_large(origin: &str) -> ScenarioError {
    ScenarioError::whole_file(origin, "file is too large (the limit is 4 GiB)".to_string())
}

/// A small file read whole, but no further than `limit` bytes whatever its metadata says (a
/// pipe has no length, and neither has `/dev/zero`): `Ok(None)` if it holds more.
pub(crate) fn read_at_most(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// The OS error text without Rust's " (os error 2)" suffix.
pub(crate) fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(cut) => text[..cut].to_string(),
        None => text,
    }
}

//! `--set PATH=VALUE`: changes to a scenario made on the command line, after the file is read and
//! before the result is checked — the what-if of "one more reviewer", "allocate by score".
//!
//! A path is field names joined by `.`; in an array of items with ids (`agents`, `tasks`, …) the
//! next name is an item's id (or its index, for items without ids): `allocation=best_score`,
//! `agents.reviewer-2.profile.failure_rate=0.3`, `tasks.deploy.retry.max_attempts=5`. A value is
//! JSON when it reads as JSON (`5`, `true`, `{"mean": 300}`, `"quoted"`), else the text itself
//! (`best_score`). `PATH+=VALUE` appends to an array (`agents+=@extra-agent.json` reads the item
//! from a file); `PATH-=ID` removes an array's item. Missing objects on the way are made, so a
//! field the file left to its default can be set.
//!
//! A change that moves tasks off auction (`allocation=least_loaded` on a scenario that auctions)
//! drops those tasks' `auction` settings, which would do nothing (and which a file may not have
//! then): what-ifs across strategies work on any scenario.
//!
//! The changed scenario is then checked like any file; each problem is reported against the
//! `--set` it comes from (`--set agents.x.cost=-1: must be ≥ 0`), with the scenario's own "did you
//! mean" hints, and a path that leads nowhere (an unknown id, a field of a number) is reported
//! before that, with a hint too.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::error::hint;
use super::{Problem, Scenario, ScenarioError};

/// What a `--set` does.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Set(Value),
    Append(Value),
    Remove(String),
}

/// One `--set`, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Override {
    /// As given, for messages.
    pub text: String,
    path: Vec<String>,
    op: Op,
}

/// Why the `--set`s cannot make a scenario: each problem names its `--set`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideError {
    pub problems: Vec<String>,
}

impl fmt::Display for OverrideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for OverrideError {}

impl Override {
    /// Reads `PATH=VALUE`, `PATH+=VALUE` or `PATH-=ID`; `@FILE` values are read from the file.
    pub fn parse(text: &str) -> Result<Override, String> {
        let bad = |why: &str| format!("--set {text}: {why}");
        let Some(eq) = text.find('=') else {
            return Err(bad("expected PATH=VALUE (or PATH+=VALUE, PATH-=ID)"));
        };
        let (left, value) = (&text[..eq], &text[eq + 1..]);
        let (path, kind) = match left.as_bytes().last() {
            Some(b'+') => (&left[..left.len() - 1], '+'),
            Some(b'-') => (&left[..left.len() - 1], '-'),
            _ => (left, '='),
        };
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(bad("the path is empty or has an empty part (fields are joined by `.`)"));
        }
        let path = path.split('.').map(str::to_string).collect();
        let op = match kind {
            '-' if value.is_empty() => return Err(bad("-= needs the id of the item to remove")),
            '-' => Op::Remove(value.to_string()),
            '+' => Op::Append(read_value(value).map_err(|e| bad(&e))?),
            _ => Op::Set(read_value(value).map_err(|e| bad(&e))?),
        };
        Ok(Override { text: text.to_string(), path, op })
    }

    /// The agent `agents-=ID` removes, if this is one (a what-if from a live run drains it
    /// instead: the run has already counted on it).
    pub fn removed_agent(&self) -> Option<&str> {
        match &self.op {
            Op::Remove(id) if self.path.len() == 1 && self.path[0] == "agents" => Some(id),
            _ => None,
        }
    }
}

/// JSON if it reads as JSON, else the text; `@FILE`: the file's JSON.
fn read_value(value: &str) -> Result<Value, String> {
    if let Some(file) = value.strip_prefix('@') {
        // Bounded like a scenario file: `@/dev/zero` must not fill the memory.
        let text = super::read_text(std::path::Path::new(file), super::DEFAULT_MAX_BYTES)
            .map_err(|e| e.to_string().trim_end().to_string())?;
        return serde_json::from_str(&text).map_err(|e| format!("{file} is not JSON: {e}"));
    }
    Ok(serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string())))
}

/// Applies `overrides` to the scenario text `text` (from `origin`) and checks the result.
///
/// Only the top-level fields a change reaches become a tree (`allocation`, `agents`, …); the
/// others, a large file's tasks above all, stay text and are copied as they are. A tree of a
/// million tasks takes gigabytes and seconds, for `--set allocation=best_score`.
pub fn apply(origin: &str, text: &str, overrides: &[Override]) -> Result<Scenario, OverrideError> {
    let not_json = |e: serde_json::Error| OverrideError {
        problems: vec![format!("{origin}: not JSON, so --set cannot change it: {e}")],
    };
    let mut raw: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(not_json)?;
    // The fields the changes reach, and those the auction rule below reads. A task leaves
    // auction when a change under `tasks` says so, or when it follows the scenario's allocation
    // and that was `auction` (the word, or an escape that could spell it): only then are the
    // tasks needed as a tree.
    let mut reached: Vec<&str> = overrides.iter().map(|o| o.path[0].as_str()).collect();
    let default = raw.get("allocation").map_or("", |v| v.get());
    if reached.contains(&"tasks") || default.contains("auction") || default.contains("\\u") {
        reached.extend(["allocation", "tasks"]);
    }
    let mut doc = Map::new();
    for key in reached {
        if let Some(field) = raw.remove(key) {
            doc.insert(key.to_string(), serde_json::from_str(field.get()).map_err(not_json)?);
        }
    }
    let mut doc = Value::Object(doc);
    let auctioned = auctioned_tasks(&doc);
    let mut touched = Vec::with_capacity(overrides.len());
    let mut problems = Vec::new();
    for o in overrides {
        match change(&mut doc, o) {
            Ok(at) => touched.push((at, o)),
            Err(why) => problems.push(format!("--set {}: {why}", o.text)),
        }
    }
    if !problems.is_empty() {
        return Err(OverrideError { problems });
    }
    // "What if we did not auction?": a task the changes moved off auction keeps its auction
    // settings out of the way (they would do nothing, which the scenario's check refuses).
    let now_auctioned = auctioned_tasks(&doc);
    if let Some(Value::Array(tasks)) = doc.get_mut("tasks") {
        for task in tasks.iter_mut() {
            let id = task.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
            if auctioned.contains(&id)
                && !now_auctioned.contains(&id)
                && let Some(fields) = task.as_object_mut()
            {
                fields.remove("auction");
            }
        }
    }
    let Value::Object(doc) = doc else { unreachable!("the document stays an object") };
    let trees: Vec<(&String, String)> =
        doc.iter().map(|(k, v)| (k, serde_json::to_string(v).expect("a JSON value serializes"))).collect();
    let fields = raw.iter().map(|(k, v)| (k, v.get())).chain(trees.iter().map(|(k, v)| (*k, v.as_str())));
    let mut changed = String::with_capacity(text.len() + trees.iter().map(|(_, v)| v.len()).sum::<usize>());
    for (i, (key, value)) in fields.enumerate() {
        changed.push(if i == 0 { '{' } else { ',' });
        changed.push_str(&serde_json::to_string(key).expect("a string serializes"));
        changed.push(':');
        changed.push_str(value);
    }
    changed.push_str(if changed.is_empty() { "{}" } else { "}" });
    super::parse(origin, &changed).map_err(|e| attribute(&e, &touched))
}

/// The ids of the tasks allocated by auction (their own `allocation`, else the scenario's).
fn auctioned_tasks(doc: &Value) -> Vec<String> {
    let default = doc.get("allocation").and_then(Value::as_str).unwrap_or("least_loaded");
    let Some(Value::Array(tasks)) = doc.get("tasks") else { return Vec::new() };
    tasks
        .iter()
        .filter(|t| t.get("allocation").and_then(Value::as_str).unwrap_or(default) == "auction")
        .filter_map(|t| t.get("id").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// Each problem of the changed scenario, against the `--set` whose path it is under (or all of
/// them, for one elsewhere: a removed agent still named by a task).
fn attribute(e: &ScenarioError, touched: &[(String, &Override)]) -> OverrideError {
    let problems = e.problems.iter().map(|p: &Problem| {
        let related = |at: &String| {
            let under = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}.")) || a.starts_with(&format!("{b}["));
            under(&p.path, at) || under(at, &p.path) && !p.path.is_empty()
        };
        let what = if p.path.is_empty() { String::new() } else { format!("{}: ", p.path) };
        match touched.iter().rev().find(|(at, _)| related(at)) {
            Some((_, o)) => format!("--set {}: {what}{}", o.text, p.message),
            None => {
                let all: Vec<String> = touched.iter().map(|(_, o)| format!("--set {}", o.text)).collect();
                format!("with {}: {what}{}", all.join(", "), p.message)
            }
        }
    });
    OverrideError { problems: problems.collect() }
}

/// Makes the change; returns the path it made, as the scenario's messages write paths
/// (`agents[1].profile.failure_rate`).
fn change(doc: &mut Value, o: &Override) -> Result<String, String> {
    let (last, parents) = o.path.split_last().expect("a path has a part");
    let mut at = String::new();
    let mut node = doc;
    for key in parents {
        node = step(node, key, &mut at, true)?;
    }
    match &o.op {
        Op::Set(value) => {
            let slot = step(node, last, &mut at, false)?;
            *slot = value.clone();
        }
        Op::Append(value) => {
            let list = step(node, last, &mut at, false)?;
            let Value::Array(items) = list else { return Err(format!("`{at}` is {}, not a list", kind(list))) };
            at = format!("{at}[{}]", items.len());
            items.push(value.clone());
        }
        Op::Remove(id) => {
            let list = step(node, last, &mut at, false)?;
            let Value::Array(items) = list else { return Err(format!("`{at}` is {}, not a list", kind(list))) };
            let i = find(items, id).ok_or_else(|| no_item(items, last, id))?;
            items.remove(i);
        }
    }
    Ok(at)
}

/// Goes from `node` to its `key`: a field of an object (made, if missing: an empty object on the
/// way, null at the end), or the item of a list with that id or index.
fn step<'v>(node: &'v mut Value, key: &str, at: &mut String, on_the_way: bool) -> Result<&'v mut Value, String> {
    let here = if at.is_empty() { "the scenario".to_string() } else { format!("`{at}`") };
    match node {
        Value::Object(fields) => {
            *at = if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
            let fresh = if on_the_way { Value::Object(Map::new()) } else { Value::Null };
            Ok(fields.entry(key.to_string()).or_insert(fresh))
        }
        Value::Array(items) => {
            let Some(i) = find(items, key) else {
                let list = at.rsplit('.').next().unwrap_or_default().to_string();
                return Err(no_item(items, &list, key));
            };
            at.push_str(&format!("[{i}]"));
            Ok(&mut items[i])
        }
        other => Err(format!("{here} is {}: there is no `{key}` in it", kind(other))),
    }
}

/// The item with id `key`, else the item at index `key`.
fn find(items: &[Value], key: &str) -> Option<usize> {
    items.iter().position(|item| item.get("id").and_then(Value::as_str) == Some(key)).or_else(|| {
        let i: usize = key.parse().ok()?;
        (i < items.len() && items[i].get("id").is_none()).then_some(i)
    })
}

fn no_item(items: &[Value], list: &str, key: &str) -> String {
    let ids: Vec<&str> = items.iter().filter_map(|i| i.get("id").and_then(Value::as_str)).collect();
    let what = list.strip_suffix('s').unwrap_or(list);
    format!("no {what} `{key}` in `{list}`{}", hint(key, ids.iter().copied()))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;

//! A planner task's `plan` (its subtasks, in the `tasks` format, and `max_subtasks`), and the
//! decoding of task lists that arrive after loading: a process or LLM planner's `subtasks` output
//! and a journal's `tasks_added` line.
//!
//! Loading checks only the subtasks' format (types, ranges, required fields, ids unique within the
//! plan). Whether they fit the run — new ids, known dependencies, no cycle, a capable agent, the
//! cap — is checked when the plan is produced (`protocols::growth`), exactly as for a real planner's
//! output, so a scenario can show a plan being rejected.

use crate::scenario::decode::Decoder;
use crate::scenario::error::Diag;
use crate::scenario::lexer::{LexResult as R, Lexer};
use crate::scenario::meta::Meta;
use crate::scenario::types::*;

const PLAN_FIELDS: &[&str] = &["subtasks", "max_subtasks"];
const OUTPUT_FIELDS: &[&str] = &["subtasks"];

impl Decoder<'_, '_> {
    /// A task's `plan` object.
    pub(crate) fn plan(&mut self) -> R<Option<Box<PlanSpec>>> {
        let mut plan = PlanSpec { subtasks: Vec::new(), max_subtasks: DEFAULT_MAX_SUBTASKS };
        // The plan's own id table: its ids are checked against each other here, against the run's
        // tasks when it is applied.
        let mut meta = Meta::new();
        let seen = self.object(PLAN_FIELDS, |d, f| {
            match f {
                0 => drop(d.array(|d| d.task(&mut plan.subtasks, &mut meta))?),
                _ => {
                    plan.max_subtasks =
                        d.count(1, crate::scenario::bounds::MAX_SUBTASKS)?.unwrap_or(DEFAULT_MAX_SUBTASKS)
                }
            }
            Ok(())
        })?;
        Ok(seen.map(|_| Box::new(plan)))
    }
}

/// Decodes `{"subtasks": [task, …]}` text: the subtasks, or every format problem as
/// `PATH: MESSAGE` (e.g. `subtasks[1].timeout_ms: must be ≥ 1, found 0`).
pub fn decode_subtasks(text: &str) -> Result<Vec<TaskSpec>, Vec<String>> {
    let mut diag = Diag::default();
    let mut tasks = Vec::new();
    let mut meta = Meta::new();
    let outcome = {
        let mut d = Decoder::new(Lexer::new(text), text.len(), &mut diag);
        let found = d.object(OUTPUT_FIELDS, |d, _| {
            d.array(|d| d.task(&mut tasks, &mut meta))?;
            Ok(())
        });
        match found.and_then(|seen| d.lx.finish().map(|_| seen)) {
            Ok(seen) => Ok(seen),
            Err(e) => {
                let path = d.path_string();
                d.diag.push(e.pos, path, e.message);
                Err(())
            }
        }
    };
    if diag.is_empty() && outcome.is_ok() {
        return Ok(tasks);
    }
    let problems = diag.into_error("subtasks", text).problems;
    Err(problems
        .into_iter()
        .map(|p| if p.path.is_empty() { p.message } else { format!("{}: {}", p.path, p.message) })
        .collect())
}

/// The `subtasks` of a planner's JSON output, if it has that key: `Some(Ok(tasks))`, or
/// `Some(Err(problems))` when they are not valid task objects; `None` when the output carries no
/// plan (a simulated planner's, or one that is not an object with `subtasks`).
pub fn subtasks_of_output(output: &str) -> Option<Result<Vec<TaskSpec>, Vec<String>>> {
    let value: serde_json::Value = serde_json::from_str(output).ok()?;
    let subtasks = value.as_object()?.get("subtasks")?;
    let text = serde_json::json!({ "subtasks": subtasks }).to_string();
    Some(decode_subtasks(&text))
}

//! Task data: what a successful attempt returned, kept per task and handed to its dependents.
//!
//! Outputs stay off the per-message path: a [`Message`](super::Message) is small and `Copy`, and a
//! real agent's output (heap JSON) travels beside it into
//! [`Coordinator::handle_result`](super::Coordinator::handle_result), then into the
//! `attempt_succeeded` event, from which [`OutputStore::apply`] files it. A simulated agent's
//! output is [`Output::Sim`]: nothing is stored for it, and it is rendered on demand from the
//! agent's name and the attempt number, so a simulated run costs nothing extra.
//!
//! Agents' error messages are interned ([`intern`]) so that the failure reasons carrying them stay
//! `Copy`.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use super::ids::TaskId;

/// What a successful attempt returned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Output {
    /// A simulated agent's deterministic output: `{"agent":NAME,"attempt":N,"simulated":true}`.
    Sim,
    /// Compact JSON text from a real agent (at most a protocol line: 1 MiB).
    Json(Arc<str>),
}

impl Output {
    /// The JSON text of the output of `attempt` by agent `agent`.
    pub fn render(&self, agent: &str, attempt: u32) -> String {
        match self {
            Output::Sim => sim_output(agent, attempt),
            Output::Json(text) => text.to_string(),
        }
    }

    /// The output a journal line holds (`value`), given the agent and attempt of the line.
    pub fn from_value(value: &serde_json::Value, agent: &str, attempt: u32) -> Output {
        let text = value.to_string();
        if text == sim_output(agent, attempt) { Output::Sim } else { Output::Json(text.into()) }
    }
}

/// What a simulated agent returns (keys in sorted order, as `serde_json` writes them).
pub fn sim_output(agent: &str, attempt: u32) -> String {
    serde_json::json!({"agent": agent, "attempt": attempt, "simulated": true}).to_string()
}

/// Real agents' outputs of completed tasks (simulated ones are implied by the attempt).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputStore {
    json: BTreeMap<u32, Arc<str>>,
}

impl OutputStore {
    /// Files the output of a successful attempt (a later success of a reopened task replaces it).
    pub fn apply(&mut self, task: TaskId, output: &Output) {
        match output {
            // Simulated runs never store any: nothing to forget.
            Output::Sim if self.json.is_empty() => None,
            Output::Sim => self.json.remove(&task.0),
            Output::Json(text) => self.json.insert(task.0, text.clone()),
        };
    }

    /// A real agent's output for the task, if it has one (else the task's output, if it completed,
    /// is a simulated one).
    pub fn json(&self, task: TaskId) -> Option<&Arc<str>> {
        self.json.get(&task.0)
    }

    pub fn len(&self) -> usize {
        self.json.len()
    }

    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }
}

/// Longest error message kept, in characters.
pub const MAX_MESSAGE_CHARS: usize = 500;
/// Distinct messages interned per process; beyond it, new ones are replaced by [`TOO_MANY`].
pub const MAX_MESSAGES: usize = 4096;
pub const TOO_MANY: &str = "(message dropped: too many distinct agent error messages)";

/// A `'static` copy of `s` (cut to [`MAX_MESSAGE_CHARS`]), shared by equal messages. Memory is
/// bounded by [`MAX_MESSAGES`].
pub fn intern(s: &str) -> &'static str {
    static TEXTS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let s = match s.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((i, _)) => &s[..i],
        None => s,
    };
    let mut texts = TEXTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(t) = texts.get(s) {
        return t;
    }
    if texts.len() >= MAX_MESSAGES {
        return TOO_MANY;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    texts.insert(leaked);
    leaked
}

impl super::Coordinator {
    /// The JSON text of a completed task's output; `None` if the task has not completed, or was
    /// marked done by an operator (no agent returned anything).
    pub fn output_text(&self, task: TaskId) -> Option<String> {
        let state = self.state();
        if state.tasks[task.ix()].state != super::TaskState::Completed {
            return None;
        }
        if let Some(text) = state.outputs.json(task) {
            return Some(text.to_string());
        }
        let rec = state.last_attempt(task).filter(|r| r.end == super::state::AttemptEnd::Succeeded)?;
        Some(sim_output(self.agent_name(rec.agent), rec.attempt))
    }

    /// What a task's `task` message carries as `inputs`: each dependency's id → its output (`null`
    /// for one marked done by an operator).
    pub fn inputs(&self, task: TaskId) -> serde_json::Map<String, serde_json::Value> {
        let mut inputs = serde_json::Map::new();
        for dep in self.workflow().dependencies(task) {
            let value = self.output_text(dep).and_then(|t| serde_json::from_str(&t).ok());
            inputs.insert(self.task_name(dep).to_string(), value.unwrap_or(serde_json::Value::Null));
        }
        if let Some((reviewer, notes)) = self.review_input(task) {
            inputs.insert(self.task_name(reviewer).to_string(), notes);
        }
        inputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_outputs_are_recognised_back_and_others_are_kept_as_text() {
        let sim = serde_json::from_str(&sim_output("w-1", 2)).unwrap();
        assert_eq!(Output::from_value(&sim, "w-1", 2), Output::Sim);
        assert_eq!(Output::from_value(&sim, "w-1", 3), Output::Json(sim_output("w-1", 2).into()));
        let v = serde_json::json!({"words": 12});
        assert_eq!(Output::from_value(&v, "w-1", 1).render("w-1", 1), "{\"words\":12}");
        assert_eq!(Output::Sim.render("a", 1), "{\"agent\":\"a\",\"attempt\":1,\"simulated\":true}");
    }

    #[test]
    fn the_store_keeps_real_outputs_only() {
        let mut s = OutputStore::default();
        s.apply(TaskId(3), &Output::Json("[1]".into()));
        s.apply(TaskId(4), &Output::Sim);
        assert_eq!(s.json(TaskId(3)).map(|t| &**t), Some("[1]"));
        assert_eq!(s.len(), 1);
        s.apply(TaskId(3), &Output::Sim);
        assert!(s.is_empty());
    }

    #[test]
    fn interning_shares_equal_messages_and_cuts_long_ones() {
        let a = intern("disk full");
        let b = intern(&String::from("disk full"));
        assert!(std::ptr::eq(a, b));
        assert_eq!(intern(&"x".repeat(2000)).chars().count(), MAX_MESSAGE_CHARS);
    }
}

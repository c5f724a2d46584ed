//! A run's names on NATS: the run name (checked: it is a subject token), its subjects and its
//! JetStream stream.
//!
//! | what | name |
//! |------|------|
//! | the journal, one event per message, in order | subject `switchyard.RUN.events`, stream `switchyard_RUN` |
//! | operator commands (requests) | subject `switchyard.RUN.cmd` |
//! | a NATS agent's hello (requests from its bridge) | subject `switchyard.RUN.agent.ID.hello` |
//! | its lines to the coordinator (stdout, stderr, its exit) | subject `switchyard.RUN.agent.ID.out` |
//! | the coordinator's lines to it | subject `switchyard.RUN.agent.ID.in` |
//! | "result recorded": its bridge acknowledges the task | subject `switchyard.RUN.agent.ID.ack` |
//! | its tasks (JetStream work queue) | subject `switchyard.RUN.work.ID`, stream `switchyard_RUN_work` |
//! | the leader's beats | subject `switchyard.RUN.leader` |
//! | who leads (the epoch) | key `lease` of the key-value bucket `switchyard_RUN_leader` |

use std::path::Path;

/// The longest run name accepted (it appears in every subject and in the stream's name).
pub const MAX_RUN_NAME: usize = 64;

/// A run's name: letters, digits, `-` and `_`, 1 to [`MAX_RUN_NAME`] of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunName(String);

impl RunName {
    /// Checks a name given with `--run`.
    pub fn parse(name: &str) -> Result<RunName, String> {
        if name.is_empty() {
            return Err("the run name is empty: a run name is letters, digits, `-` and `_`".into());
        }
        if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(format!(
                "run name {name:?} has {c:?}: a run name is letters, digits, `-` and `_` (it is a NATS subject token)"
            ));
        }
        if name.len() > MAX_RUN_NAME {
            return Err(format!("run name {name:?} is {} characters long; at most {MAX_RUN_NAME}", name.len()));
        }
        Ok(RunName(name.to_string()))
    }

    /// The default name of a run: its scenario file's stem (`scenarios/demo.json` → `demo`).
    pub fn from_file(path: &Path) -> Result<RunName, String> {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        RunName::parse(&stem).map_err(|e| format!("{e}; name the run with --run NAME"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `switchyard.RUN.events`: the journal's lines.
    pub fn events_subject(&self) -> String {
        format!("switchyard.{}.events", self.0)
    }

    /// `switchyard.RUN.cmd`: operator commands, as requests.
    pub fn cmd_subject(&self) -> String {
        format!("switchyard.{}.cmd", self.0)
    }

    /// `switchyard.RUN.agent.ID.WHAT`: a NATS agent's subjects (`hello`, `out`, `in`, `ack`).
    pub fn agent_subject(&self, agent: &str, what: &str) -> String {
        format!("switchyard.{}.agent.{agent}.{what}", self.0)
    }

    /// `switchyard.RUN.work.ID`: a NATS agent's tasks, on the work-queue stream.
    pub fn work_subject(&self, agent: &str) -> String {
        format!("switchyard.{}.work.{agent}", self.0)
    }

    /// `switchyard_RUN_work`: the work-queue stream of the run's NATS agents.
    pub fn work_stream(&self) -> String {
        format!("switchyard_{}_work", self.0)
    }

    /// `switchyard.RUN.leader`: the leading coordinator's beats.
    pub fn leader_subject(&self) -> String {
        format!("switchyard.{}.leader", self.0)
    }

    /// `switchyard_RUN_leader`: the key-value bucket holding who leads.
    pub fn leader_bucket(&self) -> String {
        format!("switchyard_{}_leader", self.0)
    }

    /// `switchyard_RUN`: the JetStream stream holding the events.
    pub fn stream(&self) -> String {
        format!("switchyard_{}", self.0)
    }
}

impl std::fmt::Display for RunName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_subjects() {
        let run = RunName::parse("night-build_2").unwrap();
        assert_eq!(run.events_subject(), "switchyard.night-build_2.events");
        assert_eq!(run.cmd_subject(), "switchyard.night-build_2.cmd");
        assert_eq!(run.stream(), "switchyard_night-build_2");
        assert_eq!(run.agent_subject("gpu-1", "out"), "switchyard.night-build_2.agent.gpu-1.out");
        assert_eq!(run.work_subject("gpu-1"), "switchyard.night-build_2.work.gpu-1");
        assert_eq!(run.work_stream(), "switchyard_night-build_2_work");
    }

    #[test]
    fn bad_names_are_refused_with_the_reason() {
        for bad in ["", "a.b", "a b", "a*", ">", "é", "a\nb"] {
            let e = RunName::parse(bad).unwrap_err();
            assert!(e.contains("letters, digits"), "{bad:?}: {e}");
        }
        assert!(RunName::parse(&"x".repeat(MAX_RUN_NAME)).is_ok());
        assert!(RunName::parse(&"x".repeat(MAX_RUN_NAME + 1)).unwrap_err().contains("at most"));
    }

    #[test]
    fn the_default_is_the_file_stem() {
        assert_eq!(RunName::from_file(Path::new("scenarios/demo.json")).unwrap().as_str(), "demo");
        let e = RunName::from_file(Path::new("my plan.v2.json")).unwrap_err();
        assert!(e.contains("--run NAME"), "{e}");
    }
}

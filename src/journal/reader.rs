//! Reads a journal back into events, resolving task and agent ids against the scenario.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use crate::core::bus::{AgentError, StatusNote};
use crate::core::event::{AttemptFailure, Refusal, TaskFailure};
use crate::core::{AgentId, Endpoint, Event, EventKind, Message, MsgKind, Origin, Outcome, Payload, TaskId};
use crate::scenario::{Scenario, Strategy};

/// A journal line that could not be understood.
#[derive(Debug, Clone, PartialEq)]
pub struct JournalError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for JournalError {}

struct Resolver<'a> {
    tasks: HashMap<&'a str, u32>,
    agents: HashMap<&'a str, u32>,
}

type R<T> = Result<T, String>;

impl<'a> Resolver<'a> {
    fn field<'v>(&self, v: &'v Value, key: &str) -> R<&'v Value> {
        v.get(key).ok_or_else(|| format!("missing field `{key}`"))
    }
    fn u64(&self, v: &Value, key: &str) -> R<u64> {
        self.field(v, key)?.as_u64().ok_or_else(|| format!("`{key}` must be a non-negative integer"))
    }
    fn u32(&self, v: &Value, key: &str) -> R<u32> {
        u32::try_from(self.u64(v, key)?).map_err(|_| format!("`{key}` is too large"))
    }
    fn str<'v>(&self, v: &'v Value, key: &str) -> R<&'v str> {
        self.field(v, key)?.as_str().ok_or_else(|| format!("`{key}` must be a string"))
    }
    fn task(&self, v: &Value, key: &str) -> R<TaskId> {
        let name = self.str(v, key)?;
        self.tasks.get(name).map(|&i| TaskId(i)).ok_or_else(|| format!("unknown task `{name}`"))
    }
    fn agent(&self, v: &Value, key: &str) -> R<AgentId> {
        let name = self.str(v, key)?;
        self.agents.get(name).map(|&i| AgentId(i)).ok_or_else(|| format!("unknown agent `{name}`"))
    }
    fn origin(&self, v: &Value) -> R<Origin> {
        match self.str(v, "origin")? {
            "scenario" => Ok(Origin::Scenario),
            "operator" => Ok(Origin::Operator),
            other => Err(format!("unknown origin `{other}`")),
        }
    }
    fn endpoint(&self, v: &Value, key: &str) -> R<Endpoint> {
        match self.str(v, key)? {
            "coordinator" => Ok(Endpoint::Coordinator),
            "*" => Ok(Endpoint::Broadcast),
            _ => Ok(Endpoint::Agent(self.agent(v, key)?)),
        }
    }

    fn event(&self, v: &Value) -> R<Event> {
        let seq = self.u64(v, "seq")?;
        let t_ms = self.u64(v, "t_ms")?;
        let kind = match self.str(v, "kind")? {
            "run_started" => EventKind::RunStarted {
                tasks: self.u32(v, "tasks")?,
                agents: self.u32(v, "agents")?,
                seed: self.u64(v, "seed")?,
            },
            "task_ready" => EventKind::TaskReady { task: self.task(v, "task")? },
            "task_assigned" => {
                let s = self.str(v, "strategy")?;
                EventKind::TaskAssigned {
                    task: self.task(v, "task")?,
                    agent: self.agent(v, "agent")?,
                    strategy: Strategy::from_name(s).ok_or_else(|| format!("unknown strategy `{s}`"))?,
                }
            }
            "attempt_started" => EventKind::AttemptStarted {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
                deadline_ms: self.u64(v, "deadline_ms")?,
            },
            "attempt_succeeded" => EventKind::AttemptSucceeded {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
                duration_ms: self.u64(v, "duration_ms")?,
            },
            "attempt_failed" => {
                let reason = match self.str(v, "reason")? {
                    "agent_crashed" => AttemptFailure::AgentCrashed,
                    "agent_error" => {
                        let e = self.str(v, "error")?;
                        AttemptFailure::Agent(AgentError::from_text(e).ok_or_else(|| format!("unknown error `{e}`"))?)
                    }
                    other => return Err(format!("unknown attempt failure reason `{other}`")),
                };
                EventKind::AttemptFailed {
                    task: self.task(v, "task")?,
                    agent: self.agent(v, "agent")?,
                    attempt: self.u32(v, "attempt")?,
                    reason,
                }
            }
            "attempt_timed_out" => EventKind::AttemptTimedOut {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
                timeout_ms: self.u64(v, "timeout_ms")?,
            },
            "retry_scheduled" => EventKind::RetryScheduled {
                task: self.task(v, "task")?,
                attempt: self.u32(v, "attempt")?,
                delay_ms: self.u64(v, "delay_ms")?,
                at_ms: self.u64(v, "at_ms")?,
            },
            "task_completed" => EventKind::TaskCompleted {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempts: self.u32(v, "attempts")?,
            },
            "task_failed" => {
                let reason = match self.str(v, "reason")? {
                    "attempts_exhausted" => TaskFailure::AttemptsExhausted { attempts: self.u32(v, "attempts")? },
                    "no_live_agent" => TaskFailure::NoLiveAgent,
                    other => return Err(format!("unknown task failure reason `{other}`")),
                };
                EventKind::TaskFailed { task: self.task(v, "task")?, reason }
            }
            "task_skipped" => EventKind::TaskSkipped { task: self.task(v, "task")?, cause: self.task(v, "cause")? },
            "agent_crashed" => EventKind::AgentCrashed { agent: self.agent(v, "agent")?, origin: self.origin(v)? },
            "agent_revived" => EventKind::AgentRevived { agent: self.agent(v, "agent")?, origin: self.origin(v)? },
            "task_reassigned" => {
                EventKind::TaskReassigned { task: self.task(v, "task")?, from: self.agent(v, "agent")? }
            }
            "late_result_discarded" => EventKind::LateResultDiscarded {
                task: self.task(v, "task")?,
                agent: self.agent(v, "agent")?,
                attempt: self.u32(v, "attempt")?,
            },
            "command_refused" => {
                let reason = match self.str(v, "reason")? {
                    "agent_already_down" => Refusal::AgentAlreadyDown(self.agent(v, "agent")?),
                    "agent_not_down" => Refusal::AgentNotDown(self.agent(v, "agent")?),
                    "run_finished" => Refusal::RunFinished,
                    other => return Err(format!("unknown refusal `{other}`")),
                };
                EventKind::CommandRefused { origin: self.origin(v)?, reason }
            }
            "message_sent" => EventKind::MessageSent { msg: self.message(v)? },
            "run_finished" => EventKind::RunFinished {
                outcome: match self.str(v, "outcome")? {
                    "succeeded" => Outcome::Succeeded,
                    "failed" => Outcome::Failed,
                    other => return Err(format!("unknown outcome `{other}`")),
                },
                makespan_ms: self.u64(v, "makespan_ms")?,
                completed: self.u32(v, "completed")?,
                failed: self.u32(v, "failed")?,
                skipped: self.u32(v, "skipped")?,
            },
            other => return Err(format!("unknown event kind `{other}`")),
        };
        Ok(Event { seq, t_ms, kind })
    }

    fn message(&self, v: &Value) -> R<Message> {
        let ty = self.str(v, "type")?;
        let kind = MsgKind::from_name(ty).ok_or_else(|| format!("unknown message type `{ty}`"))?;
        let p = self.field(v, "payload")?;
        let payload = match kind {
            MsgKind::TaskRequest => Payload::Task {
                task: self.task(v, "task")?,
                attempt: self.u32(v, "attempt")?,
                deadline_ms: self.u64(p, "deadline_ms")?,
                work: self.field(p, "work")?.as_f64().ok_or("`work` must be a number")?,
            },
            MsgKind::TaskResult => {
                let ok = self.field(p, "ok")?.as_bool().ok_or("`ok` must be a boolean")?;
                let error = if ok {
                    None
                } else {
                    let e = self.str(p, "error")?;
                    Some(AgentError::from_text(e).ok_or_else(|| format!("unknown error `{e}`"))?)
                };
                Payload::Result { task: self.task(v, "task")?, attempt: self.u32(v, "attempt")?, error }
            }
            MsgKind::Cancel => Payload::Cancel { task: self.task(v, "task")?, attempt: self.u32(v, "attempt")? },
            MsgKind::Status => Payload::Status(match self.str(p, "status")? {
                "run_started" => StatusNote::RunStarted,
                "run_finished" => StatusNote::RunFinished,
                "agent_down" => StatusNote::AgentDown(self.agent(p, "subject")?),
                "agent_up" => StatusNote::AgentUp(self.agent(p, "subject")?),
                other => return Err(format!("unknown status `{other}`")),
            }),
            MsgKind::Heartbeat => Payload::Heartbeat { running: self.u32(p, "running")? },
        };
        let priority = self.u64(v, "priority")?;
        let correlation = match self.field(v, "correlation")? {
            Value::Null => None,
            c => Some(c.as_u64().ok_or("`correlation` must be an integer or null")?),
        };
        Ok(Message {
            id: self.u64(v, "msg_id")?,
            from: self.endpoint(v, "from")?,
            to: self.endpoint(v, "to")?,
            kind,
            priority: u8::try_from(priority).map_err(|_| "`priority` must be 0..=255".to_string())?,
            correlation,
            payload,
        })
    }
}

/// Parses journal text (JSON lines) into events. Blank lines are ignored; `seq` must count up
/// from 0 without gaps, so a truncated or spliced journal is caught.
pub fn read_journal(scenario: &Scenario, text: &str) -> Result<Vec<Event>, JournalError> {
    let resolver = Resolver {
        tasks: scenario.tasks.iter().enumerate().map(|(i, t)| (t.id.as_str(), i as u32)).collect(),
        agents: scenario.agents.iter().enumerate().map(|(i, a)| (a.id.as_str(), i as u32)).collect(),
    };
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| JournalError { line: i + 1, message };
        let value: Value = serde_json::from_str(line).map_err(|e| err(format!("not JSON: {e}")))?;
        let ev = resolver.event(&value).map_err(err)?;
        if ev.seq != events.len() as u64 {
            return Err(err(format!("expected seq {}, found {}", events.len(), ev.seq)));
        }
        events.push(ev);
    }
    Ok(events)
}

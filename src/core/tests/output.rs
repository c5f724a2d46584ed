//! Task data through the coordinator: real outputs flow into dependents' inputs, survive the
//! journal, and a non-retryable error fails the task at once.

use crate::core::bus::AgentError;
use crate::core::event::TaskFailure;
use crate::core::tests::{agent, scenario, task};
use crate::core::*;
use crate::journal::{JournalWriter, read_journal};
use crate::runtime::EventSink;

/// Drives a coordinator by hand, collecting its events.
struct Hand {
    c: Coordinator,
    events: Vec<Event>,
}

impl Hand {
    fn new(s: crate::scenario::Scenario) -> Hand {
        let mut c = Coordinator::new(s);
        c.start(0);
        let mut h = Hand { c, events: Vec::new() };
        h.drain();
        h
    }

    fn drain(&mut self) {
        self.events.extend(self.c.drain_events());
        while self.c.poll_transmit().is_some() {}
    }

    fn reply(&mut self, now: u64, t: u32, attempt: u32, error: Option<AgentError>, output: Output) {
        let task = TaskId(t);
        let agent = self.c.state().tasks[t as usize].agent.unwrap();
        let msg = Message::from_agent(agent, MsgKind::TaskResult, None, Payload::Result { task, attempt, error });
        self.c.handle_result(now, msg, output);
        self.drain();
    }
}

#[test]
fn outputs_reach_dependents_inputs_and_read_back_from_the_journal() {
    let s = scenario(
        vec![agent("a", &["x"], 2, 100.0, 0.0)],
        vec![task("one", "x", &[]), task("two", "x", &[]), task("sum", "x", &["one", "two"])],
    );
    let mut h = Hand::new(s);
    h.reply(10, 0, 1, None, Output::Json("{\"n\":1}".into()));
    h.reply(20, 1, 1, None, Output::Sim);
    assert_eq!(h.c.output_text(TaskId(0)).as_deref(), Some("{\"n\":1}"));
    let inputs = serde_json::Value::Object(h.c.inputs(TaskId(2)));
    assert_eq!(inputs, serde_json::json!({"one": {"n": 1}, "two": {"agent": "a", "attempt": 1, "simulated": true}}));
    h.reply(30, 2, 1, None, Output::Json("[\"done\"]".into()));
    assert!(h.c.is_finished());

    let mut w = JournalWriter::new(Vec::new());
    for ev in &h.events {
        w.event(ev, &h.c).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let outputs: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["kind"] == "attempt_succeeded").map(|l| &l["output"]).collect();
    assert_eq!(outputs, [&serde_json::json!({"n": 1}), &inputs["two"], &serde_json::json!(["done"])]);
    let back = read_journal(h.c.scenario(), &text).unwrap();
    assert_eq!(back, h.events);
    let rebuilt = Coordinator::from_events(h.c.scenario().clone(), &back);
    assert_eq!(rebuilt.state().digest(), h.c.state().digest());
    assert_eq!(rebuilt.output_text(TaskId(0)).as_deref(), Some("{\"n\":1}"));
}

#[test]
fn a_non_retryable_error_fails_the_task_at_once_and_a_retryable_one_retries() {
    let s = scenario(vec![agent("a", &["x"], 2, 100.0, 0.0)], vec![task("p", "x", &[]), task("q", "x", &[])]);
    let mut h = Hand::new(s);
    let fatal = AgentError::Reported { message: output::intern("bad input file"), retryable: false };
    let transient = AgentError::Reported { message: output::intern("busy"), retryable: true };
    h.reply(10, 0, 1, Some(fatal), Output::Sim);
    h.reply(10, 1, 1, Some(transient), Output::Sim);
    let failed: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TaskFailed { task, reason } => Some((task, reason)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [(TaskId(0), TaskFailure::NotRetryable { attempts: 1 })]);
    assert!(h.events.iter().any(|e| matches!(e.kind, EventKind::RetryScheduled { task: TaskId(1), .. })));

    let mut w = JournalWriter::new(Vec::new());
    for ev in &h.events {
        w.event(ev, &h.c).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert!(text.contains("\"reason\":\"agent_error\",\"error\":\"bad input file\",\"retryable\":false"), "{text}");
    assert!(text.contains("\"reason\":\"not_retryable\",\"attempts\":1"), "{text}");
    assert_eq!(read_journal(h.c.scenario(), &text).unwrap(), h.events);
}

//! The `:` command line: parsing operator commands, completing task and agent ids, and history.
//!
//! Every operator action has a command (`:cancel build-3 -- flaky upstream`); the text after ` -- `
//! is the reason recorded in the journal.

use crate::core::{AgentId, Coordinator, OpAction, Resolution, TaskId};

/// What a command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// An operator action and its optional reason.
    Op(OpAction, Option<String>),
    /// Several actions asked for at once (`:partition a b`), each with the reason.
    Ops(Vec<OpAction>, Option<String>),
    /// `:filter …` — filter the focused pane (empty clears it).
    Filter(String),
    /// `:broadcast [@CAPABILITY] TEXT` — a message to every up agent (with the capability).
    Broadcast(Option<String>, String),
    Quit,
    Help,
    /// `:goto #SEQ | TIME | TASK | failure` — move a replay's cursor.
    Goto(String),
    /// `:fork` — a replay's run forked at the cursor, opened live.
    Fork,
    /// `:whatif --vary … [--seeds A..B]` — its words after `whatif`.
    WhatIf(Vec<String>),
}

/// `(name, arguments, what it does)` for every command, for completion and the help overlay.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("pause", "", "stop the virtual clock"),
    ("resume", "", "start the virtual clock again"),
    ("step", "", "advance to the next instant something happens"),
    ("speed", "X", "virtual ms per wall ms (0.01 … 1000)"),
    ("restart", "", "start the scenario again (the journal is rotated)"),
    ("hold", "TASK", "never dispatch the task until released"),
    ("release", "TASK", "let a held task run"),
    ("retry", "TASK", "retry now (a failed or skipped task brings back its dependents)"),
    ("reassign", "TASK AGENT", "run the task on this agent now"),
    ("escalate", "TASK", "send the task to the operator's inbox"),
    ("cancel", "TASK", "cancel the task; its dependents are skipped"),
    ("resolve", "TASK retry|skip|done|fail [note]", "settle an inbox item"),
    ("award", "TASK AGENT", "give an auctioned task to another valid bidder"),
    ("reopen", "TASK", "close the task's auction and announce a fresh one"),
    ("vote", "TASK yes|no|abstain", "cast the deciding vote on a decision task's ballot"),
    ("veto", "TASK", "reject a decision task's proposal outright"),
    ("crash", "AGENT", "kill the agent (its work is reassigned)"),
    ("revive", "AGENT", "bring a crashed or draining agent back"),
    ("drain", "AGENT", "finish current work, take no more"),
    ("hang", "AGENT", "the agent stops answering and heartbeating (the coordinator must notice)"),
    ("slow", "AGENT FACTOR", "the agent's work takes FACTOR times longer (1 restores it)"),
    ("flaky", "AGENT RATE", "the agent's attempts fail with probability RATE (0 … 1)"),
    ("partition", "AGENT…", "cut agents off from the coordinator until :heal"),
    ("heal", "", "end every link fault and partition"),
    ("broadcast", "[@CAPABILITY] TEXT", "send TEXT to every up agent (with the capability)"),
    ("filter", "TEXT", "filter the focused pane (empty clears)"),
    (
        "goto",
        "#SEQ|TIME|TASK|failure",
        "replay: move the cursor to an event, a time, a task's last event, the first failure",
    ),
    ("fork", "", "replay: a new live run from the cursor, in a journal of its own (also F)"),
    (
        "whatif",
        "--vary PATH=A,B… [--seeds A..B]",
        "compare changes from now on over many seeds, the run untouched (a popup with the table)",
    ),
    ("help", "", "list keys and commands"),
    ("quit", "", "leave the console"),
];

/// What kind of word an argument position takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Arg {
    Task,
    Agent,
    Resolution,
    Free,
}

fn arg_kinds(command: &str) -> &'static [Arg] {
    match command {
        "hold" | "release" | "retry" | "escalate" | "cancel" | "reopen" | "veto" => &[Arg::Task],
        "vote" => &[Arg::Task, Arg::Free],
        "reassign" | "award" => &[Arg::Task, Arg::Agent],
        "resolve" => &[Arg::Task, Arg::Resolution, Arg::Free],
        "crash" | "revive" | "drain" | "hang" => &[Arg::Agent],
        "slow" | "flaky" => &[Arg::Agent, Arg::Free],
        // Any number of agents.
        "partition" => &[Arg::Agent; 64],
        _ => &[],
    }
}

fn find_task(coord: &Coordinator, name: &str) -> Result<TaskId, String> {
    coord
        .scenario()
        .tasks
        .iter()
        .position(|t| t.id == name)
        .map(|i| TaskId(i as u32))
        .ok_or_else(|| format!("no task `{name}`"))
}

fn find_agent(coord: &Coordinator, name: &str) -> Result<AgentId, String> {
    coord
        .scenario()
        .agents
        .iter()
        .position(|a| a.id == name)
        .map(|i| AgentId(i as u32))
        .ok_or_else(|| format!("no agent `{name}`"))
}

/// Parses a command line (without the leading `:`).
pub fn parse(line: &str, coord: &Coordinator) -> Result<Parsed, String> {
    let (body, reason) = match line.split_once(" -- ") {
        Some((b, r)) => (b, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
        None => (line.strip_suffix(" --").unwrap_or(line), None),
    };
    let mut words = body.split_whitespace();
    let Some(name) = words.next() else { return Err("empty command".into()) };
    let w = Words { name, args: words.collect(), reason };
    match name {
        "fork" => w.want(0, "").map(|_| Parsed::Fork),
        // Its own words (` -- ` is not a reason here).
        "whatif" => Ok(Parsed::WhatIf(line.split_whitespace().skip(1).map(str::to_string).collect())),
        "goto" if !w.args.is_empty() => Ok(Parsed::Goto(w.args.join(" "))),
        "goto" => Err("usage: :goto #SEQ | TIME (12.5s) | TASK | failure".into()),
        "pause" => w.want(0, "").and_then(|_| w.op(OpAction::Pause)),
        "resume" => w.want(0, "").and_then(|_| w.op(OpAction::Resume)),
        "step" => w.want(0, "").and_then(|_| w.op(OpAction::Step)),
        "restart" => w.want(0, "").and_then(|_| w.op(OpAction::Restart)),
        "heal" => w.want(0, "").and_then(|_| w.op(OpAction::Heal)),
        "speed" => {
            w.want(1, "X")?;
            w.op(OpAction::Speed(number(w.args[0])?))
        }
        "hold" | "release" | "retry" | "escalate" | "cancel" | "reassign" | "award" | "reopen" | "vote" | "veto"
        | "resolve" => task_command(&w, coord),
        "crash" | "revive" | "drain" | "hang" | "slow" | "flaky" | "partition" => agent_command(&w, coord),
        "filter" => Ok(Parsed::Filter(w.args.join(" "))),
        "broadcast" => {
            let (to, words) = match w.args.first().and_then(|a| a.strip_prefix('@')) {
                Some(cap) => (Some(cap.to_string()), &w.args[1..]),
                None => (None, &w.args[..]),
            };
            if words.is_empty() {
                return Err("usage: broadcast [@CAPABILITY] TEXT".into());
            }
            Ok(Parsed::Broadcast(to, words.join(" ")))
        }
        "quit" | "q" => Ok(Parsed::Quit),
        "help" => Ok(Parsed::Help),
        other => {
            let close = COMMANDS.iter().map(|c| c.0).find(|c| c.starts_with(other) || other.starts_with(c));
            Err(match close {
                Some(c) => format!("unknown command `{other}` (did you mean `{c}`?)"),
                None => format!("unknown command `{other}`; `:help` lists them"),
            })
        }
    }
}

/// The command line that asks for `action` (the inverse of [`parse`]): what an attached console
/// sends to a served run, `reassign build w1 -- faster there`.
pub fn text(action: OpAction, reason: Option<&str>, coord: &Coordinator) -> String {
    let task = |t: TaskId| coord.task_name(t).to_string();
    let agent = |a: AgentId| coord.agent_name(a).to_string();
    let args = match action {
        OpAction::Speed(x) => format!(" {x}"),
        OpAction::Reassign(t, a) | OpAction::Award(t, a) => format!(" {} {}", task(t), agent(a)),
        OpAction::Resolve(t, r) => format!(" {} {}", task(t), r.name()),
        OpAction::CastVote(t, choice) => format!(" {} {}", task(t), choice.name()),
        OpAction::Slow(a, x) | OpAction::Flaky(a, x) => format!(" {} {x}", agent(a)),
        other => match (other.task(), other.agent()) {
            (Some(t), _) => format!(" {}", task(t)),
            (None, Some(a)) => format!(" {}", agent(a)),
            (None, None) => String::new(),
        },
    };
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(reason) => format!("{}{args} -- {reason}", action.name()),
        None => format!("{}{args}", action.name()),
    }
}

/// A command line split: the command, its arguments, and the reason after ` -- `.
struct Words<'a> {
    name: &'a str,
    args: Vec<&'a str>,
    reason: Option<String>,
}

impl Words<'_> {
    /// Exactly `n` arguments, or the usage.
    fn want(&self, n: usize, usage: &str) -> Result<(), String> {
        if self.args.len() == n { Ok(()) } else { Err(format!("usage: :{} {usage}", self.name)) }
    }

    fn op(&self, action: OpAction) -> Result<Parsed, String> {
        Ok(Parsed::Op(action, self.reason.clone()))
    }
}

fn number(word: &str) -> Result<f64, String> {
    word.trim_end_matches('x').parse().map_err(|_| format!("not a number: `{word}`"))
}

/// Commands on a task (and, for some, an agent).
fn task_command(w: &Words, coord: &Coordinator) -> Result<Parsed, String> {
    let args = &w.args;
    match w.name {
        "reassign" | "award" => {
            w.want(2, "TASK AGENT")?;
            let (t, a) = (find_task(coord, args[0])?, find_agent(coord, args[1])?);
            w.op(if w.name == "reassign" { OpAction::Reassign(t, a) } else { OpAction::Award(t, a) })
        }
        "vote" => {
            w.want(2, "TASK yes|no|abstain")?;
            let choice = crate::protocols::vote::Choice::from_name(args[1])
                .ok_or_else(|| format!("a vote is yes, no or abstain, not `{}`", args[1]))?;
            w.op(OpAction::CastVote(find_task(coord, args[0])?, choice))
        }
        "resolve" => {
            if args.len() < 2 {
                return Err("usage: :resolve TASK retry|skip|done|fail [note]".into());
            }
            let t = find_task(coord, args[0])?;
            let r = Resolution::from_name(args[1])
                .ok_or_else(|| format!("`{}` is not one of retry, skip, done, fail", args[1]))?;
            // The note may follow the resolution directly, or come after ` -- `.
            let note = if args.len() > 2 { Some(args[2..].join(" ")) } else { w.reason.clone() };
            Ok(Parsed::Op(OpAction::Resolve(t, r), note))
        }
        name => {
            w.want(1, "TASK")?;
            let t = find_task(coord, args[0])?;
            w.op(match name {
                "hold" => OpAction::Hold(t),
                "release" => OpAction::Release(t),
                "retry" => OpAction::Retry(t),
                "escalate" => OpAction::Escalate(t),
                "reopen" => OpAction::Reopen(t),
                "veto" => OpAction::Veto(t),
                _ => OpAction::Cancel(t),
            })
        }
    }
}

/// Commands on agents: crashes and revivals, and the faults injected by hand.
fn agent_command(w: &Words, coord: &Coordinator) -> Result<Parsed, String> {
    let args = &w.args;
    match w.name {
        "slow" | "flaky" => {
            w.want(2, if w.name == "slow" { "AGENT FACTOR" } else { "AGENT RATE" })?;
            let (a, x) = (find_agent(coord, args[0])?, number(args[1])?);
            w.op(if w.name == "slow" { OpAction::Slow(a, x) } else { OpAction::Flaky(a, x) })
        }
        "partition" => {
            if args.is_empty() {
                return Err("usage: :partition AGENT…".into());
            }
            let mut ops = Vec::with_capacity(args.len());
            for name in args {
                let op = OpAction::Partition(find_agent(coord, name)?);
                if !ops.contains(&op) {
                    ops.push(op);
                }
            }
            let reason = w.reason.clone();
            Ok(if ops.len() == 1 { Parsed::Op(ops[0], reason) } else { Parsed::Ops(ops, reason) })
        }
        name => {
            w.want(1, "AGENT")?;
            let a = find_agent(coord, args[0])?;
            w.op(match name {
                "crash" => OpAction::Crash(a),
                "revive" => OpAction::Revive(a),
                "hang" => OpAction::Hang(a),
                _ => OpAction::Drain(a),
            })
        }
    }
}

/// The editable line with history and completion.
#[derive(Debug, Default, Clone)]
pub struct CmdLine {
    pub text: String,
    history: Vec<String>,
    /// Position while browsing history (`None` = editing a new line).
    browsing: Option<usize>,
    /// Candidates of the last Tab press and which one is shown, to cycle on repeated Tab.
    cycle: Option<(Vec<String>, usize, usize)>,
}

impl CmdLine {
    pub fn clear(&mut self) {
        self.text.clear();
        self.browsing = None;
        self.cycle = None;
    }

    pub fn push(&mut self, c: char) {
        self.text.push(c);
        self.cycle = None;
    }

    pub fn backspace(&mut self) {
        self.text.pop();
        self.cycle = None;
    }

    /// Records the line as entered and returns it.
    pub fn submit(&mut self) -> String {
        let line = std::mem::take(&mut self.text);
        if !line.trim().is_empty() && self.history.last() != Some(&line) {
            self.history.push(line.clone());
        }
        self.browsing = None;
        self.cycle = None;
        line
    }

    pub fn history_prev(&mut self) {
        if self.history.is_empty() {
            return;
        }
        let i = match self.browsing {
            None => self.history.len() - 1,
            Some(i) => i.saturating_sub(1),
        };
        self.browsing = Some(i);
        self.text = self.history[i].clone();
    }

    pub fn history_next(&mut self) {
        match self.browsing {
            Some(i) if i + 1 < self.history.len() => {
                self.browsing = Some(i + 1);
                self.text = self.history[i + 1].clone();
            }
            _ => {
                self.browsing = None;
                self.text.clear();
            }
        }
    }

    /// Completes the word under the cursor (the last word): command names, then task ids, agent ids
    /// or resolutions depending on the position. Repeated Tab cycles through the candidates.
    pub fn complete(&mut self, coord: &Coordinator) {
        if let Some((cands, i, start)) = &mut self.cycle {
            *i = (*i + 1) % cands.len();
            self.text.truncate(*start);
            self.text.push_str(&cands[*i]);
            return;
        }
        let start = self.text.rfind(' ').map_or(0, |i| i + 1);
        let word = &self.text[start..];
        let words: Vec<&str> = self.text[..start].split_whitespace().collect();
        let cands: Vec<String> = if words.is_empty() {
            COMMANDS.iter().map(|c| c.0).filter(|c| c.starts_with(word)).map(String::from).collect()
        } else {
            let kind = arg_kinds(words[0]).get(words.len() - 1).copied().unwrap_or(Arg::Free);
            let pool: Vec<&str> = match kind {
                Arg::Task => coord.scenario().tasks.iter().map(|t| t.id.as_str()).collect(),
                Arg::Agent => coord.scenario().agents.iter().map(|a| a.id.as_str()).collect(),
                Arg::Resolution => Resolution::ALL.iter().map(|r| r.name()).collect(),
                Arg::Free => Vec::new(),
            };
            pool.into_iter().filter(|c| c.starts_with(word)).take(200).map(String::from).collect()
        };
        match cands.len() {
            0 => {}
            1 => {
                self.text.truncate(start);
                self.text.push_str(&cands[0]);
                self.text.push(' ');
            }
            _ => {
                // Extend to the longest common prefix first; further Tabs cycle.
                let prefix = common_prefix(&cands);
                if prefix.len() > word.len() {
                    self.text.truncate(start);
                    self.text.push_str(&prefix);
                } else {
                    self.text.truncate(start);
                    self.text.push_str(&cands[0]);
                    self.cycle = Some((cands, 0, start));
                }
            }
        }
    }

    /// Candidates for the word being typed, for the hint shown under the line.
    pub fn hint(&self, coord: &Coordinator) -> String {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        match words.first() {
            Some(w) => match COMMANDS.iter().find(|c| c.0 == *w) {
                Some((name, args, what)) => format!(":{name} {args} — {what}"),
                None => {
                    let m: Vec<&str> = COMMANDS.iter().map(|c| c.0).filter(|c| c.starts_with(w)).collect();
                    if m.is_empty() { format!("unknown command `{w}`") } else { m.join("  ") }
                }
            },
            None => {
                let _ = coord;
                "Tab completes commands, tasks and agents · ↑/↓ history · ` -- reason` records why".into()
            }
        }
    }
}

fn common_prefix(words: &[String]) -> String {
    let first = &words[0];
    let mut len = first.len();
    for w in &words[1..] {
        len = len.min(first.bytes().zip(w.bytes()).take_while(|(a, b)| a == b).count());
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first[..len].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::SimRun;

    fn coord() -> SimRun {
        let sc = crate::scenario::load(std::path::Path::new("scenarios/research-pipeline.json")).unwrap();
        SimRun::new(sc)
    }

    #[test]
    fn every_action_reads_back_from_its_text() {
        let run = coord();
        let c = run.coordinator();
        let (t, a) = (TaskId(3), AgentId(2));
        let choice = crate::protocols::vote::Choice::No;
        let actions = [
            OpAction::Pause,
            OpAction::Resume,
            OpAction::Step,
            OpAction::Speed(0.25),
            OpAction::Restart,
            OpAction::Hold(t),
            OpAction::Release(t),
            OpAction::Retry(t),
            OpAction::Reassign(t, a),
            OpAction::Escalate(t),
            OpAction::Cancel(t),
            OpAction::Resolve(t, Resolution::Skip),
            OpAction::Crash(a),
            OpAction::Revive(a),
            OpAction::Drain(a),
            OpAction::Hang(a),
            OpAction::Slow(a, 2.5),
            OpAction::Flaky(a, 0.5),
            OpAction::Partition(a),
            OpAction::Heal,
            OpAction::Award(t, a),
            OpAction::Reopen(t),
            OpAction::CastVote(t, choice),
            OpAction::Veto(t),
        ];
        for action in actions {
            let line = text(action, None, c);
            assert_eq!(parse(&line, c), Ok(Parsed::Op(action, None)), "{line}");
            let line = text(action, Some("a reason"), c);
            assert_eq!(parse(&line, c), Ok(Parsed::Op(action, Some("a reason".into()))), "{line}");
        }
    }

    #[test]
    fn parses_every_command_with_reasons_and_notes() {
        let run = coord();
        let c = run.coordinator();
        assert_eq!(parse("pause", c), Ok(Parsed::Op(OpAction::Pause, None)));
        assert_eq!(parse("speed 4", c), Ok(Parsed::Op(OpAction::Speed(4.0), None)));
        assert_eq!(parse("speed 0.5x", c), Ok(Parsed::Op(OpAction::Speed(0.5), None)));
        assert_eq!(
            parse("cancel draft -- flaky upstream", c),
            Ok(Parsed::Op(OpAction::Cancel(TaskId(4)), Some("flaky upstream".into())))
        );
        assert_eq!(
            parse("reassign analysis writer", c),
            Ok(Parsed::Op(OpAction::Reassign(TaskId(3), AgentId(3)), None))
        );
        assert_eq!(
            parse("resolve draft done wrote it by hand", c),
            Ok(Parsed::Op(OpAction::Resolve(TaskId(4), Resolution::Done), Some("wrote it by hand".into())))
        );
        assert_eq!(parse("crash editor", c), Ok(Parsed::Op(OpAction::Crash(AgentId(4)), None)));
        assert_eq!(parse("filter agent:writer", c), Ok(Parsed::Filter("agent:writer".into())));
        assert_eq!(parse("quit", c), Ok(Parsed::Quit));
    }

    #[test]
    fn broadcast_takes_an_optional_capability_then_the_text() {
        let run = coord();
        let c = run.coordinator();
        assert_eq!(
            parse("broadcast @review freeze at 5", c),
            Ok(Parsed::Broadcast(Some("review".into()), "freeze at 5".into()))
        );
        assert_eq!(parse("broadcast all hands", c), Ok(Parsed::Broadcast(None, "all hands".into())));
        assert_eq!(parse("broadcast @review", c), Err("usage: broadcast [@CAPABILITY] TEXT".into()));
    }

    #[test]
    fn bad_commands_say_what_is_wrong() {
        let run = coord();
        let c = run.coordinator();
        assert_eq!(parse("cancel nope", c), Err("no task `nope`".into()));
        assert_eq!(parse("cancel", c), Err("usage: :cancel TASK".into()));
        assert_eq!(parse("resolve draft maybe", c), Err("`maybe` is not one of retry, skip, done, fail".into()));
        assert_eq!(parse("speed fast", c), Err("not a number: `fast`".into()));
        assert_eq!(parse("cancl x", c), Err("unknown command `cancl`; `:help` lists them".into()));
        assert_eq!(parse("canc x", c), Err("unknown command `canc` (did you mean `cancel`?)".into()));
    }

    #[test]
    fn tab_completes_commands_then_ids_and_cycles() {
        let run = coord();
        let c = run.coordinator();
        let mut line = CmdLine::default();
        for ch in "rea".chars() {
            line.push(ch);
        }
        line.complete(c);
        assert_eq!(line.text, "reassign ");
        for ch in "ana".chars() {
            line.push(ch);
        }
        line.complete(c);
        assert_eq!(line.text, "reassign analysis ");
        line.push('w');
        line.complete(c);
        assert_eq!(line.text, "reassign analysis writer ");

        let mut line = CmdLine { text: "retry research-".into(), ..CmdLine::default() };
        line.complete(c);
        // Three tasks share the prefix and it is already complete: Tab cycles through them.
        assert_eq!(line.text, "retry research-ai");
        line.complete(c);
        assert_eq!(line.text, "retry research-market");
    }

    #[test]
    fn fault_commands_parse_and_complete_agents() {
        let run = coord();
        let c = run.coordinator();
        let (r1, r2, editor) = (AgentId(0), AgentId(1), AgentId(4));
        assert_eq!(parse("hang editor", c), Ok(Parsed::Op(OpAction::Hang(editor), None)));
        assert_eq!(parse("slow researcher-1 3x", c), Ok(Parsed::Op(OpAction::Slow(r1, 3.0), None)));
        assert_eq!(
            parse("flaky researcher-2 0.5 -- chaos drill", c),
            Ok(Parsed::Op(OpAction::Flaky(r2, 0.5), Some("chaos drill".into())))
        );
        assert_eq!(parse("partition editor", c), Ok(Parsed::Op(OpAction::Partition(editor), None)));
        assert_eq!(
            parse("partition researcher-1 researcher-2 researcher-1", c),
            Ok(Parsed::Ops(vec![OpAction::Partition(r1), OpAction::Partition(r2)], None))
        );
        assert_eq!(parse("heal", c), Ok(Parsed::Op(OpAction::Heal, None)));
        assert_eq!(parse("slow editor", c), Err("usage: :slow AGENT FACTOR".into()));
        assert_eq!(parse("flaky editor often", c), Err("not a number: `often`".into()));
        assert_eq!(parse("partition", c), Err("usage: :partition AGENT…".into()));
        assert_eq!(parse("partition editor nobody", c), Err("no agent `nobody`".into()));
        assert_eq!(parse("hang", c), Err("usage: :hang AGENT".into()));

        let mut line = CmdLine { text: "par".into(), ..CmdLine::default() };
        line.complete(c);
        assert_eq!(line.text, "partition ");
        for text in ["partition editor wri", "partition editor analyst wri"] {
            line = CmdLine { text: text.into(), ..CmdLine::default() };
            line.complete(c);
            assert_eq!(line.text, text.replace("wri", "writer "), "every position takes an agent");
        }
        line = CmdLine { text: "slow ed".into(), ..CmdLine::default() };
        line.complete(c);
        assert_eq!(line.text, "slow editor ");
        line.push('e');
        line.complete(c);
        assert_eq!(line.text, "slow editor e", "the factor is not completed");
    }

    #[test]
    fn history_walks_back_and_forth() {
        let mut line = CmdLine { text: "pause".into(), ..CmdLine::default() };
        line.submit();
        line.text = "resume".into();
        line.submit();
        line.history_prev();
        assert_eq!(line.text, "resume");
        line.history_prev();
        assert_eq!(line.text, "pause");
        line.history_next();
        assert_eq!(line.text, "resume");
        line.history_next();
        assert_eq!(line.text, "");
    }
}

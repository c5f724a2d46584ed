//! The `decision` task field: a proposal put to voters (see "Decision tasks" in
//! `scenarios/README.md`). Decoding reads the object and its ranges; the names it refers to (voters,
//! weights, `on_reject` tasks) are checked once every agent and task is known, each problem pointing
//! at the offending entry (`tasks[3].decision.voters[1]`).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::fasthash::FastSet;
use crate::scenario::decode::{Bound, Decoder, NONE, pos32};
use crate::scenario::error::{Diag, hint};
use crate::scenario::lexer::{Kind, LexResult as R};
use crate::scenario::lookup::Lookup;
use crate::scenario::meta::Meta;

/// A proposal put to a vote; the task it belongs to is a *decision task*.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionSpec {
    pub proposal: String,
    pub voters: Voters,
    /// Weight of a voter's vote (default 1).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<String, f64>,
    /// Share of yes among yes + no (by weight) the proposal must exceed.
    pub threshold: f64,
    /// Share of the voters' weight that must vote (yes, no or abstain) before the deadline.
    pub quorum: f64,
    pub deadline_ms: u64,
    pub tie: TieRule,
    /// Dependents of the decision that run only if it is rejected (the alternative branch).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub on_reject: Vec<String>,
}

impl Default for DecisionSpec {
    fn default() -> DecisionSpec {
        DecisionSpec {
            proposal: String::new(),
            voters: Voters::Agents(Vec::new()),
            weights: BTreeMap::new(),
            threshold: 0.5,
            quorum: 0.5,
            deadline_ms: 1000,
            tie: TieRule::Reject,
            on_reject: Vec::new(),
        }
    }
}

/// Who votes: agents by id, or every agent with a capability.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Voters {
    Agents(Vec<String>),
    Capability { capability: String },
}

/// What a tie (the yes share exactly at the threshold) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    Reject,
    Approve,
    /// The decision goes to the operator's inbox.
    Escalate,
}

impl TieRule {
    pub const ALL: [TieRule; 3] = [TieRule::Reject, TieRule::Approve, TieRule::Escalate];

    pub fn name(self) -> &'static str {
        match self {
            TieRule::Reject => "reject",
            TieRule::Approve => "approve",
            TieRule::Escalate => "escalate",
        }
    }
}

const DECISION_FIELDS: &[&str] =
    &["proposal", "voters", "weights", "threshold", "quorum", "deadline_ms", "tie", "on_reject"];
const VOTERS_FIELDS: &[&str] = &["capability"];

/// Offsets of one decision's names, checked by [`validate`].
#[derive(Debug, Clone, Default)]
pub(crate) struct DecisionMeta {
    pub task: u32,
    /// Each voter id, or the capability (one entry).
    pub voters: Vec<u32>,
    pub voters_at: u32,
    pub weights: Vec<(String, u32)>,
    pub on_reject: Vec<u32>,
}

impl Decoder<'_, '_> {
    /// Reads a task's `decision` object (`task` is the task's index). `None` when it is not one.
    pub(crate) fn decision(&mut self, task: u32, metas: &mut Vec<DecisionMeta>) -> R<Option<DecisionSpec>> {
        let mut spec = DecisionSpec::default();
        let mut m = DecisionMeta { task, voters_at: NONE, ..Default::default() };
        let seen = self.object(DECISION_FIELDS, |d, f| {
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        if s.trim().is_empty() {
                            d.problem(at, "must not be empty");
                        }
                        spec.proposal = s;
                    }
                }
                1 => spec.voters = d.voters(&mut m)?,
                2 => d.voter_weights(&mut spec.weights, &mut m.weights)?,
                3 => spec.threshold = d.float(Bound::Unit)?.unwrap_or(0.5),
                4 => spec.quorum = d.float(Bound::Unit)?.unwrap_or(0.5),
                5 => spec.deadline_ms = d.ms(1)?.unwrap_or(1000),
                6 => spec.tie = d.choice("tie rule", &TieRule::ALL, TieRule::name)?.unwrap_or(TieRule::Reject),
                _ => {
                    let at = &mut m.on_reject;
                    d.strings_with(&mut spec.on_reject, |_, _, pos| at.push(pos32(pos)))?;
                }
            }
            Ok(())
        })?;
        let Some((at, seen)) = seen else { return Ok(None) };
        self.require(at, seen, DECISION_FIELDS, &[0, 1]);
        metas.push(m);
        Ok(Some(spec))
    }

    /// `["qa", "ops"]` or `{"capability": "review"}`.
    fn voters(&mut self, m: &mut DecisionMeta) -> R<Voters> {
        let (kind, at) = self.lx.peek()?;
        m.voters_at = pos32(at);
        if kind == Kind::Object {
            let mut cap = None;
            let seen = self.object(VOTERS_FIELDS, |d, _| {
                if let Some((s, at)) = d.string()? {
                    cap = Some(s);
                    m.voters.push(pos32(at));
                }
                Ok(())
            })?;
            if let Some((at, seen)) = seen {
                self.require(at, seen, VOTERS_FIELDS, &[0]);
            }
            return Ok(Voters::Capability { capability: cap.unwrap_or_default() });
        }
        if kind != Kind::Array {
            self.mismatch("an array of agent ids or {\"capability\": …}", kind, at)?;
            return Ok(Voters::Agents(Vec::new()));
        }
        let mut ids = Vec::new();
        let pos = &mut m.voters;
        self.strings_with(&mut ids, |_, _, at| pos.push(pos32(at)))?;
        if ids.is_empty() {
            self.problem(at, "at least one voter is required");
        }
        Ok(Voters::Agents(ids))
    }

    /// An object of voter id → weight (a number above 0).
    fn voter_weights(&mut self, out: &mut BTreeMap<String, f64>, pos: &mut Vec<(String, u32)>) -> R<()> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Object {
            return self.mismatch("an object of voter id → weight", kind, at);
        }
        self.lx.begin_object();
        let mut first = true;
        while let Some((_, kpos)) = self.lx.next_key(&mut first, &[], 0)? {
            let key = self.lx.unknown_key().to_owned();
            if out.contains_key(&key) {
                self.problem(kpos, format!("duplicate weight for {key:?}"));
                self.lx.skip_value()?;
                continue;
            }
            if let Some(w) = self.float(Bound::Above(0.0))? {
                out.insert(key.clone(), w);
                pos.push((key, pos32(kpos)));
            }
        }
        Ok(())
    }
}

/// Checks what decisions name: voters, weights and `on_reject` tasks (skipped when agents or
/// tasks had problems, which would make these echoes).
pub(crate) fn validate(lookup: &Lookup, meta: &Meta, diag: &mut Diag) {
    let sc = lookup.scenario();
    let mut listed: FastSet<&str> = FastSet::default();
    for m in &meta.decisions {
        let i = m.task as usize;
        let task = &sc.tasks[i];
        let Some(dec) = task.extras().decision.as_deref() else { continue };
        let path = |rest: &str| format!("tasks[{i}].decision.{rest}");
        if meta.tasks[i].capability != NONE {
            let message = "a decision task takes no capability: its voters decide it";
            diag.push(meta.tasks[i].capability as usize, format!("tasks[{i}].capability"), message.to_string());
        }
        let agent_ids = || sc.agents.iter().map(|a| a.id.as_str());
        if meta.agents_ok {
            match &dec.voters {
                Voters::Agents(ids) => {
                    listed.clear();
                    for (j, (id, &at)) in ids.iter().zip(&m.voters).enumerate() {
                        let message = if !listed.insert(id) {
                            format!("voter `{id}` is listed more than once")
                        } else if lookup.agent(id).is_none() {
                            format!("unknown agent `{id}`{}", hint(id, agent_ids()))
                        } else {
                            continue;
                        };
                        diag.push(at as usize, path(&format!("voters[{j}]")), message);
                    }
                    listed.extend(ids.iter().map(String::as_str));
                }
                Voters::Capability { capability } => {
                    if let Some(&at) = m.voters.first()
                        && !lookup.has_capability(capability)
                    {
                        let caps = sc.agents.iter().flat_map(|a| a.capabilities.iter().map(String::as_str));
                        let message = format!("no agent has capability `{capability}`{}", hint(capability, caps));
                        diag.push(at as usize, path("voters.capability"), message);
                    }
                }
            }
            for (name, at) in &m.weights {
                let voter = match &dec.voters {
                    // `listed` holds this decision's voters (filled just above).
                    Voters::Agents(_) => listed.contains(name.as_str()),
                    Voters::Capability { capability } => {
                        lookup.agent(name).is_some_and(|a| lookup.agent_has(a, capability))
                    }
                };
                if !voter {
                    let message = format!("`{name}` is not a voter of this decision, so it has no weight");
                    diag.push(*at as usize, path("weights"), message);
                }
            }
        }
        if !meta.tasks_ok {
            continue;
        }
        listed.clear();
        for (j, (name, &at)) in dec.on_reject.iter().zip(&m.on_reject).enumerate() {
            let message = match lookup.task(name) {
                _ if !listed.insert(name) => format!("task `{name}` is listed more than once"),
                None => format!("unknown task `{name}`{}", hint(name, sc.tasks.iter().map(|t| t.id.as_str()))),
                Some(t) if !lookup.depends_on(t, &task.id) => format!(
                    "task `{name}` does not depend on `{}`: an on_reject task must list the decision in depends_on",
                    task.id
                ),
                Some(_) => continue,
            };
            diag.push(at as usize, path(&format!("on_reject[{j}]")), message);
        }
    }
}

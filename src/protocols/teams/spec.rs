//! Team fields: `reports_to` (the delegation tree) and a task's `review`, decoded here and
//! checked once every agent and task has been read.
//!
//! The tree must name known agents and be a forest: an agent may not report to itself, and
//! following `reports_to` from any agent must end at a root (an agent reporting to no one). A
//! review names a task its reviewer depends on, which nothing else may depend on (it goes back for
//! rework, so only its reviewer may see its result), and which no other task reviews.

use serde::Serialize;

use crate::scenario::decode::{Decoder, NONE, pos32};
use crate::scenario::error::{Diag, hint};
use crate::scenario::lexer::LexResult as R;
use crate::scenario::lookup::Lookup;
use crate::scenario::meta::Meta;
use crate::scenario::types::Scenario;

const REVIEW_FIELDS: &[&str] = &["of", "max_rework", "on_limit"];
const HELP_FIELDS: &[&str] = &["capability", "question", "timeout_ms", "at"];
const ANNOUNCEMENT_FIELDS: &[&str] = &["at_ms", "to", "text"];

/// A root `announcements` entry: `text` broadcast at `at_ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Announcement {
    pub at_ms: u64,
    pub to: Audience,
    pub text: String,
}

/// Who a broadcast reaches: every up agent, or every up agent with a capability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    All,
    Capability(String),
}

impl Serialize for Audience {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self {
            Audience::All => s.serialize_str("all"),
            Audience::Capability(c) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("capability", c)?;
                m.end()
            }
        }
    }
}

/// A task's `help`: a simulated agent running it asks a peer with `capability` at `at` of its
/// drawn duration, and waits for the answer up to `timeout_ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HelpSpec {
    pub capability: String,
    pub question: String,
    pub timeout_ms: u64,
    /// 0..=1: when the question is asked, as a share of the attempt's drawn duration.
    pub at: f64,
}

/// A reviewer task's `review`: the task it reviews and how many rework rounds a rejection buys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewSpec {
    /// The reviewed task's id (also in the reviewer's `depends_on`).
    pub of: String,
    /// Rejections that send the work back; the next one reaches the limit.
    pub max_rework: u32,
    pub on_limit: OnLimit,
}

/// What a rejection past `max_rework` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnLimit {
    /// The last result stands: the reviewer completes and its dependents go ahead.
    Accept,
    /// The reviewer goes to the operator's inbox.
    Escalate,
    /// The reviewer fails (`rework_limit`) and its dependents are skipped.
    Fail,
}

impl OnLimit {
    pub const ALL: [OnLimit; 3] = [OnLimit::Accept, OnLimit::Escalate, OnLimit::Fail];

    pub fn name(self) -> &'static str {
        match self {
            OnLimit::Accept => "accept",
            OnLimit::Escalate => "escalate",
            OnLimit::Fail => "fail",
        }
    }

    pub fn from_name(s: &str) -> Option<OnLimit> {
        OnLimit::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// Offsets of the team fields, for checks once the whole file is read.
#[derive(Debug, Clone, Default)]
pub(crate) struct TeamMeta {
    /// `(reviewer task index, offset of its review.of)` for every review read cleanly.
    pub reviews: Vec<(u32, u32)>,
    /// `(task index, offset of its help.capability)` for every help read cleanly.
    pub helps: Vec<(u32, u32)>,
    /// `(announcement index, offset of its capability)` for announcements to a capability.
    pub audiences: Vec<(u32, u32)>,
}

impl Decoder<'_, '_> {
    /// One element of the root `announcements`.
    pub(crate) fn announcement(&mut self, out: &mut Vec<Announcement>, meta: &mut TeamMeta) -> R<()> {
        let mut a = Announcement { at_ms: 0, to: Audience::All, text: String::new() };
        let index = out.len() as u32;
        let seen = self.object(ANNOUNCEMENT_FIELDS, |d, f| {
            match f {
                0 => a.at_ms = d.ms(0)?.unwrap_or(0),
                1 => {
                    let (kind, at) = d.lx.peek()?;
                    if kind == crate::scenario::lexer::Kind::String {
                        let s = d.lx.string()?.to_owned();
                        if s != "all" {
                            d.problem(at, format!("expected \"all\" or {{\"capability\": …}}, found {s:?}"));
                        }
                    } else {
                        d.object(&["capability"], |d, _| {
                            if let Some((c, at)) = d.string()? {
                                meta.audiences.push((index, pos32(at)));
                                a.to = Audience::Capability(c);
                            }
                            Ok(())
                        })?;
                    }
                }
                _ => a.text = d.string()?.map_or_else(String::new, |s| s.0),
            }
            Ok(())
        })?;
        if let Some((at, seen)) = seen {
            self.require(at, seen, ANNOUNCEMENT_FIELDS, &[0, 2]);
        }
        out.push(a);
        Ok(())
    }

    /// A task's `help` object; `task` is its index.
    pub(crate) fn help(&mut self, task: u32, meta: &mut TeamMeta) -> R<Option<HelpSpec>> {
        let mut h = HelpSpec { capability: String::new(), question: String::new(), timeout_ms: 1000, at: 0.5 };
        let mut cap_at = NONE;
        let seen = self.object(HELP_FIELDS, |d, f| {
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        h.capability = s;
                        cap_at = pos32(at);
                    }
                }
                1 => h.question = d.string()?.map_or_else(String::new, |s| s.0),
                2 => h.timeout_ms = d.ms(1)?.unwrap_or(1000),
                _ => h.at = d.float(crate::scenario::decode::Bound::Unit)?.unwrap_or(0.5),
            }
            Ok(())
        })?;
        let Some((at, seen)) = seen else { return Ok(None) };
        self.require(at, seen, HELP_FIELDS, &[0]);
        if cap_at != NONE {
            meta.helps.push((task, cap_at));
        }
        Ok(Some(h))
    }

    /// A task's `review` object; `task` is the reviewer's index.
    pub(crate) fn review(&mut self, task: u32, meta: &mut TeamMeta) -> R<Option<ReviewSpec>> {
        let mut r = ReviewSpec { of: String::new(), max_rework: 2, on_limit: OnLimit::Accept };
        let mut of_at = NONE;
        let seen = self.object(REVIEW_FIELDS, |d, f| {
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        r.of = s;
                        of_at = pos32(at);
                    }
                }
                1 => r.max_rework = d.count(0, crate::scenario::bounds::MAX_REWORK)?.unwrap_or(2),
                _ => r.on_limit = d.choice("on_limit action", &OnLimit::ALL, OnLimit::name)?.unwrap_or(OnLimit::Accept),
            }
            Ok(())
        })?;
        let Some((at, seen)) = seen else { return Ok(None) };
        self.require(at, seen, REVIEW_FIELDS, &[0]);
        if of_at != NONE {
            meta.reviews.push((task, of_at));
        }
        Ok(Some(r))
    }
}

/// Every `review.of` names another task its reviewer depends on, which nothing else depends on
/// and no other task reviews.
fn validate_reviews(lookup: &Lookup, meta: &mut Meta, diag: &mut Diag) {
    let sc = lookup.scenario();
    if meta.team.reviews.is_empty() || !meta.tasks_ok {
        return;
    }
    let mut reviewer_of: Vec<u32> = vec![NONE; sc.tasks.len()];
    for &(i, pos) in &meta.team.reviews {
        let (reviewer, pos) = (&sc.tasks[i as usize], pos as usize);
        let of = &reviewer.extras().review.as_ref().expect("read with its review").of;
        let path = format!("tasks[{i}].review.of");
        let Some(j) = meta.task_ids.get(of, |k| &sc.tasks[k as usize].id) else {
            let others = sc.tasks.iter().map(|t| t.id.as_str());
            diag.push(pos, path, format!("unknown task `{of}`{}", hint(of, others)));
            continue;
        };
        if j == i {
            diag.push(pos, path, format!("task `{of}` cannot review itself"));
        } else if !lookup.depends_on(i, of) {
            let message = format!("`{of}` must also be in `depends_on`: a review runs after the work it reviews");
            diag.push(pos, path, message);
        } else if reviewer_of[j as usize] != NONE {
            let first = &sc.tasks[reviewer_of[j as usize] as usize].id;
            diag.push(pos, path, format!("task `{of}` is already reviewed by `{first}`"));
        } else if let Some(other) = lookup.dependent_other_than(of, i) {
            let other = &sc.tasks[other as usize];
            let message = format!(
                "task `{of}` goes back for rework when `{}` rejects it, so no other task may depend on it; `{}` does (make it depend on `{}`)",
                reviewer.id, other.id, reviewer.id
            );
            diag.push(pos, path, message);
        } else {
            reviewer_of[j as usize] = i;
        }
    }
}

/// Checks the team fields across the file.
pub(crate) fn validate(lookup: &Lookup, meta: &mut Meta, diag: &mut Diag) {
    let sc = lookup.scenario();
    validate_tree(sc, meta, diag);
    validate_reviews(lookup, meta, diag);
    validate_helps(lookup, meta, diag);
    if meta.agents_ok {
        for &(i, pos) in &meta.team.audiences {
            let Audience::Capability(cap) = &sc.announcements[i as usize].to else { continue };
            if !lookup.has_capability(cap) {
                let all = sc.agents.iter().flat_map(|a| a.capabilities.iter().map(String::as_str));
                let message = format!("no agent has capability `{cap}`{}", hint(cap, all));
                diag.push(pos as usize, format!("announcements[{i}].to.capability"), message);
            }
        }
    }
}

/// A `help.capability` must be one some agent has.
fn validate_helps(lookup: &Lookup, meta: &Meta, diag: &mut Diag) {
    let sc = lookup.scenario();
    if !meta.agents_ok {
        return;
    }
    for &(i, pos) in &meta.team.helps {
        let cap = &sc.tasks[i as usize].extras().help.as_ref().expect("read with its help").capability;
        if !lookup.has_capability(cap) {
            let all = sc.agents.iter().flat_map(|a| a.capabilities.iter().map(String::as_str));
            let message = format!("no agent has capability `{cap}` to answer{}", hint(cap, all));
            diag.push(pos as usize, format!("tasks[{i}].help.capability"), message);
        }
    }
}

/// `reports_to` names a known agent other than itself, and the managers form no cycle.
fn validate_tree(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) {
    if !meta.agents_ok {
        return; // "unknown agent" would only echo an unreadable agent id.
    }
    let n = sc.agents.len();
    let mut parent = vec![NONE; n];
    for (i, a) in sc.agents.iter().enumerate() {
        let Some(boss) = &a.reports_to else { continue };
        let pos = meta.agents[i].reports_to as usize;
        let path = format!("agents[{i}].reports_to");
        match meta.agent_ids.get(boss, |k| &sc.agents[k as usize].id) {
            None => {
                let others = sc.agents.iter().map(|a| a.id.as_str());
                diag.push(pos, path, format!("unknown agent `{boss}`{}", hint(boss, others)));
            }
            Some(j) if j as usize == i => diag.push(pos, path, format!("agent `{boss}` cannot report to itself")),
            Some(j) => parent[i] = j,
        }
    }
    // Walk up from each agent; `state` 1 = on the current walk, 2 = known to reach a root.
    let mut state = vec![0u8; n];
    for start in 0..n {
        let mut walk = Vec::new();
        let mut at = start as u32;
        while at != NONE && state[at as usize] == 0 {
            state[at as usize] = 1;
            walk.push(at);
            at = parent[at as usize];
        }
        if at != NONE && state[at as usize] == 1 {
            // `at` is on this walk: the cycle runs from it back to it.
            let from = walk.iter().position(|&w| w == at).expect("on the walk");
            let mut names: Vec<&str> = walk[from..].iter().map(|&w| sc.agents[w as usize].id.as_str()).collect();
            names.push(&sc.agents[at as usize].id);
            let first = walk[from..].iter().copied().min().expect("a cycle has members") as usize;
            let path = format!("agents[{first}].reports_to");
            let message = format!("reports_to forms a cycle: {}", names.join(" -> "));
            diag.push(meta.agents[first].reports_to as usize, path, message);
        }
        for w in walk {
            state[w as usize] = 2;
        }
    }
}

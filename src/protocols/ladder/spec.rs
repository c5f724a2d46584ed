//! The `escalation` field (root and per task): decoding an ordered list of tiers, and checking the
//! agents and capabilities they name once every agent has been read.
//!
//! A tier is one object whose `tier` says which other fields it takes, and `tier` may come last in
//! the object, so every field is read first and the combination checked after. Problems point at
//! the tier (`escalation[2]`) or at its offending field (`escalation[2].on_expiry`).

use crate::scenario::decode::{Decoder, NONE, pos32};
use crate::scenario::error::{Diag, hint};
use crate::scenario::lexer::LexResult as R;
use crate::scenario::lookup::Lookup;
use crate::scenario::meta::Meta;
use crate::scenario::types::{Expiry, Target, Tier, TierName};

const TIER_FIELDS: &[&str] = &["tier", "limit", "capability", "agent", "sla_ms", "on_expiry"];

/// Which fields (bits of `TIER_FIELDS`) each tier takes besides `tier`.
fn allowed(name: TierName) -> u32 {
    const LIMIT: u32 = 1 << 1;
    match name {
        TierName::Retry | TierName::OtherAgent => LIMIT,
        TierName::Fallback => LIMIT | 1 << 2 | 1 << 3,
        TierName::EscalateTo => LIMIT | 1 << 3,
        TierName::Inbox => 1 << 4 | 1 << 5,
    }
}

/// A name a tier refers to, checked once every agent is known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TierRef {
    /// The task whose `escalation` it is in; `NONE` for the root.
    pub task: u32,
    pub tier: u32,
    pub pos: u32,
}

impl Decoder<'_, '_> {
    /// Reads an `escalation` array; `task` is the task's index, `NONE` at the root. `None` when it
    /// is not an array.
    pub(crate) fn escalation(&mut self, task: u32, refs: &mut Vec<TierRef>) -> R<Option<Vec<Tier>>> {
        let mut tiers = Vec::new();
        // Where an inbox tier was read, with its path: an error if any tier follows.
        let mut inbox_at: Option<(usize, String)> = None;
        let found = self.array(|d| {
            let index = tiers.len() as u32;
            if let Some((at, path)) = inbox_at.take() {
                d.diag.push(at, path, "the inbox tier must be the last one".to_string());
            }
            let (tier, name, at) = d.tier(task, index, refs)?;
            if name == Some(TierName::Inbox) {
                inbox_at = Some((at, d.path_string()));
            }
            // A tier with problems still holds its place, so later tiers keep their index.
            tiers.push(tier.unwrap_or(Tier::Retry { limit: None }));
            Ok(())
        })?;
        Ok(found.map(|_| tiers))
    }

    /// One tier: the tier if it is sound, its name if known, and its offset.
    fn tier(&mut self, task: u32, index: u32, refs: &mut Vec<TierRef>) -> R<(Option<Tier>, Option<TierName>, usize)> {
        let before = self.diag.len();
        let mut name = None;
        let mut limit = None;
        let (mut capability, mut agent) = (None, None);
        let mut sla_ms = None;
        let mut on_expiry = None;
        let mut pos = [0usize; 6];
        let seen = self.object(TIER_FIELDS, |d, f| {
            pos[f] = d.lx.peek()?.1;
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        name = TierName::from_name(&s);
                        if name.is_none() {
                            let names = TierName::ALL.map(TierName::name);
                            let message = format!(
                                "unknown tier {s:?} (expected one of: {}){}",
                                names.join(", "),
                                hint(&s, names)
                            );
                            d.problem(at, message);
                        }
                    }
                }
                1 => limit = d.count(1, crate::scenario::bounds::MAX_ATTEMPTS)?,
                2 => capability = d.string()?,
                3 => agent = d.string()?,
                4 => sla_ms = d.ms(1)?,
                _ => {
                    if let Some((s, at)) = d.string()? {
                        on_expiry = Expiry::from_name(&s);
                        if on_expiry.is_none() {
                            let names = Expiry::ALL.map(Expiry::name);
                            let message = format!(
                                "unknown on_expiry action {s:?} (expected one of: {}){}",
                                names.join(", "),
                                hint(&s, names)
                            );
                            d.problem(at, message);
                        }
                    }
                }
            }
            Ok(())
        })?;
        let Some((at, seen)) = seen else { return Ok((None, None, self.lx.offset())) };
        self.require(at, seen, TIER_FIELDS, &[0]);
        let Some(name) = name else { return Ok((None, None, at)) };
        for (f, field) in TIER_FIELDS.iter().enumerate().skip(1) {
            if seen & (1 << f) != 0 && allowed(name) & (1 << f) == 0 {
                let message = format!("field \"{field}\" does not apply to tier \"{}\"", name.name());
                self.field_problem(pos[f], field, message);
            }
        }
        let mut reference = |(_, at): &(String, usize)| refs.push(TierRef { task, tier: index, pos: pos32(*at) });
        let tier = match name {
            TierName::Retry => Tier::Retry { limit },
            TierName::OtherAgent => Tier::OtherAgent { limit },
            TierName::Fallback => match (capability, agent) {
                (Some(c), None) => {
                    reference(&c);
                    Tier::Fallback { target: Target::Capability(c.0), limit }
                }
                (None, Some(a)) => {
                    reference(&a);
                    Tier::Fallback { target: Target::Agent(a.0), limit }
                }
                (c, a) => {
                    if c.is_some() == a.is_some() && self.diag.len() == before {
                        self.problem(at, "a fallback tier takes exactly one of \"capability\" or \"agent\"");
                    }
                    return Ok((None, Some(name), at));
                }
            },
            TierName::EscalateTo => match agent {
                Some(a) => {
                    reference(&a);
                    Tier::EscalateTo { agent: a.0, limit }
                }
                None => {
                    if seen & (1 << 3) == 0 {
                        self.problem(at, "an escalate_to tier needs \"agent\"");
                    }
                    return Ok((None, Some(name), at));
                }
            },
            TierName::Inbox => {
                if on_expiry.is_some() && sla_ms.is_none() && seen & (1 << 4) == 0 {
                    self.field_problem(
                        pos[5],
                        "on_expiry",
                        "\"on_expiry\" needs \"sla_ms\" (without an SLA nothing expires)",
                    );
                }
                Tier::Inbox { sla_ms, on_expiry: on_expiry.unwrap_or_default() }
            }
        };
        Ok(((self.diag.len() == before).then_some(tier), Some(name), at))
    }

    /// A problem with one field of the object just read (the path is still the object's).
    fn field_problem(&mut self, pos: usize, field: &str, message: impl Into<String>) {
        let path = format!("{}.{field}", self.path_string());
        self.diag.push(pos, path, message.into());
    }
}

/// What is wrong with a tier's target, if anything: the field (`agent` or `capability`) and why,
/// with indexes built once for many tiers (a file's validation, a plan's check).
pub(crate) fn tier_problem_in(lookup: &Lookup, tier: &Tier) -> Option<(&'static str, String)> {
    let sc = lookup.scenario();
    match tier {
        Tier::Fallback { target: Target::Agent(name), .. } | Tier::EscalateTo { agent: name, .. } => {
            let known = lookup.agent(name).is_some();
            let message = || format!("unknown agent `{name}`{}", hint(name, sc.agents.iter().map(|a| a.id.as_str())));
            (!known).then(|| ("agent", message()))
        }
        Tier::Fallback { target: Target::Capability(name), .. } => {
            let known = lookup.has_capability(name);
            let caps = || sc.agents.iter().flat_map(|a| a.capabilities.iter().map(String::as_str));
            (!known).then(|| ("capability", format!("no agent has capability `{name}`{}", hint(name, caps()))))
        }
        _ => None,
    }
}

/// Every agent and capability a tier names must exist (skipped when agents had problems, which
/// would make these echoes).
pub(crate) fn validate(lookup: &Lookup, meta: &Meta, diag: &mut Diag) {
    let sc = lookup.scenario();
    if !meta.agents_ok {
        return;
    }
    for r in &meta.tier_refs {
        let ladder = match r.task {
            NONE => &sc.escalation[..],
            t => sc.tasks[t as usize].extras().escalation.as_deref().unwrap_or(&[]),
        };
        let Some((field, message)) = tier_problem_in(lookup, &ladder[r.tier as usize]) else { continue };
        let path = match r.task {
            NONE => format!("escalation[{}].{field}", r.tier),
            t => format!("tasks[{t}].escalation[{}].{field}", r.tier),
        };
        diag.push(r.pos as usize, path, message);
    }
}

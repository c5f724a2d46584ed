//! The `faults` list: decoding fault objects (an `at_ms`, one action key and its parameters) and
//! checking them against the agents (names, links, partition groups, crash/revive order).

use super::decode::{Bound, Decoder, NONE, pos32};
use super::error::{Diag, hint};
use super::lexer::LexResult as R;
use super::meta::{FaultMeta, Meta};
use super::types::*;
use crate::fasthash::FastMap;

const FAULT_FIELDS: &[&str] = &[
    "at_ms",
    "crash",
    "revive",
    "hang",
    "slow",
    "flaky",
    "drop",
    "delay",
    "partition",
    "heal",
    "factor",
    "failure_rate",
    "delay_ms",
    "until_ms",
];
/// Bits of the action keys (`crash` … `heal`) in the mask of fields seen.
const ACTIONS: u32 = 0b11_1111_1110;
const ACTION_LIST: &str =
    "\"crash\", \"revive\", \"hang\", \"slow\", \"flaky\", \"drop\", \"delay\", \"partition\" or \"heal\"";
/// `(parameter field, the action it belongs to)`.
const PARAMS: [(usize, usize); 4] = [(10, 4), (11, 5), (12, 7), (13, 0)];
const LINK_ACTIONS: [usize; 3] = [6, 7, 8];

/// What one fault object gave, before it is put together.
#[derive(Default)]
struct Raw {
    at_ms: Option<u64>,
    agent: Option<String>,
    link: Vec<String>,
    groups: Vec<Vec<String>>,
    factor: Option<f64>,
    failure_rate: Option<f64>,
    delay_ms: Option<u64>,
    until_ms: Option<u64>,
}

impl Decoder<'_, '_> {
    pub(crate) fn fault(&mut self, faults: &mut Vec<FaultSpec>, meta: &mut Meta) -> R<()> {
        let before = self.diag.len();
        let mut raw = Raw::default();
        let mut m = FaultMeta { target: NONE, names: Vec::new(), until: NONE, params: [NONE; 4] };
        let mut action = None;
        let seen = self.object(FAULT_FIELDS, |d, f| {
            match f {
                0 => raw.at_ms = d.ms(0)?,
                1..=5 => {
                    if let Some((name, at)) = d.string()? {
                        m.target = pos32(at);
                        raw.agent = Some(name);
                        action = Some(f);
                    }
                }
                6 | 7 => {
                    let names = &mut m.names;
                    if let Some(at) = d.strings_with(&mut raw.link, |_, _, at| names.push(pos32(at)))? {
                        m.target = pos32(at);
                        if raw.link.len() == 2 {
                            action = Some(f);
                        } else if d.diag.len() == before {
                            d.problem(at, "a link is two endpoints: agent ids or \"coordinator\"");
                        }
                    }
                }
                8 => {
                    let (groups, names) = (&mut raw.groups, &mut m.names);
                    let found = d.array(|d| {
                        let mut group = Vec::new();
                        if let Some(at) = d.strings_with(&mut group, |_, _, at| names.push(pos32(at)))?
                            && group.is_empty()
                        {
                            d.problem(at, "a group needs at least one agent");
                        }
                        groups.push(group);
                        Ok(())
                    })?;
                    if let Some(at) = found {
                        m.target = pos32(at);
                        if groups.len() < 2 {
                            d.problem(at, "a partition needs at least two groups");
                        } else {
                            action = Some(f);
                        }
                    }
                }
                9 => {
                    let (_, at) = d.lx.peek()?;
                    match d.boolean()? {
                        Some(true) => action = Some(f),
                        Some(false) => d.problem(at, "must be true (leave the fault out to not heal)"),
                        None => {}
                    }
                }
                10 => {
                    m.params[0] = pos32(d.lx.peek()?.1);
                    raw.factor = d.float(Bound::AboveUpTo(0.0, super::bounds::MAX_FACTOR))?;
                }
                11 => {
                    m.params[1] = pos32(d.lx.peek()?.1);
                    raw.failure_rate = d.float(Bound::Unit)?;
                }
                12 => {
                    m.params[2] = pos32(d.lx.peek()?.1);
                    raw.delay_ms = d.ms(0)?;
                }
                _ => {
                    m.params[3] = pos32(d.lx.peek()?.1);
                    m.until = m.params[3];
                    raw.until_ms = d.ms(0)?;
                }
            }
            Ok(())
        })?;
        if let Some((at, seen)) = seen {
            self.require(at, seen, FAULT_FIELDS, &[0]);
            match (seen & ACTIONS).count_ones() {
                0 => self.problem(at, format!("a fault needs one of {ACTION_LIST}")),
                1 => self.check_params(at, seen, &m, &raw),
                _ => {
                    self.problem(at, format!("a fault takes exactly one of {ACTION_LIST}"));
                    action = None;
                }
            }
        }
        if self.diag.len() != before {
            meta.faults_ok = false;
        }
        let at_ms = raw.at_ms.unwrap_or(0);
        faults.push(FaultSpec { at_ms, action: build(action, raw) });
        if action.is_none() {
            m.target = NONE;
        }
        meta.faults.push(m);
        Ok(())
    }

    /// Parameters belong to one action each, and that action needs them; `until_ms` comes after `at_ms`.
    fn check_params(&mut self, at: usize, seen: u32, m: &FaultMeta, raw: &Raw) {
        let act = (seen & ACTIONS).trailing_zeros() as usize;
        let path = self.path_string();
        for (i, &(param, owner)) in PARAMS.iter().enumerate() {
            let given = seen & (1 << param) != 0;
            let belongs = if owner == 0 { LINK_ACTIONS.contains(&act) } else { act == owner };
            let (name, action) = (FAULT_FIELDS[param], FAULT_FIELDS[act]);
            if given && !belongs {
                let whose = if owner == 0 { "drop, delay and partition faults" } else { FAULT_FIELDS[owner] };
                let message = format!("`{name}` does not apply to a `{action}` fault (only to {whose})");
                self.diag.push(m.params[i] as usize, format!("{path}.{name}"), message);
            } else if !given && belongs && owner != 0 {
                self.problem(at, format!("a `{action}` fault needs \"{name}\""));
            }
        }
        if let (Some(at_ms), Some(until)) = (raw.at_ms, raw.until_ms)
            && until <= at_ms
        {
            let message = format!("must be after at_ms ({at_ms}), found {until}");
            self.diag.push(m.until as usize, format!("{path}.until_ms"), message);
        }
    }
}

/// The fault action from what was read; a placeholder when it could not be read.
fn build(action: Option<usize>, raw: Raw) -> FaultAction {
    let agent = raw.agent.unwrap_or_default();
    let link = || {
        let mut l = raw.link.clone().into_iter();
        [l.next().unwrap_or_default(), l.next().unwrap_or_default()]
    };
    match action {
        Some(2) => FaultAction::Revive(agent),
        Some(3) => FaultAction::Hang(agent),
        Some(4) => FaultAction::Slow { agent, factor: raw.factor.unwrap_or(1.0) },
        Some(5) => FaultAction::Flaky { agent, failure_rate: raw.failure_rate.unwrap_or(0.0) },
        Some(6) => FaultAction::Drop { link: link(), until_ms: raw.until_ms },
        Some(7) => FaultAction::Delay { link: link(), delay_ms: raw.delay_ms.unwrap_or(0), until_ms: raw.until_ms },
        Some(8) => FaultAction::Partition { groups: raw.groups, until_ms: raw.until_ms },
        Some(9) => FaultAction::Heal,
        _ => FaultAction::Crash(agent),
    }
}

/// Faults must name known agents (links and partitions may also name the coordinator), links join
/// two different endpoints, partition groups do not overlap, and a revival follows a crash.
pub(crate) fn validate(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) {
    let Meta { agent_ids, faults: fault_meta, agents_ok, faults_ok, .. } = meta;
    let mut find = |name: &str| agent_ids.get(name, |j| &sc.agents[j as usize].id);
    let unknown = |name: &str, what: &str| {
        let others = sc.agents.iter().map(|a| a.id.as_str());
        format!("unknown {what} `{name}`{}", hint(name, others))
    };
    for (i, f) in sc.faults.iter().enumerate() {
        let m = &fault_meta[i];
        if m.target == NONE || !*agents_ok {
            continue;
        }
        let key = f.action.key();
        if let Some(name) = f.action.agent() {
            let path = format!("faults[{i}].{key}");
            match find(name) {
                None => diag.push(m.target as usize, path, unknown(name, "agent")),
                Some(j) if matches!(f.action, FaultAction::Slow { .. } | FaultAction::Flaky { .. }) => {
                    let kind = &sc.agents[j as usize].kind;
                    if !kind.is_sim() {
                        let message = format!(
                            "`{key}` applies to simulated agents only: `{name}` is a {} agent (its durations and \
                             failures are real)",
                            kind.name()
                        );
                        diag.push(m.target as usize, path, message);
                    }
                }
                Some(_) => {}
            }
            continue;
        }
        match &f.action {
            FaultAction::Drop { link, .. } | FaultAction::Delay { link, .. } => {
                for (k, name) in link.iter().enumerate() {
                    let path = format!("faults[{i}].{key}[{k}]");
                    if name != COORDINATOR && find(name).is_none() {
                        let message = unknown(name, "endpoint") + " (an agent id or \"coordinator\")";
                        diag.push(m.names[k] as usize, path, message);
                    } else if k == 1 && link[0] == link[1] {
                        diag.push(m.names[k] as usize, path, format!("a link from `{name}` to itself"));
                    }
                }
            }
            FaultAction::Partition { groups, .. } => {
                let mut group_of: FastMap<&str, usize> = FastMap::default();
                let mut n = 0;
                for (g, group) in groups.iter().enumerate() {
                    for (k, name) in group.iter().enumerate() {
                        let (pos, path) = (m.names[n] as usize, format!("faults[{i}].partition[{g}][{k}]"));
                        n += 1;
                        if name == COORDINATOR {
                            if g > 0 {
                                diag.push(pos, path, "the coordinator is always with the first group".into());
                            }
                        } else if find(name).is_none() {
                            diag.push(pos, path, unknown(name, "agent"));
                        } else if let Some(first) = group_of.insert(name, g) {
                            diag.push(pos, path, format!("agent `{name}` is already in group {first}"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if !*faults_ok {
        return; // Some time or agent is unreadable: the order of events is unknown.
    }
    // Apply crashes and revivals in time order (file order for equal times).
    let mut order: Vec<usize> = (0..sc.faults.len()).collect();
    order.sort_by_key(|&i| sc.faults[i].at_ms);
    let mut crashed: FastMap<&str, ()> = FastMap::default();
    for i in order {
        let f = &sc.faults[i];
        let name = match &f.action {
            FaultAction::Crash(n) | FaultAction::Revive(n) | FaultAction::Hang(n) if find(n).is_some() => n,
            _ => continue, // Unknown agents were reported above (or echo an unreadable agent id).
        };
        // A hung agent is revived like a crashed one.
        if matches!(f.action, FaultAction::Crash(_) | FaultAction::Hang(_)) {
            crashed.insert(name.as_str(), ());
        } else if crashed.remove(name.as_str()).is_none() {
            let message = format!("agent `{name}` is revived at {} ms but is not crashed at that time", f.at_ms);
            diag.push(fault_meta[i].target as usize, format!("faults[{i}].revive"), message);
        }
    }
}

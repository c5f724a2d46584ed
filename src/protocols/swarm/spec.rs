//! The swarm part of the format: the root `swarm` object (the response-threshold model's
//! settings) and an agent's `thresholds`, decoded and checked here so that `schema` and `validate`
//! only call in.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::scenario::decode::{Bound, Decoder, pos32};
use crate::scenario::error::{Diag, hint};
use crate::scenario::lexer::{Kind, LexResult as R};
use crate::scenario::lookup::Lookup;
use crate::scenario::meta::Meta;

const SWARM_FIELDS: &[&str] =
    &["tick_ms", "initial_threshold", "stimulus_rate", "learn", "forget", "min_threshold", "max_threshold"];

/// The root `swarm` object: how agents self-select tasks from the board under `allocation: "swarm"`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SwarmConfig {
    /// Agents look at the board this often while it holds tasks.
    pub tick_ms: u64,
    /// Every agent's threshold θ for each of its capabilities, unless its `thresholds` say otherwise.
    pub initial_threshold: f64,
    /// Stimulus a waiting task gains per tick.
    pub stimulus_rate: f64,
    /// θ falls by this for the capability an agent claims…
    pub learn: f64,
    /// …and rises by this for its other capabilities.
    pub forget: f64,
    pub min_threshold: f64,
    pub max_threshold: f64,
}

impl Default for SwarmConfig {
    fn default() -> SwarmConfig {
        SwarmConfig {
            tick_ms: 100,
            initial_threshold: 10.0,
            stimulus_rate: 1.0,
            learn: 2.0,
            forget: 0.5,
            min_threshold: 1.0,
            max_threshold: 50.0,
        }
    }
}

impl SwarmConfig {
    pub fn is_default(&self) -> bool {
        *self == SwarmConfig::default()
    }
}

/// Offsets of the root `swarm` object's fields and of every agent's `thresholds` entry, for the
/// checks that need the whole file.
#[derive(Debug, Clone, Default)]
pub(crate) struct SwarmMeta {
    /// `initial_threshold`, `min_threshold`, `max_threshold` (0 when not given).
    pub fields: [u32; 3],
    /// `(agent index, capability, offset of its value)`.
    pub thresholds: Vec<(u32, String, u32)>,
}

impl Decoder<'_, '_> {
    /// The root `swarm` object.
    pub(crate) fn swarm(&mut self, meta: &mut SwarmMeta) -> R<SwarmConfig> {
        let mut out = SwarmConfig::default();
        self.object(SWARM_FIELDS, |d, f| {
            let at = d.lx.peek()?.1;
            match f {
                0 => out.tick_ms = d.ms(1)?.unwrap_or(out.tick_ms),
                1 => {
                    meta.fields[0] = pos32(at);
                    out.initial_threshold = d.float(Bound::AtLeast(0.0))?.unwrap_or(out.initial_threshold);
                }
                2 => out.stimulus_rate = d.float(Bound::Above(0.0))?.unwrap_or(out.stimulus_rate),
                3 => out.learn = d.float(Bound::AtLeast(0.0))?.unwrap_or(out.learn),
                4 => out.forget = d.float(Bound::AtLeast(0.0))?.unwrap_or(out.forget),
                5 => {
                    meta.fields[1] = pos32(at);
                    out.min_threshold = d.float(Bound::AtLeast(0.0))?.unwrap_or(out.min_threshold);
                }
                _ => {
                    meta.fields[2] = pos32(at);
                    out.max_threshold = d.float(Bound::AtLeast(0.0))?.unwrap_or(out.max_threshold);
                }
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// An agent's `thresholds`: capability → θ (a number ≥ 0). Capabilities and bounds are checked
    /// once the whole file is read ([`validate`]).
    pub(crate) fn thresholds(&mut self, agent: usize, out: &mut BTreeMap<String, f64>, meta: &mut SwarmMeta) -> R<()> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Object {
            return self.mismatch("an object (capability → threshold)", kind, at);
        }
        self.lx.begin_object();
        let mut first = true;
        while let Some((_, kpos)) = self.lx.next_key(&mut first, &[], 0)? {
            let key = self.lx.unknown_key().to_owned();
            if out.contains_key(&key) {
                self.problem(kpos, format!("capability {key:?} is given twice"));
                self.lx.skip_value()?;
                continue;
            }
            let (kind, vpos) = self.lx.peek()?;
            if kind != Kind::Number {
                self.mismatch(&format!("a number for {key:?}"), kind, vpos)?;
                continue;
            }
            if let Some(v) = self.float(Bound::AtLeast(0.0))? {
                meta.thresholds.push((agent as u32, key.clone(), pos32(vpos)));
                out.insert(key, v);
            }
        }
        Ok(())
    }
}

/// The bounds must be ordered and hold the initial threshold; every `thresholds` entry must name one
/// of its agent's capabilities and lie within the bounds.
pub(crate) fn validate(lookup: &Lookup, meta: &Meta, diag: &mut Diag) {
    let sc = lookup.scenario();
    let c = &sc.swarm;
    let m = &meta.swarm;
    let mut bounds_ok = true;
    if c.max_threshold < c.min_threshold {
        let message = format!("must be ≥ min_threshold ({}), found {}", c.min_threshold, c.max_threshold);
        diag.push(m.fields[2] as usize, "swarm.max_threshold".into(), message);
        bounds_ok = false;
    } else if !(c.min_threshold..=c.max_threshold).contains(&c.initial_threshold) {
        let message = format!(
            "must be within min_threshold..=max_threshold ({}..={}), found {}",
            c.min_threshold, c.max_threshold, c.initial_threshold
        );
        diag.push(m.fields[0] as usize, "swarm.initial_threshold".into(), message);
    }
    for (agent, cap, pos) in &m.thresholds {
        let Some(a) = sc.agents.get(*agent as usize) else { continue };
        let path = format!("agents[{agent}].thresholds.{cap}");
        if !lookup.agent_has(*agent, cap) {
            let others = a.capabilities.iter().map(String::as_str);
            let message = format!("agent `{}` has no capability `{cap}`{}", a.id, hint(cap, others));
            diag.push(*pos as usize, path, message);
            continue;
        }
        let v = a.thresholds[cap];
        if bounds_ok && !(c.min_threshold..=c.max_threshold).contains(&v) {
            let message = format!(
                "must be within swarm.min_threshold..=max_threshold ({}..={}), found {v}",
                c.min_threshold, c.max_threshold
            );
            diag.push(*pos as usize, path, message);
        }
    }
}

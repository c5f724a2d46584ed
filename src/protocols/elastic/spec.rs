//! The elastic-team part of the format: the root `templates` (agents the coordinator creates under
//! load and retires when idle).
//!
//! Every index of a run (the workflow's classes and pools, the agents' vectors) is built once, so
//! the loader expands each template into `max` agent slots appended to `agents`, named
//! `ID-1` … `ID-max` and marked with their template. A slot starts absent (not alive, not down)
//! until the coordinator creates it; only the declared agents and the templates are written back.

use serde::{Serialize, Serializer};

use crate::scenario::decode::{Bound, Decoder, NONE, pos32};
use crate::scenario::error::Diag;
use crate::scenario::lexer::LexResult as R;
use crate::scenario::meta::{AgentMeta, Meta};
use crate::scenario::types::{AgentSpec, Profile, Scenario};

const TEMPLATE_FIELDS: &[&str] = &[
    "id",
    "capabilities",
    "specializations",
    "max_concurrent",
    "cost",
    "performance",
    "profile",
    "max",
    "spawn_after_ms",
    "retire_after_ms",
];

/// One element of the root `templates`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateSpec {
    pub id: String,
    pub capabilities: Vec<String>,
    pub specializations: Vec<String>,
    pub max_concurrent: u32,
    pub cost: f64,
    pub performance: f64,
    pub profile: Profile,
    /// Agents of this template alive at once, at most.
    pub max: u32,
    /// A ready task it could run that waited this long with no capable agent free creates one.
    pub spawn_after_ms: u64,
    /// A created agent idle this long is retired.
    pub retire_after_ms: u64,
}

impl Default for TemplateSpec {
    fn default() -> TemplateSpec {
        let a = AgentSpec::default();
        TemplateSpec {
            id: String::new(),
            capabilities: Vec::new(),
            specializations: Vec::new(),
            max_concurrent: a.max_concurrent,
            cost: a.cost,
            performance: a.performance,
            profile: a.profile,
            max: 1,
            spawn_after_ms: 1000,
            retire_after_ms: 5000,
        }
    }
}

impl TemplateSpec {
    /// The id of its `k`-th slot (from 1).
    pub fn slot_id(&self, k: u32) -> String {
        format!("{}-{k}", self.id)
    }
}

/// `agents` as written: the declared ones, not the templates' slots.
pub(crate) fn declared_agents<S: Serializer>(agents: &[AgentSpec], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(agents.iter().filter(|a| a.template.is_none()))
}

impl Decoder<'_, '_> {
    /// One element of the root `templates`; its id's offset goes to `meta.templates`.
    pub(crate) fn template(&mut self, out: &mut Vec<TemplateSpec>, meta: &mut Meta) -> R<()> {
        let mut t = TemplateSpec::default();
        let mut id_at = NONE;
        let seen = self.object(TEMPLATE_FIELDS, |d, f| {
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        id_at = pos32(at);
                        t.id = s;
                    }
                }
                1 => {
                    if let Some(at) = d.strings(&mut t.capabilities)?
                        && t.capabilities.is_empty()
                    {
                        d.problem(at, "at least one capability is required");
                    }
                }
                2 => drop(d.strings(&mut t.specializations)?),
                3 => t.max_concurrent = d.count(1, crate::scenario::bounds::MAX_CONCURRENT)?.unwrap_or(1),
                4 => t.cost = d.float(Bound::AtLeast(0.0))?.unwrap_or(t.cost),
                5 => t.performance = d.float(Bound::Unit)?.unwrap_or(t.performance),
                6 => d.profile(&mut t.profile)?,
                7 => t.max = d.count(1, crate::scenario::bounds::MAX_TEMPLATE_SLOTS)?.unwrap_or(1),
                8 => t.spawn_after_ms = d.ms(0)?.unwrap_or(t.spawn_after_ms),
                _ => t.retire_after_ms = d.ms(1)?.unwrap_or(t.retire_after_ms),
            }
            Ok(())
        })?;
        if let Some((at, seen)) = seen {
            self.require(at, seen, TEMPLATE_FIELDS, &[0, 1]);
        }
        if id_at != NONE && (t.id.is_empty() || t.id.chars().any(|c| c.is_whitespace() || c.is_control())) {
            self.problem(id_at as usize, format!("template id {:?} must not be empty or contain whitespace", t.id));
        }
        out.push(t);
        meta.templates.push(id_at);
        Ok(())
    }
}

/// Agent slots all templates of one file may create together: `max` is a number, so a few bytes
/// could otherwise ask for billions of agents.
pub const MAX_SLOTS: u64 = 100_000;

/// Appends every template's slots to `agents` (after the whole file is read: `agents` may come
/// later), registering their ids; a slot id that an agent (or another slot) already has is an error
/// at the template's id.
pub(crate) fn expand(sc: &mut Scenario, meta: &mut Meta, diag: &mut Diag) {
    let mut first: crate::fasthash::FastMap<&str, usize> = Default::default();
    let mut slots: u64 = 0;
    for (i, t) in sc.templates.iter().enumerate() {
        let at = meta.templates[i];
        if at == NONE || t.id.is_empty() {
            continue;
        }
        if let Some(&j) = first.get(t.id.as_str()) {
            let message = format!("duplicate template id `{}`", t.id);
            diag.push_related(
                at as usize,
                format!("templates[{i}].id"),
                message,
                meta.templates[j] as usize,
                "first at",
            );
            continue;
        }
        first.insert(t.id.as_str(), i);
        slots += u64::from(t.max);
        if slots > MAX_SLOTS {
            let message = format!("templates would create more than {MAX_SLOTS} agents in all (lower `max`)");
            diag.push(at as usize, format!("templates[{i}].max"), message);
            break;
        }
        for k in 1..=t.max {
            let id = t.slot_id(k);
            let index = sc.agents.len() as u32;
            let agents = &sc.agents;
            if meta.agent_ids.get(&id, |j| agents[j as usize].id.as_str()).is_some() {
                let message =
                    format!("template `{}` would create agent `{id}`, but an agent already has that id", t.id);
                diag.push(at as usize, format!("templates[{i}].id"), message);
                break;
            }
            sc.agents.push(AgentSpec {
                id,
                capabilities: t.capabilities.clone(),
                specializations: t.specializations.clone(),
                max_concurrent: t.max_concurrent,
                cost: t.cost,
                performance: t.performance,
                profile: t.profile.clone(),
                template: Some(i as u32),
                ..AgentSpec::default()
            });
            let agents = &sc.agents;
            let _ = meta.agent_ids.insert(&agents[index as usize].id, index, |j| agents[j as usize].id.as_str());
            meta.agents.push(AgentMeta { id: at, reports_to: NONE });
        }
    }
}

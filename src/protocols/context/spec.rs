//! The shared-context part of the format: tasks' `reads`, `writes`, `on_conflict` and `locks`, the
//! root `context` object and the root `groups` (leader election), decoded and checked here so that
//! `schema` and `validate` only call in.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::fasthash::FastSet;
use crate::scenario::decode::{Decoder, NONE, pos32};
use crate::scenario::error::{Diag, hint};
use crate::scenario::lexer::{Kind, LexResult as R};
use crate::scenario::meta::Meta;
use crate::scenario::types::*;

const CONTEXT_FIELDS: &[&str] = &["initial", "lease_ms"];
const GROUP_FIELDS: &[&str] = &["id", "agents", "lease_ms"];
/// Nesting allowed inside `context.initial` values (deeper is an error, never a stack overflow).
const MAX_DEPTH: usize = 64;

/// Offsets of one group, for checks that need every agent first.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupMeta {
    /// Each `agents` entry's offset.
    pub agents: Vec<u32>,
}

impl Decoder<'_, '_> {
    /// The `f`-th of the task fields `reads`, `writes`, `on_conflict`, `locks`.
    pub(crate) fn task_context_field(&mut self, f: usize, c: &mut TaskContext) -> R<()> {
        match f {
            0 => self.names(&mut c.reads, "key"),
            1 => self.names(&mut c.writes, "key"),
            2 => {
                c.on_conflict = self.policy()?.unwrap_or_default();
                Ok(())
            }
            _ => self.names(&mut c.locks, "lock"),
        }
    }

    /// An array of distinct, non-empty names.
    fn names(&mut self, out: &mut Vec<String>, what: &str) -> R<()> {
        let mut seen: FastSet<String> = FastSet::default();
        self.strings_with(out, |d, s, at| {
            if s.is_empty() {
                d.problem(at, format!("{what} name must not be empty"));
            } else if !seen.insert(s.to_owned()) {
                d.problem(at, format!("{what} `{s}` is listed twice"));
            }
        })?;
        Ok(())
    }

    fn policy(&mut self) -> R<Option<ConflictPolicy>> {
        self.choice("conflict policy", &ConflictPolicy::ALL, ConflictPolicy::name)
    }

    /// The root `context` object.
    pub(crate) fn shared_context(&mut self) -> R<SharedContext> {
        let mut out = SharedContext::default();
        self.object(CONTEXT_FIELDS, |d, f| {
            match f {
                0 => out.initial = d.initial()?,
                _ => out.lease_ms = d.ms(1)?.unwrap_or(DEFAULT_LOCK_LEASE_MS),
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// `context.initial`: an object of key → any JSON value.
    fn initial(&mut self) -> R<BTreeMap<String, Value>> {
        let mut out = BTreeMap::new();
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Object {
            self.mismatch("an object (key → value)", kind, at)?;
            return Ok(out);
        }
        self.lx.begin_object();
        let mut first = true;
        while let Some((_, kpos)) = self.lx.next_key(&mut first, &[], 0)? {
            let key = self.lx.unknown_key().to_owned();
            let value = self.value(0)?;
            if key.is_empty() {
                self.problem(kpos, "key name must not be empty");
            } else if out.insert(key.clone(), value).is_some() {
                self.problem(kpos, format!("key `{key}` is given twice"));
            }
        }
        Ok(out)
    }

    /// Any JSON value, kept as is.
    fn value(&mut self, depth: usize) -> R<Value> {
        let (kind, at) = self.lx.peek()?;
        if depth > MAX_DEPTH && matches!(kind, Kind::Object | Kind::Array) {
            self.problem(at, format!("nested more than {MAX_DEPTH} levels deep"));
            self.lx.skip_value()?;
            return Ok(Value::Null);
        }
        Ok(match kind {
            Kind::String => Value::String(self.lx.string()?.to_owned()),
            Kind::Number => {
                let text = self.lx.number()?.text.to_owned();
                match serde_json::from_str::<serde_json::Number>(&text) {
                    Ok(n) => Value::Number(n),
                    Err(_) => {
                        self.problem(at, format!("number `{text}` is out of range"));
                        Value::Null
                    }
                }
            }
            Kind::Bool => Value::Bool(self.lx.boolean()?),
            Kind::Null => {
                self.lx.null()?;
                Value::Null
            }
            Kind::Array => {
                self.lx.begin_array();
                let mut items = Vec::new();
                let mut first = true;
                while self.lx.next_element(&mut first)? {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            Kind::Object => {
                self.lx.begin_object();
                let mut map = serde_json::Map::new();
                let mut first = true;
                while self.lx.next_key(&mut first, &[], 0)?.is_some() {
                    let key = self.lx.unknown_key().to_owned();
                    let v = self.value(depth + 1)?;
                    map.insert(key, v);
                }
                Value::Object(map)
            }
        })
    }

    /// One element of the root `groups`.
    pub(crate) fn group(&mut self, groups: &mut Vec<GroupSpec>, meta: &mut Meta) -> R<()> {
        let mut g = GroupSpec { id: String::new(), agents: Vec::new(), lease_ms: DEFAULT_GROUP_LEASE_MS };
        let mut gm = GroupMeta::default();
        let mut id_at = NONE;
        let seen = self.object(GROUP_FIELDS, |d, f| {
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        id_at = pos32(at);
                        g.id = s;
                    }
                }
                1 => {
                    let found = d.strings_with(&mut g.agents, |_, _, at| gm.agents.push(pos32(at)))?;
                    if let Some(at) = found
                        && g.agents.is_empty()
                    {
                        d.problem(at, "at least one agent is required");
                    }
                }
                _ => g.lease_ms = d.ms(1)?.unwrap_or(DEFAULT_GROUP_LEASE_MS),
            }
            Ok(())
        })?;
        if let Some((at, seen)) = seen {
            self.require(at, seen, GROUP_FIELDS, &[0, 1]);
        }
        if id_at != NONE {
            if g.id.is_empty() || g.id.chars().any(|c| c.is_whitespace() || c.is_control()) {
                let message = format!("group id {:?} must not be empty or contain whitespace", g.id);
                self.problem(id_at as usize, message);
            } else if let Some(&first) = meta.group_index.get(g.id.as_str()) {
                let path = format!("{}.id", self.path_string());
                let related = meta.group_ids[first] as usize;
                let message = format!("duplicate group id `{}`", g.id);
                self.diag.push_related(id_at as usize, path, message, related, "first defined at");
            } else {
                meta.group_index.insert(g.id.clone(), groups.len());
            }
        }
        groups.push(g);
        meta.group_ids.push(id_at);
        meta.groups.push(gm);
        Ok(())
    }
}

/// Groups must name known agents, each once.
pub(crate) fn validate_groups(sc: &Scenario, meta: &mut Meta, diag: &mut Diag) {
    if !meta.agents_ok {
        return; // "unknown agent" would only echo an unreadable agent id.
    }
    let mut listed: FastSet<&str> = FastSet::default();
    for (i, g) in sc.groups.iter().enumerate() {
        listed.clear();
        for (j, name) in g.agents.iter().enumerate() {
            let Some(&pos) = meta.groups[i].agents.get(j) else { continue };
            let path = format!("groups[{i}].agents[{j}]");
            if meta.agent_ids.get(name, |k| &sc.agents[k as usize].id).is_none() {
                let others = sc.agents.iter().map(|a| a.id.as_str());
                diag.push(pos as usize, path, format!("unknown agent `{name}`{}", hint(name, others)));
            } else if !listed.insert(name.as_str()) {
                diag.push(pos as usize, path, format!("agent `{name}` is listed twice in group `{}`", g.id));
            }
        }
    }
}

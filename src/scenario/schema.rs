//! The scenario format: which fields each object has, their types, ranges and defaults.
//!
//! Built on the [`Decoder`] primitives, this reads a whole scenario in one pass straight into the
//! typed structs. Byte offsets that semantic validation needs later (ids, each `depends_on`
//! entry, fault targets) go into the side tables of [`Meta`], never into the
//! public types.
//! `defaults` may come after `tasks` in a file, so tasks record which fields they gave and the
//! rest is filled in at the end.

use super::agent_kind::KindFields;
use super::bounds::{MAX_ATTEMPTS, MAX_BREAKER_WINDOW, MAX_CONCURRENT, MAX_FACTOR, MAX_MS, MAX_MULTIPLIER};
use super::decode::{Bound, Decoder, NONE, pos32};
use super::error::Diag;
use super::ids::IdIndex;
use super::lexer::{Kind, LexResult as R, Lexer};
use super::meta::*;
use super::types::*;

const ROOT_FIELDS: &[&str] = &[
    "name",
    "description",
    "seed",
    "allocation",
    "heartbeat_ms",
    "defaults",
    "agents",
    "tasks",
    "faults",
    "resilience",
    "sagas",
    "context",
    "groups",
    "escalation",
    "auction",
    "swarm",
    "templates",
    "announcements",
];
const DEFAULTS_FIELDS: &[&str] = &["timeout_ms", "priority", "retry"];
const AGENT_FIELDS: &[&str] = &[
    "id",
    "capabilities",
    "specializations",
    "max_concurrent",
    "cost",
    "performance",
    "profile",
    // `agent_kind::KIND_FIELDS`, in that order:
    "kind",
    "command",
    "env",
    "cwd",
    "base_url",
    "model",
    "api_key_env",
    "system",
    "timeout_ms",
    // 16 and on: the delegation tree (`teams.rs`)
    "reports_to",
    "thresholds",
    // an LLM agent's `ca_file` and a NATS agent's `delivery` (`agent_kind::KIND_FIELDS`' last)
    "ca_file",
    "delivery",
];
/// Index of `thresholds`, after `reports_to`.
const THRESHOLDS_AT: usize = 17;
/// Index of `ca_file`, after `thresholds`.
const CA_FILE_AT: usize = 18;
/// Index of `delivery`, after `ca_file`.
const DELIVERY_AT: usize = 19;
/// Index of the first of `agent_kind::KIND_FIELDS` in `AGENT_FIELDS`.
const KIND_FIELDS_AT: usize = 7;
const PROFILE_FIELDS: &[&str] = &["duration_ms", "failure_rate", "reject_rate", "approve_rate", "abstain_rate"];
const DURATION_FIELDS: &[&str] = &["mean", "jitter"];
const TASK_FIELDS: &[&str] = &[
    "id",
    "description",
    "capability",
    "specializations",
    "depends_on",
    "priority",
    "timeout_ms",
    "retry",
    "allocation",
    "work",
    "compensate",
    // 11 and on: decoded by `shared::task_context_field`, in this order:
    "reads",
    "writes",
    "on_conflict",
    "locks",
    "escalation",
    "auction",
    // 17: decoded by `plan::plan`.
    "plan",
    // 18 and on: roles (`teams.rs`)
    "review",
    "decision",
    "help",
];
const RETRY_FIELDS: &[&str] = &["max_attempts", "backoff_ms", "multiplier", "max_backoff_ms", "jitter"];
const SAGA_FIELDS: &[&str] = &["id", "tasks"];
const RESILIENCE_FIELDS: &[&str] = &[
    "heartbeat_timeout_ms",
    "breaker_window",
    "breaker_failures",
    "breaker_cooldown_ms",
    "adaptive_routing",
    "smoothing",
];

/// Values from the `defaults` object.
#[derive(Debug, Default)]
struct Defaults {
    timeout_ms: Option<u64>,
    priority: Option<i64>,
    retry: RetryPartial,
}

/// A `retry` object as written: only the fields given.
#[derive(Debug, Default, Clone, Copy)]
struct RetryPartial {
    max_attempts: Option<u32>,
    backoff_ms: Option<u64>,
    multiplier: Option<f64>,
    max_backoff_ms: Option<u64>,
    jitter: Option<f64>,
}

impl RetryPartial {
    /// Write the given fields into `r`; returns their `GIVEN_*` bits.
    fn apply(&self, r: &mut RetryPolicy) -> u8 {
        let mut given = 0;
        if let Some(v) = self.max_attempts {
            r.max_attempts = v;
            given |= GIVEN_MAX_ATTEMPTS;
        }
        if let Some(v) = self.backoff_ms {
            r.backoff_ms = v;
            given |= GIVEN_BACKOFF;
        }
        if let Some(v) = self.multiplier {
            r.multiplier = v;
            given |= GIVEN_MULTIPLIER;
        }
        if let Some(v) = self.max_backoff_ms {
            r.max_backoff_ms = v;
            given |= GIVEN_MAX_BACKOFF;
        }
        if let Some(v) = self.jitter {
            r.jitter = v;
            given |= GIVEN_JITTER;
        }
        given
    }
}

/// Decode what `lx` reads; `size_hint` is the input's length if known (0 otherwise). `None` when
/// the JSON is malformed (the syntax error is in `diag`); otherwise the scenario, with defaults and
/// placeholders wherever a problem was reported.
pub(crate) fn decode(lx: Lexer, size_hint: usize, diag: &mut Diag) -> Option<(Scenario, Meta)> {
    let mut d = Decoder::new(lx, size_hint, diag);
    let decoded = d.root();
    if d.lx.input_failed() {
        // Cut short (unreadable, not UTF-8, too large): `load` re-reads it whole to say why.
        let at = d.lx.offset();
        d.diag.push(at, String::new(), "the input ended early".to_string());
    }
    match decoded {
        Ok(decoded) => Some(decoded),
        Err(e) => {
            let path = d.path_string();
            d.diag.push(e.pos, path, e.message);
            None
        }
    }
}

/// Tasks decoded before estimating how many there will be (see [`reserve_tasks`]).
const SAMPLE: usize = 1024;

/// Reserve room for the tasks still to come, estimated from the bytes the first `SAMPLE` took
/// (`used`) and those left (`left`), so that the large vectors and the id table are allocated once
/// at about the right size instead of doubling (and copying, and briefly holding both copies).
fn reserve_tasks(tasks: &mut Vec<TaskSpec>, meta: &mut Meta, used: usize, left: usize) {
    // A task takes at least ~30 bytes (`{"id":"x","capability":"y"},`): never reserve beyond that.
    let more = (left as u64 * SAMPLE as u64 / used.max(1) as u64) as usize;
    let more = (more + more / 32).min(left / 30);
    tasks.reserve_exact(more);
    meta.tasks.reserve_exact(more);
    meta.task_ids.reserve(more);
    let deps = meta.dep_target.len() * more / SAMPLE;
    meta.dep_target.reserve_exact(deps);
    meta.dep_pos.reserve_exact(deps);
}

impl Decoder<'_, '_> {
    fn root(&mut self) -> R<(Scenario, Meta)> {
        let mut sc = Scenario::default();
        let mut meta = Meta::new();
        let mut defaults = Defaults::default();
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Object {
            self.mismatch("an object (the scenario)", kind, at)?;
            self.lx.finish()?;
            return Ok((sc, meta));
        }
        let seen = self.object(ROOT_FIELDS, |d, f| {
            match f {
                0 => {
                    if let Some((name, at)) = d.string()? {
                        if name.is_empty() {
                            d.problem(at, "must not be empty");
                        }
                        sc.name = name;
                    }
                }
                1 => sc.description = d.string()?.map_or_else(String::new, |s| s.0),
                2 => sc.seed = d.u64(0)?.unwrap_or(0),
                3 => sc.allocation = d.strategy()?.unwrap_or(Strategy::LeastLoaded),
                4 => sc.heartbeat_ms = d.ms(0)?.unwrap_or(1000),
                5 => defaults = d.defaults()?,
                6 => match d.array(|d| d.agent(&mut sc.agents, &mut meta))? {
                    Some(at) if sc.agents.is_empty() => d.problem(at, "at least one agent is required"),
                    Some(_) => {}
                    None => meta.agents_ok = false,
                },
                7 => {
                    let start = d.lx.offset();
                    let found = d.array(|d| {
                        if sc.tasks.len() == SAMPLE && d.size_hint > 0 {
                            let at = d.lx.offset();
                            reserve_tasks(&mut sc.tasks, &mut meta, at - start, d.size_hint.saturating_sub(at));
                        }
                        d.task(&mut sc.tasks, &mut meta)
                    })?;
                    match found {
                        Some(at) if sc.tasks.is_empty() => d.problem(at, "at least one task is required"),
                        Some(_) => {}
                        None => meta.tasks_ok = false,
                    }
                }
                8 => {
                    if d.array(|d| d.fault(&mut sc.faults, &mut meta))?.is_none() {
                        meta.faults_ok = false;
                    }
                }
                9 => sc.resilience = d.resilience()?,
                10 => {
                    if d.array(|d| d.saga(&mut sc.sagas, &mut meta))?.is_none() {
                        meta.sagas_ok = false;
                    }
                }
                11 => sc.context = d.shared_context()?,
                12 => drop(d.array(|d| d.group(&mut sc.groups, &mut meta))?),
                13 => sc.escalation = d.escalation(NONE, &mut meta.tier_refs)?.unwrap_or_default(),
                14 => sc.auction = AuctionSpec::default().with(&d.auction()?),
                15 => sc.swarm = d.swarm(&mut meta.swarm)?,
                16 => drop(d.array(|d| d.template(&mut sc.templates, &mut meta))?),
                _ => drop(d.array(|d| d.announcement(&mut sc.announcements, &mut meta.team))?),
            }
            Ok(())
        })?;
        self.lx.finish()?;
        let seen = seen.map_or(0, |(_, seen)| seen);
        self.require(at, seen, ROOT_FIELDS, &[0, 6, 7]);
        if seen & (1 << 6) == 0 {
            meta.agents_ok = false;
        }
        if seen & (1 << 7) == 0 {
            meta.tasks_ok = false;
        }
        crate::protocols::elastic::spec::expand(&mut sc, &mut meta, self.diag);
        apply_defaults(&mut sc.tasks, &meta.tasks, &defaults);
        // The estimate may have overshot; the scenario is kept for the whole run. (A large vector
        // is a mapping of its own, which shrinks in place.)
        sc.tasks.shrink_to_fit();
        Ok((sc, meta))
    }

    fn defaults(&mut self) -> R<Defaults> {
        let mut out = Defaults::default();
        self.object(DEFAULTS_FIELDS, |d, f| {
            match f {
                0 => out.timeout_ms = d.ms(1)?,
                1 => out.priority = d.i64()?,
                _ => out.retry = d.retry()?,
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn resilience(&mut self) -> R<Resilience> {
        let mut out = Resilience::default();
        let h = &mut out.health;
        self.object(RESILIENCE_FIELDS, |d, f| {
            match f {
                0 => out.heartbeat_timeout_ms = d.ms(0)?,
                1 => h.window = d.count(1, MAX_BREAKER_WINDOW)?.unwrap_or(h.window),
                2 => h.failure_threshold = d.count(0, MAX_BREAKER_WINDOW)?.unwrap_or(h.failure_threshold),
                3 => h.cooldown_ms = d.ms(0)?.unwrap_or(h.cooldown_ms),
                4 => h.adaptive = d.boolean()?.unwrap_or(h.adaptive),
                _ => h.smoothing = d.float(Bound::Unit)?.unwrap_or(h.smoothing),
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn retry(&mut self) -> R<RetryPartial> {
        let mut out = RetryPartial::default();
        self.object(RETRY_FIELDS, |d, f| {
            match f {
                0 => out.max_attempts = d.count(1, MAX_ATTEMPTS)?,
                1 => out.backoff_ms = d.ms(0)?,
                2 => out.multiplier = d.float(Bound::Between(1.0, MAX_MULTIPLIER))?,
                3 => out.max_backoff_ms = d.ms(0)?,
                _ => out.jitter = d.float(Bound::Unit)?,
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Check the id of the agent or task numbered `index` and record it in `ids`; `name(j)` is
    /// the id of number `j`, `first_pos(j)` its offset. Returns the index of the first definition
    /// of the id, `NONE` if it is unusable.
    #[allow(clippy::too_many_arguments, reason = "each is needed, and the two call sites are alike")]
    fn register_id<'n>(
        &mut self,
        kind: &str,
        ids: &mut IdIndex,
        id: &str,
        at: usize,
        index: usize,
        name: impl Fn(u32) -> &'n str,
        first_pos: impl Fn(u32) -> u32,
    ) -> u32 {
        if id.is_empty() {
            self.problem(at, format!("{kind} id must not be empty"));
            return NONE;
        }
        if id.bytes().any(|b| b <= b' ' || b == 0x7f || b >= 0x80)
            && id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            let message = format!("{kind} id {id:?} must not contain whitespace or control characters");
            self.problem(at, message);
        }
        match ids.insert(id, index as u32, name) {
            Ok(()) => index as u32,
            Err(first) => {
                let path = self.path_string();
                let message = format!("duplicate {kind} id `{id}`");
                let related = first_pos(first) as usize;
                self.diag.push_related(at, path, message, related, "first defined at");
                first
            }
        }
    }

    fn agent(&mut self, agents: &mut Vec<AgentSpec>, meta: &mut Meta) -> R<()> {
        let mut a = AgentSpec::default();
        let mut kind = KindFields::default();
        let mut id = NONE;
        let mut reports_to = NONE;
        let mut clean = true;
        let seen = self.object(AGENT_FIELDS, |d, f| {
            let before = d.diag.len();
            match f {
                0 => {
                    if let Some((s, at)) = d.string()? {
                        let name = |j: u32| agents[j as usize].id.as_str();
                        let first = |j: u32| meta.agents[j as usize].id;
                        d.register_id("agent", &mut meta.agent_ids, &s, at, agents.len(), name, first);
                        a.id = s;
                        id = pos32(at);
                    }
                }
                1 => {
                    if let Some(at) = d.strings(&mut a.capabilities)?
                        && a.capabilities.is_empty()
                        && d.diag.len() == before
                    {
                        d.problem(at, "at least one capability is required");
                    }
                }
                2 => drop(d.strings(&mut a.specializations)?),
                3 => a.max_concurrent = d.count(1, MAX_CONCURRENT)?.unwrap_or(1),
                4 => a.cost = d.float(Bound::AtLeast(0.0))?.unwrap_or(1.0),
                5 => a.performance = d.float(Bound::Unit)?.unwrap_or(1.0),
                6 => d.profile(&mut a.profile)?,
                16 => {
                    if let Some((s, at)) = d.string()? {
                        a.reports_to = Some(s);
                        reports_to = pos32(at);
                    }
                }
                THRESHOLDS_AT => d.thresholds(agents.len(), &mut a.thresholds, &mut meta.swarm)?,
                CA_FILE_AT => kind.read(d, 9)?,
                DELIVERY_AT => kind.read(d, 10)?,
                f => kind.read(d, f - KIND_FIELDS_AT)?,
            }
            clean &= f > 2 || d.diag.len() == before;
            Ok(())
        })?;
        match seen {
            Some((at, seen)) => {
                self.require(at, seen, AGENT_FIELDS, &[0, 1]);
                clean &= seen & 0b11 == 0b11;
                a.kind = kind.finish(self, at);
                if matches!(a.kind, AgentKind::Nats(_))
                    && id != NONE
                    && let Err(why) = crate::scenario::agent_kind::check_subject_token(&a.id)
                {
                    self.problem(id as usize, why);
                }
            }
            None => clean = false,
        }
        meta.agents_ok &= clean;
        agents.push(a);
        meta.agents.push(AgentMeta { id, reports_to });
        Ok(())
    }

    pub(crate) fn profile(&mut self, p: &mut Profile) -> R<()> {
        self.object(PROFILE_FIELDS, |d, f| {
            if f == 0 {
                d.object(DURATION_FIELDS, |d, f| {
                    if f == 0 {
                        p.duration_ms.mean = d.float(Bound::Between(0.0, MAX_MS as f64))?.unwrap_or(1000.0);
                    } else {
                        p.duration_ms.jitter = d.float(Bound::Unit)?.unwrap_or(0.2);
                    }
                    Ok(())
                })?;
            } else {
                let rate = d.float(Bound::Unit)?;
                match f {
                    1 => p.failure_rate = rate.unwrap_or(0.0),
                    2 => p.reject_rate = rate.unwrap_or(0.0),
                    3 => p.approve_rate = rate.unwrap_or(0.7),
                    _ => p.abstain_rate = rate.unwrap_or(0.1),
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    pub(crate) fn task(&mut self, tasks: &mut Vec<TaskSpec>, meta: &mut Meta) -> R<()> {
        if self.quick_task(tasks, meta) {
            return Ok(());
        }
        let mut t = TaskSpec::default();
        let mut m = TaskMeta { id: NONE, canon: NONE, capability: NONE, specs: NONE, flags: 0 };
        let index = tasks.len();
        let mut id_clean = true;
        let seen = self.object(TASK_FIELDS, |d, f| {
            match f {
                0 => match d.compact()? {
                    Some((s, at)) => {
                        let name = |j: u32| tasks[j as usize].id.as_str();
                        let first = |j: u32| meta.tasks[j as usize].id;
                        m.canon = d.register_id("task", &mut meta.task_ids, &s, at, index, name, first);
                        t.id = s;
                        m.id = pos32(at);
                    }
                    None => id_clean = false,
                },
                1 => t.description = d.string()?.map_or_else(String::new, |s| s.0),
                2 => {
                    if let Some((s, at)) = d.compact()? {
                        t.capability = s;
                        m.capability = pos32(at);
                    }
                }
                3 => {
                    let before = d.diag.len();
                    if let Some(at) = d.strings(&mut t.specializations)? {
                        m.specs = pos32(at);
                    }
                    if d.diag.len() != before {
                        m.flags |= SPECS_BAD;
                    }
                }
                4 => {
                    // Resolved now if the task is already known (and likely still in cache). An
                    // id may be this task's own, not in `tasks` yet.
                    let own = t.id.as_str();
                    d.strings_with(&mut t.depends_on, |_, dep, at| {
                        let name = |j: u32| tasks.get(j as usize).map_or(own, |t| t.id.as_str());
                        let target = meta.task_ids.get(dep, name);
                        meta.dep_target.push(target.unwrap_or(UNRESOLVED));
                        meta.dep_pos.push(pos32(at));
                    })?;
                }
                5 => {
                    if let Some(v) = d.i64()? {
                        t.priority = v;
                        m.flags |= GIVEN_PRIORITY;
                    }
                }
                6 => {
                    if let Some(v) = d.ms(1)? {
                        t.timeout_ms = v;
                        m.flags |= GIVEN_TIMEOUT;
                    }
                }
                7 => m.flags |= d.retry()?.apply(&mut t.retry),
                8 => t.allocation = d.strategy()?,
                9 => t.work = d.float(Bound::AboveUpTo(0.0, MAX_FACTOR))?.unwrap_or(1.0),
                10 => {
                    if let Some((name, at)) = d.compact()? {
                        t.extras_mut().compensate = Some(name);
                        meta.compensate.push((index as u32, pos32(at)));
                    }
                }
                f @ 11..=14 => d.task_context_field(f - 11, &mut t.extras_mut().context)?,
                15 => {
                    let tiers = d.escalation(index as u32, &mut meta.tier_refs)?;
                    t.extras_mut().escalation = tiers.map(Vec::into_boxed_slice);
                }
                16 => {
                    meta.auction_at.push((index as u32, pos32(d.lx.peek()?.1)));
                    t.extras_mut().auction = Some(Box::new(d.auction()?));
                }
                17 => t.extras_mut().plan = d.plan()?,
                18 => t.extras_mut().review = d.review(index as u32, &mut meta.team)?.map(Box::new),
                19 => t.extras_mut().decision = d.decision(index as u32, &mut meta.decisions)?.map(Box::new),
                _ => t.extras_mut().help = d.help(index as u32, &mut meta.team)?.map(Box::new),
            }
            Ok(())
        })?;
        match seen {
            Some((at, seen)) => {
                // A decision task is decided by its voters: it needs no capability.
                let required: &[usize] = if seen & (1 << 19) != 0 { &[0] } else { &[0, 2] };
                self.require(at, seen, TASK_FIELDS, required);
                id_clean &= seen & 1 != 0;
            }
            None => id_clean = false,
        }
        meta.tasks_ok &= id_clean;
        // Written but empty (`"reads": []`) is the same as not written: one representation.
        if t.extras.as_deref().is_some_and(|x| *x == TaskExtras::NONE) {
            t.extras = None;
        }
        tasks.push(t);
        meta.tasks.push(m);
        Ok(())
    }

    fn saga(&mut self, sagas: &mut Vec<SagaSpec>, meta: &mut Meta) -> R<()> {
        let mut s = SagaSpec { id: String::new(), tasks: Vec::new() };
        let mut m = SagaMeta { id: NONE, entries: Vec::new() };
        let mut clean = true;
        let seen = self.object(SAGA_FIELDS, |d, f| {
            if f == 0 {
                if let Some((id, at)) = d.string()? {
                    if id.is_empty() {
                        d.problem(at, "saga id must not be empty");
                    }
                    s.id = id;
                    m.id = pos32(at);
                }
            } else {
                let before = d.diag.len();
                let entries = &mut m.entries;
                let found = d.strings_with(&mut s.tasks, |_, _, at| entries.push(pos32(at)))?;
                clean &= found.is_some() && d.diag.len() == before;
                if let Some(at) = found
                    && s.tasks.is_empty()
                    && d.diag.len() == before
                {
                    d.problem(at, "a saga needs at least one task");
                }
            }
            Ok(())
        })?;
        match seen {
            Some((at, seen)) => {
                self.require(at, seen, SAGA_FIELDS, &[0, 1]);
                clean &= seen & 0b10 != 0;
            }
            None => clean = false,
        }
        meta.sagas_ok &= clean;
        sagas.push(s);
        meta.sagas.push(m);
        Ok(())
    }
}

/// Fill in what tasks left out: from `defaults`, then the built-in defaults.
fn apply_defaults(tasks: &mut [TaskSpec], meta: &[TaskMeta], defaults: &Defaults) {
    let d = defaults;
    let r = &d.retry;
    if d.timeout_ms.is_none()
        && d.priority.is_none()
        && r.max_attempts.is_none()
        && r.backoff_ms.is_none()
        && r.multiplier.is_none()
        && r.max_backoff_ms.is_none()
        && r.jitter.is_none()
    {
        return; // The placeholders already hold the built-in defaults.
    }
    let mut base = RetryPolicy::default();
    r.apply(&mut base);
    for (t, m) in tasks.iter_mut().zip(meta) {
        let given = |bit: u8| m.flags & bit != 0;
        if !given(GIVEN_PRIORITY) {
            t.priority = d.priority.unwrap_or(0);
        }
        if !given(GIVEN_TIMEOUT) {
            t.timeout_ms = d.timeout_ms.unwrap_or(30_000);
        }
        if !given(GIVEN_MAX_ATTEMPTS) {
            t.retry.max_attempts = base.max_attempts;
        }
        if !given(GIVEN_BACKOFF) {
            t.retry.backoff_ms = base.backoff_ms;
        }
        if !given(GIVEN_MULTIPLIER) {
            t.retry.multiplier = base.multiplier;
        }
        if !given(GIVEN_MAX_BACKOFF) {
            t.retry.max_backoff_ms = base.max_backoff_ms;
        }
        if !given(GIVEN_JITTER) {
            t.retry.jitter = base.jitter;
        }
    }
}

//! The shared context inside the coordinator's state: the versioned blackboard, leased locks with
//! fencing tokens, leader elections and the dead-letter list, built on the pure primitives of
//! [`crate::shared`] and changed only by folding events ([`State::apply_context`]).
//!
//! Names (keys, locks, groups) are interned once per scenario into a [`ContextIndex`] so that events
//! stay small and copyable ids; the index is rebuilt identically from the scenario by the journal
//! writer and reader. Lock holders are tasks (named by their task id); a lease is renewed by every
//! message from the holder's agent, so a crashed or hung holder's lease runs out `lease_ms` after it
//! was last heard from. A group leader's lease is renewed the same way.

use crate::core::event::ContextEvent;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use crate::core::bus::Message;

use crate::core::ids::{AgentId, TaskId};
use crate::core::state::State;
use crate::core::timers::Timer;
use crate::core::workflow::Workflow;
use crate::scenario::Scenario;
use crate::shared::{Blackboard, Election, ElectionEvent, LockChange, Locks, Token, WriteOutcome};

/// A blackboard key, by its index in [`ContextIndex::keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(pub u32);
/// A lock, by its index in [`ContextIndex::locks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockId(pub u32);
/// An election group, by its index in [`ContextIndex::groups`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub u32);

/// Dead letters kept for the console (the count goes on beyond).
pub const DEAD_LETTERS_KEPT: usize = 256;
/// Conflict retries a task gets (they do not use its retry budget) before it is escalated.
pub const CONFLICT_RETRY_LIMIT: u32 = 5;

/// Why a message could not be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadReason {
    /// The receiver is down (crashed or lost).
    ReceiverDown,
    /// It waited past its deadline for a receiver that did not take it.
    Expired,
}

impl DeadReason {
    pub fn name(self) -> &'static str {
        match self {
            DeadReason::ReceiverDown => "receiver_down",
            DeadReason::Expired => "expired",
        }
    }

    pub fn from_name(s: &str) -> Option<DeadReason> {
        [DeadReason::ReceiverDown, DeadReason::Expired].into_iter().find(|r| r.name() == s)
    }
}

/// What a context-using task touches, as ids (sorted, so locks are taken in name order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskUse {
    /// The task's id: lock holders and blackboard writers are named by it.
    pub name: String,
    /// `reads ∪ writes`: read at attempt start.
    pub keys: Vec<KeyId>,
    pub writes: Vec<KeyId>,
    pub locks: Vec<LockId>,
}

/// Interned names of one scenario's shared context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextIndex {
    pub keys: Vec<String>,
    pub locks: Vec<String>,
    pub groups: Vec<String>,
    /// Each group's members, in order of preference.
    pub members: Vec<Vec<AgentId>>,
    tasks: BTreeMap<TaskId, TaskUse>,
    /// Task ids of tasks that take locks (lock holders are named by task id).
    holders: BTreeMap<String, TaskId>,
}

impl ContextIndex {
    pub fn new(sc: &Scenario) -> ContextIndex {
        let mut keys: BTreeSet<&str> = sc.context.initial.keys().map(String::as_str).collect();
        let mut locks: BTreeSet<&str> = BTreeSet::new();
        // The tasks that use the context (usually none), found in one pass over the task specs.
        let users: Vec<usize> = (0..sc.tasks.len()).filter(|&i| !sc.tasks[i].context().is_empty()).collect();
        for t in users.iter().map(|&i| &sc.tasks[i]) {
            keys.extend(t.context().reads.iter().chain(&t.context().writes).map(String::as_str));
            locks.extend(t.context().locks.iter().map(String::as_str));
        }
        let keys: Vec<String> = keys.into_iter().map(str::to_owned).collect();
        let locks: Vec<String> = locks.into_iter().map(str::to_owned).collect();
        let key_id = |k: &String| KeyId(keys.binary_search(k).expect("interned") as u32);
        let lock_id = |l: &String| LockId(locks.binary_search(l).expect("interned") as u32);
        let mut tasks = BTreeMap::new();
        let mut holders = BTreeMap::new();
        for (i, t) in users.iter().map(|&i| (i, &sc.tasks[i])) {
            let c = t.context();
            let u = TaskUse {
                name: t.id.to_string(),
                keys: sorted(c.reads.iter().chain(&c.writes).map(key_id).collect()),
                writes: sorted(c.writes.iter().map(key_id).collect()),
                locks: sorted(c.locks.iter().map(lock_id).collect()),
            };
            if !u.locks.is_empty() {
                holders.insert(t.id.to_string(), TaskId(i as u32));
            }
            tasks.insert(TaskId(i as u32), u);
        }
        let agent = |name: &String| sc.agents.iter().position(|a| &a.id == name).map(|i| AgentId(i as u32));
        ContextIndex {
            keys,
            locks,
            groups: sc.groups.iter().map(|g| g.id.clone()).collect(),
            members: sc.groups.iter().map(|g| g.agents.iter().filter_map(agent).collect()).collect(),
            tasks,
            holders,
        }
    }

    /// What `task` touches; `None` for the (usual) task that uses no shared context.
    pub fn task(&self, task: TaskId) -> Option<&TaskUse> {
        self.tasks.get(&task)
    }

    pub fn key_id(&self, name: &str) -> Option<KeyId> {
        self.keys.binary_search_by(|k| k.as_str().cmp(name)).ok().map(|i| KeyId(i as u32))
    }

    pub fn lock_id(&self, name: &str) -> Option<LockId> {
        self.locks.binary_search_by(|k| k.as_str().cmp(name)).ok().map(|i| LockId(i as u32))
    }

    pub fn group_id(&self, name: &str) -> Option<GroupId> {
        self.groups.iter().position(|g| g == name).map(|i| GroupId(i as u32))
    }

    pub fn key(&self, k: KeyId) -> &str {
        &self.keys[k.0 as usize]
    }

    pub fn lock(&self, l: LockId) -> &str {
        &self.locks[l.0 as usize]
    }

    pub fn group(&self, g: GroupId) -> &str {
        &self.groups[g.0 as usize]
    }

    /// The name a context-using task holds locks and writes under.
    fn task_name(&self, t: TaskId) -> String {
        self.tasks.get(&t).map_or_else(|| format!("#{}", t.0), |u| u.name.clone())
    }

    /// The name of `agent` as a member of group `g`.
    fn member_name<'e>(&self, e: &'e Election, g: usize, agent: AgentId) -> Option<&'e str> {
        let i = self.members[g].iter().position(|&a| a == agent)?;
        e.members().get(i).map(String::as_str)
    }

    /// The task holding a lease named `holder`.
    pub fn holder_task(&self, holder: &str) -> Option<TaskId> {
        self.holders.get(holder).copied()
    }
}

/// The current lease of a lock, as the coordinator sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub task: TaskId,
    pub agent: AgentId,
    pub token: Token,
}

/// A message the bus could not deliver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeadLetter {
    pub msg: Message,
    pub reason: DeadReason,
    pub t_ms: u64,
}

#[derive(Debug, Clone)]
pub struct ContextState {
    pub index: Arc<ContextIndex>,
    pub board: Blackboard,
    pub locks: Locks,
    /// Lease of a lock grant.
    pub lease_ms: u64,
    /// Per lock: the current lease's task, agent and token.
    pub holders: Vec<Option<Holder>>,
    /// Tokens granted for each `(task, attempt)`: the fence of that attempt's writes, late ones too.
    pub grants: BTreeMap<(TaskId, u32), Vec<(LockId, Token)>>,
    /// Tasks assigned to an agent and queued for a lock (they hold the agent's slot).
    pub waiting: BTreeMap<TaskId, LockId>,
    /// Versions each task's current attempt read.
    pub reads: BTreeMap<TaskId, Arc<[(KeyId, u64)]>>,
    /// Conflict retries used per task.
    pub conflict_retries: BTreeMap<TaskId, u32>,
    pub elections: Vec<Election>,
    /// The latest dead letters, oldest first.
    pub dead_letters: VecDeque<DeadLetter>,
    pub dead_count: u64,
    pub conflicts: u64,
    pub rejected_writes: u64,
    pub expired_leases: u64,
}

impl ContextState {
    pub fn new(sc: &Scenario) -> ContextState {
        let index = Arc::new(ContextIndex::new(sc));
        let mut board = Blackboard::default();
        for (key, value) in &sc.context.initial {
            let initial =
                WriteOutcome::Written { key: key.clone(), version: 1, writer: "initial".into(), value: value.clone() };
            board.apply(0, &initial);
        }
        ContextState {
            holders: vec![None; index.locks.len()],
            elections: sc.groups.iter().map(|g| Election::new(g.id.clone(), g.agents.clone(), g.lease_ms)).collect(),
            index,
            board,
            locks: Locks::new(),
            lease_ms: sc.context.lease_ms,
            grants: BTreeMap::new(),
            waiting: BTreeMap::new(),
            reads: BTreeMap::new(),
            conflict_retries: BTreeMap::new(),
            dead_letters: VecDeque::new(),
            dead_count: 0,
            conflicts: 0,
            rejected_writes: 0,
            expired_leases: 0,
        }
    }

    /// Whether an agent's message may renew anything (cheap check for the hot path).
    pub fn has_leases(&self) -> bool {
        !self.elections.is_empty() || self.holders.iter().any(Option::is_some)
    }

    /// The leader of group `g` and its term, if it has one.
    pub fn leader(&self, g: GroupId) -> Option<(AgentId, u64)> {
        let e = &self.elections[g.0 as usize];
        let (name, term) = e.leader()?;
        let i = e.members().iter().position(|m| m == name)?;
        Some((self.index.members[g.0 as usize][i], term))
    }

    /// Groups `agent` currently leads, with the term.
    pub fn led_by(&self, agent: AgentId) -> impl Iterator<Item = (GroupId, u64)> + '_ {
        (0..self.elections.len() as u32).filter_map(move |g| match self.leader(GroupId(g)) {
            Some((a, term)) if a == agent => Some((GroupId(g), term)),
            _ => None,
        })
    }

    pub fn timer_is_live(&self, timer: Timer) -> bool {
        match timer {
            Timer::LockLease { lock, at } => {
                self.locks.lease(self.index.lock(LockId(lock))).is_some_and(|l| l.expires_at == at)
            }
            Timer::LeaderLease { group, at } => self.elections[group as usize].next_deadline() == Some(at),
            _ => false,
        }
    }

    /// Everything that matters for the future of the run, for [`State::digest`].
    pub fn digest(&self) -> String {
        let elections: Vec<_> = self.elections.iter().map(|e| (e.term(), e.leader(), e.next_deadline())).collect();
        format!(
            "board={:?}\nlocks={:?}\nholders={:?} grants={:?} waiting={:?} reads={:?} conflict_retries={:?}\n\
             elections={elections:?} dead={} {:?} counts={}/{}/{}",
            self.board,
            self.locks,
            self.holders,
            self.grants,
            self.waiting,
            self.reads,
            self.conflict_retries,
            self.dead_count,
            self.dead_letters,
            self.conflicts,
            self.rejected_writes,
            self.expired_leases,
        )
    }
}

impl State {
    /// Applies one shared-context event (called from [`State::apply`]).
    pub(crate) fn apply_context(&mut self, wf: &Workflow, event: &ContextEvent, now: u64) {
        let ctx = &mut self.ctx;
        let index = Arc::clone(&ctx.index);
        match *event {
            ContextEvent::LockWaiting { lock, task, position, .. } => {
                let change = LockChange::Queued {
                    lock: index.lock(lock).into(),
                    holder: index.task_name(task),
                    position: position as usize,
                    ttl_ms: ctx.lease_ms,
                };
                ctx.locks.apply(now, &change);
                ctx.waiting.insert(task, lock);
            }
            ContextEvent::LockGranted { lock, task, agent, token, expires_ms } => {
                let change = LockChange::Granted {
                    lock: index.lock(lock).into(),
                    holder: index.task_name(task),
                    token,
                    expires_at: expires_ms,
                };
                ctx.locks.apply(now, &change);
                ctx.holders[lock.0 as usize] = Some(Holder { task, agent, token });
                if ctx.waiting.get(&task) == Some(&lock) {
                    ctx.waiting.remove(&task);
                }
                // The grant fences the attempt that is about to start.
                let attempt = self.tasks[task.ix()].attempts + 1;
                ctx.grants.entry((task, attempt)).or_default().push((lock, token));
                self.timers.push_at(expires_ms, Timer::LockLease { lock: lock.0, at: expires_ms });
            }
            ContextEvent::LockReleased { lock, task, token, .. }
            | ContextEvent::LockExpired { lock, task, token, .. } => {
                let (name, holder) = (index.lock(lock).to_string(), index.task_name(task));
                let change = if matches!(event, ContextEvent::LockReleased { .. }) {
                    LockChange::Released { lock: name, holder, token }
                } else {
                    ctx.expired_leases += 1;
                    LockChange::Expired { lock: name, holder, token }
                };
                ctx.locks.apply(now, &change);
                ctx.holders[lock.0 as usize] = None;
            }
            ContextEvent::LockWithdrawn { lock, task, agent } => {
                let change = LockChange::Withdrawn { lock: index.lock(lock).into(), holder: index.task_name(task) };
                ctx.locks.apply(now, &change);
                ctx.waiting.remove(&task);
                // Locks it took for the attempt it was gathering them for are not its any more: left
                // unreleased (its agent is down), they run out; a new assignment takes them afresh.
                ctx.grants.remove(&(task, self.tasks[task.ix()].attempts + 1));
                // The task gives up the agent slot it held while waiting.
                self.free_slot(wf, task, agent);
            }
            ContextEvent::ContextRead { task, ref versions, .. } => {
                ctx.reads.insert(task, Arc::clone(versions));
            }
            ContextEvent::ContextWritten { key, task, version, ref value, .. } => {
                let written = WriteOutcome::Written {
                    key: index.key(key).into(),
                    version,
                    writer: index.task_name(task),
                    value: Value::clone(value),
                };
                ctx.board.apply(now, &written);
            }
            ContextEvent::ContextConflict { task, policy, .. } => {
                ctx.conflicts += 1;
                if policy == crate::scenario::ConflictPolicy::Retry {
                    *ctx.conflict_retries.entry(task).or_default() += 1;
                    // A conflict retry does not use up the retry budget.
                    self.tasks[task.ix()].budget_base += 1;
                }
            }
            ContextEvent::WriteRejected { .. } => ctx.rejected_writes += 1,
            ContextEvent::LeaderElected { group, agent, term } => {
                let e = &mut ctx.elections[group.0 as usize];
                let lease_until = now.saturating_add(e.lease_ms());
                let leader = index.member_name(e, group.0 as usize, agent).unwrap_or_default().to_owned();
                e.apply(&ElectionEvent::Elected { group: e.group().into(), term, leader, lease_until });
                self.watchdog.push_at(lease_until, Timer::LeaderLease { group: group.0, at: lease_until });
            }
            ContextEvent::LeaderLost { group, agent, term } => {
                let e = &mut ctx.elections[group.0 as usize];
                let leader = index.member_name(e, group.0 as usize, agent).unwrap_or_default().to_owned();
                e.apply(&ElectionEvent::LeaseExpired { group: e.group().into(), term, leader });
            }
            ContextEvent::MessageDeadLettered { ref msg, reason } => {
                // A driver's dead letter was numbered when it was sent.
                self.next_msg_id = self.next_msg_id.max(msg.id + 1);
                ctx.dead_count += 1;
                ctx.dead_letters.push_back(DeadLetter { msg: **msg, reason, t_ms: now });
                if ctx.dead_letters.len() > DEAD_LETTERS_KEPT {
                    ctx.dead_letters.pop_front();
                }
            }
        }
    }

    /// Whether lease `h` belongs to work `agent` is doing now: the holding task is on `agent`, and the
    /// grant is for its running attempt (or the one it is gathering locks for). A lease left over from
    /// an attempt that was given up is not renewed by its agent coming back: it must run out.
    fn lease_in_use(&self, lock: LockId, h: Holder, agent: AgentId) -> bool {
        let t = &self.tasks[h.task.ix()];
        if h.agent != agent || t.agent != Some(agent) || t.state != crate::core::state::TaskState::Running {
            return false;
        }
        let attempt = if self.attempt_running(h.task) { t.attempts } else { t.attempts + 1 };
        self.ctx.grants.get(&(h.task, attempt)).is_some_and(|g| g.contains(&(lock, h.token)))
    }

    /// Any message from `agent` renews the leases it holds: its tasks' locks and its leaderships.
    pub(crate) fn renew_leases(&mut self, agent: AgentId, now: u64) {
        let live: Vec<bool> = self
            .ctx
            .holders
            .iter()
            .enumerate()
            .map(|(l, h)| h.is_some_and(|h| self.lease_in_use(LockId(l as u32), h, agent)))
            .collect();
        let ctx = &mut self.ctx;
        for (l, h) in ctx.holders.iter().enumerate() {
            let Some(h) = h.filter(|_| live[l]) else { continue };
            let name = ctx.index.lock(LockId(l as u32));
            if ctx.locks.lease(name).is_none_or(|lease| lease.expires_at <= now) {
                continue; // Over: the expiry timer due now ends it.
            }
            let expires_at = now.saturating_add(ctx.lease_ms);
            let holder = ctx.index.task_name(h.task);
            ctx.locks.apply(now, &LockChange::Renewed { lock: name.into(), holder, token: h.token, expires_at });
            self.timers.push_at(expires_at, Timer::LockLease { lock: l as u32, at: expires_at });
        }
        for g in 0..ctx.elections.len() {
            let e = &mut ctx.elections[g];
            let Some((name, term)) = e.leader() else { continue };
            if ctx.index.member_name(e, g, agent) != Some(name) {
                continue;
            }
            let name = name.to_owned();
            if let ElectionEvent::Renewed { lease_until, .. } = e.renew(&name, term, now) {
                self.watchdog.push_at(lease_until, Timer::LeaderLease { group: g as u32, at: lease_until });
            }
        }
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

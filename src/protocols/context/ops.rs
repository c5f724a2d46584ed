//! The coordinator's decisions about the shared context (state in `protocols/context`): taking a task's
//! locks before its attempt starts, reading its keys' versions when it starts, committing or
//! refusing its writes when it succeeds, releasing and expiring leases, elections and dead letters.
//!
//! Rules, as documented in `scenarios/README.md`:
//! - A task with `locks` takes them in name order when it is assigned; while one is held by another
//!   task it queues (FIFO) and keeps its agent slot. Its attempt starts once it holds them all.
//! - Locks are released when the attempt ends, except when its agent crashed or was lost: then the
//!   lease runs out by itself (`lock_expired`) and the next waiter gets a higher token.
//! - A successful result's writes are fenced by every token its attempt was granted (a newer grant
//!   exists ⇒ `write_rejected` and the attempt fails with `stale_token`), then compare-and-set
//!   against the versions read at attempt start (the first changed key ⇒ `context_conflict`, and the
//!   task's `on_conflict` policy decides). All of an attempt's writes go through, or none.

use crate::core::event::ContextEvent;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::core::Coordinator;
use crate::core::bus::{Endpoint, Message, MsgKind, Payload};
use crate::core::event::{AttemptFailure, EventKind, Origin};
use crate::core::ids::{AgentId, TaskId};
use crate::protocols::context::{CONFLICT_RETRY_LIMIT, DeadReason, GroupId, KeyId, LockId};
use crate::scenario::ConflictPolicy;
use crate::shared::ElectionEvent;

impl Coordinator {
    /// After `task_assigned`: takes the task's locks, then starts its attempt if it holds them all.
    pub(crate) fn acquire_and_start(&mut self, now: u64, task: TaskId, agent: AgentId) {
        let index = Arc::clone(&self.state.ctx.index);
        let locks = index.task(task).map_or(&[][..], |u| &u.locks[..]);
        let attempt = self.state.tasks[task.ix()].attempts + 1;
        for &lock in locks {
            // Held for this attempt already. A lease the task still has from an earlier attempt (its
            // agent was lost) does not count: that one must run out first, like anyone's.
            let ctx = &self.state.ctx;
            let granted = ctx.grants.get(&(task, attempt));
            if ctx.holders[lock.0 as usize]
                .is_some_and(|h| h.task == task && granted.is_some_and(|g| g.contains(&(lock, h.token))))
            {
                continue;
            }
            self.expire_if_due(now, lock);
            let name = index.lock(lock);
            if self.state.ctx.holders[lock.0 as usize].is_some() {
                let position = self.state.ctx.locks.waiters(name).count() as u32 + 1;
                self.emit(now, EventKind::Context(ContextEvent::LockWaiting { lock, task, agent, position }));
                return;
            }
            self.grant(now, lock, task, agent);
        }
        self.start_attempt(now, task, agent);
    }

    fn grant(&mut self, now: u64, lock: LockId, task: TaskId, agent: AgentId) {
        let token = self.state.ctx.locks.highest_token(self.state.ctx.index.lock(lock)) + 1;
        let expires_ms = now.saturating_add(self.state.ctx.lease_ms);
        self.emit(now, EventKind::Context(ContextEvent::LockGranted { lock, task, agent, token, expires_ms }));
    }

    /// A lease whose time is up at `now` ends before anyone looks at the lock (its timer may be due
    /// at this same instant but not have fired yet).
    fn expire_if_due(&mut self, now: u64, lock: LockId) {
        let name = self.state.ctx.index.lock(lock);
        if self.state.ctx.locks.lease(name).is_some_and(|l| l.expires_at <= now) {
            self.free_lock(now, lock, true);
        }
    }

    /// Ends the current lease of `lock` (released, or `expired`) and hands the lock to the first
    /// waiter, whose acquisition goes on.
    pub(crate) fn free_lock(&mut self, now: u64, lock: LockId, expired: bool) {
        let Some(h) = self.state.ctx.holders[lock.0 as usize] else { return };
        let (task, agent, token) = (h.task, h.agent, h.token);
        if expired {
            tracing::warn!(
                "{} lock {} expired: {} went silent",
                crate::core::clock(now),
                self.lock_name(lock),
                self.agent_name(agent)
            );
            self.emit(now, EventKind::Context(ContextEvent::LockExpired { lock, task, agent, token }));
        } else {
            self.emit(now, EventKind::Context(ContextEvent::LockReleased { lock, task, agent, token }));
        }
        let index = Arc::clone(&self.state.ctx.index);
        let next = self.state.ctx.locks.waiters(index.lock(lock)).next().and_then(|w| index.holder_task(&w.holder));
        if let Some(next) = next {
            let agent = self.state.tasks[next.ix()].agent.expect("a waiting task is assigned");
            self.grant(now, lock, next, agent);
            self.acquire_and_start(now, next, agent);
        }
    }

    fn lock_name(&self, lock: LockId) -> &str {
        self.state.ctx.index.lock(lock)
    }

    /// Releases the locks `task`'s attempt `attempt` still holds (its attempt ended).
    pub(crate) fn release_locks(&mut self, now: u64, task: TaskId, attempt: u32) {
        let Some(grants) = self.state.ctx.grants.get(&(task, attempt)).cloned() else { return };
        for (lock, token) in grants {
            if self.state.ctx.holders[lock.0 as usize].is_some_and(|h| h.task == task && h.token == token) {
                self.free_lock(now, lock, false);
            }
        }
    }

    /// A task waiting for a lock leaves the queue and its agent; answers whether it was waiting.
    /// Locks it already took for the attempt are released unless its agent is down (then they run
    /// out).
    pub(crate) fn leave_lock_queue(&mut self, now: u64, task: TaskId) -> bool {
        let Some(&lock) = self.state.ctx.waiting.get(&task) else { return false };
        let agent = self.state.tasks[task.ix()].agent.expect("a waiting task is assigned");
        if self.state.agents[agent.ix()].alive {
            self.release_locks(now, task, self.state.tasks[task.ix()].attempts + 1);
        }
        self.emit(now, EventKind::Context(ContextEvent::LockWithdrawn { lock, task, agent }));
        true
    }

    /// Sends the attempt's request and records the versions of the keys it reads and writes.
    pub(crate) fn start_attempt(&mut self, now: u64, task: TaskId, agent: AgentId) {
        let attempt = self.state.tasks[task.ix()].attempts + 1;
        let deadline_ms = crate::core::timers::later(now, self.state.timeouts[task.ix()]);
        let payload = Payload::Task { task, attempt, deadline_ms, work: self.state.works[task.ix()] };
        self.send(now, Endpoint::Agent(agent), MsgKind::TaskRequest, None, payload);
        self.emit(now, EventKind::AttemptStarted { task, agent, attempt, deadline_ms });
        if self.state.ctx.index.keys.is_empty() {
            return;
        }
        let index = Arc::clone(&self.state.ctx.index);
        if let Some(u) = index.task(task).filter(|u| !u.keys.is_empty()) {
            let board = &self.state.ctx.board;
            let versions: Arc<[(KeyId, u64)]> = u.keys.iter().map(|&k| (k, board.version(index.key(k)))).collect();
            self.emit(now, EventKind::Context(ContextEvent::ContextRead { task, agent, attempt, versions }));
        }
    }

    /// The first lock whose token, granted to this attempt, has been superseded: `(lock, token, latest)`.
    fn stale_grant(&self, task: TaskId, attempt: u32) -> Option<(LockId, u64, u64)> {
        let ctx = &self.state.ctx;
        ctx.grants.get(&(task, attempt))?.iter().find_map(|&(lock, token)| {
            let highest = ctx.locks.highest_token(ctx.index.lock(lock));
            (token < highest).then_some((lock, token, highest))
        })
    }

    /// A late result (its attempt was already over) still tries its write: fencing turns it away
    /// if someone else has taken the attempt's lock since.
    pub(crate) fn late_write(&mut self, now: u64, task: TaskId, agent: AgentId, attempt: u32) {
        let Some(&key) = self.state.ctx.index.task(task).and_then(|u| u.writes.first()) else { return };
        if let Some((lock, token, current_token)) = self.stale_grant(task, attempt) {
            self.emit(
                now,
                EventKind::Context(ContextEvent::WriteRejected { key, task, agent, lock, token, current_token }),
            );
        }
    }

    /// A successful result's writes. `true`: written (or nothing to write), the attempt succeeds;
    /// `false`: the attempt failed or the task was escalated, and that is handled.
    pub(crate) fn commit_writes(&mut self, now: u64, task: TaskId, agent: AgentId, attempt: u32) -> bool {
        if self.state.ctx.index.keys.is_empty() {
            return true; // The usual run: no blackboard at all.
        }
        let index = Arc::clone(&self.state.ctx.index);
        let Some(u) = index.task(task).filter(|u| !u.writes.is_empty()) else { return true };
        if let Some((lock, token, current_token)) = self.stale_grant(task, attempt) {
            tracing::warn!(
                "{} {} write rejected: token {token} of {} is stale (now {current_token})",
                crate::core::clock(now),
                self.task_name(task),
                index.lock(lock)
            );
            let key = u.writes[0];
            self.emit(
                now,
                EventKind::Context(ContextEvent::WriteRejected { key, task, agent, lock, token, current_token }),
            );
            self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason: AttemptFailure::StaleToken });
            self.retry_or_fail(now, task);
            return false;
        }
        let reads = self.state.ctx.reads.get(&task).cloned();
        let read = |k: KeyId| reads.as_ref().and_then(|r| r.iter().find(|(x, _)| *x == k)).map_or(0, |&(_, v)| v);
        let board = &self.state.ctx.board;
        let conflict = u.writes.iter().find_map(|&k| {
            let (read_version, current_version) = (read(k), board.version(index.key(k)));
            (read_version != current_version).then_some((k, read_version, current_version))
        });
        if let Some((key, read_version, current_version)) = conflict {
            let policy = self.scenario.tasks[task.ix()].context().on_conflict;
            tracing::info!(
                "{} {} conflict on {}: read v{read_version}, now v{current_version} ({})",
                crate::core::clock(now),
                self.task_name(task),
                index.key(key),
                policy.name()
            );
            let kind = EventKind::Context(ContextEvent::ContextConflict {
                key,
                task,
                agent,
                read_version,
                current_version,
                policy,
            });
            self.emit(now, kind);
            if policy != ConflictPolicy::LastWriterWins {
                let reason = AttemptFailure::WriteConflict;
                self.emit(now, EventKind::AttemptFailed { task, agent, attempt, reason });
                let used = self.state.ctx.conflict_retries.get(&task).copied().unwrap_or(0);
                if policy == ConflictPolicy::Retry && used <= CONFLICT_RETRY_LIMIT {
                    self.make_ready(now, task);
                } else {
                    self.escalate(now, task, Origin::Conflict);
                }
                return false;
            }
        }
        let token = self.state.ctx.grants.get(&(task, attempt)).and_then(|g| g.first()).map(|&(_, t)| t);
        for &key in &u.writes {
            let (value, version) = next_value(&self.state.ctx.board, index.key(key), self.task_name(task), attempt);
            let value = Arc::new(value);
            self.emit(
                now,
                EventKind::Context(ContextEvent::ContextWritten { key, task, agent, version, token, value }),
            );
        }
        true
    }

    /// Elects or re-elects in group `g` as its lease and its members' liveness say.
    pub(crate) fn tick_election(&mut self, now: u64, g: GroupId) {
        let index = Arc::clone(&self.state.ctx.index);
        let members = &index.members[g.0 as usize];
        let e = &self.state.ctx.elections[g.0 as usize];
        let agents = &self.state.agents;
        let names = e.members();
        let agent_of = |name: &str| names.iter().position(|m| m == name).map(|i| members[i]);
        let alive = |name: &str| agent_of(name).is_some_and(|a| agents[a.ix()].alive);
        let planned = e.plan_tick(now, &alive);
        let mut out = Vec::new();
        for ev in planned {
            match ev {
                ElectionEvent::LeaseExpired { term, leader, .. } => {
                    out.push(EventKind::Context(ContextEvent::LeaderLost {
                        group: g,
                        agent: agent_of(&leader).expect("a member"),
                        term,
                    }))
                }
                ElectionEvent::Elected { term, leader, .. } => {
                    out.push(EventKind::Context(ContextEvent::LeaderElected {
                        group: g,
                        agent: agent_of(&leader).expect("a member"),
                        term,
                    }))
                }
                _ => {}
            }
        }
        for kind in out {
            if let EventKind::Context(ContextEvent::LeaderElected { agent, term, .. }) = kind {
                tracing::info!(
                    "{} {} leads {} (term {term})",
                    crate::core::clock(now),
                    self.agent_name(agent),
                    index.group(g)
                );
            }
            self.emit(now, kind);
        }
    }

    /// Ticks every group that has no leader (at start, and when an agent comes back).
    pub(crate) fn elect_vacant(&mut self, now: u64) {
        for g in 0..self.state.ctx.elections.len() as u32 {
            if self.state.ctx.elections[g as usize].leader().is_none() {
                self.tick_election(now, GroupId(g));
            }
        }
    }

    /// A message to an agent that is down is not queued: it is recorded as a dead letter.
    pub(crate) fn dead_letter(&mut self, now: u64, mut msg: Message, reason: DeadReason) {
        msg.id = self.state.next_msg_id;
        self.emit(now, EventKind::Context(ContextEvent::MessageDeadLettered { msg: Box::new(msg), reason }));
    }

    /// A driver could not deliver `msg` (e.g. it waited past its deadline for a hung agent).
    pub fn handle_undeliverable(&mut self, now: u64, msg: Message, reason: DeadReason) {
        self.emit(now, EventKind::Context(ContextEvent::MessageDeadLettered { msg: Box::new(msg), reason }));
    }
}

/// What a task writes to `key`: a number is a counter and goes up by one; anything else is replaced
/// by a note of who wrote it. Deterministic, so a run's writes depend only on the scenario and seed.
fn next_value(board: &crate::shared::Blackboard, key: &str, task: &str, attempt: u32) -> (Value, u64) {
    let (current, version) = board.read(key);
    let value = match current.and_then(Value::as_i64) {
        Some(n) => json!(n.saturating_add(1)),
        None => json!({"task": task, "attempt": attempt}),
    };
    (value, version + 1)
}

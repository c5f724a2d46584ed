//! Property tests for the shared-state primitives: random interleavings of lock operations, crashes,
//! fenced writes and elections. Every check is made from the outcomes the primitives return (what the
//! coordinator would journal), the way an auditor reading the journal would, not from their insides.

use std::collections::{BTreeMap, VecDeque};

use proptest::prelude::*;
use serde_json::json;

use switchyard::shared::{Acquire, Blackboard, Election, ElectionEvent, LockChange, Locks, Token, WriteOutcome};

const LOCKS: [&str; 3] = ["alpha", "beta", "gamma"];
const HOLDERS: [&str; 4] = ["h0", "h1", "h2", "h3"];

#[derive(Debug, Clone)]
enum LockStep {
    Advance(u64),
    Acquire {
        lock: usize,
        holder: usize,
        ttl: u64,
    },
    /// `age` 0 presents the holder's latest token, more presents an older one (if it had any).
    Release {
        lock: usize,
        holder: usize,
        age: u64,
    },
    Renew {
        lock: usize,
        holder: usize,
        age: u64,
        ttl: u64,
    },
    Expire,
    /// The holder stops doing anything; `withdraw` says whether the coordinator noticed and took it
    /// out of the queues. Its leases are left to expire.
    Crash {
        holder: usize,
        withdraw: bool,
    },
    Revive {
        holder: usize,
    },
    /// A fenced write with the holder's own token (`forged` adds some to it).
    Write {
        lock: usize,
        holder: usize,
        age: u64,
        forged: u64,
    },
}

fn lock_step() -> impl Strategy<Value = LockStep> {
    let (l, h) = (0..LOCKS.len(), 0..HOLDERS.len());
    prop_oneof![
        3 => (0u64..40).prop_map(LockStep::Advance),
        4 => (l.clone(), h.clone(), 0u64..60).prop_map(|(lock, holder, ttl)| LockStep::Acquire { lock, holder, ttl }),
        2 => (l.clone(), h.clone(), 0u64..3).prop_map(|(lock, holder, age)| LockStep::Release { lock, holder, age }),
        2 => (l.clone(), h.clone(), 0u64..3, 1u64..60)
            .prop_map(|(lock, holder, age, ttl)| LockStep::Renew { lock, holder, age, ttl }),
        1 => Just(LockStep::Expire),
        1 => (h.clone(), any::<bool>()).prop_map(|(holder, withdraw)| LockStep::Crash { holder, withdraw }),
        1 => h.clone().prop_map(|holder| LockStep::Revive { holder }),
        3 => (l, h, 0u64..3, prop_oneof![4 => Just(0u64), 1 => 1u64..3])
            .prop_map(|(lock, holder, age, forged)| LockStep::Write { lock, holder, age, forged }),
    ]
}

/// What the journal says about one lock.
#[derive(Debug, Default)]
struct LockAudit {
    /// `(holder, token, granted_at, expires_at)` of the open lease.
    held: Option<(String, Token, u64, u64)>,
    /// When the last lease ended (its release, or the expiry it reached).
    free_from: u64,
    last_token: Token,
    /// Closed leases as `(from, to, holder)`.
    intervals: Vec<(u64, u64, String)>,
    /// Who waits, in the order the journal says they queued.
    queue: VecDeque<String>,
}

#[derive(Default)]
struct Auditor {
    locks: BTreeMap<String, LockAudit>,
    /// Every token each holder was ever granted, per lock, oldest first (what the holder knows).
    tokens: BTreeMap<(String, String), Vec<Token>>,
    log: Vec<(u64, LockChange)>,
}

impl Auditor {
    fn see(&mut self, now: u64, changes: Vec<LockChange>) -> Result<(), TestCaseError> {
        for c in changes {
            let a = self.locks.entry(c.lock().to_owned()).or_default();
            match &c {
                LockChange::Granted { lock, holder, token, expires_at } => {
                    prop_assert!(a.held.is_none(), "{lock} granted to {holder} while held: {:?}", a.held);
                    prop_assert!(now >= a.free_from, "{lock} granted at {now}, the last lease ran to {}", a.free_from);
                    prop_assert!(*token > a.last_token, "{lock} token {token} after {}", a.last_token);
                    if let Some(first) = a.queue.pop_front() {
                        prop_assert!(first == *holder, "{lock} granted to {holder}, {first} was first in line");
                    }
                    a.last_token = *token;
                    a.held = Some((holder.clone(), *token, now, *expires_at));
                    self.tokens.entry((lock.clone(), holder.clone())).or_default().push(*token);
                }
                LockChange::Renewed { lock, holder, token, expires_at } => {
                    let Some((h, t, _, until)) = &mut a.held else { return Err(fail(format!("{lock} renewed idle"))) };
                    prop_assert!(h == holder && t == token, "{lock} renewed by {holder}/{token}, held by {h}/{t}");
                    prop_assert!(now < *until, "{lock} renewed at {now} after its lease ran out at {until}");
                    *until = *expires_at;
                }
                LockChange::Released { lock, holder, token } | LockChange::Expired { lock, holder, token } => {
                    let Some((h, t, from, until)) = a.held.take() else {
                        return Err(fail(format!("{lock} ended while idle")));
                    };
                    prop_assert!(h == *holder && t == *token, "{lock} ended for {holder}/{token}, held by {h}/{t}");
                    let end = if matches!(c, LockChange::Expired { .. }) {
                        prop_assert!(now >= until, "{lock} expired at {now}, before {until}");
                        until
                    } else {
                        prop_assert!(now < until, "{lock} released at {now}, after its lease ran out at {until}");
                        now
                    };
                    a.free_from = end;
                    a.intervals.push((from, end, h));
                }
                LockChange::Queued { lock, holder, position, .. } => {
                    prop_assert!(a.held.is_some(), "{holder} queued for free {lock}");
                    prop_assert!(!a.queue.contains(holder), "{holder} queued twice for {lock}");
                    a.queue.push_back(holder.clone());
                    prop_assert_eq!(*position, a.queue.len());
                }
                LockChange::Withdrawn { holder, .. } => a.queue.retain(|w| w != holder),
                LockChange::Rejected { .. } => {}
            }
            self.log.push((now, c));
        }
        Ok(())
    }

    /// A token the holder was granted on the lock, `age` grants back (clamped to its oldest).
    fn token(&self, lock: &str, holder: &str, age: u64) -> Option<Token> {
        let ts = self.tokens.get(&(lock.to_owned(), holder.to_owned()))?;
        Some(ts[ts.len().saturating_sub(1 + age as usize)])
    }
}

fn fail(msg: String) -> TestCaseError {
    TestCaseError::fail(msg)
}

#[derive(Debug, Clone)]
enum ElectionStep {
    Advance(u64),
    Toggle(usize),
    Tick,
    /// Every alive member that was told it leads renews with the term it was told.
    Heartbeat,
    /// A member renews with an arbitrary term.
    Renew {
        member: usize,
        term: u64,
    },
}

fn election_step(members: usize) -> impl Strategy<Value = ElectionStep> {
    prop_oneof![
        3 => (0u64..30).prop_map(ElectionStep::Advance),
        2 => (0..members).prop_map(ElectionStep::Toggle),
        3 => Just(ElectionStep::Tick),
        3 => Just(ElectionStep::Heartbeat),
        1 => (0..members, 0u64..6).prop_map(|(member, term)| ElectionStep::Renew { member, term }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// (a) no two holders of a lock overlap in time, (b) tokens strictly increase per lock, (c) a write
    /// fenced with anything but the lock's latest token is refused; also waiters are served in FIFO
    /// order, stale releases and renewals fail, and replaying the changes rebuilds the locks and board.
    #[test]
    fn locks_never_overlap_and_fencing_holds(steps in prop::collection::vec(lock_step(), 1..120)) {
        let mut locks = Locks::new();
        let mut bb = Blackboard::new(4);
        let mut writes = Vec::new();
        let mut audit = Auditor::default();
        let mut crashed = [false; HOLDERS.len()];
        let mut now = 0u64;
        for step in steps {
            match step {
                LockStep::Advance(dt) => now += dt,
                LockStep::Expire => audit.see(now, locks.expire(now))?,
                LockStep::Crash { holder, withdraw } => {
                    crashed[holder] = true;
                    if withdraw {
                        audit.see(now, locks.withdraw_all(HOLDERS[holder], now))?;
                    }
                }
                LockStep::Revive { holder } => crashed[holder] = false,
                LockStep::Acquire { holder, .. }
                | LockStep::Release { holder, .. }
                | LockStep::Renew { holder, .. }
                | LockStep::Write { holder, .. } if crashed[holder] => {}
                LockStep::Acquire { lock, holder, ttl } => {
                    let op = |l: &mut Locks| l.acquire(LOCKS[lock], HOLDERS[holder], now, ttl);
                    let planned = locks.dry_run(LOCKS[lock], op);
                    let o = op(&mut locks);
                    prop_assert_eq!(&planned, &o, "a dry run predicts the live operation");
                    if let Acquire::Granted { token, .. } = o.answer {
                        let mine = o.changes.last();
                        let ok = matches!(mine, Some(LockChange::Granted { token: t, .. }) if *t == token);
                        prop_assert!(ok, "the grant answered is the last change: {:?}", o.changes);
                    }
                    audit.see(now, o.changes)?;
                }
                LockStep::Release { lock, holder, age } => {
                    let token = audit.token(LOCKS[lock], HOLDERS[holder], age).unwrap_or(0);
                    let latest = audit.locks.get(LOCKS[lock]).map_or(0, |a| a.last_token);
                    let op = |l: &mut Locks| l.release(LOCKS[lock], HOLDERS[holder], token, now);
                    let planned = locks.dry_run(LOCKS[lock], op);
                    let o = op(&mut locks);
                    prop_assert_eq!(&planned, &o, "a dry run predicts the live operation");
                    prop_assert!(token >= latest || o.answer.is_err(), "stale {token} < {latest} released");
                    audit.see(now, o.changes)?;
                }
                LockStep::Renew { lock, holder, age, ttl } => {
                    let token = audit.token(LOCKS[lock], HOLDERS[holder], age).unwrap_or(0);
                    let latest = audit.locks.get(LOCKS[lock]).map_or(0, |a| a.last_token);
                    let op = |l: &mut Locks| l.renew(LOCKS[lock], HOLDERS[holder], token, now, ttl);
                    let planned = locks.dry_run(LOCKS[lock], op);
                    let o = op(&mut locks);
                    prop_assert_eq!(&planned, &o, "a dry run predicts the live operation");
                    prop_assert!(token >= latest || o.answer.is_err(), "stale {token} < {latest} renewed");
                    audit.see(now, o.changes)?;
                }
                LockStep::Write { lock, holder, age, forged } => {
                    let (name, who) = (LOCKS[lock], HOLDERS[holder]);
                    let token = audit.token(name, who, age).unwrap_or(0) + forged;
                    let highest = audit.locks.get(name).map_or(0, |a| a.last_token);
                    let (key, fence) = (format!("k{lock}"), Some(locks.fence(name, token)));
                    let o = bb.write(&key, json!([who, token]), bb.version(&key), who, now, fence);
                    match &o {
                        WriteOutcome::Written { .. } => {
                            prop_assert!(token != 0 && token == highest, "{who} wrote with {token}, latest {highest}");
                        }
                        WriteOutcome::StaleToken { highest: h, .. } => {
                            prop_assert!(token != 0 && token < highest && *h == highest, "{o:?}, latest {highest}");
                        }
                        WriteOutcome::UnknownToken { .. } => prop_assert!(token == 0 || token > highest, "{o:?}"),
                        WriteOutcome::Conflict { .. } => prop_assert!(false, "wrote at the version read: {o:?}"),
                    }
                    writes.push((now, o));
                }
            }
        }
        // (a), literally: per lock, every lease ends before the next begins.
        for (name, a) in &mut audit.locks {
            if let Some((h, _, from, until)) = a.held.take() {
                a.intervals.push((from, until, h));
            }
            for pair in a.intervals.windows(2) {
                prop_assert!(pair[0].1 <= pair[1].0, "{name}: {:?} overlaps {:?}", pair[0], pair[1]);
            }
        }
        let mut replayed = Locks::new();
        for (t, c) in &audit.log {
            replayed.apply(*t, c);
        }
        prop_assert_eq!(replayed, locks);
        let mut board = Blackboard::new(4);
        for (t, o) in &writes {
            board.apply(*t, o);
        }
        prop_assert_eq!(board, bb);
    }

    /// (d) terms strictly increase and no term has two leaders; leases never overlap, only the
    /// current leader renews, and only alive members are elected.
    #[test]
    fn elections_never_have_two_leaders_in_a_term(
        (members, steps) in (1usize..5).prop_flat_map(|n| (Just(n), prop::collection::vec(election_step(n), 1..150))),
        lease_ms in 1u64..50,
    ) {
        let names: Vec<String> = (0..members).map(|i| format!("m{i}")).collect();
        let mut e = Election::new("g", names.clone(), lease_ms);
        let mut alive = vec![true; members];
        // What each member was last told: the term it leads.
        let mut told: BTreeMap<String, u64> = BTreeMap::new();
        let mut leaders: BTreeMap<u64, String> = BTreeMap::new();
        let (mut last_term, mut lease_until, mut current): (u64, u64, Option<(String, u64)>) = (0, 0, None);
        let mut log = Vec::new();
        let mut now = 0u64;
        for step in steps {
            let events = match step {
                ElectionStep::Advance(dt) => { now += dt; vec![] }
                ElectionStep::Toggle(i) => { alive[i] = !alive[i]; vec![] }
                ElectionStep::Tick => {
                    let up = |m: &str| alive[names.iter().position(|n| n == m).unwrap()];
                    e.tick(now, &up)
                }
                ElectionStep::Heartbeat => told
                    .iter()
                    .filter(|(m, _)| alive[names.iter().position(|n| n == *m).unwrap()])
                    .map(|(m, t)| e.renew(m, *t, now))
                    .collect(),
                ElectionStep::Renew { member, term } => vec![e.renew(&names[member], term, now)],
            };
            for ev in events {
                match &ev {
                    ElectionEvent::Elected { term, leader, lease_until: until, .. } => {
                        prop_assert!(*term > last_term, "term {term} after {last_term}");
                        prop_assert!(current.is_none(), "elected {leader} while {current:?} leads");
                        prop_assert!(now >= lease_until, "{leader} elected at {now}, old lease ran to {lease_until}");
                        let i = names.iter().position(|n| n == leader).unwrap();
                        prop_assert!(alive[i], "{leader} elected while down");
                        prop_assert!(leaders.insert(*term, leader.clone()).is_none(), "term {term} had a leader");
                        last_term = *term;
                        lease_until = *until;
                        current = Some((leader.clone(), *term));
                        told.insert(leader.clone(), *term);
                    }
                    ElectionEvent::Renewed { term, leader, lease_until: until, .. } => {
                        prop_assert_eq!(current.clone(), Some((leader.clone(), *term)));
                        prop_assert!(now < lease_until, "renewed at {now} after the lease ran out at {lease_until}");
                        lease_until = *until;
                    }
                    ElectionEvent::LeaseExpired { term, leader, .. } => {
                        prop_assert_eq!(current.take(), Some((leader.clone(), *term)));
                        prop_assert!(now >= lease_until, "expired at {now}, before {lease_until}");
                    }
                    ElectionEvent::NoCandidate { .. } => {
                        prop_assert!(current.is_none() && alive.iter().all(|a| !a), "vacant with {alive:?}");
                    }
                    ElectionEvent::RenewRejected { .. } => {}
                }
                log.push(ev);
            }
            prop_assert_eq!(e.leader().map(|(m, t)| (m.to_owned(), t)), current.clone());
        }
        let mut replayed = Election::new("g", names, lease_ms);
        for ev in &log {
            replayed.apply(ev);
        }
        prop_assert_eq!(replayed, e);
    }
}

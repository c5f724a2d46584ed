//! Lock unit tests: grants, FIFO queues, expiry, renewal, rejections, token order and fencing.

use super::*;

fn granted(o: &LockOutcome<Acquire>) -> Token {
    match o.answer {
        Acquire::Granted { token, .. } => token,
        a => panic!("expected a grant, got {a:?}"),
    }
}

#[test]
fn a_free_lock_is_granted_with_token_one_and_a_lease() {
    let mut locks = Locks::new();
    let o = locks.acquire("db", "alice", 100, 50);
    assert_eq!(o.answer, Acquire::Granted { token: 1, expires_at: 150 });
    assert_eq!(
        o.changes,
        vec![LockChange::Granted { lock: "db".into(), holder: "alice".into(), token: 1, expires_at: 150 }]
    );
    let lease = locks.lease("db").unwrap();
    assert_eq!((lease.holder.as_str(), lease.token, lease.granted_at), ("alice", 1, 100));
    assert_eq!(locks.highest_token("db"), 1);
    assert_eq!(locks.highest_token("other"), 0);
    assert_eq!(locks.next_expiry(), Some(150));
}

#[test]
fn asking_again_changes_nothing() {
    let mut locks = Locks::new();
    let _ = locks.acquire("db", "alice", 0, 50);
    let _ = locks.acquire("db", "bob", 1, 50);
    let again = locks.acquire("db", "alice", 2, 99);
    assert_eq!(again.answer, Acquire::AlreadyHeld { token: 1, expires_at: 50 });
    assert!(again.changes.is_empty());
    let again = locks.acquire("db", "bob", 3, 50);
    assert_eq!(again.answer, Acquire::Queued { position: 1 });
    assert!(again.changes.is_empty());
    assert_eq!(locks.waiters("db").count(), 1);
}

#[test]
fn waiters_are_served_first_in_first_out() {
    let mut locks = Locks::new();
    let t1 = granted(&locks.acquire("db", "alice", 0, 100));
    assert_eq!(locks.acquire("db", "bob", 1, 100).answer, Acquire::Queued { position: 1 });
    assert_eq!(locks.acquire("db", "carol", 2, 30).answer, Acquire::Queued { position: 2 });
    let names: Vec<&str> = locks.waiters("db").map(|w| w.holder.as_str()).collect();
    assert_eq!(names, ["bob", "carol"]);

    let o = locks.release("db", "alice", t1, 10);
    assert_eq!(o.answer, Ok(Some(Grant { holder: "bob".into(), token: 2, expires_at: 110 })));
    assert_eq!(o.changes.len(), 2, "released, then granted: {:?}", o.changes);
    let o = locks.release("db", "bob", 2, 20);
    assert_eq!(o.answer, Ok(Some(Grant { holder: "carol".into(), token: 3, expires_at: 50 })));
    let o = locks.release("db", "carol", 3, 21);
    assert_eq!(o.answer, Ok(None));
    assert!(locks.lease("db").is_none());
    assert_eq!(locks.next_expiry(), None);
}

#[test]
fn expiry_grants_the_next_waiter() {
    let mut locks = Locks::new();
    let _ = locks.acquire("db", "alice", 0, 100);
    let _ = locks.acquire("db", "bob", 5, 40);
    assert!(locks.expire(99).is_empty(), "not yet");
    let changes = locks.expire(100);
    assert_eq!(
        changes,
        vec![
            LockChange::Expired { lock: "db".into(), holder: "alice".into(), token: 1 },
            LockChange::Granted { lock: "db".into(), holder: "bob".into(), token: 2, expires_at: 140 },
        ]
    );
    assert_eq!(locks.next_expiry(), Some(140));
}

#[test]
fn expire_covers_every_due_lock_in_name_order() {
    let mut locks = Locks::new();
    let _ = locks.acquire("b", "x", 0, 10);
    let _ = locks.acquire("a", "y", 0, 20);
    let _ = locks.acquire("c", "z", 0, 30);
    let changes = locks.expire(25);
    assert_eq!(changes.iter().map(LockChange::lock).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(locks.next_expiry(), Some(30));
}

#[test]
fn renew_extends_the_lease() {
    let mut locks = Locks::new();
    let t = granted(&locks.acquire("db", "alice", 0, 100));
    let o = locks.renew("db", "alice", t, 90, 100);
    assert_eq!(o.answer, Ok(190));
    assert!(locks.expire(150).is_empty());
    assert_eq!(locks.lease("db").unwrap().expires_at, 190);
    assert_eq!(locks.next_expiry(), Some(190));
}

#[test]
fn a_renewal_after_the_lease_ran_out_is_too_late() {
    let mut locks = Locks::new();
    let t = granted(&locks.acquire("db", "alice", 0, 100));
    let _ = locks.acquire("db", "bob", 1, 100);
    // No expire() call in between: the renewal itself finds the lease over and hands it on.
    let o = locks.renew("db", "alice", t, 100, 100);
    assert_eq!(o.answer, Err(Rejection::StaleToken { highest: 2 }));
    let kinds: Vec<&str> = o
        .changes
        .iter()
        .map(|c| match c {
            LockChange::Expired { .. } => "expired",
            LockChange::Granted { .. } => "granted",
            LockChange::Rejected { .. } => "rejected",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["expired", "granted", "rejected"]);
    assert_eq!(locks.lease("db").unwrap().holder, "bob");
}

#[test]
fn stale_and_foreign_releases_are_rejected() {
    let mut locks = Locks::new();
    let t1 = granted(&locks.acquire("db", "alice", 0, 10));
    let _ = locks.expire(10);
    assert_eq!(locks.release("db", "alice", t1, 11).answer, Err(Rejection::NotHeld));
    let t2 = granted(&locks.acquire("db", "bob", 12, 10));
    assert_eq!(t2, 2);
    let o = locks.release("db", "alice", t1, 13);
    assert_eq!(o.answer, Err(Rejection::StaleToken { highest: 2 }));
    assert_eq!(
        o.changes,
        vec![LockChange::Rejected {
            lock: "db".into(),
            holder: "alice".into(),
            token: 1,
            op: LockOp::Release,
            reason: Rejection::StaleToken { highest: 2 },
        }]
    );
    assert_eq!(locks.release("db", "alice", t2, 13).answer, Err(Rejection::NotHolder));
    assert_eq!(locks.renew("db", "bob", 7, 13, 10).answer, Err(Rejection::NotHolder));
    assert_eq!(locks.lease("db").unwrap().holder, "bob", "rejections change nothing");
}

#[test]
fn tokens_strictly_increase_per_lock_across_every_kind_of_grant() {
    let mut locks = Locks::new();
    let mut tokens = Vec::new();
    let mut now = 0;
    for round in 0..5 {
        let t = granted(&locks.acquire("db", "a", now, 10));
        tokens.push(t);
        let _ = locks.acquire("db", "b", now, 10);
        now += 5;
        if round % 2 == 0 {
            let o = locks.release("db", "a", t, now);
            tokens.push(o.answer.unwrap().unwrap().token);
        } else {
            now += 10;
            for c in locks.expire(now) {
                if let LockChange::Granted { token, .. } = c {
                    tokens.push(token);
                }
            }
        }
        let lease = locks.lease("db").unwrap().clone();
        let _ = locks.release("db", &lease.holder, lease.token, now);
    }
    assert_eq!(tokens, (1..=10).collect::<Vec<_>>());
    // Another lock counts on its own.
    assert_eq!(granted(&locks.acquire("cache", "a", now, 10)), 1);
}

#[test]
fn fences_accept_only_the_latest_token() {
    let mut locks = Locks::new();
    assert_eq!(locks.check_fence("db", 1), Err(FenceError::Unknown { highest: 0 }));
    let _ = locks.acquire("db", "a", 0, 10);
    let _ = locks.acquire("db", "b", 0, 10);
    let _ = locks.expire(10);
    assert_eq!(locks.check_fence("db", 1), Err(FenceError::Stale { highest: 2 }));
    assert_eq!(locks.check_fence("db", 2), Ok(()));
    assert_eq!(locks.fence("db", 3).check(), Err(FenceError::Unknown { highest: 2 }));
    assert_eq!(locks.check_fence("db", 0), Err(FenceError::Unknown { highest: 2 }));
}

#[test]
fn a_crashed_waiter_is_withdrawn_from_every_queue() {
    let mut locks = Locks::new();
    let ta = granted(&locks.acquire("a", "x", 0, 10));
    let _ = locks.acquire("b", "x", 0, 10);
    let _ = locks.acquire("a", "dead", 1, 10);
    let _ = locks.acquire("b", "dead", 1, 10);
    let _ = locks.acquire("a", "y", 2, 10);
    let changes = locks.withdraw_all("dead", 3);
    assert_eq!(
        changes,
        vec![
            LockChange::Withdrawn { lock: "a".into(), holder: "dead".into() },
            LockChange::Withdrawn { lock: "b".into(), holder: "dead".into() },
        ]
    );
    let o = locks.release("a", "x", ta, 4);
    assert_eq!(o.answer.unwrap().unwrap().holder, "y");
    assert!(!locks.withdraw("a", "dead", 5).answer);
}

#[test]
fn a_zero_ttl_grant_lapses_at_once_and_the_queue_moves_on() {
    let mut locks = Locks::new();
    let t = granted(&locks.acquire("db", "a", 0, 10));
    let _ = locks.acquire("db", "b", 1, 0);
    let _ = locks.acquire("db", "c", 2, 10);
    let o = locks.release("db", "a", t, 5);
    let holders: Vec<String> = o
        .changes
        .iter()
        .filter_map(|c| match c {
            LockChange::Granted { holder, .. } => Some(holder.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(holders, ["b"]);
    // The next operation finds b's empty lease over.
    let changes = locks.expire(5);
    assert_eq!(changes.len(), 2);
    assert_eq!(locks.lease("db").unwrap().holder, "c");
    assert_eq!(locks.highest_token("db"), 3);
}

#[test]
fn replaying_the_changes_rebuilds_the_same_locks() {
    let mut locks = Locks::new();
    let mut log: Vec<(u64, LockChange)> = Vec::new();
    let mut keep = |now: u64, changes: Vec<LockChange>| log.extend(changes.into_iter().map(|c| (now, c)));
    keep(0, locks.acquire("db", "a", 0, 10).changes);
    keep(1, locks.acquire("db", "b", 1, 10).changes);
    keep(2, locks.acquire("db", "c", 2, 10).changes);
    keep(3, locks.renew("db", "a", 1, 3, 10).changes);
    keep(13, locks.expire(13));
    keep(14, locks.withdraw("db", "c", 14).changes);
    keep(15, locks.release("db", "a", 1, 15).changes);
    let mut replayed = Locks::new();
    for (now, c) in &log {
        replayed.apply(*now, c);
    }
    assert_eq!(replayed, locks);
}

#[test]
fn changes_serialize_with_a_type_tag() {
    let c = LockChange::Expired { lock: "db".into(), holder: "a".into(), token: 3 };
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json, serde_json::json!({"type": "expired", "lock": "db", "holder": "a", "token": 3}));
    assert_eq!(serde_json::from_value::<LockChange>(json).unwrap(), c);
}

#[test]
fn a_crashed_waiter_is_not_granted_on_its_way_out() {
    let mut locks = Locks::new();
    let _ = locks.acquire("db", "a", 0, 10);
    let _ = locks.acquire("db", "dead", 1, 10);
    let _ = locks.acquire("db", "live", 2, 10);
    // a's lease ran out at 10 and nobody has expired it yet when the crash is noticed.
    let changes = locks.withdraw_all("dead", 12);
    assert_eq!(changes, [LockChange::Withdrawn { lock: "db".into(), holder: "dead".into() }]);
    let changes = locks.expire(12);
    assert!(matches!(&changes[1], LockChange::Granted { holder, token: 2, .. } if holder == "live"), "{changes:?}");
}

#[test]
fn rejections_on_an_unused_lock_leave_no_trace() {
    let mut locks = Locks::new();
    assert_eq!(locks.release("nope", "a", 1, 0).answer, Err(Rejection::NotHeld));
    assert_eq!(locks.renew("nope", "a", 0, 0, 5).answer, Err(Rejection::NotHeld));
    assert_eq!(locks.names().count(), 0);
    assert_eq!(locks, Locks::new());
}

#[test]
fn a_dry_run_changes_nothing_and_its_changes_replay_to_the_live_result() {
    let mut locks = Locks::new();
    let _ = locks.acquire("db", "a", 0, 10);
    let _ = locks.acquire("db", "b", 1, 10);
    let _ = locks.acquire("other", "c", 1, 10);
    let before = locks.clone();
    let planned = locks.dry_run("db", |l| l.acquire("db", "c", 12, 10));
    assert_eq!(locks, before);
    for c in &planned.changes {
        locks.apply(12, c);
    }
    let mut live = before;
    assert_eq!(live.acquire("db", "c", 12, 10), planned);
    assert_eq!(live, locks);
    assert_eq!(locks.lease("db").unwrap().holder, "b");
    assert_eq!(locks.lease("other").unwrap().holder, "c", "other locks are untouched");
}

//! Lease-based leader election for a named group of agents.
//!
//! The leader holds a lease for `lease_ms` and keeps it by renewing ([`Election::renew`]). A leader
//! that goes down stops renewing; once its lease has run out, the next [`Election::tick`] starts a
//! new term and picks the first alive member in the group's fixed order, passing over the member
//! whose lease just lapsed (it may be alive but hung) unless nobody else is alive. Waiting for the
//! lease, rather than acting on a liveness report, is what makes it safe: the old leader may still
//! believe it leads until its lease ends, so nobody else may lead before then.
//!
//! Invariants: terms strictly increase, each term has exactly one leader, and leases never overlap.
//! Renewals must name the current term, so a deposed leader that comes back with its old term is
//! turned away.
//!
//! Pure and deterministic like the coordinator: time comes in as `now`, liveness as a predicate, and
//! every change comes out as an [`ElectionEvent`], applied through [`Election::apply`] (so replaying
//! the journaled events rebuilds the election).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Leadership {
    member: usize,
    /// The lease covers up to, not including, this instant.
    lease_until: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    group: String,
    members: Vec<String>,
    lease_ms: u64,
    /// The latest term; 0 before the first election.
    term: u64,
    leader: Option<Leadership>,
    /// The last leader whose lease ran out, passed over at the next election if possible.
    lapsed: Option<usize>,
    /// A [`ElectionEvent::NoCandidate`] was emitted since the last election (said once, not per tick).
    vacancy_reported: bool,
}

/// Why a renewal was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RenewRejection {
    /// The term is over; `current` is the latest.
    StaleTerm { current: u64 },
    /// The member does not lead this term (or the term has not started).
    NotLeader,
    /// The lease ran out before the renewal arrived; the next tick elects again.
    LeaseLapsed { lease_until: u64 },
}

/// One change to an election: what the coordinator journals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ElectionEvent {
    /// `leader` leads `term` until `lease_until` unless it renews.
    Elected {
        group: String,
        term: u64,
        leader: String,
        lease_until: u64,
    },
    Renewed {
        group: String,
        term: u64,
        leader: String,
        lease_until: u64,
    },
    /// The leader did not renew in time; its term is over.
    LeaseExpired {
        group: String,
        term: u64,
        leader: String,
    },
    /// No member is alive to lead; the group stays leaderless until someone is.
    NoCandidate {
        group: String,
    },
    /// Nothing changed; journaled so that a stale leader's attempt is visible.
    RenewRejected {
        group: String,
        member: String,
        term: u64,
        reason: RenewRejection,
    },
}

impl Election {
    /// A leaderless group; the first [`Election::tick`] elects. `members` is the order of preference.
    ///
    /// # Panics
    /// If a member is listed twice.
    pub fn new(
        group: impl Into<String>,
        members: impl IntoIterator<Item = impl Into<String>>,
        lease_ms: u64,
    ) -> Election {
        let members: Vec<String> = members.into_iter().map(Into::into).collect();
        for (i, m) in members.iter().enumerate() {
            assert!(!members[..i].contains(m), "member {m} is listed twice");
        }
        Election {
            group: group.into(),
            members,
            lease_ms,
            term: 0,
            leader: None,
            lapsed: None,
            vacancy_reported: false,
        }
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    /// How long a lease lasts without renewal.
    pub fn lease_ms(&self) -> u64 {
        self.lease_ms
    }

    pub fn members(&self) -> &[String] {
        &self.members
    }

    /// The latest term (0 before the first election); it may have no leader any more.
    pub fn term(&self) -> u64 {
        self.term
    }

    /// The current leader and its term. The lease may have run out if no tick has seen it yet.
    pub fn leader(&self) -> Option<(&str, u64)> {
        self.leader.map(|l| (self.members[l.member].as_str(), self.term))
    }

    /// When the leader's lease runs out: tick then. `None` without a leader, when only a member coming
    /// back can change anything, so the caller ticks when one does.
    pub fn next_deadline(&self) -> Option<u64> {
        self.leader.map(|l| l.lease_until)
    }

    /// Ends a lapsed lease and elects a leader if the group has none.
    pub fn tick(&mut self, now: u64, alive: &dyn Fn(&str) -> bool) -> Vec<ElectionEvent> {
        let mut events = Vec::new();
        if let Some(l) = self.leader
            && l.lease_until <= now
        {
            let leader = self.members[l.member].clone();
            self.record(
                ElectionEvent::LeaseExpired { group: self.group.clone(), term: self.term, leader },
                &mut events,
            );
        }
        if self.leader.is_none() {
            match self.candidate(alive) {
                Some(i) => {
                    let ev = ElectionEvent::Elected {
                        group: self.group.clone(),
                        term: self.term + 1,
                        leader: self.members[i].clone(),
                        lease_until: now.saturating_add(self.lease_ms),
                    };
                    self.record(ev, &mut events);
                }
                None if !self.vacancy_reported => {
                    self.record(ElectionEvent::NoCandidate { group: self.group.clone() }, &mut events)
                }
                None => {}
            }
        }
        events
    }

    /// The events [`Election::tick`] would make, changing nothing: for a caller that applies them
    /// through its own journal (the coordinator's `State::apply`). A clone is cheap: a group is small.
    pub fn plan_tick(&self, now: u64, alive: &dyn Fn(&str) -> bool) -> Vec<ElectionEvent> {
        self.clone().tick(now, alive)
    }

    /// The leader of `term` extends its lease to `now + lease_ms`.
    pub fn renew(&mut self, member: &str, term: u64, now: u64) -> ElectionEvent {
        let ev = match self.leader {
            _ if term < self.term => Err(RenewRejection::StaleTerm { current: self.term }),
            Some(l) if term == self.term && self.members[l.member] == member => {
                if l.lease_until <= now {
                    Err(RenewRejection::LeaseLapsed { lease_until: l.lease_until })
                } else {
                    Ok(now.saturating_add(self.lease_ms))
                }
            }
            _ => Err(RenewRejection::NotLeader),
        };
        let (group, member) = (self.group.clone(), member.to_owned());
        let ev = match ev {
            Ok(lease_until) => ElectionEvent::Renewed { group, term, leader: member, lease_until },
            Err(reason) => ElectionEvent::RenewRejected { group, member, term, reason },
        };
        self.apply(&ev);
        ev
    }

    /// Applies one event. The operations call it for every event they make; replaying journaled
    /// events through it rebuilds the same election.
    pub fn apply(&mut self, ev: &ElectionEvent) {
        match ev {
            ElectionEvent::Elected { term, leader, lease_until, .. } => {
                self.term = *term;
                self.leader = Some(Leadership { member: self.index(leader), lease_until: *lease_until });
                self.lapsed = None;
                self.vacancy_reported = false;
            }
            ElectionEvent::Renewed { lease_until, .. } => {
                if let Some(l) = &mut self.leader {
                    l.lease_until = *lease_until;
                }
            }
            ElectionEvent::LeaseExpired { leader, .. } => {
                self.lapsed = Some(self.index(leader));
                self.leader = None;
            }
            ElectionEvent::NoCandidate { .. } => self.vacancy_reported = true,
            ElectionEvent::RenewRejected { .. } => {}
        }
    }

    fn record(&mut self, ev: ElectionEvent, events: &mut Vec<ElectionEvent>) {
        self.apply(&ev);
        events.push(ev);
    }

    /// The first alive member other than the one whose lease lapsed; that one only as a last resort.
    fn candidate(&self, alive: &dyn Fn(&str) -> bool) -> Option<usize> {
        let is_alive = |i: &usize| alive(&self.members[*i]);
        (0..self.members.len()).filter(|&i| Some(i) != self.lapsed).find(is_alive).or(self.lapsed.filter(is_alive))
    }

    fn index(&self, member: &str) -> usize {
        self.members.iter().position(|m| m == member).expect("events name members of the group")
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::BTreeSet;

    use super::*;

    /// Liveness the test can change between ticks.
    struct Alive(RefCell<BTreeSet<&'static str>>);

    impl Alive {
        fn new(up: &[&'static str]) -> Alive {
            Alive(RefCell::new(up.iter().copied().collect()))
        }
        fn set(&self, m: &'static str, up: bool) {
            if up {
                self.0.borrow_mut().insert(m)
            } else {
                self.0.borrow_mut().remove(m)
            };
        }
        fn f(&self) -> impl Fn(&str) -> bool + '_ {
            |m| self.0.borrow().contains(m)
        }
    }

    fn elected(group: &str, term: u64, leader: &str, lease_until: u64) -> ElectionEvent {
        ElectionEvent::Elected { group: group.into(), term, leader: leader.into(), lease_until }
    }

    fn expired(term: u64, leader: &str) -> ElectionEvent {
        ElectionEvent::LeaseExpired { group: "g".into(), term, leader: leader.into() }
    }

    #[test]
    fn the_first_tick_elects_the_first_alive_member() {
        let alive = Alive::new(&["b", "c"]);
        let mut e = Election::new("g", ["a", "b", "c"], 100);
        assert_eq!((e.leader(), e.term(), e.next_deadline()), (None, 0, None));
        assert_eq!(e.tick(5, &alive.f()), [elected("g", 1, "b", 105)]);
        assert_eq!((e.leader(), e.next_deadline()), (Some(("b", 1)), Some(105)));
        assert!(e.tick(50, &alive.f()).is_empty(), "a leader with a live lease stays");
    }

    #[test]
    fn renewing_extends_the_lease() {
        let alive = Alive::new(&["a"]);
        let mut e = Election::new("g", ["a", "b"], 100);
        let _ = e.tick(0, &alive.f());
        let ev = e.renew("a", 1, 90);
        assert_eq!(ev, ElectionEvent::Renewed { group: "g".into(), term: 1, leader: "a".into(), lease_until: 190 });
        assert!(e.tick(150, &alive.f()).is_empty());
        assert_eq!((e.leader(), e.next_deadline()), (Some(("a", 1)), Some(190)));
    }

    #[test]
    fn a_dead_leader_is_replaced_when_its_lease_runs_out_with_the_next_term() {
        let alive = Alive::new(&["a", "b", "c"]);
        let mut e = Election::new("g", ["a", "b", "c"], 100);
        let _ = e.tick(0, &alive.f());
        alive.set("a", false);
        // Dead or not, the lease stands until it runs out: a may not know it is cut off.
        assert!(e.tick(99, &alive.f()).is_empty());
        assert_eq!(e.leader(), Some(("a", 1)));
        assert_eq!(e.tick(100, &alive.f()), [expired(1, "a"), elected("g", 2, "b", 200)]);
        // b dies too; c takes over with term 3.
        alive.set("b", false);
        assert_eq!(e.tick(200, &alive.f()), [expired(2, "b"), elected("g", 3, "c", 300)]);
    }

    #[test]
    fn a_hung_leader_is_passed_over_unless_nobody_else_is_alive() {
        let alive = Alive::new(&["a", "b"]);
        let mut e = Election::new("g", ["a", "b"], 10);
        let _ = e.tick(0, &alive.f());
        // a is "alive" but does not renew: b leads next.
        assert_eq!(e.tick(10, &alive.f()), [expired(1, "a"), elected("g", 2, "b", 20)]);
        // b goes down for good; a is the only one left, so a leads again, in a new term.
        alive.set("b", false);
        assert_eq!(e.tick(20, &alive.f()), [expired(2, "b"), elected("g", 3, "a", 30)]);
        alive.set("b", true);
        alive.set("a", false);
        assert_eq!(e.tick(30, &alive.f()), [expired(3, "a"), elected("g", 4, "b", 40)]);
    }

    #[test]
    fn stale_and_foreign_renewals_are_rejected() {
        let alive = Alive::new(&["a", "b"]);
        let mut e = Election::new("g", ["a", "b"], 100);
        let _ = e.tick(0, &alive.f());
        alive.set("a", false);
        let _ = e.tick(100, &alive.f());
        assert_eq!(e.leader(), Some(("b", 2)));
        // a comes back believing it still leads term 1.
        let rejected = |member: &str, term, reason| ElectionEvent::RenewRejected {
            group: "g".into(),
            member: member.into(),
            term,
            reason,
        };
        assert_eq!(e.renew("a", 1, 110), rejected("a", 1, RenewRejection::StaleTerm { current: 2 }));
        assert_eq!(e.renew("a", 2, 110), rejected("a", 2, RenewRejection::NotLeader));
        assert_eq!(e.renew("b", 3, 110), rejected("b", 3, RenewRejection::NotLeader));
        assert_eq!(e.renew("zed", 2, 110), rejected("zed", 2, RenewRejection::NotLeader));
        // Too late: the lease ran out at 200 even though no tick has noticed yet.
        assert_eq!(e.renew("b", 2, 200), rejected("b", 2, RenewRejection::LeaseLapsed { lease_until: 200 }));
        assert_eq!((e.leader(), e.next_deadline()), (Some(("b", 2)), Some(200)), "rejections change nothing");
    }

    #[test]
    fn nobody_leads_while_nobody_is_alive_and_someone_returning_takes_over() {
        let alive = Alive::new(&["a"]);
        let mut e = Election::new("g", ["a", "b"], 10);
        let _ = e.tick(0, &alive.f());
        alive.set("a", false);
        let none = ElectionEvent::NoCandidate { group: "g".into() };
        assert_eq!(e.tick(10, &alive.f()), [expired(1, "a"), none.clone()]);
        assert!(e.tick(20, &alive.f()).is_empty(), "said once, not every tick");
        assert_eq!((e.leader(), e.term(), e.next_deadline()), (None, 1, None));
        alive.set("b", true);
        assert_eq!(e.tick(25, &alive.f()), [elected("g", 2, "b", 35)]);
        // A later vacancy is reported again.
        alive.set("b", false);
        assert_eq!(e.tick(35, &alive.f()), [expired(2, "b"), none]);
    }

    #[test]
    fn an_empty_group_never_elects() {
        let mut e = Election::new("g", Vec::<String>::new(), 10);
        assert_eq!(e.tick(0, &|_| true), [ElectionEvent::NoCandidate { group: "g".into() }]);
        assert_eq!(e.leader(), None);
    }

    #[test]
    #[should_panic(expected = "listed twice")]
    fn a_member_listed_twice_is_a_bug() {
        let _ = Election::new("g", ["a", "b", "a"], 10);
    }

    #[test]
    fn replaying_the_events_rebuilds_the_election() {
        let alive = Alive::new(&["a", "b"]);
        let mut e = Election::new("g", ["a", "b"], 10);
        let mut log = e.tick(0, &alive.f());
        log.push(e.renew("a", 1, 5));
        alive.set("a", false);
        log.extend(e.tick(15, &alive.f()));
        log.push(e.renew("a", 1, 16));
        let mut replayed = Election::new("g", ["a", "b"], 10);
        for ev in &log {
            replayed.apply(ev);
        }
        assert_eq!(replayed, e);
        alive.set("b", false);
        alive.set("a", true);
        let planned = e.plan_tick(25, &alive.f());
        assert_eq!(replayed, e, "planning changes nothing");
        assert_eq!(e.tick(25, &alive.f()), planned);
        let json = serde_json::to_value(&log[0]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "elected", "group": "g", "term": 1, "leader": "a", "lease_until": 10})
        );
    }
}

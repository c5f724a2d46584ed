//! The simulated network: which link faults and partitions are active, and what they do to a
//! message between any two endpoints (agent ↔ coordinator today, agent ↔ agent as well).
//!
//! A message meets the network once, when it is sent: it passes, is lost, or is held back for a
//! while. Faults expire by themselves at their `until_ms` (checked against the clock, so expiry
//! needs no event of its own) or all at once on a heal. With no fault active a message costs one
//! comparison.

use std::sync::Arc;

use crate::core::faults::{DropCause, LinkFault};
use crate::core::{AgentId, Endpoint};

/// What the network does to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    Pass,
    Lost(DropCause),
    /// It arrives this many milliseconds later.
    Delay(u64),
}

/// A `drop` (no delay) or `delay` fault on one link, in both directions.
#[derive(Debug, Clone)]
struct Link {
    ends: [Endpoint; 2],
    delay_ms: Option<u64>,
    until_ms: Option<u64>,
}

/// A partition: each agent's side; the coordinator is on side 0.
#[derive(Debug, Clone)]
struct Split {
    side: Vec<u32>,
    until_ms: Option<u64>,
    /// The partition an operator builds up by cutting agents off one at a time.
    by_operator: bool,
}

#[derive(Debug, Default, Clone)]
pub(super) struct Network {
    links: Vec<Link>,
    splits: Vec<Split>,
}

fn live(until_ms: Option<u64>, now: u64) -> bool {
    until_ms.is_none_or(|u| now < u)
}

impl Network {
    /// Whether no fault is active at `now`.
    pub fn is_clear(&self, now: u64) -> bool {
        !self.links.iter().any(|l| live(l.until_ms, now)) && !self.splits.iter().any(|s| live(s.until_ms, now))
    }

    /// Starts (or, for a heal, ends) link faults. `agents` is the number of agents.
    pub fn apply(&mut self, fault: &LinkFault, agents: usize) {
        match fault {
            LinkFault::Drop { link, until_ms } => {
                self.links.push(Link { ends: *link, delay_ms: None, until_ms: *until_ms })
            }
            LinkFault::Delay { link, delay_ms, until_ms } => {
                self.links.push(Link { ends: *link, delay_ms: Some(*delay_ms), until_ms: *until_ms })
            }
            LinkFault::Partition { groups, until_ms } => {
                let mut side = vec![0; agents];
                for (i, group) in groups.iter().enumerate() {
                    for a in group.iter() {
                        side[a.ix()] = i as u32;
                    }
                }
                self.splits.push(Split { side, until_ms: *until_ms, by_operator: false });
            }
            LinkFault::Heal => {
                self.links.clear();
                self.splits.clear();
            }
        }
    }

    /// Agents joined the run (a what-if's extra agents, at the end): they are on the
    /// coordinator's side of every partition.
    pub fn grow(&mut self, agents: usize) {
        for split in &mut self.splits {
            split.side.resize(agents.max(split.side.len()), 0);
        }
    }

    /// Whether an operator has cut `agent` off (and the network has not healed since).
    pub fn is_cut_off_by_operator(&self, agent: AgentId) -> bool {
        self.splits.iter().any(|s| s.by_operator && s.side[agent.ix()] != 0)
    }

    /// An operator cuts `agent` off from the coordinator, joining the agents cut off by hand
    /// before it (they still reach each other). Returns the partition as it now stands, for the
    /// journal.
    pub fn cut_off(&mut self, agent: AgentId, agents: usize) -> LinkFault {
        let at = match self.splits.iter().position(|s| s.by_operator) {
            Some(i) => i,
            None => {
                self.splits.push(Split { side: vec![0; agents], until_ms: None, by_operator: true });
                self.splits.len() - 1
            }
        };
        let split = &mut self.splits[at];
        split.side[agent.ix()] = 1;
        let group = |n: u32| -> Box<[AgentId]> {
            (0..agents as u32).filter(|&a| split.side[a as usize] == n).map(AgentId).collect()
        };
        LinkFault::Partition { groups: Arc::from([group(0), group(1)]), until_ms: None }
    }

    /// What happens to a message from `from` to `to` sent at `now`. A loss beats a delay; of
    /// several delays on the link the longest applies.
    pub fn verdict(&mut self, from: Endpoint, to: Endpoint, now: u64) -> Verdict {
        if self.links.is_empty() && self.splits.is_empty() {
            return Verdict::Pass;
        }
        self.links.retain(|l| live(l.until_ms, now));
        self.splits.retain(|s| live(s.until_ms, now));
        let side = |s: &Split, e: Endpoint| match e {
            Endpoint::Agent(a) => s.side[a.ix()],
            Endpoint::Coordinator | Endpoint::Broadcast => 0,
        };
        if self.splits.iter().any(|s| side(s, from) != side(s, to)) {
            return Verdict::Lost(DropCause::Partition);
        }
        let mut delay = 0;
        for l in &self.links {
            if l.ends == [from, to] || l.ends == [to, from] {
                match l.delay_ms {
                    None => return Verdict::Lost(DropCause::Drop),
                    Some(d) => delay = delay.max(d),
                }
            }
        }
        if delay > 0 { Verdict::Delay(delay) } else { Verdict::Pass }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Endpoint = Endpoint::Coordinator;
    const W0: Endpoint = Endpoint::Agent(AgentId(0));
    const W1: Endpoint = Endpoint::Agent(AgentId(1));
    const W2: Endpoint = Endpoint::Agent(AgentId(2));

    #[test]
    fn links_act_both_ways_until_they_expire() {
        let mut n = Network::default();
        n.apply(&LinkFault::Drop { link: [W0, C], until_ms: Some(100) }, 3);
        n.apply(&LinkFault::Delay { link: [W1, W2], delay_ms: 40, until_ms: None }, 3);
        n.apply(&LinkFault::Delay { link: [W2, W1], delay_ms: 70, until_ms: None }, 3);
        assert_eq!(n.verdict(C, W0, 0), Verdict::Lost(DropCause::Drop));
        assert_eq!(n.verdict(W0, C, 99), Verdict::Lost(DropCause::Drop));
        assert_eq!(n.verdict(W1, C, 50), Verdict::Pass);
        assert_eq!(n.verdict(W2, W1, 50), Verdict::Delay(70), "the longest delay applies");
        assert_eq!(n.verdict(W0, C, 100), Verdict::Pass, "expired at until_ms");
        assert!(!n.is_clear(100));
        n.apply(&LinkFault::Heal, 3);
        assert!(n.is_clear(100));
        assert_eq!(n.verdict(W1, W2, 100), Verdict::Pass);
    }

    #[test]
    fn a_partition_keeps_the_coordinator_with_the_first_group_and_unlisted_agents() {
        let mut n = Network::default();
        let groups: Arc<[Box<[AgentId]>]> = Arc::from([Box::from([AgentId(1)]), Box::from([AgentId(2)])]);
        n.apply(&LinkFault::Partition { groups, until_ms: None }, 3);
        assert_eq!(n.verdict(W0, C, 0), Verdict::Pass, "unlisted: with the coordinator");
        assert_eq!(n.verdict(W1, W0, 0), Verdict::Pass);
        assert_eq!(n.verdict(C, W2, 0), Verdict::Lost(DropCause::Partition));
        assert_eq!(n.verdict(W2, W1, 0), Verdict::Lost(DropCause::Partition));
    }

    #[test]
    fn operator_cut_offs_share_one_side() {
        let mut n = Network::default();
        n.cut_off(AgentId(0), 3);
        let LinkFault::Partition { groups, .. } = n.cut_off(AgentId(2), 3) else { panic!() };
        assert_eq!(&*groups[0], &[AgentId(1)]);
        assert_eq!(&*groups[1], &[AgentId(0), AgentId(2)]);
        assert!(n.is_cut_off_by_operator(AgentId(2)) && !n.is_cut_off_by_operator(AgentId(1)));
        assert_eq!(n.verdict(W0, W2, 0), Verdict::Pass);
        assert_eq!(n.verdict(W0, C, 0), Verdict::Lost(DropCause::Partition));
        assert_eq!(n.verdict(C, W1, 0), Verdict::Pass);
    }
}

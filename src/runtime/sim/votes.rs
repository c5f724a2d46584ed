//! Simulated voters: a seeded draw per (task, agent) from the agent's profile (`abstain_rate`,
//! then `approve_rate` of the rest), answered after a small seeded latency.

use crate::protocols::vote::Choice;
use crate::rng;
use crate::scenario::Profile;

/// Shortest and longest time a simulated voter takes to answer.
const LATENCY_MS: (u64, u64) = (40, 240);

/// How `agent` votes on the decision `task`, and after how long.
pub(super) fn answer(seed: u64, profile: &Profile, task: u32, agent: u32) -> (Choice, u64) {
    let u = rng::unit(seed, &[rng::domain::VOTE, task as u64, agent as u64]);
    let choice = if u < profile.abstain_rate {
        Choice::Abstain
    } else if u < profile.abstain_rate + (1.0 - profile.abstain_rate) * profile.approve_rate {
        Choice::Yes
    } else {
        Choice::No
    };
    let l = rng::unit(seed, &[rng::domain::VOTE_LATENCY, task as u64, agent as u64]);
    let latency = LATENCY_MS.0 + (l * (LATENCY_MS.1 - LATENCY_MS.0) as f64) as u64;
    (choice, latency)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_follow_the_profile_rates() {
        let profile = Profile { approve_rate: 0.6, abstain_rate: 0.2, ..Profile::default() };
        let mut counts = [0u32; 3];
        for task in 0..4000 {
            let (choice, latency) = answer(7, &profile, task, 3);
            assert!((LATENCY_MS.0..=LATENCY_MS.1).contains(&latency));
            counts[choice as usize] += 1;
        }
        // yes ≈ 0.8 × 0.6 = 0.48, no ≈ 0.32, abstain ≈ 0.2 of 4000.
        assert!((1800..2040).contains(&counts[0]), "{counts:?}");
        assert!((1150..1410).contains(&counts[1]), "{counts:?}");
        assert!((700..900).contains(&counts[2]), "{counts:?}");
        assert_eq!(answer(7, &profile, 5, 3), answer(7, &profile, 5, 3));
    }

    #[test]
    fn certain_rates_give_certain_votes() {
        let yes = Profile { approve_rate: 1.0, abstain_rate: 0.0, ..Profile::default() };
        let no = Profile { approve_rate: 0.0, abstain_rate: 0.0, ..Profile::default() };
        let abstain = Profile { approve_rate: 1.0, abstain_rate: 1.0, ..Profile::default() };
        for t in 0..50 {
            assert_eq!(answer(1, &yes, t, 0).0, Choice::Yes);
            assert_eq!(answer(1, &no, t, 0).0, Choice::No);
            assert_eq!(answer(1, &abstain, t, 0).0, Choice::Abstain);
        }
    }
}

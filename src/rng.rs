//! Deterministic randomness: stateless hashing of `(seed, keys…)` into uniform numbers.
//!
//! Every random draw in a run is a pure function of the scenario seed and the identity of what is
//! drawn (task, attempt, agent), never of the order in which things happen to be processed. That keeps
//! journals byte-identical across runs and makes a run resumable from any point.

/// SplitMix64 finaliser: a fast, well-mixed 64-bit permutation.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash a seed and a short list of keys into 64 well-mixed bits.
#[inline]
pub fn hash(seed: u64, keys: &[u64]) -> u64 {
    keys.iter().fold(mix64(seed), |h, &k| mix64(h ^ k))
}

/// A uniform float in `[0, 1)` from `(seed, keys…)`.
#[inline]
pub fn unit(seed: u64, keys: &[u64]) -> f64 {
    (hash(seed, keys) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Domain tags keep draws for different purposes independent of each other.
pub mod domain {
    pub const DURATION: u64 = 1;
    pub const FAILURE: u64 = 2;
    pub const BACKOFF: u64 = 3;
    pub const GEN: u64 = 4;
    /// Simulated agents' bids in auctions.
    pub const BID: u64 = 5;
    /// Whether an agent engages a task on the swarm board (per tick, agent, task).
    pub const SWARM: u64 = 21;
    /// A simulated reviewer's verdict, per (task, round).
    pub const REVIEW: u64 = 0x7EA1;
    /// A simulated voter's choice, per (task, agent).
    pub const VOTE: u64 = 6;
    pub const VOTE_LATENCY: u64 = 7;
    /// How long a simulated peer takes to answer a help request, per (exchange, peer).
    pub const HELP: u64 = 0x7EA2;
}

/// A small seeded generator for places that need a stream (scenario generation).
#[derive(Debug, Clone)]
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_is_in_range_and_depends_on_every_key() {
        let a = unit(42, &[1, 2, 3]);
        assert!((0.0..1.0).contains(&a));
        assert_ne!(a, unit(42, &[1, 2, 4]));
        assert_ne!(a, unit(43, &[1, 2, 3]));
        assert_eq!(a, unit(42, &[1, 2, 3]));
    }

    #[test]
    fn below_stays_below_and_covers_the_range() {
        let mut r = SplitMix::new(7);
        let mut seen = [false; 10];
        for _ in 0..1000 {
            let v = r.below(10) as usize;
            seen[v] = true;
        }
        assert!(seen.iter().all(|&s| s));
    }

    #[test]
    fn unit_mean_is_about_one_half() {
        let n = 10_000;
        let mean: f64 = (0..n).map(|i| unit(1, &[i])).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.02, "mean {mean}");
    }
}

//! The largest values the scenario format accepts, so that every valid scenario runs in bounded time.
//!
//! Without upper bounds a valid file could ask for a revive near 2⁶³ ms, a timeout of 2⁶⁴−1 ms or a
//! billion attempts, and a headless run would tick heartbeats or retry for ever. Every time field is
//! at most [`MAX_MS`] (one year of virtual time: far beyond any workflow a console watches, small
//! enough that sums of a few such times stay far from `u64` overflow), and every count that makes
//! work (attempts, reworks, auction rounds, template slots …) has its own ceiling. The drivers clamp
//! what the bounds cannot rule out (a duration drawn as `mean × work × slow factor`) to the same
//! limit, and stop at their horizon (see `crate::runtime::horizon`).

/// Every time or duration field, in milliseconds: 365 days.
pub const MAX_MS: u64 = 365 * 24 * 60 * 60 * 1000;
/// `MAX_MS` in words, for messages and docs.
pub const MAX_MS_WORDS: &str = "365 days";
/// `max_attempts`, and an escalation tier's `limit`.
pub const MAX_ATTEMPTS: u32 = 1000;
/// `review.max_rework`.
pub const MAX_REWORK: u32 = 1000;
/// `auction.max_rounds`.
pub const MAX_ROUNDS: u32 = 1000;
/// A template's `max` (slots it adds to the team).
pub const MAX_TEMPLATE_SLOTS: u32 = 1000;
/// An agent's or template's `max_concurrent`.
pub const MAX_CONCURRENT: u32 = 100_000;
/// `resilience.breaker_window` and `resilience.breaker_failures`.
pub const MAX_BREAKER_WINDOW: u32 = 1000;
/// `plan.max_subtasks`.
pub const MAX_SUBTASKS: u32 = 10_000;
/// `retry.multiplier`.
pub const MAX_MULTIPLIER: f64 = 1000.0;
/// A task's `work`, and a `slow` fault's `factor`.
pub const MAX_FACTOR: f64 = 1_000_000.0;

/// A drawn or computed duration in milliseconds, clamped to `0..=MAX_MS` (NaN counts as 0), so a
/// product of bounded factors can never wrap or run past the format's longest time.
#[inline]
pub fn clamp_ms(ms: f64) -> u64 {
    if ms >= MAX_MS as f64 {
        MAX_MS
    } else if ms > 0.0 {
        ms as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_covers_the_extremes() {
        assert_eq!(clamp_ms(f64::NAN), 0);
        assert_eq!(clamp_ms(-1.0), 0);
        assert_eq!(clamp_ms(f64::INFINITY), MAX_MS);
        assert_eq!(clamp_ms(1e300), MAX_MS);
        assert_eq!(clamp_ms(1234.0), 1234);
        assert_eq!(MAX_MS, 31_536_000_000);
    }
}

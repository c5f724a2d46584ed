//! Per-agent health: a sliding window of attempt outcomes driving a circuit breaker, and smoothed
//! latency and error rate for adaptive routing.
//!
//! The numbers here change only in `State::apply` (they are a fold of attempt events); the
//! coordinator reads them to decide when to open, probe or close a breaker, and those decisions are
//! events of their own. So a breaker's state is always explained by the journal.

use std::collections::VecDeque;

/// Circuit breaker and adaptive routing settings (scenario `resilience`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct HealthConfig {
    /// Outcomes remembered per agent.
    #[serde(rename = "breaker_window")]
    pub window: u32,
    /// Failures within the window that open the breaker; 0 disables breakers.
    #[serde(rename = "breaker_failures")]
    pub failure_threshold: u32,
    /// How long an open breaker keeps the agent out before a half-open probe.
    #[serde(rename = "breaker_cooldown_ms")]
    pub cooldown_ms: u64,
    /// Whether allocation weighs agents by their recent latency and error rate.
    #[serde(rename = "adaptive_routing")]
    pub adaptive: bool,
    /// Smoothing of the latency and error averages (weight of the newest outcome), 0..=1.
    pub smoothing: f64,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig { window: 10, failure_threshold: 5, cooldown_ms: 5_000, adaptive: true, smoothing: 0.3 }
    }
}

/// Slowness up to this (observed ÷ promised duration) counts as on time for routing.
pub const SLOW_TOLERANCE: f64 = 1.25;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Work flows normally.
    Closed,
    /// No new work until `until_ms`.
    Open { until_ms: u64 },
    /// One probe attempt at a time; its outcome closes or reopens the breaker.
    HalfOpen,
}

impl BreakerState {
    pub fn name(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open { .. } => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Health {
    /// Most recent outcomes, oldest first (`true` = success).
    outcomes: VecDeque<bool>,
    pub breaker: BreakerState,
    /// Smoothed slowness of successful attempts: observed duration ÷ the duration the agent's
    /// profile promises for that much work (1 = as promised, 3 = three times slower). `None`
    /// before the first success.
    pub slowness: Option<f64>,
    /// Smoothed failure rate, 0..=1.
    pub error_rate: f64,
}

impl Default for Health {
    fn default() -> Self {
        Health { outcomes: VecDeque::new(), breaker: BreakerState::Closed, slowness: None, error_rate: 0.0 }
    }
}

impl Health {
    /// Folds one attempt outcome in (called from `State::apply`); `slowness` as in [`Health::slowness`].
    pub fn record(&mut self, ok: bool, slowness: f64, cfg: &HealthConfig) {
        if self.outcomes.len() as u32 >= cfg.window.max(1) {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back(ok);
        let a = cfg.smoothing.clamp(0.0, 1.0);
        self.error_rate = (1.0 - a) * self.error_rate + a * if ok { 0.0 } else { 1.0 };
        if ok {
            self.slowness = Some(match self.slowness {
                Some(l) => (1.0 - a) * l + a * slowness,
                None => slowness,
            });
        }
    }

    pub fn failures(&self) -> u32 {
        self.outcomes.iter().filter(|ok| !**ok).count() as u32
    }

    pub fn last_outcome(&self) -> Option<bool> {
        self.outcomes.back().copied()
    }

    /// Whether the breaker lets the agent take a new attempt while it runs `running` already.
    pub fn admits(&self, running: usize) -> bool {
        match self.breaker {
            BreakerState::Closed => true,
            BreakerState::Open { .. } => false,
            BreakerState::HalfOpen => running == 0,
        }
    }

    /// After an outcome was recorded: the breaker transition it calls for, if any.
    pub fn transition_after_outcome(&self, now: u64, cfg: &HealthConfig) -> Option<BreakerState> {
        if cfg.failure_threshold == 0 {
            return None;
        }
        match (self.breaker, self.last_outcome()?) {
            (BreakerState::HalfOpen, true) => Some(BreakerState::Closed),
            (BreakerState::HalfOpen, false) => {
                Some(BreakerState::Open { until_ms: super::timers::later(now, cfg.cooldown_ms) })
            }
            (BreakerState::Closed, false) if self.failures() >= cfg.failure_threshold => {
                Some(BreakerState::Open { until_ms: super::timers::later(now, cfg.cooldown_ms) })
            }
            _ => None,
        }
    }

    /// Opening forgets the window: after the cool-down the probe decides, not old failures.
    pub fn set_breaker(&mut self, state: BreakerState) {
        if matches!(state, BreakerState::Open { .. } | BreakerState::Closed) && self.breaker != state {
            self.outcomes.clear();
        }
        self.breaker = state;
    }

    /// A factor in (0, 1] that scales an agent's allocation score: 1 for an agent as fast as its
    /// profile and never failing, smaller for slow or flaky ones. It depends on this agent alone,
    /// so a change re-ranks one agent, not the whole pool.
    pub fn routing_factor(&self, cfg: &HealthConfig) -> f64 {
        if !cfg.adaptive {
            return 1.0;
        }
        // Ordinary jitter around the profile is not slowness: only a clear lag costs rank.
        let speed = match self.slowness {
            Some(s) if s > SLOW_TOLERANCE => (SLOW_TOLERANCE / s).clamp(0.05, 1.0),
            _ => 1.0,
        };
        let reliability = (1.0 - self.error_rate).clamp(0.05, 1.0);
        speed * reliability
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> HealthConfig {
        HealthConfig { window: 4, failure_threshold: 3, cooldown_ms: 1_000, adaptive: true, smoothing: 0.5 }
    }

    #[test]
    fn breaker_opens_after_threshold_failures_in_the_window() {
        let c = cfg();
        let mut h = Health::default();
        for ok in [false, true, false] {
            h.record(ok, 1.0, &c);
            assert_eq!(h.transition_after_outcome(0, &c), None);
        }
        h.record(false, 1.0, &c);
        assert_eq!(h.transition_after_outcome(50, &c), Some(BreakerState::Open { until_ms: 1_050 }));
    }

    #[test]
    fn old_failures_slide_out_of_the_window() {
        let c = cfg();
        let mut h = Health::default();
        for ok in [false, false, true, true, true, false] {
            h.record(ok, 1.0, &c);
        }
        // window [true, true, true, false]: one failure.
        assert_eq!(h.failures(), 1);
        assert_eq!(h.transition_after_outcome(0, &c), None);
    }

    #[test]
    fn half_open_admits_one_probe_and_its_outcome_decides() {
        let c = cfg();
        let mut h = Health::default();
        h.set_breaker(BreakerState::HalfOpen);
        assert!(h.admits(0));
        assert!(!h.admits(1));
        h.record(true, 1.0, &c);
        assert_eq!(h.transition_after_outcome(5, &c), Some(BreakerState::Closed));
        h.record(false, 1.0, &c);
        assert_eq!(h.transition_after_outcome(5, &c), Some(BreakerState::Open { until_ms: 1_005 }));
        h.set_breaker(BreakerState::Open { until_ms: 1_005 });
        assert!(!h.admits(0));
        assert_eq!(h.failures(), 0, "opening forgets the window");
    }

    #[test]
    fn disabled_breakers_never_open() {
        let c = HealthConfig { failure_threshold: 0, ..cfg() };
        let mut h = Health::default();
        for _ in 0..10 {
            h.record(false, 1.0, &c);
            assert_eq!(h.transition_after_outcome(0, &c), None);
        }
    }

    #[test]
    fn slow_or_flaky_agents_get_a_smaller_routing_factor() {
        let c = cfg();
        let mut fast = Health::default();
        let mut slow = Health::default();
        let mut flaky = Health::default();
        for _ in 0..5 {
            fast.record(true, 1.0, &c);
            slow.record(true, 4.0, &c);
            flaky.record(true, 1.0, &c);
            flaky.record(false, 1.0, &c);
        }
        assert_eq!(fast.routing_factor(&c), 1.0);
        assert!((slow.routing_factor(&c) - SLOW_TOLERANCE / 4.0).abs() < 1e-9);
        assert!(flaky.routing_factor(&c) < 0.7);
        assert_eq!(slow.routing_factor(&HealthConfig { adaptive: false, ..c }), 1.0);
    }
}

//! A headless run's horizon: how far it may go before the driver stops it.
//!
//! The scenario format bounds every time and count (`scenario::bounds`), but a valid scenario can
//! still make a run long: a revive a year away while heartbeats tick every millisecond, a thousand
//! attempts a year apart. A headless run has nobody to stop it, so its driver stops it once virtual
//! time would pass `max_time_ms` or the run has counted `max_events` events. Then the coordinator
//! journals `horizon_reached` (the journal's last line), the run is left unfinished, and the CLI says
//! so and exits 1. The console has no horizon: its operator decides when to stop.

use std::fmt;

use crate::core::HorizonLimit;
use crate::scenario::Scenario;
use crate::scenario::bounds::MAX_MS;

/// The limits of a headless run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    /// Nothing after this virtual time (ms) is processed.
    pub max_time_ms: u64,
    /// The run stops once it has counted this many events: journal lines, plus one for each input
    /// the driver handled that wrote none (a down agent's heartbeat tick, the end of a link fault).
    pub max_events: u64,
}

/// Default `max_time_ms`: ten times the longest time the format accepts (3 650 days), so that any
/// single scheduled thing, and a good deal of work after it, fits.
pub const DEFAULT_MAX_TIME_MS: u64 = 10 * MAX_MS;
/// Default `max_events` is this many per task of the scenario …
pub const EVENTS_PER_TASK: u64 = 100;
/// … and at least this many.
pub const MIN_DEFAULT_EVENTS: u64 = 1_000_000;

impl Horizon {
    /// The horizon for `scenario`, with the defaults where a limit is not given.
    pub fn new(scenario: &Scenario, max_time_ms: Option<u64>, max_events: Option<u64>) -> Horizon {
        Horizon {
            max_time_ms: max_time_ms.unwrap_or(DEFAULT_MAX_TIME_MS),
            max_events: max_events.unwrap_or_else(|| default_max_events(scenario.tasks.len())),
        }
    }
}

/// `max(EVENTS_PER_TASK × tasks, MIN_DEFAULT_EVENTS)`.
pub fn default_max_events(tasks: usize) -> u64 {
    (tasks as u64).saturating_mul(EVENTS_PER_TASK).max(MIN_DEFAULT_EVENTS)
}

/// Where and why a run stopped at its horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HorizonStop {
    pub limit: HorizonLimit,
    /// The limit's value.
    pub value: u64,
    /// Virtual time of the stop (the last instant processed).
    pub t_ms: u64,
    /// Events counted before the stop.
    pub events: u64,
}

impl fmt::Display for HorizonStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let HorizonStop { limit, value, t_ms, events } = *self;
        let flag = limit.flag();
        match limit {
            HorizonLimit::Time => write!(
                f,
                "virtual time would pass {value} ms (the {flag} limit) at t = {t_ms} ms after {events} events; \
                 raise it with {flag} MS"
            ),
            HorizonLimit::Events => {
                write!(f, "{events} events (the {flag} limit) at t = {t_ms} ms; raise it with {flag} N")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_scale_with_the_tasks() {
        let sc = Scenario::default();
        assert_eq!(Horizon::new(&sc, None, None), Horizon { max_time_ms: 10 * MAX_MS, max_events: 1_000_000 });
        assert_eq!(default_max_events(20_000), 2_000_000);
        assert_eq!(default_max_events(1_000_000), 100_000_000);
        assert_eq!(Horizon::new(&sc, Some(5), Some(7)), Horizon { max_time_ms: 5, max_events: 7 });
    }

    #[test]
    fn the_message_names_the_flag() {
        let stop = HorizonStop { limit: HorizonLimit::Events, value: 10, t_ms: 3, events: 10 };
        assert_eq!(stop.to_string(), "10 events (the --max-events limit) at t = 3 ms; raise it with --max-events N");
        let stop = HorizonStop { limit: HorizonLimit::Time, value: 100, t_ms: 90, events: 4 };
        assert_eq!(
            stop.to_string(),
            "virtual time would pass 100 ms (the --max-time-ms limit) at t = 90 ms after 4 events; \
             raise it with --max-time-ms MS"
        );
    }
}

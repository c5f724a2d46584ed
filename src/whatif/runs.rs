//! Running the variants: every (variant, seed) headless on the virtual clock, without a journal,
//! on `jobs` threads, each run's figures taken from its report.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::variants::Variant;
use crate::core::Coordinator;
use crate::report::Report;
use crate::runtime::{Horizon, SimRun};
use crate::scenario::Scenario;

/// What one run gives a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    /// Index of the variant (records name it instead).
    #[serde(skip)]
    pub variant: usize,
    pub seed: u64,
    /// `succeeded`, `failed`, …, as the report says.
    pub outcome: &'static str,
    pub makespan_ms: u64,
    /// Σ over agents of `cost` × busy seconds: what the agents' time cost.
    pub cost: f64,
    pub retries: u32,
    pub reassigned: u32,
    pub escalated: u32,
    /// Mean time from a recovered task's first failure to its completion, if any recovered.
    pub mttr_ms: Option<u64>,
}

impl Figures {
    pub fn succeeded(&self) -> bool {
        self.outcome == "succeeded"
    }
}

/// Runs `scenario` with `seed` to its end (or its default horizon) and takes its figures.
pub fn run_one(scenario: &Scenario, variant: usize, seed: u64) -> Figures {
    let mut scenario = scenario.clone();
    scenario.seed = seed;
    let horizon = Horizon::new(&scenario, None, None);
    let mut run = SimRun::new(scenario);
    run.set_horizon(horizon);
    // The `()` sink takes nothing and cannot fail.
    let _ = run.run(&mut ());
    figures(run.coordinator(), variant, seed)
}

/// A finished (or stopped) run's figures, from its report.
pub fn figures(coord: &Coordinator, variant: usize, seed: u64) -> Figures {
    let report = Report::build(coord);
    let cost =
        coord.scenario().agents.iter().zip(&report.agents).map(|(spec, a)| spec.cost * a.busy_ms as f64 / 1000.0).sum();
    Figures {
        variant,
        seed,
        outcome: report.outcome,
        makespan_ms: report.makespan_ms,
        cost,
        retries: report.counts.retries,
        reassigned: report.counts.reassigned,
        escalated: report.recovery.escalated,
        mttr_ms: report.recovery.mean_time_to_recovery_ms,
    }
}

/// Every variant on every seed, on `jobs` threads (at least one), in (variant, seed) order.
/// `go_on` is asked before each run starts (a signal stops the comparison: the runs done so far
/// are returned); `done` is told after each run, with how many are done and how many there are.
pub fn run_all(
    variants: &[Variant],
    seeds: &[u64],
    jobs: usize,
    go_on: &(dyn Fn() -> bool + Sync),
    done: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Figures> {
    let one = |v: usize, seed: u64| run_one(&variants[v].scenario, v, seed);
    run_each(variants.len(), seeds, &one, jobs, go_on, done)
}

/// `run` on every (variant, seed) of `variants` variants, as [`run_all`] does.
pub fn run_each(
    variants: usize,
    seeds: &[u64],
    run: &(dyn Fn(usize, u64) -> Figures + Sync),
    jobs: usize,
    go_on: &(dyn Fn() -> bool + Sync),
    done: &(dyn Fn(usize, usize) + Sync),
) -> Vec<Figures> {
    let total = variants * seeds.len();
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(total));
    // These runs are figures only: their log lines would land in whatever collects the process's
    // logs (the console's log pane, for `:whatif`).
    let work = || {
        let _quiet = tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= total || !go_on() {
                return;
            }
            let (v, s) = (i / seeds.len(), seeds[i % seeds.len()]);
            let figures = run(v, s);
            results.lock().expect("no worker panics holding it").push(figures);
            done(finished.fetch_add(1, Ordering::Relaxed) + 1, total);
        }
    };
    std::thread::scope(|scope| {
        // No more threads than runs: the others would find nothing to do. A thread the system
        // refuses (out of memory or of threads) is simply one fewer; with none, this one works.
        let started = (0..jobs.clamp(1, total.max(1)))
            .take_while(|_| std::thread::Builder::new().spawn_scoped(scope, work).is_ok())
            .count();
        if started == 0 {
            work();
        }
    });
    let mut results = results.into_inner().expect("no worker panicked holding it");
    results.sort_by_key(|f| (f.variant, f.seed));
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(variant: usize, seed: u64) -> Figures {
        Figures {
            variant,
            seed,
            outcome: "succeeded",
            makespan_ms: seed * 10 + variant as u64,
            cost: 0.0,
            retries: 0,
            reassigned: 0,
            escalated: 0,
            mttr_ms: None,
        }
    }

    /// Any `jobs` gives every (variant, seed) once, in order; more jobs than runs start no more
    /// threads than runs (a million would take seconds to start, or fail to).
    #[test]
    fn every_run_once_in_order_whatever_the_jobs() {
        let threads = Mutex::new(std::collections::HashSet::new());
        let run = |v: usize, s: u64| {
            threads.lock().unwrap().insert(std::thread::current().id());
            figures(v, s)
        };
        for jobs in [1, 2, 7, 1_000_000] {
            threads.lock().unwrap().clear();
            let out = run_each(2, &[5, 6, 7], &run, jobs, &|| true, &|_, _| {});
            let got: Vec<(usize, u64)> = out.iter().map(|f| (f.variant, f.seed)).collect();
            assert_eq!(got, [(0, 5), (0, 6), (0, 7), (1, 5), (1, 6), (1, 7)], "jobs {jobs}");
            assert!(threads.lock().unwrap().len() <= jobs.min(6), "jobs {jobs}");
        }
        // Stopped before the first run: nothing, and no thread waits for work.
        assert!(run_each(2, &[5, 6, 7], &run, 4, &|| false, &|_, _| {}).is_empty());
    }
}

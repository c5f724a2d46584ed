//! Coordinator overhead: how long the simulation driver and the coordinator take per task when the
//! work itself takes no (virtual) time and events are discarded.
//!
//! `overhead/{chain,fanout,layered}` run 10,000-task generated scenarios (layered = 100 layers of
//! 100, two dependencies per task) on 16 agents. Throughput is reported in tasks, so criterion's
//! time per element is the time per task; the target is at most 1 µs per task.
//!
//! The journal is not measured here.

use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use switchyard::core::Outcome;
use switchyard::generate::{GenOptions, Shape, generate};
use switchyard::runtime::SimRun;

const TASKS: usize = 10_000;
const AGENTS: usize = 16;

fn overhead(c: &mut Criterion) {
    let mut group = c.benchmark_group("overhead");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(TASKS as u64));
    for shape in [Shape::Chain, Shape::Fanout, Shape::Layered] {
        let opts = GenOptions { tasks: TASKS, agents: AGENTS, shape, seed: 1, duration_ms: 0.0, failure_rate: 0.0 };
        let scenario = generate(&opts).expect("valid options");

        // Check once, outside the measurement, that the run does what we think it does.
        let mut run = SimRun::new(scenario.clone());
        run.run(&mut ()).expect("the null sink never fails");
        assert_eq!(run.coordinator().state().finished(), Some(Outcome::Succeeded), "{shape}");

        group.bench_function(shape.name(), |b| {
            b.iter_batched(
                || scenario.clone(),
                |scenario| {
                    let mut run = SimRun::new(scenario);
                    run.run(&mut ()).expect("the null sink never fails");
                    run // dropped outside the measurement
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);

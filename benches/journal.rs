//! Journal throughput: encoding events as JSON lines and writing them to a file through the
//! journal's buffer. Target: at least 1,000,000 events per second.
//!
//! The events come from a real 10,000-task layered run (task requests, results, heartbeats off),
//! recorded once outside the measurement.

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchyard::core::Event;
use switchyard::generate::{GenOptions, Shape, generate};
use switchyard::journal::JournalWriter;
use switchyard::runtime::{EventSink, SimRun};

fn journal(c: &mut Criterion) {
    let opts =
        GenOptions { tasks: 10_000, agents: 16, shape: Shape::Layered, seed: 1, duration_ms: 50.0, failure_rate: 0.1 };
    let mut run = SimRun::new(generate(&opts).expect("valid options"));
    let mut events: Vec<Event> = Vec::new();
    run.run(&mut events).expect("in-memory sink");
    let coord = run.coordinator();
    let path = std::env::temp_dir().join(format!("switchyard-bench-{}.jsonl", std::process::id()));

    let mut group = c.benchmark_group("journal");
    group.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("write_file", |b| {
        b.iter(|| {
            let mut w = JournalWriter::create(&path).expect("temp file");
            for ev in &events {
                w.event(ev, coord).expect("write");
            }
            w.finish().expect("flush");
        })
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, journal);
criterion_main!(benches);

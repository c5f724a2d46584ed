//! Replay: how long the state at any event of a 1M-event journal takes to show once the journal
//! is loaded (target: ≤ 50 ms). The timeline folds forward from its nearest snapshot.
//!
//! The journal is a real run of a generated 150 000-task layered scenario on 1 000 agents
//! (1 050 004 events, 189 MB), written and read back through the journal format once, outside the
//! measurement.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use switchyard::durable::replay::timeline_of;
use switchyard::generate::{GenOptions, Shape, generate};
use switchyard::journal::JournalWriter;
use switchyard::journal::file;
use switchyard::runtime::SimRun;

fn replay(c: &mut Criterion) {
    let opts = GenOptions {
        tasks: 150_000,
        agents: 1_000,
        shape: Shape::Layered,
        seed: 1,
        duration_ms: 50.0,
        failure_rate: 0.0,
    };
    let mut run = SimRun::new(generate(&opts).expect("valid options"));
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).expect("in-memory journal");
    let bytes = w.into_inner().expect("in memory");
    let clock = Instant::now();
    let journal = file::parse(&bytes).expect("a valid journal");
    let parsed = clock.elapsed();
    let n = journal.events.len();
    let clock = Instant::now();
    let mut timeline = timeline_of(&journal);
    eprintln!(
        "replay: {n} events ({} MB of journal) parsed in {:.2} s, timeline built in {:.2} s",
        bytes.len() / 1_000_000,
        parsed.as_secs_f64(),
        clock.elapsed().as_secs_f64()
    );

    let mut group = c.benchmark_group("replay");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    // Anywhere, in an order that defeats the "already there" shortcut.
    let mut k: u64 = 1;
    group.bench_function("jump_anywhere_1M", |b| {
        b.iter(|| {
            k = k.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let to = (k >> 33) as usize % n;
            timeline.seek(to).state().now_ms()
        })
    });
    let mut at = n / 2;
    group.bench_function("one_event_back_1M", |b| {
        b.iter(|| {
            at = if at == 0 { n - 1 } else { at - 1 };
            timeline.seek(at).state().now_ms()
        })
    });
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);

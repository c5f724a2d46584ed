//! The scenario loader: how fast a scenario file is decoded and validated, with every position
//! kept for the messages of a bad one.
//!
//! `load/parse` reads the 10,000-task layered scenario of `switchyard gen --tasks 10000 --agents
//! 100 --shape layered --duration-ms 0` (about 2.4 MB) from memory; `load/file` reads the same
//! text from a file, streamed through the loader's window as `run` and `validate` do. Its tasks all
//! end with the same text, which the loader reads once (see `quick::Tail`); `load/distinct` is
//! the same scenario with a different timeout on every task, so that no two tails are alike: the
//! loader's speed on a file where that does not help. Throughput is reported in bytes, so
//! criterion prints the loader's speed in MB/s (the goal is 500 MB/s).

use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use switchyard::generate::{GenOptions, Shape, stream_json};

fn load(c: &mut Criterion) {
    let opts =
        GenOptions { tasks: 10_000, agents: 100, shape: Shape::Layered, seed: 1, duration_ms: 0.0, failure_rate: 0.0 };
    let mut text = Vec::new();
    stream_json(&opts, &mut text).expect("writing to memory never fails");
    let text = String::from_utf8(text).expect("the generator writes UTF-8");
    let path = std::env::temp_dir().join(format!("switchyard-loader-bench-{}.json", std::process::id()));
    std::fs::write(&path, &text).expect("the temporary directory is writable");

    // Check once, outside the measurement, that it is the scenario we mean.
    let scenario = switchyard::scenario::parse("layered-10k.json", &text).expect("a valid scenario");
    assert_eq!((scenario.tasks.len(), scenario.agents.len()), (10_000, 100));

    let mut distinct = scenario.clone();
    for (i, t) in distinct.tasks.iter_mut().enumerate() {
        t.timeout_ms = 1_000 + i as u64;
    }
    let distinct = serde_json::to_string(&distinct).expect("a scenario serializes");
    switchyard::scenario::parse("distinct.json", &distinct).expect("a valid scenario");

    let mut group = c.benchmark_group("load");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("parse", |b| {
        b.iter_with_large_drop(|| switchyard::scenario::parse("layered-10k.json", &text).expect("a valid scenario"))
    });
    group.bench_function("file", |b| {
        b.iter_with_large_drop(|| switchyard::scenario::load(&path).expect("a valid scenario"))
    });
    group.throughput(Throughput::Bytes(distinct.len() as u64));
    group.bench_function("distinct", |b| {
        b.iter_with_large_drop(|| switchyard::scenario::parse("distinct.json", &distinct).expect("a valid scenario"))
    });
    group.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group!(benches, load);
criterion_main!(benches);

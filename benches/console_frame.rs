//! The console's frame: how long building the view and rendering every pane takes, on a run of
//! 100 000 tasks under way, into a `TestBackend` of 160×45 (issue 15's target: ≤ 5 ms).
//!
//! The run is a generated layered scenario (100 000 tasks, 500 agents), advanced in the console's
//! own state by five ticks at speed ×1000 before the measurement (about 28 000 tasks done, the
//! rest waiting or running: every pane has plenty to show).

use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use switchyard::generate::{GenOptions, Shape, generate};
use switchyard::tui::{App, ConsoleOptions, ui};

fn frame(c: &mut Criterion) {
    let opts = GenOptions {
        tasks: 100_000,
        agents: 500,
        shape: Shape::Layered,
        seed: 1,
        duration_ms: 50.0,
        failure_rate: 0.0,
    };
    let scenario = generate(&opts).expect("valid options");
    let mut app =
        App::new(scenario, ConsoleOptions { speed: 1000.0, ..ConsoleOptions::default() }).expect("no journal");
    // Five seconds of virtual time at speed ×1000: well under way.
    for _ in 0..5 {
        app.tick(1.0);
    }
    let done = app.coord().state().completed();
    eprintln!("console frame: {done} of 100000 tasks completed when measured");
    let mut terminal = Terminal::new(TestBackend::new(160, 45)).expect("a test backend");
    c.bench_function("console frame, 100 000 tasks, 160x45", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::draw(f, &mut app)).expect("drawn");
        });
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = frame
}
criterion_main!(benches);

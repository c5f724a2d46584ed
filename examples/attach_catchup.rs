//! How long an attached console takes to catch up on a served run: reaches the server, reads the
//! run's stream from the start and folds every event into the console's state, as `switchyard
//! attach` does, then exits once it has folded the run's last event (the run must have finished).
//! No terminal: what is timed is the reading and the folding, not the drawing.
//!
//!     cargo build --release --example attach_catchup
//!     attach_catchup nats://127.0.0.1:4222 RUN

use std::time::Instant;

use switchyard::remote::access::Access;
use switchyard::remote::subjects::RunName;
use switchyard::tui::attach::{Feed, Link};
use switchyard::tui::{App, ConsoleOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(run)) = (args.next(), args.next()) else {
        eprintln!("usage: attach_catchup nats://HOST:PORT RUN");
        std::process::exit(2);
    };
    let started = Instant::now();
    let run = RunName::parse(&run).unwrap_or_else(|e| panic!("{e}"));
    let access = Access::url_only(&url);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let (events, folded) = rt.block_on(async {
        let (scenario, mut link) = switchyard::remote::attach::open(&access, &run, "bench").await.expect("the run");
        // The console's own link is not used: the feed is handed to it here, as its loop would.
        let (_unused, feed) = tokio::sync::mpsc::unbounded_channel();
        let (commands, _sent) = tokio::sync::mpsc::unbounded_channel();
        let mut app =
            App::attached(scenario, ConsoleOptions::default(), Link { feed, commands }, url.clone(), run.to_string());
        let mut events = 0u64;
        while let Some(item) = link.feed.recv().await {
            let last =
                matches!(&item, Feed::Event(ev) if matches!(ev.kind, switchyard::core::EventKind::RunFinished { .. }));
            if matches!(item, Feed::Event(_)) {
                events += 1;
            }
            app.on_feed(Some(item));
            if last {
                break;
            }
        }
        (events, app.run.coordinator().is_finished())
    });
    println!("{events} events folded in {:.3} s (run finished: {folded})", started.elapsed().as_secs_f64());
}

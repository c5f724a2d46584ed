//! SIGINT, SIGTERM and SIGHUP stop a run cleanly instead of killing the process.
//!
//! [`install`] replaces the default action of the three signals with a handler that only records
//! the first one received (an atomic store: async-signal-safe). Drivers look at it: the headless
//! simulation between steps ([`received`]), the live driver and the console in their `select!`
//! ([`Interrupts::recv`], on Tokio's signal streams). What they do then is the same everywhere:
//! stop dispatching, record a `run_interrupted` event, flush the journal, stop the agents, restore
//! the terminal, and exit with 128 + the signal's number (130, 143, 129).

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

use crate::core::StopSignal;

/// The first of the three signals received, or 0.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

const SIGNALS: [StopSignal; 3] = [StopSignal::Interrupt, StopSignal::Terminate, StopSignal::Hangup];

/// Takes over SIGINT, SIGTERM and SIGHUP for the rest of the process. Call it once, early.
pub fn install() -> io::Result<()> {
    for signal in SIGNALS {
        let number = signal.number();
        // SAFETY: the handler does one atomic compare-exchange: async-signal-safe, no allocation.
        unsafe {
            signal_hook::low_level::register(number, move || {
                let _ = RECEIVED.compare_exchange(0, number, Ordering::SeqCst, Ordering::SeqCst);
            })?;
        }
    }
    Ok(())
}

/// The first stopping signal received so far, if any.
pub fn received() -> Option<StopSignal> {
    StopSignal::from_number(RECEIVED.load(Ordering::SeqCst))
}

/// The exit code of a process stopped by `signal`, as a shell reports it: 128 + its number.
pub fn exit_code(signal: StopSignal) -> u8 {
    128 + signal.number() as u8
}

/// The three signals as Tokio streams, for a `select!` (create it inside a Tokio runtime).
pub struct Interrupts {
    streams: Vec<(StopSignal, tokio::signal::unix::Signal)>,
}

impl Interrupts {
    pub fn new() -> io::Result<Interrupts> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut streams = Vec::with_capacity(SIGNALS.len());
        for s in SIGNALS {
            streams.push((s, signal(SignalKind::from_raw(s.number()))?));
        }
        Ok(Interrupts { streams })
    }

    /// Waits for one of the signals (at once if one came before). Cancel-safe.
    pub async fn recv(&mut self) -> StopSignal {
        if let Some(s) = received() {
            return s;
        }
        let [(a, sa), (b, sb), (c, sc)] = &mut self.streams[..] else { return std::future::pending().await };
        let got = tokio::select! {
            _ = sa.recv() => *a,
            _ = sb.recv() => *b,
            _ = sc.recv() => *c,
        };
        // The first one wins, as in `received`.
        received().unwrap_or(got)
    }
}

//! `:whatif --vary SPEC … [--seeds A..B]` in the console: the what-if lab run from the run's
//! current state (see `whatif::live`), in the background, its table in a popup.
//!
//! The branches are made at once (the run's events folded into each changed scenario), so a bad
//! `--vary` is an error on the status line straight away; the runs then go on worker threads
//! while the console stays live. The popup shows how many are done and, at the end, the table;
//! closing it stops the runs still to go.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;

use super::app::{App, Popup, StatusKind};
use crate::whatif::live::{Branches, summary};
use crate::whatif::runs::{Figures, run_each};
use crate::whatif::table::labelled_rows;
use crate::whatif::variants::{Vary, seeds};

/// Seeds a what-if runs each variant on unless `--seeds` says otherwise.
const DEFAULT_SEEDS: &str = "1..20";

/// A what-if under way or done.
pub struct WhatIf {
    /// What the operator typed after `:whatif`.
    pub spec: String,
    /// The run's time where the branches start.
    pub at_ms: u64,
    pub seeds: String,
    labels: Vec<String>,
    total: usize,
    done: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    worker: Option<JoinHandle<Vec<Figures>>>,
    /// Done runs shown last (a frame is drawn when it changes).
    shown: usize,
    /// The popup's lines once every run is done (or the runs were stopped).
    pub lines: Option<Vec<String>>,
}

impl WhatIf {
    /// `(done, total)` runs.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.load(Ordering::Relaxed), self.total)
    }

    fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Drop for WhatIf {
    fn drop(&mut self) {
        // The runs still to go are not started; the one on each thread ends by itself.
        self.stop();
    }
}

/// `--vary SPEC …` and `--seeds A..B`, read from the command's words.
fn parse(words: &[&str]) -> Result<(Vec<Vary>, String), String> {
    let (mut varies, mut range) = (Vec::new(), DEFAULT_SEEDS.to_string());
    let mut words = words.iter();
    while let Some(&word) = words.next() {
        let mut value = |flag: &str| words.next().copied().ok_or_else(|| format!("{flag} needs a value"));
        match word {
            "--vary" => varies.push(Vary::parse(value("--vary")?)?),
            "--seeds" => range = value("--seeds")?.to_string(),
            other => return Err(format!("unexpected `{other}` (usage: :whatif --vary PATH=A,B … [--seeds A..B])")),
        }
    }
    if varies.is_empty() {
        return Err("usage: :whatif --vary PATH=A,B … [--seeds A..B] (at least one --vary)".into());
    }
    Ok((varies, range))
}

impl App {
    /// `:whatif …`: branches the run here and starts the runs; the popup follows them.
    pub(super) fn start_whatif(&mut self, words: &[&str]) {
        match self.branch_here(words) {
            Ok(whatif) => {
                self.whatif = Some(whatif);
                self.popup = Some(Popup::WhatIf { scroll: 0 });
            }
            Err(e) => self.status = Some((format!("whatif: {e}"), StatusKind::Error)),
        }
    }

    fn branch_here(&mut self, words: &[&str]) -> Result<WhatIf, String> {
        if self.replay.is_some() || self.attached.is_some() {
            return Err("only on a run this console runs (in a replay, fork first)".into());
        }
        let Some(history) = &self.sink.history else {
            return Err("a what-if simulates the rest of the run, and this run has real agents".into());
        };
        let (varies, range) = parse(words)?;
        let seeds = seeds(&range)?;
        let branches = Branches::new(&self.run, history, &varies, crate::scenario::DEFAULT_MAX_BYTES)?;
        let labels: Vec<String> = branches.variants.iter().map(|v| v.label.clone()).collect();
        let total = labels.len() * seeds.len();
        let (done, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
        let worker = {
            let (done, stop, variants) = (done.clone(), stop.clone(), labels.len());
            std::thread::spawn(move || {
                let go_on = || !stop.load(Ordering::Relaxed);
                let counted = |n: usize, _total: usize| done.store(n, Ordering::Relaxed);
                run_each(variants, &seeds, &|v, seed| branches.run(v, seed), jobs, &go_on, &counted)
            })
        };
        Ok(WhatIf {
            spec: words.join(" "),
            at_ms: self.run.now(),
            seeds: range,
            labels,
            total,
            done,
            stop,
            worker: Some(worker),
            shown: 0,
            lines: None,
        })
    }

    /// Takes the what-if's results when its runs are done. True when the popup must be drawn
    /// again (more runs done, or the table is ready).
    pub fn poll_whatif(&mut self) -> bool {
        let Some(w) = &mut self.whatif else { return false };
        let done = w.done.load(Ordering::Relaxed);
        let finished = w.worker.as_ref().is_some_and(|h| h.is_finished());
        if finished && let Some(worker) = w.worker.take() {
            let figures = worker.join().unwrap_or_default();
            let labels: Vec<&str> = w.labels.iter().map(String::as_str).collect();
            w.lines = Some(summary(&labelled_rows(&labels, &figures)));
            return true;
        }
        let changed = done != w.shown;
        w.shown = done;
        changed
    }

    /// The popup was closed: runs still to go are not started.
    pub(super) fn close_whatif(&mut self) {
        if let Some(w) = &mut self.whatif {
            w.stop();
            if w.worker.is_some() {
                self.status = Some(("whatif: stopped".into(), StatusKind::Info));
            }
        }
        self.whatif = None;
    }
}

/// What the popup says: where the branches start, then the progress or the table.
pub fn lines(w: &WhatIf) -> Vec<String> {
    let per_variant = w.total / w.labels.len().max(1);
    let mut lines = vec![
        format!(":whatif {}", w.spec),
        format!(
            "branched at {:.1} s; each variant runs the rest of the run on seeds {} ({per_variant} runs)",
            w.at_ms as f64 / 1000.0,
            w.seeds
        ),
        String::new(),
    ];
    match &w.lines {
        Some(table) => lines.extend(table.iter().cloned()),
        None => {
            let (done, total) = w.progress();
            lines.push(format!("running: {done} of {total} runs done …"));
        }
    }
    lines
}

/// How far the popup scrolls: its lines past the screen's height (less the border).
pub fn max_scroll(app: &App) -> u16 {
    let count = app.whatif.as_ref().map_or(0, |w| lines(w).len());
    (count as u16).saturating_sub(app.screen.height.saturating_sub(2))
}

/// Draws the what-if's popup.
pub fn draw(f: &mut ratatui::Frame, app: &App, scroll: u16) {
    use ratatui::widgets::{Clear, Paragraph};
    let Some(w) = &app.whatif else { return };
    let lines = lines(w);
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u16 + 4;
    let rect = super::popups::centered(f.area(), width.max(60), lines.len() as u16 + 2);
    let settings = &app.opts.settings;
    let title = if w.lines.is_some() { "What if — done" } else { "What if — running" };
    let block = super::popups::popup_block(title, super::keymap::Action::ClosePopup, settings);
    let text: Vec<ratatui::text::Line> = lines.into_iter().map(ratatui::text::Line::from).collect();
    f.render_widget(Clear, rect);
    f.render_widget(Paragraph::new(text).block(block).scroll((scroll, 0)), rect);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn its_words_are_read_or_refused_with_the_usage() {
        let (varies, seeds) = parse(&["--vary", "allocation=a,b", "--seeds", "3..9"]).unwrap();
        assert_eq!((varies.len(), seeds.as_str()), (1, "3..9"));
        assert_eq!(parse(&["--vary", "allocation=a"]).unwrap().1, DEFAULT_SEEDS);
        assert!(parse(&[]).unwrap_err().contains("at least one --vary"));
        assert!(parse(&["--vary"]).unwrap_err().contains("--vary needs a value"));
        assert!(parse(&["best_score"]).unwrap_err().contains("unexpected `best_score`"));
    }
}

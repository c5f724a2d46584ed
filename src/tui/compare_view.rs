//! The compare view: what `switchyard compare` shows on a terminal. The table of the variants (as
//! printed, the chosen one highlighted) above a bar chart of each variant's makespans (p25, p50,
//! p75, p95 and max, in ms). ↑/↓ (or k/j) choose a variant, Enter opens its median-seed run in the
//! console, q or Esc quits.

use std::io;

use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Paragraph};

use crate::whatif::runs::Figures;
use crate::whatif::stats::percentile;
use crate::whatif::table::{self, Row};
use crate::whatif::variants::Variant;

/// The view's state: the table, each variant's makespans, and the chosen variant.
pub struct CompareView {
    title: String,
    rows: Vec<Row>,
    /// Per row: p25, p50, p75, p95 and max of its makespans (ms).
    spread: Vec<[u64; 5]>,
    /// Per row: its variant's index, and the seed whose makespan is its median.
    median: Vec<(usize, u64)>,
    pub selected: usize,
}

/// What the operator chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Open this variant's run with this seed in the console.
    Open {
        variant: usize,
        seed: u64,
    },
    Quit,
}

impl CompareView {
    pub fn new(title: &str, variants: &[Variant], figures: &[Figures]) -> CompareView {
        let rows = table::rows(variants, figures);
        let (mut spread, mut median) = (Vec::new(), Vec::new());
        for v in 0..variants.len() {
            let mut runs: Vec<&Figures> = figures.iter().filter(|f| f.variant == v).collect();
            if runs.is_empty() {
                continue;
            }
            runs.sort_by_key(|f| (f.makespan_ms, f.seed));
            let m: Vec<f64> = runs.iter().map(|f| f.makespan_ms as f64).collect();
            let at = |p| percentile(&m, p).unwrap_or(0.0) as u64;
            spread.push([at(25.0), at(50.0), at(75.0), at(95.0), at(100.0)]);
            median.push((v, runs[(runs.len() - 1) / 2].seed));
        }
        CompareView { title: title.to_string(), rows, spread, median, selected: 0 }
    }

    /// A key; `Some` when the operator chose.
    pub fn key(&mut self, code: KeyCode) -> Option<Choice> {
        match code {
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1))
            }
            KeyCode::Enter => {
                let &(variant, seed) = self.median.get(self.selected)?;
                return Some(Choice::Open { variant, seed });
            }
            KeyCode::Char('q') | KeyCode::Esc => return Some(Choice::Quit),
            _ => {}
        }
        None
    }

    pub fn draw(&self, f: &mut Frame) {
        let table_height = self.rows.len() as u16 + 3;
        let [top, chart, help] =
            Layout::vertical([Constraint::Length(table_height), Constraint::Min(6), Constraint::Length(1)])
                .areas(f.area());
        let text = table::render(&self.rows);
        let lines: Vec<Line> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                let style = if i == self.selected + 1 {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                };
                Line::from(Span::styled(l.to_string(), style))
            })
            .collect();
        let block = Block::default().borders(Borders::ALL).title(format!(" compare: {} ", self.title));
        f.render_widget(Paragraph::new(lines).block(block), top);
        f.render_widget(self.chart(), chart);
        let help_line = "↑/↓ choose a variant · Enter open its median-seed run in the console · q quit";
        f.render_widget(Paragraph::new(help_line), help);
    }

    /// One group of bars per variant: its p25, p50, p75, p95 and max makespan.
    fn chart(&self) -> BarChart<'_> {
        let names = ["p25", "p50", "p75", "p95", "max"];
        let mut chart = BarChart::default()
            .block(Block::default().borders(Borders::ALL).title(" makespan (ms) by variant: p25 p50 p75 p95 max "))
            .bar_width(6)
            .bar_gap(1)
            .group_gap(3);
        for (i, (row, spread)) in self.rows.iter().zip(&self.spread).enumerate() {
            let bars: Vec<Bar> = names
                .iter()
                .zip(spread)
                .map(|(name, &v)| {
                    let bar = Bar::default().value(v).label(Line::from(*name));
                    if i == self.selected { bar.style(Style::default().add_modifier(Modifier::BOLD)) } else { bar }
                })
                .collect();
            let label = format!("{} {}", i + 1, row.variant);
            chart = chart.data(BarGroup::default().label(Line::from(label)).bars(&bars));
        }
        chart
    }
}

/// Shows the view on the terminal until the operator chooses.
pub fn run(mut view: CompareView) -> io::Result<Choice> {
    let mut guard = super::console::TerminalGuard::enter()?;
    loop {
        guard.terminal.draw(|f| view.draw(f))?;
        if let Event::Key(key) = event::read()?
            && key.kind == KeyEventKind::Press
            && let Some(choice) = view.key(key.code)
        {
            return Ok(choice);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatif::{runs, variants};

    fn compared() -> (Vec<variants::Variant>, Vec<Figures>) {
        let file = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/parallel-fanout.json"));
        let vary = [variants::Vary::parse("allocation=round_robin,best_score").unwrap()];
        let variants = variants::variants(file, crate::scenario::DEFAULT_MAX_BYTES, &vary).unwrap();
        let seeds: Vec<u64> = (1..=9).collect();
        let figures = runs::run_all(&variants, &seeds, 2, &|| true, &|_, _| {});
        (variants, figures)
    }

    fn view() -> CompareView {
        let (variants, figures) = compared();
        CompareView::new("parallel-fanout.json", &variants, &figures)
    }

    #[test]
    fn the_compare_view_shows_the_table_and_the_spread_of_each_variant() {
        let view = view();
        let backend = ratatui::backend::TestBackend::new(160, 30);
        let mut terminal = ratatui::Terminal::new(backend).unwrap();
        terminal.draw(|f| view.draw(f)).unwrap();
        insta::assert_snapshot!("compare_view_160x30", terminal.backend());
    }

    #[test]
    fn enter_opens_the_median_seed_of_the_chosen_variant() {
        let mut v = view();
        assert_eq!(v.key(KeyCode::Down), None);
        assert_eq!(v.selected, 1);
        assert_eq!(v.key(KeyCode::Down), None);
        assert_eq!(v.selected, 1, "it stops at the last variant");
        let Some(Choice::Open { variant, seed }) = v.key(KeyCode::Enter) else { panic!("Enter opens a run") };
        assert_eq!(variant, 1);
        // The median seed: of the variant's 9 runs, 4 are shorter (or as short, earlier seeds).
        let (variants, figures) = compared();
        let mine = runs::run_one(&variants[1].scenario, 1, seed).makespan_ms;
        let mut spans: Vec<(u64, u64)> =
            figures.iter().filter(|f| f.variant == 1).map(|f| (f.makespan_ms, f.seed)).collect();
        spans.sort();
        assert_eq!(spans[4], (mine, seed), "{spans:?}");
        assert_eq!(v.key(KeyCode::Char('q')), Some(Choice::Quit));
    }
}

//! How the console shows sagas: a step's compensation beside it in the DAG, the saga lines of the
//! task detail, and each saga's outcome in the header. All read from the coordinator's saga state;
//! nothing here is drawn for a scenario without sagas.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Span;

use crate::core::saga::{Phase, Role, SagaId, SagaRt};
use crate::core::{Coordinator, TaskId};
use crate::tui::theme;

/// The mark of compensation (also the mark of a dormant compensator).
pub const MARK: &str = "↺";

/// `↺ cancel-flight ✓`: the compensation of a step, in its compensator's state style (dim while
/// dormant, with its state mark once woken). `None` for tasks that are not compensated steps.
pub fn step_suffix(coord: &Coordinator, t: TaskId, max_name: usize) -> Option<Vec<Span<'static>>> {
    let Some(Role::Step { compensator: Some(c), .. }) = coord.state().sagas.role(t) else { return None };
    let rt = &coord.state().tasks[c.ix()];
    let (mark, style) = theme::task_look(rt);
    let name = crate::tui::panes::text::truncate(coord.task_name(c), max_name);
    let mut spans = vec![Span::styled(format!(" {MARK} {name}"), style)];
    if !rt.state.is_dormant() {
        spans.push(Span::styled(format!(" {mark}"), style));
    }
    Some(spans)
}

/// A compensator shows where its step is (it has no place of its own in the DAG).
pub fn host(coord: &Coordinator, t: TaskId) -> Option<TaskId> {
    match coord.state().sagas.role(t) {
        Some(Role::Compensator { step, .. }) => Some(step),
        _ => None,
    }
}

/// A saga's outcome in a word or two, with its style.
pub fn outcome(rt: &SagaRt) -> (String, Style) {
    match rt.phase {
        Phase::Running => ("running".into(), Style::new().fg(Color::Cyan)),
        Phase::Completed => ("✓ completed".into(), Style::new().fg(Color::Green)),
        Phase::Compensating => {
            let n = rt.started.len() + rt.queue.len();
            (format!("{MARK} compensating {}/{n}", rt.started.len()), Style::new().fg(Color::Yellow))
        }
        Phase::Compensated if rt.failed > 0 => (
            format!("{MARK} compensated {}/{}, {} failed", rt.compensated, rt.started.len(), rt.failed),
            Style::new().fg(Color::LightRed).add_modifier(Modifier::BOLD),
        ),
        Phase::Compensated => {
            (format!("{MARK} compensated {}/{}", rt.compensated, rt.started.len()), Style::new().fg(Color::Magenta))
        }
    }
}

/// ` · saga booking ↺ compensated 2/2` for each saga, for the header's progress line.
pub fn header_note(coord: &Coordinator) -> String {
    let mut out = String::new();
    for (s, rt) in coord.state().sagas.rt.iter().enumerate() {
        out.push_str(&format!(" · saga {} {}", coord.saga_name(SagaId(s as u32)), outcome(rt).0));
    }
    out
}

/// What the task is to its saga, for the detail popup: `(label, text)` lines.
pub fn detail(coord: &Coordinator, t: TaskId) -> Vec<(&'static str, Vec<Span<'static>>)> {
    let s = coord.state();
    let name = |t: TaskId| coord.task_name(t).to_string();
    let saga_line = |saga: SagaId| {
        let (word, style) = outcome(&s.sagas.rt[saga.ix()]);
        let steps: Vec<String> = s.sagas.steps[saga.ix()].iter().map(|&t| name(t)).collect();
        vec![Span::raw(format!("{} ({}) ", coord.saga_name(saga), steps.join(", "))), Span::styled(word, style)]
    };
    match s.sagas.role(t) {
        None => Vec::new(),
        Some(Role::Step { saga, compensator }) => {
            let mut out = vec![("saga", saga_line(saga))];
            let comp = match compensator {
                Some(c) => {
                    let rt = &s.tasks[c.ix()];
                    let (mark, style) = theme::task_look(rt);
                    let word =
                        if rt.state.is_dormant() && s.finished.is_some() { "not needed" } else { rt.state.name() };
                    vec![Span::styled(format!("{mark} {} — {word}", name(c)), style)]
                }
                None => vec![Span::styled("none (nothing to undo)", theme::DIM)],
            };
            out.push(("compensation", comp));
            out
        }
        Some(Role::Compensator { saga, step }) => {
            let rt = &s.sagas.rt[saga.ix()];
            let why = match rt.started.iter().position(|&(st, _)| st == step) {
                Some(i) => format!(" — compensation {} of {}", i + 1, rt.started.len() + rt.queue.len()),
                None => " — runs only if the saga fails after this step completed".into(),
            };
            vec![("compensates", vec![Span::raw(format!("{}{why}", name(step)))]), ("saga", saga_line(saga))]
        }
    }
}

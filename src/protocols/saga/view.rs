//! How the console shows sagas: a step's compensation beside it in the DAG, the saga lines of the
//! task detail, and each saga's outcome in the header. All read from the coordinator's saga state;
//! nothing here is drawn for a scenario without sagas.

use ratatui::style::Style;
use ratatui::text::Span;

use crate::core::{Coordinator, TaskId};
use crate::protocols::saga::{Phase, Role as SagaRole, SagaId, SagaRt};
use crate::tui::theme::{Role, Theme};

/// The mark of compensation (also the mark of a dormant compensator).
pub const MARK: &str = "↺";

/// `↺ cancel-flight ✓`: the compensation of a step, in its compensator's state style (dim while
/// dormant, with its state mark once woken). `None` for tasks that are not compensated steps.
pub fn step_suffix(coord: &Coordinator, t: TaskId, max_name: usize, theme: &Theme) -> Option<Vec<Span<'static>>> {
    let Some(SagaRole::Step { compensator: Some(c), .. }) = coord.state().sagas().role(t) else { return None };
    let rt = &coord.state().tasks()[c.ix()];
    let (mark, style) = theme.task_look(rt);
    let name = crate::tui::panes::text::truncate(coord.task_name(c), max_name);
    let mut spans = vec![Span::styled(format!(" {MARK} {name}"), style)];
    if !rt.state.is_dormant() {
        spans.push(Span::styled(format!(" {mark}"), style));
    }
    Some(spans)
}

/// A compensator shows where its step is (it has no place of its own in the DAG).
pub fn host(coord: &Coordinator, t: TaskId) -> Option<TaskId> {
    match coord.state().sagas().role(t) {
        Some(SagaRole::Compensator { step, .. }) => Some(step),
        _ => None,
    }
}

/// A saga's outcome in a word or two.
pub fn outcome(rt: &SagaRt) -> String {
    match rt.phase {
        Phase::Running => "running".into(),
        Phase::Completed => "✓ completed".into(),
        Phase::Compensating => {
            let n = rt.started.len() + rt.queue.len();
            format!("{MARK} compensating {}/{n}", rt.started.len())
        }
        Phase::Compensated if rt.failed > 0 => {
            format!("{MARK} compensated {}/{}, {} failed", rt.compensated, rt.started.len(), rt.failed)
        }
        Phase::Compensated => format!("{MARK} compensated {}/{}", rt.compensated, rt.started.len()),
    }
}

/// How a saga's outcome is drawn.
fn outcome_style(rt: &SagaRt, theme: &Theme) -> Style {
    match rt.phase {
        Phase::Running => theme.fg(Role::Active),
        Phase::Completed => theme.fg(Role::Ok),
        Phase::Compensating => theme.fg(Role::Warning),
        Phase::Compensated if rt.failed > 0 => theme.bold(Role::Urgent),
        Phase::Compensated => theme.fg(Role::Operator),
    }
}

/// ` · saga booking ↺ compensated 2/2` for each saga, for the header's progress line.
pub fn header_note(coord: &Coordinator) -> String {
    let mut out = String::new();
    for (s, rt) in coord.state().sagas().rt.iter().enumerate() {
        out.push_str(&format!(" · saga {} {}", coord.saga_name(SagaId(s as u32)), outcome(rt)));
    }
    out
}

/// What the task is to its saga, for the detail popup: `(label, text)` lines.
pub fn detail(coord: &Coordinator, t: TaskId, theme: &Theme) -> Vec<(&'static str, Vec<Span<'static>>)> {
    let s = coord.state();
    let name = |t: TaskId| coord.task_name(t).to_string();
    let saga_line = |saga: SagaId| {
        let rt = &s.sagas().rt[saga.ix()];
        let (word, style) = (outcome(rt), outcome_style(rt, theme));
        let steps: Vec<String> = s.sagas().steps[saga.ix()].iter().map(|&t| name(t)).collect();
        vec![Span::raw(format!("{} ({}) ", coord.saga_name(saga), steps.join(", "))), Span::styled(word, style)]
    };
    match s.sagas().role(t) {
        None => Vec::new(),
        Some(SagaRole::Step { saga, compensator }) => {
            let mut out = vec![("saga", saga_line(saga))];
            let comp = match compensator {
                Some(c) => {
                    let rt = &s.tasks()[c.ix()];
                    let (mark, style) = theme.task_look(rt);
                    let word =
                        if rt.state.is_dormant() && s.finished().is_some() { "not needed" } else { rt.state.name() };
                    vec![Span::styled(format!("{mark} {} — {word}", name(c)), style)]
                }
                None => vec![Span::styled("none (nothing to undo)", theme.dim())],
            };
            out.push(("compensation", comp));
            out
        }
        Some(SagaRole::Compensator { saga, step }) => {
            let rt = &s.sagas().rt[saga.ix()];
            let why = match rt.started.iter().position(|&(st, _)| st == step) {
                Some(i) => format!(" — compensation {} of {}", i + 1, rt.started.len() + rt.queue.len()),
                None => " — runs only if the saga fails after this step completed".into(),
            };
            vec![("compensates", vec![Span::raw(format!("{}{why}", name(step)))]), ("saga", saga_line(saga))]
        }
    }
}

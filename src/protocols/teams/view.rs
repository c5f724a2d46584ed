//! How the console shows teams: the `reports_to` tree in the Agents pane (tree order, indented),
//! and the team lines of the task and agent details (delegation chain, review rounds, manager and
//! reports).
//! Nothing here changes what is drawn for a scenario without a tree or delegations.

use ratatui::text::Span;

use crate::core::{AgentId, Coordinator, TaskId};
use crate::tui::theme::{Role, Theme};

/// Every agent in tree order: each root, then its reports depth first, in scenario order among
/// siblings. Scenario order when no agent reports to anyone.
pub fn tree_order(coord: &Coordinator) -> Vec<AgentId> {
    let tree = &coord.state().teams().tree;
    let n = coord.scenario().agents.len();
    let all = (0..n as u32).map(AgentId);
    if tree.is_empty() {
        return all.collect();
    }
    let mut out = Vec::with_capacity(n);
    let mut stack: Vec<AgentId> = all.clone().filter(|&a| tree.parent(a).is_none()).rev().collect();
    while let Some(a) = stack.pop() {
        out.push(a);
        stack.extend(all.clone().filter(|&c| tree.parent(c) == Some(a)).rev());
    }
    out
}

/// `  └ ` before an agent at depth 2 (nothing for a root): the tree drawn by indentation.
pub fn indent(coord: &Coordinator, a: AgentId) -> String {
    match coord.state().teams().tree.depth(a) {
        0 => String::new(),
        d => format!("{}└ ", "  ".repeat(d as usize - 1)),
    }
}

/// The widest [`indent`] of the run, in columns.
pub fn indent_width(coord: &Coordinator) -> usize {
    coord.state().teams().tree.depth.iter().max().map_or(0, |&d| if d == 0 { 0 } else { 2 * d as usize })
}

/// Team lines of a task's detail: its delegation chain and its review rounds.
pub fn task_detail(coord: &Coordinator, t: TaskId, theme: &Theme) -> Vec<(&'static str, Vec<Span<'static>>)> {
    let mut out = delegation_detail(coord, t, theme);
    out.extend(review_detail(coord, t, theme));
    out.extend(help_detail(coord, t, theme));
    out
}

/// `help  #12 research → analyst: answered in 245ms` per exchange the task's attempts had.
fn help_detail(coord: &Coordinator, t: TaskId, theme: &Theme) -> Vec<(&'static str, Vec<Span<'static>>)> {
    let teams = coord.state().teams();
    let mut out = Vec::new();
    for (id, h) in teams.help.iter().filter(|(_, h)| h.task == t) {
        let peer = h.peer.map_or("nobody".to_string(), |p| coord.agent_name(p).to_string());
        let (word, style) = match h.outcome {
            Some(Ok((_, waited))) => (format!("answered in {waited}ms"), theme.fg(Role::Ok)),
            Some(Err(miss)) => (format!("no answer ({})", miss.name()), theme.fg(Role::Warning)),
            None => ("waiting".to_string(), theme.dim()),
        };
        let asked = format!("#{id} attempt {} asked `{}` → {peer}: ", h.attempt, h.capability);
        out.push(("help", vec![Span::raw(asked), Span::styled(word, style)]));
    }
    out
}

/// `review  of draft · 1 of 2 rework rounds used · accepted after 2 reviews` for a reviewer;
/// `reviewed by  review · 1 rework round · notes: …` for the task it reviews.
fn review_detail(coord: &Coordinator, t: TaskId, theme: &Theme) -> Vec<(&'static str, Vec<Span<'static>>)> {
    let teams = coord.state().teams();
    let (reviewer, label) = match coord.scenario().tasks[t.ix()].extras().review {
        Some(_) => (t, "review"),
        None => match teams.reviewer_of.get(&t) {
            Some(&r) => (r, "reviewed by"),
            None => return Vec::new(),
        },
    };
    let spec = coord.scenario().tasks[reviewer.ix()].extras().review.as_ref().expect("a reviewer has its review");
    let rt = teams.reviews.get(&reviewer).cloned().unwrap_or_default();
    let name = if label == "review" { format!("of {}", spec.of) } else { coord.task_name(reviewer).to_string() };
    let mut spans = vec![Span::raw(format!(
        "{name} · {} of {} rework rounds used",
        rt.rejections.min(spec.max_rework),
        spec.max_rework
    ))];
    let (word, style) = match (rt.accepted, rt.limit) {
        (_, Some(action)) => (format!("limit reached: {}", action.name()), theme.fg(Role::Warning)),
        (Some(rounds), None) => (format!("accepted after {rounds} reviews"), theme.fg(Role::Ok)),
        (None, None) => (format!("on limit: {}", spec.on_limit.name()), theme.dim()),
    };
    spans.push(Span::styled(format!(" · {word}"), style));
    let mut out = vec![(label, spans)];
    if let Some(notes) = rt.notes.filter(|_| rt.rejections > 0) {
        out.push(("review notes", vec![Span::styled(notes.to_string(), theme.dim())]));
    }
    out
}

fn delegation_detail(coord: &Coordinator, t: TaskId, theme: &Theme) -> Vec<(&'static str, Vec<Span<'static>>)> {
    let Some(d) = coord.state().teams().delegations.get(&t) else { return Vec::new() };
    let mut chain = Vec::new();
    for (i, &a) in d.chain.iter().enumerate() {
        if i > 0 {
            chain.push(Span::styled(" → ", theme.dim()));
        }
        let up = coord.state().agents()[a.ix()].alive;
        let style = if up { theme.fg(Role::Team) } else { theme.fg(Role::Error) };
        chain.push(Span::styled(coord.agent_name(a).to_string(), style));
    }
    if d.chain.is_empty() {
        chain.push(Span::styled("not delegated this time", theme.dim()));
    }
    let counts = format!("{} hops down ({} past a manager who was down), {} reports up", d.hops, d.bypassed, d.reports);
    vec![("delegated", chain), ("hops", vec![Span::raw(counts)])]
}

/// Team lines of an agent's detail: its manager and direct reports.
pub fn agent_detail(coord: &Coordinator, a: AgentId) -> Vec<(&'static str, String)> {
    let tree = &coord.state().teams().tree;
    if tree.is_empty() {
        return Vec::new();
    }
    let boss = tree.parent(a).map_or("nobody (a root)".to_string(), |b| coord.agent_name(b).to_string());
    let reports: Vec<&str> = (0..coord.scenario().agents.len() as u32)
        .map(AgentId)
        .filter(|&c| tree.parent(c) == Some(a))
        .map(|c| coord.agent_name(c))
        .collect();
    let reports = if reports.is_empty() { "none".to_string() } else { reports.join(", ") };
    vec![("reports to", boss), ("reports", reports)]
}

#[cfg(test)]
mod tests;

//! How the console shows swarm allocation: each agent's thresholds beside its capabilities (and in
//! its detail), and for a task whether it waits on the board (with its stimulus) or who claimed it
//! and how likely that was. All read from the coordinator's swarm state; nothing here is drawn for
//! a scenario that does not allocate by swarm.

use ratatui::text::Span;

use crate::core::{AgentId, Coordinator, TaskId};
use crate::tui::theme::{Role, Theme};

/// The agent's capabilities as the Agents pane lists them: `scout θ2,haul θ12` in a swarm run.
pub fn capabilities(coord: &Coordinator, a: AgentId) -> String {
    let sw = coord.state().swarm();
    if !sw.active {
        return coord.scenario().agents[a.ix()].capabilities.join(",");
    }
    sw.thresholds(a).map(|(c, t)| format!("{c} θ{t}")).collect::<Vec<_>>().join(",")
}

/// `swarm` line of a task's detail: on the board since when and with what stimulus, or who
/// claimed it and with what probability.
pub fn task_detail(
    coord: &Coordinator,
    t: TaskId,
    now_ms: u64,
    theme: &Theme,
) -> Option<(&'static str, Vec<Span<'static>>)> {
    let sw = coord.state().swarm();
    if !sw.active {
        return None;
    }
    if let Some(p) = sw.board.iter().find(|p| p.task == t) {
        let waited = now_ms.saturating_sub(p.posted_ms);
        let stimulus = sw.cfg.stimulus_rate * waited as f64 / sw.cfg.tick_ms as f64;
        let text = format!("on the board for {waited} ms, stimulus {stimulus:.1}");
        return Some(("swarm", vec![Span::styled(text, theme.fg(Role::Warning))]));
    }
    let (agent, p) = sw.claim_of(t)?;
    let text = format!("claimed by {} (p={p:.2})", coord.agent_name(agent));
    Some(("swarm", vec![Span::styled(text, theme.fg(Role::Active))]))
}

/// `swarm` line of an agent's detail: its thresholds and the claims it won.
pub fn agent_detail(coord: &Coordinator, a: AgentId) -> Option<String> {
    let sw = coord.state().swarm();
    if !sw.active {
        return None;
    }
    let th: Vec<String> = sw.thresholds(a).map(|(c, t)| format!("θ {c} {t}")).collect();
    Some(format!("{} · {} claims from the board", th.join(" · "), sw.claims[a.ix()]))
}

#[cfg(test)]
mod tests;

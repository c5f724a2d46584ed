//! How the console shows an elastic team: a template's slots in the Agents pane are `absent` until
//! created and `retired` after, dimmed; a slot's detail names its template and its stints. Nothing
//! here is drawn for a scenario without templates.

use ratatui::style::Style;

use crate::core::{AgentId, Coordinator};
use crate::tui::theme::Theme;

/// The state word of a slot not in the team (`absent`, or `retired` once it has been created),
/// dimmed; `None` for declared agents and created slots, which show their usual state.
pub fn slot_state(coord: &Coordinator, a: AgentId, theme: &Theme) -> Option<(&'static str, Style)> {
    let el = coord.state().elastic();
    if !el.active || el.template_of(a).is_none() || el.is_present(a) {
        return None;
    }
    let word = if el.stints.iter().any(|s| s.agent == a) { "retired" } else { "absent" };
    Some((word, theme.dim()))
}

/// `template` line of a slot's detail: its template and every stint in the team.
pub fn agent_detail(coord: &Coordinator, a: AgentId) -> Option<String> {
    let el = coord.state().elastic();
    let t = el.template_of(a)?;
    let sc = coord.scenario();
    let name = sc.agents[a.ix()].template.map_or("", |i| sc.templates[i as usize].id.as_str());
    let tm = &el.templates[t];
    let mut text = format!(
        "{name} (up to {}, created after {} ms of waiting, retired after {} ms idle)",
        tm.max, tm.spawn_after_ms, tm.retire_after_ms
    );
    for s in el.stints.iter().filter(|s| s.agent == a) {
        let end = s.retired_ms.map_or("now".to_string(), |r| format!("{r} ms"));
        text.push_str(&format!(" · {} ms–{end} for {}", s.created_ms, coord.task_name(s.task)));
    }
    Some(text)
}

//! What a planner did, in a task's detail popup: the tasks its plan added, or every problem of
//! each plan that was rejected; and, for an added task, the planner that added it.

use ratatui::text::{Line, Span};

use super::Ctx;
use super::detail::{field, heading, task_list};
use crate::core::TaskId;
use crate::tui::theme::Role;

pub(super) fn plan_lines(t: TaskId, ctx: &Ctx, out: &mut Vec<Line<'static>>) {
    let theme = ctx.theme;
    let (coord, plans) = (ctx.coord, &ctx.coord.state().plans());
    if let Some(by) = plans.added_by(t) {
        out.push(field("planned by", vec![Span::raw(coord.task_name(by).to_string())], theme));
    }
    let Some(plan) = coord.scenario().tasks[t.ix()].extras().plan.as_deref() else { return };
    out.push(Line::raw(""));
    out.push(heading(format!("plan (planner, at most {} subtasks)", plan.max_subtasks), theme));
    let added: Vec<TaskId> = plans.added_of(t).collect();
    if added.is_empty() {
        out.push(Line::styled("  nothing added yet", theme.dim()));
    } else {
        task_list("added", &added, ctx, out);
    }
    for r in plans.rejected_of(t) {
        let what = format!("attempt {} on {} at {}", r.attempt, coord.agent_name(r.agent), super::text::clock(r.t_ms));
        out.push(field("rejected", vec![Span::styled(what, theme.fg(Role::Error))], theme));
        for e in r.errors.iter() {
            out.push(field("", vec![Span::raw(e.clone())], theme));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::core::TaskId;
    use crate::tui::app::tests::screen;
    use crate::tui::app::{App, ConsoleOptions, Popup};
    use crate::tui::panes::Selection;

    fn planner_app(ms: u64) -> App {
        let sc = crate::scenario::load(std::path::Path::new("scenarios/planner-decomposition.json")).unwrap();
        let mut a = App::new(sc, ConsoleOptions::default()).unwrap();
        for _ in 0..ms / 50 {
            a.tick(50.0);
        }
        a
    }

    #[test]
    fn planned_tasks_appear_in_the_dag_under_their_planner_with_a_mark() {
        let mut a = planner_app(2_500);
        let s = screen(&mut a, 160, 45);
        // `write-report` and `publish` are in the layers scrolled off to the right.
        for planned in ["+research-market", "+research-papers", "»+research-competitors"] {
            assert!(s.contains(planned), "{planned} missing:\n{s}");
        }
        assert!(!s.contains("+plan-report") && !s.contains("+publish"), "tasks of the file have no mark:\n{s}");
        insta::assert_snapshot!("planner_console_160x45", s);
    }

    #[test]
    fn a_planners_detail_lists_what_it_added_or_why_its_plan_was_rejected() {
        let mut a = planner_app(6_000);
        a.popup = Some(Popup::Detail { sel: Selection::Task(TaskId(1)), scroll: 0 });
        let s = screen(&mut a, 160, 45);
        assert!(s.contains("plan (planner, at most 8 subtasks)"), "{s}");
        assert!(s.contains("added") && s.contains("✓ write-report"), "{s}");
        insta::assert_snapshot!("planner_detail_added", s);
        a.popup = Some(Popup::Detail { sel: Selection::Task(TaskId(3)), scroll: 0 });
        let s = screen(&mut a, 160, 45);
        assert!(s.contains("rejected        attempt 1 on planner at"), "{s}");
        assert!(s.contains("`tables`: dependency cycle: tables -> charts -> tables"), "{s}");
        assert!(s.contains("nothing added yet"), "{s}");
        // An added task names its planner, and waits for it.
        a.popup = Some(Popup::Detail { sel: Selection::Task(TaskId(8)), scroll: 0 });
        let s = screen(&mut a, 160, 45);
        assert!(s.contains("planned by      plan-report"), "{s}");
        assert!(s.contains("depends on      ✓ research-market"), "{s}");
    }
}

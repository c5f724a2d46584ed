//! `:whatif` in the console: the comparison from a run's current state instead of from its start.
//!
//! Each variant is a branch of the run as it stands ([`SimRun::branch`]): the simulation keeps
//! what its agents are doing, and the coordinator is the run's events folded into the changed
//! scenario. A first variant, `(as is)`, branches with no change, so each row reads against going
//! on as we are. Every branch then runs to its end on each seed (the draws from now on use it),
//! headless and without a journal, as `compare` runs do.
//!
//! A change from now keeps what the run has already counted on: its tasks, its agents (in their
//! order) and its faults. `agents+=…` adds an agent, up and idle from now; `agents-=ID` drains one
//! (it finishes what it holds and takes nothing more), since it may be holding work right now.

use super::runs::{Figures, figures};
use super::table::Row;
use super::variants::{Variant, Vary, combos};
use crate::core::{AgentId, Coordinator, Event, OpAction};
use crate::runtime::{Horizon, SimRun, needs_live};
use crate::scenario::overrides::{self, Override};
use crate::scenario::{self, Scenario};

/// The label of the branch that changes nothing.
pub const AS_IS: &str = "(as is)";

/// The branches of a run, one per variant, ready to run on any seed.
pub struct Branches {
    /// `(as is)` first, then each combination of the `--vary`s.
    pub variants: Vec<Variant>,
    forks: Vec<SimRun>,
    /// The run's virtual time where they branch.
    pub at_ms: u64,
}

impl Branches {
    /// Branches `run` (whose events so far are `history`) into `(as is)` and each combination of
    /// `varies`. An error names the variant and says what it changes that cannot change now.
    pub fn new(run: &SimRun, history: &[Event], varies: &[Vary], max_bytes: u64) -> Result<Branches, String> {
        let current = run.coordinator().scenario();
        if run.coordinator().is_finished() || run.is_done() {
            return Err(
                "the run has ended: nothing is left to vary (compare FILE --vary … varies it from the start)".into()
            );
        }
        if needs_live(current) {
            return Err("a what-if simulates the rest of the run, and this run has real agents".into());
        }
        let text = serde_json::to_string(current).expect("a scenario serializes");
        let mut variants = vec![Variant { label: AS_IS.into(), scenario: current.clone() }];
        let mut drains = vec![Vec::new()];
        // No `--vary`: just `(as is)` (`combos` would give it again, as written).
        for combo in combos(varies).into_iter().filter(|_| !varies.is_empty()) {
            let fail = |why: String| format!("{}: {why}", combo.label);
            let (removed, sets): (Vec<&Override>, Vec<&Override>) =
                combo.sets.iter().partition(|o| o.removed_agent().is_some());
            let sets: Vec<Override> = sets.into_iter().cloned().collect();
            let changed = match &combo.file {
                Some(file) => scenario::load_overridden(file, max_bytes, &sets).map_err(|e| e.to_string()),
                None => overrides::apply("the run's scenario", &text, &sets).map_err(|e| e.to_string()),
            }
            .map_err(fail)?;
            keeps_the_run(current, &changed).map_err(fail)?;
            let drained = removed
                .iter()
                .filter_map(|o| o.removed_agent())
                .map(|id| agent(current, id).ok_or_else(|| fail(format!("the run has no agent `{id}`"))))
                .collect::<Result<Vec<_>, _>>()?;
            variants.push(Variant { label: combo.label, scenario: changed });
            drains.push(drained);
        }
        let forks = variants.iter().zip(drains).map(|(v, drained)| fork(run, history, &v.scenario, &drained)).collect();
        Ok(Branches { variants, forks, at_ms: run.now() })
    }

    /// Runs the branch of variant `variant` to its end (or its default horizon) on `seed`.
    pub fn run(&self, variant: usize, seed: u64) -> Figures {
        let mut run = self.forks[variant].clone();
        run.reseed(seed);
        run.set_horizon(Horizon::new(run.coordinator().scenario(), None, None));
        // The `()` sink takes nothing and cannot fail.
        let _ = run.run(&mut ());
        figures(run.coordinator(), variant, seed)
    }
}

/// The popup's lines for `rows` (the first is `(as is)`): the table, then what each change does
/// against going on as is. Times are the whole run's finish (virtual), p50 over the seeds.
pub fn summary(rows: &[Row]) -> Vec<String> {
    let width = rows.iter().map(|r| r.variant.chars().count()).max().unwrap_or(0).clamp(7, 64);
    let mut lines = vec![format!(
        "{:<width$}  {:>4}  {:>7}  {:>20}  {:>9}  {:>8}  {:>7}  {:>9}",
        "variant", "runs", "success", "p50 finish", "p95", "cost", "retries", "p vs as is"
    )];
    let first = rows.first();
    for r in rows {
        let delta = match first {
            Some(f) if !std::ptr::eq(f, r) => format!(" ({})", signed_secs(r.makespan_p50_ms - f.makespan_p50_ms)),
            _ => String::new(),
        };
        let p = match r.p_vs_first {
            Some(p) if p < 0.001 => "<0.001 *".into(),
            Some(p) => format!("{p:.3}{}", if p < 0.05 { " *" } else { "  " }),
            None if first.is_some_and(|f| std::ptr::eq(f, r)) => "—  ".into(),
            None => "n/a  ".into(),
        };
        lines.push(format!(
            "{:<width$}  {:>4}  {:>6.0}%  {:>20}  {:>9}  {:>8.1}  {:>7.2}  {:>10}",
            clip(&r.variant, width),
            r.runs,
            r.success_rate * 100.0,
            format!("{}{delta}", secs(r.makespan_p50_ms)),
            secs(r.makespan_p95_ms),
            r.mean_cost,
            r.retries,
            p
        ));
    }
    if let Some(f) = first {
        lines.push(String::new());
        for r in &rows[1..] {
            let significance = match r.p_vs_first {
                Some(p) if p < 0.05 => format!("p {}", p_value(p)),
                Some(p) => format!("p = {p:.2}: could be chance"),
                None => "p: n/a".into(),
            };
            lines.push(format!(
                "if {} from now: p50 finish {} ({}), success {:.0}% ({:+.0} pts), {significance}",
                r.variant,
                secs(r.makespan_p50_ms),
                signed_secs(r.makespan_p50_ms - f.makespan_p50_ms),
                r.success_rate * 100.0,
                (r.success_rate - f.success_rate) * 100.0,
            ));
        }
    }
    lines
}

/// `= 0.003`, `< 0.001`.
fn p_value(p: f64) -> String {
    if p < 0.001 { "< 0.001".into() } else { format!("= {p:.3}") }
}

fn secs(ms: f64) -> String {
    format!("{:.1} s", ms / 1000.0)
}

/// `−12.0 s`, `+3.5 s`, `±0.0 s`.
fn signed_secs(ms: f64) -> String {
    let sign = if ms.abs() < 50.0 {
        "±"
    } else if ms < 0.0 {
        "−"
    } else {
        "+"
    };
    format!("{sign}{:.1} s", ms.abs() / 1000.0)
}

/// `text` in `width` characters: its start and its end, `…` between (the end of a label says
/// which value it is).
fn clip(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let head = (width - 1) / 3;
    let tail = width - 1 - head;
    let mut cut: String = text.chars().take(head).collect();
    cut.push('…');
    cut.extend(text.chars().skip(count - tail));
    cut
}

/// What the driver and the recorded events refer to by index stays where it was.
fn keeps_the_run(current: &Scenario, changed: &Scenario) -> Result<(), String> {
    if !current.tasks.iter().map(|t| &t.id).eq(changed.tasks.iter().map(|t| &t.id)) {
        return Err("it changes which tasks there are, which a run under way has counted on \
                    (compare FILE --vary … changes them from the start)"
            .into());
    }
    let kept = current.agents.iter().zip(&changed.agents).all(|(a, b)| a.id == b.id);
    if !kept || changed.agents.len() < current.agents.len() {
        return Err("it removes or reorders agents; from now, `agents-=ID` drains one and `agents+=…` adds one".into());
    }
    if current.faults != changed.faults {
        return Err("it changes the scenario's faults, which are already scheduled".into());
    }
    Ok(())
}

fn agent(scenario: &Scenario, id: &str) -> Option<AgentId> {
    scenario.agents.iter().position(|a| a.id == id).map(|i| AgentId(i as u32))
}

/// The run's branch under `changed`, going (unpaused) with `drained` draining.
fn fork(run: &SimRun, history: &[Event], changed: &Scenario, drained: &[AgentId]) -> SimRun {
    // A branch's log lines are not the run's (the console shows the process's logs).
    let _quiet = tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::default());
    let mut coord = Coordinator::from_events(changed.clone(), history);
    coord.welcome_agents(run.coordinator().scenario().agents.len(), run.now());
    let mut fork = run.branch(coord);
    // Actions on the branch go nowhere (`()`); a refusal (an agent already down) changes nothing.
    if fork.coordinator().state().paused() {
        let _ = fork.operator(OpAction::Resume, "whatif", None, &mut ());
    }
    for &a in drained {
        let _ = fork.operator(OpAction::Drain(a), "whatif", None, &mut ());
    }
    fork
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatif::runs::run_one;

    const LIMIT: u64 = 64 << 20;

    fn load(name: &str) -> Scenario {
        scenario::load(std::path::Path::new(&format!("scenarios/{name}"))).unwrap()
    }

    /// The run as the console has it at `t`: under way, with its events so far.
    fn under_way(s: &Scenario, t: u64) -> (SimRun, Vec<Event>) {
        let mut run = SimRun::new(s.clone());
        run.set_fail_on_stall(false);
        let mut history = Vec::new();
        run.advance_to(t, &mut history).unwrap();
        (run, history)
    }

    fn vary(spec: &str) -> Vary {
        Vary::parse(spec).unwrap()
    }

    #[test]
    fn going_on_as_is_on_the_runs_own_seed_ends_as_the_run_does() {
        // Every bundled simulated scenario, branched at a quarter and at three quarters of its run.
        for entry in std::fs::read_dir("scenarios").unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            if !name.ends_with(".json") {
                continue;
            }
            let s = load(&name);
            if needs_live(&s) {
                continue;
            }
            let whole = run_one(&s, 0, s.seed);
            for t in [whole.makespan_ms / 4, whole.makespan_ms * 3 / 4] {
                let (run, history) = under_way(&s, t);
                let branches = Branches::new(&run, &history, &[], LIMIT).unwrap();
                assert_eq!(branches.variants.len(), 1);
                assert_eq!(branches.run(0, s.seed), whole, "{name} branched at {t} ms");
            }
        }
    }

    #[test]
    fn a_change_from_now_changes_only_the_rest_of_the_run() {
        let s = load("market-auction.json");
        let (run, history) = under_way(&s, 2_000);
        let varies = [vary("allocation=least_loaded,best_score")];
        let branches = Branches::new(&run, &history, &varies, LIMIT).unwrap();
        let labels: Vec<&str> = branches.variants.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels, [AS_IS, "allocation=least_loaded", "allocation=best_score"]);
        for v in 0..3 {
            let mut fork = branches.forks[v].clone();
            let mut rest = Vec::new();
            fork.run(&mut rest).unwrap();
            // The branch goes on from the run's next event; nothing before it is done again.
            assert_eq!(rest[0].seq, history.len() as u64, "variant {v}");
            assert!(rest.iter().all(|e| e.t_ms >= 2_000));
        }
        let figures: Vec<Figures> = (0..3).map(|v| branches.run(v, 7)).collect();
        assert_ne!(figures[0].makespan_ms, figures[2].makespan_ms, "best_score must change the rest of the run");
    }

    #[test]
    fn an_agent_added_from_now_takes_work_and_a_removed_one_is_drained() {
        let s = load("parallel-fanout.json");
        let first = s.agents[0].id.clone();
        let mut extra = serde_json::to_value(&s.agents[0]).unwrap();
        extra["id"] = "extra".into();
        let (run, history) = under_way(&s, 1);
        let varies = [vary(&format!("agents+={extra}")), vary(&format!("agents-={first}"))];
        let branches = Branches::new(&run, &history, &varies, LIMIT).unwrap();
        let mut fork = branches.forks[1].clone();
        let mut rest = Vec::new();
        fork.run(&mut rest).unwrap();
        let added = AgentId(s.agents.len() as u32);
        let assigned_to = |a: AgentId| {
            rest.iter()
                .filter(|e| matches!(e.kind, crate::core::EventKind::TaskAssigned { agent, .. } if agent == a))
                .count()
        };
        assert!(assigned_to(added) > 0, "the added agent takes work");
        assert_eq!(assigned_to(AgentId(0)), 0, "the drained agent takes none");
        assert!(fork.coordinator().is_finished());
    }

    #[test]
    fn a_change_that_a_run_under_way_cannot_take_is_refused_with_its_reason() {
        let s = load("demo.json");
        let (run, history) = under_way(&s, 3_000);
        let refused = |spec: &str| Branches::new(&run, &history, &[vary(spec)], LIMIT).err().unwrap();
        assert!(refused("tasks-=archive").contains("tasks-=archive: it changes which tasks there are"));
        assert!(refused("agents-=nobody").contains("the run has no agent `nobody`"));
        assert!(refused("agents.budget.cost=-1").contains("--set agents.budget.cost=-1"));
        let (done, history) = under_way(&s, 10_000_000);
        let ended = Branches::new(&done, &history, &[], LIMIT).err().unwrap();
        assert!(ended.starts_with("the run has ended"));
    }

    #[test]
    fn the_summary_reads_each_change_against_going_on_as_is() {
        let row = |variant: &str, p50: f64, success: f64, p: Option<f64>| Row {
            variant: variant.into(),
            runs: 20,
            success_rate: success,
            makespan_p50_ms: p50,
            makespan_p95_ms: p50 + 1_000.0,
            makespan_max_ms: p50 + 2_000.0,
            mean_cost: 10.0,
            retries: 0.5,
            reassigned: 0.0,
            escalated: 0.0,
            mttr_ms: None,
            p_vs_first: p,
        };
        let rows = [
            row(AS_IS, 41_000.0, 0.9, None),
            row("allocation=best_score", 29_000.0, 1.0, Some(0.0004)),
            row("allocation=round_robin", 41_020.0, 0.9, Some(0.62)),
        ];
        let lines = summary(&rows);
        assert!(lines[1].starts_with("(as is)") && lines[1].contains("41.0 s") && lines[1].ends_with("—  "));
        assert!(lines[2].contains("29.0 s (−12.0 s)") && lines[2].ends_with("<0.001 *"), "{}", lines[2]);
        assert!(lines[3].contains("41.0 s (±0.0 s)"), "{}", lines[3]);
        assert_eq!(
            lines[5],
            "if allocation=best_score from now: p50 finish 29.0 s (−12.0 s), success 100% (+10 pts), p < 0.001"
        );
        assert!(lines[6].ends_with("p = 0.62: could be chance"), "{}", lines[6]);
        assert_eq!(clip("agents.budget.profile.failure_rate=0.5 allocation=auction", 20), "agents…ation=auction");
    }
}

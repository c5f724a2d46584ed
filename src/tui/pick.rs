//! The reassignment picker's order: the agents able to run a task, best first, each with why it
//! is where it is — up before down or draining, room before full, a closed breaker before a
//! half-open or open one, then the lighter load, then the better record.

use crate::core::health::BreakerState;
use crate::core::{AgentId, Coordinator, TaskId};

/// One candidate and the words that explain its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub agent: AgentId,
    pub why: String,
}

/// Where an agent ranks, most important first (lower is better): down or draining, no room, the
/// breaker's state, the load in thousandths of capacity, the failures in thousandths of attempts.
type RankKey = (u8, u8, u8, u64, u64);

/// The agents with the task's capability, ranked.
pub fn ranked(coord: &Coordinator, task: TaskId) -> Vec<Candidate> {
    let s = coord.state();
    let mut keyed: Vec<(RankKey, Candidate)> = coord
        .capable_agents(task)
        .iter()
        .map(|&agent| {
            let rt = &s.agents()[agent.ix()];
            let up = rt.alive && !rt.draining;
            let running = rt.running.len() as u32;
            let room = running < rt.max_concurrent;
            let (breaker, breaker_rank) = match rt.health.breaker {
                BreakerState::Closed => ("breaker closed", 0),
                BreakerState::HalfOpen => ("breaker half-open", 1),
                BreakerState::Open { .. } => ("breaker open", 2),
            };
            let done = rt.completed + rt.failed;
            // Success in parts per thousand; no record yet counts as neither good nor bad.
            let success = if done == 0 { 500 } else { u64::from(rt.completed) * 1000 / u64::from(done) };
            let state = match (rt.alive, rt.draining, room) {
                (false, _, _) => "down",
                (true, true, _) => "draining",
                (true, false, false) => "full",
                (true, false, true) => "free",
            };
            let record =
                if done == 0 { "no record yet".to_string() } else { format!("{}% ok of {done}", success / 10) };
            let why = format!("{state} · {running}/{} busy · {breaker} · {record}", rt.max_concurrent);
            // Load as a share of capacity, in parts per thousand.
            let load = u64::from(running) * 1000 / u64::from(rt.max_concurrent.max(1));
            ((u8::from(!up), u8::from(!room), breaker_rank, load, 1000 - success), Candidate { agent, why })
        })
        .collect();
    // Stable: agents that tie keep the scenario's order.
    keyed.sort_by_key(|(key, _)| *key);
    keyed.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::OpAction;
    use crate::runtime::SimRun;

    #[test]
    fn up_before_down_room_before_full_lighter_load_first() {
        let text = r#"{"name": "pick", "seed": 1, "heartbeat_ms": 0,
            "agents": [
              {"id": "gone", "capabilities": ["x"], "max_concurrent": 4},
              {"id": "busy", "capabilities": ["x"], "max_concurrent": 1},
              {"id": "half", "capabilities": ["x"], "max_concurrent": 2},
              {"id": "idle", "capabilities": ["x"], "max_concurrent": 2}
            ],
            "tasks": [{"id": "t1", "capability": "x"}, {"id": "t2", "capability": "x"},
                      {"id": "t3", "capability": "x"}, {"id": "later", "capability": "x", "depends_on": ["t1"]}]}"#;
        let sc = crate::scenario::parse("pick.json", text).unwrap();
        let mut run = SimRun::new(sc);
        run.set_fail_on_stall(false);
        run.advance_to(0, &mut ()).unwrap();
        let _ = run.operator(OpAction::Crash(AgentId(0)), "test", None, &mut ()).unwrap();
        let coord = run.coordinator();
        let load = |a: usize| coord.state().agents()[a].running.len();
        let order: Vec<&str> = ranked(coord, TaskId(3)).iter().map(|c| coord.agent_name(c.agent)).collect();
        // Whoever is free with the lighter load comes first; the full agent after; the down one last.
        assert_eq!(order.last(), Some(&"gone"), "{order:?}");
        let free: Vec<&str> = order.iter().copied().filter(|n| *n != "gone").collect();
        let loads: Vec<(bool, usize)> = free
            .iter()
            .map(|n| {
                let a = coord.scenario().agents.iter().position(|x| x.id == *n).unwrap();
                (load(a) as u32 >= coord.state().agents()[a].max_concurrent, load(a))
            })
            .collect();
        let mut sorted = loads.clone();
        sorted.sort();
        assert_eq!(loads, sorted, "{order:?}: room before full, then lighter load");
        let why = ranked(coord, TaskId(3));
        assert!(why.last().unwrap().why.starts_with("down"), "{:?}", why.last());
        assert!(why.iter().all(|c| c.why.contains("breaker closed") && c.why.contains("busy")));
    }
}

//! Contract-net auctions from the outside: the bundled market-auction scenario, checked from its
//! journal — every award is the best valid score recomputed from the `bid_received` lines, bids
//! after the close are late, an open auction's task is never assigned — plus determinism, the report
//! and a property test over random teams and weights.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::Value;
use switchyard::journal::{JournalWriter, read_journal};
use switchyard::report::Report;
use switchyard::runtime::SimRun;
use switchyard::scenario::{
    self, AgentSpec, AuctionOverride, AuctionSpec, DurationDist, FaultAction, FaultSpec, Profile, Scenario, Strategy,
    TaskExtras, TaskSpec, Weights,
};

const MARKET: &str = "scenarios/market-auction.json";

fn run(sc: Scenario) -> (SimRun, String, Vec<Value>) {
    let mut run = SimRun::new(sc);
    let mut w = JournalWriter::new(Vec::new());
    run.run(&mut w).unwrap();
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (run, text, lines)
}

fn market() -> Scenario {
    scenario::load(std::path::Path::new(MARKET)).unwrap()
}

fn spec_of(sc: &Scenario, task: &str) -> AuctionSpec {
    let t = sc.tasks.iter().find(|t| t.id == task).unwrap();
    t.extras().auction.as_ref().map_or(sc.auction, |o| sc.auction.with(o))
}

/// The valid bids of one auction ranked as the scenario format documents it, from the journal alone.
fn expected_ranking(sc: &Scenario, bids: &[&Value], w: Weights) -> Vec<(String, f64)> {
    let valid: Vec<&&Value> = bids.iter().filter(|b| b["valid"] == true).collect();
    let f = |b: &Value, k: &str| b[k].as_f64().unwrap();
    let min_price = valid.iter().map(|b| f(b, "price")).fold(f64::INFINITY, f64::min);
    let min_eta = valid.iter().map(|b| f(b, "eta_ms")).fold(f64::INFINITY, f64::min);
    let order = |name: &str| sc.agents.iter().position(|a| a.id == name).unwrap();
    let mut scored: Vec<(f64, f64, f64, usize, String)> = valid
        .iter()
        .map(|b| {
            let (p, e, c) = (f(b, "price"), f(b, "eta_ms"), f(b, "confidence"));
            let s = w.price * (min_price / p) + w.time * (min_eta / e) + w.confidence * c;
            let name = b["agent"].as_str().unwrap().to_string();
            (s, p, e, order(&name), name)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1)).then(a.2.total_cmp(&b.2)).then(a.3.cmp(&b.3)));
    scored.into_iter().map(|(s, .., n)| (n, s)).collect()
}

/// Checks every auction's rules from the journal; returns how many were awarded by score.
fn check_auctions(sc: &Scenario, lines: &[Value]) -> usize {
    let mut by_auction: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for v in lines.iter().filter(|v| v.get("auction").is_some() && v["kind"] != "message_sent") {
        by_auction.entry(v["auction"].as_u64().unwrap()).or_default().push(v);
    }
    let mut awarded = 0;
    for (id, evs) in &by_auction {
        let opened = evs[0];
        assert_eq!(opened["kind"], "auction_opened", "auction {id} starts with its opening");
        let task = opened["task"].as_str().unwrap();
        let closes_ms = opened["closes_ms"].as_u64().unwrap();
        let invited: Vec<&str> = opened["invited"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        let close = evs.iter().position(|v| v["kind"] == "auction_awarded" || v["kind"] == "auction_no_award");
        let Some(close) = close else { continue };
        let closed = evs[close];
        let seq = |v: &Value| v["seq"].as_u64().unwrap();
        assert!(closed["t_ms"].as_u64().unwrap() <= closes_ms, "auction {id} closed after its window");
        // Bids before the close are judged; bids after it are late.
        let in_time: Vec<&Value> = evs[1..close].iter().copied().filter(|v| v["kind"] == "bid_received").collect();
        for b in &in_time {
            assert_ne!(b["reason"], "late", "auction {id}: {b}");
            assert!(invited.contains(&b["agent"].as_str().unwrap()) || b["reason"] == "not_invited");
        }
        for b in evs[close + 1..].iter().filter(|v| v["kind"] == "bid_received") {
            assert_eq!((&b["valid"], &b["reason"]), (&Value::Bool(false), &Value::from("late")), "auction {id}");
        }
        // The task is not assigned while its auction is open.
        let assigned_meanwhile = lines
            .iter()
            .any(|v| v["kind"] == "task_assigned" && v["task"] == task && seq(v) > seq(opened) && seq(v) < seq(closed));
        assert!(!assigned_meanwhile, "auction {id}: task {task} assigned while the auction was open");
        if closed["kind"] != "auction_awarded" || closed["by"] != "score" {
            continue;
        }
        awarded += 1;
        let expected = expected_ranking(sc, &in_time, spec_of(sc, task).weights);
        let ranking: Vec<(String, f64)> = closed["ranking"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["agent"].as_str().unwrap().to_string(), r["score"].as_f64().unwrap()))
            .collect();
        assert_eq!(ranking.len(), expected.len(), "auction {id}");
        for ((a, s), (ea, es)) in ranking.iter().zip(&expected) {
            assert_eq!(a, ea, "auction {id}: ranking {ranking:?} vs {expected:?}");
            assert!((s - es).abs() < 1e-9, "auction {id}: score of {a} {s} vs {es}");
        }
        // The winner is the best valid bid but for the better ones passed over (down or full).
        let passed: Vec<&str> = closed["passed"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        let winner = closed["agent"].as_str().unwrap();
        assert_eq!(expected[passed.len()].0, winner, "auction {id}");
        assert_eq!(passed, expected[..passed.len()].iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>());
        let next = lines.iter().find(|v| seq(v) > seq(closed) && v["kind"] == "task_assigned").unwrap();
        assert_eq!(
            (&next["task"], &next["agent"], &next["strategy"]),
            (&opened["task"], &closed["agent"], &"auction".into())
        );
    }
    awarded
}

#[test]
fn the_market_scenario_awards_by_score_and_escalates_the_render_nobody_can_win() {
    let sc = market();
    let (run, _, lines) = run(sc.clone());
    assert!(check_auctions(&sc, &lines) >= 12);
    let of = |kind: &str, task: &str| -> Vec<&Value> {
        lines.iter().filter(|v| v["kind"] == kind && v["task"] == task).collect()
    };
    // Every task was allocated by auction, and the run succeeded despite the crash.
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    assert!(lines.iter().filter(|v| v["kind"] == "task_assigned").all(|v| v["strategy"] == "auction"));
    // The cheap batch goes to the lowest valid price, the audit to the highest confidence.
    for (task, key, best_is_min) in [("cheap-batch", "price", true), ("compliance-audit", "confidence", false)] {
        let award = of("auction_awarded", task)[0];
        let bids: Vec<&Value> = of("bid_received", task)
            .into_iter()
            .filter(|b| b["auction"] == award["auction"] && b["valid"] == true)
            .collect();
        let value = |b: &&Value| b[key].as_f64().unwrap();
        let best = bids
            .iter()
            .map(value)
            .fold(if best_is_min { f64::INFINITY } else { 0.0 }, |a, b| if best_is_min { a.min(b) } else { a.max(b) });
        let winner = bids.iter().find(|b| b["agent"] == award["agent"]).unwrap();
        assert_eq!(value(winner), best, "{task}");
    }
    let audit_low = of("bid_received", "compliance-audit");
    assert!(
        audit_low.iter().any(|b| b["reason"] == "below_min_confidence"),
        "the audit's min_confidence rejects a bid"
    );
    // The render: round 1 and 2 find only the unreliable card, then the inbox, then a win on gpu-box.
    let rounds: Vec<(u64, &str, &str)> = of("auction_no_award", "gpu-render")
        .iter()
        .map(|v| (v["round"].as_u64().unwrap(), v["reason"].as_str().unwrap(), v["then"].as_str().unwrap()))
        .collect();
    assert_eq!(rounds[..2], [(1, "no_valid_bid", "reannounce"), (2, "no_valid_bid", "escalate")]);
    let flawed = of("bid_received", "gpu-render");
    assert_eq!(
        (flawed[0]["agent"].as_str(), flawed[0]["reason"].as_str()),
        (Some("old-gpu"), Some("below_min_confidence"))
    );
    let esc = of("task_escalated", "gpu-render");
    assert_eq!(esc[0]["origin"], "auction");
    assert!(esc[0]["note"].as_str().unwrap().contains("old-gpu bid below_min_confidence"));
    assert_eq!(of("inbox_sla_expired", "gpu-render")[0]["action"], "retry");
    assert_eq!(of("auction_awarded", "gpu-render").last().unwrap()["agent"], "gpu-box");
    assert_eq!(of("task_completed", "gpu-render")[0]["agent"], "gpu-box");
    // The crash takes ingest-web from speedy: auctioned again among those still up.
    assert_eq!(of("task_reassigned", "ingest-web")[0]["agent"], "speedy");
    let reopened = of("auction_opened", "ingest-web");
    assert_eq!(reopened.len(), 2);
    assert!(!reopened[1]["invited"].as_array().unwrap().contains(&"speedy".into()));
    // Bids trickle in: not all at the instant of the call.
    let cfp_t = reopened[0]["t_ms"].as_u64().unwrap();
    assert!(of("bid_received", "ingest-web").iter().any(|b| b["t_ms"].as_u64().unwrap() > cfp_t));
    // Messages on the bus: a cfp per invitee, a bid or decline in reply (correlated), an award per win.
    let msgs = |ty: &str| lines.iter().filter(|v| v["kind"] == "message_sent" && v["type"] == ty).count();
    let invited: usize =
        lines.iter().filter(|v| v["kind"] == "auction_opened").map(|v| v["invited"].as_array().unwrap().len()).sum();
    assert_eq!(msgs("cfp"), invited);
    assert_eq!(msgs("award"), lines.iter().filter(|v| v["kind"] == "auction_awarded").count());
    let cfp_ids: Vec<u64> =
        lines.iter().filter(|v| v["type"] == "cfp").map(|v| v["msg_id"].as_u64().unwrap()).collect();
    assert!(lines.iter().filter(|v| v["type"] == "bid").all(|v| cfp_ids.contains(&v["correlation"].as_u64().unwrap())));
    // The report has the auctions.
    let report = Report::build(run.coordinator());
    let a = report.auctions.as_ref().unwrap();
    assert_eq!(a.opened as usize, lines.iter().filter(|v| v["kind"] == "auction_opened").count());
    assert_eq!((a.escalated, a.no_award), (1, rounds.len() as u32));
    assert!(report.table(20).contains("auctions: "));
}

#[test]
fn the_same_seed_writes_the_same_journal_and_it_reads_back() {
    let (_, a, _) = run(market());
    let (_, b, _) = run(market());
    assert_eq!(a, b);
    let events = read_journal(&market(), &a).unwrap();
    let rebuilt = switchyard::core::Coordinator::from_events(market(), &events);
    assert_eq!(rebuilt.state().auctions(), run(market()).0.coordinator().state().auctions());
}

/// (cost, performance, failure rate, max_concurrent, mean duration)
type AgentDraw = (f64, f64, f64, u32, f64);
/// (dependency pick, work, own weights)
type TaskDraw = (u8, f64, Option<(f64, f64, f64)>);

fn random_scenario(
    agents: Vec<AgentDraw>,
    tasks: Vec<TaskDraw>,
    weights: (f64, f64, f64),
    min_confidence: f64,
    crash: Option<(usize, u64)>,
    seed: u64,
) -> Scenario {
    let nonzero = |(p, t, c): (f64, f64, f64)| {
        if p + t + c == 0.0 {
            Weights { price: 1.0, time: 0.0, confidence: 0.0 }
        } else {
            Weights { price: p, time: t, confidence: c }
        }
    };
    let n = agents.len();
    let agents: Vec<AgentSpec> = agents
        .into_iter()
        .enumerate()
        .map(|(i, (cost, performance, failure_rate, max, mean))| AgentSpec {
            id: format!("a{i}"),
            capabilities: vec!["x".into()],
            max_concurrent: max,
            cost,
            performance,
            profile: Profile { duration_ms: DurationDist { mean, jitter: 0.2 }, failure_rate, ..Default::default() },
            ..Default::default()
        })
        .collect();
    let tasks = tasks
        .into_iter()
        .enumerate()
        .map(|(i, (dep, work, w))| TaskSpec {
            id: format!("t{i}").into(),
            capability: "x".into(),
            depends_on: if i > 0 && dep % 3 == 0 { vec![format!("t{}", dep as usize % i).into()] } else { vec![] },
            work,
            extras: w.map(|w| {
                let auction = AuctionOverride { weights: Some(nonzero(w)), ..Default::default() };
                Box::new(TaskExtras { auction: Some(Box::new(auction)), ..Default::default() })
            }),
            ..Default::default()
        })
        .collect();
    let faults = crash
        .map(|(a, at_ms)| vec![FaultSpec { at_ms, action: FaultAction::Crash(format!("a{}", a % n)) }])
        .unwrap_or_default();
    Scenario {
        name: "random-market".into(),
        seed,
        allocation: Strategy::Auction,
        heartbeat_ms: 0,
        agents,
        tasks,
        faults,
        auction: AuctionSpec { weights: nonzero(weights), min_confidence, ..AuctionSpec::default() },
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Whatever the team and the weights, every award by score names the best valid score among
    /// its auction's bids (after the ones passed over), and the journal reads back.
    #[test]
    fn awards_always_go_to_the_best_valid_score(
        agents in prop::collection::vec((0.1f64..10.0, 0.1f64..1.0, 0.0f64..0.5, 1u32..3, 50.0f64..500.0), 1..6),
        tasks in prop::collection::vec((any::<u8>(), 0.5f64..2.0, prop::option::of((0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0))), 1..8),
        weights in (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0),
        min_confidence in prop_oneof![Just(0.0), 0.0f64..0.9],
        crash in prop::option::of((0usize..6, 0u64..2000)),
        seed in any::<u64>(),
    ) {
        let sc = random_scenario(agents, tasks, weights, min_confidence, crash, seed);
        let (r, text, lines) = run(sc.clone());
        check_auctions(&sc, &lines);
        prop_assert!(r.coordinator().is_finished());
        let events = read_journal(&sc, &text).unwrap();
        let rebuilt = switchyard::core::Coordinator::from_events(sc, &events);
        prop_assert_eq!(rebuilt.state().digest(), r.coordinator().state().digest());
    }
}

fn parse_err(root: &str, task_auction: &str) -> Vec<String> {
    let text = format!(
        "{{\"name\": \"m\", \"allocation\": \"auction\",{root}\n\"agents\": [{{\"id\": \"a\", \"capabilities\": [\"x\"]}}],\n\"tasks\": [{{\"id\": \"t\", \"capability\": \"x\"{task_auction}}}]}}"
    );
    let e = scenario::parse("m.json", &text).expect_err("invalid");
    e.problems.iter().map(|p| format!("{}:{} {}: {}", p.line, p.column, p.path, p.message)).collect()
}

#[test]
fn auction_settings_parse_with_defaults_and_per_task_overrides() {
    let text = r#"{"name": "m", "allocation": "auction", "auction": {"min_confidence": 0.5, "max_rounds": 2},
      "agents": [{"id": "a", "capabilities": ["x"]}],
      "tasks": [{"id": "t", "capability": "x", "auction": {"weights": {"price": 1}, "bid_window_ms": 50}},
                {"id": "u", "capability": "x"}]}"#;
    let sc = scenario::parse("m.json", text).unwrap();
    let root = AuctionSpec { min_confidence: 0.5, max_rounds: 2, ..AuctionSpec::default() };
    assert_eq!(sc.auction, root);
    assert_eq!(spec_of(&sc, "u"), root);
    let t = spec_of(&sc, "t");
    assert_eq!(
        (t.weights, t.bid_window_ms, t.min_confidence),
        (Weights { price: 1.0, time: 0.0, confidence: 0.0 }, 50, 0.5)
    );
}

#[test]
fn bad_auction_fields_are_located() {
    // Wrong types.
    assert_eq!(parse_err(r#" "auction": [],"#, ""), ["1:51 auction: expected an object, found an array"]);
    assert_eq!(
        parse_err("", r#", "auction": {"weights": {"price": "low"}, "max_rounds": 1.5}"#),
        [
            "3:75 tasks[0].auction.weights.price: expected a number, found string \"low\"",
            "3:97 tasks[0].auction.max_rounds: expected an integer, found number `1.5`"
        ]
    );
    // Out of range.
    assert_eq!(
        parse_err(
            r#" "auction": {"weights": {"price": -1}, "min_confidence": 1.5, "bid_window_ms": 0, "reannounce_ms": 0, "max_rounds": 0},"#,
            ""
        ),
        [
            "1:73 auction.weights.price: must be ≥ 0, found -1",
            "1:96 auction.min_confidence: must be between 0 and 1, found 1.5",
            "1:118 auction.bid_window_ms: must be ≥ 1, found 0",
            "1:138 auction.reannounce_ms: must be ≥ 1, found 0",
            "1:155 auction.max_rounds: must be ≥ 1, found 0"
        ]
    );
    assert_eq!(
        parse_err(r#" "auction": {"weights": {"price": 0, "time": 0}},"#, ""),
        ["1:63 auction.weights: at least one of price, time and confidence must be above 0"]
    );
    // Unknown fields, with a hint.
    assert_eq!(
        parse_err("", r#", "auction": {"weigths": {}}"#),
        [
            "3:54 tasks[0].auction: unknown field \"weigths\" (expected one of: weights, min_confidence, bid_window_ms, reannounce_ms, max_rounds); did you mean `weights`?"
        ]
    );
    // A reference that cannot apply: `auction` on a task another strategy allocates.
    let text = r#"{"name": "m",
"agents": [{"id": "a", "capabilities": ["x"]}],
"tasks": [{"id": "t", "capability": "x", "auction": {"max_rounds": 2}}]}"#;
    let e = scenario::parse("m.json", text).expect_err("invalid");
    let p = &e.problems[0];
    assert_eq!((p.line, p.column, p.path.as_str()), (3, 53, "tasks[0].auction"));
    assert!(p.message.contains("task `t` uses `least_loaded`"), "{}", p.message);
    assert!(e.to_string().contains("m.json:3:53: tasks[0].auction:"), "{e}");
}

#[test]
fn operator_awards_reopens_and_refusals_are_journaled_and_read_back() {
    use switchyard::core::{AgentId, OpAction, Refusal, TaskId};
    let sc = market();
    let id = |name: &str| TaskId(sc.tasks.iter().position(|t| t.id == name).unwrap() as u32);
    let agent = |name: &str| AgentId(sc.agents.iter().position(|a| a.id == name).unwrap() as u32);
    let mut run = SimRun::new(sc.clone());
    let mut sinks = (Vec::new(), JournalWriter::new(Vec::new()));
    // At 20 ms the four first auctions are open with some bids in.
    run.advance_to(20, &mut sinks).unwrap();
    let batch = id("cheap-batch");
    let refused = run.operator(OpAction::Award(batch, agent("old-gpu")), "op", None, &mut sinks).unwrap();
    assert_eq!(refused, Err(Refusal::NoValidBid(batch, agent("old-gpu"))));
    run.operator(OpAction::Award(batch, agent("steady")), "op", Some("trusted"), &mut sinks).unwrap().unwrap();
    run.operator(OpAction::Reopen(id("ingest-crm")), "op", None, &mut sinks).unwrap().unwrap();
    run.run(&mut sinks).unwrap();
    let (events, w) = sinks;
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    assert_eq!(read_journal(&sc, &text).unwrap(), events, "every auction line reads back as written");
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let refusal = lines.iter().find(|v| v["kind"] == "command_refused").unwrap();
    assert_eq!(
        (&refusal["reason"], &refusal["action"], &refusal["agent"]),
        (&"no_valid_bid".into(), &"award".into(), &"old-gpu".into())
    );
    let by_op = lines.iter().find(|v| v["kind"] == "auction_awarded" && v["by"] == "operator").unwrap();
    assert_eq!((&by_op["task"], &by_op["agent"]), (&"cheap-batch".into(), &"steady".into()));
    let reopened = lines.iter().find(|v| v["kind"] == "auction_no_award" && v["reason"] == "reopened").unwrap();
    assert_eq!((&reopened["task"], &reopened["then"]), (&"ingest-crm".into(), &"none".into()));
    let again = lines.iter().filter(|v| v["kind"] == "auction_opened" && v["task"] == "ingest-crm").nth(1).unwrap();
    assert_eq!(again["round"], 1);
    assert_eq!(lines.last().unwrap()["outcome"], "succeeded");
    check_auctions(&sc, &lines);
}

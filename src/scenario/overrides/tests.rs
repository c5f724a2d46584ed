use super::*;
use crate::scenario::{AgentKind, Strategy};

const TEAM: &str = r#"{"name": "team", "seed": 1,
  "agents": [
    {"id": "writer-1", "capabilities": ["write"]},
    {"id": "writer-2", "capabilities": ["write"]},
    {"id": "reviewer-2", "capabilities": ["review"], "profile": {"failure_rate": 0.1}}
  ],
  "tasks": [
    {"id": "draft", "capability": "write"},
    {"id": "deploy", "capability": "review", "depends_on": ["draft"]}
  ]}"#;

fn with(sets: &[&str]) -> Result<Scenario, String> {
    let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(s)).collect::<Result<_, _>>()?;
    apply("team.json", TEAM, &overrides).map_err(|e| e.to_string())
}

#[test]
fn paths_of_every_kind_change_the_scenario() {
    let s = with(&[
        "allocation=best_score",
        "agents.reviewer-2.profile.failure_rate=0.3",
        "tasks.deploy.retry.max_attempts=5",
        "agents-=writer-2",
        r#"agents+={"id": "reviewer-3", "capabilities": ["review"], "cost": 2}"#,
        "description=what if",
    ])
    .unwrap();
    assert_eq!(s.allocation, Strategy::BestScore);
    let ids: Vec<&str> = s.agents.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["writer-1", "reviewer-2", "reviewer-3"]);
    assert_eq!(s.agents[1].profile.failure_rate, 0.3);
    assert_eq!(s.agents[2].cost, 2.0);
    assert!(matches!(s.agents[2].kind, AgentKind::Sim));
    assert_eq!(s.tasks[1].retry.max_attempts, 5);
    assert_eq!(s.description, "what if");
    // Untouched: the other task keeps the default.
    assert_eq!(s.tasks[0].retry.max_attempts, with(&[]).unwrap().tasks[0].retry.max_attempts);
}

#[test]
fn an_item_can_come_from_a_file_and_items_without_ids_by_index() {
    let dir = std::env::temp_dir().join(format!("switchyard-set-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("extra-agent.json");
    std::fs::write(&file, r#"{"id": "extra", "capabilities": ["write"], "max_concurrent": 3}"#).unwrap();
    let s = with(&[&format!("agents+=@{}", file.display())]).unwrap();
    assert_eq!(s.agents.last().unwrap().id, "extra");
    assert_eq!(s.agents.last().unwrap().max_concurrent, 3);
    std::fs::remove_dir_all(&dir).unwrap();
    let s = with(&["tasks.deploy.depends_on.0=draft"]).unwrap();
    assert_eq!(s.tasks[1].depends_on, ["draft"]);
}

#[test]
fn bad_paths_and_values_say_which_set_and_what_is_wrong() {
    let cases: [(&[&str], &str); 8] = [
        (
            &["agents.reviewr-2.cost=1"],
            "--set agents.reviewr-2.cost=1: no agent `reviewr-2` in `agents`; did you mean `reviewer-2`?",
        ),
        (&["agents-=writer-9"], "--set agents-=writer-9: no agent `writer-9` in `agents`; did you mean `writer-1`?"),
        (&["name.x=1"], "--set name.x=1: `name` is a string: there is no `x` in it"),
        (&["name+=x"], "--set name+=x: `name` is a string, not a list"),
        (
            &["agents.writer-1.cost=cheap"],
            "--set agents.writer-1.cost=cheap: agents[0].cost: expected a number, found string \"cheap\"",
        ),
        (
            &["allocation=best_scor"],
            "--set allocation=best_scor: allocation: unknown allocation strategy \"best_scor\"",
        ),
        (
            &["tasks.deploy.retri.max_attempts=5"],
            "--set tasks.deploy.retri.max_attempts=5: tasks[1]: unknown field \"retri\"",
        ),
        (&["seed"], "--set seed: expected PATH=VALUE (or PATH+=VALUE, PATH-=ID)"),
    ];
    for (sets, expected) in cases {
        let e = with(sets).unwrap_err();
        assert!(e.starts_with(expected), "{sets:?}:\n  got      {e}\n  expected {expected}…");
    }
    // A field name close to a real one gets the scenario's own hint.
    assert!(with(&["tasks.deploy.retri.max_attempts=5"]).unwrap_err().contains("did you mean `retry`?"));
    // Removing the only reviewer leaves `deploy` with nobody: reported against every --set.
    let e = with(&["agents-=reviewer-2"]).unwrap_err();
    assert!(e.starts_with("with --set agents-=reviewer-2: "), "{e}");
}

#[test]
fn moving_tasks_off_auction_drops_their_auction_settings() {
    let auctioned = r#"{"name": "m", "allocation": "auction",
      "agents": [{"id": "a", "capabilities": ["c"]}],
      "tasks": [{"id": "t", "capability": "c", "auction": {"weights": {"price": 1}}},
                {"id": "u", "capability": "c", "allocation": "auction", "auction": {"weights": {"price": 1}}}]}"#;
    let o = [Override::parse("allocation=best_score").unwrap()];
    let s = apply("m.json", auctioned, &o).unwrap();
    assert_eq!(s.tasks[0].allocation.unwrap_or(s.allocation), Strategy::BestScore);
    // `u` is auctioned by its own allocation: its settings stay and apply.
    assert_eq!(s.tasks[1].allocation, Some(Strategy::Auction));
    assert!(s.tasks[1].extras().auction.is_some() && s.tasks[0].extras().auction.is_none());
    // A file that writes an auction for a task not auctioned is still refused.
    let written = auctioned.replace(
        r#""allocation": "auction",
      "agents""#,
        r#""allocation": "best_score",
      "agents""#,
    );
    assert!(crate::scenario::parse("w.json", &written).is_err());
    // The default written with an escape is still `auction`; a task moved off by its own field.
    let escaped = auctioned.replace(
        r#""allocation": "auction",
      "agents""#,
        r#""allocation": "\u0061uction",
      "agents""#,
    );
    assert_eq!(crate::scenario::parse("e.json", &escaped).unwrap().allocation, Strategy::Auction);
    let s = apply("e.json", &escaped, &o).unwrap();
    assert!(s.tasks[0].extras().auction.is_none() && s.tasks[1].extras().auction.is_some());
    let o = [Override::parse("tasks.u.allocation=least_loaded").unwrap()];
    let s = apply("m.json", auctioned, &o).unwrap();
    assert!(s.tasks[0].extras().auction.is_some() && s.tasks[1].extras().auction.is_none());
}

/// Fields no change reaches are copied as text: the result is the file's scenario but for the
/// change, whatever the order or spacing of the fields.
#[test]
fn fields_no_change_reaches_are_kept_as_written() {
    let spaced = TEAM.replace(": ", " :  ").replace(", ", " ,\n ");
    let o = [Override::parse("description=changed").unwrap()];
    let s = apply("team.json", &spaced, &o).unwrap();
    let mut expected = crate::scenario::parse("team.json", TEAM).unwrap();
    expected.description = "changed".into();
    assert_eq!(format!("{s:?}"), format!("{expected:?}"));
}

//! Generated scenarios survive the trip through the scenario file format and run to success.

use switchyard::core::Outcome;
use switchyard::generate::{GenOptions, Shape, generate, write_json};
use switchyard::runtime::SimRun;

#[test]
fn generated_scenarios_round_trip_through_json_and_succeed() {
    for shape in Shape::ALL {
        let opts = GenOptions { tasks: 500, agents: 8, shape, seed: 42, ..GenOptions::default() };
        let scenario = generate(&opts).unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert_eq!(scenario.tasks.len(), 500);

        let mut bytes = Vec::new();
        write_json(&scenario, &mut bytes).expect("writing to a Vec cannot fail");
        let text = String::from_utf8(bytes).expect("JSON is UTF-8");
        let parsed = switchyard::scenario::parse("gen.json", &text).unwrap_or_else(|e| panic!("{shape}:\n{e}"));
        assert_eq!(parsed, scenario, "{shape}: parsing the written file gives the generated scenario back");

        let mut run = SimRun::new(parsed);
        run.run(&mut ()).expect("the null sink never fails");
        let state = run.coordinator().state();
        assert_eq!(state.finished(), Some(Outcome::Succeeded), "{shape}");
        assert_eq!(state.completed(), 500, "{shape}");
    }
}

#[test]
fn edge_case_options_round_trip_through_json() {
    let cases = [(1, 1, 0.0, 0.0), (2, 1, 0.0, 0.0), (3, 2, 37.5, 0.1), (17, 3, 1e6, 1.0)];
    for shape in Shape::ALL {
        for (tasks, agents, duration_ms, failure_rate) in cases {
            let opts = GenOptions { tasks, agents, shape, seed: u64::MAX, duration_ms, failure_rate };
            let scenario = generate(&opts).unwrap_or_else(|e| panic!("{opts:?}: {e}"));
            let mut bytes = Vec::new();
            write_json(&scenario, &mut bytes).expect("writing to a Vec cannot fail");
            let text = String::from_utf8(bytes).expect("JSON is UTF-8");
            let parsed = switchyard::scenario::parse("gen.json", &text).unwrap_or_else(|e| panic!("{opts:?}:\n{e}"));
            assert_eq!(parsed, scenario, "{opts:?}");
        }
    }
}

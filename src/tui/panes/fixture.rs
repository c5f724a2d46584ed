//! A recorded run for the panes' tests: a scenario advanced on the console's 100 ms tick, with
//! the operator's actions applied, and a test terminal to draw on.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent};

use crate::tui::config::Settings;
use crate::tui::keymap::{Action, Context};

use crate::core::{AgentId, OpAction, TaskId};
use crate::runtime::SimRun;
use crate::tui::panes::Ctx;
use crate::tui::view::View;

pub struct Fixture {
    pub run: SimRun,
    pub view: View,
    pub settings: Settings,
}

impl Fixture {
    /// Starts `scenarios/{name}.json` without failing on a stall (operators may hold tasks).
    pub fn new(name: &str) -> Fixture {
        let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{name}.json"));
        let scenario = crate::scenario::load(&path).expect("scenario loads");
        let view = View::new(scenario.agents.len());
        let mut run = SimRun::new(scenario);
        run.set_fail_on_stall(false);
        Fixture { run, view, settings: Settings::default() }
    }

    /// Advances to `t` on a 100 ms tick, sampling load like the console does.
    pub fn advance(&mut self, t: u64) -> &mut Fixture {
        let mut now = self.run.now();
        while now < t {
            now = (now / 100 + 1) * 100;
            self.run.advance_to(now.min(t), &mut self.view).unwrap();
            self.view.sample_load(self.run.coordinator());
        }
        self
    }

    pub fn op(&mut self, action: OpAction) -> &mut Fixture {
        self.run.operator(action, "tester", None, &mut self.view).unwrap().expect("operator action applies");
        self
    }

    pub fn task(&self, name: &str) -> TaskId {
        TaskId(self.run.coordinator().scenario().tasks.iter().position(|t| t.id == name).expect("task") as u32)
    }

    pub fn agent(&self, name: &str) -> AgentId {
        AgentId(self.run.coordinator().scenario().agents.iter().position(|a| a.id == name).expect("agent") as u32)
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx::new(self.run.coordinator(), &self.view, self.run.now(), &self.settings, true)
    }
}

/// crash-reassign at 3 s with three escalations: build-docs (1.3 s) and build-core (1.6 s), each
/// after builder-1 crashed under it, and test-cli, held before it could run (2 s).
pub fn escalated() -> Fixture {
    let mut fx = Fixture::new("crash-reassign");
    fx.advance(1_300);
    let (docs, core, cli) = (fx.task("build-docs"), fx.task("build-core"), fx.task("test-cli"));
    fx.op(OpAction::Hold(cli)).op(OpAction::Escalate(docs)).advance(1_600);
    fx.op(OpAction::Escalate(core)).advance(2_000);
    fx.op(OpAction::Escalate(cli)).advance(3_000);
    fx
}

/// crash-reassign at 2.5 s: builder-1 crashed (down), builder-2 rebuilding, tester drained
/// while busy, deployer idle.
pub fn crashed() -> Fixture {
    let mut fx = Fixture::new("crash-reassign");
    fx.advance(2_000);
    let tester = fx.agent("tester");
    fx.op(OpAction::Drain(tester)).advance(2_500);
    fx
}

/// A generated run big enough to fill every list: 1,000 agents, and more messages than the
/// Messages pane keeps.
pub fn big() -> Fixture {
    let opts = crate::generate::GenOptions {
        tasks: 20_000,
        agents: 1_000,
        shape: crate::generate::Shape::Fanout,
        ..Default::default()
    };
    let scenario = crate::generate::generate(&opts).expect("generated scenario");
    let mut view = View::new(scenario.agents.len());
    let mut run = SimRun::new(scenario);
    for t in [100, 200, 300, 400] {
        run.advance_to(t, &mut view).unwrap();
        view.sample_load(run.coordinator());
    }
    Fixture { run, view, settings: Settings::default() }
}

/// What a key means to the focused pane, by the default keymap (`j` is down).
pub fn nav(code: KeyCode) -> Action {
    let keys = crate::tui::keymap::Keymap::default();
    keys.action(&[Context::Pane], &KeyEvent::from(code)).unwrap_or_else(|| panic!("{code:?} moves nothing"))
}

/// Draws once on a `width`×`height` test terminal.
pub fn draw(width: u16, height: u16, paint: impl FnOnce(&mut ratatui::Frame)) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(paint).unwrap();
    terminal
}

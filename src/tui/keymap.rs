//! Keys as data. Every action of the console is listed here once (`SPECS`): its name, where it
//! applies (its [`Context`]), its default keys and what it does. The [`Keymap`] built from them is
//! the only place a key is matched: the console asks it what a key means in the contexts active at
//! that moment, the `?` help is generated from it (`help.rs`), and so are the key hints on screen.
//!
//! Action names are a public interface: users bind keys to them in the `[keys]` table of the
//! config file (`config.rs`), so a name, once released, does not change.
//!
//! A key may mean one action only among the contexts that are active at the same time
//! ([`TOGETHER`]); [`Keymap::check`] refuses a keymap where it means two.

mod key;
#[cfg(test)]
mod tests;

use std::borrow::Cow;

use ratatui::crossterm::event::KeyEvent;

pub use key::Key;

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Everywhere, also in a popup or the command line.
    Always,
    /// No popup open, no line being typed.
    Console,
    /// The focused pane's navigation; also scrolls popups and moves pickers.
    Pane,
    Run,
    /// A replay (`switchyard replay`).
    Replay,
    /// The selected task, wherever it is selected.
    Task,
    /// The selected agent.
    Agent,
    /// The Auctions & votes pane has the focus.
    AuctionsVotes,
    /// … and its auctions have the keys.
    Auctions,
    /// … and its ballots have the keys.
    Votes,
    /// The Log pane has the focus.
    Log,
    /// A popup that only shows something: the help, a detail, the shared context.
    Popup,
    /// A list to choose from: the agent of a reassignment, the resolution of an inbox item.
    Picker,
    /// A question before a destructive action, or before quitting.
    Confirm,
    /// The command line (`:`) and the filter (`/`): other keys type themselves.
    Line,
}

impl Context {
    /// Every context, in the order the help lists them.
    pub const ALL: [Context; 15] = [
        Context::Console,
        Context::Always,
        Context::Pane,
        Context::Run,
        Context::Replay,
        Context::Task,
        Context::Agent,
        Context::AuctionsVotes,
        Context::Auctions,
        Context::Votes,
        Context::Log,
        Context::Popup,
        Context::Picker,
        Context::Confirm,
        Context::Line,
    ];

    /// The help's heading for the context.
    pub fn title(self) -> &'static str {
        match self {
            Context::Always => "Anywhere, also in a popup or the command line",
            Context::Console => "Console",
            Context::Pane => "Moving around",
            Context::Run => "Run",
            Context::Replay => "Replay (switchyard replay JOURNAL)",
            Context::Task => "Selected task (DAG or Inbox)",
            Context::Agent => "Selected agent (Agents)",
            Context::AuctionsVotes => "Auctions & votes pane",
            Context::Auctions => "Auctions & votes pane, on an auction",
            Context::Votes => "Auctions & votes pane, on a ballot",
            Context::Log => "Log pane",
            Context::Popup => "Popups (help, detail, shared context)",
            Context::Picker => "Pickers (reassign, resolve)",
            Context::Confirm => "Questions (a destructive action, quitting)",
            Context::Line => "Command line and filter (: and /)",
        }
    }
}

/// Contexts that are active at the same time. Within one of these groups a key means one action
/// at most; across groups it may mean different things (`n` reopens an auction and votes no on a
/// ballot: the pane's auctions and its ballots never have the keys at once).
pub const TOGETHER: &[&[Context]] = {
    use Context::*;
    &[
        &[Always, Console, Pane, Run, Replay, Task, Agent, AuctionsVotes, Auctions],
        &[Always, Console, Pane, Run, Replay, Task, Agent, AuctionsVotes, Votes],
        &[Always, Console, Pane, Run, Replay, Task, Agent, Log],
        &[Always, Pane, Popup],
        &[Always, Pane, Picker],
        &[Always, Confirm],
        &[Always, Line],
    ]
};

/// What a key can ask of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    QuitNow,
    Quit,
    Help,
    SharedContext,
    NextPane,
    PreviousPane,
    /// Focus the pane at this index of the pane registry (`focus_<pane id>`).
    Focus(usize),
    Open,
    Clear,
    Command,
    Filter,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    First,
    Last,
    Pause,
    Step,
    Faster,
    Slower,
    Restart,
    EventBack,
    EventForward,
    NotableBack,
    NotableForward,
    Fork,
    Hold,
    Retry,
    Reassign,
    Escalate,
    Cancel,
    Resolve,
    Crash,
    Revive,
    Drain,
    Hang,
    Slow,
    Flaky,
    Partition,
    SwitchHalf,
    Award,
    Reopen,
    VoteYes,
    VoteNo,
    Veto,
    LogLevel,
    ClosePopup,
    Pick,
    Dismiss,
    Confirm,
    Decline,
    LineSubmit,
    LineClose,
    LineComplete,
    LineHistoryBack,
    LineHistoryForward,
    LineDelete,
}

/// An action as the keymap lists it by default.
struct Spec {
    action: Action,
    name: &'static str,
    context: Context,
    keys: &'static [&'static str],
    help: &'static str,
}

const fn spec(
    action: Action,
    name: &'static str,
    context: Context,
    keys: &'static [&'static str],
    help: &'static str,
) -> Spec {
    Spec { action, name, context, keys, help }
}

/// Every action but the `focus_<pane>` ones (made from the panes), in the order of the help.
const SPECS: &[Spec] = {
    use Action::*;
    use Context as C;
    &[
        spec(Quit, "quit", C::Console, &["q"], "quit (asks first while the run is active)"),
        spec(Help, "help", C::Console, &["?"], "this help"),
        spec(SharedContext, "shared_context", C::Console, &["b"], "shared context: keys, locks, leaders"),
        spec(NextPane, "next_pane", C::Console, &["tab"], "focus the next pane"),
        spec(PreviousPane, "previous_pane", C::Console, &["backtab"], "focus the previous pane"),
        spec(Open, "open", C::Console, &["enter"], "open the selected task, agent or message"),
        spec(Clear, "clear", C::Console, &["esc"], "clear the filter and the status line"),
        spec(Command, "command", C::Console, &[":"], "open the command line"),
        spec(Filter, "filter", C::Console, &["/"], "filter the focused pane"),
        spec(QuitNow, "quit_now", C::Always, &["ctrl-c"], "quit at once, asking nothing"),
        spec(Up, "up", C::Pane, &["up", "k"], "move up (scroll a popup)"),
        spec(Down, "down", C::Pane, &["down", "j"], "move down (scroll a popup)"),
        spec(Left, "left", C::Pane, &["left", "h"], "previous DAG layer; previous bid of an auction"),
        spec(Right, "right", C::Pane, &["right", "l"], "next DAG layer; next bid of an auction"),
        spec(PageUp, "page_up", C::Pane, &["pgup"], "a page up"),
        spec(PageDown, "page_down", C::Pane, &["pgdn"], "a page down"),
        spec(First, "first", C::Pane, &["home"], "the first row (in a replay: the first event)"),
        spec(Last, "last", C::Pane, &["end"], "the last row (in a replay: the last event)"),
        spec(Pause, "pause", C::Run, &["space"], "pause / resume the virtual clock (in a replay: play / stop)"),
        spec(Step, "step", C::Run, &["."], "single step: advance to the next instant something happens"),
        spec(Faster, "faster", C::Run, &["+", "="], "faster (×2)"),
        spec(Slower, "slower", C::Run, &["-"], "slower (÷2)"),
        spec(Restart, "restart", C::Run, &["R"], "restart the scenario"),
        spec(EventBack, "event_back", C::Replay, &["["], "one event back"),
        spec(EventForward, "event_forward", C::Replay, &["]"], "one event forward"),
        spec(
            NotableBack,
            "notable_back",
            C::Replay,
            &["{"],
            "previous notable event (failure, escalation, crash, operator …)",
        ),
        spec(NotableForward, "notable_forward", C::Replay, &["}"], "next notable event"),
        spec(Fork, "fork", C::Replay, &["F"], "a new run from the cursor, in its own journal, paused (also :fork)"),
        spec(Hold, "hold", C::Task, &["p"], "hold / release"),
        spec(Retry, "retry", C::Task, &["r"], "retry now"),
        spec(Reassign, "reassign", C::Task, &["a"], "reassign to an agent chosen from a list"),
        spec(Escalate, "escalate", C::Task, &["e"], "escalate to the inbox"),
        spec(Cancel, "cancel", C::Task, &["x"], "cancel (its dependents are skipped)"),
        spec(Resolve, "resolve", C::Task, &["o"], "resolve an inbox item: retry, skip, done, fail"),
        spec(Crash, "crash", C::Agent, &["c"], "crash"),
        spec(Revive, "revive", C::Agent, &["v"], "revive (also undrains)"),
        spec(Drain, "drain", C::Agent, &["d"], "drain"),
        spec(Hang, "hang", C::Agent, &["H"], "hang: it stops answering (the coordinator notices the silence)"),
        spec(Slow, "slow", C::Agent, &["s"], "slow: type the factor"),
        spec(Flaky, "flaky", C::Agent, &["f"], "flaky: type the failure rate"),
        spec(Partition, "partition", C::Agent, &["P"], "partition: cut it off from the coordinator (:heal ends it)"),
        spec(
            SwitchHalf,
            "switch_half",
            C::AuctionsVotes,
            &["t"],
            "move the keys between auctions and ballots (when the run has both)",
        ),
        spec(Award, "award", C::Auctions, &["w"], "award the task to the bid picked with left / right"),
        spec(Reopen, "reopen", C::Auctions, &["n"], "reopen the auction (a fresh round 1)"),
        spec(VoteYes, "vote_yes", C::Votes, &["y"], "the operator's deciding vote: yes"),
        spec(VoteNo, "vote_no", C::Votes, &["n"], "the operator's deciding vote: no"),
        spec(Veto, "veto", C::Votes, &["V"], "veto the proposal"),
        spec(LogLevel, "log_level", C::Log, &["L"], "cycle the level shown: error, warn, info, debug, trace"),
        spec(ClosePopup, "close_popup", C::Popup, &["esc", "enter", "q", "?", "b"], "close it (up / down scroll it)"),
        spec(Pick, "pick", C::Picker, &["enter"], "choose the line under the cursor (up / down move it)"),
        spec(Dismiss, "dismiss", C::Picker, &["esc"], "close without choosing"),
        spec(Confirm, "confirm", C::Confirm, &["y", "Y"], "do it"),
        spec(Decline, "decline", C::Confirm, &["n", "N", "esc"], "keep things as they are"),
        spec(LineSubmit, "line_submit", C::Line, &["enter"], "run the command; keep the filter"),
        spec(LineClose, "line_close", C::Line, &["esc"], "close (a filter is cleared)"),
        spec(LineComplete, "line_complete", C::Line, &["tab"], "complete a command, task or agent id"),
        spec(LineHistoryBack, "line_history_back", C::Line, &["up"], "the previous command"),
        spec(LineHistoryForward, "line_history_forward", C::Line, &["down"], "the next command"),
        spec(
            LineDelete,
            "line_delete",
            C::Line,
            &["backspace"],
            "delete the last character (on an empty command line: close it)",
        ),
    ]
};

impl Action {
    /// Where the action applies.
    pub fn context(self) -> Context {
        match self {
            Action::Focus(_) => Context::Console,
            action => spec_of(action).context,
        }
    }
}

fn spec_of(action: Action) -> &'static Spec {
    SPECS.iter().find(|s| s.action == action).expect("every action but Focus has a spec (a test checks it)")
}

/// An action with its keys.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub action: Action,
    /// Its name in the `[keys]` table.
    pub name: Cow<'static, str>,
    pub context: Context,
    pub keys: Vec<Key>,
    /// What it does, as the help says it.
    pub help: Cow<'static, str>,
}

/// Two actions that one key would mean at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Collision {
    pub key: Key,
    /// The actions' names, in keymap order.
    pub actions: [String; 2],
}

/// Every action with its keys: the defaults, and what the user's config file changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    /// The default keys, with a `focus_<pane>` action for each pane of the console.
    fn default() -> Self {
        let panes = crate::tui::panes::registry();
        let panes: Vec<(&str, &str, &str)> = panes.iter().map(|p| (p.id(), p.title(), p.help())).collect();
        Keymap::new(&panes)
    }
}

impl Keymap {
    /// The default keys, with `focus_<id>` actions for `panes` (`(id, title, help)` in the order
    /// of the tabs), bound to `1` … `9`.
    pub fn new(panes: &[(&str, &str, &str)]) -> Keymap {
        let binding = |s: &Spec| Binding {
            action: s.action,
            name: s.name.into(),
            context: s.context,
            keys: s.keys.iter().map(|k| Key::parse(k).expect("default keys parse (a test checks it)")).collect(),
            help: s.help.into(),
        };
        let mut bindings: Vec<Binding> = SPECS.iter().map(binding).collect();
        let after = bindings.iter().position(|b| b.action == Action::PreviousPane).map_or(0, |i| i + 1);
        let focus = panes.iter().enumerate().map(|(i, (id, title, help))| Binding {
            action: Action::Focus(i),
            name: format!("focus_{id}").into(),
            context: Context::Console,
            // The first nine panes have their number.
            keys: (i < 9).then(|| Key::parse(&(i + 1).to_string()).expect("a digit is a key")).into_iter().collect(),
            help: format!("focus {title}: {help}").into(),
        });
        bindings.splice(after..after, focus);
        Keymap { bindings }
    }

    /// Every binding, in the order of the help.
    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action `key` means among `contexts`, if any.
    pub fn action(&self, contexts: &[Context], key: &KeyEvent) -> Option<Action> {
        let key = Key::of(key);
        self.bindings.iter().find(|b| contexts.contains(&b.context) && b.keys.contains(&key)).map(|b| b.action)
    }

    /// The keys bound to `action` (none when it is unbound).
    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings.iter().find(|b| b.action == action).map_or(&[], |b| b.keys.as_slice())
    }

    /// The first key of `action` as the screen shows it (empty when it is unbound).
    pub fn label(&self, action: Action) -> String {
        self.keys(action).first().map(|k| k.label()).unwrap_or_default()
    }

    /// The first keys of two actions that go together, `a/b` (`+/-`); just one when the other is
    /// unbound.
    pub fn pair(&self, a: Action, b: Action) -> String {
        let (a, b) = (self.label(a), self.label(b));
        if a.is_empty() || b.is_empty() { a + &b } else { format!("{a}/{b}") }
    }

    /// Every key of `action` as the screen shows them, `a / b`; a letter's other case is left out
    /// (`y` for `y` and `Y`).
    pub fn labels(&self, action: Action) -> String {
        let mut labels: Vec<String> = Vec::new();
        for label in self.keys(action).iter().map(|k| k.label()) {
            if !labels.iter().any(|l| l.eq_ignore_ascii_case(&label) && l.chars().count() == 1) {
                labels.push(label);
            }
        }
        labels.join(" / ")
    }

    /// Binds `keys` to the action named `name`, instead of its defaults.
    pub fn rebind(&mut self, name: &str, keys: Vec<Key>) -> Result<(), String> {
        let Some(b) = self.bindings.iter_mut().find(|b| b.name == name) else {
            return Err(format!("no action is called `{name}` (`switchyard config --print` lists them all)"));
        };
        // The command line is open to both: a character there must type itself.
        if matches!(b.context, Context::Line | Context::Always)
            && let Some(k) = keys.iter().find(|k| k.typed().is_some())
        {
            return Err(format!("`{name}` cannot be `{k}`: on the command line that key types itself"));
        }
        b.keys = keys;
        Ok(())
    }

    /// The first key that means two actions in contexts active at once, if any.
    pub fn check(&self) -> Result<(), Collision> {
        for group in TOGETHER {
            let active: Vec<&Binding> = self.bindings.iter().filter(|b| group.contains(&b.context)).collect();
            for (i, a) in active.iter().enumerate() {
                for b in &active[i + 1..] {
                    if let Some(&key) = a.keys.iter().find(|k| b.keys.contains(k)) {
                        return Err(Collision { key, actions: [a.name.to_string(), b.name.to_string()] });
                    }
                }
            }
        }
        Ok(())
    }
}

//! Every key of the console in one place: the help overlay lists this table, and `app.rs` matches
//! on the same keys.

/// `(keys, what they do)` grouped by section.
pub const KEY_HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Moving around",
        &[
            ("Tab / Shift-Tab", "focus the next / previous pane"),
            ("1 … 6", "focus DAG, Agents, Market, Messages, Inbox, Log"),
            ("↑↓←→ / hjkl", "move the selection (←→ change DAG layer)"),
            ("PgUp / PgDn, Home / End", "page, first, last"),
            ("Enter", "open the selected task, agent or message"),
            ("Esc", "close a popup, clear a filter"),
            ("/", "filter the focused pane (Enter applies, Esc clears)"),
            (":", "command line (Tab completes, ↑↓ history)"),
            ("mouse", "click to focus and select; wheel scrolls"),
            ("?", "this help"),
            ("b", "shared context: keys, locks, leaders"),
            ("q / Ctrl-C", "quit (asks first while the run is active)"),
        ],
    ),
    (
        "Run",
        &[
            ("Space", "pause / resume the virtual clock"),
            (".", "single step: advance to the next instant something happens"),
            ("+ / -", "faster / slower (×2 / ÷2)"),
            ("R", "restart the scenario"),
        ],
    ),
    (
        "Replay (switchyard replay JOURNAL)",
        &[
            ("[ / ]", "one event back / forward"),
            ("{ / }", "previous / next notable: failure, escalation, crash, loss, operator, decision"),
            ("Space", "play forward at the run's speed (+ / - as usual)"),
            ("Home / End", "first / last event"),
            (":goto", "#SEQ, a time (12.5s), a task (its last event), failure (the first)"),
            ("F / :fork", "a new live run from the cursor, in a journal of its own, paused"),
        ],
    ),
    (
        "Selected task (DAG or Inbox)",
        &[
            ("p", "hold / release"),
            ("r", "retry now"),
            ("a", "reassign to an agent chosen from a list"),
            ("e", "escalate to the inbox"),
            ("x", "cancel (its dependents are skipped)"),
            ("o", "resolve an inbox item: retry, skip, done, fail"),
        ],
    ),
    (
        "Selected agent (Agents)",
        &[
            ("c", "crash"),
            ("v", "revive (also undrains)"),
            ("d", "drain"),
            ("H", "hang: it stops answering (the coordinator notices the silence)"),
            ("s / f", "slow / flaky: type the factor / failure rate"),
            ("P", "partition: cut it off from the coordinator (:heal ends it)"),
        ],
    ),
    (
        "Market pane",
        &[
            ("← / →", "pick a valid bid of the selected auction"),
            ("w", "award the task to the picked bidder"),
            ("n", "reopen the auction (a fresh round 1)"),
            ("t", "move the keys between auctions and ballots (when the run has both)"),
            ("y / n", "on a ballot: the operator's deciding vote, yes or no"),
            ("V", "on a ballot: veto the proposal"),
        ],
    ),
    ("Log pane", &[("L", "cycle the level shown: error, warn, info, debug, trace")]),
];

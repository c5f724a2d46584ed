//! The keymap's own checks: names, collisions, the help it generates. What each binding does is
//! checked by pressing it (`app/tests/bindings.rs`).

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::*;
use crate::tui::config::Settings;

#[test]
fn names_are_snake_case_and_unique() {
    let keys = Keymap::default();
    let mut names: Vec<&str> = keys.bindings().iter().map(|b| b.name.as_ref()).collect();
    for name in &names {
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{name}");
    }
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "a name is used twice");
    for pane in crate::tui::panes::registry() {
        assert!(keys.bindings().iter().any(|b| b.name == format!("focus_{}", pane.id())), "{}", pane.id());
    }
}

#[test]
fn no_key_means_two_things_at_once_by_default() {
    assert_eq!(Keymap::default().check(), Ok(()));
    // `n` reopens an auction and votes no: their halves never have the keys at once.
    let keys = Keymap::default();
    let n = KeyEvent::from(KeyCode::Char('n'));
    assert_eq!(keys.action(&[Context::Auctions], &n), Some(Action::Reopen));
    assert_eq!(keys.action(&[Context::Votes], &n), Some(Action::VoteNo));
}

#[test]
fn a_key_bound_twice_in_contexts_active_together_is_a_collision() {
    let mut keys = Keymap::default();
    keys.rebind("pause", vec![Key::parse("p").unwrap()]).unwrap();
    let c = keys.check().unwrap_err();
    assert_eq!((c.key.to_string(), c.actions), ("p".to_string(), ["pause".to_string(), "hold".to_string()]));
    // Contexts that are never active together may share a key: a popup's close and pause.
    let mut keys = Keymap::default();
    keys.rebind("close_popup", vec![Key::parse("space").unwrap()]).unwrap();
    assert_eq!(keys.check(), Ok(()));
}

#[test]
fn rebinding_moves_the_action_to_its_new_keys() {
    let mut keys = Keymap::default();
    keys.rebind("pause", vec![Key::parse("z").unwrap()]).unwrap();
    let contexts = [Context::Console, Context::Run];
    assert_eq!(keys.action(&contexts, &KeyEvent::from(KeyCode::Char('z'))), Some(Action::Pause));
    assert_eq!(keys.action(&contexts, &KeyEvent::from(KeyCode::Char(' '))), None);
    assert_eq!(keys.label(Action::Pause), "z");
    let e = keys.rebind("pasue", vec![]).unwrap_err();
    assert!(e.contains("no action is called `pasue`"), "{e}");
    for name in ["line_submit", "quit_now"] {
        let e = keys.rebind(name, vec![Key::parse("x").unwrap()]).unwrap_err();
        assert!(e.contains("types itself"), "{e}");
    }
    // An empty list unbinds.
    keys.rebind("restart", vec![]).unwrap();
    assert_eq!(keys.label(Action::Restart), "");
}

#[test]
fn labels_show_each_key_once() {
    let keys = Keymap::default();
    assert_eq!(keys.labels(Action::Confirm), "y");
    assert_eq!(keys.labels(Action::Decline), "n / Esc");
    assert_eq!(keys.labels(Action::Up), "↑ / k");
    assert_eq!(keys.pair(Action::Faster, Action::Slower), "+/-");
}

#[test]
fn every_binding_is_in_the_help_with_its_keys_and_the_help_fits() {
    let mut settings = Settings::default();
    settings.keys.rebind("pause", vec![Key::parse("z").unwrap()]).unwrap();
    let lines: Vec<String> = crate::tui::help::lines(&settings).iter().map(|l| l.to_string()).collect();
    for b in settings.keys.bindings() {
        let keys = settings.keys.labels(b.action);
        let found = lines.iter().any(|l| l.trim_start().starts_with(&keys) && l.ends_with(b.help.as_ref()));
        assert!(found, "{} ({keys}: {}) is not in the help", b.name, b.help);
    }
    assert!(lines.iter().any(|l| l.contains("z") && l.contains("pause / resume")), "the help shows the rebinding");
    // The bindings' lines fit the help popup (100 wide, borders included).
    let commands = lines.iter().position(|l| l.starts_with("Commands")).unwrap();
    for l in &lines[..commands] {
        assert!(l.chars().count() <= 98, "too wide for the help: {l}");
    }
}

#[test]
fn every_context_is_listed_for_the_help_and_in_a_group() {
    for context in Context::ALL {
        assert!(TOGETHER.iter().any(|g| g.contains(&context)), "{context:?} is never active");
    }
    let keys = Keymap::default();
    for b in keys.bindings() {
        assert!(Context::ALL.contains(&b.context), "{}", b.name);
        assert_eq!(b.action.context(), b.context, "{}", b.name);
    }
}

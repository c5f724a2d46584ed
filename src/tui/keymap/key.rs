//! One key as the keymap knows it: parsed from a config file's names (`z`, `Z`, `space`, `ctrl-c`,
//! `pgdn`, `f5` …), matched against the terminal's key events, and written back for the screen
//! (`Space`, `Ctrl-C`, `↑`) or for a config file.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key and its modifiers, normalised so that what a terminal sends and what a user writes
/// compare equal: a character carries its own case (`Z`, not shift-z), shift-tab is `BackTab`,
/// and a control character is lower-case (terminals cannot tell ctrl-c from ctrl-C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    mods: KeyModifiers,
}

/// Named keys: the first name of each is the one written back.
const NAMES: &[(&str, KeyCode)] = &[
    ("space", KeyCode::Char(' ')),
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
];

/// The modifiers a binding may use, as written before the key.
const MODIFIERS: [(&str, KeyModifiers); 3] =
    [("ctrl-", KeyModifiers::CONTROL), ("alt-", KeyModifiers::ALT), ("shift-", KeyModifiers::SHIFT)];

impl Key {
    /// A key as a config file writes it: one character (`z`, `Z`, `?`, `-`), a name (`space`,
    /// `enter`, `esc`, `tab`, `backtab`, `backspace`, `delete`, `insert`, `up`, `down`, `left`,
    /// `right`, `pgup`, `pgdn`, `home`, `end`, `f1` … `f12`), either after `ctrl-`, `alt-` or
    /// `shift-` (`ctrl-c`, `shift-up`). Names are case-insensitive; a character is itself.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut rest = text;
        let mut mods = KeyModifiers::NONE;
        'prefixes: loop {
            for (prefix, m) in MODIFIERS {
                let starts = rest.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix));
                if starts && rest.len() > prefix.len() {
                    mods |= m;
                    rest = &rest[prefix.len()..];
                    continue 'prefixes;
                }
            }
            break;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => named(&rest.to_ascii_lowercase()).ok_or_else(|| {
                format!(
                    "`{text}` is not a key (a character, or space, enter, esc, tab, backtab, backspace, delete, \
                     insert, up, down, left, right, pgup, pgdn, home, end, f1 … f12, after ctrl-, alt- or shift- \
                     if need be)"
                )
            })?,
        };
        match (code, mods.contains(KeyModifiers::SHIFT)) {
            (KeyCode::Char(c), true) if c.is_ascii_alphabetic() => {
                Ok(Key::new(KeyCode::Char(c.to_ascii_uppercase()), mods - KeyModifiers::SHIFT))
            }
            (KeyCode::Char(c), true) => {
                Err(format!("`{text}`: write the character that shift gives instead of shift-{c}"))
            }
            (KeyCode::Tab, true) => Ok(Key::new(KeyCode::BackTab, mods - KeyModifiers::SHIFT)),
            _ => Ok(Key::new(code, mods)),
        }
    }

    /// The key a terminal event is.
    pub fn of(event: &KeyEvent) -> Key {
        Key::new(event.code, event.modifiers)
    }

    fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) { KeyCode::Char(c.to_ascii_lowercase()) } else { code }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                code
            }
            _ => code,
        };
        Key { code, mods }
    }

    /// The event a terminal sends for this key (what the tests press).
    pub fn event(self) -> KeyEvent {
        KeyEvent::new(self.code, self.mods)
    }

    /// The character this key types into the command line, if it types one.
    pub fn typed(self) -> Option<char> {
        match self.code {
            KeyCode::Char(c) if !self.mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) => Some(c),
            _ => None,
        }
    }

    /// How the screen shows the key: `Space`, `Ctrl-C`, `Shift-Tab`, `↑`, `PgDn`, `?`.
    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.mods.contains(KeyModifiers::CONTROL) => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Insert => "Ins".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::F(n) => format!("F{n}"),
            code => format!("{code:?}"),
        };
        format!("{}{base}", self.prefix(["Ctrl-", "Alt-", "Shift-"]))
    }

    /// The `ctrl-`/`alt-`/`shift-` prefix of the key, spelled with `words`.
    fn prefix(self, words: [&str; 3]) -> String {
        MODIFIERS.iter().zip(words).filter(|((_, m), _)| self.mods.contains(*m)).map(|(_, w)| w).collect()
    }
}

/// How a config file writes the key (what [`Key::parse`] reads back).
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = match self.code {
            KeyCode::Char(c) if c != ' ' => c.to_string(),
            KeyCode::F(n) => format!("f{n}"),
            code => NAMES.iter().find(|(_, k)| *k == code).map_or_else(|| format!("{code:?}"), |(n, _)| n.to_string()),
        };
        write!(f, "{}{base}", self.prefix(["ctrl-", "alt-", "shift-"]))
    }
}

fn named(name: &str) -> Option<KeyCode> {
    if let Some(n) = name.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
        return (1..=12).contains(&n).then_some(KeyCode::F(n));
    }
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, code)| *code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        Key::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn names_parse_and_are_written_back() {
        for (text, written, label) in [
            ("z", "z", "z"),
            ("Z", "Z", "Z"),
            ("shift-z", "Z", "Z"),
            ("space", "space", "Space"),
            ("Enter", "enter", "Enter"),
            ("escape", "esc", "Esc"),
            ("shift-tab", "backtab", "Shift-Tab"),
            ("pageup", "pgup", "PgUp"),
            ("pgdn", "pgdn", "PgDn"),
            ("f5", "f5", "F5"),
            ("ctrl-c", "ctrl-c", "Ctrl-C"),
            ("CTRL-C", "ctrl-c", "Ctrl-C"),
            ("alt-x", "alt-x", "Alt-x"),
            ("shift-up", "shift-up", "Shift-↑"),
            ("-", "-", "-"),
            ("ctrl--", "ctrl--", "Ctrl--"),
            ("?", "?", "?"),
        ] {
            let k = key(text);
            assert_eq!((k.to_string(), k.label()), (written.to_string(), label.to_string()), "{text}");
            assert_eq!(key(&k.to_string()), k, "{text} reads back");
        }
    }

    #[test]
    fn bad_names_say_what_a_key_is() {
        for text in ["", "zz", "pagedwn", "f13", "ctrl-", "hyper-x"] {
            let e = Key::parse(text).unwrap_err();
            assert!(e.contains("is not a key"), "{text}: {e}");
        }
        assert!(Key::parse("shift-?").unwrap_err().contains("write the character"));
    }

    #[test]
    fn terminal_events_match_what_a_user_writes() {
        let ev = |code, mods| Key::of(&KeyEvent::new(code, mods));
        assert_eq!(ev(KeyCode::Char('H'), KeyModifiers::SHIFT), key("H"));
        assert_eq!(ev(KeyCode::BackTab, KeyModifiers::SHIFT), key("backtab"));
        assert_eq!(ev(KeyCode::Char('C'), KeyModifiers::CONTROL | KeyModifiers::SHIFT), key("ctrl-c"));
        assert_ne!(ev(KeyCode::Char('c'), KeyModifiers::CONTROL), key("c"));
        assert_eq!(key("x").typed(), Some('x'));
        assert_eq!(key("ctrl-x").typed(), None);
    }
}

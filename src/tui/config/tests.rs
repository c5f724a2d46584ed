//! Config files read, refused with their line and column, and written back by `config --print`.

use std::path::Path;

use ratatui::style::Color;

use super::*;
use crate::tui::keymap::Action;

fn parse(text: &str) -> Result<Settings, ConfigError> {
    Settings::parse(Path::new("config.toml"), text)
}

/// The error `text` gives, as the console prints it.
fn error(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn an_empty_file_is_the_defaults() {
    assert_eq!(parse(""), Ok(Settings::default()));
    assert_eq!(parse("[keys]\n[theme]\n"), Ok(Settings::default()));
}

#[test]
fn keys_and_colours_replace_their_defaults() {
    let s = parse("[keys]\npause = \"z\"\nfaster = [\"+\", \"f5\"]\nrestart = []\n\n[theme]\nactive = \"#112233\"\n")
        .unwrap();
    assert_eq!(s.keys.label(Action::Pause), "z");
    assert_eq!(s.keys.labels(Action::Faster), "+ / F5");
    assert_eq!(s.keys.label(Action::Restart), "");
    assert_eq!(s.theme.colour(Role::Active), Some(Color::Rgb(0x11, 0x22, 0x33)));
    assert_eq!(s.theme.colour(Role::Ok), Some(Color::Green), "the others keep theirs");
}

#[test]
fn mistakes_are_reported_with_their_line_and_column() {
    for (text, want) in [
        ("[keys]\npause = \"z\"\npasue = \"x\"\n", "config.toml:3:1: no action is called `pasue`"),
        ("[keys]\n  pause = \"zz\"\n", "config.toml:2:11: `pause`: `zz` is not a key"),
        ("[keys]\npause = 3\n", "config.toml:2:9: `pause`: a key is a string"),
        ("[keys]\nline_submit = \"x\"\n", "config.toml:2:1: `line_submit` cannot be `x`"),
        ("[theme]\nok = \"teal\"\n", "config.toml:2:6: `teal` is not a colour"),
        ("[theme]\nokay = \"red\"\n", "config.toml:2:1: no colour role is called `okay`"),
        ("[colours]\nok = \"red\"\n", "config.toml:1:2: unknown field `colours`"),
        ("[keys]\npause = \"z\n", "config.toml:2:11: invalid basic string"),
    ] {
        let e = error(text);
        assert!(e.starts_with(want), "{text:?} gave {e:?}, wanted {want:?}");
    }
}

#[test]
fn a_key_meaning_two_things_at_once_is_reported_where_it_was_bound_second() {
    // Pause on `p` collides with hold, a default.
    assert_eq!(
        error("[keys]\n\npause = \"p\"\n"),
        "config.toml:3:1: `p` would mean both `pause` and `hold` (their keys work at the same time)"
    );
    // Two of the user's own: the later line.
    let e = error("[keys]\nstep = \"z\"\nretry = \"z\"\n");
    assert!(e.starts_with("config.toml:3:1: `z` would mean both"), "{e}");
    // Where they never work together, a key may serve twice.
    assert!(parse("[keys]\nclose_popup = \"space\"\n").is_ok());
}

#[test]
fn the_printed_config_reads_back_as_the_same_settings() {
    let printed = Settings::default().to_toml();
    assert_eq!(parse(&printed), Ok(Settings::default()));
    assert!(printed.contains("pause = \"space\""), "{printed}");
    assert!(printed.contains("focus_auctions_votes = \"3\""), "{printed}");
    assert!(printed.contains("faster = [\"+\", \"=\"]"), "{printed}");
    assert!(printed.contains("ok = \"green\""), "{printed}");
    let changed = parse("[keys]\npause = \"\\\"\"\n[theme]\nmuted = \"42\"\n").unwrap();
    assert_eq!(changed.keys.label(Action::Pause), "\"");
    assert_eq!(parse(&changed.to_toml()), Ok(changed));
}

#[test]
fn an_unreadable_file_says_so() {
    let dir = crate::scratch::dir("config");
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.toml");
    let e = Settings::load(Some(&missing)).unwrap_err();
    assert!(e.to_string().starts_with(&format!("{}: cannot read it:", missing.display())), "{e}");
    let e = Settings::load(Some(&dir)).unwrap_err();
    assert_eq!(e.to_string(), format!("{}: not a regular file", dir.display()));
    let file = dir.join("config.toml");
    std::fs::write(&file, "[keys]\nquit = \"Q\"\n").unwrap();
    assert_eq!(Settings::load(Some(&file)).unwrap().keys.label(Action::Quit), "Q");
}

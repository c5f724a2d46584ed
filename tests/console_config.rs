//! The console's config file from the command line: a mistake is bad input (exit 2) reported as
//! `switchyard: FILE:LINE:COL: reason` before anything else happens, a missing default file is no
//! mistake, and `config --print` writes the effective settings. (The settings at work in a real
//! terminal are in `e2e_tmux.rs`.)

#[path = "support/scratch.rs"]
mod scratch;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let dir = scratch::dir(&format!("console-config-{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with `args`, its config home in `home` (so a developer's own config stays out).
fn switchyard(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn scenario() -> String {
    format!("{}/scenarios/crash-reassign.json", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn a_mistake_in_the_config_is_bad_input_with_its_line_before_anything_else() {
    let home = dir("mistake");
    let config = home.join("mine.toml");
    std::fs::write(&config, "[keys]\nstep = \"z\"\n\npause = \"p\"\n").unwrap();
    let journal = home.join("run.jsonl");
    let out = switchyard(
        &home,
        &["run", &scenario(), "--config", config.to_str().unwrap(), "--journal", journal.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        format!(
            "switchyard: {}:4:1: `p` would mean both `pause` and `hold` (their keys work at the same time)\n",
            config.display()
        )
    );
    assert!(out.stdout.is_empty());
    assert!(!journal.exists(), "checked before the journal (or the terminal) is touched");
}

#[test]
fn the_default_file_is_read_and_may_be_missing() {
    let home = dir("default");
    // No config file: the defaults; the console then finds no terminal (this test has none).
    let out = switchyard(&home, &["run", &scenario()]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("the console needs a terminal"), "{}", stderr(&out));
    // A broken default file stops the console, and every command that opens one …
    std::fs::create_dir_all(home.join("switchyard")).unwrap();
    let file = home.join("switchyard/config.toml");
    std::fs::write(&file, "[theme]\nok = \"teal\"\n").unwrap();
    for args in [&["run", &scenario()][..], &[][..]] {
        let out = switchyard(&home, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).starts_with(&format!("switchyard: {}:2:6: `teal` is not a colour", file.display())));
    }
    // … but not a headless run, which has no console.
    let out = switchyard(&home, &["run", &scenario(), "--headless"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_missing_config_named_on_the_command_line_is_an_error() {
    let home = dir("missing");
    let out = switchyard(&home, &["replay", "any.jsonl", "--config", "/nonexistent/switchyard.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("switchyard: /nonexistent/switchyard.toml: cannot read it:"), "{}", stderr(&out));
    let out = switchyard(&home, &["--config", "/nonexistent/switchyard.toml", "validate", &scenario()]);
    assert_eq!(out.status.code(), Some(2), "--config before a command is the demo's");
}

#[test]
fn config_print_writes_the_effective_settings() {
    let home = dir("print");
    let out = switchyard(&home, &["config", "--print"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let defaults = String::from_utf8(out.stdout).unwrap();
    assert!(defaults.contains("\n[keys]\n") && defaults.contains("\n[theme]\n"), "{defaults}");
    assert!(defaults.contains("pause = \"space\""), "{defaults}");
    let config = home.join("mine.toml");
    std::fs::write(&config, "[keys]\npause = \"z\"\n[theme]\nactive = \"light_cyan\"\n").unwrap();
    let out = switchyard(&home, &["config", "--print", "--config", config.to_str().unwrap()]);
    let mine = String::from_utf8(out.stdout).unwrap();
    assert!(mine.contains("pause = \"z\"") && mine.contains("active = \"light_cyan\""), "{mine}");
    // What it prints is a config file that gives the same settings.
    let copy = home.join("copy.toml");
    std::fs::write(&copy, &mine).unwrap();
    let again = switchyard(&home, &["config", "--print", "--config", copy.to_str().unwrap()]);
    assert_eq!(String::from_utf8(again.stdout).unwrap(), mine);
}

#[test]
fn completions_know_the_config_command_and_option() {
    let out = switchyard(&dir("completions"), &["completions", "bash"]);
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.contains("config") && script.contains("--config") && script.contains("--print"));
}

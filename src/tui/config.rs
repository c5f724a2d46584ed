//! The console's settings, and the file a user keeps them in: `$XDG_CONFIG_HOME/switchyard/
//! config.toml` (`~/.config/switchyard/config.toml` when `XDG_CONFIG_HOME` is unset or empty), or
//! the file `--config PATH` names. Two tables, both optional:
//!
//! ```toml
//! [keys]
//! pause = "z"              # an action's keys replace its defaults
//! faster = ["+", "="]      # several keys; [] unbinds
//!
//! [theme]
//! active = "light_cyan"    # a colour per role (see theme.rs)
//! ```
//!
//! Everything wrong with the file is an error before the console touches the terminal, with the
//! file, line and column: TOML syntax, an unknown table, action or role, a bad key or colour, and a
//! key that would mean two actions at once. A missing default file is not an error (the defaults
//! apply); a missing `--config` file is.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::keymap::{Key, Keymap};
use super::theme::{Role, Theme, colour_name, parse_colour};

/// What a user may set about the console.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub keys: Keymap,
    pub theme: Theme,
}

/// Config files larger than this are refused (a settings file is a few kilobytes).
const MAX_BYTES: u64 = 1 << 20;

/// What is wrong with a config file, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line and column; `None` when the file as a whole is the problem (unreadable).
    pub at: Option<(usize, usize)>,
    pub reason: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Some((line, col)) => write!(f, "{}:{line}:{col}: {}", self.path.display(), self.reason),
            None => write!(f, "{}: {}", self.path.display(), self.reason),
        }
    }
}

impl std::error::Error for ConfigError {}

/// The file as TOML gives it, each entry with where it was written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    keys: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    theme: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

/// Where the console looks for its config file when not told: `$XDG_CONFIG_HOME/switchyard/
/// config.toml`, else `$HOME/.config/switchyard/config.toml`; `None` with neither set.
pub fn default_path() -> Option<PathBuf> {
    let set = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = set("XDG_CONFIG_HOME").or_else(|| set("HOME").map(|home| home.join(".config")))?;
    Some(base.join("switchyard").join("config.toml"))
}

impl Settings {
    /// The settings in the file `explicit` names (it must exist), else in the default file if
    /// there is one, else the defaults.
    pub fn load(explicit: Option<&Path>) -> Result<Settings, ConfigError> {
        let path = match (explicit, default_path()) {
            (Some(path), _) => path.to_path_buf(),
            (None, Some(path)) if path.exists() => path,
            (None, _) => return Ok(Settings::default()),
        };
        let fail = |reason: String| ConfigError { path: path.clone(), at: None, reason };
        let meta = std::fs::metadata(&path).map_err(|e| fail(format!("cannot read it: {e}")))?;
        // A device or a pipe could be read without end.
        if !meta.is_file() {
            return Err(fail("not a regular file".into()));
        }
        if meta.len() > MAX_BYTES {
            return Err(fail(format!("larger than {MAX_BYTES} bytes: not a settings file")));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| fail(format!("cannot read it: {e}")))?;
        Settings::parse(&path, &text)
    }

    /// The settings `text` (the contents of `path`) asks for, over the defaults.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, ConfigError> {
        let fail = |span: Option<std::ops::Range<usize>>, reason: String| ConfigError {
            path: path.to_path_buf(),
            at: span.map(|s| position(text, s.start)),
            reason,
        };
        let file: File = toml::from_str(text).map_err(|e| fail(e.span(), e.message().to_string()))?;
        let mut settings = Settings::default();
        // In the order written, so a collision is reported where the second binding was written.
        let mut keys: Vec<_> = file.keys.into_iter().collect();
        keys.sort_by_key(|(name, _)| name.span().start);
        let mut set_at = Vec::new();
        for (name, value) in keys {
            let bound = key_list(value.get_ref())
                .map_err(|reason| fail(Some(value.span()), format!("`{}`: {reason}", name.get_ref())))?;
            settings.keys.rebind(name.get_ref(), bound).map_err(|reason| fail(Some(name.span()), reason))?;
            set_at.push((name.get_ref().clone(), name.span()));
        }
        if let Err(c) = settings.keys.check() {
            // The defaults never collide: at least one of the two was set here, maybe both.
            let span =
                set_at.iter().filter(|(n, _)| c.actions.contains(n)).map(|(_, s)| s.clone()).max_by_key(|s| s.start);
            let [a, b] = &c.actions;
            let reason = format!("`{}` would mean both `{a}` and `{b}` (their keys work at the same time)", c.key);
            return Err(fail(span, reason));
        }
        for (name, value) in file.theme {
            let role = Role::from_name(name.get_ref()).ok_or_else(|| {
                fail(
                    Some(name.span()),
                    format!("no colour role is called `{}` (`switchyard config --print` lists them)", name.get_ref()),
                )
            })?;
            let text =
                value.get_ref().as_str().ok_or_else(|| fail(Some(value.span()), "a colour is a string".into()))?;
            settings.theme.set(role, parse_colour(text).map_err(|reason| fail(Some(value.span()), reason))?);
        }
        Ok(settings)
    }

    /// The same settings without any colour (`NO_COLOR`).
    pub fn without_colour(mut self) -> Settings {
        self.theme = self.theme.without_colour();
        self
    }

    /// The settings as a config file that reads back as them, every action and role with what it
    /// is for (`switchyard config --print`).
    pub fn to_toml(&self) -> String {
        let mut out = String::from(HEADER);
        let mut context = None;
        out.push_str("\n[keys]\n");
        for b in self.keys.bindings() {
            if context != Some(b.context) {
                let _ = writeln!(out, "# {}", b.context.title());
                context = Some(b.context);
            }
            let keys: Vec<String> = b.keys.iter().map(|k| toml_string(&k.to_string())).collect();
            let value = if keys.len() == 1 { keys[0].clone() } else { format!("[{}]", keys.join(", ")) };
            let _ = writeln!(out, "{:<32} # {}", format!("{} = {value}", b.name), b.help);
        }
        out.push_str(THEME_HEADER);
        for role in Role::ALL {
            let colour = self.theme.colour(role).map_or("reset".to_string(), colour_name);
            let _ = writeln!(out, "{:<32} # {}", format!("{} = {}", role.name(), toml_string(&colour)), role.about());
        }
        out
    }
}

const HEADER: &str = "\
# Switchyard's console settings: copy what you want to change into
# $XDG_CONFIG_HOME/switchyard/config.toml (~/.config/switchyard/config.toml), or into a file you
# name with --config PATH. What is left out keeps its default.
#
# [keys]: an action = a key or a list of keys ([] unbinds it). A key is one character (\"z\",
# \"Z\", \"?\") or space, enter, esc, tab, backtab, backspace, delete, insert, up, down, left,
# right, pgup, pgdn, home, end, f1 … f12, after ctrl-, alt- or shift- if need be (\"ctrl-c\").
# A key may mean one action only where their keys work at the same time.
";

const THEME_HEADER: &str = "
[theme]
# A colour per role: black, red, green, yellow, blue, magenta, cyan, gray, dark_gray, light_red,
# light_green, light_yellow, light_blue, light_magenta, light_cyan, white, reset (the terminal's
# own), #rrggbb, or 0 … 255. NO_COLOR (set and not empty) turns every colour off.
";

/// The keys a `[keys]` value binds: a string, or an array of strings.
fn key_list(value: &toml::Value) -> Result<Vec<Key>, String> {
    fn one(v: &toml::Value) -> Result<Key, String> {
        Key::parse(v.as_str().ok_or("a key is a string, such as \"z\" or \"ctrl-c\"")?)
    }
    match value {
        toml::Value::Array(items) => items.iter().map(one).collect(),
        v => Ok(vec![one(v)?]),
    }
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests;

//! The variants of a comparison: the cross product of the `--vary`s, each a scenario.
//!
//! `--vary PATH=A,B,C` gives one variant per value, each the base scenario with `--set PATH=A`
//! (`+=` and `-=` work too); `--vary a.json,b.json` gives one per scenario file, in place of the
//! base file. Values are split at top-level commas (not inside `{}`, `[]` or quotes), so a JSON
//! value may hold commas.

use std::path::{Path, PathBuf};

use crate::runtime::needs_live;
use crate::scenario::overrides::Override;
use crate::scenario::{self, Scenario};

/// One choice of a `--vary`.
#[derive(Debug, Clone)]
enum Choice {
    Set(Override),
    File(PathBuf),
}

/// A `--vary`, read.
#[derive(Debug, Clone)]
pub struct Vary {
    choices: Vec<Choice>,
}

/// A scenario to compare, and its name in the table.
#[derive(Debug, Clone)]
pub struct Variant {
    pub label: String,
    pub scenario: Scenario,
}

impl Vary {
    pub fn parse(text: &str) -> Result<Vary, String> {
        let bad = |why: String| format!("--vary {text}: {why}");
        let choices = match text.find('=') {
            Some(eq) => {
                let (path, values) = (&text[..eq], &text[eq + 1..]);
                let values = split_top_level(values);
                if values.iter().any(|v| v.is_empty()) {
                    return Err(bad("a value is empty (values are separated by `,`)".into()));
                }
                let sets: Result<Vec<Choice>, String> =
                    values.iter().map(|v| Override::parse(&format!("{path}={v}")).map(Choice::Set)).collect();
                sets.map_err(|e| bad(e.trim_start_matches("--set ").to_string()))?
            }
            None => split_top_level(text).into_iter().map(|f| Choice::File(PathBuf::from(f))).collect(),
        };
        if choices.is_empty() {
            return Err(bad("no values".into()));
        }
        Ok(Vary { choices })
    }

    pub fn len(&self) -> usize {
        self.choices.len()
    }

    pub fn is_empty(&self) -> bool {
        self.choices.is_empty()
    }
}

/// `a,b,{"x":1,"y":2}` → `a`, `b`, `{"x":1,"y":2}`.
fn split_top_level(text: &str) -> Vec<String> {
    let (mut parts, mut current, mut depth, mut quoted) = (Vec::new(), String::new(), 0i32, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                current.push(c);
                if let Some(next) = chars.next() {
                    current.push(next);
                }
                continue;
            }
            '{' | '[' if !quoted => depth += 1,
            '}' | ']' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

/// The most seeds a comparison takes (each is a run per variant).
const MAX_SEEDS: u64 = 1_000_000;

/// `A..B`: the seeds from A to B, both included.
pub fn seeds(text: &str) -> Result<Vec<u64>, String> {
    let bad = || format!("--seeds {text}: expected A..B, two whole numbers with A ≤ B (both included)");
    let (a, b) = text.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if a > b {
        return Err(bad());
    }
    if b - a >= MAX_SEEDS {
        return Err(format!("--seeds {text}: at most {MAX_SEEDS} seeds"));
    }
    Ok((a..=b).collect())
}

/// One combination of the `--vary`s' choices: a scenario file in place of the base (if one was
/// chosen), the `--set`s, and the variant's label.
#[derive(Debug, Clone, Default)]
pub struct Combo {
    pub file: Option<PathBuf>,
    pub sets: Vec<Override>,
    pub label: String,
}

/// Every combination of the `--vary`s' choices, in order (the last `--vary` changes fastest).
pub fn combos(varies: &[Vary]) -> Vec<Combo> {
    let mut combos: Vec<(Option<PathBuf>, Vec<Override>, Vec<String>)> = vec![(None, Vec::new(), Vec::new())];
    for vary in varies {
        let mut next = Vec::with_capacity(combos.len() * vary.len());
        for (file, sets, label) in &combos {
            for choice in &vary.choices {
                let (mut file, mut sets, mut label) = (file.clone(), sets.clone(), label.clone());
                match choice {
                    Choice::Set(o) => {
                        label.push(o.text.clone());
                        sets.push(o.clone());
                    }
                    Choice::File(f) => {
                        label.push(f.display().to_string());
                        file = Some(f.clone());
                    }
                }
                next.push((file, sets, label));
            }
        }
        combos = next;
    }
    combos
        .into_iter()
        .map(|(file, sets, label)| {
            let label = if label.is_empty() { "(as written)".to_string() } else { label.join(" ") };
            Combo { file, sets, label }
        })
        .collect()
}

/// Every variant: the base file with each combination of the `--vary`s' choices, in order (the
/// last `--vary` changes fastest). Each is loaded and checked; simulated scenarios only.
pub fn variants(base: &Path, max_bytes: u64, varies: &[Vary]) -> Result<Vec<Variant>, String> {
    // Each file is read once, however many variants start from it (and a pipe can be read once),
    // and checked as it is once: its own problems are reported before any change's. A variant
    // without changes is that check.
    let mut texts: Vec<(&Path, String, bool)> = Vec::new();
    let combos = combos(varies);
    combos
        .iter()
        .map(|combo| {
            let file = combo.file.as_deref().unwrap_or(base);
            let i = match texts.iter().position(|(f, ..)| *f == file) {
                Some(i) => i,
                None => {
                    let text = scenario::read_text(file, max_bytes).map_err(|e| e.to_string())?;
                    texts.push((file, text, false));
                    texts.len() - 1
                }
            };
            let (_, text, checked) = &mut texts[i];
            if !*checked && !combo.sets.is_empty() {
                scenario::parse(&file.display().to_string(), text).map_err(|e| e.to_string())?;
            }
            *checked = true;
            let scenario = scenario::changed(file, text, &combo.sets).map_err(|e| e.to_string())?;
            if needs_live(&scenario) {
                return Err(format!(
                    "{}: compare runs simulated agents only, and this scenario has real ones",
                    file.display()
                ));
            }
            Ok(Variant { label: combo.label.clone(), scenario })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_split_at_top_level_commas() {
        assert_eq!(split_top_level("a,b"), ["a", "b"]);
        assert_eq!(split_top_level(r#"{"x":1,"y":2},[1,2],"a,b""#), [r#"{"x":1,"y":2}"#, "[1,2]", r#""a,b""#]);
        assert_eq!(Vary::parse("allocation=least_loaded,best_score,auction").unwrap().len(), 3);
        assert_eq!(Vary::parse("a.json,b.json").unwrap().len(), 2);
        assert!(Vary::parse("allocation=a,,b").unwrap_err().contains("a value is empty"));
    }
}

//! Problems found in a scenario file, and how they are reported.
//!
//! While loading, problems are collected as byte offsets in a [`Diag`]; only when a load fails
//! are the offsets turned into 1-based line:column pairs, so a clean load never pays for a line
//! index. This module also holds the "did you mean …?" helper used by several messages.

use std::fmt;

/// One thing wrong with a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line; 0 when the problem is not about a place in the file (it cannot be read).
    pub line: usize,
    /// 1-based column, counted in characters; 0 together with `line`.
    pub column: usize,
    /// Where in the document, e.g. `tasks[3].depends_on[0]`; empty for the top level.
    pub path: String,
    pub message: String,
}

/// Everything wrong with a scenario file, sorted by position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file name used in messages.
    pub origin: String,
    pub problems: Vec<Problem>,
}

impl ScenarioError {
    /// A problem with the file as a whole (it cannot be read, it is not UTF-8, …).
    pub(crate) fn whole_file(origin: &str, message: String) -> ScenarioError {
        ScenarioError {
            origin: origin.to_string(),
            problems: vec![Problem { line: 0, column: 0, path: String::new(), message }],
        }
    }
}

impl fmt::Display for ScenarioError {
    /// One line per problem: `FILE:LINE:COL: PATH: MESSAGE` (`FILE: MESSAGE` without a position).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.is_empty() {
            return write!(f, "{}: invalid scenario", self.origin);
        }
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            if p.line == 0 {
                write!(f, "{}: ", self.origin)?;
            } else {
                write!(f, "{}:{}:{}: ", self.origin, p.line, p.column)?;
            }
            if !p.path.is_empty() {
                write!(f, "{}: ", p.path)?;
            }
            f.write_str(&p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// A problem as the loader records it: a byte offset, not yet a line and column.
#[derive(Debug)]
struct RawProblem {
    pos: usize,
    path: String,
    message: String,
    /// Another place the message refers to, rendered as ` (LABEL line L, column C)`.
    related: Option<(usize, &'static str)>,
}

/// Collects problems while a file is decoded and validated.
#[derive(Debug, Default)]
pub(crate) struct Diag {
    items: Vec<RawProblem>,
    /// The scenario file's directory (empty: the current one), which relative paths checked at
    /// load time (an LLM agent's `ca_file`) are taken from.
    pub(crate) base_dir: std::path::PathBuf,
}

impl Diag {
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn push(&mut self, pos: usize, path: String, message: String) {
        self.items.push(RawProblem { pos, path, message, related: None });
    }

    /// A problem that also mentions another place, e.g. where a duplicate was first defined.
    pub(crate) fn push_related(
        &mut self,
        pos: usize,
        path: String,
        message: String,
        related: usize,
        label: &'static str,
    ) {
        self.items.push(RawProblem { pos, path, message, related: Some((related, label)) });
    }

    /// Turn offsets into positions within `text` and sort by position (stable). Only the first
    /// [`MAX_PROBLEMS_SHOWN`] problems are kept; a last, file-wide one says how many more there were.
    pub(crate) fn into_error(mut self, origin: &str, text: &str) -> ScenarioError {
        self.items.sort_by_key(|p| p.pos);
        let more = self.items.len().saturating_sub(MAX_PROBLEMS_SHOWN);
        self.items.truncate(MAX_PROBLEMS_SHOWN);
        let index = LineIndex::new(text);
        let mut problems: Vec<Problem> = self
            .items
            .into_iter()
            .map(|p| {
                let (line, column) = index.locate(p.pos);
                let mut message = p.message;
                if let Some((at, label)) = p.related {
                    let (l, c) = index.locate(at);
                    message.push_str(&format!(" ({label} line {l}, column {c})"));
                }
                Problem { line, column, path: p.path, message }
            })
            .collect();
        if more > 0 {
            let message = format!("… and {more} more problems (only the first {MAX_PROBLEMS_SHOWN} are shown)");
            problems.push(Problem { line: 0, column: 0, path: String::new(), message });
        }
        ScenarioError { origin: origin.to_string(), problems }
    }
}

/// At most this many problems of one file are reported (the first ones by position): a file with
/// a hundred thousand mistakes gets a readable report, and positions are found only for these.
pub const MAX_PROBLEMS_SHOWN: usize = 100;

/// Byte offset → 1-based (line, column in characters).
///
/// Columns count characters from the line's start. To find them without scanning a whole line
/// (a minified file is one line), the index keeps the number of characters before every
/// [`BLOCK`]-byte block, so one lookup scans less than two blocks.
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Characters in `text[..k * BLOCK]`, for every block `k`.
    chars_before: Vec<usize>,
}

const BLOCK: usize = 4096;

impl<'a> LineIndex<'a> {
    pub(crate) fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        let mut chars_before = Vec::with_capacity(text.len() / BLOCK + 1);
        let mut total = 0;
        for block in text.as_bytes().chunks(BLOCK) {
            chars_before.push(total);
            total += char_starts(block);
        }
        chars_before.push(total);
        LineIndex { text, starts, chars_before }
    }

    pub(crate) fn locate(&self, pos: usize) -> (usize, usize) {
        let pos = pos.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= pos);
        let start = self.starts[line - 1];
        (line, self.chars_upto(pos) - self.chars_upto(start) + 1)
    }

    /// Characters in `text[..pos]`.
    fn chars_upto(&self, pos: usize) -> usize {
        let block = pos / BLOCK;
        self.chars_before[block] + char_starts(&self.text.as_bytes()[block * BLOCK..pos])
    }
}

/// How many characters start in `bytes` (UTF-8: every byte that is not a continuation byte).
fn char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Suggestions are only looked for between names of at most this many bytes: a longer name is not a
/// typo of a field or id a person wrote, and comparing it costs time proportional to its length.
pub(crate) const MAX_HINT_LEN: usize = 64;
/// Work one lookup may do outside a [`HintBudget`] (a plan checked while a scenario runs).
const LOOKUP_WORK: u64 = 1_000_000;
/// Work (candidates looked at plus distance cells computed) all lookups of one scenario load may
/// do together; once spent, messages go without a suggestion. This keeps validation linear in
/// the file's size however many misspelled names it holds.
const LOAD_WORK: u64 = 5_000_000;

thread_local! {
    /// Work left for suggestions in the current load on this thread; `None` outside a load.
    static WORK_LEFT: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// While alive, every [`hint`] on this thread draws on one shared allowance of work: a scenario
/// load opens one, so its many checks need not each be given a budget.
pub(crate) struct HintBudget(Option<u64>);

impl HintBudget {
    pub(crate) fn start() -> HintBudget {
        HintBudget(WORK_LEFT.replace(Some(LOAD_WORK)))
    }
}

impl Drop for HintBudget {
    fn drop(&mut self) {
        WORK_LEFT.set(self.0);
    }
}

/// The candidate closest to `target` by edit distance, if it is close enough to be a likely typo.
///
/// Bounded: names longer than [`MAX_HINT_LEN`] are never compared, a distance computation stops as
/// soon as it cannot beat the best so far, and the work is capped per lookup (and per load, see
/// [`HintBudget`]), so a file full of misspellings cannot make validation quadratic.
pub(crate) fn closest<'c>(target: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let t = target.as_bytes();
    if t.len() > MAX_HINT_LEN {
        return None;
    }
    let in_load = WORK_LEFT.get();
    let mut work = in_load.unwrap_or(LOOKUP_WORK);
    let limit = (t.len() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    let mut row = Vec::new();
    for c in candidates {
        if work == 0 {
            break;
        }
        work -= 1;
        if c == target || c.len().abs_diff(t.len()) > limit {
            continue;
        }
        let bound = best.map_or(limit, |(d, _)| d - 1);
        let cells = (t.len() * (c.len() + 1)) as u64;
        work = work.saturating_sub(cells);
        if let Some(d) = distance(t, c.as_bytes(), bound, &mut row)
            && d < t.len().max(c.len())
            && best.is_none_or(|(b, _)| d < b)
        {
            best = Some((d, c));
            if d == 1 {
                break;
            }
        }
    }
    if in_load.is_some() {
        WORK_LEFT.set(Some(work));
    }
    best.map(|(_, c)| c)
}

/// `"; did you mean `x`?"` when some candidate is close to `target`, else "".
pub(crate) fn hint<'c>(target: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    closest(target, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// Optimal-string-alignment distance (edits plus adjacent swaps), or `None` when above `bound`.
/// Only candidates of at most [`MAX_HINT_LEN`] bytes get here (via the length filter of
/// [`closest`]), so one call costs at most a few thousand cells.
fn distance(a: &[u8], b: &[u8], bound: usize, rows: &mut Vec<usize>) -> Option<usize> {
    let w = b.len() + 1;
    rows.clear();
    rows.resize(3 * w, 0);
    let (mut prev2, mut prev, mut cur) = (0, w, 2 * w);
    for (j, slot) in rows[prev..prev + w].iter_mut().enumerate() {
        *slot = j;
    }
    for i in 1..=a.len() {
        rows[cur] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (rows[prev + j] + 1).min(rows[cur + j - 1] + 1).min(rows[prev + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(rows[prev2 + j - 2] + 1);
            }
            rows[cur + j] = d;
            row_min = row_min.min(d);
        }
        if row_min > bound {
            return None;
        }
        (prev2, prev, cur) = (prev, cur, prev2);
    }
    let d = rows[prev + b.len()];
    (d <= bound).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        let mut rows = Vec::new();
        assert_eq!(distance(b"dependson", b"depends_on", 5, &mut rows), Some(1));
        assert_eq!(distance(b"abcd", b"abdc", 5, &mut rows), Some(1));
        assert_eq!(distance(b"", b"abc", 5, &mut rows), Some(3));
        assert_eq!(distance(b"kitten", b"sitting", 5, &mut rows), Some(3));
        assert_eq!(distance(b"kitten", b"sitting", 2, &mut rows), None);
    }

    #[test]
    fn closest_candidates() {
        let fields = ["id", "description", "capability", "depends_on", "timeout_ms"];
        assert_eq!(closest("dependson", fields), Some("depends_on"));
        assert_eq!(closest("timout_ms", fields), Some("timeout_ms"));
        assert_eq!(closest("zzz", fields), None);
        // A one-letter name is never "close" to another one-letter name.
        assert_eq!(closest("x", ["a", "b"]), None);
        assert_eq!(hint("capabilty", fields), "; did you mean `capability`?");
    }

    #[test]
    fn line_index() {
        let text = "ab\n\u{e9}x\n\nz";
        let idx = LineIndex::new(text);
        assert_eq!(idx.locate(0), (1, 1));
        assert_eq!(idx.locate(2), (1, 3));
        assert_eq!(idx.locate(3), (2, 1));
        assert_eq!(idx.locate(5), (2, 2)); // after a two-byte character
        assert_eq!(idx.locate(7), (3, 1));
        assert_eq!(idx.locate(8), (4, 1));
    }

    #[test]
    fn line_index_across_blocks() {
        // One long line of multi-byte characters spanning several blocks, then a short line.
        let text = format!("{}\nab", "\u{e9}".repeat(3 * BLOCK));
        let idx = LineIndex::new(&text);
        assert_eq!(idx.locate(2 * BLOCK + 2), (1, BLOCK + 2));
        assert_eq!(idx.locate(6 * BLOCK), (1, 3 * BLOCK + 1));
        assert_eq!(idx.locate(6 * BLOCK + 2), (2, 2));
        assert_eq!(idx.locate(text.len()), (2, 3));
    }

    #[test]
    fn suggestions_skip_long_names_and_stop_when_the_budget_is_spent() {
        let long = "x".repeat(MAX_HINT_LEN + 1);
        let near = format!("{long}y");
        assert_eq!(closest(&long, [near.as_str()]), None);
        assert_eq!(closest("task-1", [near.as_str(), "task-2"]), Some("task-2"));
        let _budget = HintBudget::start();
        WORK_LEFT.set(Some(0));
        assert_eq!(closest("task-1", ["task-2"]), None);
    }

    #[test]
    fn at_most_the_first_problems_are_reported() {
        let mut diag = Diag::default();
        for pos in (0..MAX_PROBLEMS_SHOWN + 5).rev() {
            diag.push(pos, String::new(), format!("p{pos}"));
        }
        let e = diag.into_error("f.json", &" ".repeat(200));
        assert_eq!(e.problems.len(), MAX_PROBLEMS_SHOWN + 1);
        assert_eq!(e.problems[0].message, "p0");
        assert!(e.problems.last().unwrap().message.contains("5 more problems"), "{e}");
    }

    #[test]
    fn display() {
        let e = ScenarioError {
            origin: "s.json".into(),
            problems: vec![
                Problem { line: 2, column: 5, path: "tasks[0]".into(), message: "bad".into() },
                Problem { line: 3, column: 1, path: String::new(), message: "worse".into() },
            ],
        };
        assert_eq!(e.to_string(), "s.json:2:5: tasks[0]: bad\ns.json:3:1: worse");
        let io = ScenarioError::whole_file("x.json", "cannot read file: gone".into());
        assert_eq!(io.to_string(), "x.json: cannot read file: gone");
    }
}

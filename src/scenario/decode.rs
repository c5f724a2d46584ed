//! Pull-decoding primitives: typed values straight from the lexer, recovering from bad ones.
//!
//! A [`Decoder`] reads what the scenario schema (in [`super::schema`]) asks for: an object with a
//! known set of fields, an array, a string, a number within a range. A value of the wrong type,
//! out of range, or under an unknown or duplicate key is reported to the [`Diag`] and skipped, and
//! decoding goes on, so one pass finds every such problem. Only malformed JSON stops it (a
//! [`SyntaxError`](super::lexer::SyntaxError) propagated with `?`).

use super::bounds::{MAX_MS, MAX_MS_WORDS};
use super::error::{Diag, hint};
use super::lexer::{Key, Kind, LexResult as R, Lexer, Number};
use super::number::Scan;
use super::types::{CompactString, Strategy};
use std::fmt::Write as _;

/// "No position": the value was missing or unusable. Offsets are `u32` to keep the side tables
/// small; [`super::parse`] rejects inputs too large for that.
pub(crate) const NONE: u32 = u32::MAX;

/// Allowed range of a number.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bound {
    AtLeast(f64),
    Above(f64),
    Unit,
    /// `lo ≤ v ≤ hi`.
    Between(f64, f64),
    /// `lo < v ≤ hi`.
    AboveUpTo(f64, f64),
}

impl Bound {
    /// Whether `v` is finite and within the bound (what [`Decoder::float`] accepts without a word).
    pub(crate) fn admits(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                Bound::AtLeast(m) => v >= m,
                Bound::Above(m) => v > m,
                Bound::Unit => (0.0..=1.0).contains(&v),
                Bound::Between(lo, hi) => (lo..=hi).contains(&v),
                Bound::AboveUpTo(lo, hi) => v > lo && v <= hi,
            }
    }
}

/// How a number over its maximum is reported (the text is built only then).
#[derive(Debug, Clone, Copy)]
enum Limit {
    /// `must be ≤ MAX`.
    Plain,
    /// `must be at most MAX`: the format's limit.
    Format,
    /// `must be at most MAX (365 days of virtual time)`: the limit of every time field.
    Time,
}

#[derive(Debug, Clone, Copy)]
enum Seg {
    Key(&'static str),
    Index(usize),
}

/// Reads typed values from a [`Lexer`], reporting problems to a [`Diag`].
pub(crate) struct Decoder<'a, 'd> {
    pub(crate) lx: Lexer<'a>,
    pub(crate) diag: &'d mut Diag,
    /// The input's size in bytes, if known (0 otherwise), for estimating how much to reserve.
    pub(crate) size_hint: usize,
    /// Where the decoder is, for messages.
    path: Vec<Seg>,
    /// Reused while reading an array of strings, so the result gets exactly the capacity it needs.
    list: Vec<CompactString>,
    /// Reused by the fast path for tasks (see `quick`): where each `depends_on` entry is.
    pub(crate) quick_deps: Vec<(u32, u32)>,
    /// The last plain task's tail, for the fast path (see `quick::Tail`).
    pub(crate) quick_tail: super::quick::Tail,
}

/// An offset as stored in the side tables.
pub(crate) fn pos32(pos: usize) -> u32 {
    u32::try_from(pos).expect("input size is checked")
}

impl<'a, 'd> Decoder<'a, 'd> {
    pub(crate) fn new(lx: Lexer<'a>, size_hint: usize, diag: &'d mut Diag) -> Decoder<'a, 'd> {
        Decoder {
            lx,
            diag,
            size_hint,
            path: Vec::new(),
            list: Vec::new(),
            quick_deps: Vec::new(),
            quick_tail: Default::default(),
        }
    }

    pub(crate) fn path_string(&self) -> String {
        let mut s = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Seg::Index(i) => {
                    let _ = write!(s, "[{i}]");
                }
            }
        }
        s
    }

    pub(crate) fn problem(&mut self, pos: usize, message: impl Into<String>) {
        let path = self.path_string();
        self.diag.push(pos, path, message.into());
    }

    /// Report "expected X, found Y" for the value at `pos` and skip it.
    pub(crate) fn mismatch(&mut self, expected: &str, kind: Kind, pos: usize) -> R<()> {
        let found = match kind {
            Kind::String => {
                let s = self.lx.string()?;
                let mut short: String = s.chars().take(40).collect();
                if short.len() < s.len() {
                    short.push('…');
                }
                format!("string {short:?}")
            }
            Kind::Number => format!("number `{}`", self.lx.number()?.text),
            Kind::Bool => format!("boolean `{}`", self.lx.boolean()?),
            Kind::Null => {
                self.lx.null()?;
                "null".to_string()
            }
            Kind::Object | Kind::Array => {
                self.lx.skip_value()?;
                (if kind == Kind::Object { "an object" } else { "an array" }).to_string()
            }
        };
        self.problem(pos, format!("expected {expected}, found {found}"));
        Ok(())
    }

    /// Read an object whose keys are `fields`, calling `each(decoder, field index)` with the
    /// lexer positioned on the value. Unknown and duplicate keys are reported and skipped.
    /// Returns the object's offset and a bit mask of the fields seen, `None` if not an object.
    pub(crate) fn object(
        &mut self,
        fields: &'static [&'static str],
        mut each: impl FnMut(&mut Self, usize) -> R<()>,
    ) -> R<Option<(usize, u32)>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Object {
            self.mismatch("an object", kind, at)?;
            return Ok(None);
        }
        self.lx.begin_object();
        let mut first = true;
        let mut seen = 0u32;
        let mut key_pos = [0usize; 32];
        let mut next = 0;
        while let Some((key, kpos)) = self.lx.next_key(&mut first, fields, next)? {
            if let Key::Field(i) = key {
                next = i + 1;
            }
            match key {
                Key::Field(i) if seen & (1 << i) != 0 => {
                    let path = self.path_string();
                    let message = format!("duplicate field \"{}\"", fields[i]);
                    self.diag.push_related(kpos, path, message, key_pos[i], "first at");
                    self.lx.skip_value()?;
                }
                Key::Field(i) => {
                    seen |= 1 << i;
                    key_pos[i] = kpos;
                    self.path.push(Seg::Key(fields[i]));
                    each(self, i)?;
                    self.path.pop();
                }
                Key::Unknown => {
                    let key = self.lx.unknown_key();
                    let message = format!(
                        "unknown field {key:?} (expected one of: {}){}",
                        fields.join(", "),
                        hint(key, fields.iter().copied())
                    );
                    self.problem(kpos, message);
                    self.lx.skip_value()?;
                }
            }
        }
        Ok(Some((at, seen)))
    }

    /// Report each of `required` (field indices) missing from `seen`.
    pub(crate) fn require(&mut self, at: usize, seen: u32, fields: &[&str], required: &[usize]) {
        for &i in required {
            if seen & (1 << i) == 0 {
                self.problem(at, format!("missing required field \"{}\"", fields[i]));
            }
        }
    }

    /// Read an array, calling `each` for every element. Returns its offset, `None` if not an array.
    pub(crate) fn array(&mut self, mut each: impl FnMut(&mut Self) -> R<()>) -> R<Option<usize>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Array {
            self.mismatch("an array", kind, at)?;
            return Ok(None);
        }
        self.lx.begin_array();
        let mut first = true;
        let mut i = 0;
        while self.lx.next_element(&mut first)? {
            self.path.push(Seg::Index(i));
            each(self)?;
            self.path.pop();
            i += 1;
        }
        Ok(Some(at))
    }

    /// Read a string (the one allocation is for the result).
    pub(crate) fn string(&mut self) -> R<Option<(String, usize)>> {
        self.string_as()
    }

    /// [`string`](Self::string) as a [`CompactString`] (no allocation up to 24 bytes).
    pub(crate) fn compact(&mut self) -> R<Option<(CompactString, usize)>> {
        self.string_as()
    }

    /// A string, kept as `S`, with its offset.
    fn string_as<S: for<'s> From<&'s str>>(&mut self) -> R<Option<(S, usize)>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::String {
            self.mismatch("a string", kind, at)?;
            return Ok(None);
        }
        Ok(Some((S::from(self.lx.string()?), at)))
    }

    /// Read an array of strings into `out`, which gets exactly the capacity it needs (these
    /// vectors are kept for the whole run, one or more per task).
    pub(crate) fn strings<S: From<CompactString>>(&mut self, out: &mut Vec<S>) -> R<Option<usize>> {
        self.strings_with(out, |_, _, _| {})
    }

    /// [`strings`](Self::strings), calling `each(decoder, string, offset)` before keeping one.
    pub(crate) fn strings_with<S: From<CompactString>>(
        &mut self,
        out: &mut Vec<S>,
        mut each: impl FnMut(&mut Self, &str, usize),
    ) -> R<Option<usize>> {
        let mut list = std::mem::take(&mut self.list);
        list.clear();
        let found = self.array(|d| {
            if let Some((s, at)) = d.compact()? {
                each(d, &s, at);
                list.push(s);
            }
            Ok(())
        });
        // An exact-size iterator: the result gets exactly `list.len()` elements of capacity.
        *out = list.drain(..).map(S::from).collect();
        self.list = list;
        found
    }

    /// Read an object with any keys and string values (an environment) into `out`. A value that
    /// is not a string is reported under its key and left out; a repeated key is reported.
    pub(crate) fn string_map(&mut self, out: &mut std::collections::BTreeMap<String, String>) -> R<()> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Object {
            return self.mismatch("an object of strings", kind, at);
        }
        self.lx.begin_object();
        let mut first = true;
        while let Some((_, kpos)) = self.lx.next_key(&mut first, &[], 0)? {
            let key = self.lx.unknown_key().to_owned();
            if out.contains_key(&key) {
                self.problem(kpos, format!("duplicate key {key:?}"));
                self.lx.skip_value()?;
                continue;
            }
            // The key is part of the message: the path only has room for static names.
            let (kind, vpos) = self.lx.peek()?;
            if kind == Kind::String {
                let value = self.lx.string()?.to_owned();
                out.insert(key, value);
            } else {
                self.mismatch(&format!("a string for {key:?}"), kind, vpos)?;
            }
        }
        Ok(())
    }

    /// Read a whole number within `min..=max`.
    pub(crate) fn int(&mut self, min: i128, max: i128) -> R<Option<i128>> {
        self.int_within(min, max, Limit::Plain)
    }

    /// Read a whole number within `min..=max`; over `max`, the message says so as `limit` asks.
    fn int_within(&mut self, min: i128, max: i128, limit: Limit) -> R<Option<i128>> {
        let fits = |s: &Scan| s.int().map(i128::from).filter(|v| (min..=max).contains(v));
        if let Some(v) = self.lx.number_if(fits) {
            return Ok(Some(v));
        }
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Number {
            self.mismatch("an integer", kind, at)?;
            return Ok(None);
        }
        let n = self.lx.number()?;
        let message = match whole_value(&n) {
            Some(Some(v)) if (min..=max).contains(&v) => return Ok(Some(v)),
            Some(v) => {
                let below = match v {
                    Some(v) => v < min,
                    None => n.text.starts_with('-'),
                };
                match limit {
                    _ if below => format!("must be ≥ {min}, found {}", n.text),
                    Limit::Plain => format!("must be ≤ {max}, found {}", n.text),
                    Limit::Format => format!("must be at most {max}, found {}", n.text),
                    Limit::Time => {
                        format!("must be at most {max} ({MAX_MS_WORDS} of virtual time), found {}", n.text)
                    }
                }
            }
            None => format!("expected an integer, found number `{}`", n.text),
        };
        self.problem(at, message);
        Ok(None)
    }

    pub(crate) fn u64(&mut self, min: u64) -> R<Option<u64>> {
        Ok(self.int(min.into(), u64::MAX.into())?.map(|v| v as u64))
    }

    /// Read a time or duration in milliseconds: at least `min`, at most [`MAX_MS`].
    pub(crate) fn ms(&mut self, min: u64) -> R<Option<u64>> {
        Ok(self.int_within(min.into(), MAX_MS.into(), Limit::Time)?.map(|v| v as u64))
    }

    /// Read a count within `min..=max`, `max` being the format's limit for it.
    pub(crate) fn count(&mut self, min: u32, max: u32) -> R<Option<u32>> {
        Ok(self.int_within(min.into(), max.into(), Limit::Format)?.map(|v| v as u32))
    }

    pub(crate) fn i64(&mut self) -> R<Option<i64>> {
        Ok(self.int(i64::MIN.into(), i64::MAX.into())?.map(|v| v as i64))
    }

    /// Read a number within `bound`.
    pub(crate) fn float(&mut self, bound: Bound) -> R<Option<f64>> {
        if let Some(v) = self.lx.number_if(|s| s.float().filter(|&v| bound.admits(v))) {
            return Ok(Some(v));
        }
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Number {
            self.mismatch("a number", kind, at)?;
            return Ok(None);
        }
        let n = self.lx.number()?;
        let v = float_value(&n);
        let message = match bound {
            _ if !v.is_finite() => format!("number `{}` is out of range", n.text),
            Bound::AtLeast(m) if v < m => format!("must be ≥ {m}, found {}", n.text),
            Bound::Above(m) if v <= m => format!("must be > {m}, found {}", n.text),
            Bound::Unit if !(0.0..=1.0).contains(&v) => {
                format!("must be between 0 and 1, found {}", n.text)
            }
            Bound::Between(lo, _) if v < lo => format!("must be ≥ {lo}, found {}", n.text),
            Bound::AboveUpTo(lo, _) if v <= lo => format!("must be > {lo}, found {}", n.text),
            Bound::Between(_, hi) | Bound::AboveUpTo(_, hi) if v > hi => {
                format!("must be at most {hi}, found {}", n.text)
            }
            _ => return Ok(Some(v)),
        };
        self.problem(at, message);
        Ok(None)
    }

    pub(crate) fn boolean(&mut self) -> R<Option<bool>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Bool {
            self.mismatch("true or false", kind, at)?;
            return Ok(None);
        }
        Ok(Some(self.lx.boolean()?))
    }

    pub(crate) fn strategy(&mut self) -> R<Option<Strategy>> {
        self.choice("allocation strategy", &Strategy::ALL, Strategy::name)
    }

    /// One of `all`, by its `name`; an unknown name is reported with the list and a hint.
    pub(crate) fn choice<T: Copy>(&mut self, what: &str, all: &[T], name: fn(T) -> &'static str) -> R<Option<T>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::String {
            self.mismatch("a string", kind, at)?;
            return Ok(None);
        }
        let given = self.lx.string()?;
        if let Some(&x) = all.iter().find(|&&x| name(x) == given) {
            return Ok(Some(x));
        }
        let names: Vec<&str> = all.iter().map(|&x| name(x)).collect();
        let message = format!(
            "unknown {what} {given:?} (expected one of: {}){}",
            names.join(", "),
            hint(given, names.iter().copied())
        );
        self.problem(at, message);
        Ok(None)
    }
}

/// `n` as a float (infinite or NaN when out of range).
fn float_value(n: &Number) -> f64 {
    n.scan.float().unwrap_or_else(|| n.text.parse().unwrap_or(f64::NAN))
}

/// `n` as a whole number: `None` when it has a fractional part, `Some(None)` when it is whole but
/// too large to represent (1e300).
fn whole_value(n: &Number) -> Option<Option<i128>> {
    if let Some(v) = n.scan.int() {
        return Some(Some(v.into()));
    }
    if n.scan.integer {
        return Some(n.text.parse::<i128>().ok());
    }
    // 1e3 and 2.0 are whole numbers too; 1.5 is not.
    let f = float_value(n);
    if f.is_finite() && f.fract() != 0.0 {
        return None;
    }
    Some((f.is_finite() && f.abs() < 1e36).then_some(f as i128))
}

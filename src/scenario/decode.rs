//! Pull-decoding primitives: typed values straight from the lexer, recovering from bad ones.
//!
//! A [`Decoder`] reads what the scenario schema (in [`super::schema`]) asks for: an object with a
//! known set of fields, an array, a string, a number within a range. A value of the wrong type,
//! out of range, or under an unknown or duplicate key is reported to the [`Diag`] and skipped, and
//! decoding goes on, so one pass finds every such problem. Only malformed JSON stops it (a
//! [`SyntaxError`](super::lexer::SyntaxError) propagated with `?`).

use super::error::{Diag, hint};
use super::lexer::{Kind, LexResult as R, Lexer};
use super::types::Strategy;
use std::borrow::Cow;
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
    /// Where the decoder is, for messages.
    path: Vec<Seg>,
}

/// The index of `key` in `fields`, trying `fields[next..]` first: keys usually come in the
/// documented order, so this is one comparison per key in the common case.
fn field_index(fields: &[&str], key: &str, next: usize) -> Option<usize> {
    let (earlier, rest) = fields.split_at(next.min(fields.len()));
    let find = |list: &[&str]| list.iter().position(|f| f.len() == key.len() && *f == key);
    find(rest).map(|i| i + next).or_else(|| find(earlier))
}

/// An offset as stored in the side tables.
pub(crate) fn pos32(pos: usize) -> u32 {
    u32::try_from(pos).expect("input size is checked")
}

impl<'a, 'd> Decoder<'a, 'd> {
    pub(crate) fn new(text: &'a str, diag: &'d mut Diag) -> Decoder<'a, 'd> {
        Decoder { lx: Lexer::new(text), diag, path: Vec::new() }
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
        let mut key_pos = [0usize; 16];
        let mut next = 0;
        while let Some((key, kpos)) = self.lx.next_key(&mut first)? {
            let found = field_index(fields, &key, next);
            if let Some(i) = found {
                next = i + 1;
            }
            match found {
                Some(i) if seen & (1 << i) != 0 => {
                    let path = self.path_string();
                    let message = format!("duplicate field \"{key}\"");
                    self.diag.push_related(kpos, path, message, key_pos[i], "first at");
                    self.lx.skip_value()?;
                }
                Some(i) => {
                    seen |= 1 << i;
                    key_pos[i] = kpos;
                    self.path.push(Seg::Key(fields[i]));
                    each(self, i)?;
                    self.path.pop();
                }
                None => {
                    let message = format!(
                        "unknown field {key:?} (expected one of: {}){}",
                        fields.join(", "),
                        hint(&key, fields.iter().copied())
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

    pub(crate) fn string(&mut self) -> R<Option<(String, usize)>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::String {
            self.mismatch("a string", kind, at)?;
            return Ok(None);
        }
        Ok(Some((self.lx.string()?.into_owned(), at)))
    }

    /// Read a string, borrowed from the input when it has no escapes.
    pub(crate) fn string_cow(&mut self) -> R<Option<(Cow<'a, str>, usize)>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::String {
            self.mismatch("a string", kind, at)?;
            return Ok(None);
        }
        Ok(Some((self.lx.string()?, at)))
    }

    /// Read an array of strings into `out`.
    pub(crate) fn strings(&mut self, out: &mut Vec<String>) -> R<Option<usize>> {
        self.array(|d| {
            if let Some((s, _)) = d.string()? {
                out.push(s);
            }
            Ok(())
        })
    }

    /// Read a whole number within `min..=max`.
    pub(crate) fn int(&mut self, min: i128, max: i128) -> R<Option<i128>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Number {
            self.mismatch("an integer", kind, at)?;
            return Ok(None);
        }
        let n = self.lx.number()?;
        let value = if n.integer {
            n.text.parse::<i128>().ok()
        } else {
            // 1e3 and 2.0 are whole numbers too; 1.5 is not.
            let f: f64 = n.text.parse().unwrap_or(f64::NAN);
            if f.is_finite() && f.fract() != 0.0 {
                self.problem(at, format!("expected an integer, found number `{}`", n.text));
                return Ok(None);
            }
            (f.is_finite() && f.abs() < 1e36).then_some(f as i128)
        };
        let below = match value {
            Some(v) if v < min => true,
            Some(v) if v > max => false,
            Some(v) => return Ok(Some(v)),
            None => n.text.starts_with('-'),
        };
        let message = if below {
            format!("must be ≥ {min}, found {}", n.text)
        } else {
            format!("must be ≤ {max}, found {}", n.text)
        };
        self.problem(at, message);
        Ok(None)
    }

    pub(crate) fn u64(&mut self, min: u64) -> R<Option<u64>> {
        Ok(self.int(min.into(), u64::MAX.into())?.map(|v| v as u64))
    }

    pub(crate) fn u32(&mut self, min: u32) -> R<Option<u32>> {
        Ok(self.int(min.into(), u32::MAX.into())?.map(|v| v as u32))
    }

    pub(crate) fn i64(&mut self) -> R<Option<i64>> {
        Ok(self.int(i64::MIN.into(), i64::MAX.into())?.map(|v| v as i64))
    }

    /// Read a number within `bound`.
    pub(crate) fn float(&mut self, bound: Bound) -> R<Option<f64>> {
        let (kind, at) = self.lx.peek()?;
        if kind != Kind::Number {
            self.mismatch("a number", kind, at)?;
            return Ok(None);
        }
        let n = self.lx.number()?;
        let v: f64 = n.text.parse().unwrap_or(f64::NAN);
        let message = match bound {
            _ if !v.is_finite() => format!("number `{}` is out of range", n.text),
            Bound::AtLeast(m) if v < m => format!("must be ≥ {m}, found {}", n.text),
            Bound::Above(m) if v <= m => format!("must be > {m}, found {}", n.text),
            Bound::Unit if !(0.0..=1.0).contains(&v) => {
                format!("must be between 0 and 1, found {}", n.text)
            }
            _ => return Ok(Some(v)),
        };
        self.problem(at, message);
        Ok(None)
    }

    pub(crate) fn strategy(&mut self) -> R<Option<Strategy>> {
        let Some((name, at)) = self.string()? else {
            return Ok(None);
        };
        if let Some(s) = Strategy::from_name(&name) {
            return Ok(Some(s));
        }
        let names = Strategy::ALL.map(Strategy::name);
        let message = format!(
            "unknown allocation strategy {name:?} (expected one of: {}){}",
            names.join(", "),
            hint(&name, names)
        );
        self.problem(at, message);
        Ok(None)
    }
}

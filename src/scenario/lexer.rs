//! A streaming pull lexer for JSON text that tracks byte offsets.
//!
//! The decoder asks for exactly what it expects next ("the next object key", "a string", "skip
//! whatever value comes next"), so no token stream and no document tree is ever built. The input
//! is a [`Window`]: the lexer sees only part of it and asks for more at the end of what it sees, so
//! every scan below is written to resume after a refill. Strings without escapes are returned as
//! slices of the window; escaped ones are decoded into a reused buffer, so reading a string never
//! allocates (callers copy what they keep, once). Keys are matched against the expected field
//! names right away. Every error carries the byte offset where it was noticed; syntax errors are
//! not recoverable and end the parse.

use super::number;
use super::window::Window;
use std::io::Read;

mod escape;
#[cfg(test)]
mod tests;

/// Bytes read at a time when streaming: large enough that reads are cheap, small enough to stay in
/// cache.
pub(crate) const CHUNK: usize = 64 << 10;

/// Fields [`Lexer::next_key`] tries on its fast path: the one expected next and those just after it.
const LOOKAHEAD: usize = 3;

/// What kind of value starts at the current position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

/// Malformed JSON at byte offset `pos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: usize,
    pub message: String,
}

/// A number exactly as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number<'t> {
    pub text: &'t str,
    /// Its form, and its value when that is cheap (see [`number`]); otherwise parse `text`.
    pub scan: number::Scan,
}

/// An object key, matched against the field names the caller expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// Index into the expected names.
    Field(usize),
    /// Not one of them: see [`Lexer::unknown_key`].
    Unknown,
}

/// Boxed, so that the results of the lexer's calls (one per token) stay small enough to be returned
/// in registers.
pub(crate) type LexResult<T> = Result<T, Box<SyntaxError>>;

/// The high bit of each byte of `w` (little-endian) that is `"`, `\\` or a control character
/// (below 0x20): SWAR zero-byte tests. Bytes after the first such byte may be flagged wrongly (a
/// borrow carries into them), but the lowest flagged byte is always a true one.
#[inline]
pub(crate) fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero_byte(w ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(w ^ (ONES * u64::from(b'\\')));
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    quote | backslash | control
}

/// The index of `key` in `fields`, trying `fields[next..]` first: keys usually come in the
/// documented order, so this is one comparison per key in the common case.
fn field_index(fields: &[&str], key: &[u8], next: usize) -> Option<usize> {
    let (earlier, rest) = fields.split_at(next.min(fields.len()));
    let find = |list: &[&str]| list.iter().position(|f| f.as_bytes() == key);
    find(rest).map(|i| i + next).or_else(|| find(earlier))
}

/// `a == b` for field names and keys (up to 24 bytes), without a call to `memcmp` (and the
/// register spills around it): two or three overlapping word comparisons.
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("4 bytes"));
    match n {
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        17..=24 => word(a, 0) == word(b, 0) && word(a, 8) == word(b, 8) && word(a, n - 8) == word(b, n - 8),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

/// Where the last string read is.
#[derive(Debug, Clone, Copy)]
enum Span {
    /// `text[start..end]` of the window.
    Window(usize, usize),
    /// Decoded into `Lexer::scratch`.
    Scratch,
}

pub(crate) struct Lexer<'a> {
    win: Window<'a>,
    /// The cursor, an index into `win.text`.
    pos: usize,
    /// The last string that had escapes, decoded.
    scratch: String,
    /// The last key that was not among the expected fields.
    unknown: String,
}

impl<'a> Lexer<'a> {
    /// Lex a text held in memory (through a window all the same: one code path).
    pub(crate) fn new(text: &'a str) -> Lexer<'a> {
        Lexer::from_reader(text.as_bytes(), text.len().clamp(16, CHUNK))
    }

    /// Lex what `reader` yields, `chunk` bytes at a time, holding only a window of it.
    pub(crate) fn from_reader(reader: impl Read + 'a, chunk: usize) -> Lexer<'a> {
        let win = Window::new(Box::new(reader), chunk);
        let mut lx = Lexer { win, pos: 0, scratch: String::new(), unknown: String::new() };
        lx.fill(0, 3);
        if lx.win.text.starts_with('\u{feff}') {
            lx.pos = 3;
        }
        lx
    }

    /// Whether the input ended early (see [`Window::failed`]); never for a text in memory.
    pub(crate) fn input_failed(&self) -> bool {
        self.win.failed()
    }

    /// The visible input from the cursor on, and the cursor's offset in the whole input (for
    /// a fast path that reads ahead by itself, then [`advance`](Self::advance)s).
    pub(crate) fn rest(&self) -> (&str, usize) {
        (&self.win.text[self.pos..], self.offset())
    }

    /// Move the cursor `n` bytes on, within the visible input.
    pub(crate) fn advance(&mut self, n: usize) {
        debug_assert!(self.pos + n <= self.win.text.len());
        self.pos += n;
    }

    /// The byte offset of the cursor in the whole input.
    pub(crate) fn offset(&self) -> usize {
        self.win.base + self.pos
    }

    /// Make more input visible, keeping `text[keep..]` (`keep` ≤ the cursor, which moves along).
    /// Returns how far the text moved, `None` at the end of the input.
    #[inline]
    fn more(&mut self, keep: usize) -> Option<usize> {
        let shift = self.win.more(keep)?;
        self.pos -= shift;
        Some(shift)
    }

    /// Make `text[..end]` visible if the input is that long, keeping `text[keep..]`. Returns how
    /// far the text moved.
    fn fill(&mut self, keep: usize, end: usize) -> usize {
        let mut shift = 0;
        while self.win.text.len() + shift < end {
            match self.more(keep - shift) {
                Some(s) => shift += s,
                None => break,
            }
        }
        shift
    }

    #[inline]
    fn skip_ws(&mut self) {
        // Mostly there is none (generated files are compact).
        if let Some(&b) = self.win.text.as_bytes().get(self.pos)
            && !matches!(b, b' ' | b'\t' | b'\n' | b'\r')
        {
            return;
        }
        self.skip_ws_slow();
    }

    fn skip_ws_slow(&mut self) {
        loop {
            let b = self.win.text.as_bytes();
            let mut i = self.pos;
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
                i += 1;
            }
            self.pos = i;
            if i < b.len() || self.more(i).is_none() {
                return;
            }
        }
    }

    /// The byte at the cursor, `None` at the end of the input.
    #[inline]
    fn byte(&mut self) -> Option<u8> {
        if let Some(&b) = self.win.text.as_bytes().get(self.pos) {
            return Some(b);
        }
        self.more(self.pos)?;
        self.win.text.as_bytes().get(self.pos).copied()
    }

    /// An error at index `at` of the window.
    #[cold]
    fn error(&self, at: usize, message: impl Into<String>) -> Box<SyntaxError> {
        Box::new(SyntaxError { pos: self.win.base + at, message: message.into() })
    }

    /// "expected WHAT, found X" at the current position.
    #[cold]
    fn expected(&mut self, what: &str) -> Box<SyntaxError> {
        self.fill(self.pos, self.pos + 4);
        let found = match self.win.text[self.pos..].chars().next() {
            None => "end of file".to_string(),
            Some(c) if c.is_control() => format!("{c:?}"),
            Some(c) => format!("`{c}`"),
        };
        self.error(self.pos, format!("expected {what}, found {found}"))
    }

    /// "expected `,` or `CLOSE`", with a hint when what follows looks like the next item.
    fn expected_separator(&mut self, close: char) -> Box<SyntaxError> {
        let mut e = self.expected(&format!("`,` or `{close}`"));
        if let Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') = self.byte() {
            e.message.push_str(" (missing comma?)");
        }
        e
    }

    /// The kind and offset of the value that comes next (after whitespace); consumes nothing else.
    #[inline]
    pub(crate) fn peek(&mut self) -> LexResult<(Kind, usize)> {
        self.skip_ws();
        let kind = match self.byte() {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => return Err(self.expected("a value")),
        };
        Ok((kind, self.offset()))
    }

    /// Consume the `{` that [`peek`](Self::peek) reported.
    pub(crate) fn begin_object(&mut self) {
        debug_assert_eq!(self.win.text.as_bytes().get(self.pos), Some(&b'{'));
        self.pos += 1;
    }

    /// Consume the `[` that [`peek`](Self::peek) reported.
    pub(crate) fn begin_array(&mut self) {
        debug_assert_eq!(self.win.text.as_bytes().get(self.pos), Some(&b'['));
        self.pos += 1;
    }

    /// Move to the next key of the object being read: `true` at its opening `"`, `false` after
    /// the closing `}`. `first` must start `true` for each object.
    #[inline]
    fn key_start(&mut self, first: &mut bool) -> LexResult<bool> {
        self.skip_ws();
        if std::mem::take(first) {
            if self.byte() == Some(b'}') {
                self.pos += 1;
                return Ok(false);
            }
        } else {
            match self.byte() {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.byte() == Some(b'}') {
                        return Err(self.expected("a key after `,` (trailing comma?)"));
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(false);
                }
                _ => return Err(self.expected_separator('}')),
            }
        }
        if self.byte() != Some(b'"') {
            return Err(self.expected("a string key"));
        }
        Ok(true)
    }

    /// Consume the `:` after a key.
    #[inline]
    fn colon(&mut self) -> LexResult<()> {
        self.skip_ws();
        if self.byte() != Some(b':') {
            return Err(self.expected("`:` after the key"));
        }
        self.pos += 1;
        Ok(())
    }

    /// The next key of the object being read, looked up in `fields` (trying `fields[next..]`
    /// first), and its offset, with its `:` consumed; `None` after the closing `}`. `first` must
    /// start `true` for each object.
    #[inline(always)]
    pub(crate) fn next_key(
        &mut self,
        first: &mut bool,
        fields: &[&str],
        next: usize,
    ) -> LexResult<Option<(Key, usize)>> {
        // The next field, or one soon after it (optional fields are often left out).
        for (i, name) in fields.iter().enumerate().skip(next).take(LOOKAHEAD) {
            if let Some(at) = self.expected_key(*first, name) {
                *first = false;
                return Ok(Some((Key::Field(i), at)));
            }
        }
        self.any_key(first, fields, next)
    }

    /// [`next_key`](Self::next_key) in general: whitespace, escapes, keys out of order or unknown.
    #[inline(never)]
    fn any_key(&mut self, first: &mut bool, fields: &[&str], next: usize) -> LexResult<Option<(Key, usize)>> {
        if !self.key_start(first)? {
            return Ok(None);
        }
        let at = self.offset();
        let span = self.read_string()?;
        let name = self.span_str(span);
        let key = match field_index(fields, name.as_bytes(), next) {
            Some(i) => Key::Field(i),
            None => {
                self.unknown = name.to_string();
                Key::Unknown
            }
        };
        self.colon()?;
        Ok(Some((key, at)))
    }

    /// The fast path of [`next_key`](Self::next_key): if `,"NAME":` is at the cursor (`"NAME":`
    /// for the first key) with nothing in between, consume it and return the key's offset. Most
    /// keys are the one expected next, written compactly: this is one comparison, with no string
    /// scanning and no lookup.
    #[inline(always)]
    fn expected_key(&mut self, first: bool, name: &str) -> Option<usize> {
        let comma = usize::from(!first);
        let n = name.len();
        // `,` (unless first), `"`, the name, `"`, `:`.
        let all = self.win.text.as_bytes().get(self.pos..self.pos + comma + n + 3)?;
        let (head, rest) = all.split_at(comma + 1);
        let (key, tail) = rest.split_at(n);
        let found =
            (first || head[0] == b',') && head[comma] == b'"' && same_bytes(key, name.as_bytes()) && tail == b"\":";
        if !found {
            return None;
        }
        let open = self.offset() + comma;
        self.pos += all.len();
        Some(open)
    }

    /// The last key [`next_key`](Self::next_key) reported as [`Key::Unknown`].
    pub(crate) fn unknown_key(&self) -> &str {
        &self.unknown
    }

    /// Whether another element follows in the array being read; consumes the `,` or the `]`.
    /// `first` must start `true` for each array.
    #[inline]
    pub(crate) fn next_element(&mut self, first: &mut bool) -> LexResult<bool> {
        self.skip_ws();
        if std::mem::take(first) {
            if self.byte() == Some(b']') {
                self.pos += 1;
                return Ok(false);
            }
            return Ok(true);
        }
        match self.byte() {
            Some(b',') => {
                self.pos += 1;
                self.skip_ws();
                if self.byte() == Some(b']') {
                    return Err(self.expected("a value after `,` (trailing comma?)"));
                }
                Ok(true)
            }
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.expected_separator(']')),
        }
    }

    /// Read the string starting at the current `"`, decoding escapes. The result lives until the
    /// next call.
    pub(crate) fn string(&mut self) -> LexResult<&str> {
        let span = self.read_string()?;
        Ok(self.span_str(span))
    }

    fn span_str(&self, span: Span) -> &str {
        match span {
            Span::Window(start, end) => &self.win.text[start..end],
            Span::Scratch => &self.scratch,
        }
    }

    #[inline]
    fn read_string(&mut self) -> LexResult<Span> {
        debug_assert_eq!(self.win.text.as_bytes().get(self.pos), Some(&b'"'));
        let mut i = self.pos + 1;
        loop {
            let b = self.win.text.as_bytes();
            // Find the first `"`, `\` or control byte, eight bytes at a time while there are eight.
            let mut stop = None;
            while let Some(chunk) = b.get(i..i + 8) {
                let special = special_bytes(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
                if special != 0 {
                    stop = Some(i + special.trailing_zeros() as usize / 8);
                    break;
                }
                i += 8;
            }
            if stop.is_none() {
                stop = b[i..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|k| i + k);
            }
            match stop.map(|i| (i, b[i])) {
                Some((i, b'"')) => {
                    let start = self.pos + 1;
                    self.pos = i + 1;
                    return Ok(Span::Window(start, i));
                }
                Some((_, b'\\')) => return self.escaped_string(),
                Some((i, c)) => return Err(self.control_char(i, c)),
                None => i = b.len(),
            }
            // The end of what is visible: keep the string from its `"`, and go on.
            match self.more(self.pos) {
                Some(shift) => i -= shift,
                None => return Err(self.error(self.pos, "unterminated string")),
            }
        }
    }

    /// Read the number at the current position (JSON grammar, checked strictly).
    #[inline]
    pub(crate) fn number(&mut self) -> LexResult<Number<'_>> {
        loop {
            let b = self.win.text.as_bytes();
            let scan = number::scan(b, self.pos);
            let stop = match scan {
                Ok(ref s) => s.end,
                Err((at, _)) => at,
            };
            // A number that runs to the end of what is visible may go on beyond it.
            if stop >= b.len() && self.more(self.pos).is_some() {
                continue;
            }
            let s = scan.map_err(|(at, message)| self.error(at, message))?;
            let start = self.pos;
            self.pos = s.end;
            return Ok(Number { text: &self.win.text[start..s.end], scan: s });
        }
    }

    /// The fast path for a number value: if a well-formed number comes next (after whitespace)
    /// and ends within what is visible, and `accept` takes it (returns `Some`), consume it.
    /// Otherwise consume nothing more, and the caller goes the general way
    /// ([`peek`](Self::peek), then [`number`](Self::number)), which also explains any problem.
    #[inline]
    pub(crate) fn number_if<T>(&mut self, accept: impl FnOnce(&number::Scan) -> Option<T>) -> Option<T> {
        self.skip_ws();
        let b = self.win.text.as_bytes();
        if !matches!(b.get(self.pos), Some(b'-' | b'0'..=b'9')) {
            return None;
        }
        let scan = number::scan(b, self.pos).ok().filter(|s| s.end < b.len())?;
        let value = accept(&scan)?;
        self.pos = scan.end;
        Some(value)
    }

    fn literal(&mut self, word: &'static str) -> LexResult<()> {
        self.fill(self.pos, self.pos + word.len());
        if self.win.text.as_bytes()[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.error(self.pos, format!("invalid literal (expected `{word}`)")))
        }
    }

    /// Read `true` or `false`.
    pub(crate) fn boolean(&mut self) -> LexResult<bool> {
        if self.byte() == Some(b't') {
            self.literal("true").map(|()| true)
        } else {
            self.literal("false").map(|()| false)
        }
    }

    /// Read `null`.
    pub(crate) fn null(&mut self) -> LexResult<()> {
        self.literal("null")
    }

    /// Skip the next value, whatever it is, checking its syntax. Iterative: nesting depth is
    /// limited by memory, not by the call stack.
    pub(crate) fn skip_value(&mut self) -> LexResult<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // One value (or the opening of a container).
            match self.peek()?.0 {
                Kind::Object => {
                    self.begin_object();
                    let mut first = true;
                    if self.skip_key(&mut first)? {
                        open.push(b'}');
                        continue;
                    }
                }
                Kind::Array => {
                    self.begin_array();
                    let mut first = true;
                    if self.next_element(&mut first)? {
                        open.push(b']');
                        continue;
                    }
                }
                Kind::String => drop(self.read_string()?),
                Kind::Number => drop(self.number()?),
                Kind::Bool => drop(self.boolean()?),
                Kind::Null => self.null()?,
            }
            // Close containers until one continues with another element.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                let mut first = false;
                let more = if close == b'}' { self.skip_key(&mut first)? } else { self.next_element(&mut first)? };
                if more {
                    break;
                }
                open.pop();
            }
        }
    }

    /// [`next_key`](Self::next_key) for a key nobody needs.
    fn skip_key(&mut self, first: &mut bool) -> LexResult<bool> {
        if !self.key_start(first)? {
            return Ok(false);
        }
        self.read_string()?;
        self.colon()?;
        Ok(true)
    }

    /// Check that only whitespace follows the top-level value.
    pub(crate) fn finish(&mut self) -> LexResult<()> {
        self.skip_ws();
        if self.pos < self.win.text.len() {
            return Err(self.expected("end of file after the top-level value"));
        }
        Ok(())
    }
}

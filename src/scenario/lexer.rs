//! A streaming pull lexer for JSON text that tracks byte offsets.
//!
//! The decoder asks for exactly what it expects next ("the next object key", "a string", "skip
//! whatever value comes next"), so no token stream and no document tree is ever built. Strings
//! without escapes are borrowed straight from the input. Every error carries the byte offset
//! where it was noticed; syntax errors are not recoverable and end the parse.

use std::borrow::Cow;

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

/// A number exactly as written; `integer` when it has neither fraction nor exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Number<'a> {
    pub text: &'a str,
    pub integer: bool,
}

pub(crate) type LexResult<T> = Result<T, SyntaxError>;

/// Whether any byte of `w` is `"`, `\\` or a control character (below 0x20): SWAR zero-byte tests.
#[inline]
fn has_special_byte(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero_byte(w ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(w ^ (ONES * u64::from(b'\\')));
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    (quote | backslash | control) != 0
}

pub(crate) struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Lexer<'a> {
        let pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Lexer { text, bytes: text.as_bytes(), pos }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn byte(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn error(&self, pos: usize, message: impl Into<String>) -> SyntaxError {
        SyntaxError { pos, message: message.into() }
    }

    /// "expected WHAT, found X" at the current position.
    fn expected(&self, what: &str) -> SyntaxError {
        let found = match self.text[self.pos..].chars().next() {
            None => "end of file".to_string(),
            Some(c) if c.is_control() => format!("{c:?}"),
            Some(c) => format!("`{c}`"),
        };
        self.error(self.pos, format!("expected {what}, found {found}"))
    }

    /// "expected `,` or `CLOSE`", with a hint when what follows looks like the next item.
    fn expected_separator(&self, close: char) -> SyntaxError {
        let mut e = self.expected(&format!("`,` or `{close}`"));
        if let Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n') = self.byte() {
            e.message.push_str(" (missing comma?)");
        }
        e
    }

    /// The kind and offset of the value that comes next (after whitespace); consumes nothing else.
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
        Ok((kind, self.pos))
    }

    /// Consume the `{` that [`peek`](Self::peek) reported.
    pub(crate) fn begin_object(&mut self) {
        debug_assert_eq!(self.byte(), Some(b'{'));
        self.pos += 1;
    }

    /// Consume the `[` that [`peek`](Self::peek) reported.
    pub(crate) fn begin_array(&mut self) {
        debug_assert_eq!(self.byte(), Some(b'['));
        self.pos += 1;
    }

    /// The next key of the object being read (and its offset) with its `:` consumed, or `None`
    /// after the closing `}`. `first` must start `true` for each object.
    pub(crate) fn next_key(&mut self, first: &mut bool) -> LexResult<Option<(Cow<'a, str>, usize)>> {
        self.skip_ws();
        if std::mem::take(first) {
            if self.byte() == Some(b'}') {
                self.pos += 1;
                return Ok(None);
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
                    return Ok(None);
                }
                _ => return Err(self.expected_separator('}')),
            }
        }
        if self.byte() != Some(b'"') {
            return Err(self.expected("a string key"));
        }
        let at = self.pos;
        let key = self.string()?;
        self.skip_ws();
        if self.byte() != Some(b':') {
            return Err(self.expected("`:` after the key"));
        }
        self.pos += 1;
        Ok(Some((key, at)))
    }

    /// Whether another element follows in the array being read; consumes the `,` or the `]`.
    /// `first` must start `true` for each array.
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

    /// Read the string starting at the current `"`, decoding escapes.
    pub(crate) fn string(&mut self) -> LexResult<Cow<'a, str>> {
        let open = self.pos;
        debug_assert_eq!(self.byte(), Some(b'"'));
        let start = open + 1;
        let mut i = start;
        // Fast path: no escapes, borrow the slice. Skip eight plain bytes at a time.
        while let Some(chunk) = self.bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            if has_special_byte(word) {
                break;
            }
            i += 8;
        }
        loop {
            match self.bytes.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(Cow::Borrowed(&self.text[start..i]));
                }
                Some(b'\\') => break,
                Some(&c) if c < 0x20 => return Err(self.control_char(i, c)),
                Some(_) => i += 1,
                None => return Err(self.error(open, "unterminated string")),
            }
        }
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.text[start..i]);
        let mut run = i;
        loop {
            match self.bytes.get(i) {
                Some(b'"') => {
                    out.push_str(&self.text[run..i]);
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    out.push_str(&self.text[run..i]);
                    let c = match self.bytes.get(i + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            let (c, len) = self.unicode_escape(i)?;
                            out.push(c);
                            i += len;
                            run = i;
                            continue;
                        }
                        Some(_) => {
                            let c = self.text[i + 1..].chars().next().unwrap_or(' ');
                            return Err(self.error(i, format!("invalid escape `\\{}` in string", c.escape_debug())));
                        }
                        None => return Err(self.error(open, "unterminated string")),
                    };
                    out.push(c);
                    i += 2;
                    run = i;
                }
                Some(&c) if c < 0x20 => return Err(self.control_char(i, c)),
                Some(_) => i += 1,
                None => return Err(self.error(open, "unterminated string")),
            }
        }
    }

    fn control_char(&self, pos: usize, c: u8) -> SyntaxError {
        let shown = char::from(c).escape_default();
        self.error(pos, format!("control character `{shown}` in string (write it as an escape)"))
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.bytes.get(at..at + 4)?;
        digits.iter().try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
    }

    /// Decode `\uXXXX` (or a surrogate pair of them) at `i`; returns the char and bytes used.
    fn unicode_escape(&self, i: usize) -> LexResult<(char, usize)> {
        let bad = || self.error(i, "invalid unicode escape: expected 4 hex digits after `\\u`");
        let hi = self.hex4(i + 2).ok_or_else(bad)?;
        match hi {
            0xD800..=0xDBFF => {
                if self.bytes.get(i + 6..i + 8) == Some(b"\\u")
                    && let Some(lo @ 0xDC00..=0xDFFF) = self.hex4(i + 8)
                {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return Ok((char::from_u32(c).expect("valid surrogate pair"), 12));
                }
                Err(self.error(i, format!("invalid unicode escape: unpaired surrogate `\\u{hi:04X}`")))
            }
            0xDC00..=0xDFFF => Err(self.error(i, format!("invalid unicode escape: unpaired surrogate `\\u{hi:04X}`"))),
            _ => Ok((char::from_u32(hi).expect("not a surrogate"), 6)),
        }
    }

    /// Read the number at the current position (JSON grammar, checked strictly).
    pub(crate) fn number(&mut self) -> LexResult<Number<'a>> {
        let start = self.pos;
        let b = self.bytes;
        let digit = |i: usize| matches!(b.get(i), Some(b'0'..=b'9'));
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => {
                i += 1;
                if digit(i) {
                    return Err(self.error(start, "invalid number: leading zeros are not allowed"));
                }
            }
            Some(b'1'..=b'9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(self.error(i, "invalid number: expected a digit")),
        }
        let mut integer = true;
        if b.get(i) == Some(&b'.') {
            i += 1;
            integer = false;
            if !digit(i) {
                return Err(self.error(i, "invalid number: expected a digit after `.`"));
            }
            while digit(i) {
                i += 1;
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            integer = false;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digit(i) {
                return Err(self.error(i, "invalid number: expected a digit in the exponent"));
            }
            while digit(i) {
                i += 1;
            }
        }
        self.pos = i;
        Ok(Number { text: &self.text[start..i], integer })
    }

    fn literal(&mut self, word: &'static str) -> LexResult<()> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
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
                    if self.next_key(&mut first)?.is_some() {
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
                Kind::String => drop(self.string()?),
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
                let more =
                    if close == b'}' { self.next_key(&mut first)?.is_some() } else { self.next_element(&mut first)? };
                if more {
                    break;
                }
                open.pop();
            }
        }
    }

    /// Check that only whitespace follows the top-level value.
    pub(crate) fn finish(&mut self) -> LexResult<()> {
        self.skip_ws();
        if self.pos < self.bytes.len() {
            return Err(self.expected("end of file after the top-level value"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(src: &str) -> LexResult<String> {
        let mut lx = Lexer::new(src);
        assert_eq!(lx.peek()?.0, Kind::String);
        let s = lx.string()?.into_owned();
        lx.finish()?;
        Ok(s)
    }

    fn number(src: &str) -> LexResult<Number<'_>> {
        let mut lx = Lexer::new(src);
        lx.peek()?;
        let n = lx.number()?;
        lx.finish()?;
        Ok(n)
    }

    fn skip(src: &str) -> LexResult<()> {
        let mut lx = Lexer::new(src);
        lx.skip_value()?;
        lx.finish()
    }

    #[test]
    fn plain_strings_are_borrowed() {
        let mut lx = Lexer::new(r#""abc""#);
        lx.peek().unwrap();
        assert!(matches!(lx.string().unwrap(), Cow::Borrowed("abc")));
    }

    #[test]
    fn escapes() {
        assert_eq!(string(r#""a\"b\\c\/d""#).unwrap(), "a\"b\\c/d");
        assert_eq!(string(r#""\b\f\n\r\t""#).unwrap(), "\u{8}\u{c}\n\r\t");
        assert_eq!(string(r#""\u0041\u00e9\u20AC""#).unwrap(), "Aé€");
        assert_eq!(string(r#""x\ud83d\ude00y""#).unwrap(), "x😀y");
        assert_eq!(string(r#""héllo 😀""#).unwrap(), "héllo 😀");
        assert_eq!(string(r#""""#).unwrap(), "");
    }

    #[test]
    fn bad_strings() {
        let e = string(r#""ab\qc""#).unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (3, "invalid escape `\\q` in string"));
        let e = string(r#""\ud83d x""#).unwrap_err();
        assert!(e.message.contains("unpaired surrogate `\\uD83D`"), "{}", e.message);
        assert_eq!(e.pos, 1);
        assert!(string(r#""\ude00""#).unwrap_err().message.contains("unpaired surrogate"));
        assert!(string(r#""\u12G4""#).unwrap_err().message.contains("4 hex digits"));
        assert!(string(r#""\u12"#).unwrap_err().message.contains("4 hex digits"));
        let e = string("\"ab\ncd\"").unwrap_err();
        assert_eq!(e.pos, 3);
        assert!(e.message.contains("control character"));
        let e = string(r#"  "abc"#).unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (2, "unterminated string"));
        assert_eq!(string(r#""a\"#).unwrap_err().message, "unterminated string");
    }

    #[test]
    fn number_forms() {
        for (src, integer) in [
            ("0", true),
            ("-0", true),
            ("42", true),
            ("-17", true),
            ("18446744073709551615", true),
            ("1.5", false),
            ("-0.25", false),
            ("1e3", false),
            ("1E+3", false),
            ("2.5e-10", false),
        ] {
            let n = number(src).unwrap();
            assert_eq!((n.text, n.integer), (src, integer), "{src}");
        }
        for (src, pos) in [("01", 0), ("-", 1), ("1.", 2), ("1e", 2), ("1e+", 3), ("-x", 1), (".5", 0), ("+1", 0)] {
            let e = number(src).unwrap_err();
            assert_eq!(e.pos, pos, "{src}: {}", e.message);
        }
        // A number followed by garbage: the number ends, the garbage is trailing.
        assert!(number("12x").unwrap_err().message.contains("found `x`"));
    }

    #[test]
    fn skipping_nested_values() {
        skip(r#"{"a": [1, 2.5, {"b": null, "c": [true, false, "x\"y"]}], "d": {}}"#).unwrap();
        skip("[]").unwrap();
        skip("  [[[[[]]]]]  ").unwrap();
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        skip(&deep).unwrap();
        for (src, pos, msg) in [
            ("[1, 2", 5, "expected `,` or `]`, found end of file"),
            ("[1 2]", 3, "expected `,` or `]`, found `2`"),
            ("[1,]", 3, "trailing comma"),
            (r#"{"a" 1}"#, 5, "expected `:` after the key, found `1`"),
            (r#"{"a": 1,}"#, 8, "trailing comma"),
            (r#"{a: 1}"#, 1, "expected a string key, found `a`"),
            ("tru", 0, "invalid literal (expected `true`)"),
            ("nul", 0, "invalid literal"),
            ("'x'", 0, "expected a value, found `'`"),
            ("", 0, "expected a value, found end of file"),
            ("{} {}", 3, "end of file after the top-level value"),
        ] {
            let e = skip(src).unwrap_err();
            assert_eq!(e.pos, pos, "{src}: {}", e.message);
            assert!(e.message.contains(msg), "{src}: {}", e.message);
        }
    }

    #[test]
    fn keys_and_elements() {
        let mut lx = Lexer::new(r#" { "a" : [ 1 , 2 ] , "b\n" : {} } "#);
        assert_eq!(lx.peek().unwrap(), (Kind::Object, 1));
        lx.begin_object();
        let mut first = true;
        let (k, at) = lx.next_key(&mut first).unwrap().unwrap();
        assert_eq!((k.as_ref(), at), ("a", 3));
        assert_eq!(lx.peek().unwrap(), (Kind::Array, 9));
        lx.begin_array();
        let mut f2 = true;
        let mut seen = Vec::new();
        while lx.next_element(&mut f2).unwrap() {
            seen.push(lx.number().unwrap().text);
        }
        assert_eq!(seen, ["1", "2"]);
        let (k, _) = lx.next_key(&mut first).unwrap().unwrap();
        assert_eq!(k, "b\n");
        lx.skip_value().unwrap();
        assert!(lx.next_key(&mut first).unwrap().is_none());
        lx.finish().unwrap();
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let mut lx = Lexer::new("\u{feff}{}");
        assert_eq!(lx.peek().unwrap(), (Kind::Object, 3));
        lx.skip_value().unwrap();
        lx.finish().unwrap();
    }
}

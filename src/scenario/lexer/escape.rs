//! Strings with escapes: the lexer's slow path, kept apart from the hot one.

use super::{LexResult, Lexer, Span, SyntaxError};

impl Lexer<'_> {
    /// The slow path of [`read_string`](Self::read_string), for a string with escapes.
    #[cold]
    pub(super) fn escaped_string(&mut self) -> LexResult<Span> {
        // First make all of it visible (up to its closing `"`, or the end of the input), so that
        // decoding it needs no refills.
        let open = self.pos;
        let mut i = open + 1;
        loop {
            match self.win.text.as_bytes().get(i) {
                Some(b'"') => break,
                Some(b'\\') => i += 2,
                Some(_) => i += 1,
                None => match self.more(self.pos) {
                    Some(shift) => i -= shift,
                    None => break,
                },
            }
        }
        let open = self.pos;
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let text = &self.win.text;
        let bytes = text.as_bytes();
        let mut i = open + 1;
        let mut run = i;
        loop {
            match bytes.get(i) {
                Some(b'"') => {
                    out.push_str(&text[run..i]);
                    self.pos = i + 1;
                    self.scratch = out;
                    return Ok(Span::Scratch);
                }
                Some(b'\\') => {
                    out.push_str(&text[run..i]);
                    let c = match bytes.get(i + 1) {
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
                            let c = text[i + 1..].chars().next().unwrap_or(' ');
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

    pub(crate) fn control_char(&self, at: usize, c: u8) -> Box<SyntaxError> {
        let shown = char::from(c).escape_default();
        self.error(at, format!("control character `{shown}` in string (write it as an escape)"))
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.win.text.as_bytes().get(at..at + 4)?;
        digits.iter().try_fold(0u32, |acc, &d| Some(acc * 16 + char::from(d).to_digit(16)?))
    }

    /// Decode `\uXXXX` (or a surrogate pair of them) at `i`; returns the char and bytes used.
    fn unicode_escape(&self, i: usize) -> LexResult<(char, usize)> {
        let bad = || self.error(i, "invalid unicode escape: expected 4 hex digits after `\\u`");
        let hi = self.hex4(i + 2).ok_or_else(bad)?;
        match hi {
            0xD800..=0xDBFF => {
                if self.win.text.as_bytes().get(i + 6..i + 8) == Some(b"\\u")
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
}

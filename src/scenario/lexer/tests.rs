//! Lexer tests: tokens, errors and their offsets, and the same results whatever the input's
//! chunking when it is streamed.

use super::*;
use proptest::prelude::*;

fn string(src: &str) -> LexResult<String> {
    let mut lx = Lexer::new(src);
    assert_eq!(lx.peek()?.0, Kind::String);
    let s = lx.string()?.to_owned();
    lx.finish()?;
    Ok(s)
}

/// The number's text and whether it is an integer.
fn number(src: &str) -> LexResult<(String, bool)> {
    let mut lx = Lexer::new(src);
    lx.peek()?;
    let n = lx.number()?;
    let found = (n.text.to_string(), n.scan.integer);
    lx.finish()?;
    Ok(found)
}

fn skip(src: &str) -> LexResult<()> {
    let mut lx = Lexer::new(src);
    lx.skip_value()?;
    lx.finish()
}

#[test]
fn plain_strings_are_slices_of_the_input() {
    let mut lx = Lexer::new(r#""abc""#);
    lx.peek().unwrap();
    let s = lx.string().unwrap();
    assert_eq!(s, "abc");
    let at = s.as_ptr() as usize;
    let window = lx.win.text.as_ptr() as usize;
    assert!((window..window + 5).contains(&at));
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
        assert_eq!(number(src).unwrap(), (src.to_string(), integer), "{src}");
    }
    for (src, pos) in [("01", 0), ("-", 1), ("1.", 2), ("1e", 2), ("1e+", 3), ("-x", 1), (".5", 0), ("+1", 0)] {
        let e = number(src).unwrap_err();
        assert_eq!(e.pos, pos, "{src}: {}", e.message);
    }
    // A number followed by garbage: the number ends, the garbage is trailing.
    assert!(number("12x").unwrap_err().message.contains("found `x`"));
}

/// Lexing cases with the offset and message of the error each must give.
const BAD: &[(&str, usize, &str)] = &[
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
];

#[test]
fn skipping_nested_values() {
    skip(r#"{"a": [1, 2.5, {"b": null, "c": [true, false, "x\"y"]}], "d": {}}"#).unwrap();
    skip("[]").unwrap();
    skip("  [[[[[]]]]]  ").unwrap();
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    skip(&deep).unwrap();
    for &(src, pos, msg) in BAD {
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
    assert_eq!(lx.next_key(&mut first, &["a"], 0).unwrap(), Some((Key::Field(0), 3)));
    assert_eq!(lx.peek().unwrap(), (Kind::Array, 9));
    lx.begin_array();
    let mut f2 = true;
    let mut seen = Vec::new();
    while lx.next_element(&mut f2).unwrap() {
        seen.push(lx.number().unwrap().text.to_string());
    }
    assert_eq!(seen, ["1", "2"]);
    assert_eq!(lx.next_key(&mut first, &["a"], 1).unwrap(), Some((Key::Unknown, 21)));
    assert_eq!(lx.unknown_key(), "b\n");
    lx.skip_value().unwrap();
    assert!(lx.next_key(&mut first, &["a"], 0).unwrap().is_none());
    lx.finish().unwrap();
}

#[test]
fn byte_order_mark_is_skipped() {
    let mut lx = Lexer::new("\u{feff}{}");
    assert_eq!(lx.peek().unwrap(), (Kind::Object, 3));
    lx.skip_value().unwrap();
    lx.finish().unwrap();
}

/// A reader that hands out at most `step` bytes per call.
struct Trickle<'t> {
    data: &'t [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every token of `lx`'s input with its offset, or the error that stopped it.
fn tokens(mut lx: Lexer) -> Vec<String> {
    fn value(lx: &mut Lexer, out: &mut Vec<String>) -> LexResult<()> {
        let (kind, at) = lx.peek()?;
        match kind {
            Kind::Object => {
                lx.begin_object();
                let mut first = true;
                while let Some((key, at)) = lx.next_key(&mut first, &["id", "tasks"], 0)? {
                    let name = if key == Key::Unknown { lx.unknown_key().to_string() } else { format!("{key:?}") };
                    out.push(format!("{at} key {name}"));
                    value(lx, out)?;
                }
            }
            Kind::Array => {
                lx.begin_array();
                let mut first = true;
                while lx.next_element(&mut first)? {
                    value(lx, out)?;
                }
            }
            Kind::String => out.push(format!("{at} {:?}", lx.string()?)),
            Kind::Number => {
                let n = lx.number()?;
                out.push(format!(
                    "{at} {} {:?} {:?} {:?}",
                    n.text,
                    n.scan.integer,
                    n.scan.int(),
                    n.scan.float().map(f64::to_bits)
                ));
            }
            Kind::Bool => out.push(format!("{at} {}", lx.boolean()?)),
            Kind::Null => out.push(format!("{at} null {:?}", lx.null()?)),
        }
        Ok(())
    }
    let mut out = Vec::new();
    if let Err(e) = value(&mut lx, &mut out).and_then(|()| lx.finish()) {
        out.push(format!("error at {}: {}", e.pos, e.message));
    }
    out
}

/// Lex `text` whole, then streamed in every small chunking, and check the results agree.
fn same_when_streamed(text: &str) {
    let whole = tokens(Lexer::new(text));
    for (chunk, step) in [(4, 1), (5, 3), (7, 7), (16, 5), (64, 64)] {
        let mut reader = Trickle { data: text.as_bytes(), step };
        let streamed = tokens(Lexer::from_reader(&mut reader, chunk));
        assert_eq!(streamed, whole, "chunk {chunk}, step {step}: {text:?}");
    }
}

#[test]
fn streaming_gives_the_same_tokens_and_errors() {
    same_when_streamed(
        r#" {"id": "t-0001", "tasks": [1, -2.5e3, 0.125, 18446744073709551616, true, false, null,
        "a long string that spans several chunks of the window", "esc\"aped\\ \u00e9\ud83d\ude00 x",
        "héllo wörld 😀", {"id": {}, "other\n": []}, 123456789012345678901234567890.5]} "#,
    );
    same_when_streamed("\u{feff}{\"a\": 1}");
    for &(src, _, _) in BAD {
        same_when_streamed(src);
    }
    // Cut short, or broken, where a refill may happen.
    let edge_cases = ["\"abc", "\"ab\\", "\"ab\\u12", "\"x\\q\"", "123", "-", "[1.", "[1e+", "tr"];
    for src in edge_cases.into_iter().chain(["[\"a\u{1}\"]", "\"é\\é\""]) {
        same_when_streamed(src);
    }
}

#[test]
fn invalid_or_cut_input_fails_the_stream() {
    for (bytes, ok) in [(&b"{\"a\": 1}"[..], true), (b"{\"a\": \"caf\xe9\"}", false), (b"[\"\xc3", false)] {
        let mut reader = Trickle { data: bytes, step: 2 };
        let mut lx = Lexer::from_reader(&mut reader, 4);
        let _ = lx.skip_value().and_then(|()| lx.finish());
        assert_eq!(lx.input_failed(), !ok, "{bytes:?}");
    }
}

proptest! {
    #[test]
    fn any_json_streams_alike(value in json(), step in 1usize..9) {
        let text = serde_json::to_string_pretty(&value).unwrap();
        let whole = tokens(Lexer::new(&text));
        let mut reader = Trickle { data: text.as_bytes(), step };
        prop_assert_eq!(tokens(Lexer::from_reader(&mut reader, 8)), whole);
    }
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("(id|tasks|[a-z\\\\\"é]{0,12})", inner), 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

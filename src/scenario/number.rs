//! Scanning JSON numbers, computing their value on the way when that is cheap and exact.
//!
//! A generated scenario is mostly small numbers (`1000`, `0.2`, `2.0`), and handing each to
//! `str::parse` (i128 for integers, the general float algorithm for the rest) was a visible share of
//! decoding. The digits are already being looked at to check the grammar, so the scan accumulates
//! them: plain integers of up to 18 digits, and decimals whose digits fit 2^53 with at most 22 of
//! them after the point, get their exact value (for the latter, `digits / 10^decimals` with both
//! exactly representable is correctly rounded: the value `parse` gives). Anything else is left to
//! `parse` on the text.

/// A number's extent and, when cheap, its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scan {
    /// Index just past the number.
    pub end: usize,
    /// Neither fraction nor exponent.
    pub integer: bool,
    pub int: Option<i64>,
    pub float: Option<f64>,
}

/// Exact powers of ten (all below 2^53 × 2^22, so exactly representable).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Digits so far, as one integer while there are at most 19 of them (so it cannot overflow).
#[derive(Default)]
struct Digits {
    value: u64,
    count: usize,
}

impl Digits {
    /// Consume a run of digits at `b[*i..]`.
    #[inline]
    fn run(&mut self, b: &[u8], i: &mut usize) {
        while let Some(&d @ b'0'..=b'9') = b.get(*i) {
            self.value = self.value.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            self.count += 1;
            *i += 1;
        }
    }
}

/// Scan the number starting at `b[start]` (JSON grammar, checked strictly); an error is an index
/// and a message. The end of `b` stops it like any other byte that cannot continue a number.
#[inline]
pub(crate) fn scan(b: &[u8], start: usize) -> Result<Scan, (usize, &'static str)> {
    let mut i = start;
    let negative = b.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let mut digits = Digits::default();
    match b.get(i) {
        Some(b'0') => {
            i += 1;
            digits.count = 1;
            if let Some(b'0'..=b'9') = b.get(i) {
                return Err((start, "invalid number: leading zeros are not allowed"));
            }
        }
        Some(b'1'..=b'9') => digits.run(b, &mut i),
        _ => return Err((i, "invalid number: expected a digit")),
    }
    let int_digits = digits.count;
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        i += 1;
        integer = false;
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return Err((i, "invalid number: expected a digit after `.`"));
        }
        digits.run(b, &mut i);
    }
    let mut exponent = false;
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        integer = false;
        exponent = true;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if !matches!(b.get(i), Some(b'0'..=b'9')) {
            return Err((i, "invalid number: expected a digit in the exponent"));
        }
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
    }
    let Digits { value, count } = digits;
    let decimals = count - int_digits;
    // Up to 18 digits is below 2^63, so the negation cannot overflow.
    let int = (integer && count <= 18).then(|| if negative { -(value as i64) } else { value as i64 });
    let float = (!exponent && count <= 19 && value <= 1 << 53 && decimals < POW10.len()).then(|| {
        let v = value as f64 / POW10[decimals];
        if negative { -v } else { v }
    });
    Ok(Scan { end: i, integer, int, float })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whole(text: &str) -> Scan {
        let s = scan(text.as_bytes(), 0).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(s.end, text.len(), "{text}");
        s
    }

    #[test]
    fn cheap_values() {
        assert_eq!(whole("0").int, Some(0));
        assert_eq!(whole("-17").int, Some(-17));
        assert_eq!(whole("999999999999999999").int, Some(999_999_999_999_999_999));
        assert_eq!(whole("1000000000000000000").int, None); // 19 digits: left to `parse`.
        assert_eq!(whole("1.5").int, None);
        assert_eq!(whole("0.2").float, Some(0.2));
        assert_eq!(whole("-0").float.map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(whole("2.0").float, Some(2.0));
        assert_eq!(whole("1e3").float, None);
        assert_eq!(whole("12345678901234567890").float, None);
        assert_eq!(whole("0.000000000000000001").float, Some(1e-18));
        assert_eq!(whole("0.0000000000000000001").float, None); // 20 digits: left to `parse`.
        assert_eq!(whole("-0.000").float.map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(whole("9007199254740993.0").float, None); // 2^53 + 1
    }

    proptest! {
        #[test]
        fn cheap_values_equal_parse(
            int in prop_oneof![any::<i64>(), -1_000_000i64..1_000_000],
            frac in proptest::option::of("[0-9]{1,22}"),
        ) {
            let text = match &frac {
                Some(f) => format!("{int}.{f}"),
                None => int.to_string(),
            };
            let s = whole(&text);
            if let Some(v) = s.int {
                prop_assert_eq!(i128::from(v), text.parse::<i128>().unwrap());
            }
            if let Some(v) = s.float {
                prop_assert_eq!(v.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
            }
        }
    }
}

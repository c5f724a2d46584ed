//! Scanning JSON numbers, computing their value on the way when that is cheap and exact.
//!
//! A generated scenario is mostly small numbers (`1000`, `0.2`, `2.0`), and handing each to
//! `str::parse` (i128 for integers, the general float algorithm for the rest) was a visible share of
//! decoding. The digits are already being looked at to check the grammar, so the scan accumulates
//! them: plain integers of up to 18 digits, and decimals whose digits fit 2^53 with at most 22 of
//! them after the point, get their exact value (for the latter, `digits / 10^decimals` with both
//! exactly representable is correctly rounded: the value `parse` gives). Anything else is left to
//! `parse` on the text.

/// A number's extent, and what is needed to compute its value cheaply.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Scan {
    /// Index just past the number.
    pub end: usize,
    /// Neither fraction nor exponent.
    pub integer: bool,
    exponent: bool,
    negative: bool,
    /// All the digits as one integer, meaningful when there are at most 19 of them.
    mantissa: u64,
    digits: usize,
    decimals: usize,
}

impl Scan {
    /// The value of a plain integer of up to 18 digits (below 2^63, so the sign cannot overflow).
    #[inline]
    pub(crate) fn int(&self) -> Option<i64> {
        // Lazily: with more digits the mantissa may have wrapped, and negating it could overflow.
        (self.integer && self.digits <= 18).then(|| {
            let v = self.mantissa as i64;
            if self.negative { -v } else { v }
        })
    }

    /// The value of a number without exponent whose digits fit 2^53, with at most 22 decimals.
    #[inline]
    pub(crate) fn float(&self) -> Option<f64> {
        let fits = !self.exponent && self.digits <= 19 && self.mantissa <= 1 << 53 && self.decimals < POW10.len();
        fits.then(|| {
            let v = self.mantissa as f64 / POW10[self.decimals];
            if self.negative { -v } else { v }
        })
    }
}

/// Exact powers of ten (all below 2^53 × 2^22, so exactly representable).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// Consume the digits at `b[*i..]`, accumulating them into `mantissa` (which wraps harmlessly
/// beyond 19 digits: it is not used then); returns how many there were.
#[inline]
fn digits(b: &[u8], i: &mut usize, mantissa: &mut u64) -> usize {
    let start = *i;
    while let Some(&c) = b.get(*i) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        *i += 1;
    }
    *i - start
}

/// Scan the number starting at `b[start]` (JSON grammar, checked strictly); an error is an index
/// and a message. The end of `b` stops it like any other byte that cannot continue a number.
#[inline]
pub(crate) fn scan(b: &[u8], start: usize) -> Result<Scan, (usize, &'static str)> {
    let negative = b.get(start) == Some(&b'-');
    let mut i = start + usize::from(negative);
    let mut mantissa = 0;
    let first = i;
    let int_digits = digits(b, &mut i, &mut mantissa);
    if int_digits == 0 {
        return Err((i, "invalid number: expected a digit"));
    }
    if int_digits > 1 && b[first] == b'0' {
        return Err((start, "invalid number: leading zeros are not allowed"));
    }
    let mut decimals = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        decimals = digits(b, &mut i, &mut mantissa);
        if decimals == 0 {
            return Err((i, "invalid number: expected a digit after `.`"));
        }
    }
    let exponent = matches!(b.get(i), Some(b'e' | b'E'));
    if exponent {
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        if digits(b, &mut i, &mut 0) == 0 {
            return Err((i, "invalid number: expected a digit in the exponent"));
        }
    }
    let integer = decimals == 0 && !exponent;
    Ok(Scan { end: i, integer, exponent, negative, mantissa, digits: int_digits + decimals, decimals })
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
        assert_eq!(whole("0").int(), Some(0));
        assert_eq!(whole("-17").int(), Some(-17));
        assert_eq!(whole("999999999999999999").int(), Some(999_999_999_999_999_999));
        assert_eq!(whole("1000000000000000000").int(), None); // 19 digits: left to `parse`.
        assert_eq!(whole("1.5").int(), None);
        assert_eq!(whole("-9223372036854775808").int(), None); // 19 digits: left to `parse`.
        assert_eq!(whole("0.2").float(), Some(0.2));
        assert_eq!(whole("-0").float().map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(whole("2.0").float(), Some(2.0));
        assert_eq!(whole("1e3").float(), None);
        assert_eq!(whole("12345678901234567890").float(), None);
        assert_eq!(whole("0.000000000000000001").float(), Some(1e-18));
        assert_eq!(whole("0.0000000000000000001").float(), None); // 20 digits: left to `parse`.
        assert_eq!(whole("-0.000").float().map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(whole("9007199254740993.0").float(), None); // 2^53 + 1
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
            if let Some(v) = s.int() {
                prop_assert_eq!(i128::from(v), text.parse::<i128>().unwrap());
            }
            if let Some(v) = s.float() {
                prop_assert_eq!(v.to_bits(), text.parse::<f64>().unwrap().to_bits(), "{}", text);
            }
        }
    }
}

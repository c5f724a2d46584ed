//! The statistics of a comparison: percentiles, and the Mann–Whitney U test on two samples.
//!
//! Mann–Whitney is implemented here rather than taken from a crate: it is thirty lines (ranks with
//! ties averaged, the normal approximation with the tie correction and a continuity correction,
//! and the complementary error function), and the crates that have it (`statrs`, …) bring a linear
//! algebra stack for one function. The normal approximation is what R's `wilcox.test(exact =
//! FALSE)` and SciPy's `mannwhitneyu(method="asymptotic")` compute; the tests check it against
//! values worked by hand with their formulas.

/// The `p`-th percentile (0..=100) of sorted values, by the nearest-rank method; `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

pub fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// The two-sided p-value of the Mann–Whitney U test that `a` and `b` come from the same
/// distribution; `None` when a sample is empty or every value is the same (nothing to rank).
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a.iter().map(|&x| (x, true)).chain(b.iter().map(|&x| (x, false))).collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    let (mut rank_sum_a, mut ties, mut i) = (0.0, 0.0, 0);
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let t = (j - i + 1) as f64;
        let rank = (i + j) as f64 / 2.0 + 1.0; // the average of ranks i+1 ..= j+1
        rank_sum_a += rank * all[i..=j].iter().filter(|(_, in_a)| *in_a).count() as f64;
        ties += t * t * t - t;
        i = j + 1;
    }
    let u = rank_sum_a - n1 * (n1 + 1.0) / 2.0;
    let total = n1 + n2;
    let variance = n1 * n2 / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
    if variance <= 0.0 {
        return None;
    }
    let mean_u = n1 * n2 / 2.0;
    let z = ((u - mean_u).abs() - 0.5).max(0.0) / variance.sqrt();
    Some(erfc(z / std::f64::consts::SQRT_2).min(1.0))
}

/// The complementary error function (Numerical Recipes' `erfcc`, relative error below 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 95.0), Some(10.0));
        assert_eq!(percentile(&v, 100.0), Some(10.0));
        assert_eq!(percentile(&v, 0.0), Some(1.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(mean(&[1.0, 2.0, 6.0]), Some(3.0));
    }

    #[test]
    fn the_error_function_against_known_values() {
        for (x, want) in
            [(0.0, 1.0), (0.5, 0.479_500_122), (1.0, 0.157_299_207), (2.0, 0.004_677_735), (-1.0, 1.842_700_793)]
        {
            assert!((erfc(x) - want).abs() < 2e-7, "erfc({x}) = {} not {want}", erfc(x));
        }
    }

    /// Worked by hand with the formulas of R's `wilcox.test(a, b, exact = FALSE, correct = TRUE)`
    /// (SciPy's `mannwhitneyu(method="asymptotic")` is the same).
    #[test]
    fn mann_whitney_against_values_worked_by_hand() {
        // No ties. Ranks of a: 1 2 3 5 6 = 17, U = 17 − 15 = 2; mean 12.5, variance 5·5·11/12 =
        // 22.917; z = (10.5 − 0.5) / 4.787 = 2.089; p = erfc(z/√2) = 0.03671. (The exact p is
        // 4/252·2 = 0.0317: the normal approximation is a little conservative at n = 5.)
        let a = [1.1, 2.2, 3.3, 4.4, 5.5];
        let b = [3.9, 6.1, 7.2, 8.3, 9.4];
        let p = mann_whitney_p(&a, &b).unwrap();
        assert!((p - 0.036_71).abs() < 5e-5, "{p}");
        // Ties (2 ×3, 3 ×2, 4 ×2, 5 ×2: Σ(t³ − t) = 42). Ranks of a: 1 3 3 5.5 7.5 9.5 = 29.5,
        // U = 8.5; variance 30/12 · (12 − 42/110) = 29.045; z = (6.5 − 0.5) / 5.389 = 1.113;
        // p = 0.2656.
        let a = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0];
        let b = [2.0, 3.0, 4.0, 5.0, 6.0];
        let p = mann_whitney_p(&a, &b).unwrap();
        assert!((p - 0.265_6).abs() < 5e-4, "{p}");
        // The same sample: no difference at all.
        assert!(mann_whitney_p(&a, &a).unwrap() > 0.99);
        // Nothing to rank.
        assert_eq!(mann_whitney_p(&[3.0, 3.0], &[3.0]), None);
        assert_eq!(mann_whitney_p(&[], &[1.0]), None);
    }
}

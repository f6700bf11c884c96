//! The statistics of outcome reports, as pure functions over aggregates (counts and sums that
//! the database computes), so that no report loads individual responses.

use serde::Serialize;
use utoipa::ToSchema;

/// Percent with two decimals; `None` for an empty group.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| round2(part as f64 * 100.0 / whole as f64))
}

pub fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Paired pre/post scores of the learners who took both.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct PairedScores {
    /// Learners with both a pre-test and a post-test.
    pub n: i64,
    pub mean_pre: Option<f64>,
    pub mean_post: Option<f64>,
    /// Mean of (post - pre), in percentage points.
    pub mean_change: Option<f64>,
    /// Sample standard deviation of the changes.
    pub sd_change: Option<f64>,
    /// Cohen's d for paired scores: mean of the differences / their standard deviation.
    pub cohens_d: Option<f64>,
}

/// From the sums over learners of pre, post, change and change²: mean change, its sample
/// standard deviation sqrt((Σd² − (Σd)²/n) / (n − 1)), and d = mean / sd.
pub fn paired(n: i64, sum_pre: f64, sum_post: f64, sum_change: f64, sum_change_squared: f64) -> PairedScores {
    if n == 0 {
        return PairedScores {
            n,
            mean_pre: None,
            mean_post: None,
            mean_change: None,
            sd_change: None,
            cohens_d: None,
        };
    }
    let count = n as f64;
    let mean = sum_change / count;
    let sd = (n > 1)
        .then(|| ((sum_change_squared - sum_change * sum_change / count).max(0.0) / (count - 1.0)).sqrt());
    PairedScores {
        n,
        mean_pre: Some(round2(sum_pre / count)),
        mean_post: Some(round2(sum_post / count)),
        mean_change: Some(round2(mean)),
        sd_change: sd.map(round4),
        cohens_d: sd.filter(|sd| *sd > 0.0).map(|sd| round4(mean / sd)),
    }
}

/// Which test gave a McNemar p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum McNemarMethod {
    /// Fewer than 25 discordant pairs: the exact two-sided binomial test.
    ExactBinomial,
    /// 25 or more: chi-square with continuity correction.
    ChiSquare,
}

/// Below this many discordant pairs the chi-square approximation is poor.
const EXACT_BELOW: i64 = 25;

/// One learner's paired items at one level: (right before, right after, items).
pub type LearnerItems = (i64, i64, i64);

/// Paired scores over learners from their item counts at one level: each learner's % correct
/// before and after, then the same statistics as for whole tests. Learners come counted: a
/// profile (right before, right after, items) and how many learners have it.
pub fn paired_from_items(profiles: &[(LearnerItems, i64)]) -> PairedScores {
    let scores =
        profiles.iter().filter(|((_, _, items), _)| *items > 0).map(|((before, after, items), learners)| {
            (*before as f64 * 100.0 / *items as f64, *after as f64 * 100.0 / *items as f64, *learners)
        });
    let (n, pre, post, change, squared) = counted_sums(scores);
    paired(n, pre, post, change, squared)
}

/// n, Σpre, Σpost, Σchange and Σchange² over learners given as (pre, post, how many learners).
pub fn counted_sums(scores: impl IntoIterator<Item = (f64, f64, i64)>) -> (i64, f64, f64, f64, f64) {
    let mut sums = (0_i64, 0.0, 0.0, 0.0, 0.0);
    for (pre, post, learners) in scores {
        let (count, change) = (learners as f64, post - pre);
        sums = (
            sums.0 + learners,
            sums.1 + count * pre,
            sums.2 + count * post,
            sums.3 + count * change,
            sums.4 + count * change * change,
        );
    }
    sums
}

/// McNemar's test of one item over learners with both tests.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ToSchema)]
pub struct McNemar {
    /// Right before, wrong after.
    pub b: i64,
    /// Wrong before, right after.
    pub c: i64,
    /// (|b − c| − 1)² / (b + c), with continuity correction; `null` when b + c = 0.
    pub chi_square: Option<f64>,
    /// The exact binomial p-value below 25 discordant pairs, else the chi-square tail.
    pub p_value: Option<f64>,
    /// Which test `p_value` comes from; `null` when b + c = 0.
    pub method: Option<McNemarMethod>,
}

pub fn mcnemar(b: i64, c: i64) -> McNemar {
    if b + c == 0 {
        return McNemar { b, c, chi_square: None, p_value: None, method: None };
    }
    let corrected = ((b - c).abs() as f64 - 1.0).max(0.0);
    let chi_square = corrected * corrected / (b + c) as f64;
    let (p_value, method) = if b + c < EXACT_BELOW {
        (exact_binomial_two_sided(b.min(c), b + c), McNemarMethod::ExactBinomial)
    } else {
        (chi_square_1df_p(chi_square), McNemarMethod::ChiSquare)
    };
    McNemar {
        b,
        c,
        chi_square: Some(round4(chi_square)),
        p_value: Some(round4(p_value)),
        method: Some(method),
    }
}

/// Two-sided p of `k` or fewer successes in `n` fair trials: 2·P(X ≤ k), at most 1.
pub fn exact_binomial_two_sided(k: i64, n: i64) -> f64 {
    let mut coefficient = 1.0_f64; // C(n, 0)
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            coefficient = coefficient * (n - i + 1) as f64 / i as f64;
        }
        tail += coefficient;
    }
    (2.0 * tail / 2f64.powi(n as i32)).min(1.0)
}

/// P(X ≥ x) for chi-square with one degree of freedom: erfc(sqrt(x / 2)).
pub fn chi_square_1df_p(x: f64) -> f64 {
    erfc((x / 2.0).sqrt())
}

/// The complementary error function (Numerical Recipes' Chebyshev fit, relative error below
/// 1.2e-7 everywhere: more than reports print).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let value = t * poly.exp();
    if x >= 0.0 {
        value
    } else {
        2.0 - value
    }
}

/// Mean and distribution of a Likert item from its counts of 1..5.
pub fn likert_mean(counts: &[i64; 5]) -> Option<f64> {
    let n: i64 = counts.iter().sum();
    let total: i64 = counts.iter().enumerate().map(|(i, c)| (i as i64 + 1) * c).sum();
    (n > 0).then(|| round2(total as f64 / n as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcnemar_uses_the_continuity_correction_from_25_discordant_pairs() {
        // b = 10, c = 25: (|10 - 25| - 1)² / 35 = 196 / 35 = 5.6; p = 0.0180.
        let test = mcnemar(10, 25);
        assert_eq!(test.chi_square, Some(5.6));
        assert_eq!(test.p_value, Some(0.018));
        assert_eq!(test.method, Some(McNemarMethod::ChiSquare));
        assert_eq!(mcnemar(0, 0).chi_square, None);
        assert_eq!(mcnemar(0, 0).method, None);
    }

    #[test]
    fn mcnemar_is_exact_below_25_discordant_pairs() {
        // b = 2, c = 10: 2 · (1 + 12 + 66) / 2¹² = 158 / 4096 = 0.0386 (chi-square would say 0.0433).
        let test = mcnemar(2, 10);
        assert_eq!(test.chi_square, Some(4.0833));
        assert_eq!(test.p_value, Some(0.0386));
        assert_eq!(test.method, Some(McNemarMethod::ExactBinomial));
        // b = c: p = 1.
        assert_eq!(mcnemar(3, 3).p_value, Some(1.0));
        assert_eq!(mcnemar(3, 4).p_value, Some(1.0));
    }

    #[test]
    fn chi_square_tail_matches_tables() {
        // Critical values of chi-square with 1 df: 3.841 at 0.05, 6.635 at 0.01, 10.828 at 0.001.
        assert!((chi_square_1df_p(3.841) - 0.05).abs() < 1e-4);
        assert!((chi_square_1df_p(6.635) - 0.01).abs() < 1e-4);
        assert!((chi_square_1df_p(10.828) - 0.001).abs() < 1e-5);
        assert!((erfc(0.0) - 1.0).abs() < 1e-7);
        assert!((erfc(-1.0) - 1.842_700_79).abs() < 1e-6);
    }

    #[test]
    fn paired_scores_give_mean_change_sd_and_d() {
        // Changes 10, 20, 30: mean 20, sd 10, d 2.
        let changes = [10.0_f64, 20.0, 30.0];
        let sum: f64 = changes.iter().sum();
        let squares: f64 = changes.iter().map(|d| d * d).sum();
        let paired = paired(3, 150.0, 210.0, sum, squares);
        assert_eq!(paired.mean_change, Some(20.0));
        assert_eq!(paired.sd_change, Some(10.0));
        assert_eq!(paired.cohens_d, Some(2.0));
        assert_eq!(paired.mean_pre, Some(50.0));
        assert_eq!(paired.mean_post, Some(70.0));
        assert_eq!(super::paired(0, 0.0, 0.0, 0.0, 0.0).mean_change, None);
        // One learner: a mean but no spread.
        assert_eq!(super::paired(1, 50.0, 60.0, 10.0, 100.0).sd_change, None);
    }

    #[test]
    fn paired_scores_by_level_come_from_each_learners_items() {
        // Two learners, two items each: 0→2 right (0% → 100%) and 1→2 (50% → 100%).
        let scores = paired_from_items(&[((0, 2, 2), 1), ((1, 2, 2), 1), ((0, 0, 0), 3)]);
        assert_eq!(scores.n, 2);
        assert_eq!(scores.mean_pre, Some(25.0));
        assert_eq!(scores.mean_post, Some(100.0));
        assert_eq!(scores.mean_change, Some(75.0));
        // Counted learners give what listing each of them gives.
        let listed = paired_from_items(&[((0, 2, 2), 1), ((0, 2, 2), 1), ((1, 2, 2), 1), ((2, 1, 2), 1)]);
        let counted = paired_from_items(&[((0, 2, 2), 2), ((1, 2, 2), 1), ((2, 1, 2), 1)]);
        assert_eq!(listed, counted);
        assert_eq!(counted.n, 4);
        assert!(counted.sd_change.is_some());
    }

    #[test]
    fn percents_and_likert_means() {
        assert_eq!(percent(1, 3), Some(33.33));
        assert_eq!(percent(0, 0), None);
        assert_eq!(likert_mean(&[0, 0, 1, 2, 1]), Some(4.0));
        assert_eq!(likert_mean(&[0; 5]), None);
    }
}

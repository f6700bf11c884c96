//! An amount of credit or contact hours, held as a whole number of hundredths.
//!
//! Accreditors count credit in quarter steps (0.25, 0.5, 1.75), and sums of binary floats drift
//! (0.1 + 0.2 ≠ 0.3): a transcript total or a board report must add up to the cent. The API
//! still speaks plain JSON numbers (`1.75`); an amount with more than two decimals is refused
//! where it is read, naming the field.

use std::{
    fmt,
    iter::Sum,
    ops::{Add, AddAssign},
};

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Credit in hundredths: `Credits::from_hundredths(175)` is 1.75 credits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Credits(i32);

impl Credits {
    pub const ZERO: Credits = Credits(0);
    /// The step every accreditor counts in.
    pub const QUARTER: Credits = Credits(25);
    /// The largest amount any designation may carry (hundredths of 1,000,000).
    const LIMIT: i32 = 100_000_000;

    pub const fn from_hundredths(hundredths: i32) -> Self {
        Credits(hundredths)
    }

    pub const fn hundredths(self) -> i32 {
        self.0
    }

    /// The exact amount a decimal number names, if it has at most two decimals and lies within
    /// plus or minus one million (a negative amount is read, and refused by the rule that reads
    /// it, with that rule's own problem).
    pub fn from_decimal(amount: f64) -> Option<Self> {
        let scaled = amount * 100.0;
        let rounded = scaled.round();
        let exact = amount.is_finite() && (scaled - rounded).abs() <= 1e-6;
        (exact && rounded.abs() <= f64::from(Self::LIMIT)).then_some(Credits(rounded as i32))
    }

    pub fn as_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// More than nothing, in whole quarter steps.
    pub fn is_quarter_step(self) -> bool {
        self.0 > 0 && self.0 % Self::QUARTER.0 == 0
    }

    /// Exactly one (a unit is then singular: "1 nursing contact hour").
    pub fn is_one(self) -> bool {
        self.0 == 100
    }

    /// What is left of `self` after `other`, never below zero.
    pub fn saturating_sub(self, other: Credits) -> Credits {
        Credits((self.0 - other.0).max(0))
    }

    /// Whole quarters, rounded down (from an i64 count of quarters, saturating).
    pub fn from_quarters(quarters: i64) -> Self {
        Credits((quarters * i64::from(Self::QUARTER.0)).clamp(0, i64::from(Self::LIMIT)) as i32)
    }
}

impl Add for Credits {
    type Output = Credits;
    fn add(self, other: Credits) -> Credits {
        Credits(self.0.saturating_add(other.0))
    }
}

impl AddAssign for Credits {
    fn add_assign(&mut self, other: Credits) {
        *self = *self + other;
    }
}

impl Sum for Credits {
    fn sum<I: Iterator<Item = Credits>>(iter: I) -> Credits {
        iter.fold(Credits::ZERO, Add::add)
    }
}

/// As people write it: `1.75`, `2`, `0.5`.
impl fmt::Display for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match f.precision() {
            Some(digits) => write!(f, "{:.*}", digits, self.as_f64()),
            None => write!(f, "{}", self.as_f64()),
        }
    }
}

impl Serialize for Credits {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Credits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let amount = f64::deserialize(deserializer)?;
        Credits::from_decimal(amount)
            .ok_or_else(|| de::Error::custom("must be a number of at most two decimals, up to 1000000"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_to_the_hundredth() {
        assert_eq!(Credits::from_decimal(1.75), Some(Credits(175)));
        assert_eq!(Credits::from_decimal(0.1 + 0.2), Some(Credits(30)));
        assert_eq!(Credits::from_decimal(1.001), None);
        assert_eq!(Credits::from_decimal(-0.25), Some(Credits(-25)));
        assert_eq!(Credits::from_decimal(f64::NAN), None);
        assert_eq!(Credits::from_decimal(2e6), None);
    }

    #[test]
    fn quarter_steps_are_positive_multiples_of_25() {
        assert!(Credits(25).is_quarter_step());
        assert!(Credits(1000).is_quarter_step());
        assert!(!Credits(0).is_quarter_step());
        assert!(!Credits(130).is_quarter_step());
        assert!(!Credits(-25).is_quarter_step());
        assert_eq!(Credits(100).saturating_sub(Credits(25)), Credits(75));
        assert_eq!(Credits(25).saturating_sub(Credits(100)), Credits::ZERO);
    }

    #[test]
    fn sums_do_not_drift_and_print_as_decimals() {
        let total: Credits = [10, 20, 30].into_iter().map(Credits::from_hundredths).sum();
        assert_eq!(total, Credits(60));
        assert_eq!(total.to_string(), "0.6");
        assert_eq!(Credits(200).to_string(), "2");
        assert_eq!(format!("{:.2}", Credits(150)), "1.50");
        assert_eq!(serde_json::to_string(&Credits(175)).unwrap(), "1.75");
        assert_eq!(serde_json::from_str::<Credits>("1.5").unwrap(), Credits(150));
        assert!(serde_json::from_str::<Credits>("1.505").is_err());
    }
}

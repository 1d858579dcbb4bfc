//! Estimated employment from SIRENE headcount bands (`trancheEffectifsEtablissement`). SIRENE gives
//! a band, not a count: the observatory estimates each establishment's employees as the middle of
//! its band, and marks every figure built this way as an estimate.
//!
//! Method (documented, deliberately simple): midpoint `(low + high) / 2` of the INSEE band; band 53
//! (10 000 and more) counts its lower bound, 10 000; NN (non-employer), 00 (no employee at 31/12)
//! and an empty band count 0. Source of the bands: INSEE, SIRENE documentation of
//! `trancheEffectifsEtablissement` (see `shared/data/ess_perimeter_notes.md`).

use rust_decimal::Decimal;

/// Band code → (low, high) bounds of salaried headcount.
pub const BANDS: &[(&str, u32, u32)] = &[
    ("01", 1, 2),
    ("02", 3, 5),
    ("03", 6, 9),
    ("11", 10, 19),
    ("12", 20, 49),
    ("21", 50, 99),
    ("22", 100, 199),
    ("31", 200, 249),
    ("32", 250, 499),
    ("41", 500, 999),
    ("42", 1000, 1999),
    ("51", 2000, 4999),
    ("52", 5000, 9999),
    ("53", 10000, 10000),
];

/// Why a band was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BandError {
    #[error("unknown headcount band")]
    Unknown,
}

/// The estimated employees of an establishment in `band`.
pub fn estimate(band: &str) -> Result<Decimal, BandError> {
    match band.trim() {
        "" | "NN" | "00" => Ok(Decimal::ZERO),
        b => BANDS
            .iter()
            .find(|(code, _, _)| *code == b)
            .map(|(_, low, high)| (Decimal::from(*low) + Decimal::from(*high)) / Decimal::TWO)
            .ok_or(BandError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_count_their_midpoint() {
        assert_eq!(estimate("01"), Ok(Decimal::new(15, 1)));
        assert_eq!(estimate("12"), Ok(Decimal::new(345, 1)));
        assert_eq!(estimate("53"), Ok(Decimal::from(10000)));
        assert_eq!(estimate("NN"), Ok(Decimal::ZERO));
        assert_eq!(estimate("99"), Err(BandError::Unknown));
    }
}

//! SIRET: the 14-digit identifier of an establishment (9-digit SIREN + 5-digit NIC).
//! Rules from INSEE, as summarised in `shared/data/ess_perimeter_notes.md`: a Luhn check digit,
//! except that La Poste's establishments (SIREN 356000000) are too many for Luhn and are also
//! valid when the sum of their 14 digits is a multiple of 5.

use std::fmt;

/// La Poste's SIREN, the one published exception to the Luhn rule.
const LA_POSTE_SIREN: &str = "356000000";

/// A SIRET that passed [`Siret::parse`]: 14 ASCII digits with a valid check.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Siret(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SiretError {
    #[error("must be 14 digits")]
    Format,
    #[error("fails the check digit")]
    Checksum,
    #[error("must be 9 digits")]
    SirenFormat,
}

impl Siret {
    /// Accepts 14 digits, ignoring spaces (`732 829 320 00074`).
    pub fn parse(raw: &str) -> Result<Self, SiretError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SiretError::Format);
        }
        if !checksum_ok(&digits) {
            return Err(SiretError::Checksum);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first nine digits: the legal unit's SIREN.
    pub fn siren(&self) -> &str {
        &self.0[..9]
    }
}

/// A SIREN: the 9-digit identifier of a legal unit, with a Luhn check digit (La Poste's SIREN,
/// 356000000, passes Luhn too; the digit-sum exception concerns its SIRETs only).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Siren(String);

impl Siren {
    /// Accepts 9 digits, ignoring spaces (`732 829 320`).
    pub fn parse(raw: &str) -> Result<Self, SiretError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SiretError::SirenFormat);
        }
        if !luhn_ok(&digits) {
            return Err(SiretError::Checksum);
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Siren(..)")
    }
}

/// Luhn, or for La Poste only, a digit sum divisible by 5. `digits` is 14 ASCII digits.
fn checksum_ok(digits: &str) -> bool {
    luhn_ok(digits) || (digits.starts_with(LA_POSTE_SIREN) && digit_sum(digits).is_multiple_of(5))
}

fn luhn_ok(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn digit_sum(digits: &str) -> u32 {
    digits.bytes().map(|b| u32::from(b - b'0')).sum()
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Siret {
    // A sole trader's SIRET identifies a person: keep it out of debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Siret(..)")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn published_examples_are_classified_as_insee_says() {
        for ok in [
            "73282932000074",
            "35600000000048",
            "35600000049837",
            "732 829 320 00074",
        ] {
            assert!(Siret::parse(ok).is_ok(), "{ok} should be valid");
        }
        assert_eq!(Siret::parse("73282932000075"), Err(SiretError::Checksum));
        assert_eq!(Siret::parse("35600000049838"), Err(SiretError::Checksum));
        // Digit sum divisible by 5, but not La Poste: the sum rule does not apply.
        assert_eq!(Siret::parse("12345678912345"), Err(SiretError::Checksum));
        assert_eq!(Siret::parse("7328293200007"), Err(SiretError::Format));
        assert_eq!(Siret::parse("7328293200007a"), Err(SiretError::Format));
        assert_eq!(Siret::parse(""), Err(SiretError::Format));
    }

    #[test]
    fn sirens_are_nine_digits_with_a_luhn_check() {
        for ok in ["334065695", "732829320", "356000000", "732 829 320"] {
            assert!(Siren::parse(ok).is_ok(), "{ok} should be valid");
        }
        assert_eq!(Siren::parse("732829321"), Err(SiretError::Checksum));
        assert_eq!(Siren::parse("73282932"), Err(SiretError::SirenFormat));
    }

    #[test]
    fn the_siren_is_the_first_nine_digits() {
        let s = Siret::parse("73282932000074").expect("valid");
        assert_eq!(s.siren(), "732829320");
        assert_eq!(s.to_string(), "73282932000074");
    }

    /// Appends the Luhn check digit that makes `body` (13 digits) valid.
    fn with_luhn_digit(body: &str) -> String {
        (0..10)
            .map(|d| format!("{body}{d}"))
            .find(|c| luhn_ok(c))
            .expect("exactly one check digit completes any body")
    }

    proptest! {
        #[test]
        fn any_luhn_valid_siret_parses(body in "[0-9]{13}") {
            let siret = with_luhn_digit(&body);
            prop_assert!(Siret::parse(&siret).is_ok());
        }

        #[test]
        fn changing_one_digit_breaks_a_luhn_siret(body in "[1-9][0-9]{12}", pos in 0usize..14, delta in 1u8..10) {
            let siret = with_luhn_digit(&body);
            prop_assume!(!siret.starts_with(LA_POSTE_SIREN));
            let mut bytes = siret.into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).expect("ascii digits");
            prop_assert_eq!(Siret::parse(&changed), Err(SiretError::Checksum));
        }
    }
}

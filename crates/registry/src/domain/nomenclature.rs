//! The INSEE nomenclatures the registry checks codes against, compiled into the binary (see
//! `data/README.md` for their sources): legal categories (catégories juridiques, level III,
//! September 2022) and NAF rév. 2 sub-classes with their section letter.

use std::{collections::HashMap, sync::LazyLock};

const LEGAL_CATEGORIES_CSV: &str = include_str!("../../data/insee_categories_juridiques.csv");
const NAF_CSV: &str = include_str!("../../data/naf_rev2_sous_classes.csv");

/// code → label.
static LEGAL_CATEGORIES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    csv::Reader::from_reader(LEGAL_CATEGORIES_CSV.as_bytes())
        .records()
        // Compiled in and covered by tests: a bad record cannot reach production.
        .filter_map(Result::ok)
        .filter(|r| r.len() >= 2)
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect()
});

/// code → (label, section).
static NAF: LazyLock<HashMap<String, (String, char)>> = LazyLock::new(|| {
    csv::Reader::from_reader(NAF_CSV.as_bytes())
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| {
            let section = r.get(2)?.chars().next()?;
            Some((r.get(0)?.to_owned(), (r.get(1)?.to_owned(), section)))
        })
        .collect()
});

/// An INSEE legal category of the nomenclature (4 digits, e.g. 9220 "Association déclarée").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LegalCategory(String);

impl LegalCategory {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim();
        if code.len() != 4 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 4 digits");
        }
        if !LEGAL_CATEGORIES.contains_key(code) {
            return Err("is not in the INSEE nomenclature of legal categories");
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The INSEE label.
    pub fn label(&self) -> &str {
        LEGAL_CATEGORIES.get(&self.0).map(String::as_str).unwrap_or_default()
    }
}

/// A NAF rév. 2 sub-class (`88.99B`); SIRENE also writes it without the dot (`8899B`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NafCode {
    code: String,
    section: char,
}

impl NafCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim().to_ascii_uppercase();
        let code = if raw.len() == 5 && !raw.contains('.') {
            format!("{}.{}", &raw[..2], &raw[2..])
        } else {
            raw
        };
        match NAF.get(&code) {
            Some((_, section)) => Ok(Self {
                section: *section,
                code,
            }),
            None => Err("is not a NAF rév. 2 sub-class (e.g. 88.99B)"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// The section letter, A to U.
    pub fn section(&self) -> char {
        self.section
    }
}

/// A NAF filter: a section letter or a sub-class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NafFilter {
    Section(char),
    Code(NafCode),
}

impl NafFilter {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        let mut chars = raw.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if ('A'..='U').contains(&c.to_ascii_uppercase()) => {
                Ok(Self::Section(c.to_ascii_uppercase()))
            }
            _ => NafCode::parse(raw)
                .map(Self::Code)
                .map_err(|_| "must be a NAF section letter (A to U) or sub-class (88.99B)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nomenclatures_are_complete() {
        assert_eq!(LEGAL_CATEGORIES.len(), 260);
        assert_eq!(NAF.len(), 732);
        assert_eq!(
            LegalCategory::parse("9220").expect("association").label(),
            "Association déclarée"
        );
        assert!(LegalCategory::parse("0000").is_ok());
    }

    #[test]
    fn unknown_codes_are_refused() {
        assert!(LegalCategory::parse("9999").is_err());
        assert!(LegalCategory::parse("92").is_err());
        assert!(NafCode::parse("99.99Z").is_err());
        assert!(NafFilter::parse("V").is_err());
    }

    #[test]
    fn naf_codes_read_with_or_without_the_dot() {
        let a = NafCode::parse("88.99b").expect("lower case");
        let b = NafCode::parse("8899B").expect("SIRENE form");
        assert_eq!(a, b);
        assert_eq!((a.as_str(), a.section()), ("88.99B", 'Q'));
        assert_eq!(NafFilter::parse("q"), Ok(NafFilter::Section('Q')));
    }
}

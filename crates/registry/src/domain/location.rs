//! Where a partner is: an INSEE commune code of Calvados, Manche or Orne (checked against the
//! embedded Code officiel géographique, see `data/README.md`) and/or a French postal code, and
//! the département that follows from them.

use std::{collections::HashMap, fmt, sync::LazyLock};

use super::Violation;

/// The communes of Basse-Normandie, INSEE COG 2026 (see `data/README.md`).
const COMMUNES_CSV: &str = include_str!("../../data/communes_basse_normandie.csv");

/// One commune of the reference table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commune {
    pub code: String,
    pub name: String,
    pub departement: String,
    pub epci_siren: String,
    pub epci_name: String,
}

static COMMUNES: LazyLock<HashMap<String, Commune>> = LazyLock::new(|| {
    let mut reader = csv::Reader::from_reader(COMMUNES_CSV.as_bytes());
    reader
        .records()
        // The table is compiled in and covered by tests: a bad record cannot reach production.
        .filter_map(Result::ok)
        .filter(|r| r.len() >= 5)
        .map(|r| {
            let c = Commune {
                code: r[0].to_owned(),
                name: r[1].to_owned(),
                departement: r[2].to_owned(),
                epci_siren: r[3].to_owned(),
                epci_name: r[4].to_owned(),
            };
            (c.code.clone(), c)
        })
        .collect()
});

/// Looks a commune up by its INSEE code.
pub fn commune(code: &str) -> Option<&'static Commune> {
    COMMUNES.get(code)
}

/// A département code: `01`–`95` (no `20`), `2A`, `2B`, or `971`–`976`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Departement(String);

impl Departement {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = match raw.len() {
            2 if raw == "2A" || raw == "2B" => true,
            2 => {
                matches!(raw.parse::<u8>(), Ok(n) if (1..=95).contains(&n) && n != 20)
                    && raw.bytes().all(|b| b.is_ascii_digit())
            }
            3 => matches!(raw, "971" | "972" | "973" | "974" | "975" | "976"),
            _ => false,
        };
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Departement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A French postal code: five digits, with a département that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalCode {
    code: String,
    departement: Departement,
}

impl PostalCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim();
        if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be 5 digits");
        }
        // Corsica's postal codes start with 20: 200xx-201xx are Corse-du-Sud, the rest Haute-Corse.
        // Overseas codes start with the 3-digit département.
        let dep = match &code[..2] {
            "20" if &code[..3] < "202" => "2A".to_owned(),
            "20" => "2B".to_owned(),
            "97" | "98" => code[..3].to_owned(),
            two => two.to_owned(),
        };
        let departement = Departement::parse(&dep).ok_or("is not a French postal code")?;
        Ok(Self {
            code: code.to_owned(),
            departement,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }
}

/// A validated location: at least one of commune and postal code, consistent with each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    commune: Option<&'static Commune>,
    postal_code: Option<PostalCode>,
    departement: Departement,
}

impl Location {
    /// Parses the optional raw fields (empty means absent); collects every violation.
    pub fn parse(commune_code: &str, postal_code: &str) -> Result<Self, Vec<Violation>> {
        let (commune_code, postal_code) = (commune_code.trim(), postal_code.trim());
        let mut violations = Vec::new();
        let commune = match commune_code {
            "" => None,
            code => {
                let found = commune(code);
                if found.is_none() {
                    violations.push(Violation::new(
                        "commune_code",
                        "is not the INSEE code of a commune of Calvados, Manche or Orne",
                    ));
                }
                found
            }
        };
        let postal = match postal_code {
            "" => None,
            raw => match PostalCode::parse(raw) {
                Ok(p) => Some(p),
                Err(reason) => {
                    violations.push(Violation::new("postal_code", reason));
                    None
                }
            },
        };
        if commune_code.is_empty() && postal_code.is_empty() {
            violations.push(Violation::new(
                "commune_code",
                "a commune code or a postal code is required",
            ));
        }
        if let (Some(c), Some(p)) = (commune, &postal)
            && c.departement != p.departement.as_str()
        {
            violations.push(Violation::new("postal_code", "is not in the commune's département"));
        }
        if !violations.is_empty() {
            return Err(violations);
        }
        let departement = match (commune, &postal) {
            (Some(c), _) => Departement::parse(&c.departement),
            (None, Some(p)) => Some(p.departement.clone()),
            (None, None) => None,
        };
        match departement {
            Some(departement) => Ok(Self {
                commune,
                postal_code: postal,
                departement,
            }),
            None => Err(vec![Violation::new("commune_code", "has no known département")]),
        }
    }

    pub fn commune(&self) -> Option<&'static Commune> {
        self.commune
    }

    pub fn postal_code(&self) -> Option<&PostalCode> {
        self.postal_code.as_ref()
    }

    pub fn departement(&self) -> &Departement {
        &self.departement
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_table_holds_every_commune_of_the_three_departements() {
        assert_eq!(COMMUNES.len(), 1352);
        let caen = commune("14118").expect("Caen");
        assert_eq!((caen.name.as_str(), caen.departement.as_str()), ("Caen", "14"));
        for (dep, n) in [("14", 526), ("50", 445), ("61", 381)] {
            assert_eq!(COMMUNES.values().filter(|c| c.departement == dep).count(), n, "{dep}");
        }
    }

    #[test]
    fn the_departement_comes_from_the_commune_or_else_the_postal_code() {
        let l = Location::parse("50129", "").expect("Cherbourg-en-Cotentin");
        assert_eq!(l.departement().as_str(), "50");
        let l = Location::parse("", "61000").expect("Alençon's postal code");
        assert_eq!(l.departement().as_str(), "61");
        let l = Location::parse("", "20090").expect("Ajaccio");
        assert_eq!(l.departement().as_str(), "2A");
        let l = Location::parse("", "97400").expect("Saint-Denis de La Réunion");
        assert_eq!(l.departement().as_str(), "974");
    }

    #[test]
    fn bad_or_inconsistent_locations_name_their_field() {
        let fields = |r: Result<Location, Vec<Violation>>| {
            r.expect_err("invalid").into_iter().map(|v| v.field).collect::<Vec<_>>()
        };
        assert_eq!(fields(Location::parse("", "")), ["commune_code"]);
        assert_eq!(fields(Location::parse("75056", "")), ["commune_code"]);
        assert_eq!(fields(Location::parse("", "1400")), ["postal_code"]);
        assert_eq!(fields(Location::parse("", "00100")), ["postal_code"]);
        assert_eq!(fields(Location::parse("14118", "50100")), ["postal_code"]);
        assert_eq!(
            fields(Location::parse("99999", "abcde")),
            ["commune_code", "postal_code"]
        );
    }
}

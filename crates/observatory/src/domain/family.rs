//! ESS families (familles de l'ESS): the five groups the observatory counts, with the French labels
//! people read and the stable codes stored and sent over gRPC.

use std::fmt;

/// One ESS family. Source: INSEE's statistical perimeter of the ESS (associations, coopératives,
/// mutuelles, fondations) plus the commercial ESS companies of loi n° 2014-856, art. 1 II.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Associations,
    Cooperatives,
    Mutuelles,
    Fondations,
    SocietesCommerciales,
}

/// Why a family label was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FamilyError {
    #[error(
        "unknown ESS family (expected Associations, Coopératives, Mutuelles, Fondations or Sociétés commerciales de l'ESS)"
    )]
    Unknown,
}

/// What a `famille_ess` cell holds: one family, or an aggregate row (which the observatory
/// recomputes from the families, so that every total is consistent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamilyCell {
    Family(Family),
    Aggregate,
}

impl Family {
    /// Every family, in the order tables show them.
    pub const ALL: [Family; 5] = [
        Family::Associations,
        Family::Cooperatives,
        Family::Mutuelles,
        Family::Fondations,
        Family::SocietesCommerciales,
    ];

    /// The stable code (database, gRPC, CSV exports).
    pub fn code(self) -> &'static str {
        match self {
            Family::Associations => "associations",
            Family::Cooperatives => "cooperatives",
            Family::Mutuelles => "mutuelles",
            Family::Fondations => "fondations",
            Family::SocietesCommerciales => "societes_commerciales",
        }
    }

    /// The French label people read.
    pub fn label(self) -> &'static str {
        match self {
            Family::Associations => "Associations",
            Family::Cooperatives => "Coopératives",
            Family::Mutuelles => "Mutuelles",
            Family::Fondations => "Fondations",
            Family::SocietesCommerciales => "Sociétés commerciales de l'ESS",
        }
    }

    /// From a stored code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Reads a `famille_ess` cell as the URSSAF writes it (label, any case, with or without
    /// accents, singular or plural) or as our codes. Aggregate rows ("Ensemble ESS", "Total") are
    /// recognised as such.
    pub fn parse_cell(raw: &str) -> Result<FamilyCell, FamilyError> {
        let key = fold(raw);
        let family = match key.as_str() {
            "associations" | "association" => Family::Associations,
            "cooperatives" | "cooperative" => Family::Cooperatives,
            "mutuelles" | "mutuelle" => Family::Mutuelles,
            "fondations" | "fondation" => Family::Fondations,
            "societes commerciales de l'ess"
            | "societe commerciale de l'ess"
            | "societes commerciales"
            | "societes_commerciales"
            | "societes commerciales ess" => Family::SocietesCommerciales,
            "ensemble ess" | "ensemble de l'ess" | "total" | "total ess" | "ess" | "ensemble" => {
                return Ok(FamilyCell::Aggregate);
            }
            _ => return Err(FamilyError::Unknown),
        };
        Ok(FamilyCell::Family(family))
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Lower case, French accents removed, typographic apostrophe made straight, spaces collapsed.
pub fn fold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for ch in raw.trim().chars().flat_map(char::to_lowercase) {
        out.push(match ch {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '’' => '\'',
            c => c,
        });
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urssaf_labels_are_read_whatever_their_case_and_accents() {
        assert_eq!(
            Family::parse_cell("Coopératives"),
            Ok(FamilyCell::Family(Family::Cooperatives))
        );
        assert_eq!(
            Family::parse_cell(" COOPERATIVES "),
            Ok(FamilyCell::Family(Family::Cooperatives))
        );
        assert_eq!(
            Family::parse_cell("Sociétés commerciales de l’ESS"),
            Ok(FamilyCell::Family(Family::SocietesCommerciales))
        );
        assert_eq!(Family::parse_cell("Ensemble ESS"), Ok(FamilyCell::Aggregate));
        assert_eq!(Family::parse_cell("Syndicats"), Err(FamilyError::Unknown));
    }

    #[test]
    fn codes_round_trip() {
        for f in Family::ALL {
            assert_eq!(Family::from_code(f.code()), Some(f));
        }
    }
}

//! The territories the dashboard has pages for: URL segments of the levels, French names (EPCIs
//! and communes of Basse-Normandie from the COG file the service already carries), and the list
//! of EPCIs per département for the home page.

use std::{collections::BTreeMap, sync::LazyLock};

use crate::{
    domain::territory::{BASSE_NORMANDIE, TerritoryLevel},
    resources::domain::ResourceTerritory,
};

static COMMUNES_CSV: &str = include_str!("../../data/communes_basse_normandie.csv");

struct Names {
    communes: BTreeMap<String, String>,
    /// EPCI SIREN → (name, départements it touches).
    epcis: BTreeMap<String, (String, Vec<String>)>,
}

static NAMES: LazyLock<Names> = LazyLock::new(|| {
    let mut names = Names {
        communes: BTreeMap::new(),
        epcis: BTreeMap::new(),
    };
    let mut reader = csv::Reader::from_reader(COMMUNES_CSV.as_bytes());
    for r in reader.records().flatten() {
        if let (Some(code), Some(name), Some(dep), Some(epci), Some(epci_name)) =
            (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4))
        {
            names.communes.insert(code.to_owned(), name.to_owned());
            let entry = names
                .epcis
                .entry(epci.to_owned())
                .or_insert_with(|| (epci_name.to_owned(), Vec::new()));
            if !entry.1.iter().any(|d| d == dep) {
                entry.1.push(dep.to_owned());
            }
        }
    }
    names
});

/// The URL segment of a level (`/territoires/{segment}/{code}`).
pub fn segment(level: TerritoryLevel) -> &'static str {
    match level {
        TerritoryLevel::Commune => "commune",
        TerritoryLevel::Epci => "epci",
        TerritoryLevel::Departement => "departement",
        TerritoryLevel::AncienneRegion => "ancienne-region",
        TerritoryLevel::Region => "region",
    }
}

/// The level of a URL segment.
pub fn level_of_segment(segment: &str) -> Option<TerritoryLevel> {
    Some(match segment {
        "commune" => TerritoryLevel::Commune,
        "epci" => TerritoryLevel::Epci,
        "departement" => TerritoryLevel::Departement,
        "ancienne-region" => TerritoryLevel::AncienneRegion,
        "region" => TerritoryLevel::Region,
        _ => return None,
    })
}

/// What the level is called in a page title.
pub fn level_label(level: TerritoryLevel) -> &'static str {
    match level {
        TerritoryLevel::Commune => "commune",
        TerritoryLevel::Epci => "intercommunalité (EPCI)",
        TerritoryLevel::Departement => "département",
        TerritoryLevel::AncienneRegion => "ancienne région",
        TerritoryLevel::Region => "région",
    }
}

/// The French name of a territory, its code when we do not know it.
pub fn name(territory: &ResourceTerritory) -> String {
    let code = territory.code();
    match territory.level() {
        TerritoryLevel::Commune => NAMES.communes.get(code).cloned(),
        TerritoryLevel::Epci => NAMES.epcis.get(code).map(|(n, _)| n.clone()),
        level => level.name(code).map(str::to_owned),
    }
    .unwrap_or_else(|| code.to_owned())
}

/// The dashboard path of a territory.
pub fn path(level: TerritoryLevel, code: &str) -> String {
    format!("/territoires/{}/{}", segment(level), code)
}

/// The EPCIs touching département `dep`, by name: (SIREN, name).
pub fn epcis_of(dep: &str) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = NAMES
        .epcis
        .iter()
        .filter(|(_, (_, deps))| deps.iter().any(|d| d == dep))
        .map(|(code, (name, _))| (code.clone(), name.clone()))
        .collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    list
}

/// The former region the dashboard is about.
pub const HOME_ANCIENNE_REGION: &str = BASSE_NORMANDIE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_cog_file() {
        let caen = ResourceTerritory::parse(TerritoryLevel::Commune, "14118").unwrap();
        assert_eq!(name(&caen), "Caen");
        let bayeux = ResourceTerritory::parse(TerritoryLevel::Epci, "241400555").unwrap();
        assert_eq!(name(&bayeux), "CC de Bayeux Intercom");
        assert!(epcis_of("14").iter().any(|(c, _)| c == "241400555"));
        for level in [
            TerritoryLevel::Commune,
            TerritoryLevel::AncienneRegion,
            TerritoryLevel::Region,
        ] {
            assert_eq!(level_of_segment(segment(level)), Some(level));
        }
    }
}

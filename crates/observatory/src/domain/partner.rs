//! French labels of the partner facts the registry's events carry (kinds and ESS families, as
//! the registry's lower-case enum names).

/// French label of a partner kind; the code itself when unknown.
pub fn kind_label(code: &str) -> &str {
    match code {
        "ess_enterprise" => "Entreprise de l'ESS",
        "network" => "Réseau",
        "employer_organisation" => "Organisation d'employeurs",
        "support_structure" => "Structure d'accompagnement",
        "public_body" => "Organisme public",
        "training_body" => "Organisme de formation",
        "other" => "Autre",
        "" => "Non renseigné",
        other => other,
    }
}

/// French label of a partner's ESS family; the code itself when unknown.
pub fn family_label(code: &str) -> &str {
    match code {
        "association" => "Associations",
        "cooperative" => "Coopératives",
        "mutuelle" => "Mutuelles",
        "fondation" => "Fondations",
        "societe_commerciale_ess" => "Sociétés commerciales de l'ESS",
        "hors_ess" => "Hors ESS",
        "" => "Non renseigné",
        other => other,
    }
}

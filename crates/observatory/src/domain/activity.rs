//! French labels of what the activities' events carry: the agreement's five axes, statuses, and
//! the sex and age bands of attendance counts.

/// French label of an axis of the DIRECCTE / CRESS agreement.
pub fn axis_label(axis: &str) -> String {
    let name = match axis {
        "1" => "Représenter et structurer l'ESS",
        "2" => "Emploi",
        "3" => "Développement économique",
        "4" => "Promotion de l'ESS et de l'entrepreneuriat",
        "5" => "Observation",
        other => return format!("Axe {other}"),
    };
    format!("Axe {axis} — {name}")
}

/// French label of an activity status.
pub fn status_label(status: &str) -> &str {
    match status {
        "draft" => "Brouillon",
        "scheduled" => "Programmée",
        "completed" => "Réalisée",
        "cancelled" => "Annulée",
        other => other,
    }
}

/// French label of a sex or age band of the attendance counts.
pub fn attendance_label(key: &str) -> &str {
    match key {
        "female" => "Femmes",
        "male" => "Hommes",
        "under_26" => "Moins de 26 ans",
        "26_49" => "26 à 49 ans",
        "50_and_over" => "50 ans et plus",
        "not_given" => "Non renseigné",
        other => other,
    }
}

/// A key such as `GRAND_PUBLIC` or `SENSIBILISATION`, readable: "Grand public", "Sensibilisation".
pub fn key_label(key: &str) -> String {
    if key.is_empty() {
        return "Non renseigné".into();
    }
    let lower = key.to_lowercase().replace('_', " ");
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => lower,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_axes_read_in_french() {
        assert_eq!(key_label("GRAND_PUBLIC"), "Grand public");
        assert_eq!(axis_label("2"), "Axe 2 — Emploi");
        assert_eq!(status_label("completed"), "Réalisée");
    }
}

//! Views of the small answers of the operator-facing calls (`activity known-partners`), as
//! column tables or JSON.

use ess_proto::activities::v1::KnownPartner;
use serde::Serialize;

use crate::{
    cli::Output,
    failure::Failure,
    render::{self, Align},
};

/// A registry partner as the activities service knows it.
#[derive(Debug, Clone, Serialize)]
pub struct KnownPartnerView {
    /// Registry id.
    pub partner_id: String,
    /// Name as last seen in registry events.
    pub name: String,
    /// Registry version last applied.
    pub version: i64,
}

/// The partners the activities service knows, as a table or JSON.
pub fn known_partners(partners: &[KnownPartner], output: Output) -> Result<String, Failure> {
    let views: Vec<KnownPartnerView> = partners
        .iter()
        .map(|p| KnownPartnerView {
            partner_id: p.partner_id.clone(),
            name: p.name.clone(),
            version: p.version,
        })
        .collect();
    if output == Output::Json {
        return render::json(&views);
    }
    let rows: Vec<Vec<String>> = views
        .iter()
        .map(|p| vec![p.partner_id.clone(), p.name.clone(), p.version.to_string()])
        .collect();
    Ok(render::column_table(
        &["ID", "NAME", "VERSION"],
        &rows,
        &[Align::Left, Align::Left, Align::Right],
    ))
}

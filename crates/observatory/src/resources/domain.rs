//! The resource centre's rules: kinds, axes, territories, and the check that a file's bytes are
//! what its declared content type says (magic numbers, UTF-8 text). No I/O.

use chrono::NaiveDate;
use unicode_normalization::{UnicodeNormalization as _, char::is_combining_mark};

use crate::domain::territory::{
    TerritoryLevel, ancienne_region_name, commune_of_basse_normandie, is_epci_code, is_known_departement, region_name,
};

/// What a resource is. Codes are stored and published in events; labels are what the public reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    Etude,
    Analyse,
    NoteStatistique,
    /// A common position or proposal, signed by partners.
    PositionCommune,
    Guide,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 5] = [
        ResourceKind::Etude,
        ResourceKind::Analyse,
        ResourceKind::NoteStatistique,
        ResourceKind::PositionCommune,
        ResourceKind::Guide,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ResourceKind::Etude => "etude",
            ResourceKind::Analyse => "analyse",
            ResourceKind::NoteStatistique => "note_statistique",
            ResourceKind::PositionCommune => "position_commune",
            ResourceKind::Guide => "guide",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Etude => "Étude",
            ResourceKind::Analyse => "Analyse",
            ResourceKind::NoteStatistique => "Note statistique",
            ResourceKind::PositionCommune => "Position commune / proposition",
            ResourceKind::Guide => "Guide",
        }
    }

    pub fn from_code(code: &str) -> Option<ResourceKind> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// The code of a territory level as stored and published ("departement").
pub fn level_code(level: TerritoryLevel) -> &'static str {
    match level {
        TerritoryLevel::Commune => "commune",
        TerritoryLevel::Epci => "epci",
        TerritoryLevel::Departement => "departement",
        TerritoryLevel::AncienneRegion => "ancienne_region",
        TerritoryLevel::Region => "region",
    }
}

/// The level of a stored level code.
pub fn level_from_code(code: &str) -> Option<TerritoryLevel> {
    Some(match code {
        "commune" => TerritoryLevel::Commune,
        "epci" => TerritoryLevel::Epci,
        "departement" => TerritoryLevel::Departement,
        "ancienne_region" => TerritoryLevel::AncienneRegion,
        "region" => TerritoryLevel::Region,
        _ => return None,
    })
}

/// Why a territory code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TerritoryError {
    #[error("unknown region code")]
    Region,
    #[error("unknown former region code")]
    AncienneRegion,
    #[error("unknown département code")]
    Departement,
    #[error("an EPCI is its SIREN: 9 digits")]
    Epci,
    #[error("not a commune of Basse-Normandie (INSEE code)")]
    Commune,
}

/// A territory a resource is about: a level and a code that exists at that level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceTerritory {
    level: TerritoryLevel,
    code: String,
}

impl ResourceTerritory {
    pub fn parse(level: TerritoryLevel, raw: &str) -> Result<Self, TerritoryError> {
        let code = raw.trim();
        let known = match level {
            TerritoryLevel::Region => region_name(code).is_some().then_some(()).ok_or(TerritoryError::Region),
            TerritoryLevel::AncienneRegion => ancienne_region_name(code)
                .is_some()
                .then_some(())
                .ok_or(TerritoryError::AncienneRegion),
            TerritoryLevel::Departement => is_known_departement(code)
                .then_some(())
                .ok_or(TerritoryError::Departement),
            TerritoryLevel::Epci => is_epci_code(code).then_some(()).ok_or(TerritoryError::Epci),
            TerritoryLevel::Commune => commune_of_basse_normandie(code)
                .is_some()
                .then_some(())
                .ok_or(TerritoryError::Commune),
        };
        known.map(|()| Self {
            level,
            code: code.to_owned(),
        })
    }

    pub fn level(&self) -> TerritoryLevel {
        self.level
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

/// An axis of the agreement: 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axis(u8);

impl Axis {
    pub fn parse(raw: i32) -> Option<Axis> {
        u8::try_from(raw).ok().filter(|a| (1..=5).contains(a)).map(Axis)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// The file types the resource centre accepts, each with the check its bytes must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    Pdf,
    Csv,
    Text,
    Markdown,
    Png,
    Jpeg,
    OdfText,
    OdfSpreadsheet,
    Docx,
    Xlsx,
}

/// Why a file's bytes were refused for its declared type. Messages never echo the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContentError {
    #[error("the file is empty")]
    Empty,
    #[error("the bytes are not a PDF (a PDF starts with %PDF-)")]
    NotPdf,
    #[error("the bytes are not UTF-8 text")]
    NotText,
    #[error("the bytes are not a PNG image")]
    NotPng,
    #[error("the bytes are not a JPEG image")]
    NotJpeg,
    #[error("the bytes are not an OpenDocument file of that type")]
    NotOdf,
    #[error("the bytes are not an Office Open XML (zip) file")]
    NotOoxml,
}

/// Zip local file header: OpenDocument and Office Open XML files are zip archives.
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

impl ContentType {
    pub const ALL: [ContentType; 10] = [
        ContentType::Pdf,
        ContentType::Csv,
        ContentType::Text,
        ContentType::Markdown,
        ContentType::Png,
        ContentType::Jpeg,
        ContentType::OdfText,
        ContentType::OdfSpreadsheet,
        ContentType::Docx,
        ContentType::Xlsx,
    ];

    /// The MIME type.
    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Pdf => "application/pdf",
            ContentType::Csv => "text/csv",
            ContentType::Text => "text/plain",
            ContentType::Markdown => "text/markdown",
            ContentType::Png => "image/png",
            ContentType::Jpeg => "image/jpeg",
            ContentType::OdfText => "application/vnd.oasis.opendocument.text",
            ContentType::OdfSpreadsheet => "application/vnd.oasis.opendocument.spreadsheet",
            ContentType::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ContentType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The type of a MIME string (parameters such as `; charset=utf-8` ignored, case-insensitive).
    pub fn parse(raw: &str) -> Option<ContentType> {
        let essence = raw.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|t| t.mime() == essence)
    }

    /// What the public reads beside a download link ("PDF").
    pub fn label(self) -> &'static str {
        match self {
            ContentType::Pdf => "PDF",
            ContentType::Csv => "CSV",
            ContentType::Text => "texte",
            ContentType::Markdown => "Markdown",
            ContentType::Png => "image PNG",
            ContentType::Jpeg => "image JPEG",
            ContentType::OdfText => "OpenDocument texte",
            ContentType::OdfSpreadsheet => "OpenDocument tableur",
            ContentType::Docx => "Word",
            ContentType::Xlsx => "Excel",
        }
    }

    /// Checks that `bytes` are of this type. Text types must be UTF-8 (a BOM is allowed) without
    /// control characters other than tab, line feed, carriage return and form feed.
    pub fn check(self, bytes: &[u8]) -> Result<(), ContentError> {
        if bytes.is_empty() {
            return Err(ContentError::Empty);
        }
        let ok = match self {
            ContentType::Pdf => bytes.starts_with(b"%PDF-"),
            ContentType::Csv | ContentType::Text | ContentType::Markdown => {
                let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                return match std::str::from_utf8(body) {
                    Ok(text)
                        if !text
                            .chars()
                            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c')) =>
                    {
                        Ok(())
                    }
                    _ => Err(ContentError::NotText),
                };
            }
            ContentType::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            ContentType::Jpeg => bytes.starts_with(b"\xFF\xD8\xFF"),
            ContentType::OdfText | ContentType::OdfSpreadsheet => {
                // The first entry of an OpenDocument zip is the uncompressed file `mimetype` holding
                // the MIME type (OASIS ODF 1.2, part 3, §3.3): "mimetype" at offset 30, its content at 38.
                let expected = self.mime().as_bytes();
                let ok = bytes.starts_with(ZIP_MAGIC)
                    && bytes.get(30..38) == Some(b"mimetype".as_slice())
                    && bytes.get(38..38 + expected.len()) == Some(expected);
                return if ok { Ok(()) } else { Err(ContentError::NotOdf) };
            }
            ContentType::Docx | ContentType::Xlsx => {
                return if bytes.starts_with(ZIP_MAGIC) {
                    Ok(())
                } else {
                    Err(ContentError::NotOoxml)
                };
            }
        };
        if ok {
            Ok(())
        } else {
            Err(match self {
                ContentType::Pdf => ContentError::NotPdf,
                ContentType::Png => ContentError::NotPng,
                _ => ContentError::NotJpeg,
            })
        }
    }
}

/// Why a file name was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("required")]
    Empty,
    #[error("at most 200 characters")]
    TooLong,
    #[error("a bare file name: no '/', '\\', control character or quote, not '.' or '..'")]
    Path,
}

/// A file name a download can carry in `Content-Disposition`: no path, no quote, no control char.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: &str) -> Result<Self, FileNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(FileNameError::Empty);
        }
        if name.chars().count() > 200 {
            return Err(FileNameError::TooLong);
        }
        if name == "." || name == ".." || name.chars().any(|c| matches!(c, '/' | '\\' | '"') || c.is_control()) {
            return Err(FileNameError::Path);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A resource ready to store: every field checked.
#[derive(Debug, Clone)]
pub struct NewResource {
    pub kind: ResourceKind,
    pub title: String,
    pub summary: String,
    pub axis: Axis,
    pub themes: Vec<String>,
    pub territory: ResourceTerritory,
    pub date: NaiveDate,
    pub authors: Vec<String>,
    pub signing_partner_ids: Vec<uuid::Uuid>,
    pub file_name: FileName,
    pub content_type: ContentType,
}

impl NewResource {
    /// The text the search runs over: title, summary, themes and authors, folded.
    pub fn search_text(&self) -> String {
        let mut parts = vec![self.title.as_str(), self.summary.as_str()];
        parts.extend(self.themes.iter().map(String::as_str));
        parts.extend(self.authors.iter().map(String::as_str));
        fold(&parts.join(" "))
    }
}

/// Lower case, accents and other combining marks removed (NFD), typographic apostrophes made
/// straight, whitespace collapsed: "Économie  Sociale" and "economie sociale" fold alike.
pub fn fold(raw: &str) -> String {
    let folded: String = raw
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == '’' { '\'' } else { c })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_must_start_with_its_magic_number() {
        assert_eq!(ContentType::Pdf.check(b"%PDF-1.7\n..."), Ok(()));
        assert_eq!(ContentType::Pdf.check(b"GIF89a"), Err(ContentError::NotPdf));
        assert_eq!(ContentType::Pdf.check(b""), Err(ContentError::Empty));
    }

    #[test]
    fn a_csv_must_be_utf8_text() {
        assert_eq!(ContentType::Csv.check("commune;effectif\nCaen;12\n".as_bytes()), Ok(()));
        assert_eq!(ContentType::Csv.check(b"\xEF\xBB\xBFa;b\r\n1;2\r\n"), Ok(()));
        assert_eq!(
            ContentType::Csv.check(b"%PDF-1.7\n\x00\x01\xff"),
            Err(ContentError::NotText)
        );
        assert_eq!(ContentType::Csv.check(b"caf\xe9"), Err(ContentError::NotText)); // Latin-1
    }

    #[test]
    fn zip_based_types_are_told_apart() {
        let mut odt = b"PK\x03\x04".to_vec();
        odt.resize(30, 0);
        odt.extend_from_slice(b"mimetypeapplication/vnd.oasis.opendocument.text");
        assert_eq!(ContentType::OdfText.check(&odt), Ok(()));
        assert_eq!(ContentType::OdfSpreadsheet.check(&odt), Err(ContentError::NotOdf));
        assert_eq!(ContentType::Xlsx.check(&odt), Ok(()));
        assert_eq!(ContentType::Xlsx.check(b"%PDF-"), Err(ContentError::NotOoxml));
    }

    #[test]
    fn content_types_parse_from_mime_strings() {
        assert_eq!(ContentType::parse("text/csv; charset=utf-8"), Some(ContentType::Csv));
        assert_eq!(ContentType::parse("Application/PDF"), Some(ContentType::Pdf));
        assert_eq!(ContentType::parse("application/x-msdownload"), None);
    }

    #[test]
    fn folding_ignores_case_and_accents() {
        assert_eq!(
            fold("  Économie   SOCIALE et Solidaire "),
            "economie sociale et solidaire"
        );
        assert_eq!(fold("l’égalité"), "l'egalite");
    }

    #[test]
    fn territories_must_exist_at_their_level() {
        assert!(ResourceTerritory::parse(TerritoryLevel::Departement, "14").is_ok());
        assert_eq!(
            ResourceTerritory::parse(TerritoryLevel::Departement, "00"),
            Err(TerritoryError::Departement)
        );
        assert!(ResourceTerritory::parse(TerritoryLevel::Commune, "14118").is_ok()); // Caen
        assert!(ResourceTerritory::parse(TerritoryLevel::Region, "28").is_ok());
        assert!(ResourceTerritory::parse(TerritoryLevel::Epci, "2414").is_err());
    }

    #[test]
    fn file_names_carry_no_path() {
        assert!(FileName::parse("etude-2025.pdf").is_ok());
        assert_eq!(FileName::parse("../etc/passwd"), Err(FileNameError::Path));
        assert_eq!(FileName::parse("a\"b.pdf"), Err(FileNameError::Path));
        assert_eq!(FileName::parse(" "), Err(FileNameError::Empty));
    }
}

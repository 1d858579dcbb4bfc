//! Calendar dates as the API writes them (`YYYY-MM-DD`) and date ranges whose end is not before
//! their start.

use chrono::NaiveDate;

use super::Violation;

/// Parses a required `YYYY-MM-DD` date.
pub fn parse_date(field: &str, raw: &str) -> Result<NaiveDate, Violation> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| Violation::new(field, "must be a date YYYY-MM-DD"))
}

/// Parses an optional date: empty means absent.
pub fn parse_optional_date(field: &str, raw: &str) -> Result<Option<NaiveDate>, Violation> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    parse_date(field, raw).map(Some)
}

/// A period from a day, open-ended or until a day not before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    from: NaiveDate,
    until: Option<NaiveDate>,
}

impl Period {
    /// Checks the order; the violation names `until_field`.
    pub fn new(from: NaiveDate, until: Option<NaiveDate>, until_field: &str) -> Result<Self, Violation> {
        match until {
            Some(u) if u < from => Err(Violation::new(until_field, "must not be before the start date")),
            _ => Ok(Self { from, until }),
        }
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn until(&self) -> Option<NaiveDate> {
        self.until
    }

    /// Whether the period covers `day`.
    pub fn covers(&self, day: NaiveDate) -> bool {
        self.from <= day && self.until.is_none_or(|u| day <= u)
    }
}

/// `2026-11-27`, as the API writes dates.
pub fn format_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_the_wrong_order_name_the_end_field() {
        let d = |s| parse_date("d", s).expect("valid");
        assert!(Period::new(d("2024-01-01"), Some(d("2024-01-01")), "until").is_ok());
        let v = Period::new(d("2024-01-02"), Some(d("2024-01-01")), "until").expect_err("reversed");
        assert_eq!(v.field, "until");
        assert!(parse_date("from", "01/02/2024").is_err());
        assert_eq!(parse_optional_date("x", " ").expect("empty is absent"), None);
    }
}

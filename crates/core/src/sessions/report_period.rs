//! The period of a progress report, as typed on the couple page or sent to the API: one rule
//! for both. Dates are whole days in the counselor's zone; by default the report runs from the
//! couple's intake to today.

use chrono::NaiveDate;

use crate::error::{CoreError, FieldErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn date(raw: Option<&str>) -> Option<Result<NaiveDate, &'static str>> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    Some(
        (raw.len() <= 10)
            .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
            .flatten()
            .ok_or("must be a date such as 2026-03-31"),
    )
}

impl ReportPeriod {
    /// `from` and `to` as typed (absent or empty: the default). An end before the start is
    /// refused, the default start included: a period that ends before intake has nothing to
    /// report, and saying so beats an empty document.
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        intake: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, CoreError> {
        let mut errors = FieldErrors::new();
        let typed_from = date(from).and_then(|d| errors.check("from", d));
        let typed_to = date(to).and_then(|d| errors.check("to", d));
        if !errors.is_empty() {
            return Err(CoreError::Invalid(errors));
        }
        Self::new(typed_from, typed_to, intake, today)
    }

    /// The same rule for dates already read (the API's query parser reads them).
    pub fn new(
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        intake: NaiveDate,
        today: NaiveDate,
    ) -> Result<Self, CoreError> {
        let to = to.unwrap_or(today);
        match from {
            Some(from) if from > to => Err(CoreError::invalid(
                "to",
                "is before the start; choose an end date on or after the start date",
            )),
            Some(from) => Ok(Self { from, to }),
            None if intake > to => Err(CoreError::invalid(
                "to",
                format!(
                    "is before the couple's intake on {}; choose a later end date",
                    intake.format("%Y-%m-%d")
                ),
            )),
            None => Ok(Self { from: intake, to }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn fields(e: CoreError) -> Vec<String> {
        match e {
            CoreError::Invalid(errors) => errors.iter().map(|(f, _)| f.to_owned()).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    #[test]
    fn the_default_runs_from_intake_to_today() {
        let (intake, today) = (d("2026-01-05"), d("2026-04-01"));
        let period = ReportPeriod::parse(None, Some(""), intake, today).expect("default");
        assert_eq!((period.from, period.to), (intake, today));
        let typed = ReportPeriod::parse(Some("2025-12-01"), Some("2026-02-01"), intake, today);
        assert_eq!(typed.expect("typed").from, d("2025-12-01"));
    }

    #[test]
    fn an_end_before_the_start_is_refused() {
        let (intake, today) = (d("2026-01-05"), d("2026-04-01"));
        let before_intake = ReportPeriod::parse(None, Some("2025-12-31"), intake, today);
        assert_eq!(fields(before_intake.expect_err("before intake")), ["to"]);
        let backwards = ReportPeriod::parse(Some("2026-03-02"), Some("2026-03-01"), intake, today);
        assert_eq!(fields(backwards.expect_err("backwards")), ["to"]);
    }

    #[test]
    fn unreadable_dates_name_their_field() {
        let (intake, today) = (d("2026-01-05"), d("2026-04-01"));
        for (from, to, field) in [
            ("2026-02-30", "", "from"),
            ("yesterday", "", "from"),
            ("", "2026-13-01", "to"),
            ("", &"9".repeat(10_000), "to"),
        ] {
            let e = ReportPeriod::parse(Some(from), Some(to), intake, today).expect_err(field);
            assert_eq!(fields(e), [field]);
        }
    }
}

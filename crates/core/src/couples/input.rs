//! Turning what a counselor typed (a form or a JSON body) into a valid couple. Field names are
//! shared by the pages and the API: `label`, `intake_date`, `disclosure_date`,
//! `involved.name`, `hurt.email`, ...

use chrono::NaiveDate;

use super::PartnerRole;
use crate::domain::{CoupleLabel, DisplayName, EmailAddress, TimeZone};
use crate::error::{CoreError, FieldErrors};

/// One partner as typed.
#[derive(Debug, Clone, Default)]
pub struct PartnerInput {
    pub name: String,
    pub email: String,
    pub timezone: String,
}

/// A couple as typed. Dates are ISO `YYYY-MM-DD`; an empty disclosure date means none.
#[derive(Debug, Clone, Default)]
pub struct CoupleInput {
    pub label: String,
    pub open_agreement: bool,
    pub intake_date: String,
    pub disclosure_date: String,
    pub involved: PartnerInput,
    pub hurt: PartnerInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub name: DisplayName,
    pub email: EmailAddress,
    pub timezone: TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCouple {
    pub label: CoupleLabel,
    pub open_agreement: bool,
    pub intake_date: NaiveDate,
    pub disclosure_date: Option<NaiveDate>,
    pub involved: NewPartner,
    pub hurt: NewPartner,
}

fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err("must not be empty".into());
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| "must be a date such as 2026-03-14".to_string())?;
    let year = chrono::Datelike::year(&date);
    if !(1900..=2200).contains(&year) {
        return Err("must be a date between 1900 and 2200".into());
    }
    Ok(date)
}

fn parse_partner(
    errors: &mut FieldErrors,
    role: PartnerRole,
    p: &PartnerInput,
) -> Option<NewPartner> {
    let key = role.key();
    let name = errors.check(&format!("{key}.name"), DisplayName::parse(&p.name));
    let email = errors.check(&format!("{key}.email"), EmailAddress::parse(&p.email));
    let timezone = errors.check(&format!("{key}.timezone"), TimeZone::parse(&p.timezone));
    Some(NewPartner {
        name: name?,
        email: email?,
        timezone: timezone?,
    })
}

impl CoupleInput {
    pub fn parse(&self) -> Result<NewCouple, CoreError> {
        let mut errors = FieldErrors::new();
        let label = errors.check("label", CoupleLabel::parse(&self.label));
        let intake_date = errors.check("intake_date", parse_date(&self.intake_date));
        let disclosure_date = if self.disclosure_date.trim().is_empty() {
            Some(None)
        } else {
            errors
                .check("disclosure_date", parse_date(&self.disclosure_date))
                .map(Some)
        };
        let involved = parse_partner(&mut errors, PartnerRole::Involved, &self.involved);
        let hurt = parse_partner(&mut errors, PartnerRole::Hurt, &self.hurt);
        errors.into_result(|| {
            Some(NewCouple {
                label: label?,
                open_agreement: self.open_agreement,
                intake_date: intake_date?,
                disclosure_date: disclosure_date?,
                involved: involved?,
                hurt: hurt?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> CoupleInput {
        CoupleInput {
            label: "Zoë & Renée".into(),
            open_agreement: false,
            intake_date: "2026-03-01".into(),
            disclosure_date: "".into(),
            involved: PartnerInput {
                name: "Zoë Ñúñez-Łukasiewicz".into(),
                email: "zoe@example.org".into(),
                timezone: "Europe/Berlin".into(),
            },
            hurt: PartnerInput {
                name: "Renée O’Brien".into(),
                email: "renee@example.org".into(),
                timezone: "America/New_York".into(),
            },
        }
    }

    #[test]
    fn parses_a_valid_couple() {
        let c = valid().parse().expect("valid");
        assert_eq!(c.involved.name.as_str(), "Zoë Ñúñez-Łukasiewicz");
        assert_eq!(c.disclosure_date, None);
    }

    #[test]
    fn reports_every_bad_field_at_once() {
        let mut input = valid();
        input.label = " ".into();
        input.intake_date = "yesterday".into();
        input.involved.email = "not-an-email".into();
        input.hurt.timezone = "Atlantis/Lost".into();
        let CoreError::Invalid(errors) = input.parse().expect_err("invalid") else {
            panic!("expected field errors")
        };
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            ["label", "intake_date", "involved.email", "hurt.timezone"]
        );
    }
}

//! The practice record: one per installation, created on first need.

use sea_orm::entity::prelude::{DeriveActiveEnum, EnumIter, StringLen};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::totp::TotpRequirement;
use crate::clock::Clock;
use crate::domain::TimeZone;
use crate::entities::practice;
use crate::error::CoreError;
use crate::sessions::notes::NoteFormat;

pub const DEFAULT_NAME: &str = "Kintsugi practice";

/// The paper the practice's PDFs are laid out on, as stored in `practice.paper_size`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum PaperSize {
    #[default]
    #[sea_orm(string_value = "a4")]
    A4,
    /// US Letter.
    #[sea_orm(string_value = "letter")]
    Letter,
}

impl PaperSize {
    pub const ALL: [PaperSize; 2] = [PaperSize::A4, PaperSize::Letter];

    /// `a4` or `letter`, as stored and as the settings form posts it.
    pub fn key(self) -> &'static str {
        match self {
            PaperSize::A4 => "a4",
            PaperSize::Letter => "letter",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key.trim())
    }
}

/// The practice, creating it with sane defaults when the database is new.
pub async fn ensure(
    db: &impl ConnectionTrait,
    clock: &dyn Clock,
) -> Result<practice::Model, CoreError> {
    if let Some(p) = practice::Entity::find()
        .order_by_asc(practice::Column::CreatedAt)
        .one(db)
        .await?
    {
        return Ok(p);
    }
    let model = practice::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(DEFAULT_NAME.to_owned()),
        timezone: Set(TimeZone::default()),
        reminder_hours_before: Set(24),
        quiet_hours_start: Set(8),
        quiet_hours_end: Set(21),
        link_expiry_days: Set(90),
        note_format: Set(NoteFormat::Dap),
        paper_size: Set(PaperSize::A4),
        session_idle_minutes: Set(30),
        totp_required: Set(TotpRequirement::Nobody),
        created_at: Set(clock.now()),
    };
    Ok(model.insert(db).await?)
}

pub async fn rename(
    db: &impl ConnectionTrait,
    practice: practice::Model,
    name: &str,
    timezone: TimeZone,
) -> Result<practice::Model, CoreError> {
    let mut active: practice::ActiveModel = practice.into();
    active.name = Set(name.to_owned());
    active.timezone = Set(timezone);
    Ok(active.update(db).await?)
}

/// The practice settings as typed on the admin page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PracticeInput {
    pub name: String,
    pub timezone: String,
    pub note_format: String,
    pub paper_size: String,
    pub reminder_hours_before: String,
    pub quiet_hours_start: String,
    pub quiet_hours_end: String,
    pub link_expiry_days: String,
    pub session_idle_minutes: String,
    /// `none`, `admins` or `everyone`; left out, the setting stays as it is.
    pub totp_required: String,
}

/// Valid practice settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeSettings {
    pub name: crate::domain::CoupleLabel,
    pub timezone: TimeZone,
    pub note_format: NoteFormat,
    pub paper_size: PaperSize,
    pub reminder_hours_before: i32,
    pub quiet_hours_start: i32,
    pub quiet_hours_end: i32,
    pub link_expiry_days: i32,
    pub session_idle_minutes: i32,
    /// Who must sign in with a TOTP code; `None` keeps the current setting.
    pub totp_required: Option<TotpRequirement>,
}

fn whole(raw: &str, min: i32, max: i32, unit: &str) -> Result<i32, String> {
    let n: i32 = raw
        .trim()
        .parse()
        .map_err(|_| format!("must be a whole number of {unit}"))?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be between {min} and {max} {unit}"))
    }
}

impl PracticeInput {
    pub fn from_model(p: &practice::Model) -> Self {
        Self {
            name: p.name.clone(),
            timezone: p.timezone.to_string(),
            note_format: p.note_format.key().to_owned(),
            paper_size: p.paper_size.key().to_owned(),
            reminder_hours_before: p.reminder_hours_before.to_string(),
            quiet_hours_start: p.quiet_hours_start.to_string(),
            quiet_hours_end: p.quiet_hours_end.to_string(),
            link_expiry_days: p.link_expiry_days.to_string(),
            session_idle_minutes: p.session_idle_minutes.to_string(),
            totp_required: p.totp_required.key().to_owned(),
        }
    }

    /// The fields as a form posts them.
    pub fn into_pairs(self) -> Vec<(&'static str, String)> {
        vec![
            ("name", self.name),
            ("timezone", self.timezone),
            ("note_format", self.note_format),
            ("paper_size", self.paper_size),
            ("reminder_hours_before", self.reminder_hours_before),
            ("quiet_hours_start", self.quiet_hours_start),
            ("quiet_hours_end", self.quiet_hours_end),
            ("link_expiry_days", self.link_expiry_days),
            ("session_idle_minutes", self.session_idle_minutes),
            ("totp_required", self.totp_required),
        ]
    }

    pub fn parse(&self) -> Result<PracticeSettings, CoreError> {
        let mut errors = crate::error::FieldErrors::new();
        let name = errors.check("name", crate::domain::CoupleLabel::parse(&self.name));
        let timezone = errors.check("timezone", TimeZone::parse(&self.timezone));
        let note_format = errors.check(
            "note_format",
            NoteFormat::from_key(&self.note_format).ok_or("choose DAP or SOAP"),
        );
        let paper_size = errors.check(
            "paper_size",
            PaperSize::from_key(&self.paper_size).ok_or("choose A4 or US Letter"),
        );
        let lead = errors.check(
            "reminder_hours_before",
            whole(&self.reminder_hours_before, 1, 168, "hours"),
        );
        let start = errors.check(
            "quiet_hours_start",
            whole(&self.quiet_hours_start, 0, 23, "o'clock"),
        );
        let end = errors.check(
            "quiet_hours_end",
            whole(&self.quiet_hours_end, 1, 24, "o'clock"),
        );
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            errors.add(
                "quiet_hours_end",
                "must be later than the start of the sending window",
            );
        }
        let expiry = errors.check(
            "link_expiry_days",
            whole(&self.link_expiry_days, 7, 365, "days"),
        );
        let idle = errors.check(
            "session_idle_minutes",
            whole(&self.session_idle_minutes, 5, 60, "minutes"),
        );
        let totp_required = errors.check(
            "totp_required",
            match self.totp_required.trim() {
                "" => Ok(None),
                key => TotpRequirement::from_key(key)
                    .map(Some)
                    .ok_or("choose nobody, admins or everyone"),
            },
        );
        errors.into_result(|| {
            Some(PracticeSettings {
                name: name?,
                timezone: timezone?,
                note_format: note_format?,
                paper_size: paper_size?,
                reminder_hours_before: lead?,
                quiet_hours_start: start?,
                quiet_hours_end: end?,
                link_expiry_days: expiry?,
                session_idle_minutes: idle?,
                totp_required: totp_required?,
            })
        })
    }
}

/// Save the practice settings, audited in the same transaction.
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    clock: &dyn Clock,
    actor: &crate::audit::Actor,
    practice: practice::Model,
    s: PracticeSettings,
) -> Result<practice::Model, CoreError> {
    let mut active: practice::ActiveModel = practice.into();
    active.name = Set(s.name.into_inner());
    active.timezone = Set(s.timezone);
    active.note_format = Set(s.note_format);
    active.paper_size = Set(s.paper_size);
    active.reminder_hours_before = Set(s.reminder_hours_before);
    active.quiet_hours_start = Set(s.quiet_hours_start);
    active.quiet_hours_end = Set(s.quiet_hours_end);
    active.link_expiry_days = Set(s.link_expiry_days);
    active.session_idle_minutes = Set(s.session_idle_minutes);
    if let Some(required) = s.totp_required {
        active.totp_required = Set(required);
    }
    let tx = crate::db::begin_write(db).await?;
    let saved = active.update(&tx).await?;
    crate::audit::record(
        &tx,
        clock,
        actor,
        crate::audit::Action::PracticeSettingsChanged,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PracticeInput {
        PracticeInput {
            name: "Harbour Counselling".into(),
            timezone: "Europe/London".into(),
            note_format: "SOAP".into(),
            paper_size: "letter".into(),
            reminder_hours_before: "24".into(),
            quiet_hours_start: "8".into(),
            quiet_hours_end: "21".into(),
            link_expiry_days: "90".into(),
            session_idle_minutes: "30".into(),
            totp_required: "admins".into(),
        }
    }

    #[test]
    fn valid_settings_parse() {
        use sea_orm::ActiveEnum;
        for p in PaperSize::ALL {
            assert_eq!(p.to_value(), p.key(), "stored as before");
            assert_eq!(PaperSize::from_key(p.key()), Some(p));
        }
        let s = input().parse().expect("valid");
        assert_eq!(s.paper_size, PaperSize::Letter);
        assert_eq!(s.note_format, NoteFormat::Soap);
        assert_eq!(s.totp_required, Some(TotpRequirement::Admins));
        let kept = PracticeInput {
            totp_required: String::new(),
            ..input()
        };
        assert_eq!(kept.parse().expect("valid").totp_required, None);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = PracticeInput {
            name: String::new(),
            timezone: "Mars/Olympus".into(),
            note_format: "BIRP".into(),
            paper_size: "A3".into(),
            reminder_hours_before: "0".into(),
            quiet_hours_start: "22".into(),
            quiet_hours_end: "6".into(),
            link_expiry_days: "forever".into(),
            session_idle_minutes: "600".into(),
            totp_required: "sometimes".into(),
        };
        let Err(CoreError::Invalid(e)) = bad.parse() else {
            panic!("expected errors");
        };
        for field in [
            "name",
            "timezone",
            "note_format",
            "paper_size",
            "reminder_hours_before",
            "quiet_hours_end",
            "link_expiry_days",
            "session_idle_minutes",
            "totp_required",
        ] {
            assert!(e.get(field).is_some(), "{field}");
        }
    }
}

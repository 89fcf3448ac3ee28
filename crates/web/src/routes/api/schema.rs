//! JSON Schemas that say exactly what the API's parsers accept, so that the OpenAPI document is
//! a contract a client (or schemathesis, `scripts/schemathesis`) can generate requests from:
//! the lists of keys come from the core types themselves, the text rules from
//! `kintsugi_core::domain::BoundedText` (trimmed, not blank, at most N characters, no control
//! characters except line breaks and tabs where several lines are allowed).
//!
//! Each function is used with `#[schema(schema_with = ..)]`. Query and path parameters take
//! their schemas from their value types instead (`query::Key`, `query::Bounded`, ...), which
//! keeps their descriptions and marks path parameters required.

use kintsugi_core::couples::{CoupleStatus, PartnerRole};
use kintsugi_core::homework::Recipient;
use kintsugi_core::sessions::Attendance;
use kintsugi_core::sessions::notes::NoteFormat;
use kintsugi_core::stages::{Marker, Rating, Stage};
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};

/// No C0 or C1 control character.
const NO_CONTROL: &str = r"[^\u0000-\u001f\u007f-\u009f]";
/// No control character but line breaks and tabs.
const NO_CONTROL_MULTILINE: &str = r"[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn keys(values: impl IntoIterator<Item = &'static str>) -> Object {
    string().enum_values(Some(values)).build()
}

/// Text as `BoundedText<MAX, MULTILINE>` accepts it: something besides white space, at most
/// `max` characters, no control characters (line breaks and tabs allowed when `multiline`).
pub fn text(max: usize, multiline: bool) -> Object {
    let c = if multiline {
        NO_CONTROL_MULTILINE
    } else {
        NO_CONTROL
    };
    string()
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!(r"^{c}*[^\s\u0000-\u001f\u007f-\u009f]{c}*$")))
        .build()
}

/// Text that may also be empty or blank (an empty comment, an empty note section).
pub fn optional_text(max: usize, multiline: bool) -> Object {
    let c = if multiline {
        NO_CONTROL_MULTILINE
    } else {
        NO_CONTROL
    };
    string()
        .max_length(Some(max))
        .pattern(Some(format!("^{c}*$")))
        .build()
}

pub fn label() -> Object {
    text(120, false)
}

pub fn name() -> Object {
    text(120, false)
}

pub fn reason() -> Object {
    text(2000, true)
}

pub fn title() -> Object {
    text(200, false)
}

pub fn instructions() -> Object {
    text(4000, true)
}

pub fn prompt_label() -> Object {
    text(1000, true)
}

pub fn option() -> Object {
    text(200, false)
}

pub fn end_label() -> Object {
    text(60, false)
}

pub fn review_comment() -> Object {
    optional_text(4000, true)
}

pub fn note_section() -> Object {
    optional_text(40_000, true)
}

pub fn addendum() -> Object {
    text(20_000, true)
}

pub fn location_detail() -> Object {
    optional_text(300, false)
}

/// An email address as `EmailAddress::parse` accepts it (ASCII here; the parser also takes
/// letters of other scripts).
pub fn email() -> Object {
    let atom = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
    let label = "[A-Za-z0-9]([A-Za-z0-9-]{0,20}[A-Za-z0-9])?";
    string()
        .max_length(Some(254))
        .pattern(Some(format!(
            r"^{atom}{{1,20}}(\.{atom}{{1,20}}){{0,2}}@{label}(\.{label}){{1,3}}$"
        )))
        .build()
}

/// An IANA time zone name from the tz database the server knows.
pub fn time_zone() -> Object {
    keys(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
}

/// `YYYY-MM-DD` with a year from 1900 to 2200 (a couple's dates).
pub fn couple_date() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-[0-9]{2}-[0-9]{2}$"))
        .build()
}

/// `YYYY-MM-DD`.
pub fn date() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .build()
}

pub fn uuid() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .build()
}

pub fn stage() -> Object {
    keys(Stage::ALL.iter().map(|s| s.key()))
}

pub fn marker() -> Object {
    keys(Marker::ALL.iter().map(|m| m.key()))
}

pub fn rating() -> Object {
    keys(Rating::ALL.iter().map(|r| r.key()))
}

pub fn couple_status() -> Object {
    keys(CoupleStatus::ALL.iter().map(|s| s.key()))
}

pub fn role() -> Object {
    keys(PartnerRole::BOTH.iter().map(|r| r.key()))
}

pub fn recipient() -> Object {
    keys(Recipient::ALL.iter().map(|r| r.key()))
}

pub fn visibility() -> Object {
    keys(["counselor_only", "shareable"])
}

pub fn recurrence() -> Object {
    keys(["daily", "weekly"])
}

pub fn attendance() -> Object {
    keys(Attendance::ALL.iter().map(|a| a.key()))
}

pub fn location() -> Object {
    keys(["office", "video"])
}

pub fn note_format() -> Object {
    keys(NoteFormat::ALL.iter().map(|f| f.key()))
}

pub fn prompt_kind() -> Object {
    keys([
        "long_text",
        "short_text",
        "scale",
        "single_choice",
        "checklist",
    ])
}

/// A prompt key: 1 to 40 characters of a-z, 0-9 and `_`.
pub fn prompt_key() -> Object {
    string()
        .pattern(Some("^[a-z0-9_]{1,40}$"))
        .min_length(Some(1))
        .max_length(Some(40))
        .build()
}

/// Wraps a schema so that JSON `null` is accepted as well (an optional field sent as null).
pub fn nullable(schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
    use utoipa::openapi::schema::OneOfBuilder;
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new()
            .item(schema.into())
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .build(),
    ))
}

/// The same schemas for optional body fields, which JSON `null` leaves out as well.
pub mod or_null {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::Schema;

    use super::nullable;

    macro_rules! or_null {
        ($($name:ident),* $(,)?) => {$(
            pub fn $name() -> RefOr<Schema> {
                nullable(super::$name())
            }
        )*};
    }

    or_null!(
        label,
        name,
        email,
        time_zone,
        couple_date,
        couple_status,
        uuid,
        option_list,
        end_label,
        review_comment,
        note_section,
        location,
        location_detail,
        attendance,
        rfc3339,
        due_at,
    );
}

/// 2 to 20 choices of a `single_choice` or `checklist` prompt, each listed once.
pub fn option_list() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(option())
        .min_items(Some(2))
        .max_items(Some(20))
        .unique_items(true)
        .build()
}

/// An RFC 3339 date-time (`2026-05-01T17:30:00+02:00`).
pub fn rfc3339() -> Object {
    string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
}

/// An RFC 3339 date-time, or a local date-time without offset (`2026-05-01T19:00`) read in the
/// body's `time_zone`.
pub fn due_at() -> RefOr<Schema> {
    use utoipa::openapi::schema::OneOfBuilder;
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new()
            .item(rfc3339())
            .item(
                string()
                    .pattern(Some(
                        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?$",
                    ))
                    .build(),
            )
            .build(),
    ))
}

/// One or both partners, each once.
pub fn assignees() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(role())
        .min_items(Some(1))
        .max_items(Some(2))
        .unique_items(true)
        .build()
}

//! Query strings, read the way [`ApiJson`](super::json::ApiJson) reads bodies: `ApiQuery<T>`
//! deserializes the query into `T` with serde (`serde_urlencoded`), and anything wrong is a 422
//! problem whose `errors` name each parameter: a key `T` does not declare (`T` denies unknown
//! fields), a key given twice, a value of the wrong type or out of range. Every wrong parameter
//! is named, not only the first, and no message repeats the value that was sent.
//!
//! The same types describe the parameters in the OpenAPI document: query structs derive
//! `IntoParams`, and their fields use the value types below ([`Key`], [`Bounded`], [`Day`],
//! [`Text`]), which carry both their JSON Schema and the words of their error message.

use std::collections::HashSet;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::NaiveDate;
use kintsugi_core::FieldErrors;
use kintsugi_core::couples::caseload::{CaseloadSort, StageFilter};
use kintsugi_core::couples::{CoupleStatus, PartnerRole};
use kintsugi_core::homework::Recipient;
use kintsugi_core::stages::Stage;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::schema;
use crate::error::{ApiError, AppError};

/// A query string of the type `T`, or a 422 naming every parameter that is wrong.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or_default())
            .map(ApiQuery)
            .map_err(ApiError)
    }
}

impl<T> ApiQuery<T> {
    /// For a handler that checks other parts of the request as well (a path segment) and names
    /// every problem in one answer: the query, or `None` with its problems added to `errors`.
    pub fn or_errors(
        query: Result<Self, ApiError>,
        errors: &mut FieldErrors,
    ) -> Result<Option<T>, ApiError> {
        match query {
            Ok(ApiQuery(value)) => Ok(Some(value)),
            Err(ApiError(AppError::Invalid(found))) => {
                for (field, message) in found.iter() {
                    errors.add(field, message);
                }
                Ok(None)
            }
            Err(other) => Err(other),
        }
    }
}

/// At most this many problems are listed; a query with more gets the first ones.
const MAX_ERRORS: usize = 20;
/// An unknown key is named by at most this many characters.
const MAX_KEY_CHARS: usize = 60;

/// Read a raw query string (without the `?`) into `T`.
pub fn parse<T: DeserializeOwned>(raw: &str) -> Result<T, AppError> {
    let mut errors = FieldErrors::new();
    let mut listed = 0;
    let (mut seen, mut unknown, mut repeated) = (HashSet::new(), HashSet::new(), HashSet::new());
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        if listed == MAX_ERRORS {
            break;
        }
        let Some((key, _)) = url::form_urlencoded::parse(pair.as_bytes()).next() else {
            continue;
        };
        let key = key.into_owned();
        let problem = if seen.contains(&key) {
            // Named once; an unknown key only as unknown.
            (!unknown.contains(&key) && repeated.insert(key.clone()))
                .then(|| "must be given once, not repeated".to_owned())
        } else {
            // Each parameter is read alone, so that every wrong one is named, not only the first.
            let problem = serde_urlencoded::from_str::<T>(pair)
                .err()
                .and_then(|e| message(&e.to_string()));
            if problem.as_deref() == Some(UNKNOWN) {
                unknown.insert(key.clone());
            }
            problem
        };
        if let Some(message) = problem {
            errors.add(field_name(&key), message);
            listed += 1;
        }
        seen.insert(key);
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    // Each parameter is fine alone; together they can still lack a required one.
    serde_urlencoded::from_str::<T>(raw).map_err(|e| {
        let text = e.to_string();
        let mut errors = FieldErrors::new();
        match text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
        {
            Some((field, _)) => errors.add(field, "is required"),
            None => errors.add("query", "could not be read"),
        }
        AppError::Invalid(errors)
    })
}

const UNKNOWN: &str = "is not a known parameter";

/// What to say about one parameter read alone, from serde's error; `None` when it is only that
/// another parameter is required.
fn message(serde_message: &str) -> Option<String> {
    if serde_message.starts_with("unknown field `") {
        Some(UNKNOWN.to_owned())
    } else if serde_message.starts_with("missing field `") {
        None
    } else if serde_message.starts_with("must ") {
        // The value types below: words for people that never repeat the value.
        Some(serde_message.to_owned())
    } else {
        // A type without its own message (serde's would quote the value).
        Some("is not a valid value".to_owned())
    }
}

/// The key as the field name of an error, cut short if it is long.
fn field_name(key: &str) -> String {
    match key.char_indices().nth(MAX_KEY_CHARS) {
        Some((at, _)) => format!("{}…", &key[..at]),
        None => key.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Value types: each reads one parameter, says what it expects, and is its own JSON Schema.

/// A type whose values are a fixed list of keys (`status=active`).
pub trait QueryKey: Sized {
    /// Every key, in the order the document and the error message list them.
    fn keys() -> Vec<&'static str>;
    fn from_key(key: &str) -> Option<Self>;
}

/// One of the keys of `T`; anything else is refused with the list of keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<T>(pub T);

/// "a, b or c".
fn one_of(keys: &[&str]) -> String {
    match keys.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    }
}

impl<'de, T: QueryKey> Deserialize<'de> for Key<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        T::from_key(&raw)
            .map(Key)
            .ok_or_else(|| D::Error::custom(format!("must be {}", one_of(&T::keys()))))
    }
}

impl<T: QueryKey> PartialSchema for Key<T> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(T::keys()))
            .into()
    }
}

impl<T: QueryKey> ToSchema for Key<T> {}

/// A whole number from `MIN` to `MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounded<const MIN: u64, const MAX: u64>(pub u64);

impl<'de, const MIN: u64, const MAX: u64> Deserialize<'de> for Bounded<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        raw.parse::<u64>()
            .ok()
            .filter(|n| (MIN..=MAX).contains(n))
            .map(Bounded)
            .ok_or_else(|| D::Error::custom(format!("must be a whole number from {MIN} to {MAX}")))
    }
}

impl<const MIN: u64, const MAX: u64> PartialSchema for Bounded<MIN, MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(MIN as f64))
            .maximum(Some(MAX as f64))
            .into()
    }
}

impl<const MIN: u64, const MAX: u64> ToSchema for Bounded<MIN, MAX> {}

/// A calendar day, `YYYY-MM-DD`. (Not named `Date`: utoipa would take that for a plain string
/// with a date format, and leave out this schema's pattern.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub NaiveDate);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map(Day)
            .map_err(|_| D::Error::custom("must be a date such as 2026-03-31"))
    }
}

impl PartialSchema for Day {
    fn schema() -> RefOr<Schema> {
        schema::date().into()
    }
}

impl ToSchema for Day {}

/// Free text of at most `MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text<const MAX: usize>(pub String);

impl<'de, const MAX: usize> Deserialize<'de> for Text<MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        if raw.chars().nth(MAX).is_some() {
            return Err(D::Error::custom(format!(
                "must be at most {MAX} characters"
            )));
        }
        Ok(Text(raw))
    }
}

impl<const MAX: usize> PartialSchema for Text<MAX> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .max_length(Some(MAX))
            .into()
    }
}

impl<const MAX: usize> ToSchema for Text<MAX> {}

// ---------------------------------------------------------------------------------------------
// The keys of the core types that API parameters name. Each `Key<T>` gets a name of its own:
// utoipa builds the schema of a generic type from its arguments' schemas, which the core types
// do not have, and reads an alias as a plain type whose schema is `Key::<T>::schema()`.

macro_rules! query_keys {
    ($($alias:ident: $ty:ty => $all:expr),* $(,)?) => {$(
        impl QueryKey for $ty {
            fn keys() -> Vec<&'static str> {
                $all.iter().map(|v| v.key()).collect()
            }
            fn from_key(key: &str) -> Option<Self> {
                <$ty>::from_key(key)
            }
        }
        pub type $alias = Key<$ty>;
    )*};
}

query_keys!(
    CoupleStatusKey: CoupleStatus => CoupleStatus::ALL,
    CaseloadSortKey: CaseloadSort => CaseloadSort::ALL,
    StageKey: Stage => Stage::ALL,
    RecipientKey: Recipient => Recipient::ALL,
    RoleKey: PartnerRole => PartnerRole::BOTH,
);

/// A stage key, or `complete`: all six stages complete.
pub type StageFilterKey = Key<StageFilter>;

impl QueryKey for StageFilter {
    fn keys() -> Vec<&'static str> {
        Stage::ALL
            .iter()
            .map(|s| s.key())
            .chain([StageFilter::AllComplete.key()])
            .collect()
    }

    fn from_key(key: &str) -> Option<Self> {
        StageFilter::from_key(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Params {
        page: Option<Bounded<1, 1000>>,
        status: Option<Key<CoupleStatus>>,
        from: Option<Day>,
        q: Option<Text<5>>,
    }

    fn fields(raw: &str) -> Vec<(String, String)> {
        match parse::<Params>(raw) {
            Err(AppError::Invalid(errors)) => errors
                .iter()
                .map(|(f, m)| (f.to_owned(), m.to_owned()))
                .collect(),
            other => panic!("{raw}: expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn reads_typed_values() {
        let p = parse::<Params>("page=3&status=paused&from=2026-03-31&q=a%20b").expect("valid");
        assert_eq!(p.page, Some(Bounded(3)));
        assert_eq!(p.status, Some(Key(CoupleStatus::Paused)));
        assert_eq!(
            p.from.map(|d| d.0.to_string()).as_deref(),
            Some("2026-03-31")
        );
        assert_eq!(p.q, Some(Text("a b".to_owned())));
        let empty = parse::<Params>("").expect("valid");
        assert!(empty.page.is_none() && empty.status.is_none());
    }

    #[test]
    fn names_every_wrong_parameter_in_order() {
        assert_eq!(
            fields("page=0&status=ACTIVE&from=yesterday&q=toolong&owner=1"),
            [
                ("page", "must be a whole number from 1 to 1000"),
                ("status", "must be active, paused or closed"),
                ("from", "must be a date such as 2026-03-31"),
                ("q", "must be at most 5 characters"),
                ("owner", "is not a known parameter"),
            ]
            .map(|(f, m)| (f.to_owned(), m.to_owned()))
        );
    }

    #[test]
    fn repeated_keys_are_refused_once() {
        assert_eq!(
            fields("page=1&page=2&page=3"),
            [(
                "page".to_owned(),
                "must be given once, not repeated".to_owned()
            )]
        );
        // An unknown key is named once, as unknown.
        assert_eq!(
            fields("x=1&x=2"),
            [("x".to_owned(), "is not a known parameter".to_owned())]
        );
    }

    #[test]
    fn hostile_values_are_never_echoed() {
        let long = "9".repeat(10_000);
        for raw in [
            format!("page={long}"),
            format!("status={long}"),
            format!("from={long}"),
            format!("q={long}"),
            "page=%FF%FE".to_owned(),
            "status=%00".to_owned(),
            "page".to_owned(),
        ] {
            for (field, message) in fields(&raw) {
                assert!(!message.contains("999"), "{raw}: {message}");
                assert!(!message.contains('\u{fffd}'), "{raw}: {message}");
                assert!(["page", "status", "from", "q"].contains(&field.as_str()));
            }
        }
        let (field, _) = fields(&format!("{long}=1")).remove(0);
        assert!(field.chars().count() <= MAX_KEY_CHARS + 1, "{field}");
        assert_eq!(fields(&"x=1&".repeat(10_000)).len(), 1);
        let many: String = (0..1000).map(|i| format!("k{i}=1&")).collect();
        assert_eq!(fields(&many).len(), MAX_ERRORS);
    }

    #[test]
    fn empty_pairs_and_bare_keys() {
        assert!(parse::<Params>("&&&").is_ok());
        assert_eq!(
            fields("status"),
            [(
                "status".to_owned(),
                "must be active, paused or closed".to_owned()
            )]
        );
    }

    #[test]
    fn key_lists_read_as_words() {
        assert_eq!(one_of(&["a"]), "a");
        assert_eq!(one_of(&["a", "b", "c"]), "a, b or c");
        assert_eq!(
            StageFilter::keys().last().copied(),
            Some("complete"),
            "stage filters end with complete"
        );
    }
}

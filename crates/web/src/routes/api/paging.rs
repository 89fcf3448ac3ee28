//! The one way API lists are paged: `?page=` (1-based, at most 1,000,000) and `?per_page=`
//! (1 to 100, a default per list), read by [`ApiQuery`](super::query::ApiQuery) like any other
//! parameter. Every list answers `{"items": [...], "next": <the next page's URL or null>}`.

use serde::Deserialize;
use utoipa::IntoParams;

use super::query::Bounded;

pub const MAX_PAGE: u64 = 1_000_000;
pub const MAX_PER_PAGE: u64 = 100;

/// `?page=`: 1 to [`MAX_PAGE`].
pub type PageNumber = Bounded<1, MAX_PAGE>;
/// `?per_page=`: 1 to [`MAX_PER_PAGE`].
pub type PerPage = Bounded<1, MAX_PER_PAGE>;

/// The parameters of a list that has no others: a couple's homework, a couple's sessions.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number.
    #[param(inline)]
    page: Option<PageNumber>,
    /// 1 to 100, default 50.
    #[param(inline)]
    per_page: Option<PerPage>,
}

impl PageParams {
    pub const DEFAULT_PER_PAGE: u64 = 50;

    pub fn paging(&self) -> Paging {
        Paging::new(self.page, self.per_page, Self::DEFAULT_PER_PAGE)
    }
}

/// Which page of a list to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
}

impl Paging {
    /// The page asked for (the first by default), `default_per_page` items a page unless
    /// `per_page` says otherwise.
    pub fn new(page: Option<PageNumber>, per_page: Option<PerPage>, default_per_page: u64) -> Self {
        Paging {
            page: page.map_or(1, |p| p.0),
            per_page: per_page.map_or(default_per_page, |p| p.0),
        }
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        (self.page - 1).saturating_mul(self.per_page)
    }

    /// This page of a whole list (already in order), and whether more items follow it.
    pub fn cut<T>(self, all: &[T]) -> (&[T], bool) {
        let at = |n: u64| usize::try_from(n).unwrap_or(usize::MAX).min(all.len());
        let start = at(self.offset());
        let end = at(self.offset().saturating_add(self.per_page));
        (&all[start..end], end < all.len())
    }

    /// The URL of the next page when `more` follow: `path?page=…&per_page=…` and the list's
    /// other parameters, so that following `next` keeps the filters.
    pub fn next(self, more: bool, path: &str, other: &[(&str, &str)]) -> Option<String> {
        more.then(|| {
            let (page, per_page) = ((self.page + 1).to_string(), self.per_page.to_string());
            let mut params = vec![("page", page.as_str()), ("per_page", per_page.as_str())];
            params.extend_from_slice(other);
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(params).unwrap_or_default()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paging(page: u64, per_page: u64) -> Paging {
        Paging { page, per_page }
    }

    #[test]
    fn defaults_are_the_first_page() {
        assert_eq!(Paging::new(None, None, 25), paging(1, 25));
        assert_eq!(
            Paging::new(Some(Bounded(3)), Some(Bounded(10)), 25),
            paging(3, 10)
        );
    }

    #[test]
    fn cuts_a_page_and_says_whether_more_follow() {
        let all: Vec<u32> = (1..=5).collect();
        assert_eq!(paging(1, 2).cut(&all), (&all[0..2], true));
        assert_eq!(paging(3, 2).cut(&all), (&all[4..5], false));
        assert_eq!(paging(2, 5).cut(&all), (&all[5..5], false));
        assert_eq!(
            paging(MAX_PAGE, MAX_PER_PAGE).cut(&all),
            (&all[5..5], false)
        );
        assert_eq!(paging(MAX_PAGE, MAX_PER_PAGE).offset(), 99_999_900);
    }

    #[test]
    fn the_next_link_keeps_the_other_parameters() {
        assert_eq!(paging(1, 2).next(false, "/api/v1/x", &[]), None);
        assert_eq!(
            paging(1, 2).next(true, "/api/v1/x", &[("q", "a&b c"), ("sort", "label")]),
            Some("/api/v1/x?page=2&per_page=2&q=a%26b+c&sort=label".to_owned())
        );
    }
}

//! "The first few, and a link to the rest." Lists that grow with a couple's history (a day's
//! sessions, a partner's finished homework, a couple's past assignments) show a fixed number
//! unless every item is asked for, so that a long history does not cost every view.

/// How much of a list to show: the first `shown` items, or all of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortList {
    shown: usize,
    all: bool,
}

impl ShortList {
    pub fn new(shown: usize, all: bool) -> Self {
        Self { shown, all }
    }

    /// From a page's query parameter: `all` shows everything, any other value the first few.
    pub fn from_param(shown: usize, param: &str) -> Self {
        Self::new(shown, param == "all")
    }

    /// Every item.
    pub fn everything() -> Self {
        Self::new(0, true)
    }

    /// The `LIMIT` for a query: one more than is shown, to learn whether there are more.
    pub fn query_limit(self) -> Option<u64> {
        (!self.all).then(|| {
            u64::try_from(self.shown)
                .unwrap_or(u64::MAX)
                .saturating_add(1)
        })
    }

    /// What is shown of `items` (already in display order), and how many are left off (of a
    /// query cut by [`query_limit`](Self::query_limit): 1 when there are more).
    pub fn cut<T>(self, mut items: Vec<T>) -> (Vec<T>, usize) {
        if self.all {
            return (items, 0);
        }
        let hidden = items.len().saturating_sub(self.shown);
        items.truncate(self.shown);
        (items, hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_few_unless_all_are_asked_for() {
        let list = ShortList::from_param(2, "");
        assert_eq!(list.query_limit(), Some(3));
        assert_eq!(list.cut(vec![1, 2, 3]), (vec![1, 2], 1));
        assert_eq!(list.cut(vec![1, 2]), (vec![1, 2], 0));
        let all = ShortList::from_param(2, "all");
        assert_eq!(all, ShortList::new(2, true));
        assert_eq!(all.query_limit(), None);
        assert_eq!(all.cut(vec![1, 2, 3]), (vec![1, 2, 3], 0));
        assert_eq!(ShortList::from_param(2, "ALL").query_limit(), Some(3));
        assert_eq!(ShortList::everything().cut(vec![1]), (vec![1], 0));
    }
}

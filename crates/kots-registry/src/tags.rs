//! Listings: `GET /v2/NAME/tags/list` and `GET /v2/_catalog`, sorted, paginated with `n` and
//! `last`, and a link to the next page when there is one.

use crate::Registry;
use crate::access::Authenticated;
use crate::error::{Error, Result};
use crate::request::Page;

/// Catalog pages hold at most this many names; tag lists are whole unless `n` is given.
const MAX_CATALOG_PAGE: usize = 1000;

/// Where the next page of a list starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPage {
    pub limit: usize,
    pub last: String,
}

/// One page of a repository's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagList {
    pub repository: String,
    pub tags: Vec<String>,
    pub next: Option<NextPage>,
}

/// One page of the repositories a principal may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub repositories: Vec<String>,
    pub next: Option<NextPage>,
}

/// Cuts `items` (fetched one more than asked, to know whether a next page exists) to `limit`.
fn paginate(mut items: Vec<String>, limit: usize) -> (Vec<String>, Option<NextPage>) {
    let more = items.len() > limit;
    items.truncate(limit);
    let next = match items.last() {
        Some(last) if more => Some(NextPage { limit, last: last.clone() }),
        _ => None,
    };
    (items, next)
}

impl Registry {
    pub(crate) async fn tags(&self, name: &str, page: Page) -> Result<TagList> {
        let Page { limit, last } = page;
        let limit = limit.unwrap_or(usize::MAX - 1);
        let tags = match self.remote_for(name) {
            // The remote gives every tag; the page is cut here as the store would cut it.
            Some(remote) => page_of(remote.tags(name).await?, last.as_deref(), limit + 1),
            None => {
                if !self.metadata.repository_exists(name).await? {
                    return Err(Error::NameUnknown(name.to_owned()));
                }
                if limit == 0 { Vec::new() } else { self.metadata.list_tags(name, last.as_deref(), limit + 1).await? }
            }
        };
        let (tags, next) = paginate(tags, limit);
        Ok(TagList { repository: name.to_owned(), tags, next })
    }

    /// Lists the repositories `who` may see: all of them when the registry runs open or the
    /// policy restricts nothing, else only those under the policy's prefixes for `who`, each
    /// prefix read by range from the metadata store. The cost grows with what `who` may see,
    /// never with other tenants' repositories.
    pub(crate) async fn catalog(&self, page: Page, who: Option<&Authenticated>) -> Result<Catalog> {
        let Page { limit, last } = page;
        let limit = limit.unwrap_or(MAX_CATALOG_PAGE).min(MAX_CATALOG_PAGE);
        if limit == 0 {
            return Ok(Catalog { repositories: Vec::new(), next: None });
        }
        // One more than asked, to know whether there is a next page.
        let names = match self.listable_prefixes(who).await? {
            None => self.metadata.list_repositories(last.as_deref(), limit + 1).await?,
            Some(prefixes) => {
                let mut names = Vec::new();
                for prefix in disjoint_prefixes(prefixes) {
                    if names.len() > limit {
                        break;
                    }
                    // A prefix whose names all sort before the page's start has nothing for it.
                    if last.as_deref().is_some_and(|last| last > prefix.as_str() && !last.starts_with(&prefix)) {
                        continue;
                    }
                    let wanted = limit + 1 - names.len();
                    names.extend(self.metadata.list_repositories_under(&prefix, last.as_deref(), wanted).await?);
                }
                names
            }
        };
        let (repositories, next) = paginate(names, limit);
        Ok(Catalog { repositories, next })
    }
}

/// At most `wanted` of `tags`, sorted, without repeats, after `last`, as the store lists them.
fn page_of(mut tags: Vec<String>, last: Option<&str>, wanted: usize) -> Vec<String> {
    tags.sort();
    tags.dedup();
    tags.retain(|tag| last.is_none_or(|last| tag.as_str() > last));
    tags.truncate(wanted);
    tags
}

/// Sorted prefixes, none inside another, so that listing each in turn gives every name once and
/// in order.
fn disjoint_prefixes(mut prefixes: Vec<String>) -> Vec<String> {
    prefixes.sort();
    let mut kept: Vec<String> = Vec::new();
    for prefix in prefixes {
        if !kept.last().is_some_and(|previous| prefix.starts_with(previous.as_str())) {
            kept.push(prefix);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_tags_are_paged_as_stored_ones() {
        let tags = ["b", "a", "c", "a"].map(str::to_owned).to_vec();
        assert_eq!(page_of(tags.clone(), None, usize::MAX), ["a", "b", "c"]);
        assert_eq!(page_of(tags.clone(), Some("a"), 1), ["b"]);
        assert_eq!(page_of(tags.clone(), Some("c"), 5), Vec::<String>::new());
        assert_eq!(page_of(tags, None, 0), Vec::<String>::new());
    }

    #[test]
    fn prefixes_are_sorted_and_disjoint() {
        let prefixes = ["b/", "a/", "a/x/", "ab/", "b/"].map(str::to_owned).to_vec();
        assert_eq!(disjoint_prefixes(prefixes), ["a/", "ab/", "b/"]);
    }
}

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
        if !self.metadata.repository_exists(name).await? {
            return Err(Error::NameUnknown(name.to_owned()));
        }
        let limit = limit.unwrap_or(usize::MAX - 1);
        let tags =
            if limit == 0 { Vec::new() } else { self.metadata.list_tags(name, last.as_deref(), limit + 1).await? };
        let (tags, next) = paginate(tags, limit);
        Ok(TagList { repository: name.to_owned(), tags, next })
    }

    /// Lists the repositories `who` may pull (all of them when the registry runs open).
    pub(crate) async fn catalog(&self, page: Page, who: Option<&Authenticated>) -> Result<Catalog> {
        let Page { limit, last } = page;
        let limit = limit.unwrap_or(MAX_CATALOG_PAGE).min(MAX_CATALOG_PAGE);
        let mut names = Vec::new();
        let mut cursor = last;
        // Read in batches until the page (plus one, to know if there is more) is full of names
        // the principal may see.
        while limit > 0 && names.len() <= limit {
            let batch = self.metadata.list_repositories(cursor.as_deref(), MAX_CATALOG_PAGE).await?;
            let Some(final_name) = batch.last().cloned() else { break };
            for name in batch {
                if names.len() > limit {
                    break;
                }
                if self.may_list(who, &name).await? {
                    names.push(name);
                }
            }
            cursor = Some(final_name);
        }
        let (repositories, next) = paginate(names, limit);
        Ok(Catalog { repositories, next })
    }
}

//! Listings: `GET /v2/NAME/tags/list` and `GET /v2/_catalog`, sorted, paginated with `n` and
//! `last`, and a `Link` header to the next page.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Registry;
use crate::auth::Authenticated;
use crate::error::{Error, Result};
use crate::server::Incoming;

/// Catalog pages hold at most this many names; tag lists are whole unless `n` is given.
const MAX_CATALOG_PAGE: usize = 1000;

struct Page {
    limit: Option<usize>,
    last: Option<String>,
}

fn page(incoming: &Incoming) -> Result<Page> {
    let limit = incoming
        .query
        .get("n")
        .map(|n| {
            n.parse::<usize>().map_err(|_| Error::PaginationInvalid(format!("`n={n}` is not a number of entries")))
        })
        .transpose()?;
    Ok(Page { limit, last: incoming.query.get("last").cloned() })
}

/// Fetches one more than asked, to know whether a next page exists.
fn respond(mut items: Vec<String>, limit: usize, link_base: &str, body: serde_json::Value, key: &str) -> Response {
    let more = items.len() > limit;
    items.truncate(limit);
    let mut body = body;
    body[key] = json!(items);
    let mut response = Json(body).into_response();
    if more && let Some(last) = items.last() {
        let link = format!("<{link_base}?n={limit}&last={last}>; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

impl Registry {
    pub(crate) async fn tags(&self, name: &str, incoming: Incoming) -> Result<Response> {
        let Page { limit, last } = page(&incoming)?;
        if !self.metadata.repository_exists(name).await? {
            return Err(Error::NameUnknown(name.to_owned()));
        }
        let limit = limit.unwrap_or(usize::MAX - 1);
        let tags =
            if limit == 0 { Vec::new() } else { self.metadata.list_tags(name, last.as_deref(), limit + 1).await? };
        Ok(respond(tags, limit, &format!("/v2/{name}/tags/list"), json!({ "name": name }), "tags"))
    }

    /// Lists the repositories `who` may pull (all of them when the registry runs open).
    pub(crate) async fn catalog(&self, incoming: Incoming, who: Option<&Authenticated>) -> Result<Response> {
        let Page { limit, last } = page(&incoming)?;
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
        Ok(respond(names, limit, "/v2/_catalog", json!({}), "repositories"))
    }
}

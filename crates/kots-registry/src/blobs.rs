//! Reading and deleting blobs: `GET` (whole or one `Range`), `HEAD`, `DELETE`. A blob is served
//! only through a repository that links it.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kots_oci::Digest;

use crate::Registry;
use crate::error::{Error, Result};
use crate::server::Incoming;

/// One byte range of a blob of `size` bytes, from a `Range` header: `bytes=A-B`, `bytes=A-`
/// or `bytes=-N`, as inclusive `(first, last)`. `None` if it is malformed or unsatisfiable.
pub fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None; // several ranges: not supported, as in Distribution
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = (start.trim(), end.trim());
    let last = size.checked_sub(1)?;
    let range = if start.is_empty() {
        let suffix: u64 = end.parse().ok().filter(|&suffix| suffix > 0)?;
        (size.saturating_sub(suffix), last)
    } else {
        let start: u64 = start.parse().ok()?;
        let end = if end.is_empty() { last } else { end.parse::<u64>().ok()?.min(last) };
        (start, end)
    };
    (range.0 <= range.1 && range.0 < size).then_some(range)
}

impl Registry {
    /// `GET`, `HEAD`, `DELETE` on `/v2/NAME/blobs/DIGEST`.
    pub(crate) async fn blob(&self, name: &str, digest: &Digest, incoming: Incoming) -> Result<Response> {
        match incoming.method {
            Method::GET | Method::HEAD => {
                let size =
                    self.metadata.linked_blob(name, digest).await?.ok_or_else(|| Error::BlobUnknown(digest.clone()))?;
                let mut headers = HeaderMap::new();
                headers.insert("docker-content-digest", HeaderValue::from_str(&digest.to_string()).expect("valid"));
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
                headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
                headers.insert(header::ETAG, HeaderValue::from_str(&format!("\"{digest}\"")).expect("valid"));
                // Object storage configured to hand out downloads: the client fetches the bytes
                // from the store itself, through a short-lived signed URL.
                if incoming.method == Method::GET
                    && !incoming.headers.contains_key(header::RANGE)
                    && let Some(url) = self.blobs.download_url(digest).await?
                {
                    let location = HeaderValue::from_str(&url)
                        .map_err(|_| Error::internal("the object store signed an URL that is not a header value"))?;
                    headers.insert(header::LOCATION, location);
                    headers.remove(header::CONTENT_TYPE);
                    return Ok((StatusCode::TEMPORARY_REDIRECT, headers).into_response());
                }
                let range = match incoming.headers.get(header::RANGE).map(|value| value.to_str().unwrap_or("")) {
                    None => None,
                    Some(value) => Some(parse_range(value, size).ok_or_else(|| {
                        Error::RangeNotSatisfiable(
                            format!("Range `{value}` is not satisfiable for a blob of {size} bytes"),
                            size,
                        )
                    })?),
                };
                let (status, offset, length) = match range {
                    None => (StatusCode::OK, 0, size),
                    Some((start, end)) => {
                        let content_range = format!("bytes {start}-{end}/{size}");
                        headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&content_range).expect("valid"));
                        (StatusCode::PARTIAL_CONTENT, start, end - start + 1)
                    }
                };
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
                if incoming.method == Method::HEAD {
                    return Ok((status, headers).into_response());
                }
                let counter = self.metrics.bytes_sent.clone();
                let stream = self.blobs.read(digest, offset, length).await?.inspect(move |chunk| {
                    if let Ok(chunk) = chunk {
                        counter.increment(chunk.len() as u64);
                    }
                });
                Ok((status, headers, Body::from_stream(stream)).into_response())
            }
            Method::DELETE => {
                if self.metadata.unlink_blob(name, digest).await? {
                    Ok((StatusCode::ACCEPTED, [(header::CONTENT_LENGTH, "0")]).into_response())
                } else {
                    Err(Error::BlobUnknown(digest.clone()))
                }
            }
            _ => Err(Error::MethodNotAllowed(format!(
                "{} is not allowed on a blob; use GET, HEAD or DELETE",
                incoming.method
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(parse_range("bytes=-500", 100), Some((0, 99)));
        assert_eq!(parse_range("bytes=50-500", 100), Some((50, 99)));
        for bad in ["bytes=100-", "bytes=5-1", "items=0-1", "bytes=0-1,3-4", "bytes=-0", "bytes=x-1"] {
            assert_eq!(parse_range(bad, 100), None, "{bad}");
        }
        assert_eq!(parse_range("bytes=0-", 0), None);
    }
}

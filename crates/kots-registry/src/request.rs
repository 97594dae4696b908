//! The registry's edge, inbound: what a request says beyond its path, as typed values. Headers
//! (`Content-Length`, `Content-Range`, `Range`, `Accept`, `Content-Type`) and query parameters
//! (`?digest=`, `?mount=&from=`, `?n=&last=`, `?artifactType=`, `?scope=`, `?tag=`) are read here and
//! only here, so the concept modules never see a header and a malformed one is refused with
//! the right OCI code before any work starts.
//!
//! Two headers are kept with their text when they do not parse, because the refusal needs
//! facts only the registry knows: a chunk's `Content-Range` (the client must resume where the
//! session ends) and a blob's `Range` (the answer names the blob's size).

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri, header};
use base64::Engine;
use futures_util::{StreamExt, TryStreamExt};
use kots_oci::{Digest, media_type};

use crate::error::{Error, Result};
use crate::route::valid_name;
use crate::storage::ByteStream;

/// Manifests larger than this are refused, as Distribution and most registries do.
pub const MAX_MANIFEST_SIZE: usize = 4 * 1024 * 1024;

/// How much of an oversized manifest is drained before the connection is given up on.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// A request once its route is known and it is authorised: still raw, to be read by one of the
/// functions below for the route it is on.
pub struct Incoming {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: HashMap<String, String>,
    /// Every `tag` parameter, in order (`query` keeps only the last of repeated keys).
    pub tag_parameters: Vec<String>,
    pub body: ByteStream,
}

impl Incoming {
    /// `raw_query`: the query string as sent, for the parameters that may repeat.
    pub fn new(
        method: Method,
        headers: HeaderMap,
        query: HashMap<String, String>,
        raw_query: Option<&str>,
        body: Body,
    ) -> Incoming {
        Incoming {
            method,
            headers,
            query,
            tag_parameters: query_values(raw_query, "tag"),
            body: Box::pin(body.into_data_stream().map_err(std::io::Error::other)),
        }
    }

    fn content_length(&self) -> Result<Option<u64>> {
        content_length(&self.headers)
    }

    fn digest_parameter(&self) -> Result<Option<Digest>> {
        self.query.get("digest").map(|text| Digest::parse(text).map_err(Error::from)).transpose()
    }

    /// The body with its declared length.
    fn into_body(self) -> Result<RequestBody> {
        Ok(RequestBody { length: self.content_length()?, stream: self.body })
    }
}

/// A request's query string as a map (the last of repeated keys wins); empty if malformed.
pub fn parse_query(query: &str) -> HashMap<String, String> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(&query_uri(query))
        .map(|axum::extract::Query(map)| map)
        .unwrap_or_default()
}

fn query_uri(query: &str) -> Uri {
    format!("/?{query}").parse().unwrap_or_else(|_| Uri::from_static("/"))
}

/// Every value of a parameter that may repeat, in order.
fn query_values(query: Option<&str>, wanted: &str) -> Vec<String> {
    let pairs = query
        .and_then(|query| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&query_uri(query)).ok())
        .map(|axum::extract::Query(pairs)| pairs)
        .unwrap_or_default();
    pairs.into_iter().filter(|(key, _)| key == wanted).map(|(_, value)| value).collect()
}

/// The scopes `GET /token` asks for: every `scope` parameter, each possibly several
/// space-separated.
pub fn token_scopes(query: Option<&str>) -> Vec<String> {
    query_values(query, "scope")
        .into_iter()
        .flat_map(|value| value.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// How many `?tag=` one manifest push may set: enough for any release, few enough that one
/// request cannot make the registry write without end.
pub const MAX_TAG_PARAMETERS: usize = 64;

/// The tags of `PUT …/manifests/REFERENCE?tag=A&tag=B`, each checked against the tag grammar.
fn tag_parameters(values: &[String]) -> Result<Vec<String>> {
    if values.len() > MAX_TAG_PARAMETERS {
        return Err(Error::ManifestInvalid(format!(
            "{} `tag` parameters; one push may set at most {MAX_TAG_PARAMETERS} tags",
            values.len()
        )));
    }
    let mut tags: Vec<String> = Vec::with_capacity(values.len());
    for tag in values {
        kots_oci::reference::validate_tag(tag)
            .map_err(|reason| Error::ManifestInvalid(format!("invalid `tag` parameter `{tag}`: {reason}")))?;
        if !tags.contains(tag) {
            tags.push(tag.clone());
        }
    }
    Ok(tags)
}

/// `Content-Length`, if the request declares one.
pub fn content_length(headers: &HeaderMap) -> Result<Option<u64>> {
    headers
        .get(header::CONTENT_LENGTH)
        .map(|value| {
            value.to_str().ok().and_then(|text| text.trim().parse::<u64>().ok()).ok_or_else(|| {
                Error::SizeInvalid(format!("invalid Content-Length `{}`", String::from_utf8_lossy(value.as_bytes())))
            })
        })
        .transpose()
}

/// HTTP Basic credentials: `None` without an `Authorization: Basic` header, `Err` if it does not
/// decode to `user:password`.
pub fn basic_credentials(headers: &HeaderMap) -> Option<std::result::Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let text = value.to_str().ok()?;
    let encoded = text.strip_prefix("Basic ").or_else(|| text.strip_prefix("basic "))?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.split_once(':').map(|(user, password)| (user.to_owned(), password.to_owned())))
            .ok_or(()),
    )
}

/// A body of bytes and the length the request declared for it.
pub struct RequestBody {
    pub length: Option<u64>,
    pub stream: ByteStream,
}

/// A header that is present but does not parse, as the client sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// `Content-Range: START-END` (inclusive) of a chunk, as OCI chunked uploads send it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContentRange {
    pub start: u64,
    pub end: u64,
}

impl ContentRange {
    /// `START-END`; `bytes START-END/*` and `bytes=START-END` are accepted too.
    pub fn parse(value: &str) -> Option<ContentRange> {
        let value = value.trim();
        let value = value.strip_prefix("bytes").map_or(value, |rest| rest.trim_start_matches([' ', '=']));
        let value = value.split_once('/').map_or(value, |(range, _total)| range);
        let (start, end) = value.split_once('-')?;
        let (start, end): (u64, u64) = (start.trim().parse().ok()?, end.trim().parse().ok()?);
        (start <= end).then_some(ContentRange { start, end })
    }

    /// How many bytes the range covers (never zero: `START-END` is inclusive).
    pub fn length(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// One byte range of a `Range: bytes=…` header, before the blob's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=A-B`
    Between(u64, u64),
    /// `bytes=A-`
    From(u64),
    /// `bytes=-N`: the last N bytes.
    Last(u64),
}

impl ByteRange {
    /// One range; several (`bytes=0-1,3-4`) are not supported, as in Distribution.
    pub fn parse(value: &str) -> Option<ByteRange> {
        let spec = value.trim().strip_prefix("bytes=")?;
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() {
            return end.parse().ok().filter(|&suffix| suffix > 0).map(ByteRange::Last);
        }
        let start: u64 = start.parse().ok()?;
        if end.is_empty() { Some(ByteRange::From(start)) } else { Some(ByteRange::Between(start, end.parse().ok()?)) }
    }

    /// The inclusive `(first, last)` bytes of a blob of `size` bytes; `None` if unsatisfiable.
    pub fn resolve(self, size: u64) -> Option<(u64, u64)> {
        let last = size.checked_sub(1)?;
        let range = match self {
            ByteRange::Last(suffix) => (size.saturating_sub(suffix), last),
            ByteRange::From(start) => (start, last),
            ByteRange::Between(start, end) => (start, end.min(last)),
        };
        (range.0 <= range.1 && range.0 < size).then_some(range)
    }
}

/// A `Range` header as sent, and the range it names if it parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRequest {
    pub text: String,
    pub range: Option<ByteRange>,
}

impl RangeRequest {
    /// The inclusive bytes wanted of a blob of `size` bytes; `None` if malformed or unsatisfiable.
    pub fn resolve(&self, size: u64) -> Option<(u64, u64)> {
        self.range.and_then(|range| range.resolve(size))
    }
}

fn not_allowed(method: &Method, what: &str, allowed: &str) -> Error {
    Error::MethodNotAllowed(format!("{method} is not allowed on {what}; use {allowed}"))
}

/// `?n=` and `?last=` of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: Option<usize>,
    pub last: Option<String>,
}

/// The largest `?n=` taken as asked; a larger one (up to any number of digits) asks for all and
/// is clamped to this, which no list reaches: `n=18446744073709551615` overflowed into an empty
/// page.
pub const MAX_PAGE_REQUEST: usize = u32::MAX as usize;

/// `GET /v2/_catalog` or `GET /v2/NAME/tags/list` (`what` names the list for the refusal).
pub fn list(incoming: &Incoming, what: &str) -> Result<Page> {
    if incoming.method != Method::GET {
        return Err(not_allowed(&incoming.method, what, "GET"));
    }
    let limit = incoming
        .query
        .get("n")
        .map(|n| {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::PaginationInvalid(format!("`n={n}` is not a number of entries")));
            }
            Ok(n.parse::<usize>().unwrap_or(usize::MAX).min(MAX_PAGE_REQUEST))
        })
        .transpose()?;
    Ok(Page { limit, last: incoming.query.get("last").cloned() })
}

/// `GET /v2/NAME/referrers/DIGEST`: the `artifactType` to keep, if filtered.
pub fn referrers(incoming: &Incoming) -> Result<Option<String>> {
    if incoming.method != Method::GET {
        return Err(not_allowed(&incoming.method, "referrers", "GET"));
    }
    Ok(incoming.query.get("artifactType").cloned())
}

/// `?mount=DIGEST&from=REPOSITORY`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub digest: Digest,
    /// `None` when absent or not a repository name: nothing to mount from, only the fallback.
    pub from: Option<String>,
}

/// `POST /v2/NAME/blobs/uploads/`
pub enum StartUpload {
    /// A cross-repository mount (or, failing it, a new session).
    Mount(Mount),
    /// The whole blob in this request (`?digest=`).
    Monolithic { digest: Digest, body: RequestBody },
    /// A new session, with its first bytes if the request carries any.
    Session { body: Option<RequestBody> },
}

pub fn start_upload(incoming: Incoming) -> Result<StartUpload> {
    if incoming.method != Method::POST {
        return Err(not_allowed(&incoming.method, "the uploads endpoint", "POST"));
    }
    if let Some(mount) = incoming.query.get("mount") {
        let digest = Digest::parse(mount)?;
        let from = incoming.query.get("from").filter(|from| valid_name(from).is_ok()).cloned();
        return Ok(StartUpload::Mount(Mount { digest, from }));
    }
    let length = incoming.content_length()?;
    let digest = incoming.digest_parameter()?;
    let body = RequestBody { length, stream: incoming.body };
    Ok(match digest {
        Some(digest) => StartUpload::Monolithic { digest, body },
        None => StartUpload::Session { body: (length != Some(0)).then_some(body) },
    })
}

/// A chunk for an upload session (`PATCH`, or the last one with `PUT`).
pub struct Chunk {
    /// `Some` for `PUT ?digest=`: the chunk finishes the upload, which must hash to this.
    pub finish: Option<Digest>,
    pub range: Option<std::result::Result<ContentRange, Malformed>>,
    pub body: RequestBody,
}

impl Chunk {
    /// A `PUT` with no bytes (no body, no range): finishes the upload as it stands.
    pub fn is_empty(&self) -> bool {
        self.finish.is_some() && self.body.length == Some(0) && self.range.is_none()
    }
}

/// `GET`, `PATCH`, `PUT`, `DELETE` on `/v2/NAME/blobs/uploads/SESSION`.
pub enum SessionRequest {
    Status,
    Cancel,
    Write(Chunk),
}

pub fn session(incoming: Incoming) -> Result<SessionRequest> {
    match incoming.method {
        Method::GET => Ok(SessionRequest::Status),
        Method::DELETE => Ok(SessionRequest::Cancel),
        Method::PATCH | Method::PUT => {
            let finish = if incoming.method == Method::PUT {
                Some(incoming.digest_parameter()?.ok_or_else(|| Error::DigestInvalid {
                    message: "finishing an upload needs `?digest=sha256:…`".to_owned(),
                    expected: None,
                    actual: None,
                })?)
            } else {
                None
            };
            let length = incoming.content_length()?;
            let range = incoming.headers.get(header::CONTENT_RANGE).map(|value| {
                value
                    .to_str()
                    .ok()
                    .and_then(ContentRange::parse)
                    .ok_or_else(|| Malformed(String::from_utf8_lossy(value.as_bytes()).into_owned()))
            });
            Ok(SessionRequest::Write(Chunk { finish, range, body: RequestBody { length, stream: incoming.body } }))
        }
        _ => Err(not_allowed(&incoming.method, "an upload session", "GET, PATCH, PUT or DELETE")),
    }
}

/// `GET`, `HEAD`, `DELETE` on `/v2/NAME/blobs/DIGEST`.
pub enum BlobRequest {
    Get { head: bool, range: Option<RangeRequest> },
    Delete,
}

pub fn blob(incoming: &Incoming) -> Result<BlobRequest> {
    match incoming.method {
        Method::GET | Method::HEAD => {
            let range = incoming.headers.get(header::RANGE).map(|value| {
                let text = value.to_str().unwrap_or("").to_owned();
                RangeRequest { range: ByteRange::parse(&text), text }
            });
            Ok(BlobRequest::Get { head: incoming.method == Method::HEAD, range })
        }
        Method::DELETE => Ok(BlobRequest::Delete),
        _ => Err(not_allowed(&incoming.method, "a blob", "GET, HEAD or DELETE")),
    }
}

/// `GET`, `HEAD`, `PUT`, `DELETE` on `/v2/NAME/manifests/REFERENCE`.
pub enum ManifestRequest {
    /// `accepted`: the manifest types the client lists in `Accept`; empty for any.
    Get {
        head: bool,
        accepted: Vec<String>,
    },
    /// The whole manifest, at most [`MAX_MANIFEST_SIZE`] bytes, and its declared type;
    /// `tags`: the `?tag=` parameters, more tags to point at it (OCI 1.1+dev), without repeats.
    Put {
        content_type: Option<String>,
        bytes: Vec<u8>,
        tags: Vec<String>,
    },
    Delete,
}

pub async fn manifest(incoming: Incoming) -> Result<ManifestRequest> {
    match incoming.method {
        Method::GET | Method::HEAD => Ok(ManifestRequest::Get {
            head: incoming.method == Method::HEAD,
            accepted: accepted_types(&incoming.headers),
        }),
        Method::PUT => {
            let content_type =
                incoming.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let tags = tag_parameters(&incoming.tag_parameters)?;
            let body = incoming.into_body()?;
            Ok(ManifestRequest::Put { content_type, bytes: read_limited(body).await?, tags })
        }
        Method::DELETE => Ok(ManifestRequest::Delete),
        _ => Err(not_allowed(&incoming.method, "a manifest", "GET, HEAD, PUT or DELETE")),
    }
}

/// The manifest media types the client lists in `Accept`; empty when it lists none we know
/// (no header, `*/*`), in which case any manifest may be served.
fn accepted_types(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|item| item.split(';').next().unwrap_or_default().trim().to_owned())
        .filter(|item| media_type::MANIFEST_TYPES.contains(&item.as_str()) || media_type::is_schema1(item))
        .collect()
}

async fn read_limited(body: RequestBody) -> Result<Vec<u8>> {
    let RequestBody { length: declared, stream: mut body } = body;
    let too_large = |size: u64| {
        Error::ManifestTooLarge(format!("the manifest is {size} bytes; this registry accepts manifests up to 4 MiB"))
    };
    let mut bytes = Vec::with_capacity(declared.unwrap_or(4096).min(MAX_MANIFEST_SIZE as u64) as usize);
    let mut total = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| Error::ManifestInvalid(format!("the request body ended early: {e}")))?;
        total += chunk.len() as u64;
        if total <= MAX_MANIFEST_SIZE as u64 {
            bytes.extend_from_slice(&chunk);
        } else if total > DRAIN_LIMIT {
            break;
        }
        // Past the limit the rest is read and dropped, so the client, still sending, gets to
        // read the 413 instead of a broken connection.
    }
    if total > MAX_MANIFEST_SIZE as u64 {
        return Err(too_large(declared.unwrap_or(total)));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
        ByteRange::parse(value)?.resolve(size)
    }

    fn parse_content_range(value: &str) -> Option<(u64, u64)> {
        ContentRange::parse(value).map(|range| (range.start, range.end))
    }

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

    #[test]
    fn content_range_forms() {
        assert_eq!(parse_content_range("0-1023"), Some((0, 1023)));
        assert_eq!(parse_content_range("bytes 10-19/*"), Some((10, 19)));
        assert_eq!(parse_content_range("bytes=10-19"), Some((10, 19)));
        for bad in ["", "10", "20-10", "a-b", "-5", "5-"] {
            assert_eq!(parse_content_range(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn scopes_may_repeat_and_share_a_parameter() {
        assert_eq!(
            token_scopes(Some("service=x&scope=repository:a:pull%20repository:b:pull&scope=repository:c:push")),
            ["repository:a:pull", "repository:b:pull", "repository:c:push"]
        );
        assert!(token_scopes(None).is_empty());
    }

    /// `PUT …/manifests/DIGEST?tag=A&tag=B` kept only the last `tag` (the map's), then none.
    #[test]
    fn tag_parameters_repeat_and_are_checked() {
        assert_eq!(query_values(Some("tag=a&x=1&tag=b&tag=a"), "tag"), ["a", "b", "a"]);
        let values = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(tag_parameters(&values(&["a", "b", "a"])).unwrap(), ["a", "b"]);
        let error = tag_parameters(&values(&["ok", ".bad"])).unwrap_err();
        assert_eq!(error.code(), "MANIFEST_INVALID");
        assert!(error.to_string().contains(".bad"), "{error}");
        let many: Vec<String> = (0..=MAX_TAG_PARAMETERS).map(|i| format!("t{i}")).collect();
        assert!(tag_parameters(&many).unwrap_err().to_string().contains("at most"));
    }

    proptest! {
        #[test]
        fn content_range_round_trips(start in 0u64..u64::MAX / 2, length in 1u64..1 << 40) {
            let end = start + length - 1;
            prop_assert_eq!(parse_content_range(&format!("{start}-{end}")), Some((start, end)));
        }
    }
}

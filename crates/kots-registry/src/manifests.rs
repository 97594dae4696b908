//! Manifests by tag or digest: `PUT` (verified, and refused unless every blob and child manifest
//! it references is in the repository), `GET`/`HEAD` with `Accept` negotiation, `DELETE`.
//! Bytes are stored and served exactly as received; the digest is of those bytes.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use kots_oci::{Digest, Manifest, ManifestKind, media_type};

use crate::error::{Error, Result};
use crate::route::ManifestReference;
use crate::server::{Incoming, content_length};
use crate::storage::{ByteStream, ManifestRecord};
use crate::{MAX_MANIFEST_SIZE, Registry};

async fn read_limited(mut body: ByteStream, declared: Option<u64>) -> Result<Vec<u8>> {
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

/// How much of an oversized manifest is drained before the connection is given up on.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

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

fn digest_header(digest: &Digest) -> HeaderValue {
    HeaderValue::from_str(&digest.to_string()).expect("digests are valid headers")
}

impl Registry {
    /// `GET`, `HEAD`, `PUT`, `DELETE` on `/v2/NAME/manifests/REFERENCE`.
    pub(crate) async fn manifest(
        &self,
        name: &str,
        reference: &ManifestReference,
        incoming: Incoming,
    ) -> Result<Response> {
        match incoming.method {
            Method::GET | Method::HEAD => {
                let head = incoming.method == Method::HEAD;
                self.get_manifest(name, reference, &incoming.headers, head).await
            }
            Method::PUT => {
                let content_type =
                    incoming.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
                let declared = content_length(&incoming.headers)?;
                let bytes = read_limited(incoming.body, declared).await?;
                self.put_manifest(name, reference, content_type.as_deref(), &bytes).await
            }
            Method::DELETE => {
                let deleted = match reference {
                    ManifestReference::Digest(digest) => self.metadata.delete_manifest(name, digest).await?,
                    ManifestReference::Tag(tag) => self.metadata.delete_tag(name, tag).await?,
                };
                if !deleted {
                    return Err(Error::ManifestUnknown(format!(
                        "manifest `{reference}` is not in repository `{name}`"
                    )));
                }
                Ok((StatusCode::ACCEPTED, [(header::CONTENT_LENGTH, "0")]).into_response())
            }
            _ => Err(Error::MethodNotAllowed(format!(
                "{} is not allowed on a manifest; use GET, HEAD, PUT or DELETE",
                incoming.method
            ))),
        }
    }

    async fn get_manifest(
        &self,
        name: &str,
        reference: &ManifestReference,
        request_headers: &HeaderMap,
        head: bool,
    ) -> Result<Response> {
        let unknown = || Error::ManifestUnknown(format!("manifest `{reference}` is not in repository `{name}`"));
        let digest = match reference {
            ManifestReference::Digest(digest) => digest.clone(),
            ManifestReference::Tag(tag) => self.metadata.resolve_tag(name, tag).await?.ok_or_else(unknown)?,
        };
        let (record, content) = self.metadata.get_manifest(name, &digest).await?.ok_or_else(unknown)?;
        let accepted = accepted_types(request_headers);
        if !accepted.is_empty() && !accepted.contains(&record.media_type) {
            return Err(Error::ManifestUnknown(format!(
                "manifest `{reference}` is `{}`, which the client's Accept header does not list ({})",
                record.media_type,
                accepted.join(", ")
            )));
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&record.media_type)
                .map_err(|_| Error::internal("stored media type is not a header"))?,
        );
        headers.insert("docker-content-digest", digest_header(&digest));
        headers.insert(header::ETAG, HeaderValue::from_str(&format!("\"{digest}\"")).expect("valid header"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(content.len()));
        if head {
            return Ok((StatusCode::OK, headers).into_response());
        }
        Ok((StatusCode::OK, headers, content).into_response())
    }

    /// Validates and stores a manifest; returns the `201 Created` response.
    pub async fn put_manifest(
        &self,
        name: &str,
        reference: &ManifestReference,
        content_type: Option<&str>,
        bytes: &[u8],
    ) -> Result<Response> {
        let manifest = Manifest::parse(bytes, content_type)?;
        let digest = match reference {
            ManifestReference::Digest(expected) => {
                expected.verify(bytes)?;
                expected.clone()
            }
            ManifestReference::Tag(_) => Digest::sha256_of(bytes),
        };
        self.check_references(name, &manifest).await?;
        let record = ManifestRecord {
            digest: digest.clone(),
            media_type: manifest.media_type.clone(),
            size: bytes.len() as u64,
            artifact_type: manifest.effective_artifact_type().map(str::to_owned),
            subject: manifest.subject.as_ref().map(|subject| subject.digest.clone()),
            annotations: (!manifest.annotations.is_empty())
                .then(|| serde_json::to_string(&manifest.annotations).expect("strings serialise")),
        };
        let tag = match reference {
            ManifestReference::Tag(tag) => Some(tag.as_str()),
            ManifestReference::Digest(_) => None,
        };
        self.metadata.put_manifest(name, &record, bytes, tag).await?;

        let mut headers = HeaderMap::new();
        if let Ok(location) = HeaderValue::from_str(&format!("/v2/{name}/manifests/{digest}")) {
            headers.insert(header::LOCATION, location);
        }
        headers.insert("docker-content-digest", digest_header(&digest));
        if let Some(subject) = &manifest.subject {
            headers.insert("oci-subject", digest_header(&subject.digest));
        }
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
        Ok((StatusCode::CREATED, headers).into_response())
    }

    /// Every blob an image manifest names, and every child an index names, must already be in
    /// this repository, with the size the manifest claims. The `subject` need not be: OCI lets a
    /// referrer arrive before the image it refers to.
    async fn check_references(&self, name: &str, manifest: &Manifest) -> Result<()> {
        match manifest.kind {
            ManifestKind::Image => {
                let wanted: Vec<_> = manifest.referenced_blobs().collect();
                let digests: Vec<&Digest> = wanted.iter().map(|d| &d.digest).collect();
                let present = self.metadata.linked_blobs(name, &digests).await?;
                for descriptor in wanted {
                    let is_config = manifest.config.as_ref() == Some(descriptor);
                    match present.get(&descriptor.digest) {
                        None => {
                            return Err(Error::ManifestBlobUnknown {
                                kind: if is_config { "config" } else { "layer" },
                                digest: descriptor.digest.clone(),
                                repository: name.to_owned(),
                            });
                        }
                        Some(&size) if size != descriptor.size => {
                            return Err(Error::ManifestInvalid(format!(
                                "the manifest gives {} a size of {} bytes, but the blob has {size}",
                                descriptor.digest, descriptor.size
                            )));
                        }
                        Some(_) => {}
                    }
                }
            }
            ManifestKind::Index => {
                let digests: Vec<&Digest> = manifest.manifests.iter().map(|d| &d.digest).collect();
                let present = self.metadata.existing_manifests(name, &digests).await?;
                if let Some(missing) = digests.iter().find(|digest| !present.contains(digest)) {
                    return Err(Error::ManifestBlobUnknown {
                        kind: "child manifest",
                        digest: (*missing).clone(),
                        repository: name.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }
}

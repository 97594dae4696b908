//! The `/v2/` URL space as a typed value. Repository names contain `/`, so the path is read from
//! the right: the last segments say which endpoint it is, everything before them is the name.
//! A pure function, property-tested, so that what reaches a handler is already valid: names
//! match the OCI grammar (no `..`, no empty components), digests are well-formed, tags too.

use axum::http::Method;
use kots_oci::Digest;
use kots_oci::reference::{validate_repository_name, validate_tag};

use crate::error::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`
    Base,
    /// `/v2/_catalog`
    Catalog,
    /// `/v2/NAME/tags/list`
    Tags { name: String },
    /// `/v2/NAME/manifests/REFERENCE`
    Manifest { name: String, reference: ManifestReference },
    /// `/v2/NAME/blobs/DIGEST`
    Blob { name: String, digest: Digest },
    /// `/v2/NAME/blobs/uploads/`
    StartUpload { name: String },
    /// `/v2/NAME/blobs/uploads/ID`
    Upload { name: String, session: String },
    /// `/v2/NAME/referrers/DIGEST`
    Referrers { name: String, digest: Digest },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestReference {
    Tag(String),
    Digest(Digest),
}

impl std::fmt::Display for ManifestReference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ManifestReference::Tag(tag) => f.write_str(tag),
            ManifestReference::Digest(digest) => write!(f, "{digest}"),
        }
    }
}

impl Route {
    /// The endpoint family, for metrics and logs.
    pub fn family(&self) -> &'static str {
        match self {
            Route::Base => "base",
            Route::Catalog => "catalog",
            Route::Tags { .. } => "tags",
            Route::Manifest { .. } => "manifests",
            Route::Blob { .. } => "blobs",
            Route::StartUpload { .. } | Route::Upload { .. } => "uploads",
            Route::Referrers { .. } => "referrers",
        }
    }

    /// Parses a request path that starts with `/v2`. The method matters only for a manifest
    /// by a malformed tag: nothing can be stored under it, so reading or deleting it finds
    /// nothing (`404 MANIFEST_UNKNOWN`, as Distribution and the conformance suites expect),
    /// while pushing to it is a bad request (`400 MANIFEST_INVALID`).
    pub fn parse(method: &Method, path: &str) -> Result<Route, Error> {
        let not_found = || Error::NotFound(format!("`{path}` is not an endpoint of the OCI distribution API"));
        let rest = path.strip_prefix("/v2").ok_or_else(not_found)?;
        if rest.is_empty() || rest == "/" {
            return Ok(Route::Base);
        }
        let rest = rest.strip_prefix('/').ok_or_else(not_found)?;
        if rest == "_catalog" {
            return Ok(Route::Catalog);
        }
        if let Some(name) = rest.strip_suffix("/tags/list") {
            return Ok(Route::Tags { name: valid_name(name)? });
        }
        if let Some(name) = rest.strip_suffix("/blobs/uploads") {
            return Ok(Route::StartUpload { name: valid_name(name)? });
        }
        let (head, last) = rest.rsplit_once('/').ok_or_else(not_found)?;
        if let Some(name) = head.strip_suffix("/blobs/uploads") {
            let name = valid_name(name)?;
            if last.is_empty() {
                return Ok(Route::StartUpload { name });
            }
            return Ok(Route::Upload { name, session: valid_session(last)? });
        }
        if let Some(name) = head.strip_suffix("/manifests") {
            let name = valid_name(name)?;
            let reference = if last.contains(':') {
                ManifestReference::Digest(Digest::parse(last)?)
            } else {
                validate_tag(last).map_err(|reason| {
                    if *method == Method::PUT {
                        Error::ManifestInvalid(format!("invalid tag `{last}`: {reason}"))
                    } else {
                        Error::ManifestUnknown(format!(
                            "manifest `{last}` is not in repository `{name}`: `{last}` is not a valid tag ({reason})"
                        ))
                    }
                })?;
                ManifestReference::Tag(last.to_owned())
            };
            return Ok(Route::Manifest { name, reference });
        }
        if let Some(name) = head.strip_suffix("/blobs") {
            return Ok(Route::Blob { name: valid_name(name)?, digest: Digest::parse(last)? });
        }
        if let Some(name) = head.strip_suffix("/referrers") {
            return Ok(Route::Referrers { name: valid_name(name)?, digest: Digest::parse(last)? });
        }
        Err(not_found())
    }
}

/// Checks a repository name (also used for the `from` of a cross-repository mount).
pub fn valid_name(name: &str) -> Result<String, Error> {
    validate_repository_name(name)
        .map(|()| name.to_owned())
        .map_err(|reason| Error::NameInvalid { name: name.to_owned(), reason })
}

/// Session IDs are ours (UUIDs); anything else cannot be one, and must never reach a file path.
fn valid_session(session: &str) -> Result<String, Error> {
    uuid::Uuid::parse_str(session)
        .map(|id| id.hyphenated().to_string())
        .map_err(|_| Error::BlobUploadUnknown(session.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn digest() -> Digest {
        Digest::sha256_of(b"x")
    }

    #[test]
    fn parses_every_endpoint() {
        let d = digest();
        let id = uuid::Uuid::new_v4().to_string();
        let cases = [
            ("/v2/".to_owned(), Route::Base),
            ("/v2".to_owned(), Route::Base),
            ("/v2/_catalog".to_owned(), Route::Catalog),
            ("/v2/a/b/tags/list".to_owned(), Route::Tags { name: "a/b".into() }),
            (
                "/v2/a/manifests/v1.0".to_owned(),
                Route::Manifest { name: "a".into(), reference: ManifestReference::Tag("v1.0".into()) },
            ),
            (
                format!("/v2/a/b/manifests/{d}"),
                Route::Manifest { name: "a/b".into(), reference: ManifestReference::Digest(d.clone()) },
            ),
            (format!("/v2/a/blobs/{d}"), Route::Blob { name: "a".into(), digest: d.clone() }),
            ("/v2/a/blobs/uploads/".to_owned(), Route::StartUpload { name: "a".into() }),
            ("/v2/a/blobs/uploads".to_owned(), Route::StartUpload { name: "a".into() }),
            (format!("/v2/a/blobs/uploads/{id}"), Route::Upload { name: "a".into(), session: id.clone() }),
            (format!("/v2/a/referrers/{d}"), Route::Referrers { name: "a".into(), digest: d.clone() }),
            // Endpoint words are legal path components of a name.
            ("/v2/blobs/manifests/tags/list".to_owned(), Route::Tags { name: "blobs/manifests".into() }),
            (
                "/v2/x/manifests/y/manifests/latest".to_owned(),
                Route::Manifest { name: "x/manifests/y".into(), reference: ManifestReference::Tag("latest".into()) },
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(Route::parse(&Method::GET, &path).unwrap(), expected, "{path}");
        }
    }

    #[test]
    fn refuses_bad_names_digests_and_tags() {
        let d = digest();
        for (path, code) in [
            (format!("/v2/../x/blobs/{d}"), "NAME_INVALID"),
            (format!("/v2/a//b/blobs/{d}"), "NAME_INVALID"),
            (format!("/v2/A/blobs/{d}"), "NAME_INVALID"),
            (format!("/v2/%2e%2e/blobs/{d}"), "NAME_INVALID"),
            ("/v2/a/blobs/sha256:abc".to_owned(), "DIGEST_INVALID"),
            ("/v2/a/blobs/md5:abc".to_owned(), "DIGEST_INVALID"),
            ("/v2/a/blobs/uploads/../../etc".to_owned(), "UNSUPPORTED"),
            ("/v2/a/blobs/uploads/not-a-uuid".to_owned(), "BLOB_UPLOAD_UNKNOWN"),
            ("/v2/a/other/thing".to_owned(), "UNSUPPORTED"),
            ("/v3/".to_owned(), "UNSUPPORTED"),
        ] {
            let error = Route::parse(&Method::GET, &path).unwrap_err();
            assert_eq!(error.code(), code, "{path}: {error}");
        }
    }

    /// `.INVALID_MANIFEST_NAME` answered 400 to GET and HEAD; the suites expect 404.
    #[test]
    fn malformed_tag_is_unknown_to_reads_and_invalid_to_pushes() {
        for (method, code) in [
            (Method::GET, "MANIFEST_UNKNOWN"),
            (Method::HEAD, "MANIFEST_UNKNOWN"),
            (Method::DELETE, "MANIFEST_UNKNOWN"),
            (Method::PUT, "MANIFEST_INVALID"),
        ] {
            for tag in [".INVALID_MANIFEST_NAME", ".hidden", "-dash"] {
                let error = Route::parse(&method, &format!("/v2/a/manifests/{tag}")).unwrap_err();
                assert_eq!(error.code(), code, "{method} {tag}: {error}");
                assert!(error.to_string().contains(tag), "{error}");
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_names_are_valid(path in "/v2/[a-z0-9._/:%-]{0,60}") {
            if let Ok(route) = Route::parse(&Method::GET, &path) {
                let name = match route {
                    Route::Base | Route::Catalog => None,
                    Route::Tags { name } | Route::Manifest { name, .. } | Route::Blob { name, .. }
                    | Route::StartUpload { name } | Route::Upload { name, .. } | Route::Referrers { name, .. } => Some(name),
                };
                if let Some(name) = name {
                    prop_assert!(validate_repository_name(&name).is_ok());
                    prop_assert!(!name.split('/').any(|c| c == ".." || c.is_empty()));
                }
            }
        }

        #[test]
        fn round_trips_generated_routes(
            name in "[a-z0-9]{1,6}(-[a-z0-9]{1,4})?(/[a-z0-9]{1,6}){0,3}",
            tag in "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,30}",
            data in proptest::collection::vec(any::<u8>(), 0..8),
        ) {
            let d = Digest::sha256_of(&data);
            prop_assert_eq!(
                Route::parse(&Method::GET, &format!("/v2/{name}/manifests/{tag}")).unwrap(),
                Route::Manifest { name: name.clone(), reference: ManifestReference::Tag(tag) }
            );
            prop_assert_eq!(Route::parse(&Method::GET, &format!("/v2/{name}/blobs/{d}")).unwrap(), Route::Blob { name: name.clone(), digest: d.clone() });
            prop_assert_eq!(Route::parse(&Method::GET, &format!("/v2/{name}/referrers/{d}")).unwrap(), Route::Referrers { name: name.clone(), digest: d });
            prop_assert_eq!(Route::parse(&Method::GET, &format!("/v2/{name}/tags/list")).unwrap(), Route::Tags { name });
        }
    }
}

//! Manifests by tag or digest: `PUT` (verified, and refused unless every blob and child manifest
//! it references is in the repository), `GET`/`HEAD` with `Accept` negotiation, `DELETE`.
//! Bytes are stored and served exactly as received; the digest is of those bytes.

use bytes::Bytes;
use kots_oci::{Digest, Manifest, ManifestKind};

use crate::Registry;
use crate::error::{Error, Result};
use crate::remote;
use crate::request::ManifestRequest;
use crate::route::ManifestReference;
use crate::storage::ManifestRecord;

/// `Accept` negotiation: a manifest of a type the client does not list is unknown to it.
/// `accepted` empty: the client takes any.
fn negotiate(name: &str, reference: &ManifestReference, media_type: &str, accepted: &[String]) -> Result<()> {
    if accepted.is_empty() || accepted.iter().any(|wanted| wanted == media_type) {
        return Ok(());
    }
    Err(Error::ManifestUnknown(format!(
        "manifest `{reference}` of repository `{name}` is `{media_type}`, which the client's Accept header does not list ({})",
        accepted.join(", ")
    )))
}

/// A manifest as served: its media type, digest and length, with its bytes unless the client
/// asked for the headers only.
#[derive(Debug, Clone)]
pub struct ServedManifest {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    /// `None` for `HEAD`.
    pub content: Option<Bytes>,
}

/// A manifest just pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedManifest {
    pub repository: String,
    pub digest: Digest,
    /// The manifest's `subject`, which the answer names (`OCI-Subject`) so the client knows the
    /// registry indexes referrers.
    pub subject: Option<Digest>,
    /// The tags `?tag=` set, which the answer names (one `OCI-Tag` each) so the client knows
    /// the registry applied them rather than ignored the parameter.
    pub tags: Vec<String>,
}

impl PushedManifest {
    /// The manifest's URL, by digest.
    pub fn location(&self) -> String {
        format!("/v2/{}/manifests/{}", self.repository, self.digest)
    }
}

/// What a manifest request did.
#[derive(Debug)]
pub enum ManifestOutcome {
    Found(ServedManifest),
    Pushed(PushedManifest),
    Deleted,
}

impl Registry {
    /// `GET`, `HEAD`, `PUT`, `DELETE` on `/v2/NAME/manifests/REFERENCE`.
    pub(crate) async fn manifest(
        &self,
        name: &str,
        reference: &ManifestReference,
        request: ManifestRequest,
    ) -> Result<ManifestOutcome> {
        if let Some(remote) = self.remote_for(name) {
            let ManifestRequest::Get { head, accepted } = request else {
                return Err(remote::read_only(name, "changing a manifest"));
            };
            let manifest = remote.manifest(name, reference, &accepted, head).await?;
            let manifest = remote::check_manifest(name, reference, manifest, head)?;
            negotiate(name, reference, &manifest.media_type, &accepted)?;
            return Ok(ManifestOutcome::Found(manifest));
        }
        match request {
            ManifestRequest::Get { head, accepted } => {
                let mut manifest = self.get_manifest(name, reference, &accepted).await?;
                if head {
                    manifest.content = None;
                }
                Ok(ManifestOutcome::Found(manifest))
            }
            ManifestRequest::Put { content_type, bytes, tags } => {
                let pushed = self.put_manifest(name, reference, content_type.as_deref(), &bytes, tags).await?;
                Ok(ManifestOutcome::Pushed(pushed))
            }
            ManifestRequest::Delete => {
                let deleted = match reference {
                    ManifestReference::Digest(digest) => self.metadata.delete_manifest(name, digest).await?,
                    ManifestReference::Tag(tag) => self.metadata.delete_tag(name, tag).await?,
                };
                if !deleted {
                    return Err(Error::ManifestUnknown(format!(
                        "manifest `{reference}` is not in repository `{name}`"
                    )));
                }
                Ok(ManifestOutcome::Deleted)
            }
        }
    }

    /// `accepted`: the manifest types the client takes; empty for any.
    async fn get_manifest(
        &self,
        name: &str,
        reference: &ManifestReference,
        accepted: &[String],
    ) -> Result<ServedManifest> {
        let unknown = || Error::ManifestUnknown(format!("manifest `{reference}` is not in repository `{name}`"));
        let digest = match reference {
            ManifestReference::Digest(digest) => digest.clone(),
            ManifestReference::Tag(tag) => self.metadata.resolve_tag(name, tag).await?.ok_or_else(unknown)?,
        };
        let (record, content) = self.metadata.get_manifest(name, &digest).await?.ok_or_else(unknown)?;
        negotiate(name, reference, &record.media_type, accepted)?;
        Ok(ServedManifest { digest, media_type: record.media_type, size: content.len() as u64, content: Some(content) })
    }

    /// Validates and stores a manifest. `tags`: more tags to point at it (a push's `?tag=`,
    /// already checked); each moves on its own, as a push by that tag would move it.
    pub async fn put_manifest(
        &self,
        name: &str,
        reference: &ManifestReference,
        content_type: Option<&str>,
        bytes: &[u8],
        tags: Vec<String>,
    ) -> Result<PushedManifest> {
        self.refuse_remote_write(name, "pushing a manifest")?;
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
        for extra in tags.iter().filter(|extra| Some(extra.as_str()) != tag) {
            self.metadata.put_manifest(name, &record, bytes, Some(extra)).await?;
        }
        Ok(PushedManifest {
            repository: name.to_owned(),
            digest,
            subject: manifest.subject.map(|subject| subject.digest),
            tags,
        })
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

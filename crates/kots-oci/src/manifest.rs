//! Manifest and index parsing: what a manifest *references*, so that a registry can refuse one
//! whose content it does not have, and a copier can walk an image. The bytes themselves are never
//! re-serialised (that would change the digest); [`Manifest`] is a view of them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Digest, Error, media_type};

/// A content descriptor: what points from one manifest to another blob or manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

impl Descriptor {
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            urls: None,
            annotations: None,
            artifact_type: None,
            platform: None,
        }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.as_ref()?.get(key).map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, rename = "os.version", skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestKind {
    /// An image (or artifact) manifest: a config and layers.
    Image,
    /// An index or Docker manifest list: child manifests.
    Index,
}

/// What a manifest says about itself and what it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub media_type: String,
    pub kind: ManifestKind,
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    pub manifests: Vec<Descriptor>,
    pub subject: Option<Descriptor>,
    pub artifact_type: Option<String>,
    pub annotations: BTreeMap<String, String>,
}

/// The JSON shape shared by manifests and indexes; unknown fields are ignored, as OCI asks.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<i64>,
    media_type: Option<String>,
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    subject: Option<Descriptor>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

impl Manifest {
    /// Parses `bytes` as a manifest. `content_type` is the media type the sender declared (an
    /// HTTP `Content-Type` or a descriptor's `mediaType`); when absent, the body's own `mediaType`
    /// decides. The two must agree when both are given.
    pub fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Manifest, Error> {
        let content_type = content_type
            .map(|value| value.split(';').next().unwrap_or_default().trim())
            .filter(|value| !value.is_empty() && *value != "application/json");
        if let Some(declared) = content_type {
            if media_type::is_schema1(declared) {
                return Err(Error::SchemaOneManifest(declared.to_owned()));
            }
            if !media_type::MANIFEST_TYPES.contains(&declared) {
                return Err(Error::UnsupportedMediaType(declared.to_owned()));
            }
        }
        let raw: RawManifest = serde_json::from_slice(bytes)
            .map_err(|e| Error::InvalidManifest(format!("not a valid manifest JSON document: {e}")))?;
        if raw.schema_version == Some(1) {
            return Err(Error::SchemaOneManifest(
                content_type.or(raw.media_type.as_deref()).unwrap_or(media_type::DOCKER_SCHEMA1).to_owned(),
            ));
        }
        if raw.schema_version != Some(2) {
            return Err(Error::InvalidManifest(format!(
                "`schemaVersion` must be 2, found {}",
                raw.schema_version.map_or("nothing".to_owned(), |v| v.to_string())
            )));
        }
        let media_type = match (content_type, raw.media_type.as_deref()) {
            (Some(declared), Some(body)) if declared != body => {
                return Err(Error::InvalidManifest(format!(
                    "the declared media type `{declared}` differs from the manifest's `mediaType` `{body}`"
                )));
            }
            (Some(declared), _) => declared.to_owned(),
            (None, Some(body)) => body.to_owned(),
            // OCI lets `mediaType` be absent; the structure tells which kind it is.
            (None, None) if raw.manifests.is_some() => media_type::OCI_INDEX.to_owned(),
            (None, None) if raw.config.is_some() => media_type::OCI_MANIFEST.to_owned(),
            (None, None) => {
                return Err(Error::InvalidManifest(
                    "no media type: neither a Content-Type nor a `mediaType` field".to_owned(),
                ));
            }
        };
        let kind = if media_type::is_index(&media_type) {
            ManifestKind::Index
        } else if media_type::is_image_manifest(&media_type) {
            ManifestKind::Image
        } else if media_type::is_schema1(&media_type) {
            return Err(Error::SchemaOneManifest(media_type));
        } else {
            return Err(Error::UnsupportedMediaType(media_type));
        };
        match kind {
            ManifestKind::Image => {
                if raw.config.is_none() {
                    return Err(Error::InvalidManifest("an image manifest needs a `config`".to_owned()));
                }
                if raw.manifests.is_some() {
                    return Err(Error::InvalidManifest("an image manifest cannot have `manifests`".to_owned()));
                }
            }
            ManifestKind::Index => {
                if raw.manifests.is_none() {
                    return Err(Error::InvalidManifest("an index needs `manifests`".to_owned()));
                }
                if raw.config.is_some() || raw.layers.is_some() {
                    return Err(Error::InvalidManifest("an index cannot have `config` or `layers`".to_owned()));
                }
            }
        }
        Ok(Manifest {
            media_type,
            kind,
            config: raw.config,
            layers: raw.layers.unwrap_or_default(),
            manifests: raw.manifests.unwrap_or_default(),
            subject: raw.subject,
            artifact_type: raw.artifact_type,
            annotations: raw.annotations.unwrap_or_default(),
        })
    }

    /// Blobs this manifest needs in the same repository: its config and the layers a registry
    /// carries (foreign layers live elsewhere).
    pub fn referenced_blobs(&self) -> impl Iterator<Item = &Descriptor> {
        self.config.iter().chain(self.layers.iter().filter(|layer| !media_type::is_foreign_layer(&layer.media_type)))
    }

    /// The artifact type the referrers API reports: `artifactType`, else the config's media type.
    pub fn effective_artifact_type(&self) -> Option<&str> {
        self.artifact_type.as_deref().or_else(|| match self.kind {
            ManifestKind::Image => self.config.as_ref().map(|config| config.media_type.as_str()),
            ManifestKind::Index => None,
        })
    }

    /// True for a BuildKit attestation manifest (provenance or SBOM) listed in an index.
    pub fn is_attestation(descriptor: &Descriptor) -> bool {
        descriptor.annotation(media_type::ATTESTATION_REFERENCE_TYPE_ANNOTATION) == Some("attestation-manifest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media_type::*;

    fn digest(n: u8) -> Digest {
        Digest::sha256_of(&[n])
    }

    #[test]
    fn image_manifest_references_config_and_layers_but_not_foreign_layers() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": DOCKER_CONFIG, "digest": digest(1), "size": 10},
            "layers": [
                {"mediaType": DOCKER_LAYER_GZIP, "digest": digest(2), "size": 20},
                {"mediaType": DOCKER_FOREIGN_LAYER, "digest": digest(3), "size": 30, "urls": ["https://x"]},
            ]
        });
        let manifest = Manifest::parse(body.to_string().as_bytes(), Some(DOCKER_MANIFEST)).unwrap();
        assert_eq!(manifest.kind, ManifestKind::Image);
        let referenced: Vec<_> = manifest.referenced_blobs().map(|d| d.digest.clone()).collect();
        assert_eq!(referenced, vec![digest(1), digest(2)]);
        assert_eq!(manifest.effective_artifact_type(), Some(DOCKER_CONFIG));
    }

    #[test]
    fn index_with_attestation_and_subject() {
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "artifactType": "application/example",
            "subject": {"mediaType": OCI_MANIFEST, "digest": digest(9), "size": 3},
            "manifests": [
                {"mediaType": OCI_MANIFEST, "digest": digest(1), "size": 10, "platform": {"architecture": "amd64", "os": "linux"}},
                {"mediaType": OCI_MANIFEST, "digest": digest(2), "size": 10, "platform": {"architecture": "unknown", "os": "unknown"},
                 "annotations": {"vnd.docker.reference.type": "attestation-manifest", "vnd.docker.reference.digest": digest(1)}},
            ]
        });
        let manifest = Manifest::parse(body.to_string().as_bytes(), None).unwrap();
        assert_eq!(manifest.kind, ManifestKind::Index);
        assert_eq!(manifest.manifests.len(), 2);
        assert!(!Manifest::is_attestation(&manifest.manifests[0]));
        assert!(Manifest::is_attestation(&manifest.manifests[1]));
        assert_eq!(manifest.subject.unwrap().digest, digest(9));
        assert_eq!(manifest.artifact_type.as_deref(), Some("application/example"));
    }

    #[test]
    fn refuses_schema1_with_advice() {
        let body = br#"{"schemaVersion": 1, "name": "x", "tag": "y", "fsLayers": []}"#;
        let error = Manifest::parse(body, None).unwrap_err();
        assert!(matches!(error, Error::SchemaOneManifest(_)));
        assert!(error.to_string().contains("skopeo copy --format v2s2"));
        assert!(Manifest::parse(b"{}", Some(DOCKER_SCHEMA1_SIGNED)).is_err());
    }

    #[test]
    fn refuses_inconsistent_or_unknown_types() {
        let body = serde_json::json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": OCI_CONFIG, "digest": digest(1), "size": 1}, "layers": []}).to_string();
        assert!(matches!(Manifest::parse(body.as_bytes(), Some(OCI_INDEX)), Err(Error::InvalidManifest(_))));
        assert!(matches!(
            Manifest::parse(body.replace(OCI_MANIFEST, "text/plain").as_bytes(), None),
            Err(Error::UnsupportedMediaType(_))
        ));
        assert!(matches!(Manifest::parse(b"{not json", None), Err(Error::InvalidManifest(_))));
        let bad_digest = body.replace(&digest(1).to_string(), "sha256:1234");
        assert!(matches!(Manifest::parse(bad_digest.as_bytes(), None), Err(Error::InvalidManifest(_))));
    }
}

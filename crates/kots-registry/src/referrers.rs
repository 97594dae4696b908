//! `GET /v2/NAME/referrers/DIGEST`: the manifests whose `subject` is DIGEST, optionally filtered
//! by `artifactType` (served as an OCI index, saying so in `OCI-Filters-Applied`). A remote
//! repository's come from its remote (by default none: an empty index).

use kots_oci::{Descriptor, Digest};

use crate::Registry;
use crate::error::Result;

/// The referrers of a manifest.
#[derive(Debug, Clone)]
pub struct Referrers {
    pub descriptors: Vec<Descriptor>,
    /// Whether only those of one `artifactType` were kept.
    pub filtered: bool,
}

impl Registry {
    /// `artifact_type`: keep only the referrers of this type.
    pub(crate) async fn referrers(
        &self,
        name: &str,
        digest: &Digest,
        artifact_type: Option<String>,
    ) -> Result<Referrers> {
        let mut descriptors = match self.remote_for(name) {
            Some(remote) => remote.referrers(name, digest).await?,
            None => self.metadata.referrers(name, digest).await?,
        };
        if let Some(wanted) = &artifact_type {
            descriptors.retain(|descriptor| descriptor.artifact_type.as_deref() == Some(wanted.as_str()));
        }
        Ok(Referrers { descriptors, filtered: artifact_type.is_some() })
    }
}

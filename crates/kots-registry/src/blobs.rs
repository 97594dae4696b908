//! Reading and deleting blobs: `GET` (whole or one `Range`), `HEAD`, `DELETE`. A blob is served
//! only through a repository that links it; a remote repository's come from its [`Remote`].
//!
//! [`Remote`]: crate::remote::Remote

use futures_util::StreamExt;
use kots_oci::Digest;

use crate::Registry;
use crate::connection::FileBody;
use crate::error::{Error, Result};
use crate::remote;
use crate::request::{BlobRequest, RangeRequest};
use crate::storage::{ByteStream, file_stream};

/// A blob as served: the whole of it or one range, with its bytes unless the client asked for
/// the headers only.
pub struct BlobContent {
    pub digest: Digest,
    /// The blob's whole size.
    pub size: u64,
    /// The inclusive bytes served, when the client asked for a range.
    pub range: Option<(u64, u64)>,
    /// `None` for `HEAD`.
    pub body: Option<ByteStream>,
    /// The same bytes as a region of a local file, when the store keeps the blob as one: the
    /// connection sends them with `sendfile(2)` and never polls `body`.
    pub file: Option<FileBody>,
}

impl BlobContent {
    /// How many bytes the answer carries.
    pub fn length(&self) -> u64 {
        match self.range {
            Some((first, last)) => last - first + 1,
            None => self.size,
        }
    }
}

/// What a blob request did.
pub enum BlobOutcome {
    Content(BlobContent),
    /// The client should fetch the bytes from the object store itself, at this short-lived
    /// signed URL.
    Redirect {
        digest: Digest,
        url: String,
    },
    Deleted,
}

impl Registry {
    /// `GET`, `HEAD`, `DELETE` on `/v2/NAME/blobs/DIGEST`.
    pub(crate) async fn blob(&self, name: &str, digest: &Digest, request: BlobRequest) -> Result<BlobOutcome> {
        if let Some(remote) = self.remote_for(name) {
            let BlobRequest::Get { head, range } = request else {
                return Err(remote::read_only(name, "deleting a blob"));
            };
            return Ok(BlobOutcome::Content(self.remote_blob(remote.as_ref(), name, digest, head, range).await?));
        }
        match request {
            BlobRequest::Get { head, range } => self.read_linked_blob(name, digest, head, range).await,
            BlobRequest::Delete => {
                if self.metadata.unlink_blob(name, digest).await? {
                    Ok(BlobOutcome::Deleted)
                } else {
                    Err(Error::BlobUnknown(digest.clone()))
                }
            }
        }
    }

    async fn read_linked_blob(
        &self,
        name: &str,
        digest: &Digest,
        head: bool,
        range: Option<RangeRequest>,
    ) -> Result<BlobOutcome> {
        let size = self.metadata.linked_blob(name, digest).await?.ok_or_else(|| Error::BlobUnknown(digest.clone()))?;
        // Object storage configured to hand out downloads: the client fetches the bytes from
        // the store itself, through a short-lived signed URL.
        if !head
            && range.is_none()
            && let Some(url) = self.blobs.download_url(digest).await?
        {
            return Ok(BlobOutcome::Redirect { digest: digest.clone(), url });
        }
        let range = match range {
            None => None,
            Some(requested) => Some(requested.resolve(size).ok_or_else(|| {
                Error::RangeNotSatisfiable(
                    format!("Range `{}` is not satisfiable for a blob of {size} bytes", requested.text),
                    size,
                )
            })?),
        };
        let mut content = BlobContent { digest: digest.clone(), size, range, body: None, file: None };
        if head {
            return Ok(BlobOutcome::Content(content));
        }
        let counter = self.metrics.bytes_sent.clone();
        let offset = range.map_or(0, |(first, _)| first);
        let length = content.length();
        let stream = match self.blobs.local_file(digest).await? {
            Some(file) => {
                let copy =
                    file.try_clone().map_err(|e| Error::internal(format!("cannot reopen blob {digest}: {e}")))?;
                content.file = Some(FileBody::new(file, offset, length, counter.clone()));
                file_stream(copy, offset, length)
            }
            None => self.blobs.read(digest, offset, length).await?,
        };
        content.body = Some(Box::pin(stream.inspect(move |chunk| {
            if let Ok(chunk) = chunk {
                counter.increment(chunk.len() as u64);
            }
        })));
        Ok(BlobOutcome::Content(content))
    }
}

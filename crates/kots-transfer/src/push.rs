//! Putting blobs where they go, written once for every push: `image copy` and `pull`
//! ([`crate::copy`]) and airgap bundles pushed as they are read ([`crate::bundle_push`]).
//!
//! A blob is skipped when the repository has it (HEAD), mounted from another repository of the
//! same registry that has it, and uploaded otherwise (streamed; PATCH chunks above the chunk
//! size). An upload whose body can be opened again is retried on transient failures. Every
//! outcome is counted in a [`Tally`] (which becomes the [`Summary`]) and told as an [`Event`],
//! bytes included, so progress bars and summaries agree whichever way a blob went. With a
//! [`BlobCache`], every blob found or put in a repository is remembered, and a blob missing
//! from the repository is first mounted from repositories where earlier runs saw it.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use kots_oci::Digest;
use tokio::sync::mpsc::UnboundedSender;

use crate::blob_cache::BlobCache;
use crate::client::{ByteStream, RegistryClient, RetryPolicy, push_scope};
use crate::error::Error;
use crate::progress::{Event, Summary};

/// What happened to one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Sent,
    Skipped,
    Mounted,
}

/// One image's blob counters, shared by the tasks moving its blobs.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    blobs_sent: AtomicU64,
    bytes_sent: AtomicU64,
    blobs_skipped: AtomicU64,
    bytes_skipped: AtomicU64,
    blobs_mounted: AtomicU64,
    bytes_mounted: AtomicU64,
}

impl Tally {
    fn add(&self, outcome: Outcome, size: u64) {
        let (blobs, bytes) = match outcome {
            Outcome::Sent => (&self.blobs_sent, &self.bytes_sent),
            Outcome::Skipped => (&self.blobs_skipped, &self.bytes_skipped),
            Outcome::Mounted => (&self.blobs_mounted, &self.bytes_mounted),
        };
        blobs.fetch_add(1, Ordering::Relaxed);
        bytes.fetch_add(size, Ordering::Relaxed);
    }

    /// The counters as the image's summary.
    pub(crate) fn summary(&self, digest: Digest, manifests: u64, index_complete: bool, elapsed: Duration) -> Summary {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Summary {
            digest: Some(digest),
            blobs_sent: read(&self.blobs_sent),
            bytes_sent: read(&self.bytes_sent),
            blobs_skipped: read(&self.blobs_skipped),
            bytes_skipped: read(&self.bytes_skipped),
            blobs_mounted: read(&self.blobs_mounted),
            bytes_mounted: read(&self.bytes_mounted),
            manifests,
            index_complete,
            elapsed,
        }
    }
}

pub(crate) fn emit(events: &Option<UnboundedSender<Event>>, event: Event) {
    if let Some(events) = events {
        let _ = events.send(event);
    }
}

/// Counts each outcome in an image's [`Tally`] and tells it to whoever listens.
#[derive(Clone, Copy)]
pub(crate) struct Reporter<'a> {
    pub tally: &'a Tally,
    pub events: &'a Option<UnboundedSender<Event>>,
}

impl Reporter<'_> {
    pub(crate) fn record(&self, outcome: Outcome, digest: &Digest, size: u64) {
        self.tally.add(outcome, size);
        let digest = digest.clone();
        emit(
            self.events,
            match outcome {
                Outcome::Sent => Event::BlobDone { digest, size },
                Outcome::Skipped => Event::BlobSkipped { digest, size },
                Outcome::Mounted => Event::BlobMounted { digest, size },
            },
        );
    }

    /// A blob's bytes start to move (again, on a retry).
    pub(crate) fn started(&self, digest: &Digest, size: u64) {
        emit(self.events, Event::BlobStarted { digest: digest.clone(), size });
    }

    /// `body`, telling each chunk as it passes.
    pub(crate) fn counted(&self, digest: &Digest, body: ByteStream) -> ByteStream {
        let (events, digest) = (self.events.clone(), digest.clone());
        Box::pin(body.inspect(move |chunk| {
            if let Ok(chunk) = chunk {
                emit(&events, Event::BlobBytes { digest: digest.clone(), bytes: chunk.len() as u64 });
            }
        }))
    }
}

/// Whether trying a blob's transfer again could help: the network or the server failed, or the
/// source's bytes could not be read (a new attempt opens it again).
fn worth_retrying(error: &Error) -> bool {
    error.is_transient() || matches!(error, Error::Io { .. })
}

/// Runs `attempt` until it succeeds, fails for good, or `policy` runs out of tries.
pub(crate) async fn retrying<F, Fut>(policy: &RetryPolicy, digest: &Digest, mut attempt: F) -> Result<(), Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), Error>>,
{
    let attempts = policy.attempts.max(1);
    let mut tried = 0;
    loop {
        tried += 1;
        match attempt().await {
            Ok(()) => return Ok(()),
            Err(error) if worth_retrying(&error) && tried < attempts => {
                tracing::warn!(%digest, %error, attempt = tried, "blob transfer failed; retrying");
                tokio::time::sleep(policy.delay(tried, None)).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Blob pushes into repositories of one registry.
#[derive(Clone, Copy)]
pub(crate) struct BlobPush<'a> {
    pub client: &'a RegistryClient,
    /// Blobs larger than this go up in PATCH chunks of this size.
    pub chunk_size: u64,
    /// Where blobs were seen before; told where each blob ends up.
    pub cache: Option<&'a BlobCache>,
}

impl BlobPush<'_> {
    /// Whether `repository` has the blob (HEAD with push rights, as the push will need them).
    pub(crate) async fn has(&self, repository: &str, digest: &Digest) -> Result<bool, Error> {
        let present = self.client.blob_size(repository, digest, &push_scope(repository)).await?.is_some();
        if present {
            self.remember(repository, digest);
        }
        Ok(present)
    }

    /// Notes in the cache that `repository` has the blob (the registry said so).
    pub(crate) fn remember(&self, repository: &str, digest: &Digest) {
        if let Some(cache) = self.cache {
            cache.record(self.client.host(), repository, digest);
        }
    }

    /// Mounts the blob into `repository` from a repository of this registry where an earlier
    /// run saw it (not one of `tried`). A candidate only: a registry that does not mount (an
    /// upload started instead, or a refusal) means the next candidate, then false.
    pub(crate) async fn mount_remembered(
        &self,
        report: Reporter<'_>,
        repository: &str,
        digest: &Digest,
        size: u64,
        tried: &[&str],
    ) -> bool {
        let Some(cache) = self.cache else { return false };
        let mut except = tried.to_vec();
        except.push(repository);
        for from in cache.candidates(self.client.host(), digest, &except) {
            match self.mount(report, repository, digest, size, &from).await {
                Ok(true) => return true,
                Ok(false) => tracing::debug!(%digest, %from, "remembered location did not mount"),
                Err(error) => tracing::debug!(%digest, %from, %error, "remembered location refused the mount"),
            }
        }
        false
    }

    /// Whether `repository` has the blob; counted as skipped if it has.
    pub(crate) async fn skip_if_present(
        &self,
        report: Reporter<'_>,
        repository: &str,
        digest: &Digest,
        size: u64,
    ) -> Result<bool, Error> {
        let present = self.has(repository, digest).await?;
        if present {
            report.record(Outcome::Skipped, digest, size);
        }
        Ok(present)
    }

    /// Mounts the blob from `from` into `repository`; counted as mounted if the registry did.
    pub(crate) async fn mount(
        &self,
        report: Reporter<'_>,
        repository: &str,
        digest: &Digest,
        size: u64,
        from: &str,
    ) -> Result<bool, Error> {
        let mounted = self.client.mount(repository, digest, from).await?;
        if mounted {
            self.remember(repository, digest);
            report.record(Outcome::Mounted, digest, size);
        }
        Ok(mounted)
    }

    /// Streams the blob up from `body`, which cannot be read twice: one try. Counted as sent.
    pub(crate) async fn upload_once(
        &self,
        report: Reporter<'_>,
        repository: &str,
        digest: &Digest,
        size: u64,
        body: ByteStream,
    ) -> Result<(), Error> {
        report.started(digest, size);
        let body = report.counted(digest, body);
        self.client.upload_blob(repository, digest, size, body, self.chunk_size).await?;
        self.remember(repository, digest);
        report.record(Outcome::Sent, digest, size);
        Ok(())
    }

    /// Uploads a blob held in memory, tried again as the client's retry policy allows. Counted
    /// as sent.
    pub(crate) async fn upload_bytes(
        &self,
        report: Reporter<'_>,
        repository: &str,
        digest: &Digest,
        bytes: Bytes,
    ) -> Result<(), Error> {
        let size = bytes.len() as u64;
        retrying(self.client.retry_policy(), digest, || async {
            report.started(digest, size);
            let body = report.counted(digest, Box::pin(futures_util::stream::iter([Ok(bytes.clone())])));
            self.client.upload_blob(repository, digest, size, body, self.chunk_size).await
        })
        .await?;
        self.remember(repository, digest);
        report.record(Outcome::Sent, digest, size);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_counts_each_outcome_with_its_bytes() {
        let (tally, events) = (Tally::default(), None);
        let report = Reporter { tally: &tally, events: &events };
        let digest = Digest::sha256_of(b"x");
        report.record(Outcome::Sent, &digest, 10);
        report.record(Outcome::Sent, &digest, 5);
        report.record(Outcome::Skipped, &digest, 7);
        report.record(Outcome::Mounted, &digest, 3);
        let summary = tally.summary(digest.clone(), 2, true, Duration::ZERO);
        assert_eq!((summary.blobs_sent, summary.bytes_sent), (2, 15));
        assert_eq!((summary.blobs_skipped, summary.bytes_skipped), (1, 7));
        assert_eq!((summary.blobs_mounted, summary.bytes_mounted), (1, 3));
        assert_eq!(summary.digest, Some(digest));
    }

    #[tokio::test]
    async fn retries_stop_at_an_answer_and_after_the_last_try() {
        let policy = RetryPolicy { attempts: 3, base_delay: Duration::ZERO, max_delay: Duration::ZERO };
        let digest = Digest::sha256_of(b"x");
        let tries = std::sync::atomic::AtomicU32::new(0);
        let transient = || async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err(Error::io("blob", std::io::Error::other("reset")))
        };
        assert!(retrying(&policy, &digest, transient).await.is_err());
        assert_eq!(tries.swap(0, Ordering::Relaxed), 3);
        let answer = || async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err(Error::NotFound { what: "blob".into(), location: "reg/app".into() })
        };
        assert!(retrying(&policy, &digest, answer).await.is_err());
        assert_eq!(tries.load(Ordering::Relaxed), 1, "a 404 is an answer, not a failure to retry");
    }
}

//! Pushing an airgap bundle's images while the bundle is read, with no copy on disk: each blob
//! goes into the repository of the image it comes with (skipped when that repository has it),
//! a blob an earlier image brought is mounted, and each manifest is put once its blobs are in.
//! Manifests are small and held in memory until their image's root manifest arrives.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use kots_oci::{Descriptor, Digest, ImageReference, Manifest, ManifestKind};
use kots_release::bundle::{BundleReader, MAX_MANIFEST};
use kots_transfer::{Event, RegistryClient, push_scope};
use tokio::sync::mpsc::UnboundedSender;

/// What happened to one image.
#[derive(Debug, Clone, Default)]
pub struct PushedImage {
    pub image: String,
    pub destination: String,
    pub digest: String,
    pub blobs_sent: u64,
    pub bytes_sent: u64,
    pub blobs_skipped: u64,
    pub blobs_mounted: u64,
}

/// Blobs larger than this go up in PATCH chunks of this size.
const CHUNK_SIZE: u64 = 512 * 1024 * 1024;
/// Blobs up to this size are held in memory and pushed while the bundle reads on, up to
/// [`SMALL_IN_FLIGHT`] at once: a small blob costs round trips and a registry fsync rather than
/// bandwidth, so one at a time would leave both sides idle. At most 8 MiB held this way.
const SMALL_BLOB: u64 = 1024 * 1024;
const SMALL_IN_FLIGHT: usize = 8;
/// Root manifests held back until the small pushes before them are in.
const ROOTS_AT_ONCE: usize = 16;

/// A small blob's push, run beside the bundle's reading.
type SmallPush<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<SmallPushed>> + Send + 'a>>;

/// What became of a small blob pushed into image `index`'s repository.
struct SmallPushed {
    index: usize,
    digest: Digest,
    size: u64,
    repository: String,
    sent: bool,
}

struct Pusher<'a> {
    client: &'a RegistryClient,
    events: Option<UnboundedSender<Event>>,
    /// Where each blob is known to be: repository and size.
    placed: HashMap<Digest, (String, u64)>,
    /// Manifests that arrived before the image naming them.
    held: HashMap<Digest, Bytes>,
    results: Vec<PushedImage>,
    repositories: Vec<String>,
    references: Vec<String>,
}

fn emit(events: &Option<UnboundedSender<Event>>, event: Event) {
    if let Some(events) = events {
        let _ = events.send(event);
    }
}

impl<'a> Pusher<'a> {
    /// Makes `descriptor`'s blob present in image `index`'s repository.
    async fn ensure_blob(&mut self, index: usize, descriptor: &Descriptor, bundle: &str) -> anyhow::Result<()> {
        let repository = self.repositories[index].clone();
        let digest = &descriptor.digest;
        if let Some((_, size)) = self.placed.get(digest)
            && *size != descriptor.size
        {
            anyhow::bail!(
                "{bundle}: entry `{}` is {size} bytes, but the manifest of {} says {}; the bundle is damaged",
                kots_release::bundle::blob_path(digest),
                self.results[index].image,
                descriptor.size
            );
        }
        match self.placed.get(digest).cloned() {
            Some((at, _)) if at == repository => return Ok(()),
            Some((at, size)) => {
                if self.client.blob_size(&repository, digest, &push_scope(&repository)).await?.is_none() {
                    if !self.client.mount(&repository, digest, &at).await? {
                        anyhow::bail!(
                            "{}: cannot mount blob {digest} from {at} into {repository}; this registry does not allow cross-repository mounts",
                            self.client.host()
                        );
                    }
                    self.results[index].blobs_mounted += 1;
                    emit(&self.events, Event::BlobMounted { digest: digest.clone(), size });
                }
                self.placed.insert(digest.clone(), (repository, size));
            }
            None => match self.client.blob_size(&repository, digest, &push_scope(&repository)).await? {
                Some(_) => {
                    self.results[index].blobs_skipped += 1;
                    emit(&self.events, Event::BlobSkipped { digest: digest.clone(), size: descriptor.size });
                    self.placed.insert(digest.clone(), (repository, descriptor.size));
                }
                None => anyhow::bail!(
                    "{bundle} lacks blob {digest}, which {} needs; the bundle is incomplete: build it again",
                    self.results[index].image
                ),
            },
        }
        Ok(())
    }

    /// Whether image `index`'s repository has the blob already (then it is recorded there).
    async fn skip_if_present(&mut self, index: usize, digest: &Digest, size: u64) -> anyhow::Result<bool> {
        let repository = self.repositories[index].clone();
        if self.client.blob_size(&repository, digest, &push_scope(&repository)).await?.is_none() {
            return Ok(false);
        }
        self.results[index].blobs_skipped += 1;
        emit(&self.events, Event::BlobSkipped { digest: digest.clone(), size });
        self.placed.insert(digest.clone(), (repository, size));
        Ok(true)
    }

    /// Pushes a blob held in memory into image `index`'s repository unless it is there; the
    /// outcome is recorded by [`Pusher::settle`].
    fn push_small(&self, index: usize, digest: &Digest, bytes: Bytes) -> SmallPush<'a> {
        let (client, events) = (self.client, self.events.clone());
        let (repository, digest) = (self.repositories[index].clone(), digest.clone());
        Box::pin(async move {
            let size = bytes.len() as u64;
            if client.blob_size(&repository, &digest, &push_scope(&repository)).await?.is_some() {
                return Ok(SmallPushed { index, digest, size, repository, sent: false });
            }
            emit(&events, Event::BlobStarted { digest: digest.clone(), size });
            let body: kots_transfer::ByteStream = Box::pin(futures_util::stream::iter([Ok(bytes)]));
            client.upload_blob(&repository, &digest, size, body, CHUNK_SIZE).await?;
            emit(&events, Event::BlobBytes { digest: digest.clone(), bytes: size });
            Ok(SmallPushed { index, digest, size, repository, sent: true })
        })
    }

    fn settle(&mut self, pushed: SmallPushed) {
        let SmallPushed { index, digest, size, repository, sent } = pushed;
        if sent {
            self.sent(index, &digest, size, repository);
        } else {
            self.results[index].blobs_skipped += 1;
            emit(&self.events, Event::BlobSkipped { digest: digest.clone(), size });
            self.placed.insert(digest, (repository, size));
        }
    }

    /// Waits for every small push in flight, then puts the root manifests queued meanwhile.
    async fn flush(
        &mut self,
        in_flight: &mut FuturesUnordered<SmallPush<'a>>,
        queued: &mut Vec<(usize, Bytes, Descriptor)>,
        bundle: &str,
    ) -> anyhow::Result<()> {
        while let Some(pushed) = in_flight.next().await {
            self.settle(pushed?);
        }
        for (index, bytes, descriptor) in queued.drain(..) {
            self.put_root(index, &bytes, &descriptor, bundle).await?;
        }
        Ok(())
    }

    fn sent(&mut self, index: usize, digest: &Digest, size: u64, repository: String) {
        self.results[index].blobs_sent += 1;
        self.results[index].bytes_sent += size;
        emit(&self.events, Event::BlobDone { digest: digest.clone(), size });
        self.placed.insert(digest.clone(), (repository, size));
    }

    /// Puts image `index`'s root manifest (children first), its blobs made present first.
    async fn put_root(
        &mut self,
        index: usize,
        bytes: &Bytes,
        descriptor: &Descriptor,
        bundle: &str,
    ) -> anyhow::Result<()> {
        let image = self.results[index].image.clone();
        let manifest = Manifest::parse(bytes, Some(&descriptor.media_type))
            .map_err(|e| anyhow::anyhow!("{bundle}: the manifest of {image} is invalid: {e}"))?;
        let repository = self.repositories[index].clone();
        if manifest.kind == ManifestKind::Index {
            for child in &manifest.manifests {
                let child_bytes = match self.held.get(&child.digest) {
                    Some(bytes) => bytes.clone(),
                    None if self.client.manifest_exists(&repository, &child.digest).await? => continue,
                    None => {
                        anyhow::bail!("{bundle} lacks manifest {} of {image}; build the bundle again", child.digest)
                    }
                };
                let child_manifest = Manifest::parse(&child_bytes, Some(&child.media_type))
                    .map_err(|e| anyhow::anyhow!("{bundle}: manifest {} of {image} is invalid: {e}", child.digest))?;
                for blob in child_manifest.referenced_blobs() {
                    self.ensure_blob(index, blob, bundle).await?;
                }
                self.client
                    .put_manifest(&repository, &child.digest.to_string(), &child.media_type, &child_bytes)
                    .await?;
            }
        }
        for blob in manifest.referenced_blobs() {
            self.ensure_blob(index, blob, bundle).await?;
        }
        let reference = self.references[index].clone();
        self.client.put_manifest(&repository, &reference, &descriptor.media_type, bytes).await?;
        emit(
            &self.events,
            Event::ManifestDone { digest: descriptor.digest.clone(), media_type: descriptor.media_type.clone() },
        );
        self.results[index].digest = descriptor.digest.to_string();
        Ok(())
    }
}

/// Pushes every image of `bundle` (read up to its blobs) to `destinations` (by the bundle's
/// image name: the destination reference, all on `client`'s registry). One result per image,
/// in the bundle's order.
pub async fn push_bundle_images(
    bundle: &mut BundleReader,
    destinations: &BTreeMap<String, ImageReference>,
    client: &RegistryClient,
    events: Option<UnboundedSender<Event>>,
) -> anyhow::Result<Vec<PushedImage>> {
    let name = bundle.name().to_owned();
    let images = bundle.images.clone();
    let mut pusher = Pusher {
        client,
        events,
        placed: HashMap::new(),
        held: HashMap::new(),
        results: Vec::new(),
        repositories: Vec::new(),
        references: Vec::new(),
    };
    for (image, _) in &images {
        let destination =
            destinations.get(image).ok_or_else(|| anyhow::anyhow!("no destination for {image} of {name}"))?;
        pusher.repositories.push(destination.repository().to_owned());
        // By tag where the image has one (digests are kept either way), else by digest.
        let reference = match (destination.tag(), destination.digest()) {
            (Some(tag), _) if !image.contains('@') => tag.to_owned(),
            (_, Some(digest)) => digest.to_string(),
            (Some(tag), None) => tag.to_owned(),
            (None, None) => "latest".to_owned(),
        };
        pusher.references.push(reference);
        pusher.results.push(PushedImage {
            image: image.clone(),
            destination: destination.to_string(),
            ..PushedImage::default()
        });
    }
    let mut done = vec![false; images.len()];
    let mut in_flight = FuturesUnordered::new();
    let mut queued = Vec::new();
    while let Some(entry) = bundle.next_blob().await? {
        let roots: Vec<usize> =
            images.iter().enumerate().filter(|(_, (_, d))| d.digest == entry.digest).map(|(i, _)| i).collect();
        let current = done.iter().position(|finished| !finished).unwrap_or(0);
        if !roots.is_empty() {
            let bytes = Bytes::from(bundle.read_blob().await?);
            for index in roots {
                let descriptor = images[index].1.clone();
                if bytes.len() as u64 != descriptor.size {
                    anyhow::bail!(
                        "{name}: entry `{}` is {} bytes; index.json says {} for {}",
                        kots_release::bundle::blob_path(&entry.digest),
                        bytes.len(),
                        descriptor.size,
                        images[index].0
                    );
                }
                // Put once the small pushes before it are in, with the next few images' roots:
                // waiting for each image alone would leave few pushes in flight.
                queued.push((index, bytes.clone(), descriptor));
                done[index] = true;
            }
            if queued.len() >= ROOTS_AT_ONCE {
                pusher.flush(&mut in_flight, &mut queued, &name).await?;
            }
            continue;
        }
        let repository = pusher.repositories.get(current).cloned().unwrap_or_default();
        if entry.size <= MAX_MANIFEST {
            let bytes = Bytes::from(bundle.read_blob().await?);
            if Manifest::parse(&bytes, None).is_ok() {
                pusher.held.insert(entry.digest.clone(), bytes);
                continue;
            }
            if entry.size <= SMALL_BLOB {
                if in_flight.len() >= SMALL_IN_FLIGHT
                    && let Some(pushed) = in_flight.next().await
                {
                    pusher.settle(pushed?);
                }
                in_flight.push(pusher.push_small(current, &entry.digest, bytes));
                continue;
            }
            // Larger ones, up to a manifest's size, go one at a time.
            let pushed = pusher.push_small(current, &entry.digest, bytes).await?;
            pusher.settle(pushed);
            continue;
        }
        // A large blob streams from the bundle; what is in flight finishes first.
        pusher.flush(&mut in_flight, &mut queued, &name).await?;
        if pusher.skip_if_present(current, &entry.digest, entry.size).await? {
            continue;
        }
        // Stream it: the bundle feeds a channel the upload reads from.
        emit(&pusher.events, Event::BlobStarted { digest: entry.digest.clone(), size: entry.size });
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
        let body: kots_transfer::ByteStream = Box::pin(futures_util::stream::unfold(receiver, |mut receiver| async {
            receiver.recv().await.map(|item| (item, receiver))
        }));
        let upload = {
            let (repository, digest) = (repository.clone(), entry.digest.clone());
            let client_ref = client;
            async move { client_ref.upload_blob(&repository, &digest, entry.size, body, CHUNK_SIZE).await }
        };
        let events = pusher.events.clone();
        let digest = entry.digest.clone();
        let reader = &mut *bundle;
        let feed = async move {
            let sender = sender;
            loop {
                match reader.chunk().await {
                    Ok(Some(chunk)) => {
                        let length = chunk.len() as u64;
                        if sender.send(Ok(chunk)).await.is_err() {
                            return Ok(());
                        }
                        emit(&events, Event::BlobBytes { digest: digest.clone(), bytes: length });
                    }
                    Ok(None) => return Ok(()),
                    Err(error) => {
                        let _ = sender.send(Err(std::io::Error::other(error.to_string()))).await;
                        return Err(error);
                    }
                }
            }
        };
        let (uploaded, fed) = tokio::join!(upload, feed);
        fed?;
        uploaded?;
        pusher.sent(current, &entry.digest, entry.size, repository);
    }
    pusher.flush(&mut in_flight, &mut queued, &name).await?;
    if let Some(missing) = done.iter().position(|finished| !finished) {
        anyhow::bail!("{name} ends before the manifest of {}; the bundle is incomplete", images[missing].0);
    }
    Ok(pusher.results)
}

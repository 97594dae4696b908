//! Pushing an airgap bundle's images while the bundle is read, with no copy on disk: each blob
//! goes into the repository of the image it comes with (skipped when that repository has it),
//! a blob an earlier image brought is mounted, and each manifest is put once its blobs are in.
//! Manifests are small and held in memory until their image's root manifest arrives. The
//! skip, mount, upload, retry and counting are [`crate::push`]'s, as for every copy.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use kots_oci::{Descriptor, Digest, ImageReference, Manifest, ManifestKind};
use kots_release::bundle::{BundleReader, MAX_MANIFEST, blob_path};
use tokio::sync::mpsc::UnboundedSender;

use crate::blob_cache::BlobCache;
use crate::client::{ByteStream, RegistryClient};
use crate::error::Error;
use crate::progress::{Event, Summary};
use crate::push::{BlobPush, Reporter, Tally, emit};

/// What happened to one image of the bundle.
#[derive(Debug, Clone)]
pub struct PushedImage {
    /// The image as the bundle names it.
    pub image: String,
    /// Where it went.
    pub destination: String,
    /// Its blobs and manifests; `digest` is the root manifest's.
    pub summary: Summary,
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
type SmallPush<'a> = Pin<Box<dyn Future<Output = Result<Placement, Error>> + Send + 'a>>;

/// A blob now in a repository: where, and its size.
struct Placement {
    digest: Digest,
    repository: String,
    size: u64,
}

/// One image of the bundle on its way.
struct Image {
    name: String,
    destination: String,
    repository: String,
    /// The tag or digest its root manifest is put under.
    reference: String,
    manifests: u64,
    digest: Option<Digest>,
}

struct Pusher<'a> {
    push: BlobPush<'a>,
    events: Option<UnboundedSender<Event>>,
    bundle: String,
    images: Vec<Image>,
    /// One per image; shared with the small pushes in flight.
    tallies: Arc<Vec<Tally>>,
    /// Where each blob is known to be: repository and size.
    placed: HashMap<Digest, (String, u64)>,
    /// Manifests that arrived before the image naming them.
    held: HashMap<Digest, Bytes>,
}

impl<'a> Pusher<'a> {
    fn report(&self, index: usize) -> Reporter<'_> {
        Reporter { tally: &self.tallies[index], events: &self.events }
    }

    fn place(&mut self, placement: Placement) {
        self.placed.insert(placement.digest, (placement.repository, placement.size));
    }

    /// Makes `descriptor`'s blob present in image `index`'s repository.
    async fn ensure_blob(&mut self, index: usize, descriptor: &Descriptor) -> Result<(), Error> {
        let repository = self.images[index].repository.clone();
        let digest = &descriptor.digest;
        match self.placed.get(digest).cloned() {
            Some((_, size)) if size != descriptor.size => Err(Error::Bundle(format!(
                "{}: entry `{}` is {size} bytes, but the manifest of {} says {}; the bundle is damaged",
                self.bundle,
                blob_path(digest),
                self.images[index].name,
                descriptor.size
            ))),
            Some((at, _)) if at == repository => Ok(()),
            Some((at, size)) => {
                if !self.push.has(&repository, digest).await?
                    && !self.push.mount(self.report(index), &repository, digest, size, &at).await?
                {
                    return Err(Error::Bundle(format!(
                        "{}: cannot mount blob {digest} from {at} into {repository}; this registry does not allow cross-repository mounts",
                        self.push.client.host()
                    )));
                }
                self.placed.insert(digest.clone(), (repository, size));
                Ok(())
            }
            None => {
                if !self.push.skip_if_present(self.report(index), &repository, digest, descriptor.size).await? {
                    return Err(Error::Bundle(format!(
                        "{} lacks blob {digest}, which {} needs; the bundle is incomplete: build it again",
                        self.bundle, self.images[index].name
                    )));
                }
                self.placed.insert(digest.clone(), (repository, descriptor.size));
                Ok(())
            }
        }
    }

    /// Pushes a blob held in memory into image `index`'s repository unless it is there; where
    /// it is then is recorded by [`Pusher::place`].
    fn push_small(&self, index: usize, digest: &Digest, bytes: Bytes) -> SmallPush<'a> {
        let (push, events, tallies) = (self.push, self.events.clone(), self.tallies.clone());
        let (repository, digest) = (self.images[index].repository.clone(), digest.clone());
        Box::pin(async move {
            let report = Reporter { tally: &tallies[index], events: &events };
            let size = bytes.len() as u64;
            if !push.skip_if_present(report, &repository, &digest, size).await?
                && !push.mount_remembered(report, &repository, &digest, size, &[]).await
            {
                push.upload_bytes(report, &repository, &digest, bytes).await?;
            }
            Ok(Placement { digest, repository, size })
        })
    }

    /// Waits for every small push in flight, then puts the root manifests queued meanwhile.
    async fn flush(
        &mut self,
        in_flight: &mut FuturesUnordered<SmallPush<'a>>,
        queued: &mut Vec<(usize, Bytes, Descriptor)>,
    ) -> Result<(), Error> {
        while let Some(pushed) = in_flight.next().await {
            self.place(pushed?);
        }
        for (index, bytes, descriptor) in queued.drain(..) {
            self.put_root(index, &bytes, &descriptor).await?;
        }
        Ok(())
    }

    fn invalid_manifest(&self, which: String, error: kots_oci::Error) -> Error {
        Error::Bundle(format!("{}: {which} is invalid: {error}", self.bundle))
    }

    /// Puts image `index`'s root manifest (children first), its blobs made present first.
    async fn put_root(&mut self, index: usize, bytes: &Bytes, descriptor: &Descriptor) -> Result<(), Error> {
        let image = self.images[index].name.clone();
        let manifest = Manifest::parse(bytes, Some(&descriptor.media_type))
            .map_err(|e| self.invalid_manifest(format!("the manifest of {image}"), e))?;
        let repository = self.images[index].repository.clone();
        let client = self.push.client;
        if manifest.kind == ManifestKind::Index {
            for child in &manifest.manifests {
                let child_bytes = match self.held.get(&child.digest) {
                    Some(bytes) => bytes.clone(),
                    None if client.manifest_exists(&repository, &child.digest).await? => continue,
                    None => {
                        return Err(Error::Bundle(format!(
                            "{} lacks manifest {} of {image}; build the bundle again",
                            self.bundle, child.digest
                        )));
                    }
                };
                let child_manifest = Manifest::parse(&child_bytes, Some(&child.media_type))
                    .map_err(|e| self.invalid_manifest(format!("manifest {} of {image}", child.digest), e))?;
                for blob in child_manifest.referenced_blobs() {
                    self.ensure_blob(index, blob).await?;
                }
                client.put_manifest(&repository, &child.digest.to_string(), &child.media_type, &child_bytes).await?;
                self.images[index].manifests += 1;
            }
        }
        for blob in manifest.referenced_blobs() {
            self.ensure_blob(index, blob).await?;
        }
        let reference = self.images[index].reference.clone();
        client.put_manifest(&repository, &reference, &descriptor.media_type, bytes).await?;
        emit(
            &self.events,
            Event::ManifestDone { digest: descriptor.digest.clone(), media_type: descriptor.media_type.clone() },
        );
        self.images[index].manifests += 1;
        self.images[index].digest = Some(descriptor.digest.clone());
        Ok(())
    }

    /// Streams a large blob from the bundle into image `index`'s repository.
    async fn stream_blob(
        &mut self,
        bundle: &mut BundleReader,
        index: usize,
        digest: &Digest,
        size: u64,
    ) -> Result<(), Error> {
        let repository = self.images[index].repository.clone();
        // The bundle feeds a channel the upload reads from.
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
        let body: ByteStream = Box::pin(futures_util::stream::unfold(receiver, |mut receiver| async {
            receiver.recv().await.map(|item| (item, receiver))
        }));
        let upload = self.push.upload_once(self.report(index), &repository, digest, size, body);
        let feed = async move {
            loop {
                match bundle.chunk().await {
                    Ok(Some(chunk)) => {
                        if sender.send(Ok(chunk)).await.is_err() {
                            return Ok(());
                        }
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
        self.placed.insert(digest.clone(), (repository, size));
        Ok(())
    }
}

/// Pushes every image of `bundle` (read up to its blobs, opened with
/// [`BundleReader::open_file`]) to `destinations` (by the bundle's image name: the destination
/// reference, all on `client`'s registry), once [`BundleReader::check_references`] has found
/// every blob used by an image. One result per image, in the bundle's order. With a `cache`,
/// a blob the registry lacks is first mounted from where earlier runs saw it, and every blob
/// pushed or found is remembered (the cache is saved at the end, whatever the outcome).
pub async fn push_bundle_images(
    bundle: &mut BundleReader,
    destinations: &BTreeMap<String, ImageReference>,
    client: &RegistryClient,
    cache: Option<&BlobCache>,
    events: Option<UnboundedSender<Event>>,
) -> Result<Vec<PushedImage>, Error> {
    let result = push_all(bundle, destinations, client, cache, events).await;
    if let Some(cache) = cache.cloned() {
        let _ = tokio::task::spawn_blocking(move || cache.save()).await;
    }
    result
}

async fn push_all(
    bundle: &mut BundleReader,
    destinations: &BTreeMap<String, ImageReference>,
    client: &RegistryClient,
    cache: Option<&BlobCache>,
    events: Option<UnboundedSender<Event>>,
) -> Result<Vec<PushedImage>, Error> {
    let started = Instant::now();
    // Before anything is pushed: every blob is one an image uses, of the size that names it.
    bundle.check_references().await?;
    let name = bundle.name().to_owned();
    let roots = bundle.images.clone();
    let mut images = Vec::new();
    for (image, _) in &roots {
        let destination =
            destinations.get(image).ok_or_else(|| Error::Bundle(format!("no destination for {image} of {name}")))?;
        // By tag where the image has one (digests are kept either way), else by digest.
        let reference = match (destination.tag(), destination.digest()) {
            (Some(tag), _) if !image.contains('@') => tag.to_owned(),
            (_, Some(digest)) => digest.to_string(),
            (Some(tag), None) => tag.to_owned(),
            (None, None) => "latest".to_owned(),
        };
        images.push(Image {
            name: image.clone(),
            destination: destination.to_string(),
            repository: destination.repository().to_owned(),
            reference,
            manifests: 0,
            digest: None,
        });
    }
    let mut pusher = Pusher {
        push: BlobPush { client, chunk_size: CHUNK_SIZE, cache },
        events,
        bundle: name.clone(),
        tallies: Arc::new(images.iter().map(|_| Tally::default()).collect()),
        images,
        placed: HashMap::new(),
        held: HashMap::new(),
    };
    let mut done = vec![false; roots.len()];
    let mut in_flight = FuturesUnordered::new();
    let mut queued = Vec::new();
    while let Some(entry) = bundle.next_blob().await? {
        if pusher.images.is_empty() {
            return Err(Error::Bundle(format!("{name}: blob {} belongs to no image of index.json", entry.digest)));
        }
        let heads: Vec<usize> =
            roots.iter().enumerate().filter(|(_, (_, d))| d.digest == entry.digest).map(|(i, _)| i).collect();
        let current = done.iter().position(|finished| !finished).unwrap_or(0);
        if !heads.is_empty() {
            // The declared size is checked before a byte is read: a header may lie.
            for index in &heads {
                let descriptor = &roots[*index].1;
                if entry.size != descriptor.size {
                    return Err(Error::Bundle(format!(
                        "{name}: entry `{}` is {} bytes; index.json says {} for {}",
                        blob_path(&entry.digest),
                        entry.size,
                        descriptor.size,
                        roots[*index].0
                    )));
                }
            }
            let bytes = Bytes::from(bundle.read_blob().await?);
            for index in heads {
                let descriptor = roots[index].1.clone();
                // Put once the small pushes before it are in, with the next few images' roots:
                // waiting for each image alone would leave few pushes in flight.
                queued.push((index, bytes.clone(), descriptor));
                done[index] = true;
            }
            if queued.len() >= ROOTS_AT_ONCE {
                pusher.flush(&mut in_flight, &mut queued).await?;
            }
            continue;
        }
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
                    pusher.place(pushed?);
                }
                in_flight.push(pusher.push_small(current, &entry.digest, bytes));
                continue;
            }
            // Larger ones, up to a manifest's size, go one at a time.
            let pushed = pusher.push_small(current, &entry.digest, bytes).await?;
            pusher.place(pushed);
            continue;
        }
        // A large blob streams from the bundle; what is in flight finishes first.
        pusher.flush(&mut in_flight, &mut queued).await?;
        let repository = pusher.images[current].repository.clone();
        let (push, report) = (pusher.push, pusher.report(current));
        if !push.skip_if_present(report, &repository, &entry.digest, entry.size).await?
            && !push.mount_remembered(report, &repository, &entry.digest, entry.size, &[]).await
        {
            pusher.stream_blob(bundle, current, &entry.digest, entry.size).await?;
        } else {
            pusher.placed.insert(entry.digest.clone(), (repository, entry.size));
        }
    }
    pusher.flush(&mut in_flight, &mut queued).await?;
    drop(in_flight);
    if let Some(missing) = done.iter().position(|finished| !finished) {
        return Err(Error::Bundle(format!(
            "{name} ends before the manifest of {}; the bundle is incomplete",
            roots[missing].0
        )));
    }
    let elapsed = started.elapsed();
    Ok(pusher
        .images
        .iter()
        .zip(pusher.tallies.iter())
        .map(|(image, tally)| PushedImage {
            image: image.name.clone(),
            destination: image.destination.clone(),
            summary: tally.summary(image.digest.clone().expect("every root was put"), image.manifests, true, elapsed),
        })
        .collect())
}

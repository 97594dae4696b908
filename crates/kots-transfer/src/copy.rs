//! The copy itself: read the source's manifests, move every blob they need that the
//! destination lacks (in parallel, verified while streaming), then write the manifests,
//! children before the index that lists them, byte for byte.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use kots_oci::{Descriptor, Digest, Hasher, Manifest, ManifestKind, OciLayout};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc::UnboundedSender;

use crate::blob_cache::BlobCache;
use crate::client::{ByteStream, ClientOptions, RegistryClient, pull_scope, push_scope};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::progress::{Event, Summary};
use crate::push::{BlobPush, Outcome, Reporter, Tally, emit, retrying};

/// `os/architecture[/variant]`, as `--platform` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    pub fn parse(text: &str) -> Option<Platform> {
        let mut parts = text.split('/');
        let os = parts.next().filter(|part| !part.is_empty())?.to_owned();
        let architecture = parts.next().filter(|part| !part.is_empty())?.to_owned();
        let variant = parts.next().map(str::to_owned);
        parts.next().is_none().then_some(Platform { os, architecture, variant })
    }

    fn matches(&self, descriptor: &Descriptor) -> bool {
        descriptor.platform.as_ref().is_some_and(|platform| {
            platform.os == self.os
                && platform.architecture == self.architecture
                && (self.variant.is_none() || platform.variant == self.variant)
        })
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct CopyOptions {
    pub source: ClientOptions,
    pub destination: ClientOptions,
    /// Only these platforms of an index; empty for all (the index is then copied whole).
    pub platforms: Vec<Platform>,
    /// Blobs moving at once.
    pub concurrency: usize,
    /// Blobs larger than this are uploaded in chunks of this size.
    pub chunk_size: u64,
    /// Options for particular registry hosts, on either side, instead of `source` or
    /// `destination`: an app's images come from several registries, each with its own login.
    pub registries: HashMap<String, ClientOptions>,
    /// Where blobs were seen before, across runs: a blob missing from its destination
    /// repository is mounted from a remembered repository of the same registry before it is
    /// uploaded, and every blob read or put is remembered. Saved when the copy ends.
    pub blob_cache: Option<BlobCache>,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            source: ClientOptions::default(),
            destination: ClientOptions::default(),
            platforms: Vec::new(),
            concurrency: 8,
            chunk_size: 512 * 1024 * 1024,
            registries: HashMap::new(),
            blob_cache: None,
        }
    }
}

enum Side {
    Registry { client: Arc<RegistryClient>, repository: String, reference: Option<String> },
    Layout { layout: OciLayout, reference: Option<String> },
}

impl Side {
    fn open(endpoint: &Endpoint, options: &CopyOptions, destination: bool) -> Result<Side, Error> {
        match endpoint {
            Endpoint::Registry { reference, plain_http } => {
                let options = options.registries.get(reference.registry()).unwrap_or(if destination {
                    &options.destination
                } else {
                    &options.source
                });
                let options = ClientOptions { plain_http: options.plain_http || *plain_http, ..options.clone() };
                let client = RegistryClient::new(reference.registry(), &options)?;
                Ok(Side::Registry {
                    client: Arc::new(client),
                    repository: reference.repository().to_owned(),
                    reference: explicit_reference(reference),
                })
            }
            Endpoint::Layout { directory, reference } => {
                let layout = if destination { OciLayout::create(directory)? } else { OciLayout::open(directory)? };
                Ok(Side::Layout { layout, reference: reference.clone() })
            }
        }
    }

    /// Where blobs are stored: the registry host (repositories of one registry can mount from
    /// each other) or the layout folder.
    fn store(&self) -> String {
        match self {
            Side::Registry { client, .. } => format!("registry {}", client.host()),
            Side::Layout { layout, .. } => format!("layout {}", layout.root().display()),
        }
    }

    fn repository(&self) -> Option<String> {
        match self {
            Side::Registry { repository, .. } => Some(repository.clone()),
            Side::Layout { .. } => None,
        }
    }

    fn name(&self) -> String {
        match self {
            Side::Registry { client, repository, .. } => format!("{}/{repository}", client.host()),
            Side::Layout { layout, .. } => format!("oci:{}", layout.root().display()),
        }
    }

    /// The root manifest: bytes, media type, digest.
    async fn root_manifest(&self) -> Result<(Bytes, String, Digest), Error> {
        match self {
            Side::Registry { client, repository, reference } => {
                let reference = reference.clone().unwrap_or_else(|| "latest".to_owned());
                client
                    .manifest(repository, &reference)
                    .await?
                    .ok_or_else(|| Error::NotFound { what: format!("manifest `{reference}`"), location: self.name() })
            }
            Side::Layout { layout, reference } => {
                let index = layout.index()?;
                let descriptor = match reference {
                    Some(name) => layout.find(name)?,
                    None if index.manifests.len() == 1 => index.manifests.first().cloned(),
                    None => None,
                };
                let descriptor = descriptor.ok_or_else(|| {
                    let names: Vec<&str> = index
                        .manifests
                        .iter()
                        .filter_map(|d| d.annotation(kots_oci::layout::REF_NAME_ANNOTATION))
                        .collect();
                    Error::NotFound {
                        what: format!(
                            "image `{}` (it has: {})",
                            reference.as_deref().unwrap_or("(none)"),
                            names.join(", ")
                        ),
                        location: self.name(),
                    }
                })?;
                let bytes = self.child_manifest(&descriptor.digest).await?.0;
                Ok((bytes, descriptor.media_type, descriptor.digest))
            }
        }
    }

    async fn child_manifest(&self, digest: &Digest) -> Result<(Bytes, Option<String>), Error> {
        match self {
            Side::Registry { client, repository, .. } => {
                let (bytes, media_type, _) = client
                    .manifest(repository, &digest.to_string())
                    .await?
                    .ok_or_else(|| Error::NotFound { what: format!("manifest {digest}"), location: self.name() })?;
                Ok((bytes, Some(media_type)))
            }
            Side::Layout { layout, .. } => {
                let path = layout.blob_path(digest);
                let bytes = tokio::fs::read(&path).await.map_err(|e| Error::io(path.display(), e))?;
                let actual = Digest::of(digest.algorithm(), &bytes);
                if &actual != digest {
                    return Err(Error::Corrupt { digest: digest.clone(), actual, source_name: self.name() });
                }
                Ok((Bytes::from(bytes), None))
            }
        }
    }

    async fn open_blob(&self, digest: &Digest) -> Result<ByteStream, Error> {
        match self {
            Side::Registry { client, repository, .. } => client.get_blob(repository, digest).await,
            Side::Layout { layout, .. } => {
                let path = layout.blob_path(digest);
                let file = tokio::fs::File::open(&path).await.map_err(|e| Error::io(path.display(), e))?;
                Ok(Box::pin(file_stream(file)))
            }
        }
    }

    async fn has_blob(&self, digest: &Digest) -> Result<bool, Error> {
        match self {
            Side::Registry { client, repository, .. } => {
                Ok(client.blob_size(repository, digest, &push_scope(repository)).await?.is_some())
            }
            Side::Layout { layout, .. } => Ok(layout.has_blob(digest)),
        }
    }

    async fn put_blob(&self, digest: &Digest, size: u64, body: ByteStream, chunk_size: u64) -> Result<(), Error> {
        match self {
            Side::Registry { client, repository, .. } => {
                client.upload_blob(repository, digest, size, body, chunk_size).await
            }
            Side::Layout { layout, .. } => write_layout_blob(layout, digest, body).await,
        }
    }

    async fn put_manifest(
        &self,
        reference: Option<&str>,
        digest: &Digest,
        media_type: &str,
        bytes: &Bytes,
    ) -> Result<(), Error> {
        match self {
            Side::Registry { client, repository, .. } => {
                let reference = reference.map_or_else(|| digest.to_string(), str::to_owned);
                client.put_manifest(repository, &reference, media_type, bytes).await
            }
            Side::Layout { layout, .. } => {
                if !layout.has_blob(digest) {
                    let stream: ByteStream = Box::pin(futures_util::stream::iter([Ok(bytes.clone())]));
                    write_layout_blob(layout, digest, stream).await?;
                }
                if let Some(name) = reference {
                    let descriptor = Descriptor::new(media_type, digest.clone(), bytes.len() as u64);
                    let layout = layout.clone();
                    let name = name.to_owned();
                    tokio::task::spawn_blocking(move || layout.add_manifest(descriptor, Some(&name)))
                        .await
                        .map_err(|e| Error::io("index.json", std::io::Error::other(e)))??;
                }
                Ok(())
            }
        }
    }
}

fn file_stream(file: tokio::fs::File) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    futures_util::stream::unfold(file, |mut file| async move {
        use tokio::io::AsyncReadExt;
        let mut buffer = bytes::BytesMut::with_capacity(256 * 1024);
        match file.read_buf(&mut buffer).await {
            Ok(0) => None,
            Ok(_) => Some((Ok(buffer.freeze()), file)),
            Err(error) => Some((Err(error), file)),
        }
    })
}

/// Streams a blob into a layout: temporary file, fsync, rename (the caller verifies the digest).
async fn write_layout_blob(layout: &OciLayout, digest: &Digest, mut body: ByteStream) -> Result<(), Error> {
    let target = layout.blob_path(digest);
    let directory = target.parent().expect("blob paths have a parent").to_owned();
    tokio::fs::create_dir_all(&directory).await.map_err(|e| Error::io(directory.display(), e))?;
    let temp = directory.join(format!(".tmp-{}", uuid::Uuid::new_v4()));
    let result = async {
        let mut file = tokio::fs::File::create(&temp).await.map_err(|e| Error::io(temp.display(), e))?;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Error::io(format!("blob {digest}"), e))?;
            file.write_all(&chunk).await.map_err(|e| Error::io(temp.display(), e))?;
        }
        file.sync_all().await.map_err(|e| Error::io(temp.display(), e))?;
        tokio::fs::rename(&temp, &target).await.map_err(|e| Error::io(target.display(), e))
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result
}

/// The tag or digest the user wrote, if any (`host/repo` alone names none).
fn explicit_reference(reference: &kots_oci::ImageReference) -> Option<String> {
    let original = reference.original();
    let after_slash = original.rsplit('/').next().unwrap_or(original);
    if let Some(digest) = reference.digest() {
        return Some(digest.to_string());
    }
    after_slash.contains(':').then(|| reference.tag().map(str::to_owned)).flatten()
}

/// What the copy will move, found by walking the source's manifests.
#[derive(Default)]
struct Plan {
    /// Manifests in the order to write them: children before parents.
    manifests: Vec<(Digest, String, Bytes)>,
    blobs: Vec<Descriptor>,
    index_complete: bool,
}

fn collect_blobs(plan: &mut Plan, seen: &mut HashSet<Digest>, manifest: &Manifest) {
    for descriptor in manifest.referenced_blobs() {
        if seen.insert(descriptor.digest.clone()) {
            plan.blobs.push(descriptor.clone());
        }
    }
}

async fn plan(
    source: &Side,
    root: (Bytes, String, Digest),
    platforms: &[crate::copy::Platform],
) -> Result<Plan, Error> {
    let (bytes, media_type, digest) = root;
    let invalid = |reference: &Digest, error: kots_oci::Error| Error::InvalidManifest {
        reference: reference.to_string(),
        location: source.name(),
        reason: error.to_string(),
    };
    let manifest = Manifest::parse(&bytes, Some(&media_type)).map_err(|e| invalid(&digest, e))?;
    let mut plan = Plan { index_complete: true, ..Plan::default() };
    let mut seen = HashSet::new();
    match manifest.kind {
        ManifestKind::Image => {
            collect_blobs(&mut plan, &mut seen, &manifest);
            plan.manifests.push((digest, media_type, bytes));
        }
        ManifestKind::Index => {
            let mut chosen: Vec<&Descriptor> = manifest.manifests.iter().collect();
            if !platforms.is_empty() {
                let kept: Vec<&Descriptor> =
                    manifest.manifests.iter().filter(|d| platforms.iter().any(|p| p.matches(d))).collect();
                if kept.is_empty() {
                    let available: Vec<String> = manifest
                        .manifests
                        .iter()
                        .filter_map(|d| d.platform.as_ref().map(|p| format!("{}/{}", p.os, p.architecture)))
                        .collect();
                    return Err(Error::NoPlatform {
                        reference: digest.to_string(),
                        wanted: platforms.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                        available: available.join(", "),
                    });
                }
                // Attestations travel with the images they describe.
                let kept_digests: Vec<String> = kept.iter().map(|d| d.digest.to_string()).collect();
                let attestations = manifest.manifests.iter().filter(|d| {
                    Manifest::is_attestation(d)
                        && d.annotation("vnd.docker.reference.digest")
                            .is_some_and(|r| kept_digests.iter().any(|k| k == r))
                });
                chosen = kept.into_iter().chain(attestations).collect();
                plan.index_complete = chosen.len() == manifest.manifests.len();
            }
            for child in &chosen {
                let (child_bytes, _) = source.child_manifest(&child.digest).await?;
                let child_manifest =
                    Manifest::parse(&child_bytes, Some(&child.media_type)).map_err(|e| invalid(&child.digest, e))?;
                if child_manifest.kind == ManifestKind::Index {
                    return Err(invalid(
                        &child.digest,
                        kots_oci::Error::InvalidManifest("nested indexes are not supported".into()),
                    ));
                }
                collect_blobs(&mut plan, &mut seen, &child_manifest);
                plan.manifests.push((child.digest.clone(), child.media_type.clone(), child_bytes));
            }
            if plan.index_complete {
                plan.manifests.push((digest, media_type, bytes));
            } else {
                // A new index of just the chosen manifests (their digests unchanged).
                let mut value: serde_json::Value = serde_json::from_slice(&bytes)
                    .map_err(|e| invalid(&digest, kots_oci::Error::InvalidManifest(e.to_string())))?;
                value["manifests"] = serde_json::to_value(&chosen).expect("descriptors serialise");
                let new_bytes = Bytes::from(serde_json::to_vec(&value).expect("JSON serialises"));
                plan.manifests.push((Digest::sha256_of(&new_bytes), media_type, new_bytes));
            }
        }
    }
    Ok(plan)
}

/// How many other repositories a missing blob is looked for in before it is sent.
const MAX_SIBLING_PROBES: usize = 4;

/// Where a blob went first in this copy, so that other images bound for the same registry
/// mount it from there instead of sending it again (`None`: a layout, where it is simply there).
type Placed = Option<String>;
type PlacedCell = Arc<tokio::sync::OnceCell<Placed>>;

/// What concurrent copies share: one transfer per (destination store, blob), and a bound on the
/// blobs moving at once across all of them.
struct Shared {
    in_flight: Mutex<HashMap<(String, Digest), PlacedCell>>,
    /// The destination repositories each blob is bound for, per store: where an earlier run may
    /// have left it, to mount from instead of sending it again.
    bound_for: Mutex<HashMap<(String, Digest), Vec<String>>>,
    permits: tokio::sync::Semaphore,
}

impl Shared {
    fn new(concurrency: usize) -> Shared {
        Shared {
            in_flight: Mutex::default(),
            bound_for: Mutex::default(),
            permits: tokio::sync::Semaphore::new(concurrency.max(1)),
        }
    }

    fn register(&self, prepared: &Prepared) {
        let Some(repository) = prepared.destination.repository() else { return };
        let store = prepared.destination.store();
        let mut bound_for = self.bound_for.lock().expect("never poisoned");
        for blob in &prepared.plan.blobs {
            let repositories = bound_for.entry((store.clone(), blob.digest.clone())).or_default();
            if !repositories.contains(&repository) {
                repositories.push(repository.clone());
            }
        }
    }

    /// Other repositories of `store` this copy sends `digest` to.
    fn siblings(&self, store: &str, digest: &Digest, repository: &str) -> Vec<String> {
        let bound_for = self.bound_for.lock().expect("never poisoned");
        let found = bound_for.get(&(store.to_owned(), digest.clone())).into_iter().flatten();
        found.filter(|other| *other != repository).take(MAX_SIBLING_PROBES).cloned().collect()
    }

    fn cell(&self, destination: &str, digest: &Digest) -> PlacedCell {
        self.in_flight
            .lock()
            .expect("never poisoned")
            .entry((destination.to_owned(), digest.clone()))
            .or_default()
            .clone()
    }
}

/// Wraps a source stream: hashes as it goes and fails, instead of yielding the last bytes, if
/// the digest differs, so that the destination never receives a whole corrupt blob. The failure
/// is also recorded in `corrupt`, so the caller can name the blob.
fn verifying(body: ByteStream, descriptor: &Descriptor, corrupt: Arc<Mutex<Option<Digest>>>) -> ByteStream {
    struct State {
        body: ByteStream,
        hasher: Option<Hasher>,
        digest: Digest,
        size: u64,
        seen: u64,
        corrupt: Arc<Mutex<Option<Digest>>>,
    }
    impl State {
        /// Finishes the hash; an error if it does not match.
        fn conclude(&mut self) -> Result<(), std::io::Error> {
            let actual = self.hasher.take().expect("concluded once").finish();
            if actual == self.digest {
                return Ok(());
            }
            *self.corrupt.lock().expect("never poisoned") = Some(actual.clone());
            Err(std::io::Error::other(format!("blob {} hashes to {actual}", self.digest)))
        }
    }
    let state = State {
        body,
        hasher: Some(descriptor.digest.algorithm().hasher()),
        digest: descriptor.digest.clone(),
        size: descriptor.size,
        seen: 0,
        corrupt,
    };
    Box::pin(futures_util::stream::unfold(state, |mut state| async move {
        let hasher = state.hasher.as_mut()?;
        match state.body.next().await {
            Some(Ok(chunk)) => {
                hasher.update(&chunk);
                state.seen += chunk.len() as u64;
                if state.seen >= state.size
                    && let Err(error) = state.conclude()
                {
                    return Some((Err(error), state));
                }
                Some((Ok(chunk), state))
            }
            Some(Err(error)) => {
                state.hasher = None;
                Some((Err(error), state))
            }
            None => match state.conclude() {
                Ok(()) => None,
                Err(error) => Some((Err(error), state)),
            },
        }
    }))
}

/// One image's blob copies: the two sides and what they report to.
struct BlobCopier<'a> {
    source: &'a Side,
    destination: &'a Side,
    options: &'a CopyOptions,
    report: Reporter<'a>,
    shared: &'a Shared,
}

impl BlobCopier<'_> {
    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Error> {
        self.shared.permits.acquire().await.map_err(|e| Error::io("copy", std::io::Error::other(e)))
    }

    /// The destination as a registry to push blobs to (`None`: a layout).
    fn push(&self) -> Option<(BlobPush<'_>, &str)> {
        match self.destination {
            Side::Registry { client, repository, .. } => {
                let cache = self.options.blob_cache.as_ref();
                Some((BlobPush { client, chunk_size: self.options.chunk_size, cache }, repository.as_str()))
            }
            Side::Layout { .. } => None,
        }
    }

    /// Copies one blob unless another image of the same copy already moves it to the same
    /// store; then waits for that, and mounts from where it landed if it is another repository.
    async fn copy(&self, descriptor: &Descriptor) -> Result<(), Error> {
        let (digest, size) = (&descriptor.digest, descriptor.size);
        let cell = self.shared.cell(&self.destination.store(), digest);
        let mut moved_here = false;
        let placed = cell
            .get_or_try_init(|| async {
                let _permit = self.permit().await?;
                moved_here = true;
                self.transfer(descriptor).await?;
                Ok::<_, Error>(self.destination.repository())
            })
            .await?;
        if moved_here {
            return Ok(());
        }
        if let (Some(from), Some((push, repository))) = (placed.as_deref(), self.push())
            && from != repository
        {
            if push.skip_if_present(self.report, repository, digest, size).await?
                || push.mount(self.report, repository, digest, size, from).await?
            {
                return Ok(());
            }
            let _permit = self.permit().await?;
            return self.transfer(descriptor).await;
        }
        self.report.record(Outcome::Skipped, digest, size);
        Ok(())
    }

    /// Moves one blob: skipped if present, mounted within a registry if it can be (from the
    /// source's repository, from another repository this copy sends it to, then from ones the
    /// cache remembers), otherwise streamed and verified, retried on transient failures.
    async fn transfer(&self, descriptor: &Descriptor) -> Result<(), Error> {
        let (source, destination, options) = (self.source, self.destination, self.options);
        let (digest, size) = (&descriptor.digest, descriptor.size);
        match self.push() {
            Some((push, to)) => {
                if push.skip_if_present(self.report, to, digest, size).await? {
                    return Ok(());
                }
                let mut tried = Vec::new();
                if let Side::Registry { client: from_client, repository: from, .. } = source
                    && from_client.host() == push.client.host()
                    && from != to
                {
                    if push.mount(self.report, to, digest, size, from).await? {
                        return Ok(());
                    }
                    tried.push(from.clone());
                }
                // A blob shared with another image of this copy may be in that image's
                // repository since an earlier run: mount it from there.
                for sibling in self.shared.siblings(&destination.store(), digest, to) {
                    if push.client.blob_size(&sibling, digest, &pull_scope(&sibling)).await?.is_some()
                        && push.mount(self.report, to, digest, size, &sibling).await?
                    {
                        return Ok(());
                    }
                    tried.push(sibling);
                }
                let tried: Vec<&str> = tried.iter().map(String::as_str).collect();
                if push.mount_remembered(self.report, to, digest, size, &tried).await {
                    return Ok(());
                }
            }
            None if destination.has_blob(digest).await? => {
                self.report.record(Outcome::Skipped, digest, size);
                return Ok(());
            }
            None => {}
        }
        retrying(&options.source.retry, digest, || async {
            self.report.started(digest, size);
            let corrupt = Arc::new(Mutex::new(None));
            let body = verifying(source.open_blob(digest).await?, descriptor, corrupt.clone());
            let result =
                destination.put_blob(digest, size, self.report.counted(digest, body), options.chunk_size).await;
            match corrupt.lock().expect("never poisoned").take() {
                Some(actual) => Err(Error::Corrupt { digest: digest.clone(), actual, source_name: source.name() }),
                None => result,
            }
        })
        .await?;
        if let Some(cache) = &options.blob_cache {
            if let Some((push, to)) = self.push() {
                push.remember(to, digest);
            }
            if let Side::Registry { client, repository, .. } = source {
                cache.record(client.host(), repository, digest);
            }
        }
        self.report.record(Outcome::Sent, digest, size);
        Ok(())
    }
}

/// Writes what the copy learnt into the blob cache's file, off the async threads (it takes a
/// file lock another process may briefly hold).
async fn save_cache(options: &CopyOptions) {
    if let Some(cache) = options.blob_cache.clone() {
        let _ = tokio::task::spawn_blocking(move || cache.save()).await;
    }
}

/// Copies the image (or index) at `source` to `destination`.
pub async fn copy(
    source: &Endpoint,
    destination: &Endpoint,
    options: &CopyOptions,
    events: Option<UnboundedSender<Event>>,
) -> Result<Summary, Error> {
    let shared = Shared::new(options.concurrency);
    let result = match prepare(source, destination, options).await {
        Ok(prepared) => execute(prepared, options, events, &shared).await,
        Err(error) => Err(error),
    };
    save_cache(options).await;
    result
}

/// Copies several images at once, as an app's images move: each blob shared by several of them
/// moves once per destination (and is mounted from another of their repositories where an
/// earlier run left it), and at most `concurrency` blobs move at a time in all. One result per
/// pair, in order.
pub async fn copy_many(
    pairs: &[(Endpoint, Endpoint)],
    options: &CopyOptions,
    events: Option<UnboundedSender<Event>>,
) -> Vec<Result<Summary, Error>> {
    let shared = Shared::new(options.concurrency);
    let prepared =
        futures_util::future::join_all(pairs.iter().map(|(source, destination)| prepare(source, destination, options)))
            .await;
    for prepared in prepared.iter().flatten() {
        shared.register(prepared);
    }
    let copies = prepared.into_iter().map(|prepared| {
        let (events, shared) = (events.clone(), &shared);
        async move { execute(prepared?, options, events, shared).await }
    });
    let results = futures_util::future::join_all(copies).await;
    save_cache(options).await;
    results
}

/// A copy whose sides are open and whose plan is made.
struct Prepared {
    started: Instant,
    source: Side,
    destination: Side,
    source_reference: Option<String>,
    plan: Plan,
}

async fn prepare(source: &Endpoint, destination: &Endpoint, options: &CopyOptions) -> Result<Prepared, Error> {
    let started = Instant::now();
    let source_side = Side::open(source, options, false)?;
    let destination_side = Side::open(destination, options, true)?;
    let root = source_side.root_manifest().await?;
    let source_reference = match &source_side {
        Side::Registry { reference, .. } | Side::Layout { reference, .. } => reference.clone(),
    };
    let plan = plan(&source_side, root, &options.platforms).await?;
    Ok(Prepared { started, source: source_side, destination: destination_side, source_reference, plan })
}

async fn execute(
    prepared: Prepared,
    options: &CopyOptions,
    events: Option<UnboundedSender<Event>>,
    shared: &Shared,
) -> Result<Summary, Error> {
    let Prepared { started, source: source_side, destination: destination_side, source_reference, plan } = prepared;
    let tally = Tally::default();
    let copier = BlobCopier {
        source: &source_side,
        destination: &destination_side,
        options,
        report: Reporter { tally: &tally, events: &events },
        shared,
    };
    futures_util::stream::iter(plan.blobs.iter().map(Ok::<_, Error>))
        .try_for_each_concurrent(options.concurrency.max(1), |descriptor| copier.copy(descriptor))
        .await?;

    let destination_reference = match &destination_side {
        Side::Registry { reference, .. } | Side::Layout { reference, .. } => reference.clone(),
    }
    .or(source_reference.filter(|reference| !reference.contains(':')));
    let (last, children) = plan.manifests.split_last().expect("a plan has its root");
    for (digest, media_type, bytes) in children {
        destination_side.put_manifest(None, digest, media_type, bytes).await?;
        emit(&events, Event::ManifestDone { digest: digest.clone(), media_type: media_type.clone() });
    }
    let (digest, media_type, bytes) = last;
    destination_side.put_manifest(destination_reference.as_deref(), digest, media_type, bytes).await?;
    emit(&events, Event::ManifestDone { digest: digest.clone(), media_type: media_type.clone() });

    Ok(tally.summary(digest.clone(), plan.manifests.len() as u64, plan.index_complete, started.elapsed()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms() {
        let platform = Platform::parse("linux/arm64/v8").unwrap();
        assert_eq!(platform.to_string(), "linux/arm64/v8");
        assert!(Platform::parse("linux").is_none());
        assert!(Platform::parse("a/b/c/d").is_none());
    }

    #[test]
    fn explicit_references() {
        let parse = |text: &str| explicit_reference(&kots_oci::ImageReference::parse(text).unwrap());
        assert_eq!(parse("reg:5000/app/api"), None);
        assert_eq!(parse("reg:5000/app/api:1.0").as_deref(), Some("1.0"));
        let digest = Digest::sha256_of(b"x");
        assert_eq!(parse(&format!("reg/app@{digest}")), Some(digest.to_string()));
    }
}

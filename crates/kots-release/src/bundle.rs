//! The airgap bundle: one file that carries a release and every image it uses into a network
//! with no way out, written and read in one streaming pass (docs/airgap-bundle.md).
//!
//! A tar (zstd by default, gzip or none) whose entries come in this order:
//! 1. `airgap.yaml` — `kind: Airgap` (app, channel, version, cursor, notes, saved images);
//! 2. `app.tar.gz` — the release files exactly as the release API serves them;
//! 3. `checksums.sha256` — `sha256  path` lines for the four files around it;
//! 4. `images/oci-layout`, `images/index.json` — the OCI image layout's head, one entry per image
//!    named by its full reference (`org.opencontainers.image.ref.name`);
//! 5. `images/blobs/ALG/HEX` — image by image in index order: each image's blobs not sent
//!    before (configs and layers), then its child manifests, then its own manifest.
//!
//! So a reader knows every image before the first blob, pushes each blob as it passes (into the
//! repository of the image it belongs to) and each manifest once its blobs are in. Only regular
//! files with relative paths, each once; every blob is checked against its digest.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::pin::Pin;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use kots_oci::layout::REF_NAME_ANNOTATION;
use kots_oci::{Descriptor, Digest, ImageReference, Manifest, ManifestKind, media_type};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use crate::archive::safe_relative_path;

pub const AIRGAP_FILE: &str = "airgap.yaml";
pub const APP_FILE: &str = "app.tar.gz";
pub const CHECKSUMS_FILE: &str = "checksums.sha256";
pub const LAYOUT_FILE: &str = "images/oci-layout";
pub const INDEX_FILE: &str = "images/index.json";
const BLOBS_PREFIX: &str = "images/blobs/";
/// Files other than blobs are read into memory, so their declared size is checked first (a
/// header claiming 2^40 bytes aborted the process); none of ours comes near this: `app.tar.gz`
/// is bounded by the release limits of [`crate::archive`] anyway.
const MAX_FILE: u64 = 256 * 1024 * 1024;
/// Manifests are held until their blobs are in; registries refuse larger ones anyway.
pub const MAX_MANIFEST: u64 = 4 * 1024 * 1024;
/// The most entries a bundle may have. Each costs its name in memory while the bundle is read
/// (names are checked to appear once); a bundle of hundreds of images has a few thousand, and
/// this bounds one made of millions of empty entries.
const MAX_ENTRIES: usize = 100_000;
/// What [`BundleReader::check_references`] holds of the manifests it reads (their descriptors):
/// a bundle of thousands of images uses a few MiB; this bounds a crafted one.
const MAX_MANIFESTS_READ: u64 = 256 * 1024 * 1024;

pub use kots_oci::ByteStream;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{bundle}: entry `{entry}` {reason}; nothing more was read")]
    Refused { bundle: String, entry: String, reason: String },
    #[error("{bundle} is truncated: it ends inside `{entry}`; copy the whole file again")]
    Truncated { bundle: String, entry: String },
    #[error("{bundle}: {reason}")]
    Invalid { bundle: String, reason: String },
    #[error("image {image}: {reason}")]
    Source { image: String, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// `airgap.yaml`'s `spec`, as KOTS writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AirgapSpec {
    pub app_slug: String,
    #[serde(rename = "channelID", default)]
    pub channel_id: String,
    #[serde(default)]
    pub channel_name: String,
    #[serde(default)]
    pub version_label: String,
    #[serde(default)]
    pub update_cursor: String,
    #[serde(default)]
    pub release_notes: String,
    #[serde(default)]
    pub saved_images: Vec<String>,
    #[serde(default)]
    pub format: String,
}

impl AirgapSpec {
    pub fn to_yaml(&self) -> String {
        let document = serde_json::json!({
            "apiVersion": "kots.io/v1beta1",
            "kind": "Airgap",
            "metadata": {"name": self.app_slug},
            "spec": self,
        });
        serde_saphyr::to_string(&document).expect("plain data serialises")
    }

    fn parse(text: &str, bundle: &str) -> Result<AirgapSpec, BundleError> {
        #[derive(Deserialize)]
        struct Document {
            kind: String,
            spec: AirgapSpec,
        }
        let invalid = |reason: String| BundleError::Invalid { bundle: bundle.to_owned(), reason };
        let document: Document = serde_saphyr::from_str(text)
            .map_err(|e| invalid(format!("{AIRGAP_FILE} is not an Airgap document: {e}")))?;
        if document.kind != "Airgap" {
            return Err(invalid(format!("{AIRGAP_FILE} is a `{}`, not an Airgap document", document.kind)));
        }
        if document.spec.format != "oci" {
            return Err(invalid(format!(
                "images are in format `{}`; this version reads `oci` bundles",
                document.spec.format
            )));
        }
        Ok(document.spec)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Zstd,
    Gzip,
    None,
}

impl Compression {
    pub fn parse(text: &str) -> Option<Compression> {
        match text {
            "zstd" | "" => Some(Compression::Zstd),
            "gzip" => Some(Compression::Gzip),
            "none" => Some(Compression::None),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Compression::Zstd => "tar.zst",
            Compression::Gzip => "tar.gz",
            Compression::None => "tar",
        }
    }
}

/// Where the writer reads images from.
#[async_trait::async_trait]
pub trait ImageSource: Send + Sync {
    /// A manifest of `image`'s repository by tag or digest: bytes, media type, digest.
    async fn manifest(&self, image: &ImageReference, reference: &str) -> Result<(Bytes, String, Digest), String>;
    /// A blob of `image`'s repository.
    async fn blob(&self, image: &ImageReference, digest: &Digest) -> Result<ByteStream, String>;
}

/// What goes into the images part, in order.
enum Item {
    Blob { image: usize, descriptor: Descriptor },
    Manifest { digest: Digest, bytes: Bytes },
}

/// A bundle ready to stream: the images' manifests are resolved, so `index.json` is known.
pub struct BundlePlan {
    airgap: AirgapSpec,
    app_archive: Bytes,
    images: Vec<ImageReference>,
    index: Vec<u8>,
    items: Vec<Item>,
    /// Bytes of the blobs and manifests, for progress and sizing.
    pub image_bytes: u64,
}

fn manifest_reference(image: &ImageReference) -> String {
    match (image.digest(), image.tag()) {
        (Some(digest), _) => digest.to_string(),
        (None, Some(tag)) => tag.to_owned(),
        (None, None) => "latest".to_owned(),
    }
}

impl BundlePlan {
    /// Resolves every image's manifests through `source`. `airgap.saved_images` is filled in.
    pub async fn new(
        mut airgap: AirgapSpec,
        app_archive: Bytes,
        images: Vec<ImageReference>,
        source: &dyn ImageSource,
    ) -> Result<BundlePlan, BundleError> {
        let mut images: Vec<ImageReference> = images;
        images.sort_by_key(|image| image.to_string());
        images.dedup_by_key(|image| image.to_string());
        airgap.saved_images = images.iter().map(ToString::to_string).collect();
        airgap.format = "oci".to_owned();
        let mut items = Vec::new();
        let mut seen: HashSet<Digest> = HashSet::new();
        let mut roots = Vec::new();
        let mut image_bytes = 0;
        for (index, image) in images.iter().enumerate() {
            let failed = |reason: String| BundleError::Source { image: image.to_string(), reason };
            let (bytes, media_type, digest) =
                source.manifest(image, &manifest_reference(image)).await.map_err(failed)?;
            let manifest = Manifest::parse(&bytes, Some(&media_type)).map_err(|e| failed(e.to_string()))?;
            let mut children = Vec::new();
            if manifest.kind == ManifestKind::Index {
                for child in &manifest.manifests {
                    let (child_bytes, _, child_digest) =
                        source.manifest(image, &child.digest.to_string()).await.map_err(failed)?;
                    let child_manifest =
                        Manifest::parse(&child_bytes, Some(&child.media_type)).map_err(|e| failed(e.to_string()))?;
                    children.push((child_digest, child_bytes, child_manifest));
                }
            }
            let manifests = children.iter().map(|(_, _, m)| m).chain([&manifest]);
            for blob in manifests.flat_map(|m| m.referenced_blobs()) {
                if seen.insert(blob.digest.clone()) {
                    image_bytes += blob.size;
                    items.push(Item::Blob { image: index, descriptor: blob.clone() });
                }
            }
            for (child_digest, child_bytes, _) in children {
                if seen.insert(child_digest.clone()) {
                    image_bytes += child_bytes.len() as u64;
                    items.push(Item::Manifest { digest: child_digest, bytes: child_bytes });
                }
            }
            let mut root = Descriptor::new(media_type, digest.clone(), bytes.len() as u64);
            root.annotations = Some(BTreeMap::from([(REF_NAME_ANNOTATION.to_owned(), image.to_string())]));
            roots.push(root);
            if seen.insert(digest.clone()) {
                image_bytes += bytes.len() as u64;
                items.push(Item::Manifest { digest, bytes });
            }
        }
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": media_type::OCI_INDEX,
            "manifests": roots,
        }))
        .expect("JSON serialises");
        Ok(BundlePlan { airgap, app_archive, images, index, items, image_bytes })
    }

    pub fn airgap(&self) -> &AirgapSpec {
        &self.airgap
    }

    /// The bundle as a byte stream, compressed. Blob bytes are read from `source` as the
    /// stream is consumed and checked against their digests; a source that disagrees ends the
    /// stream with an error (the reader then sees a truncated bundle, never a wrong one).
    pub fn stream(self, source: Arc<dyn ImageSource>, compression: Compression) -> ByteStream {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
        tokio::spawn(async move {
            if let Err(error) = self.produce(source.as_ref(), &sender).await {
                let _ = sender.send(Err(error)).await;
            }
        });
        let tar: ByteStream = Box::pin(futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        }));
        compress(tar, compression)
    }

    async fn produce(
        &self,
        source: &dyn ImageSource,
        sender: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    ) -> Result<(), std::io::Error> {
        let closed = || std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the reader went away");
        let send = |bytes: Bytes| async move { sender.send(Ok(bytes)).await.map_err(|_| closed()) };
        let airgap = self.airgap.to_yaml();
        let layout = br#"{"imageLayoutVersion":"1.0.0"}"#;
        let checksums = [
            (AIRGAP_FILE, Digest::sha256_of(airgap.as_bytes())),
            (APP_FILE, Digest::sha256_of(&self.app_archive)),
            (LAYOUT_FILE, Digest::sha256_of(layout)),
            (INDEX_FILE, Digest::sha256_of(&self.index)),
        ]
        .iter()
        .map(|(path, digest)| format!("{}  {path}\n", digest.hex()))
        .collect::<String>();
        for (path, content) in [
            (AIRGAP_FILE, Bytes::from(airgap)),
            (APP_FILE, self.app_archive.clone()),
            (CHECKSUMS_FILE, Bytes::from(checksums)),
            (LAYOUT_FILE, Bytes::from_static(layout)),
            (INDEX_FILE, Bytes::from(self.index.clone())),
        ] {
            send(tar_header(path, content.len() as u64)).await?;
            let padding = padding(content.len() as u64);
            send(content).await?;
            send(padding).await?;
        }
        for item in &self.items {
            match item {
                Item::Manifest { digest, bytes } => {
                    send(tar_header(&blob_path(digest), bytes.len() as u64)).await?;
                    send(bytes.clone()).await?;
                    send(padding(bytes.len() as u64)).await?;
                }
                Item::Blob { image, descriptor } => {
                    let image = &self.images[*image];
                    let digest = &descriptor.digest;
                    let failed =
                        |reason: String| std::io::Error::other(format!("image {image}: blob {digest}: {reason}"));
                    let mut body = source.blob(image, digest).await.map_err(failed)?;
                    send(tar_header(&blob_path(digest), descriptor.size)).await?;
                    // The last chunk goes out only once the whole blob hashed right, so a reader
                    // never receives a wrong blob whole: it sees the bundle end instead.
                    let mut hasher = Some(digest.algorithm().hasher());
                    let mut sent = 0u64;
                    while let Some(chunk) = body.next().await {
                        let chunk = chunk.map_err(|e| failed(e.to_string()))?;
                        sent += chunk.len() as u64;
                        if sent > descriptor.size {
                            return Err(failed(format!("longer than the {} bytes its manifest says", descriptor.size)));
                        }
                        let running = hasher.as_mut().expect("hashing until the end");
                        running.update(&chunk);
                        if sent == descriptor.size {
                            let actual = hasher.take().expect("finished once").finish();
                            if &actual != digest {
                                return Err(failed(format!("the bytes hash to {actual}")));
                            }
                        }
                        send(chunk).await?;
                    }
                    if sent != descriptor.size {
                        return Err(failed(format!("{sent} bytes, not the {} its manifest says", descriptor.size)));
                    }
                    if let Some(hasher) = hasher {
                        let actual = hasher.finish();
                        if &actual != digest {
                            return Err(failed(format!("the bytes hash to {actual}")));
                        }
                    }
                    send(padding(descriptor.size)).await?;
                }
            }
        }
        send(Bytes::from(vec![0u8; 1024])).await
    }
}

pub fn blob_path(digest: &Digest) -> String {
    format!("{BLOBS_PREFIX}{}/{}", digest.algorithm().name(), digest.hex())
}

fn tar_header(path: &str, size: u64) -> Bytes {
    let mut header = tar::Header::new_ustar();
    header.set_path(path).expect("bundle paths are short and relative");
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    Bytes::copy_from_slice(header.as_bytes())
}

fn padding(size: u64) -> Bytes {
    Bytes::from(vec![0u8; ((512 - size % 512) % 512) as usize])
}

fn compress(tar: ByteStream, compression: Compression) -> ByteStream {
    use async_compression::tokio::bufread::{GzipEncoder, ZstdEncoder};
    let reader = tokio_util::io::StreamReader::new(tar);
    match compression {
        Compression::None => Box::pin(tokio_util::io::ReaderStream::new(reader)),
        Compression::Zstd => Box::pin(tokio_util::io::ReaderStream::with_capacity(
            ZstdEncoder::with_quality(reader, async_compression::Level::Precise(3)),
            256 * 1024,
        )),
        Compression::Gzip => Box::pin(tokio_util::io::ReaderStream::with_capacity(
            GzipEncoder::with_quality(reader, async_compression::Level::Fastest),
            256 * 1024,
        )),
    }
}

/// A bundle being read: its head (release, images) read and checked, its blobs still to come.
pub struct BundleReader {
    name: String,
    /// The file read, when it is one: [`BundleReader::check_references`] reads it a second time.
    path: Option<std::path::PathBuf>,
    /// Every blob the images of `index.json` reference, with its size, once checked: each blob
    /// entry must be one of them, of that size.
    references: Option<HashMap<Digest, u64>>,
    reader: Pin<Box<dyn AsyncRead + Send>>,
    seen: HashSet<String>,
    /// The entry being read, the bytes of it left, and the padding after it.
    current: Option<(String, u64, u64)>,
    /// The current blob's digest and the hash of its bytes so far.
    hashing: Option<(Digest, kots_oci::Hasher)>,
    pub airgap: AirgapSpec,
    /// The release archive, as the release API serves it.
    pub app_archive: Vec<u8>,
    /// The images in the bundle, in order: full reference and root manifest descriptor.
    pub images: Vec<(String, Descriptor)>,
}

/// One blob entry's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    pub digest: Digest,
    pub size: u64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    Digest::sha256_of(bytes).hex().to_owned()
}

impl BundleReader {
    /// Opens a bundle from any byte stream (compression detected) and reads its head.
    pub async fn open(input: impl AsyncRead + Send + Unpin + 'static, name: &str) -> Result<BundleReader, BundleError> {
        use async_compression::tokio::bufread::{GzipDecoder, ZstdDecoder};
        let mut buffered = BufReader::with_capacity(256 * 1024, input);
        let magic = buffered.fill_buf().await.map_err(|e| BundleError::Io { path: name.to_owned(), source: e })?;
        let reader: Pin<Box<dyn AsyncRead + Send>> = if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Box::pin(ZstdDecoder::new(buffered))
        } else if magic.starts_with(&[0x1f, 0x8b]) {
            Box::pin(GzipDecoder::new(buffered))
        } else {
            Box::pin(buffered)
        };
        let mut bundle = BundleReader {
            name: name.to_owned(),
            path: None,
            references: None,
            reader,
            seen: HashSet::new(),
            current: None,
            hashing: None,
            airgap: AirgapSpec::default(),
            app_archive: Vec::new(),
            images: Vec::new(),
        };
        let airgap = bundle.expect_file(AIRGAP_FILE).await?;
        let app_archive = bundle.expect_file(APP_FILE).await?;
        let checksums = bundle.expect_file(CHECKSUMS_FILE).await?;
        let layout = bundle.expect_file(LAYOUT_FILE).await?;
        let index = bundle.expect_file(INDEX_FILE).await?;
        let listed: BTreeMap<&str, &str> = std::str::from_utf8(&checksums)
            .map_err(|_| bundle.invalid(format!("{CHECKSUMS_FILE} is not text")))?
            .lines()
            .filter_map(|line| line.split_once("  ").map(|(sum, path)| (path.trim(), sum.trim())))
            .collect();
        for (path, content) in
            [(AIRGAP_FILE, &airgap), (APP_FILE, &app_archive), (LAYOUT_FILE, &layout), (INDEX_FILE, &index)]
        {
            match listed.get(path) {
                Some(sum) if *sum == sha256_hex(content) => {}
                Some(_) => {
                    return Err(bundle.refuse(path, format!("does not match its checksum in {CHECKSUMS_FILE}")));
                }
                None => return Err(bundle.refuse(path, format!("has no checksum in {CHECKSUMS_FILE}"))),
            }
        }
        bundle.airgap = AirgapSpec::parse(
            std::str::from_utf8(&airgap).map_err(|_| bundle.invalid(format!("{AIRGAP_FILE} is not text")))?,
            name,
        )?;
        #[derive(Deserialize)]
        struct Index {
            manifests: Vec<Descriptor>,
        }
        let index: Index = serde_json::from_slice(&index)
            .map_err(|e| bundle.invalid(format!("{INDEX_FILE} is not an OCI index: {e}")))?;
        for descriptor in index.manifests {
            let name = descriptor
                .annotation(REF_NAME_ANNOTATION)
                .ok_or_else(|| bundle.invalid(format!("an entry of {INDEX_FILE} has no image name")))?
                .to_owned();
            if descriptor.size > MAX_MANIFEST {
                return Err(bundle.invalid(format!("the manifest of {name} is larger than 4 MiB")));
            }
            bundle.images.push((name, descriptor));
        }
        bundle.app_archive = app_archive;
        Ok(bundle)
    }

    /// Opens the bundle file at `path` and reads its head; it can then be checked whole
    /// ([`BundleReader::check_references`]) before its blobs are read.
    pub async fn open_file(path: &std::path::Path, name: &str) -> Result<BundleReader, BundleError> {
        let file = tokio::fs::File::open(path).await.map_err(|source| BundleError::Io {
            path: format!("cannot open the airgap bundle `{}`", path.display()),
            source,
        })?;
        let mut bundle = BundleReader::open(file, name).await?;
        bundle.path = Some(path.to_owned());
        Ok(bundle)
    }

    /// Reads the whole bundle once more, ahead of this reader, and checks that every blob entry
    /// is referenced by an image of `index.json` (its root manifest, a child manifest, a config
    /// or a layer of one) with the size that names it. From then on [`BundleReader::next_blob`]
    /// refuses any other entry. Blobs come before the manifests naming them, so without this a
    /// blob no image uses was pushed (an 849 KiB bundle left 2 GiB in a customer's registry).
    /// Costs one more decompression of the bundle, no memory beyond its manifests' descriptors.
    pub async fn check_references(&mut self) -> Result<(), BundleError> {
        let Some(path) = self.path.clone() else {
            return Err(self.invalid("read from a stream, its blobs cannot be checked before pushing".to_owned()));
        };
        let mut scan = BundleReader::open_file(&path, &self.name).await?;
        // Each blob entry's digest and size, and what each manifest among them names.
        let mut entries: Vec<(Digest, u64)> = Vec::new();
        let mut names: HashMap<Digest, Vec<Descriptor>> = HashMap::new();
        let mut held: u64 = 0;
        while let Some(entry) = scan.next_blob().await? {
            entries.push((entry.digest.clone(), entry.size));
            if entry.size > MAX_MANIFEST {
                continue;
            }
            let bytes = scan.read_blob().await?;
            let Ok(manifest) = Manifest::parse(&bytes, None) else { continue };
            held += bytes.len() as u64;
            if held > MAX_MANIFESTS_READ {
                return Err(scan.invalid(format!(
                    "its manifests add up to more than {} MiB, more than any bundle kots builds holds",
                    MAX_MANIFESTS_READ >> 20
                )));
            }
            let named = manifest.manifests.iter().chain(manifest.referenced_blobs()).cloned().collect();
            names.insert(entry.digest, named);
        }
        // From the roots, through the manifests the bundle carries.
        let mut references: HashMap<Digest, u64> = HashMap::new();
        let mut to_visit: Vec<Descriptor> = self.images.iter().map(|(_, root)| root.clone()).collect();
        while let Some(descriptor) = to_visit.pop() {
            match references.get(&descriptor.digest) {
                Some(size) if *size != descriptor.size => {
                    return Err(self.refuse(
                        &blob_path(&descriptor.digest),
                        format!("is named with two sizes, {size} and {} bytes; nothing was pushed", descriptor.size),
                    ));
                }
                Some(_) => continue,
                None => {}
            }
            references.insert(descriptor.digest.clone(), descriptor.size);
            if let Some(named) = names.get(&descriptor.digest) {
                to_visit.extend(named.iter().cloned());
            }
        }
        for (digest, size) in entries {
            match references.get(&digest) {
                None => {
                    return Err(self.refuse(
                        &blob_path(&digest),
                        format!(
                            "({size} bytes) is used by no image of {INDEX_FILE}: no manifest of the bundle names it; \
                             a bundle carries only what its images use, so nothing was pushed"
                        ),
                    ));
                }
                Some(declared) if *declared != size => {
                    return Err(self.refuse(
                        &blob_path(&digest),
                        format!("is {size} bytes, but the manifest naming it says {declared}; nothing was pushed"),
                    ));
                }
                Some(_) => {}
            }
        }
        self.references = Some(references);
        Ok(())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn invalid(&self, reason: String) -> BundleError {
        BundleError::Invalid { bundle: self.name.clone(), reason }
    }

    pub fn refuse(&self, entry: &str, reason: String) -> BundleError {
        BundleError::Refused { bundle: self.name.clone(), entry: entry.to_owned(), reason }
    }

    fn truncated(&self, entry: &str) -> BundleError {
        BundleError::Truncated { bundle: self.name.clone(), entry: entry.to_owned() }
    }

    /// Skips what is left of the current entry and its padding.
    async fn finish_entry(&mut self) -> Result<(), BundleError> {
        if let Some((entry, left, pad)) = self.current.take() {
            let total = left + pad;
            let skipped = tokio::io::copy(&mut (&mut self.reader).take(total), &mut tokio::io::sink())
                .await
                .map_err(|e| self.read_error(&entry, e))?;
            if skipped < total {
                return Err(self.truncated(&entry));
            }
        }
        Ok(())
    }

    fn read_error(&self, entry: &str, error: std::io::Error) -> BundleError {
        if error.kind() == std::io::ErrorKind::UnexpectedEof {
            self.truncated(entry)
        } else {
            BundleError::Io { path: format!("{} ({entry})", self.name), source: error }
        }
    }

    /// The next entry's path and size; `None` at the end of the archive.
    async fn next_entry(&mut self) -> Result<Option<(String, u64)>, BundleError> {
        self.finish_entry().await?;
        self.hashing = None;
        let mut block = [0u8; 512];
        let read = read_full(&mut self.reader, &mut block).await.map_err(|e| self.read_error("(a header)", e))?;
        if read == 0 {
            return Err(self.truncated("(the end-of-archive marker)"));
        }
        if read < 512 {
            return Err(self.truncated("(a header)"));
        }
        if block.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        let header = tar::Header::from_byte_slice(&block);
        let raw_path = header.path_bytes();
        let shown = String::from_utf8_lossy(&raw_path).into_owned();
        let stored = header.cksum().map_err(|_| self.refuse(&shown, "has a damaged header".to_owned()))?;
        let computed: u32 =
            block.iter().enumerate().map(|(i, b)| if (148..156).contains(&i) { 32 } else { u32::from(*b) }).sum();
        if stored != computed {
            return Err(self.refuse(&shown, "has a damaged header (checksum)".to_owned()));
        }
        let kind = header.entry_type();
        if !kind.is_file() {
            return Err(self.refuse(&shown, format!("is a {kind:?} entry, not a regular file")));
        }
        let path = header
            .path()
            .map_err(|_| self.refuse(&shown, "has an unreadable path".to_owned()))
            .and_then(|path| safe_relative_path(&path).map_err(|reason| self.refuse(&shown, reason)))?;
        let size = header.size().map_err(|_| self.refuse(&shown, "has an unreadable size".to_owned()))?;
        if !self.seen.insert(path.clone()) {
            return Err(self.refuse(&path, "appears twice".to_owned()));
        }
        if self.seen.len() > MAX_ENTRIES {
            return Err(self.refuse(&path, format!("is one entry more than the {MAX_ENTRIES} a bundle may have")));
        }
        self.current = Some((path.clone(), size, padding(size).len() as u64));
        Ok(Some((path, size)))
    }

    /// The current entry's bytes, whole; refused unread when it declares more than `limit`
    /// (`what` names the limit), so that a header that lies allocates nothing.
    async fn read_current(&mut self, limit: u64, what: &str) -> Result<Vec<u8>, BundleError> {
        let (entry, left, pad) = self.current.clone().expect("an entry is open");
        if left > limit {
            return Err(
                self.refuse(&entry, format!("declares {left} bytes; {what} are limited to {} MiB", limit >> 20))
            );
        }
        let mut content = Vec::with_capacity(left as usize);
        let read =
            (&mut self.reader).take(left).read_to_end(&mut content).await.map_err(|e| self.read_error(&entry, e))?;
        if (read as u64) < left {
            return Err(self.truncated(&entry));
        }
        self.current = Some((entry, 0, pad));
        self.hashed(&content, true)?;
        Ok(content)
    }

    async fn expect_file(&mut self, expected: &str) -> Result<Vec<u8>, BundleError> {
        match self.next_entry().await? {
            Some((path, _)) if path == expected => self.read_current(MAX_FILE, "the files of a bundle's head").await,
            Some((path, _)) => Err(self.refuse(&path, format!("comes where `{expected}` belongs"))),
            None => Err(self.invalid(format!("it ends before `{expected}`"))),
        }
    }

    /// The next blob's digest and size (its bytes then come from [`BundleReader::chunk`]), or
    /// `None` after the last.
    pub async fn next_blob(&mut self) -> Result<Option<BlobEntry>, BundleError> {
        let Some((path, size)) = self.next_entry().await? else {
            return Ok(None);
        };
        let digest = path
            .strip_prefix(BLOBS_PREFIX)
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(algorithm, hex)| Digest::parse(&format!("{algorithm}:{hex}")).ok())
            .ok_or_else(|| self.refuse(&path, "is not a blob of the image layout (images/blobs/ALG/HEX)".to_owned()))?;
        if let Some(references) = &self.references {
            // The bundle changed since it was checked: refuse what the check would have.
            match references.get(&digest) {
                None => return Err(self.refuse(&path, "is used by no image of the bundle".to_owned())),
                Some(declared) if *declared != size => {
                    return Err(
                        self.refuse(&path, format!("is {size} bytes, but the manifest naming it says {declared}"))
                    );
                }
                Some(_) => {}
            }
        }
        self.hashing = Some((digest.clone(), digest.algorithm().hasher()));
        Ok(Some(BlobEntry { digest, size }))
    }

    /// Up to 256 KiB more of the current entry; `None` once it is all read.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, BundleError> {
        let Some((entry, left, pad)) = self.current.clone() else { return Ok(None) };
        if left == 0 {
            self.hashed(&[], true)?;
            return Ok(None);
        }
        let mut buffer = BytesMut::with_capacity(left.min(256 * 1024) as usize);
        let read = (&mut self.reader)
            .take(left.min(256 * 1024))
            .read_buf(&mut buffer)
            .await
            .map_err(|e| self.read_error(&entry, e))?;
        if read == 0 {
            return Err(self.truncated(&entry));
        }
        self.current = Some((entry, left - read as u64, pad));
        self.hashed(&buffer, left == read as u64)?;
        Ok(Some(buffer.freeze()))
    }

    /// Adds `bytes` to the current blob's hash; at its `last` bytes, checks the digest.
    fn hashed(&mut self, bytes: &[u8], last: bool) -> Result<(), BundleError> {
        let Some((_, hasher)) = self.hashing.as_mut() else { return Ok(()) };
        hasher.update(bytes);
        if last {
            let (digest, hasher) = self.hashing.take().expect("present");
            let actual = hasher.finish();
            if actual != digest {
                return Err(self
                    .refuse(&self.current_entry(), format!("does not match its digest (its bytes hash to {actual})")));
            }
        }
        Ok(())
    }

    /// The current entry whole, for manifests: refused unread past [`MAX_MANIFEST`].
    pub async fn read_blob(&mut self) -> Result<Vec<u8>, BundleError> {
        self.read_current(MAX_MANIFEST, "manifests").await
    }

    /// The path of the entry being read, for messages.
    fn current_entry(&self) -> String {
        self.current.as_ref().map(|(path, _, _)| path.clone()).unwrap_or_default()
    }
}

async fn read_full(reader: &mut (impl AsyncRead + Unpin), buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = reader.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    /// Images held in memory: `(reference, manifest bytes)` and blobs by digest.
    #[derive(Default)]
    struct Memory {
        manifests: HashMap<String, (Bytes, String)>,
        blobs: HashMap<Digest, Bytes>,
    }

    impl Memory {
        fn blob(&mut self, bytes: &[u8]) -> serde_json::Value {
            let digest = Digest::sha256_of(bytes);
            self.blobs.insert(digest.clone(), Bytes::copy_from_slice(bytes));
            json!({"mediaType": media_type::OCI_LAYER_GZIP, "digest": digest.to_string(), "size": bytes.len()})
        }

        fn image(&mut self, name: &str, layers: &[&[u8]]) -> Digest {
            let config = self.blob(format!("{{\"config\":\"{name}\"}}").as_bytes());
            let layers: Vec<_> = layers.iter().map(|layer| self.blob(layer)).collect();
            let manifest =
                json!({"schemaVersion": 2, "mediaType": media_type::OCI_MANIFEST, "config": config, "layers": layers});
            let bytes = Bytes::from(serde_json::to_vec(&manifest).unwrap());
            let digest = Digest::sha256_of(&bytes);
            self.manifests.insert(name.to_owned(), (bytes.clone(), media_type::OCI_MANIFEST.to_owned()));
            self.manifests.insert(digest.to_string(), (bytes, media_type::OCI_MANIFEST.to_owned()));
            digest
        }
    }

    #[async_trait::async_trait]
    impl ImageSource for Memory {
        async fn manifest(&self, image: &ImageReference, reference: &str) -> Result<(Bytes, String, Digest), String> {
            let key = if reference.contains(':') && reference.starts_with("sha256") {
                reference.to_owned()
            } else {
                image.to_string()
            };
            let (bytes, media_type) = self.manifests.get(&key).cloned().ok_or_else(|| format!("no manifest {key}"))?;
            Ok((bytes.clone(), media_type, Digest::sha256_of(&bytes)))
        }

        async fn blob(&self, _image: &ImageReference, digest: &Digest) -> Result<ByteStream, String> {
            let bytes = self.blobs.get(digest).cloned().ok_or_else(|| format!("no blob {digest}"))?;
            Ok(Box::pin(futures_util::stream::iter([Ok(bytes)])))
        }
    }

    fn spec() -> AirgapSpec {
        AirgapSpec {
            app_slug: "myapp".into(),
            channel_id: "c1".into(),
            channel_name: "Stable".into(),
            version_label: "1.0.0".into(),
            update_cursor: "3".into(),
            ..AirgapSpec::default()
        }
    }

    async fn bundle(memory: Memory, compression: Compression) -> Vec<u8> {
        let images = ["reg.example/app/api:1.0", "docker.io/library/nginx:1.25"]
            .iter()
            .map(|text| ImageReference::parse(text).unwrap())
            .collect();
        let plan = BundlePlan::new(spec(), Bytes::from_static(b"release"), images, &memory).await.unwrap();
        let mut stream = plan.stream(Arc::new(memory), compression);
        // What a reader receives: the bytes up to an error, where the connection would break.
        let mut out = Vec::new();
        while let Some(Ok(chunk)) = stream.next().await {
            out.extend_from_slice(&chunk);
        }
        out
    }

    fn world() -> Memory {
        let mut memory = Memory::default();
        memory.image("reg.example/app/api:1.0", &[b"shared base", b"api layer"]);
        memory.image("docker.io/library/nginx:1.25", &[b"shared base", b"nginx layer"]);
        memory
    }

    #[tokio::test]
    async fn every_compression_round_trips_in_dependency_order() {
        for compression in [Compression::Zstd, Compression::Gzip, Compression::None] {
            let bytes = bundle(world(), compression).await;
            let mut reader = BundleReader::open(std::io::Cursor::new(bytes), "test bundle").await.unwrap();
            assert_eq!(reader.airgap.app_slug, "myapp");
            assert_eq!(reader.airgap.format, "oci");
            assert_eq!(reader.airgap.saved_images, ["docker.io/library/nginx:1.25", "reg.example/app/api:1.0"]);
            assert_eq!(reader.app_archive, b"release");
            let names: Vec<&str> = reader.images.iter().map(|(name, _)| name.as_str()).collect();
            assert_eq!(names, ["docker.io/library/nginx:1.25", "reg.example/app/api:1.0"]);
            let roots: Vec<Digest> = reader.images.iter().map(|(_, d)| d.digest.clone()).collect();
            let mut seen = Vec::new();
            while let Some(entry) = reader.next_blob().await.unwrap() {
                let bytes = reader.read_blob().await.unwrap();
                assert_eq!(bytes.len() as u64, entry.size);
                if roots.contains(&entry.digest) {
                    let manifest = Manifest::parse(&bytes, None).unwrap();
                    for blob in manifest.referenced_blobs() {
                        assert!(seen.contains(&blob.digest), "{} comes before its manifest", blob.digest);
                    }
                }
                assert!(!seen.contains(&entry.digest), "each blob once");
                seen.push(entry.digest);
            }
            // 2 configs, 3 distinct layers, 2 manifests.
            assert_eq!(seen.len(), 7, "{compression:?}");
        }
    }

    #[tokio::test]
    async fn a_source_that_lies_ends_the_stream_and_the_reader_says_truncated() {
        let mut memory = world();
        let nginx_layer = Digest::sha256_of(b"nginx layer");
        memory.blobs.insert(nginx_layer, Bytes::from_static(b"NGINX LAYER"));
        let bytes = bundle(memory, Compression::None).await;
        let mut reader = BundleReader::open(std::io::Cursor::new(bytes), "lying").await.unwrap();
        let error = loop {
            match reader.next_blob().await {
                Ok(Some(_)) => {
                    if let Err(error) = reader.read_blob().await {
                        break error;
                    }
                }
                Ok(None) => panic!("the bundle should not end cleanly"),
                Err(error) => break error,
            }
        };
        assert!(error.to_string().contains("truncated"), "{error}");
    }

    /// A tar with the given raw entries (name bytes written as they are).
    fn raw_tar(entries: &[(&str, tar::EntryType, &[u8])], end: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, kind, content) in entries {
            let mut header = tar::Header::new_ustar();
            header.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
            header.set_entry_type(*kind);
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(content);
            out.extend_from_slice(&padding(content.len() as u64));
        }
        if end {
            out.extend_from_slice(&[0u8; 1024]);
        }
        out
    }

    fn head(airgap: &str, index: &str) -> Vec<(String, Vec<u8>)> {
        let layout = br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec();
        let sums = [
            (AIRGAP_FILE, airgap.as_bytes()),
            (APP_FILE, &b"app"[..]),
            (LAYOUT_FILE, &layout),
            (INDEX_FILE, index.as_bytes()),
        ]
        .iter()
        .map(|(path, content)| format!("{}  {path}\n", sha256_hex(content)))
        .collect::<String>();
        vec![
            (AIRGAP_FILE.to_owned(), airgap.as_bytes().to_vec()),
            (APP_FILE.to_owned(), b"app".to_vec()),
            (CHECKSUMS_FILE.to_owned(), sums.into_bytes()),
            (LAYOUT_FILE.to_owned(), layout),
            (INDEX_FILE.to_owned(), index.as_bytes().to_vec()),
        ]
    }

    async fn read_all(bytes: Vec<u8>) -> Result<usize, BundleError> {
        let mut reader = BundleReader::open(std::io::Cursor::new(bytes), "hostile").await?;
        let mut count = 0;
        while reader.next_blob().await?.is_some() {
            reader.read_blob().await?;
            count += 1;
        }
        Ok(count)
    }

    #[tokio::test]
    async fn hostile_bundles_are_refused_naming_the_entry() {
        let airgap = spec();
        let airgap = AirgapSpec { format: "oci".into(), ..airgap }.to_yaml();
        let index = r#"{"schemaVersion":2,"manifests":[]}"#;
        let good_blob = b"blob".to_vec();
        let blob_path = blob_path(&Digest::sha256_of(&good_blob));
        let with = |extra: Vec<(&str, tar::EntryType, Vec<u8>)>, end: bool| {
            let head = head(&airgap, index);
            let mut entries: Vec<(String, tar::EntryType, Vec<u8>)> =
                head.into_iter().map(|(path, content)| (path, tar::EntryType::Regular, content)).collect();
            entries.extend(extra.into_iter().map(|(path, kind, content)| (path.to_owned(), kind, content)));
            let borrowed: Vec<(&str, tar::EntryType, &[u8])> =
                entries.iter().map(|(path, kind, content)| (path.as_str(), *kind, content.as_slice())).collect();
            raw_tar(&borrowed, end)
        };
        assert_eq!(
            read_all(with(vec![(&blob_path, tar::EntryType::Regular, good_blob.clone())], true)).await.unwrap(),
            1
        );
        let regular = tar::EntryType::Regular;
        for (extra, expected) in [
            (vec![("/etc/passwd", regular, b"x".to_vec())], "`/etc/passwd` has an absolute path"),
            (vec![("images/../../evil", regular, b"x".to_vec())], "`images/../../evil` climbs out"),
            (vec![("images/blobs/link", tar::EntryType::Symlink, Vec::new())], "is a Symlink entry"),
            (vec![("images/blobs/dev", tar::EntryType::Block, Vec::new())], "is a Block entry"),
            (vec![(&blob_path, regular, good_blob.clone()), (&blob_path, regular, good_blob.clone())], "appears twice"),
            (vec![(&blob_path, regular, b"other bytes".to_vec())], "does not match its digest"),
            (vec![("images/notes.txt", regular, b"x".to_vec())], "is not a blob of the image layout"),
        ] {
            let error = read_all(with(extra, true)).await.unwrap_err().to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
        // Cut short: inside a blob, and before the end marker.
        let whole = with(vec![(&blob_path, regular, vec![7u8; 5000])], true);
        let error = read_all(whole[..whole.len() - 3000].to_vec()).await.unwrap_err().to_string();
        assert!(error.contains("truncated"), "{error}");
        let error = read_all(with(vec![], false)).await.unwrap_err().to_string();
        assert!(error.contains("truncated"), "{error}");
        // A head out of order, or altered after its checksum was taken.
        let mut reordered = head(&airgap, index);
        reordered.swap(0, 1);
        let entries: Vec<(&str, tar::EntryType, &[u8])> =
            reordered.iter().map(|(p, c)| (p.as_str(), regular, c.as_slice())).collect();
        let error = read_all(raw_tar(&entries, true)).await.unwrap_err().to_string();
        assert!(error.contains("`app.tar.gz` comes where `airgap.yaml` belongs"), "{error}");
        let mut altered = head(&airgap, index);
        altered[1].1 = b"other app".to_vec();
        let entries: Vec<(&str, tar::EntryType, &[u8])> =
            altered.iter().map(|(p, c)| (p.as_str(), regular, c.as_slice())).collect();
        let error = read_all(raw_tar(&entries, true)).await.unwrap_err().to_string();
        assert!(error.contains("`app.tar.gz` does not match its checksum"), "{error}");
    }

    /// A bundle of millions of empty entries kept every name in memory, and a manifest entry
    /// claiming 2^40 bytes was allocated for (SIGABRT): both are refused by name.
    #[tokio::test]
    async fn entry_counts_and_declared_sizes_are_bounded() {
        let airgap = AirgapSpec { format: "oci".into(), ..spec() }.to_yaml();
        let index = r#"{"schemaVersion":2,"manifests":[]}"#;
        let head = head(&airgap, index);
        let mut entries: Vec<(String, tar::EntryType, Vec<u8>)> =
            head.into_iter().map(|(path, content)| (path, tar::EntryType::Regular, content)).collect();
        for n in 0..MAX_ENTRIES {
            entries.push((format!("images/blobs/sha256/{n:064x}"), tar::EntryType::Regular, Vec::new()));
        }
        let borrowed: Vec<(&str, tar::EntryType, &[u8])> =
            entries.iter().map(|(path, kind, content)| (path.as_str(), *kind, content.as_slice())).collect();
        let mut reader = BundleReader::open(std::io::Cursor::new(raw_tar(&borrowed, true)), "many").await.unwrap();
        let error = loop {
            match reader.next_blob().await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("read past the limit"),
                Err(error) => break error.to_string(),
            }
        };
        assert!(error.contains("is one entry more than the 100000 a bundle may have"), "{error}");

        let mut bytes = raw_tar(&borrowed[..5], false);
        let mut header = tar::Header::new_ustar();
        header.set_path(format!("images/blobs/sha256/{:064x}", 1)).unwrap();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(1 << 40);
        header.set_mode(0o644);
        header.set_cksum();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[b'{'; 512]);
        let mut reader = BundleReader::open(std::io::Cursor::new(bytes), "lying").await.unwrap();
        assert_eq!(reader.next_blob().await.unwrap().unwrap().size, 1 << 40);
        let error = reader.read_blob().await.unwrap_err().to_string();
        assert!(error.contains("declares 1099511627776 bytes; manifests are limited to 4 MiB"), "{error}");
    }
}

//! Blobs as files under the data folder: `blobs/ALG/XX/HEX` for committed content and
//! `uploads/SESSION` for bytes still arriving. A blob reaches its final name only by `rename`
//! after an fsync, so a reader (or a restart after `kill -9`) sees it whole or not at all.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use kots_oci::{Digest, Hasher};

use super::{Appended, BlobStore, ByteStream};
use super::{Result, StorageError};

/// Batches between the network and the writer thread, and their size: bounds memory per upload
/// (8 MiB) and wakes the writer once per MiB rather than once per network read.
const PIPELINE_DEPTH: usize = 8;
const BATCH_BYTES: usize = 1024 * 1024;
const READ_BUFFER: usize = 256 * 1024;
/// Chunks a download reads ahead of the network, and their size.
const READ_AHEAD: usize = 2;
const DOWNLOAD_CHUNK: usize = 1024 * 1024;

fn tokio_stream_from<T: Send + 'static>(
    mut receiver: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send {
    futures_util::stream::poll_fn(move |context| receiver.poll_recv(context))
}

/// Past this many bytes, a large upload starts flushing to disk while it is still arriving, and
/// flushes again after each further this many bytes (not more often: each flush of a growing
/// file also commits the file system's journal).
const EARLY_FLUSH_BYTES: u64 = 32 * 1024 * 1024;

/// Flushes a large upload to disk in the background while more of it arrives, so the disk works
/// during the transfer and the fsync at commit has little left to do. Only a speed-up: the
/// commit's fsync is what makes the blob durable.
struct EarlyFlusher {
    wake: Option<std::sync::mpsc::SyncSender<()>>,
    thread: tokio::task::JoinHandle<()>,
}

impl EarlyFlusher {
    fn start(file: &File) -> EarlyFlusher {
        let file = file.try_clone();
        let (wake, woken) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = tokio::task::spawn_blocking(move || {
            let Ok(file) = file else { return };
            while woken.recv().is_ok() {
                let _ = file.sync_data();
            }
        });
        EarlyFlusher { wake: Some(wake), thread }
    }

    /// Asks for a flush; if one is already running, that one will do.
    fn nudge(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }

    fn finish(mut self) {
        self.wake = None;
        drop(self.thread);
    }
}

#[derive(Debug, Clone)]
pub struct FilesystemBlobStore {
    root: PathBuf,
}

impl FilesystemBlobStore {
    pub fn open(root: &Path) -> Result<FilesystemBlobStore> {
        for directory in [root.join("blobs"), root.join("uploads")] {
            fs::create_dir_all(&directory)
                .map_err(|e| StorageError::backend(format_args!("cannot create `{}`", directory.display()), e))?;
        }
        Ok(FilesystemBlobStore { root: root.to_owned() })
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join(digest.algorithm().name()).join(&digest.hex()[..2]).join(digest.hex())
    }

    fn upload_path(&self, session: &str) -> PathBuf {
        self.root.join("uploads").join(session)
    }

    async fn open_blob(&self, digest: &Digest) -> Result<File> {
        let path = self.blob_path(digest);
        blocking(move || File::open(&path).map_err(|e| io_error("cannot open blob", &path, e))).await
    }
}

/// `length` bytes of `file` from `offset`, read ahead on a blocking thread while the network
/// writes the previous chunks; the bounded channel caps what one download holds in memory.
/// Nothing is read until the stream is first polled, so a body the server sends otherwise (with
/// `sendfile`) costs nothing.
pub(crate) fn file_stream(file: File, offset: u64, length: u64) -> ByteStream {
    let start = async move {
        let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(READ_AHEAD);
        tokio::task::spawn_blocking(move || read_ahead(file, offset, length, &sender));
        tokio_stream_from(receiver)
    };
    Box::pin(futures_util::stream::once(start).flatten())
}

fn read_ahead(mut file: File, offset: u64, length: u64, sender: &tokio::sync::mpsc::Sender<io::Result<Bytes>>) {
    if let Err(error) = file.seek(SeekFrom::Start(offset)) {
        let _ = sender.blocking_send(Err(error));
        return;
    }
    let mut remaining = length;
    while remaining > 0 {
        let want = remaining.min(DOWNLOAD_CHUNK as u64);
        // `read_to_end` fills spare capacity without zeroing it first.
        let mut buffer = Vec::with_capacity(want as usize);
        let result = match (&mut file).take(want).read_to_end(&mut buffer) {
            Ok(read) if read as u64 == want => Ok(Bytes::from(buffer)),
            Ok(read) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("the blob's file ended {} bytes early", remaining - read as u64),
            )),
            Err(error) => Err(error),
        };
        let failed = result.is_err();
        remaining -= result.as_ref().map_or(0, |chunk| chunk.len() as u64);
        if sender.blocking_send(result).is_err() || failed {
            return; // the client went away, or the disk failed and the client was told
        }
    }
}

fn io_error(context: &str, path: &Path, error: io::Error) -> StorageError {
    StorageError::backend(format_args!("{context} `{}`", path.display()), error)
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| StorageError::backend("a blocking task", e))?
}

/// Writes `chunks` in order with as few system calls as the kernel allows (`writev`).
fn write_all_chunks(file: &mut File, chunks: &[Bytes]) -> io::Result<()> {
    let mut slices: Vec<io::IoSlice<'_>> = chunks.iter().map(|chunk| io::IoSlice::new(chunk)).collect();
    let mut slices = &mut slices[..];
    while !slices.is_empty() {
        match file.write_vectored(slices) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "the disk took no bytes")),
            Ok(written) => io::IoSlice::advance_slices(&mut slices, written),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Makes a rename durable: the directory entry is data too.
fn sync_directory(path: &Path) -> io::Result<()> {
    File::open(path)?.sync_all()
}

#[async_trait]
impl BlobStore for FilesystemBlobStore {
    async fn read(&self, digest: &Digest, offset: u64, length: u64) -> Result<ByteStream> {
        let file = self.open_blob(digest).await?;
        Ok(file_stream(file, offset, length))
    }

    async fn local_file(&self, digest: &Digest) -> Result<Option<File>> {
        self.open_blob(digest).await.map(Some)
    }

    async fn exists(&self, digest: &Digest) -> Result<bool> {
        Ok(tokio::fs::try_exists(self.blob_path(digest)).await.unwrap_or(false))
    }

    async fn append(
        &self,
        session: &str,
        offset: u64,
        hasher: Hasher,
        expected_length: Option<u64>,
        mut body: ByteStream,
    ) -> Result<Appended> {
        let path = self.upload_path(session);
        let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<Bytes>>(PIPELINE_DEPTH);
        let writer_path = path.clone();
        // The network and the hash run here, the writes on a blocking thread: the two overlap,
        // and the bounded channel keeps memory flat whatever the blob size.
        let writer = tokio::task::spawn_blocking(move || -> io::Result<u64> {
            let mut file = OpenOptions::new().create(true).write(true).truncate(false).open(&writer_path)?;
            let on_disk = file.metadata()?.len();
            if on_disk < offset {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the upload holds {on_disk} bytes on disk, fewer than the {offset} recorded"),
                ));
            }
            if on_disk > offset {
                // Left over from a chunk that failed or a request that was dropped.
                file.set_len(offset)?;
            }
            file.seek(SeekFrom::Start(offset))?;
            let mut written = 0u64;
            let mut flushed_at = 0u64;
            let mut flusher = None;
            while let Some(batch) = receiver.blocking_recv() {
                write_all_chunks(&mut file, &batch)?;
                written += batch.iter().map(|chunk| chunk.len() as u64).sum::<u64>();
                if written - flushed_at >= EARLY_FLUSH_BYTES {
                    flushed_at = written;
                    flusher.get_or_insert_with(|| EarlyFlusher::start(&file)).nudge();
                }
            }
            if let Some(flusher) = flusher {
                flusher.finish();
            }
            Ok(written)
        });

        let mut hasher = hasher;
        let mut body_error = None;
        let mut batch = Vec::new();
        let mut batched = 0;
        while let Some(item) = body.next().await {
            match item {
                Ok(chunk) if chunk.is_empty() => {}
                Ok(chunk) => {
                    hasher.update(&chunk);
                    batched += chunk.len();
                    batch.push(chunk);
                    if batched >= BATCH_BYTES {
                        batched = 0;
                        if sender.send(std::mem::take(&mut batch)).await.is_err() {
                            break; // the writer failed; its error is reported below
                        }
                    }
                }
                Err(error) => {
                    body_error = Some(error);
                    break;
                }
            }
        }
        if body_error.is_none() && !batch.is_empty() {
            let _ = sender.send(batch).await;
        }
        drop(sender);
        let written =
            writer.await.map_err(|e| StorageError::backend("the upload writer", e))?.map(|written| (hasher, written));

        let failure = match (written, body_error) {
            (Ok((hasher, written)), None) => match expected_length {
                Some(expected) if expected != written => StorageError::SizeMismatch(format!(
                    "the request declared {expected} bytes but carried {written}; the chunk was discarded"
                )),
                _ => {
                    return Ok(Appended { size: offset + written, hasher });
                }
            },
            (_, Some(error)) => StorageError::Invalid(format!(
                "the request body ended before it was complete ({error}); the chunk was discarded, resume at byte {offset}"
            )),
            (Err(error), None) => io_error("cannot write upload", &path, error),
        };
        let cut_path = path.clone();
        let _ = blocking(move || {
            OpenOptions::new()
                .write(true)
                .open(&cut_path)
                .and_then(|file| file.set_len(offset))
                .map_err(|e| io_error("cannot roll back upload", &cut_path, e))
        })
        .await;
        Err(failure)
    }

    async fn rehash(&self, session: &str, size: u64, mut hasher: Hasher) -> Result<Digest> {
        let path = self.upload_path(session);
        blocking(move || {
            let mut file = File::open(&path).map_err(|e| io_error("cannot open upload", &path, e))?.take(size);
            let mut buffer = vec![0u8; READ_BUFFER];
            loop {
                let read = file.read(&mut buffer).map_err(|e| io_error("cannot read upload", &path, e))?;
                if read == 0 {
                    break;
                }
                hasher.update(&buffer[..read]);
            }
            Ok(hasher.finish())
        })
        .await
    }

    async fn commit(&self, session: &str, digest: &Digest, size: u64) -> Result<()> {
        let upload = self.upload_path(session);
        let target = self.blob_path(digest);
        blocking(move || {
            if target.exists() {
                // Same digest, same bytes: the copy we have is already durable.
                let _ = fs::remove_file(&upload);
                return Ok(());
            }
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&upload)
                .map_err(|e| io_error("cannot open upload", &upload, e))?;
            let on_disk = file.metadata().map_err(|e| io_error("cannot stat upload", &upload, e))?.len();
            if on_disk < size {
                return Err(StorageError::Invalid(format!(
                    "the upload holds {on_disk} bytes, fewer than the {size} received; start a new upload"
                )));
            }
            if on_disk > size {
                // Bytes of a request that was dropped half-way: never part of the blob.
                file.set_len(size).map_err(|e| io_error("cannot trim upload", &upload, e))?;
            }
            let started = std::time::Instant::now();
            file.sync_all().map_err(|e| io_error("cannot sync upload", &upload, e))?;
            tracing::debug!(bytes = size, elapsed_ms = started.elapsed().as_millis() as u64, "upload synced to disk");
            let directory = target.parent().expect("blob paths have a parent");
            fs::create_dir_all(directory).map_err(|e| io_error("cannot create", directory, e))?;
            fs::rename(&upload, &target).map_err(|e| io_error("cannot move upload to", &target, e))?;
            sync_directory(directory).map_err(|e| io_error("cannot sync", directory, e))?;
            Ok(())
        })
        .await
    }

    async fn discard(&self, session: &str) -> Result<()> {
        match tokio::fs::remove_file(self.upload_path(session)).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io_error("cannot remove upload", &self.upload_path(session), error)),
        }
    }

    async fn health(&self) -> Result<()> {
        let uploads = self.root.join("uploads");
        let metadata = tokio::fs::metadata(&uploads).await.map_err(|e| io_error("cannot reach", &uploads, e))?;
        if metadata.permissions().readonly() {
            return Err(StorageError::broken(format_args!("`{}` is read-only", uploads.display())));
        }
        Ok(())
    }

    async fn sweep_orphans(&self, live_sessions: &[String], grace: std::time::Duration) -> Result<usize> {
        let directory = self.root.join("uploads");
        let live: std::collections::HashSet<String> = live_sessions.iter().cloned().collect();
        blocking(move || {
            let mut removed = 0;
            let entries = fs::read_dir(&directory).map_err(|e| io_error("cannot list", &directory, e))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let age = entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok());
                let old_enough = grace.is_zero() || age.is_some_and(|age| age >= grace);
                if !live.contains(&name) && old_enough && fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
    }

    async fn list(&self) -> Result<Vec<Digest>> {
        let root = self.root.join("blobs");
        blocking(move || {
            let mut found = Vec::new();
            let read = |path: &Path| fs::read_dir(path).map_err(|e| io_error("cannot list", path, e));
            for algorithm in read(&root)?.flatten() {
                for fan in read(&algorithm.path())?.flatten() {
                    for blob in read(&fan.path())?.flatten() {
                        let name = format!(
                            "{}:{}",
                            algorithm.file_name().to_string_lossy(),
                            blob.file_name().to_string_lossy()
                        );
                        // Anything else (an editor's backup, a stray temp file) is not ours to judge.
                        if let Ok(digest) = Digest::parse(&name) {
                            found.push(digest);
                        }
                    }
                }
            }
            Ok(found)
        })
        .await
    }

    async fn remove(&self, digest: &Digest) -> Result<()> {
        let path = self.blob_path(digest);
        blocking(move || match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(io_error("cannot remove blob", &path, error)),
        })
        .await
    }
}

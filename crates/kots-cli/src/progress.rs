//! A progress bar fed by the transfer engine's events: bytes moved of bytes to move, blobs the
//! destination had or mounted counted as done at once.

use std::collections::HashMap;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use kots_transfer::Event;
use tokio::sync::mpsc::UnboundedSender;

/// A running bar and the sender to give the engine; [`Progress::finish`] when it is done.
pub struct Progress {
    bar: ProgressBar,
    sender: Option<UnboundedSender<Event>>,
    task: tokio::task::JoinHandle<()>,
}

impl Progress {
    pub fn start(message: String, hidden: bool) -> Progress {
        let bar = if hidden { ProgressBar::hidden() } else { ProgressBar::new(0) };
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(200));
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        let task = {
            let bar = bar.clone();
            tokio::spawn(async move {
                // Bytes of a blob that restarts are counted again; keep per-blob totals to undo that.
                let mut moved: HashMap<String, u64> = HashMap::new();
                while let Some(event) = receiver.recv().await {
                    match event {
                        Event::BlobStarted { digest, size } => {
                            let before = moved.insert(digest.to_string(), 0).unwrap_or(0);
                            if before == 0 {
                                bar.inc_length(size);
                            } else {
                                bar.set_position(bar.position().saturating_sub(before));
                            }
                        }
                        Event::BlobBytes { digest, bytes } => {
                            *moved.entry(digest.to_string()).or_default() += bytes;
                            bar.inc(bytes);
                        }
                        Event::BlobSkipped { size, .. } | Event::BlobMounted { size, .. } => {
                            bar.inc_length(size);
                            bar.inc(size);
                        }
                        Event::BlobDone { .. } | Event::ManifestDone { .. } => {}
                    }
                }
            })
        };
        Progress { bar, sender: Some(sender), task }
    }

    pub fn sender(&self) -> Option<UnboundedSender<Event>> {
        self.sender.clone()
    }

    pub async fn finish(mut self) {
        self.sender.take();
        let _ = (&mut self.task).await;
        self.bar.finish_and_clear();
    }
}

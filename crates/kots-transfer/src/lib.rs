//! The transfer engine: exact copies of images between registries and OCI image layouts.
//!
//! Exact: manifests and blobs move byte for byte, every digest kept, every byte verified while
//! it streams. Fast: blobs move in parallel, a blob the destination has is skipped, one in
//! another repository of the same registry is mounted, a layer shared by several images moves
//! once. Robust: retries with back-off on transient failures; re-running an interrupted copy
//! moves only what is missing. [`copy`] does it, [`push_bundle_images`] pushes an airgap bundle's
//! images as the bundle is read; both skip, mount, upload and count blobs the one way `push`
//! does, and [`Event`]s report it as it goes. Given a [`BlobCache`], they remember where each
//! blob was seen, across runs, and mount from there before uploading.

mod address;
mod auth;
pub mod blob_cache;
mod bundle_push;
mod client;
mod copy;
mod endpoint;
mod error;
mod progress;
mod push;
mod secret;
pub mod tls;

pub use address::is_public;
pub use blob_cache::BlobCache;
pub use bundle_push::{PushedImage, push_bundle_images};
pub use client::{
    ByteStream, ClientOptions, FetchedBlob, FetchedManifest, RegistryClient, RetryPolicy, pull_scope, push_scope,
};
pub use copy::{CopyOptions, Platform, copy, copy_many};
pub use endpoint::{Endpoint, parse_mirror};
pub use error::Error;
pub use progress::{Event, Summary, human_bytes};
pub use secret::Credentials;

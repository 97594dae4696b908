//! OCI core: the vocabulary every other kots crate speaks.
//!
//! Digests, media types, manifests and indexes (OCI and Docker v2), image references, the OCI
//! image layout on disk and the distribution API's error codes. Nothing here knows about
//! licenses, apps or HTTP; it is plain data and file formats, so that the registry, the vendor
//! server and the CLI agree on them.

pub mod digest;
mod error;
pub mod error_code;
pub mod layout;
pub mod manifest;
pub mod media_type;
pub mod reference;

/// Bytes as they stream: a blob's body from a store, a registry or a bundle, and what an upload
/// reads. One type for every crate, so a body passes from one to another as it is.
pub type ByteStream = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send>>;

pub use digest::{Algorithm, Digest, Hasher};
pub use error::Error;
pub use error_code::{ErrorBody, ErrorCode, ErrorInfo};
pub use layout::OciLayout;
pub use manifest::{Descriptor, Manifest, ManifestKind};
pub use reference::ImageReference;

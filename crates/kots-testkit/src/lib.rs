//! The servers and peers that kots's tests and benchmarks start, in one crate so that no
//! library carries them in its public API and no test binary compiles another crate's source
//! by path. Everything runs on 127.0.0.1 on a free port, in its own temporary folder, and stops
//! when dropped, so a failing test leaves nothing behind.
//!
//! - [`s3`]: S3 API servers ([`LocalS3`] in process on `s3s-fs`, [`MotoS3`] a second,
//!   independent implementation);
//! - [`postgres`]: a throw-away PostgreSQL ([`LocalPostgres`]);
//! - [`reference`](mod@reference): the reference registry, CNCF Distribution ([`ReferenceRegistry`]);
//! - [`skopeo`](mod@skopeo): running skopeo, the independent OCI client the tests hold us against;
//! - [`login_registry`]: a `kots-registry` with an htpasswd login ([`spawn_login_registry`]);
//! - [`oras`]: an artifact round trip with oras-py, a client with its own token flow;
//! - [`process`]: free ports, waiting for a server, children killed on drop;
//! - [`conformance`]: what every `BlobStore` and `MetadataStore` must do, as functions the
//!   backends' tests call;
//! - [`suites`]: the official OCI conformance suites (external binaries) against a registry,
//!   [`conformance_suites`].
//!
//! `publish = false`, and only ever a dev-dependency (or an example's).

pub mod conformance;
pub mod login_registry;
pub mod oras;
pub mod postgres;
pub mod process;
pub mod reference;
pub mod s3;
pub mod skopeo;
pub mod suites;

pub use login_registry::spawn_login_registry;
pub use oras::oras_round_trip;
pub use postgres::LocalPostgres;
pub use process::{KillOnDrop, free_port, spawn_server, wait_for, wait_for_listening};
pub use reference::ReferenceRegistry;
pub use s3::{LocalS3, MotoS3};
pub use skopeo::{skopeo, skopeo_raw, skopeo_with_log, try_skopeo};
pub use suites::{SuiteRun, conformance_suites, conformance_suites_dir};

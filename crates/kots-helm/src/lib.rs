//! Helm charts rendered as Helm (v4) renders them, for `kubectl kots helm template` and for the
//! HelmChart resources of KOTS releases: a chart loaded from a folder or an archive
//! ([`chart`]), its values read as Helm reads YAML and coalesced with its dependencies'
//! ([`values`], [`yaml`]), and every template rendered by `kots-template` with Helm's functions
//! ([`engine`]). Plain data in, text out: no cluster (`lookup` is empty), no network, no files
//! of its own.

pub mod chart;
pub mod engine;
pub mod error;
pub mod glob;
pub mod helmchart;
pub mod manifests;
pub mod release;
pub mod strvals;
pub mod values;
pub mod yaml;

pub use chart::{Chart, ChartFile, Metadata};
pub use error::Error;

//! The crate's one error type: each variant names the chart (and file, and line where there
//! is one), as Helm's messages do.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The chart cannot be read: a broken archive, a missing or invalid `Chart.yaml`.
    #[error("chart `{chart}`: {message}")]
    Load { chart: String, message: String },
    /// Values that are not YAML, or that the chart's `values.schema.json` refuses.
    #[error("{0}")]
    Values(String),
    /// A template that does not parse or does not render (`fail`, `required`, …).
    #[error("{0}")]
    Render(String),
}

//! Prometheus metrics for `/metrics`: requests by endpoint family, method and status, bytes in
//! and out, open upload sessions. Each registry owns its recorder (no global one), so several
//! registries in one process (the vendor server, tests) keep separate counts.

use metrics::{Counter, Gauge, Recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

pub struct Metrics {
    recorder: PrometheusRecorder,
    pub(crate) bytes_received: Counter,
    pub(crate) bytes_sent: Counter,
    pub(crate) upload_sessions: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new().build_recorder();
        let (bytes_received, bytes_sent, upload_sessions) = metrics::with_local_recorder(&recorder, || {
            metrics::describe_counter!("kots_registry_received_bytes_total", "Blob bytes received in uploads.");
            metrics::describe_counter!("kots_registry_sent_bytes_total", "Blob bytes sent in downloads.");
            metrics::describe_gauge!("kots_registry_upload_sessions", "Chunked upload sessions open now.");
            metrics::describe_counter!("kots_registry_requests_total", "Requests by endpoint, method and status.");
            metrics::describe_histogram!(
                "kots_registry_storage_seconds",
                metrics::Unit::Seconds,
                "Time spent in the blob and metadata stores, by store and operation."
            );
            (
                metrics::counter!("kots_registry_received_bytes_total"),
                metrics::counter!("kots_registry_sent_bytes_total"),
                metrics::gauge!("kots_registry_upload_sessions"),
            )
        });
        Metrics { recorder, bytes_received, bytes_sent, upload_sessions }
    }

    pub fn record_request(&self, route: &'static str, method: &str, status: u16) {
        let recorder: &dyn Recorder = &self.recorder;
        metrics::with_local_recorder(recorder, || {
            metrics::counter!(
                "kots_registry_requests_total",
                "route" => route,
                "method" => method.to_owned(),
                "status" => status.to_string()
            )
            .increment(1);
        });
    }

    /// The latency histogram of one storage operation.
    pub fn storage_histogram(&self, store: &'static str, operation: &'static str) -> metrics::Histogram {
        let recorder: &dyn Recorder = &self.recorder;
        metrics::with_local_recorder(
            recorder,
            || metrics::histogram!("kots_registry_storage_seconds", "store" => store, "operation" => operation),
        )
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.recorder.handle().render()
    }
}

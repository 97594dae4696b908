//! End-to-end tests of `kots-registry`: real processes on 127.0.0.1, real clients (skopeo, raw
//! HTTP), and the reference registry (`docker-registry`, CNCF Distribution) held to the same
//! behaviour.

mod auth;
mod config;
mod gc;
mod http;
mod images;
// moto is exercised by the unit tests; these use the in-process server only.
#[allow(dead_code)]
#[path = "../../src/storage/local_s3.rs"]
mod local_s3;
mod replicas;
mod robustness;
mod skopeo;
mod util;

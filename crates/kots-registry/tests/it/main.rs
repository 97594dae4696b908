//! End-to-end tests of `kots-registry`: real processes on 127.0.0.1, real clients (skopeo, raw
//! HTTP), and the reference registry (`docker-registry`, CNCF Distribution) held to the same
//! behaviour.

mod auth;
mod config;
mod conformance;
mod gc;
mod http;
mod images;
mod remote;
mod replicas;
mod robustness;
mod scopes;
mod skopeo;
mod storage;
mod util;

//! The official OCI conformance suites (v1.1.1, main, main with `OCI_VERSION=1.1+dev`) against
//! the standalone registry: without authentication, with htpasswd users through the token flow,
//! and as two replicas on PostgreSQL and S3 behind a balancer that sends each request to the
//! next replica. Any failed case fails the test; each setup prints its counts (CI shows them).
//! Skipped, with a message, where the suites are not installed (`OCI_CONFORMANCE_DIR`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use kots_testkit::{LocalPostgres, LocalS3, conformance_suites, conformance_suites_dir};

use crate::util::Registry;

const SUITE: (&str, &str) = ("suite", "suite secret");

/// An htpasswd file (bcrypt) with the suite's user.
fn htpasswd(temp: &tempfile::TempDir) -> String {
    let path = temp.path().join("htpasswd");
    std::fs::write(&path, format!("{}:{}\n", SUITE.0, bcrypt::hash(SUITE.1, 4).unwrap())).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn oci_conformance_auth_none() {
    if conformance_suites_dir().is_none() {
        conformance_suites("--auth none", "", "", None);
        return;
    }
    let registry = Registry::start();
    conformance_suites("--auth none", &registry.url(""), "conformance/suite", None);
}

#[test]
fn oci_conformance_auth_htpasswd() {
    if conformance_suites_dir().is_none() {
        conformance_suites("--auth htpasswd", "", "", None);
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let registry =
        Registry::start_in(&temp.path().join("data"), &["--auth", "htpasswd", "--htpasswd", &htpasswd(&temp)]);
    conformance_suites("--auth htpasswd", &registry.url(""), "conformance/suite", Some(SUITE));
}

/// A load balancer in miniature: each request goes to the next replica in turn (not each
/// connection, which a client keeps open), redirects and all passed back as they are.
struct RoundRobin {
    upstreams: Vec<String>,
    next: AtomicUsize,
    client: reqwest::Client,
}

async fn forward(
    axum::extract::State(balancer): axum::extract::State<Arc<RoundRobin>>,
    request: axum::extract::Request,
) -> Response {
    let upstream = &balancer.upstreams[balancer.next.fetch_add(1, Ordering::Relaxed) % balancer.upstreams.len()];
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |path| path.as_str());
    let mut headers = parts.headers;
    for hop in [header::HOST, header::CONNECTION, header::TRANSFER_ENCODING] {
        headers.remove(hop);
    }
    let sent = balancer
        .client
        .request(parts.method, format!("http://{upstream}{path}"))
        .headers(headers)
        .body(reqwest::Body::wrap_stream(body.into_data_stream()))
        .send()
        .await;
    let answer = match sent {
        Ok(answer) => answer,
        Err(error) => return (axum::http::StatusCode::BAD_GATEWAY, format!("{upstream}: {error}")).into_response(),
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    for hop in [header::CONNECTION, header::TRANSFER_ENCODING] {
        headers.remove(hop);
    }
    let mut response = Response::new(Body::from_stream(answer.bytes_stream()));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}

#[test]
fn oci_conformance_two_replicas_postgres_s3() {
    if conformance_suites_dir().is_none() {
        conformance_suites("two replicas, PostgreSQL + S3", "", "", None);
        return;
    }
    let temp = tempfile::tempdir().unwrap();
    let postgres = LocalPostgres::start().expect("PostgreSQL starts (apt-get install postgresql)");
    let s3 = LocalS3::start();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let balancer_url = format!("http://{}", listener.local_addr().unwrap());
    let htpasswd = htpasswd(&temp);
    let storage = format!("s3://{}/registry", s3.bucket);
    let args = [
        "--auth",
        "htpasswd",
        "--htpasswd",
        &htpasswd,
        "--database",
        &postgres.url,
        "--storage",
        &storage,
        "--s3-endpoint",
        &s3.endpoint,
        "--s3-path-style",
        "--s3-region",
        "us-east-1",
        // Behind a balancer every replica has its public URL (the token realm's host).
        "--public-url",
        &balancer_url,
    ];
    let env = [("AWS_ACCESS_KEY_ID", s3.access_key.as_str()), ("AWS_SECRET_ACCESS_KEY", s3.secret_key.as_str())];
    let replicas: Vec<Registry> =
        ["a", "b"].iter().map(|name| Registry::start_with_env(&temp.path().join(name), &args, &env)).collect();
    let balancer = Arc::new(RoundRobin {
        upstreams: replicas.iter().map(|replica| replica.address.clone()).collect(),
        next: AtomicUsize::new(0),
        client: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap(),
    });
    let app = axum::Router::new().fallback(forward).with_state(balancer.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });
    conformance_suites("two replicas, PostgreSQL + S3", &balancer_url, "conformance/suite", Some(SUITE));
    assert!(balancer.next.load(Ordering::Relaxed) > 100, "the suites went through the balancer to both replicas");
    drop(replicas);
    runtime.shutdown_background();
    drop(s3);
}

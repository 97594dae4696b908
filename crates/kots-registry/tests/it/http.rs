//! Every endpoint and every error case of the distribution API, over HTTP against a running
//! `kots-registry`.

use kots_oci::media_type::*;
use kots_oci::{Algorithm, Digest};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::util::{Registry, client, error_code, push_blob, raw_request};

/// An image manifest in `repository` over freshly pushed config and layer blobs.
async fn image_manifest(registry: &Registry, repository: &str, seed: &str) -> serde_json::Value {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","seed":"{seed}"}}"#);
    let layer = format!("layer of {seed}");
    let config_digest = push_blob(registry, repository, config.as_bytes()).await;
    let layer_digest = push_blob(registry, repository, layer.as_bytes()).await;
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": OCI_LAYER_GZIP, "digest": layer_digest, "size": layer.len()}],
    })
}

async fn put_manifest(
    registry: &Registry,
    repository: &str,
    reference: &str,
    media_type: &str,
    body: &[u8],
) -> reqwest::Response {
    client()
        .put(registry.url(&format!("/v2/{repository}/manifests/{reference}")))
        .header("content-type", media_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
}

fn session_url(registry: &Registry, response: &reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/v2/"), "{location}");
    registry.url(location)
}

#[tokio::test]
async fn base_endpoint_health_and_metrics() {
    let registry = Registry::start();
    let response = client().get(registry.url("/v2/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["docker-distribution-api-version"], "registry/2.0");
    assert_eq!(client().get(registry.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);

    push_blob(&registry, "m/x", b"counted bytes").await;
    client()
        .get(registry.url("/v2/m/x/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000"))
        .send()
        .await
        .unwrap();
    let metrics = client().get(registry.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"kots_registry_requests_total{route="uploads",method="POST",status="201"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"kots_registry_requests_total{route="blobs",method="GET",status="404"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("kots_registry_received_bytes_total 13"), "{metrics}");
    assert!(metrics.contains("kots_registry_upload_sessions 0"), "{metrics}");
}

#[tokio::test]
async fn blob_get_head_range_and_delete() {
    let registry = Registry::start();
    let content = b"0123456789abcdef";
    let digest = push_blob(&registry, "app/api", content).await;
    let url = registry.url(&format!("/v2/app/api/blobs/{digest}"));

    let head = client().head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "16");
    assert_eq!(head.headers()["docker-content-digest"], digest.to_string().as_str());

    let got = client().get(&url).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), &content[..]);

    let partial = client().get(&url).header("range", "bytes=4-7").send().await.unwrap();
    assert_eq!(partial.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(partial.headers()["content-range"], "bytes 4-7/16");
    assert_eq!(partial.bytes().await.unwrap(), &content[4..8]);
    let tail = client().get(&url).header("range", "bytes=-3").send().await.unwrap();
    assert_eq!(tail.bytes().await.unwrap(), &content[13..]);
    let beyond = client().get(&url).header("range", "bytes=16-").send().await.unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers()["content-range"], "bytes */16");

    // Another repository cannot read it: blobs are reachable only through a linking repository.
    let other = client().get(registry.url(&format!("/v2/other/repo/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(other).await, "BLOB_UNKNOWN");

    let deleted = client().delete(&url).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::ACCEPTED);
    let gone = client().get(&url).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(gone).await, "BLOB_UNKNOWN");
    let again = client().delete(&url).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    let not_allowed = client().put(&url).send().await.unwrap();
    assert_eq!(not_allowed.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(error_code(not_allowed).await, "UNSUPPORTED");
}

#[tokio::test]
async fn chunked_upload_with_status_out_of_order_and_finish() {
    let registry = Registry::start();
    let content: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let digest = Digest::sha256_of(&content);

    let started = client().post(registry.url("/v2/chunky/blobs/uploads/")).send().await.unwrap();
    assert_eq!(started.status(), StatusCode::ACCEPTED);
    assert_eq!(started.headers()["range"], "0-0");
    assert!(started.headers().contains_key("docker-upload-uuid"));
    let session = session_url(&registry, &started);

    let first = client()
        .patch(&session)
        .header("content-range", "0-999")
        .header("content-type", "application/octet-stream")
        .body(content[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(first.headers()["range"], "0-999");

    let status = client().get(&session).send().await.unwrap();
    assert_eq!(status.status(), StatusCode::NO_CONTENT);
    assert_eq!(status.headers()["range"], "0-999");

    // A chunk that does not start where the upload ends: 416, and where to resume.
    let skipped = client()
        .patch(&session)
        .header("content-range", "1500-1999")
        .body(content[1500..2000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(skipped.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(skipped.headers()["range"], "0-999");
    assert!(skipped.headers().contains_key("location"));
    assert_eq!(error_code(skipped).await, "BLOB_UPLOAD_INVALID");
    let repeated =
        client().patch(&session).header("content-range", "0-999").body(content[..1000].to_vec()).send().await.unwrap();
    assert_eq!(repeated.status(), StatusCode::RANGE_NOT_SATISFIABLE);

    // A Content-Range that disagrees with the body.
    let lying = client()
        .patch(&session)
        .header("content-range", "1000-1999")
        .body(content[1000..1500].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(lying.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(lying).await, "SIZE_INVALID");
    let garbage = client().patch(&session).header("content-range", "bytes=lots").body(vec![1]).send().await.unwrap();
    assert_eq!(garbage.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(client().get(&session).send().await.unwrap().headers()["range"], "0-999");

    // A streamed chunk without Content-Range, then the last chunk with the PUT.
    let second = client().patch(&session).body(content[1000..2000].to_vec()).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::ACCEPTED);
    assert_eq!(second.headers()["range"], "0-1999");
    let finished = client()
        .put(format!("{session}?digest={digest}"))
        .header("content-range", "2000-2999")
        .body(content[2000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status(), StatusCode::CREATED);
    assert_eq!(finished.headers()["docker-content-digest"], digest.to_string().as_str());
    assert_eq!(finished.headers()["location"], format!("/v2/chunky/blobs/{digest}").as_str());
    let blob = client().get(registry.url(&format!("/v2/chunky/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(blob.bytes().await.unwrap(), content);

    // The session is gone once finished.
    let after = client().get(&session).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(after).await, "BLOB_UPLOAD_UNKNOWN");
}

#[tokio::test]
async fn upload_errors_leave_nothing_behind() {
    let registry = Registry::start();
    let content = b"some blob content";
    let wrong = Digest::sha256_of(b"something else");

    // Monolithic with the wrong digest.
    let response = client()
        .post(registry.url(&format!("/v2/u/blobs/uploads/?digest={wrong}")))
        .body(&content[..])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "DIGEST_INVALID");
    assert_eq!(body["errors"][0]["detail"]["expected"], wrong.to_string());
    assert_eq!(body["errors"][0]["detail"]["actual"], Digest::sha256_of(content).to_string());
    for digest in [&wrong, &Digest::sha256_of(content)] {
        let head = client().head(registry.url(&format!("/v2/u/blobs/{digest}"))).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::NOT_FOUND);
    }

    // Malformed digests.
    for bad in ["sha256:abc", "md5:d41d8cd98f00b204e9800998ecf8427e", "nonsense"] {
        let response = client()
            .post(registry.url(&format!("/v2/u/blobs/uploads/?digest={bad}")))
            .body(&content[..])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(response).await, "DIGEST_INVALID");
    }

    // Chunked, finished with the wrong digest: refused and the session discarded.
    let started = client().post(registry.url("/v2/u/blobs/uploads/")).send().await.unwrap();
    let session = session_url(&registry, &started);
    client().patch(&session).body(&content[..]).send().await.unwrap();
    let finished = client().put(format!("{session}?digest={wrong}")).send().await.unwrap();
    assert_eq!(finished.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(finished).await, "DIGEST_INVALID");
    assert_eq!(client().get(&session).send().await.unwrap().status(), StatusCode::NOT_FOUND);

    // PUT without a digest.
    let started = client().post(registry.url("/v2/u/blobs/uploads/")).send().await.unwrap();
    let session = session_url(&registry, &started);
    let finished = client().put(&session).body(&content[..]).send().await.unwrap();
    assert_eq!(finished.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(finished).await, "DIGEST_INVALID");

    // Cancel.
    let cancelled = client().delete(&session).send().await.unwrap();
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);
    let gone = client().patch(&session).body(&content[..]).send().await.unwrap();
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(gone).await, "BLOB_UPLOAD_UNKNOWN");

    // A session belongs to its repository.
    let started = client().post(registry.url("/v2/u/blobs/uploads/")).send().await.unwrap();
    let location = started.headers()["location"].to_str().unwrap().replace("/v2/u/", "/v2/other/");
    let stolen = client().get(registry.url(&location)).send().await.unwrap();
    assert_eq!(stolen.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(stolen).await, "BLOB_UPLOAD_UNKNOWN");
    let made_up = client().get(registry.url("/v2/u/blobs/uploads/not-a-session")).send().await.unwrap();
    assert_eq!(error_code(made_up).await, "BLOB_UPLOAD_UNKNOWN");

    // Nothing was stored under either digest, and no upload bytes linger.
    let leftovers: Vec<_> = std::fs::read_dir(registry.data_dir.join("uploads")).unwrap().flatten().collect();
    assert_eq!(leftovers.len(), 1, "only the one open session should have bytes or none: {leftovers:?}");
    let blobs = walk(&registry.data_dir.join("blobs"));
    assert!(blobs.is_empty(), "{blobs:?}");
}

fn walk(directory: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap().flatten() {
        if entry.path().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

#[tokio::test]
async fn sha512_blobs() {
    let registry = Registry::start();
    let content = b"hashed with sha512";
    let digest = Digest::of(Algorithm::Sha512, content);
    let response = client()
        .post(registry.url(&format!("/v2/s/blobs/uploads/?digest={digest}")))
        .body(&content[..])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let got = client().get(registry.url(&format!("/v2/s/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), &content[..]);

    // A chunked upload finished with a sha512 digest.
    let other = b"chunked, then sha512";
    let digest = Digest::of(Algorithm::Sha512, other);
    let started = client().post(registry.url("/v2/s/blobs/uploads/")).send().await.unwrap();
    let session = session_url(&registry, &started);
    client().patch(&session).body(&other[..5]).send().await.unwrap();
    let finished = client().put(format!("{session}?digest={digest}")).body(&other[5..]).send().await.unwrap();
    assert_eq!(finished.status(), StatusCode::CREATED);
    let got = client().get(registry.url(&format!("/v2/s/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), &other[..]);
}

#[tokio::test]
async fn cross_repository_mount() {
    let registry = Registry::start();
    let digest = push_blob(&registry, "source/repo", b"mount me").await;

    let mounted = client()
        .post(registry.url(&format!("/v2/target/repo/blobs/uploads/?mount={digest}&from=source/repo")))
        .send()
        .await
        .unwrap();
    assert_eq!(mounted.status(), StatusCode::CREATED);
    assert_eq!(mounted.headers()["location"], format!("/v2/target/repo/blobs/{digest}").as_str());
    let got = client().get(registry.url(&format!("/v2/target/repo/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(got.bytes().await.unwrap(), &b"mount me"[..]);

    // Cannot mount from a repository that does not have it, or from a bad name: a session instead.
    for from in ["elsewhere", "../source/repo"] {
        let fallback = client()
            .post(registry.url(&format!("/v2/third/blobs/uploads/?mount={digest}&from={from}")))
            .send()
            .await
            .unwrap();
        assert_eq!(fallback.status(), StatusCode::ACCEPTED, "{from}");
        assert!(fallback.headers()["location"].to_str().unwrap().starts_with("/v2/third/blobs/uploads/"));
    }
    let not_mounted = client().head(registry.url(&format!("/v2/third/blobs/{digest}"))).send().await.unwrap();
    assert_eq!(not_mounted.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn manifests_by_tag_and_digest_with_negotiation() {
    let registry = Registry::start();
    let manifest = image_manifest(&registry, "web/app", "one").await;
    let bytes = serde_json::to_vec_pretty(&manifest).unwrap();
    let digest = Digest::sha256_of(&bytes);

    let created = put_manifest(&registry, "web/app", "v1", OCI_MANIFEST, &bytes).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(created.headers()["docker-content-digest"], digest.to_string().as_str());
    assert_eq!(created.headers()["location"], format!("/v2/web/app/manifests/{digest}").as_str());

    for reference in ["v1".to_owned(), digest.to_string()] {
        let url = registry.url(&format!("/v2/web/app/manifests/{reference}"));
        let got = client().get(&url).header("accept", OCI_MANIFEST).send().await.unwrap();
        assert_eq!(got.status(), StatusCode::OK);
        assert_eq!(got.headers()["content-type"], OCI_MANIFEST);
        assert_eq!(got.headers()["docker-content-digest"], digest.to_string().as_str());
        assert_eq!(got.bytes().await.unwrap(), bytes, "byte for byte, never re-serialised");
        let head = client().head(&url).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(head.headers()["content-length"], bytes.len().to_string().as_str());
    }

    // A client that accepts only Docker types is not sent an OCI manifest.
    let url = registry.url("/v2/web/app/manifests/v1");
    let refused =
        client().get(&url).header("accept", format!("{DOCKER_MANIFEST}, {DOCKER_MANIFEST_LIST}")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(refused).await, "MANIFEST_UNKNOWN");
    let any = client().get(&url).header("accept", "*/*").send().await.unwrap();
    assert_eq!(any.status(), StatusCode::OK);

    // PUT by digest must match the body.
    let by_digest = put_manifest(&registry, "web/app", &digest.to_string(), OCI_MANIFEST, &bytes).await;
    assert_eq!(by_digest.status(), StatusCode::CREATED);
    let wrong = Digest::sha256_of(b"not it");
    let mismatched = put_manifest(&registry, "web/app", &wrong.to_string(), OCI_MANIFEST, &bytes).await;
    assert_eq!(mismatched.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(mismatched).await, "DIGEST_INVALID");

    // Docker v2 manifests and manifest lists.
    let mut docker = image_manifest(&registry, "web/app", "docker").await;
    docker["mediaType"] = json!(DOCKER_MANIFEST);
    docker["config"]["mediaType"] = json!(DOCKER_CONFIG);
    docker["layers"][0]["mediaType"] = json!(DOCKER_LAYER_GZIP);
    let docker_bytes = docker.to_string().into_bytes();
    let docker_digest = Digest::sha256_of(&docker_bytes);
    assert_eq!(
        put_manifest(&registry, "web/app", "docker", DOCKER_MANIFEST, &docker_bytes).await.status(),
        StatusCode::CREATED
    );
    let list = json!({
        "schemaVersion": 2, "mediaType": DOCKER_MANIFEST_LIST,
        "manifests": [{"mediaType": DOCKER_MANIFEST, "digest": docker_digest, "size": docker_bytes.len(), "platform": {"architecture": "amd64", "os": "linux"}}],
    });
    let created = put_manifest(&registry, "web/app", "list", DOCKER_MANIFEST_LIST, list.to_string().as_bytes()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let got = client()
        .get(registry.url("/v2/web/app/manifests/list"))
        .header("accept", DOCKER_MANIFEST_LIST)
        .send()
        .await
        .unwrap();
    assert_eq!(got.headers()["content-type"], DOCKER_MANIFEST_LIST);

    // Unknown tags and digests.
    for reference in ["nope".to_owned(), wrong.to_string()] {
        let missing = client().get(registry.url(&format!("/v2/web/app/manifests/{reference}"))).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(error_code(missing).await, "MANIFEST_UNKNOWN");
    }
}

#[tokio::test]
async fn manifest_put_refusals() {
    let registry = Registry::start();
    let manifest = image_manifest(&registry, "r", "refusals").await;

    // A layer the repository does not have.
    let mut missing_layer = manifest.clone();
    let absent = Digest::sha256_of(b"never pushed");
    missing_layer["layers"][0]["digest"] = json!(absent);
    let response = put_manifest(&registry, "r", "x", OCI_MANIFEST, missing_layer.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "MANIFEST_BLOB_UNKNOWN");
    assert_eq!(body["errors"][0]["detail"]["digest"], absent.to_string());

    // Blobs of another repository do not count.
    let elsewhere = put_manifest(&registry, "other", "x", OCI_MANIFEST, manifest.to_string().as_bytes()).await;
    assert_eq!(error_code(elsewhere).await, "MANIFEST_BLOB_UNKNOWN");

    // An index whose child manifest is not there.
    let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [{"mediaType": OCI_MANIFEST, "digest": absent, "size": 10}]});
    let response = put_manifest(&registry, "r", "idx", OCI_INDEX, index.to_string().as_bytes()).await;
    assert_eq!(error_code(response).await, "MANIFEST_BLOB_UNKNOWN");

    // A size that disagrees with the blob.
    let mut wrong_size = manifest.clone();
    wrong_size["layers"][0]["size"] = json!(999);
    let response = put_manifest(&registry, "r", "x", OCI_MANIFEST, wrong_size.to_string().as_bytes()).await;
    assert_eq!(error_code(response).await, "MANIFEST_INVALID");

    // Docker schema 1, with a message that says what to do.
    let schema1 =
        json!({"schemaVersion": 1, "name": "r", "tag": "x", "architecture": "amd64", "fsLayers": [], "history": []});
    let response = put_manifest(&registry, "r", "x", DOCKER_SCHEMA1_SIGNED, schema1.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "MANIFEST_INVALID");
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("schema 1"), "{body}");

    // Unknown media type, malformed JSON, wrong schema.
    let response =
        put_manifest(&registry, "r", "x", "application/vnd.example.thing+json", manifest.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error_code(response).await, "MANIFEST_INVALID");
    let response = put_manifest(&registry, "r", "x", OCI_MANIFEST, b"{\"schemaVersion\": 2, ").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "MANIFEST_INVALID");
    let response = put_manifest(&registry, "r", "x", OCI_INDEX, manifest.to_string().as_bytes()).await;
    assert_eq!(error_code(response).await, "MANIFEST_INVALID");

    // Too large.
    let mut huge = manifest.clone();
    huge["annotations"] = json!({"padding": "x".repeat(4 * 1024 * 1024)});
    let response = put_manifest(&registry, "r", "x", OCI_MANIFEST, huge.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(response).await, "MANIFEST_INVALID");

    // An invalid tag.
    let response = put_manifest(&registry, "r", "-bad", OCI_MANIFEST, manifest.to_string().as_bytes()).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // None of it was stored.
    let tags =
        client().get(registry.url("/v2/r/tags/list")).send().await.unwrap().json::<serde_json::Value>().await.unwrap();
    assert_eq!(tags["tags"], json!([]));
}

#[tokio::test]
async fn referrers_and_subject() {
    let registry = Registry::start();
    let image = image_manifest(&registry, "signed", "subject").await;
    let image_bytes = image.to_string().into_bytes();
    let image_digest = Digest::sha256_of(&image_bytes);
    put_manifest(&registry, "signed", "v1", OCI_MANIFEST, &image_bytes).await;

    let empty = push_blob(&registry, "signed", b"{}").await;
    let signature = push_blob(&registry, "signed", b"signature bytes").await;
    let mut referrer_digests = Vec::new();
    for (artifact_type, label) in [("application/vnd.example.signature", "sig"), ("application/spdx+json", "sbom")] {
        let artifact = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
            "config": {"mediaType": OCI_EMPTY, "digest": empty, "size": 2},
            "layers": [{"mediaType": "application/octet-stream", "digest": signature, "size": 15}],
            "subject": {"mediaType": OCI_MANIFEST, "digest": image_digest, "size": image_bytes.len()},
            "annotations": {"org.example.label": label},
        });
        let bytes = artifact.to_string().into_bytes();
        let digest = Digest::sha256_of(&bytes);
        let response = put_manifest(&registry, "signed", &digest.to_string(), OCI_MANIFEST, &bytes).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["oci-subject"], image_digest.to_string().as_str());
        referrer_digests.push(digest);
    }

    let url = registry.url(&format!("/v2/signed/referrers/{image_digest}"));
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], OCI_INDEX);
    assert!(!response.headers().contains_key("oci-filters-applied"));
    let index: serde_json::Value = response.json().await.unwrap();
    let listed: Vec<&str> =
        index["manifests"].as_array().unwrap().iter().map(|d| d["digest"].as_str().unwrap()).collect();
    assert_eq!(listed.len(), 2);
    for digest in &referrer_digests {
        assert!(listed.contains(&digest.to_string().as_str()));
    }
    assert!(index["manifests"].as_array().unwrap().iter().any(|d| d["annotations"]["org.example.label"] == "sbom"));

    let filtered = client().get(format!("{url}?artifactType=application/spdx%2Bjson")).send().await.unwrap();
    assert_eq!(filtered.headers()["oci-filters-applied"], "artifactType");
    let index: serde_json::Value = filtered.json().await.unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(index["manifests"][0]["artifactType"], "application/spdx+json");

    // Deleting a referrer removes it from the list; an unknown subject has none.
    let deleted =
        client().delete(registry.url(&format!("/v2/signed/manifests/{}", referrer_digests[0]))).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::ACCEPTED);
    let index: serde_json::Value = client().get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    let none =
        client().get(registry.url(&format!("/v2/signed/referrers/{}", Digest::sha256_of(b"?")))).send().await.unwrap();
    assert_eq!(none.status(), StatusCode::OK);
    let index: serde_json::Value = none.json().await.unwrap();
    assert_eq!(index["manifests"], json!([]));
    let invalid = client().get(registry.url("/v2/signed/referrers/sha256:xyz")).send().await.unwrap();
    assert_eq!(invalid.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(invalid).await, "DIGEST_INVALID");
}

#[tokio::test]
async fn delete_manifests_and_tags() {
    let registry = Registry::start();
    let manifest = image_manifest(&registry, "d", "delete").await.to_string().into_bytes();
    let digest = Digest::sha256_of(&manifest);
    for tag in ["a", "b"] {
        put_manifest(&registry, "d", tag, OCI_MANIFEST, &manifest).await;
    }
    // Deleting a tag leaves the manifest and the other tag.
    assert_eq!(client().delete(registry.url("/v2/d/manifests/a")).send().await.unwrap().status(), StatusCode::ACCEPTED);
    assert_eq!(client().get(registry.url("/v2/d/manifests/a")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(client().get(registry.url("/v2/d/manifests/b")).send().await.unwrap().status(), StatusCode::OK);
    // Deleting by digest removes the manifest and every tag on it.
    assert_eq!(
        client().delete(registry.url(&format!("/v2/d/manifests/{digest}"))).send().await.unwrap().status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(client().get(registry.url("/v2/d/manifests/b")).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let again = client().delete(registry.url(&format!("/v2/d/manifests/{digest}"))).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(again).await, "MANIFEST_UNKNOWN");
}

#[tokio::test]
async fn tag_and_catalog_pagination() {
    let registry = Registry::start();
    let manifest = image_manifest(&registry, "pages/app", "pages").await.to_string().into_bytes();
    let mut tags = vec!["v10", "v2", "latest", "V1", "1.0", "_x"];
    for tag in &tags {
        assert_eq!(
            put_manifest(&registry, "pages/app", tag, OCI_MANIFEST, &manifest).await.status(),
            StatusCode::CREATED
        );
    }
    tags.sort();
    let all: serde_json::Value =
        client().get(registry.url("/v2/pages/app/tags/list")).send().await.unwrap().json().await.unwrap();
    assert_eq!(all["name"], "pages/app");
    assert_eq!(all["tags"], json!(tags));

    let mut seen = Vec::new();
    let mut next = Some(registry.url("/v2/pages/app/tags/list?n=4"));
    while let Some(url) = next.take() {
        let response = client().get(&url).send().await.unwrap();
        next = response.headers().get("link").map(|link| {
            let link = link.to_str().unwrap();
            assert!(link.ends_with("; rel=\"next\""), "{link}");
            registry.url(link.trim_start_matches('<').split('>').next().unwrap())
        });
        let page: serde_json::Value = response.json().await.unwrap();
        seen.extend(page["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()));
    }
    assert_eq!(seen, tags);
    let after: serde_json::Value =
        client().get(registry.url("/v2/pages/app/tags/list?last=v10")).send().await.unwrap().json().await.unwrap();
    assert_eq!(after["tags"], json!(["v2"]));
    let none: serde_json::Value =
        client().get(registry.url("/v2/pages/app/tags/list?n=0")).send().await.unwrap().json().await.unwrap();
    assert_eq!(none["tags"], json!([]));
    let bad = client().get(registry.url("/v2/pages/app/tags/list?n=many")).send().await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let unknown = client().get(registry.url("/v2/no/such/tags/list")).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(unknown).await, "NAME_UNKNOWN");

    for name in ["b/one", "a/two", "c"] {
        push_blob(&registry, name, b"x").await;
    }
    let first: reqwest::Response = client().get(registry.url("/v2/_catalog?n=2")).send().await.unwrap();
    assert_eq!(first.headers()["link"], "</v2/_catalog?n=2&last=b/one>; rel=\"next\"");
    let page: serde_json::Value = first.json().await.unwrap();
    assert_eq!(page["repositories"], json!(["a/two", "b/one"]));
    let rest: serde_json::Value =
        client().get(registry.url("/v2/_catalog?n=2&last=b/one")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rest["repositories"], json!(["c", "pages/app"]));
}

/// `tags/list?n=18446744073709551615` returned an empty list (the page size overflowed): an `n`
/// past any list, even past u64, asks for all of it.
#[tokio::test]
async fn a_page_size_past_any_list_gives_the_whole_list() {
    let registry = Registry::start();
    let manifest = image_manifest(&registry, "huge/page", "page").await.to_string().into_bytes();
    for tag in ["a", "b", "c"] {
        assert_eq!(
            put_manifest(&registry, "huge/page", tag, OCI_MANIFEST, &manifest).await.status(),
            StatusCode::CREATED
        );
    }
    for n in ["18446744073709551615", "99999999999999999999999", "4294967296"] {
        let response = client().get(registry.url(&format!("/v2/huge/page/tags/list?n={n}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "n={n}");
        assert!(response.headers().get("link").is_none(), "n={n}: no next page");
        let page: serde_json::Value = response.json().await.unwrap();
        assert_eq!(page["tags"], json!(["a", "b", "c"]), "n={n}");
        let catalog: serde_json::Value =
            client().get(registry.url(&format!("/v2/_catalog?n={n}"))).send().await.unwrap().json().await.unwrap();
        assert_eq!(catalog["repositories"], json!(["huge/page"]), "n={n}");
    }
    for n in ["-1", "1e3", ""] {
        let response = client().get(registry.url(&format!("/v2/huge/page/tags/list?n={n}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "n={n}");
        assert_eq!(error_code(response).await, "PAGINATION_NUMBER_INVALID", "n={n}");
    }
}

/// A manifest naming more than 32,766 blobs got 500 ("too many SQL variables"): its
/// references are looked up in batches.
#[tokio::test]
async fn a_manifest_naming_more_blobs_than_a_statement_binds() {
    let registry = Registry::start();
    let config = push_blob(&registry, "many/layers", br#"{"architecture":"amd64","os":"linux"}"#).await;
    let layer = push_blob(&registry, "many/layers", b"one layer, many times").await;
    let descriptor = json!({"mediaType": "a/b", "digest": layer.to_string(), "size": 21});
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config.to_string(), "size": 37},
        "layers": vec![descriptor; 33_000],
    })
    .to_string()
    .into_bytes();
    assert!(manifest.len() < 4 * 1024 * 1024, "{}", manifest.len());
    let response = put_manifest(&registry, "many/layers", "v1", OCI_MANIFEST, &manifest).await;
    assert_eq!(response.status(), StatusCode::CREATED, "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn names_that_are_not_repository_names() {
    let registry = Registry::start();
    let digest = Digest::sha256_of(b"x");
    for path in [
        format!("/v2/../x/blobs/{digest}"),
        format!("/v2/a//b/blobs/{digest}"),
        "/v2/a/../../b/manifests/latest".to_owned(),
        "/v2/UPPER/tags/list".to_owned(),
        "/v2/a/%2e%2e/b/tags/list".to_owned(),
        "/v2/-lead/blobs/uploads/".to_owned(),
    ] {
        let method = if path.ends_with("uploads/") { "POST" } else { "GET" };
        let request = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        let (status, text) = raw_request(&registry.address, &request).unwrap();
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("NAME_INVALID"), "{path}: {text}");
    }
    let response = client().request(Method::GET, registry.url("/v2/a/nothing/here")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let walked = walk(&registry.data_dir);
    assert!(walked.iter().all(|path| path.starts_with(&registry.data_dir)));
}

#[tokio::test]
async fn request_logs_never_carry_credentials() {
    let registry = Registry::start();
    let response = client()
        .get(registry.url("/v2/_catalog?password=supersecretquery"))
        .header("authorization", "Basic c3VwZXJzZWNyZXRoZWFkZXI6eA==")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let log = std::fs::read_to_string(registry.data_dir.join("../server.log")).unwrap();
    assert!(log.contains("/v2/_catalog"), "the request should be logged: {log}");
    assert!(!log.contains("supersecret") && !log.contains("c3VwZXJzZWNyZXRoZWFkZXI"), "{log}");
    assert!(log.contains("without authentication"), "the server should say it runs open: {log}");
}

/// GET and HEAD of `.INVALID_MANIFEST_NAME` answered 400; the suites and Distribution expect
/// 404 `MANIFEST_UNKNOWN` (nothing can be stored under such a tag). A push to it stays 400.
#[tokio::test]
async fn malformed_tag_reads_are_unknown_and_pushes_invalid() {
    let registry = Registry::start();
    let url = registry.url("/v2/web/app/manifests/.INVALID_MANIFEST_NAME");
    let get = client().get(&url).send().await.unwrap();
    assert_eq!(get.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(get).await, "MANIFEST_UNKNOWN");
    let head = client().head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    let manifest = image_manifest(&registry, "web/app", "bad tag").await;
    let put =
        put_manifest(&registry, "web/app", ".INVALID_MANIFEST_NAME", OCI_MANIFEST, manifest.to_string().as_bytes())
            .await;
    assert_eq!(put.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(put).await, "MANIFEST_INVALID");
}

/// `PUT …/manifests/DIGEST?tag=A&tag=B` (OCI 1.1+dev) was answered without `OCI-Tag`, the
/// tags ignored (the suite then fell back to one push per tag): now every tag is set.
#[tokio::test]
async fn manifest_push_sets_every_tag_parameter() {
    let registry = Registry::start();
    let bytes = image_manifest(&registry, "multi/app", "tags").await.to_string().into_bytes();
    let digest = Digest::sha256_of(&bytes);
    let pushed =
        put_manifest(&registry, "multi/app", &format!("{digest}?tag=v1&tag=latest&tag=v1"), OCI_MANIFEST, &bytes).await;
    assert_eq!(pushed.status(), StatusCode::CREATED);
    let tags: Vec<&str> = pushed.headers().get_all("oci-tag").iter().map(|value| value.to_str().unwrap()).collect();
    assert_eq!(tags, ["v1", "latest"], "one OCI-Tag per tag applied, repeats once");
    assert_eq!(pushed.headers()["docker-content-digest"], digest.to_string().as_str());
    for tag in ["v1", "latest"] {
        let head = client().head(registry.url(&format!("/v2/multi/app/manifests/{tag}"))).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK, "{tag}");
        assert_eq!(head.headers()["docker-content-digest"], digest.to_string().as_str(), "{tag}");
    }
    let list: serde_json::Value =
        client().get(registry.url("/v2/multi/app/tags/list")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["tags"], json!(["latest", "v1"]));

    // Without `?tag=` there is no OCI-Tag; a malformed one refuses the whole push.
    let plain = put_manifest(&registry, "multi/app", &digest.to_string(), OCI_MANIFEST, &bytes).await;
    assert!(plain.headers().get("oci-tag").is_none());
    let other = image_manifest(&registry, "multi/app", "other").await.to_string().into_bytes();
    let other_digest = Digest::sha256_of(&other);
    let refused =
        put_manifest(&registry, "multi/app", &format!("{other_digest}?tag=ok&tag=.bad"), OCI_MANIFEST, &other).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(refused).await, "MANIFEST_INVALID");
    let untouched = client().head(registry.url("/v2/multi/app/manifests/ok")).send().await.unwrap();
    assert_eq!(untouched.status(), StatusCode::NOT_FOUND, "nothing tagged by a refused push");
}

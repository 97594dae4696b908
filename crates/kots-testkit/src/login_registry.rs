//! A `kots-registry` that wants a login, as most private registries do: htpasswd users, Docker
//! token authentication, data in a folder of the caller's. The customer's registry in `pull`'s
//! tests, a vendor's own registry (quay.io's stand-in) in the linked-registry and proxy tests.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kots_registry::auth::{AuthOptions, ThrottleOptions};
use kots_registry::htpasswd::HtpasswdPolicy;

/// Starts the registry on 127.0.0.1 (a free port) on the current Tokio runtime, with
/// `(user, password)` its only login and its data under `directory`; returns its address
/// (`127.0.0.1:PORT`). It runs until the runtime stops.
pub async fn spawn_login_registry(directory: &Path, (user, password): (&str, &str)) -> String {
    std::fs::create_dir_all(directory).expect("the registry's folder can be made");
    let htpasswd = directory.join("htpasswd");
    let hash = bcrypt::hash(password, 4).expect("bcrypt hashes");
    std::fs::write(&htpasswd, format!("{user}:{hash}\n")).expect("htpasswd can be written");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound").to_string();
    let auth = AuthOptions {
        policy: Arc::new(HtpasswdPolicy::load(Some(&htpasswd), None).expect("htpasswd loads")),
        realm: format!("http://{address}/token"),
        service: address.clone(),
        token_ttl: Duration::from_secs(300),
        signing_key: vec![7; 32],
        throttle: ThrottleOptions::default(),
    };
    let options = kots_registry::Options { auth: Some(auth), ..Default::default() };
    let registry =
        kots_registry::Registry::open_embedded(&directory.join("data"), options).await.expect("the registry opens");
    tokio::spawn(kots_registry::server::serve(Arc::new(registry), listener, std::future::pending()));
    address
}

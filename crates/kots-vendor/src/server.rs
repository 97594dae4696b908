//! One listener for everything: the admin API, the release API, and the registry under `/v2/`.

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, patch, post};

use crate::{Vendor, admin, release_api};

pub fn router(vendor: Arc<Vendor>) -> Router {
    let registry = kots_registry::server::router(vendor.registry.clone());
    Router::new()
        .route("/api/v1/apps", post(admin::create_app).get(admin::list_apps))
        .route("/api/v1/apps/{app}/channels", post(admin::create_channel))
        .route("/api/v1/apps/{app}/releases", post(admin::create_release))
        .route("/api/v1/apps/{app}/releases/{sequence}/promote", post(admin::promote))
        .route("/api/v1/apps/{app}/customers", post(admin::create_customer))
        .route("/api/v1/apps/{app}/customers/{license_id}", patch(admin::update_customer))
        .route("/api/v1/apps/{app}/customers/{license_id}/revoke", post(admin::revoke_customer))
        .route("/api/v1/apps/{app}/registries", post(admin::link_registry).get(admin::list_linked_registries))
        .route("/api/v1/apps/{app}/registries/{host}", delete(admin::unlink_registry))
        .route("/api/v1/teams", post(admin::create_team))
        .route("/api/v1/team/members", get(admin::list_members).post(admin::add_member))
        .route("/api/v1/team/members/{email}", delete(admin::remove_member))
        .route("/api/v1/tokens", post(admin::create_token).get(admin::list_tokens))
        .route("/api/v1/tokens/{id}", delete(admin::revoke_token))
        .route("/api/v1/service-accounts", post(admin::create_service_account).get(admin::list_service_accounts))
        .route("/api/v1/service-accounts/{id}", delete(admin::revoke_service_account))
        .route("/api/v1/keys/global", get(admin::global_key))
        .route("/release/{app}", get(release_api::release_default))
        .route("/release/{app}/pending", get(release_api::pending))
        .route("/release/{app}/{channel}", get(release_api::release_on_channel))
        .route("/license/{app}", get(release_api::license))
        .route("/airgap/{app}", get(crate::airgap::bundle_default))
        .route("/airgap/{app}/{channel}", get(crate::airgap::bundle_on_channel))
        .layer(axum::extract::DefaultBodyLimit::max(crate::release::MAX_RELEASE_BYTES * 2))
        .with_state(vendor)
        .merge(registry)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    vendor: Arc<Vendor>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = kots_registry::server::spawn_upload_sweeper(vendor.registry.clone());
    let result = kots_registry::connection::serve(listener, router(vendor), shutdown).await;
    sweeper.abort();
    result
}

//! The HTTP edge: turns requests into a [`Route`] and typed values (`request`), authorises them
//! (`access`), calls the registry, and renders what it returns (`response`); adds the headers
//! every response carries; logs and counts each request. Nothing here decides what the registry
//! does.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::Registry;
use crate::access::Authenticated;
use crate::error::{Error, Result};
use crate::request::{self, Incoming};
use crate::route::Route;

/// The registry's routes, ready to serve or to nest in a larger server (the vendor's).
pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/token", get(token))
        .route("/metrics", get(metrics))
        .route("/healthz", get(health))
        .route("/readyz", get(health))
        .route("/livez", get(|| async { "ok\n" }))
        .fallback(dispatch)
        .layer(middleware::from_fn_with_state(registry.clone(), observe))
        .with_state(registry)
}

async fn metrics(State(registry): State<Arc<Registry>>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], registry.metrics.render()).into_response()
}

/// Readiness: both stores answer (`/healthz` and `/readyz`). Liveness (`/livez`) asks nothing,
/// so that an orchestrator does not restart a replica for its database's trouble.
async fn health(State(registry): State<Arc<Registry>>) -> Response {
    if let Err(error) = registry.metadata.health().await {
        let error = Error::from(error);
        return (StatusCode::SERVICE_UNAVAILABLE, format!("metadata store unavailable: {error}\n")).into_response();
    }
    if let Err(error) = registry.blobs.health().await {
        let error = Error::from(error);
        return (StatusCode::SERVICE_UNAVAILABLE, format!("blob store unavailable: {error}\n")).into_response();
    }
    (StatusCode::OK, "ok\n").into_response()
}

fn client_address(request: &Request) -> Option<std::net::IpAddr> {
    request.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// `GET /token`: Docker token authentication.
async fn token(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    let client = client_address(&request);
    let scopes = request::token_scopes(request.uri().query());
    match registry.issue_token(request.headers(), &scopes, client).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn dispatch(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    let route = match Route::parse(request.method(), request.uri().path()) {
        Ok(route) => route,
        Err(error) => return error.into_response(),
    };
    let client = client_address(&request);
    let raw_query = request.uri().query().map(str::to_owned);
    let mut query = raw_query.as_deref().map(request::parse_query).unwrap_or_default();
    let (parts, body) = request.into_parts();
    let authenticated = registry.authorize(&route, &parts.method, &parts.headers, &mut query, client).await;
    let response = match authenticated {
        Ok(authenticated) => {
            let incoming = Incoming::new(parts.method, parts.headers, query, raw_query.as_deref(), body);
            handle(&registry, &route, incoming, authenticated.as_ref())
                .await
                .unwrap_or_else(IntoResponse::into_response)
        }
        Err(error) => error.into_response(),
    };
    let mut response = response;
    response.extensions_mut().insert(RouteFamily(route.family()));
    response
}

/// One authorised request: read it for its route, let the registry act, render the outcome.
async fn handle(
    registry: &Registry,
    route: &Route,
    incoming: Incoming,
    authenticated: Option<&Authenticated>,
) -> Result<Response> {
    if registry.options.read_only && !matches!(incoming.method, Method::GET | Method::HEAD) {
        return Err(Error::MethodNotAllowed(format!(
            "this registry is read-only for maintenance: pulls work, {} is refused; retry later",
            incoming.method
        )));
    }
    registry.refuse_remote_writes(route, &incoming.method)?;
    Ok(match route {
        Route::Base => match incoming.method {
            Method::GET | Method::HEAD => ([(header::CONTENT_TYPE, "application/json")], "{}").into_response(),
            _ => return Err(Error::MethodNotAllowed(format!("{} is not allowed on /v2/; use GET", incoming.method))),
        },
        Route::Catalog => {
            let page = request::list(&incoming, "the catalog")?;
            registry.catalog(page, authenticated).await?.into_response()
        }
        Route::Tags { name } => registry.tags(name, request::list(&incoming, "a tag list")?).await?.into_response(),
        Route::Referrers { name, digest } => {
            registry.referrers(name, digest, request::referrers(&incoming)?).await?.into_response()
        }
        Route::Manifest { name, reference } => {
            let request = request::manifest(incoming).await?;
            registry.manifest(name, reference, request).await?.into_response()
        }
        Route::Blob { name, digest } => registry.blob(name, digest, request::blob(&incoming)?).await?.into_response(),
        Route::StartUpload { name } => {
            let request = registry.without_remote_mount(request::start_upload(incoming)?);
            registry.start_upload(name, request).await?.into_response()
        }
        Route::Upload { name, session } => {
            registry.upload(name, session, request::session(incoming)).await?.into_response()
        }
    })
}

#[derive(Clone, Copy)]
struct RouteFamily(&'static str);

/// Logs and counts every request, and adds the API version header. Logs carry the method, path,
/// status and time, never headers or query strings, so credentials cannot leak into them.
async fn observe(State(registry): State<Arc<Registry>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let family = response.extensions().get::<RouteFamily>().map_or_else(
        || match path.as_str() {
            "/metrics" => "metrics",
            "/healthz" | "/readyz" | "/livez" => "health",
            _ => "other",
        },
        |family| family.0,
    );
    let status = response.status().as_u16();
    registry.metrics.record_request(family, method.as_str(), status);
    response.headers_mut().insert("docker-distribution-api-version", HeaderValue::from_static("registry/2.0"));
    tracing::info!(
        method = %method,
        path = %path,
        status,
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// Expires idle upload sessions in the background, for as long as the returned task lives.
pub fn spawn_upload_sweeper(registry: Arc<Registry>) -> tokio::task::JoinHandle<()> {
    let period = (registry.options.upload_ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        loop {
            interval.tick().await;
            if let Err(error) = registry.expire_uploads().await {
                tracing::warn!(%error, "could not expire idle upload sessions");
            }
        }
    })
}

/// Serves `registry` on `listener` until `shutdown` completes, expiring idle upload sessions in
/// the background.
pub async fn serve(
    registry: Arc<Registry>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = spawn_upload_sweeper(registry.clone());
    let result = crate::connection::serve(listener, router(registry), shutdown).await;
    sweeper.abort();
    result
}

//! The HTTP edge: turns requests into [`Route`]s and calls the registry; adds the headers every
//! response carries; logs and counts each request. Nothing here decides what the registry does.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::TryStreamExt;

use crate::Registry;
use crate::error::{Error, Result};
use crate::route::Route;
use crate::storage::ByteStream;

/// What a registry operation needs from a request, once the route is known.
pub struct Incoming {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: HashMap<String, String>,
    pub body: ByteStream,
}

pub(crate) fn content_length(headers: &HeaderMap) -> Result<Option<u64>> {
    headers
        .get(header::CONTENT_LENGTH)
        .map(|value| {
            value.to_str().ok().and_then(|text| text.trim().parse::<u64>().ok()).ok_or_else(|| {
                Error::SizeInvalid(format!("invalid Content-Length `{}`", String::from_utf8_lossy(value.as_bytes())))
            })
        })
        .transpose()
}

fn byte_stream(body: Body) -> ByteStream {
    Box::pin(body.into_data_stream().map_err(std::io::Error::other))
}

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
        return (StatusCode::SERVICE_UNAVAILABLE, format!("metadata store unavailable: {error}\n")).into_response();
    }
    if let Err(error) = registry.blobs.health().await {
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
    let scopes: Vec<String> = request
        .uri()
        .query()
        .and_then(|query| {
            axum::extract::Query::<Vec<(String, String)>>::try_from_uri(
                &format!("/?{query}").parse().unwrap_or_else(|_| axum::http::Uri::from_static("/")),
            )
            .ok()
        })
        .map(|axum::extract::Query(pairs)| {
            pairs.into_iter().filter(|(key, _)| key == "scope").map(|(_, value)| value).collect()
        })
        .unwrap_or_default();
    // Several scopes may also come space-separated in one parameter.
    let scopes: Vec<String> = scopes.iter().flat_map(|scope| scope.split(' ')).map(str::to_owned).collect();
    match registry.issue_token(request.headers(), &scopes, client).await {
        Ok(body) => axum::Json(body).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn dispatch(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    let route = match Route::parse(request.uri().path()) {
        Ok(route) => route,
        Err(error) => return error.into_response(),
    };
    let client = client_address(&request);
    let mut query = request.uri().query().map(parse_query).unwrap_or_default();
    let (parts, body) = request.into_parts();
    let authenticated = match registry.authorize(&route, &parts.method, &parts.headers, &mut query, client).await {
        Ok(authenticated) => authenticated,
        Err(error) => {
            let mut response = error.into_response();
            response.extensions_mut().insert(RouteFamily(route.family()));
            return response;
        }
    };
    let incoming = Incoming { method: parts.method, headers: parts.headers, query, body: byte_stream(body) };
    let read_only = registry.options.read_only && !matches!(incoming.method, Method::GET | Method::HEAD);
    let result = match &route {
        _ if read_only => Err(Error::MethodNotAllowed(format!(
            "this registry is read-only for maintenance: pulls work, {} is refused; retry later",
            incoming.method
        ))),
        Route::Base => match incoming.method {
            Method::GET | Method::HEAD => Ok(([(header::CONTENT_TYPE, "application/json")], "{}").into_response()),
            _ => Err(not_allowed(&incoming.method, "/v2/", "GET")),
        },
        Route::Catalog => match incoming.method {
            Method::GET => registry.catalog(incoming, authenticated.as_ref()).await,
            _ => Err(not_allowed(&incoming.method, "the catalog", "GET")),
        },
        Route::Tags { name } => match incoming.method {
            Method::GET => registry.tags(name, incoming).await,
            _ => Err(not_allowed(&incoming.method, "a tag list", "GET")),
        },
        Route::Referrers { name, digest } => match incoming.method {
            Method::GET => registry.referrers(name, digest, incoming).await,
            _ => Err(not_allowed(&incoming.method, "referrers", "GET")),
        },
        Route::Manifest { name, reference } => registry.manifest(name, reference, incoming).await,
        Route::Blob { name, digest } => registry.blob(name, digest, incoming).await,
        Route::StartUpload { name } => match incoming.method {
            Method::POST => registry.start_upload(name, incoming).await,
            _ => Err(not_allowed(&incoming.method, "the uploads endpoint", "POST")),
        },
        Route::Upload { name, session } => registry.upload(name, session, incoming).await,
    };
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(RouteFamily(route.family()));
    response
}

fn not_allowed(method: &Method, what: &str, allowed: &str) -> Error {
    Error::MethodNotAllowed(format!("{method} is not allowed on {what}; use {allowed}"))
}

fn parse_query(query: &str) -> HashMap<String, String> {
    axum::extract::Query::<HashMap<String, String>>::try_from_uri(
        &format!("/?{query}").parse().unwrap_or_else(|_| axum::http::Uri::from_static("/")),
    )
    .map(|axum::extract::Query(map)| map)
    .unwrap_or_default()
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
    let app = router(registry).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    sweeper.abort();
    result
}

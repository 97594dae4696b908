//! `GET /airgap/APP[/CHANNEL]?channelSequence=N&compression=zstd|gzip|none`: a release and every
//! image it uses as one airgap bundle (kots_release::bundle), streamed as it is made: the
//! vendor's own images straight from the registry's storage, the others from where they live
//! (or a configured mirror). Nothing is written to disk first.
//!
//! The server fetches on a tenant's behalf, so it fetches as nobody or as the app: the app's
//! linked registries ([`crate::linked`]) are read with the credentials the vendor stored for
//! them, other registries anonymously, never with the Docker or podman credentials of the
//! account the server runs as (a tenant could otherwise name an image of a private registry the
//! operator logged in to). Nor does a release reach loopback or private addresses (the
//! server's own network) unless the operator allows it (`--allow-private-registries`); the
//! operator's mirrors (`--registry-mirror`) are trusted as configured, and only they speak plain
//! HTTP.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use kots_oci::{Digest, ImageReference};
use kots_release::bundle::{AirgapSpec, BundlePlan, ByteStream, Compression, ImageSource};
use kots_transfer::{ClientOptions, RegistryClient};

use crate::Vendor;
use crate::error::{Error, Result};
use crate::linked::LinkedRegistry;
use crate::release_api::Licensee;
use crate::store::Customer;

/// Registry host → (mirror host, plain HTTP): where the vendor fetches public images from.
pub type Mirrors = HashMap<String, (String, bool)>;

/// The images of one app's release, as the bundle writer reads them.
struct VendorImages {
    vendor: Arc<Vendor>,
    app_slug: String,
    /// The app's linked registries by host: read with their stored credentials.
    linked: HashMap<String, LinkedRegistry>,
    /// By registry name as images write it.
    clients: Mutex<HashMap<String, Arc<RegistryClient>>>,
    /// Other names of this vendor's registry in image names: Replicated's, and the app's
    /// custom `replicatedRegistryDomain`.
    registry_names: Vec<String>,
    /// Names of this vendor's proxy: Replicated's, the app's custom `proxyRegistryDomain`.
    proxy_names: Vec<String>,
}

impl VendorImages {
    /// Where an image written with Replicated's names really is, as a customer's pull reads it:
    /// `registry.replicated.com/APP/X` (or the custom domain) on this registry, and a proxy
    /// name (`proxy.replicated.com/proxy/APP/HOST/PATH`) in the linked registry `HOST`.
    fn resolve(&self, image: &ImageReference) -> ImageReference {
        let host = image.registry().to_ascii_lowercase();
        let own = self.vendor.is_own_registry(&host);
        if (own || self.proxy_names.contains(&host))
            && let Some(name) = crate::proxy::ProxyName::parse(image.repository())
        {
            return image.with_name(&name.host, &name.path);
        }
        if self.registry_names.contains(&host) {
            return image.with_name(self.vendor.registry_domain(), image.repository());
        }
        image.clone()
    }

    /// The repository in the vendor's own registry, if the image lives there.
    fn own_repository(&self, image: &ImageReference) -> std::result::Result<Option<String>, String> {
        if !self.vendor.is_own_registry(image.registry()) {
            return Ok(None);
        }
        let repository = image.repository();
        if !repository.starts_with(&format!("{}/", self.app_slug)) {
            return Err(format!("it is on this vendor's registry but not under app `{}`", self.app_slug));
        }
        Ok(Some(repository.to_owned()))
    }

    fn client(&self, image: &ImageReference) -> std::result::Result<(Arc<RegistryClient>, String), String> {
        let registry = image.registry().to_ascii_lowercase();
        let mut clients = self.clients.lock().expect("never poisoned");
        let (host, options) = if let Some(linked) = self.linked.get(&registry) {
            // The vendor's own registry, linked to this app: its credentials, the address checks
            // of the server's --allow-private-registries.
            (linked.host.clone(), linked.client_options(self.vendor.allow_private_registries))
        } else {
            let (host, plain_http, mirror) = match self.vendor.registry_mirrors.get(image.registry()) {
                Some((host, plain_http)) => (host.clone(), *plain_http, true),
                None => (image.registry().to_owned(), false, false),
            };
            let options = ClientOptions {
                plain_http,
                ambient_credentials: false,
                loopback_plain_http: false,
                public_addresses_only: !mirror && !self.vendor.allow_private_registries,
                ..ClientOptions::default()
            };
            (host, options)
        };
        if let Some(client) = clients.get(&registry) {
            return Ok((client.clone(), host));
        }
        let client = Arc::new(RegistryClient::new(&host, &options).map_err(fetch_error)?);
        clients.insert(registry, client.clone());
        Ok((client, host))
    }
}

#[async_trait::async_trait]
impl ImageSource for VendorImages {
    async fn manifest(
        &self,
        image: &ImageReference,
        reference: &str,
    ) -> std::result::Result<(Bytes, String, Digest), String> {
        let image = &self.resolve(image);
        if let Some(repository) = self.own_repository(image)? {
            return self
                .vendor
                .registry
                .read_manifest(&repository, reference)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| {
                    format!("`{reference}` is not on the vendor registry; push it before building bundles")
                });
        }
        let (client, host) = self.client(image)?;
        client
            .manifest(image.repository(), reference)
            .await
            .map_err(fetch_error)?
            .ok_or_else(|| format!("`{reference}` not found at {host}/{}", image.repository()))
    }

    async fn blob(&self, image: &ImageReference, digest: &Digest) -> std::result::Result<ByteStream, String> {
        let image = &self.resolve(image);
        if let Some(repository) = self.own_repository(image)? {
            let (_, stream) = self
                .vendor
                .registry
                .read_blob(&repository, digest)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("blob {digest} is missing from the vendor registry"))?;
            return Ok(stream);
        }
        let (client, _) = self.client(image)?;
        client.get_blob(image.repository(), digest).await.map_err(fetch_error)
    }
}

/// A fetch from another registry failed; says what the operator or vendor can do when it is
/// this server's own limits that refused.
fn fetch_error(error: kots_transfer::Error) -> String {
    match &error {
        kots_transfer::Error::PrivateAddress { .. } => format!(
            "{error}; this server fetches release images only from public registries and its mirrors (start it \
             with `--allow-private-registries` to allow private ones)"
        ),
        kots_transfer::Error::Unauthorized { .. } => format!(
            "{error}; this server fetches images of other registries anonymously (it never uses its own stored \
             credentials) unless the app links the registry (`kots-vendor registry add`, with credentials that \
             may read the image), or push the image to this vendor registry under the app"
        ),
        _ => error.to_string(),
    }
}

pub(crate) async fn bundle_default(
    State(vendor): State<Arc<Vendor>>,
    Licensee(customer): Licensee,
    Path(app_slug): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    bundle(vendor, customer, app_slug, None, query).await
}

pub(crate) async fn bundle_on_channel(
    State(vendor): State<Arc<Vendor>>,
    Licensee(customer): Licensee,
    Path((app_slug, channel)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    bundle(vendor, customer, app_slug, Some(channel), query).await
}

async fn bundle(
    vendor: Arc<Vendor>,
    customer: Customer,
    app_slug: String,
    channel: Option<String>,
    query: HashMap<String, String>,
) -> Result<Response> {
    let app = vendor.licensed_app(&customer, &app_slug).await?;
    if !customer.airgap {
        return Err(Error::Forbidden(format!(
            "license `{}` does not include airgap installs; ask the vendor to enable the airgap entitlement",
            customer.license_id
        )));
    }
    let compression = match query.get("compression") {
        Some(text) => Compression::parse(text)
            .ok_or_else(|| Error::Invalid(format!("compression `{text}` is not one of zstd, gzip, none")))?,
        None => Compression::Zstd,
    };
    let (channel, promotion, release) = vendor.promoted_release(&app, &customer, channel.as_deref(), &query).await?;
    // The images as the customer's pull finds them: the release rendered with this license and
    // the Config's defaults.
    let files = crate::release::unpack(&release.archive)?;
    let license = kots_license::License::parse(&customer.license_yaml)
        .ok()
        .and_then(|license| serde_json::to_value(&license).ok())
        .map(|license| license["spec"].clone());
    let mut documents = crate::release::rendered_documents(&files, license)?;
    documents.extend(crate::release::chart_documents(&files, &documents)?);
    let application = documents.iter().rev().find(|(_, d)| kots_release::documents::is_application(d));
    let application_file = application.map(|(file, _)| file.clone()).unwrap_or_default();
    let additional_images = application.map(|(_, d)| kots_release::documents::additional_images(d)).unwrap_or_default();
    let (found, bad) = kots_release::images::find_images(&documents, &additional_images, &application_file);
    if let Some(first) = bad.first() {
        return Err(Error::Invalid(format!(
            "release file `{}` uses image `{}`, which is not a valid reference: {}",
            first.file, first.text, first.reason
        )));
    }
    let spec = AirgapSpec {
        app_slug: app.slug.clone(),
        channel_id: channel.id.clone(),
        channel_name: channel.name.clone(),
        version_label: promotion.version_label.clone(),
        update_cursor: promotion.channel_sequence.to_string(),
        release_notes: promotion.notes.clone(),
        ..AirgapSpec::default()
    };
    let linked =
        vendor.store.linked_registries(&app.id).await?.into_iter().map(|link| (link.host.clone(), link)).collect();
    let custom = |key: &str| {
        application.and_then(|(_, d)| d["spec"][key].as_str()).filter(|d| !d.is_empty()).map(str::to_ascii_lowercase)
    };
    let source = Arc::new(VendorImages {
        vendor: vendor.clone(),
        app_slug: app.slug.clone(),
        linked,
        clients: Mutex::default(),
        registry_names: ["registry.replicated.com".to_owned()]
            .into_iter()
            .chain(custom("replicatedRegistryDomain"))
            .collect(),
        proxy_names: ["proxy.replicated.com".to_owned()].into_iter().chain(custom("proxyRegistryDomain")).collect(),
    });
    let images = found.values().map(|image| image.reference.clone()).collect();
    let plan = BundlePlan::new(spec, Bytes::from(release.archive), images, source.as_ref())
        .await
        .map_err(|e| Error::Conflict(format!("cannot build the bundle: {e}")))?;
    tracing::info!(app = %app.slug, channel = %channel.slug, images = plan.airgap().saved_images.len(), bytes = plan.image_bytes, "streaming an airgap bundle");
    let file_name = format!("{}-{}.airgap.{}", app.slug, promotion.version_label, compression.extension());
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert("x-replicated-channelsequence", HeaderValue::from(promotion.channel_sequence));
    let stream = plan.stream(source, compression).map(|item| item.map_err(std::io::Error::other));
    Ok((headers, Body::from_stream(stream)).into_response())
}

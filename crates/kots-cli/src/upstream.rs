//! Where an app's releases come from: the vendor's `replicated://` API (HTTP Basic with the
//! license ID), or a folder of release files (`--local-path`). Also the `installation.yaml`
//! that records which release the app folder holds.

use std::path::Path;

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

/// `replicated://SLUG[/CHANNEL]` (the scheme may be left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub app_slug: String,
    pub channel: Option<String>,
}

impl Upstream {
    pub fn parse(text: &str) -> Result<Upstream, String> {
        let rest = match text.split_once("://") {
            Some(("replicated", rest)) => rest,
            Some((scheme, _)) => {
                return Err(format!("upstream `{text}`: `{scheme}://` is not supported; use replicated://APP_SLUG"));
            }
            None => text,
        };
        let rest = rest.trim_end_matches('/');
        let (slug, channel) = match rest.split_once('/') {
            Some((slug, channel)) => (slug, Some(channel)),
            None => (rest, None),
        };
        let valid = |part: &str| {
            !part.is_empty()
                && part.chars().any(|c| c != '.')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        };
        if !valid(slug) || channel.is_some_and(|channel| !valid(channel)) {
            return Err(format!("upstream `{text}` is not replicated://APP_SLUG[/CHANNEL]"));
        }
        kots_release::slug::check_app_slug(slug).map_err(|reason| format!("upstream `{text}`: {reason}"))?;
        Ok(Upstream { app_slug: slug.to_owned(), channel: channel.map(str::to_owned) })
    }
}

/// One release as the vendor serves it.
#[derive(Debug, Clone)]
pub struct Release {
    pub files: Vec<(String, Vec<u8>)>,
    pub cursor: Cursor,
    /// Host (and port) of the vendor's registry, whose images are pulled with the license.
    pub registry_domain: Option<String>,
    /// Host of the vendor's proxy for the images of its linked registries.
    pub proxy_domain: Option<String>,
    /// The registries the vendor linked to the app (`host[:port]`): their images are private.
    pub linked_registries: Vec<String>,
}

/// The release API's header naming the app's linked registries, comma-separated.
pub const LINKED_REGISTRIES_HEADER: &str = "x-kots-linked-registries";

/// Which release of which channel: what `installation.yaml` records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub update_cursor: String,
    #[serde(rename = "channelID", default, skip_serializing_if = "String::is_empty")]
    pub channel_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version_label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub release_notes: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub released_at: String,
}

/// An image the release uses, as `installation.yaml` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KnownImage {
    pub image: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_private: bool,
}

/// `upstream/userdata/installation.yaml` (and `kotsKinds/userdata/`), as KOTS writes it: named
/// after the Application (`replicated-kots-app` without one), the cursor's fields that are set,
/// the images the release uses.
/// `encryption_key` (KOTS's `encryptionKey`, which opens the folder's stored passwords) is
/// written in `upstream/userdata/` only, as KOTS does.
pub fn installation_yaml(
    name: &str,
    cursor: &Cursor,
    known_images: &[KnownImage],
    encryption_key: Option<&str>,
) -> String {
    let mut spec = serde_json::to_value(cursor).expect("plain data serialises");
    if !known_images.is_empty() {
        spec["knownImages"] = serde_json::to_value(known_images).expect("plain data serialises");
    }
    if let Some(key) = encryption_key {
        spec["encryptionKey"] = serde_json::json!(key);
    }
    let document = serde_json::json!({
        "apiVersion": "kots.io/v1beta1",
        "kind": "Installation",
        "metadata": {"name": name},
        "spec": spec,
        "status": {},
    });
    crate::folder::to_yaml(&crate::folder::sorted_keys(&document))
}

/// The key the app folder at `app_dir` keeps its passwords with (`installation.yaml`'s
/// `encryptionKey`), if it has one.
pub fn read_encryption_key(app_dir: &Path) -> anyhow::Result<Option<String>> {
    let path = app_dir.join("upstream/userdata/installation.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(None) };
    let installation: serde_json::Value = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("`{}` is not an installation record: {e}", path.display()))?;
    Ok(installation["spec"]["encryptionKey"].as_str().filter(|key| !key.is_empty()).map(str::to_owned))
}

/// The cursor of the app folder at `app_dir`, if it holds one.
pub fn read_installation(app_dir: &Path) -> anyhow::Result<Option<Cursor>> {
    let path = app_dir.join("upstream/userdata/installation.yaml");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(anyhow::anyhow!("cannot read `{}`: {error}", path.display())),
    };
    #[derive(Deserialize)]
    struct Installation {
        spec: Cursor,
    }
    let installation: Installation = serde_saphyr::from_str(&text)
        .map_err(|e| anyhow::anyhow!("`{}` is not an installation record: {e}", path.display()))?;
    Ok(Some(installation.spec))
}

/// The vendor's release API for one license.
pub struct VendorApi {
    endpoint: String,
    license_id: String,
    http: reqwest::Client,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRelease {
    pub channel_sequence: i64,
    pub version_label: String,
    #[serde(default)]
    pub release_notes: String,
}

impl VendorApi {
    pub fn new(endpoint: &str, license_id: &str, options: &kots_transfer::ClientOptions) -> anyhow::Result<VendorApi> {
        let trust = kots_transfer::tls::Trust::from_options(options.insecure, options.ca_file.as_deref())
            .map_err(anyhow::Error::msg)?;
        let builder = kots_transfer::tls::client_builder(trust)
            .user_agent(concat!("kubectl-kots/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(15));
        Ok(VendorApi {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            license_id: license_id.to_owned(),
            http: builder.build()?,
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}{path}", self.endpoint);
        let response =
            self.http.get(&url).basic_auth(&self.license_id, Some(&self.license_id)).send().await.map_err(|e| {
                anyhow::anyhow!(
                    "cannot reach the vendor at {} ({}); check the network and proxy settings, or use --local-path or an airgap bundle",
                    self.endpoint,
                    error_chain(&e)
                )
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let message = body["error"].as_str().unwrap_or("no details").to_owned();
        let advice = match status {
            StatusCode::UNAUTHORIZED => "; the vendor does not know this license: ask the vendor for a new one",
            StatusCode::FORBIDDEN => "",
            StatusCode::NOT_FOUND => "; ask the vendor to promote a release to this channel",
            _ => "; try again later",
        };
        anyhow::bail!("the vendor refused {path} (HTTP {}): {message}{advice}", status.as_u16())
    }

    fn release_path(app_slug: &str, channel_id: &str) -> String {
        format!("/release/{app_slug}/{channel_id}")
    }

    /// The newest release of the channel.
    pub async fn release(&self, app_slug: &str, channel_id: &str) -> anyhow::Result<Release> {
        let path = Self::release_path(app_slug, channel_id);
        let response = self.get(&path).await?;
        let header = |name: &str| {
            response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
        };
        let cursor = Cursor {
            update_cursor: header("x-replicated-channelsequence"),
            channel_id: header("x-replicated-channelid"),
            channel_name: header("x-replicated-channelname"),
            version_label: header("x-replicated-versionlabel"),
            release_notes: String::new(),
            released_at: header("x-replicated-releasedat"),
        };
        let registry_domain = Some(header("x-replicated-replicatedregistrydomain")).filter(|domain| !domain.is_empty());
        let proxy_domain = Some(header("x-replicated-proxyregistrydomain")).filter(|domain| !domain.is_empty());
        let linked_registries: Vec<String> = header(LINKED_REGISTRIES_HEADER)
            .split(',')
            .map(|host| host.trim().to_owned())
            .filter(|host| !host.is_empty())
            .collect();
        // Read within the limit that unpacking applies anyway: a body past it is refused as it
        // comes, not held whole first.
        let limit = kots_release::archive::MAX_EXPANDED_BYTES;
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) =
            response.chunk().await.map_err(|e| anyhow::anyhow!("download of {path} broke off: {e}"))?
        {
            if (bytes.len() + chunk.len()) as u64 > limit {
                anyhow::bail!(
                    "the release from {}{path} is larger than {} MiB; release archives are limited to that",
                    self.endpoint,
                    limit >> 20
                );
            }
            bytes.extend_from_slice(&chunk);
        }
        let files = kots_release::archive::unpack_tgz(&bytes, &format!("the release from {}{path}", self.endpoint))?;
        Ok(Release { files, cursor, registry_domain, proxy_domain, linked_registries })
    }

    /// Releases promoted to the channel after `cursor`.
    pub async fn pending(&self, app_slug: &str, channel_id: &str, cursor: &str) -> anyhow::Result<Vec<PendingRelease>> {
        let path = format!("/release/{app_slug}/pending?channelSequence={cursor}&selectedChannelId={channel_id}");
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Pending {
            channel_releases: Vec<PendingRelease>,
        }
        let pending: Pending = self.get(&path).await?.json().await?;
        Ok(pending.channel_releases)
    }

    /// The customer's current license, as the vendor signed it last.
    pub async fn license(&self, app_slug: &str) -> anyhow::Result<String> {
        Ok(self.get(&format!("/license/{app_slug}")).await?.text().await?)
    }
}

/// An error with its causes, one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}

/// Release files from a folder (`--local-path`), as the vendor would serve them.
pub fn local_release(folder: &Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = kots_release::archive::read_folder(folder).map_err(|e| anyhow::anyhow!("--local-path: {e}"))?;
    // `userdata/` is the customer's (license, config values), not the release: KOTS leaves it out too.
    files.retain(|(path, _)| !path.starts_with("userdata/"));
    if files.is_empty() {
        anyhow::bail!("--local-path `{}` holds no release files", folder.display());
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams() {
        let parsed = Upstream::parse("replicated://myapp/beta").unwrap();
        assert_eq!(parsed, Upstream { app_slug: "myapp".into(), channel: Some("beta".into()) });
        assert_eq!(Upstream::parse("myapp").unwrap().channel, None);
        assert!(Upstream::parse("helm://x").unwrap_err().contains("not supported"));
        assert!(Upstream::parse("replicated://").is_err());
        assert!(Upstream::parse("replicated://a/b/c").is_err());
        // The slug names the app's folder under --rootdir: `..` would write beside it.
        for outside in ["replicated://..", "replicated://../x", "replicated://./stable", "replicated://app/.."] {
            assert!(Upstream::parse(outside).is_err(), "{outside}");
        }
    }

    #[test]
    fn installation_round_trip() {
        let folder = tempfile::tempdir().unwrap();
        assert_eq!(read_installation(folder.path()).unwrap(), None);
        let cursor = Cursor {
            update_cursor: "3".into(),
            channel_id: "c1".into(),
            channel_name: "Stable".into(),
            version_label: "1.2.0".into(),
            ..Cursor::default()
        };
        std::fs::create_dir_all(folder.path().join("upstream/userdata")).unwrap();
        let text = installation_yaml("myapp", &cursor, &[], Some("a2V5"));
        assert!(text.contains("kind: Installation") && text.contains("channelID: c1"), "{text}");
        std::fs::write(folder.path().join("upstream/userdata/installation.yaml"), text).unwrap();
        assert_eq!(read_installation(folder.path()).unwrap(), Some(cursor));
        assert_eq!(read_encryption_key(folder.path()).unwrap().as_deref(), Some("a2V5"));
    }
}

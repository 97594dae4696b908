//! The license as `pull` uses it: which signing keys to trust, and the checks made before any
//! download (signature, expiry, app, channel), each failing with what to do about it.

use std::path::{Path, PathBuf};

use kots_license::{License, TrustedKeys, VerifiedLicense};

/// Where trusted global keys come from, in order: `--trusted-key` files, `KOTS_TRUSTED_KEYS`
/// (files or folders, `:`-separated), and `$XDG_CONFIG_HOME/kots/trusted-keys/` (default
/// `~/.config/kots/trusted-keys/`). Files of any name: a key is trusted for its content (folders
/// are read for their `.pem` files).
pub fn trusted_keys(files: &[PathBuf]) -> anyhow::Result<(TrustedKeys, Vec<String>)> {
    let mut trusted = TrustedKeys::new();
    let mut looked = Vec::new();
    let add = |path: &Path, trusted: &mut TrustedKeys| -> anyhow::Result<()> {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                let file = entry?.path();
                if file.extension().is_some_and(|extension| extension == "pem") {
                    trusted.add_file(&file)?;
                }
            }
        } else {
            trusted.add_file(path)?;
        }
        Ok(())
    };
    for file in files {
        add(file, &mut trusted)?;
        looked.push(file.display().to_string());
    }
    if let Some(list) = std::env::var_os("KOTS_TRUSTED_KEYS") {
        for path in std::env::split_paths(&list).filter(|path| !path.as_os_str().is_empty()) {
            add(&path, &mut trusted)?;
            looked.push(format!("{} (KOTS_TRUSTED_KEYS)", path.display()));
        }
    }
    if let Some(folder) = config_folder().map(|folder| folder.join("trusted-keys")) {
        if folder.is_dir() {
            add(&folder, &mut trusted)?;
        }
        looked.push(folder.display().to_string());
    }
    Ok((trusted, looked))
}

fn config_folder() -> Option<PathBuf> {
    match std::env::var_os("XDG_CONFIG_HOME").filter(|value| !value.is_empty()) {
        Some(folder) => Some(PathBuf::from(folder).join("kots")),
        None => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config").join("kots")),
    }
}

/// Verifies `license` for pulling `app_slug` from `channel` (slug, name or ID; `None` for the
/// license's default): signature by a trusted key, not expired, the right app, a held channel.
/// Returns the verified license and the channel's ID.
pub fn check(
    license: &License,
    origin: &str,
    trusted: &TrustedKeys,
    looked: &[String],
    app_slug: &str,
    channel: Option<&str>,
) -> anyhow::Result<(VerifiedLicense, String)> {
    let verified = kots_license::verify(license, trusted).map_err(|error| match error.kind() {
        kots_license::Error::UntrustedKey { .. } => anyhow::anyhow!(
            "license {origin} is signed by a key this machine does not trust ({error}); get the vendor's key with `kots-vendor key export > vendor.pem` and pass `--trusted-key vendor.pem` (looked in: {})",
            if looked.is_empty() { "nothing".to_owned() } else { looked.join(", ") }
        ),
        _ => anyhow::anyhow!(
            "license {origin} failed verification: {error}; it was altered or damaged, ask the vendor for a fresh copy"
        ),
    })?;
    for difference in &verified.differences {
        eprintln!("warning: license {origin}: {difference}; the signed value is used");
    }
    verified
        .check_expiry(kots_license::Timestamp::now())
        .map_err(|error| anyhow::anyhow!("license {origin}: {error}"))?;
    let signed = &verified.license;
    if signed.app_slug() != app_slug {
        anyhow::bail!(
            "license {origin} is for app `{}`, not `{app_slug}`; pull replicated://{} or use that app's license",
            signed.app_slug(),
            signed.app_slug()
        );
    }
    let channel_id = match channel {
        None => {
            signed.default_channel().map(|c| c.channel_id.clone()).unwrap_or_else(|| signed.channel_id().to_owned())
        }
        Some(wanted) => {
            let held = signed.channels();
            let found = held.iter().find(|c| {
                c.channel_slug == wanted || c.channel_id == wanted || c.channel_name.eq_ignore_ascii_case(wanted)
            });
            match found {
                Some(channel) => channel.channel_id.clone(),
                None if held.is_empty() && signed.channel_id() == wanted => wanted.to_owned(),
                None => {
                    let names: Vec<String> = held
                        .iter()
                        .map(
                            |c| if c.channel_slug.is_empty() { c.channel_name.clone() } else { c.channel_slug.clone() },
                        )
                        .collect();
                    anyhow::bail!(
                        "license {origin} does not include channel `{wanted}`; it holds: {}. Pull replicated://{app_slug}/CHANNEL with one of them",
                        if names.is_empty() { signed.channel_id().to_owned() } else { names.join(", ") }
                    );
                }
            }
        }
    };
    Ok((verified, channel_id))
}

/// An airgap bundle's channel must be one the license holds.
pub fn check_bundle_channel(
    license: &License,
    origin: &str,
    airgap: &kots_release::bundle::AirgapSpec,
) -> anyhow::Result<()> {
    let held = license.channels();
    let holds = held.iter().any(|channel| channel.channel_id == airgap.channel_id)
        || (held.is_empty() && license.channel_id() == airgap.channel_id);
    if !holds {
        let names: Vec<&str> = held.iter().map(|c| c.channel_name.as_str()).collect();
        let names = if names.is_empty() { license.channel_id().to_owned() } else { names.join(", ") };
        anyhow::bail!(
            "the bundle is for channel `{}` ({}), which license {origin} does not include (it holds: {}); ask the vendor for a bundle of your channel",
            airgap.channel_name,
            airgap.channel_id,
            names
        );
    }
    Ok(())
}

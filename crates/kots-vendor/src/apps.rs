//! Apps and their channels. An app is created with `Stable`, `Beta` and `Unstable` channels and
//! its own RSA key, vouched for by the global key; its slug is the first component of its
//! images' repository names in the registry.

use kots_license::AppKey;

use crate::error::{Error, Result};
use crate::identity::random_text;
use crate::store::{App, Channel};
use crate::{KEY_BITS, User, Vendor};

pub const DEFAULT_CHANNELS: [&str; 3] = ["Stable", "Beta", "Unstable"];

/// `My Channel` → `my-channel`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for character in name.trim().chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// App slugs become repository path components, so they follow the registry's grammar, simply.
fn check_slug(slug: &str) -> Result<()> {
    kots_release::slug::check_app_slug(slug).map_err(|reason| Error::Invalid(format!("invalid app slug: {reason}")))?;
    // `proxy/…` is the proxy of linked registries, not an app's repositories.
    if format!("{slug}/") == crate::proxy::PROXY_PREFIX {
        return Err(Error::Invalid(format!(
            "invalid app slug: `{slug}` is reserved (the registry's proxy/APP/HOST/… images); choose another"
        )));
    }
    Ok(())
}

impl Vendor {
    pub async fn create_app(&self, caller: &User, slug: &str, name: Option<&str>) -> Result<(App, Vec<Channel>)> {
        check_slug(slug)?;
        let global_key = self.global_key.clone();
        let app_key = tokio::task::spawn_blocking(move || AppKey::generate(KEY_BITS, &global_key))
            .await
            .map_err(Error::internal)??;
        let app = App {
            id: random_text(27),
            team_id: caller.team_id.clone(),
            slug: slug.to_owned(),
            name: name.unwrap_or(slug).to_owned(),
            private_key_pem: app_key.to_pem()?,
            global_key_id: app_key.global_key_id().to_owned(),
        };
        let channels: Vec<Channel> = DEFAULT_CHANNELS
            .iter()
            .map(|name| Channel { id: random_text(27), slug: slugify(name), name: (*name).to_owned() })
            .collect();
        self.store.create_app(&app, &channels).await?;
        Ok((app, channels))
    }

    /// The app with `slug`, if it belongs to the caller's team. Another team's app is reported
    /// as missing, not forbidden: its existence is not the caller's business.
    pub async fn team_app(&self, caller: &User, slug: &str) -> Result<App> {
        self.store.app_by_slug(slug).await?.filter(|app| app.team_id == caller.team_id).ok_or_else(|| {
            Error::NotFound(format!("no app `{slug}` in your team; create it with `kots-vendor app create {slug}`"))
        })
    }

    pub async fn add_channel(&self, caller: &User, app_slug: &str, name: &str) -> Result<Channel> {
        let app = self.team_app(caller, app_slug).await?;
        let slug = slugify(name);
        if slug.is_empty() || slug == "pending" {
            return Err(Error::Invalid(format!("`{name}` cannot name a channel")));
        }
        let channel = Channel { id: random_text(27), slug, name: name.to_owned() };
        self.store.add_channel(&app.id, &channel).await?;
        Ok(channel)
    }

    /// A channel of `app` by slug, ID or name.
    pub async fn channel(&self, app: &App, wanted: &str) -> Result<Channel> {
        let channels = self.store.channels(&app.id).await?;
        channels
            .iter()
            .find(|channel| channel.slug == wanted || channel.id == wanted || channel.name.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| {
                let known: Vec<&str> = channels.iter().map(|channel| channel.slug.as_str()).collect();
                Error::NotFound(format!(
                    "app `{}` has no channel `{wanted}`; its channels: {}",
                    app.slug,
                    known.join(", ")
                ))
            })
    }

    /// The app key, vouched for by the global key.
    pub(crate) fn app_key(&self, app: &App) -> Result<AppKey> {
        Ok(AppKey::from_pem(&app.private_key_pem, &self.global_key)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Stable"), "stable");
        assert_eq!(slugify("  My Big  Channel! "), "my-big-channel");
        assert!(check_slug("my-app2").is_ok());
        for bad in ["", "My", "a_b", "-a", "a-", "a--b", "a/b"] {
            assert!(check_slug(bad).is_err(), "{bad}");
        }
        // `proxy/…` repositories are the proxy's, never an app's.
        assert!(check_slug("proxy").unwrap_err().to_string().contains("reserved"));
        assert!(check_slug("proxy-app").is_ok());
    }
}

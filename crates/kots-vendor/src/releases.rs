//! Creating releases and promoting them to channels.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::release::{self, ReleaseFile};
use crate::{User, Vendor};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedRelease {
    pub sequence: i64,
    pub version_label: String,
    pub application: Option<release::Application>,
    /// Set when the release was promoted at once.
    pub promoted: Option<Promotion>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Promotion {
    pub channel: String,
    pub channel_sequence: i64,
    pub version_label: String,
}

/// What `release create` asks for.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewRelease {
    pub files: Vec<ReleaseFile>,
    pub version_label: Option<String>,
    #[serde(default)]
    pub notes: String,
    pub promote: Option<String>,
    #[serde(default)]
    pub required: bool,
}

/// What `release promote` asks for.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PromoteRequest {
    pub channel: String,
    pub version_label: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub required: bool,
}

impl Vendor {
    pub async fn create_release(&self, caller: &User, app_slug: &str, new: NewRelease) -> Result<CreatedRelease> {
        let app = self.team_app(caller, app_slug).await?;
        // Resolve the channel first, so a typo fails before anything is stored.
        let channel = match &new.promote {
            Some(wanted) => Some(self.channel(&app, wanted).await?),
            None => None,
        };
        let built = release::build(new.files)?;
        let application = built.application.as_ref().map(|a| serde_json::to_string(a).expect("serialises"));
        let label = new.version_label.unwrap_or_default();
        let sequence = self
            .store
            .create_release(&app.id, label.trim(), &new.notes, &built.archive, application.as_deref())
            .await?;
        let version_label = if label.trim().is_empty() { sequence.to_string() } else { label.trim().to_owned() };
        let promoted = match channel {
            Some(channel) => {
                let channel_sequence =
                    self.store.promote(&channel.id, sequence, &version_label, &new.notes, new.required).await?;
                Some(Promotion { channel: channel.slug, channel_sequence, version_label: version_label.clone() })
            }
            None => None,
        };
        Ok(CreatedRelease { sequence, version_label, application: built.application, promoted })
    }

    pub async fn promote_release(
        &self,
        caller: &User,
        app_slug: &str,
        sequence: i64,
        request: PromoteRequest,
    ) -> Result<Promotion> {
        let PromoteRequest { channel, version_label, notes, required } = request;
        let app = self.team_app(caller, app_slug).await?;
        let channel = self.channel(&app, &channel).await?;
        let release = self
            .store
            .release(&app.id, sequence)
            .await?
            .ok_or_else(|| Error::NotFound(format!("app `{app_slug}` has no release {sequence}")))?;
        let version_label = match version_label.as_deref().map(str::trim).filter(|label| !label.is_empty()) {
            Some(label) => label.to_owned(),
            None if release.version_label.is_empty() => sequence.to_string(),
            None => release.version_label,
        };
        let notes = notes.unwrap_or(release.notes);
        let channel_sequence = self.store.promote(&channel.id, sequence, &version_label, &notes, required).await?;
        Ok(Promotion { channel: channel.slug, channel_sequence, version_label })
    }
}

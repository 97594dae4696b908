//! Customers and their licenses. Every change to a customer bumps its license sequence and signs
//! a new license, so `GET /license/APP` always returns what the customer is entitled to now.

use std::collections::BTreeMap;

use kots_license::{Entitlement, EntitlementValue, License, LicenseId, LicenseSpec};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::random_text;
use crate::store::{App, Customer, rfc3339};
use crate::{User, Vendor};

pub const LICENSE_TYPES: [&str; 4] = ["dev", "trial", "paid", "community"];

/// What `customer create` and `customer update` send; absent fields are left as they are.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerChange {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Channel slugs (or IDs); the first is the default.
    pub channels: Option<Vec<String>>,
    pub license_type: Option<String>,
    /// RFC 3339; an empty string removes the expiry.
    pub expires_at: Option<String>,
    pub airgap: Option<bool>,
    /// Custom entitlements: name → value (string, integer or boolean).
    pub entitlements: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedLicense {
    pub license_id: String,
    pub license_sequence: i64,
    pub license: String,
}

fn entitlement(title: &str, value: &serde_json::Value) -> Result<Entitlement> {
    let (value, value_type) = match value {
        serde_json::Value::String(text) => (EntitlementValue::String(text.clone()), "String"),
        serde_json::Value::Bool(flag) => (EntitlementValue::Boolean(*flag), "Boolean"),
        serde_json::Value::Number(number) if number.is_i64() => {
            (EntitlementValue::Integer(number.as_i64().expect("checked")), "Integer")
        }
        other => {
            return Err(Error::Invalid(format!(
                "entitlement `{title}` is {other}; entitlements are strings, integers or booleans"
            )));
        }
    };
    Ok(Entitlement { title: title.to_owned(), value, value_type: value_type.to_owned(), ..Default::default() })
}

fn check_expiry(expires_at: &str) -> Result<()> {
    if !expires_at.is_empty() {
        expires_at.parse::<jiff::Timestamp>().map_err(|e| {
            Error::Invalid(format!("expiry `{expires_at}` is not an RFC 3339 time such as 2027-01-31T00:00:00Z: {e}"))
        })?;
    }
    Ok(())
}

impl Vendor {
    pub async fn create_customer(
        &self,
        caller: &User,
        app_slug: &str,
        change: CustomerChange,
    ) -> Result<IssuedLicense> {
        let app = self.team_app(caller, app_slug).await?;
        let name = change
            .name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| Error::Invalid("a customer needs a name (`--name`)".to_owned()))?;
        let mut customer = Customer {
            id: random_text(27),
            app_id: app.id.clone(),
            name,
            email: String::new(),
            license_id: random_text(27),
            license_type: "dev".to_owned(),
            expires_at: None,
            airgap: false,
            channel_ids: Vec::new(),
            entitlements: serde_json::Map::new(),
            license_sequence: 0,
            license_yaml: String::new(),
            revoked_at: None,
        };
        let change = CustomerChange { channels: change.channels.clone().or(Some(vec!["stable".to_owned()])), ..change };
        self.apply_change(&app, &mut customer, change).await?;
        self.store.save_customer(&customer).await?;
        Ok(IssuedLicense {
            license_id: customer.license_id,
            license_sequence: customer.license_sequence,
            license: customer.license_yaml,
        })
    }

    pub async fn update_customer(
        &self,
        caller: &User,
        app_slug: &str,
        license_id: &str,
        change: CustomerChange,
    ) -> Result<IssuedLicense> {
        let app = self.team_app(caller, app_slug).await?;
        let mut customer = self.app_customer(&app, license_id).await?;
        self.apply_change(&app, &mut customer, change).await?;
        self.store.save_customer(&customer).await?;
        Ok(IssuedLicense {
            license_id: customer.license_id,
            license_sequence: customer.license_sequence,
            license: customer.license_yaml,
        })
    }

    pub async fn revoke_customer(&self, caller: &User, app_slug: &str, license_id: &str) -> Result<()> {
        let app = self.team_app(caller, app_slug).await?;
        let mut customer = self.app_customer(&app, license_id).await?;
        if customer.revoked_at.is_none() {
            customer.revoked_at = Some(crate::store::now_seconds());
            self.store.save_customer(&customer).await?;
        }
        Ok(())
    }

    async fn app_customer(&self, app: &App, license_id: &str) -> Result<Customer> {
        self.store
            .customer_by_license(license_id)
            .await?
            .filter(|customer| customer.app_id == app.id)
            .ok_or_else(|| Error::NotFound(format!("app `{}` has no customer with license `{license_id}`", app.slug)))
    }

    /// Applies `change`, bumps the license sequence and signs the new license.
    async fn apply_change(&self, app: &App, customer: &mut Customer, change: CustomerChange) -> Result<()> {
        if let Some(name) = change.name.filter(|name| !name.trim().is_empty()) {
            customer.name = name;
        }
        if let Some(email) = change.email {
            customer.email = email;
        }
        if let Some(license_type) = change.license_type {
            if !LICENSE_TYPES.contains(&license_type.as_str()) {
                return Err(Error::Invalid(format!(
                    "license type `{license_type}` is not one of {}",
                    LICENSE_TYPES.join(", ")
                )));
            }
            customer.license_type = license_type;
        }
        if let Some(expires_at) = change.expires_at {
            check_expiry(&expires_at)?;
            customer.expires_at = (!expires_at.is_empty()).then_some(expires_at);
        }
        if let Some(airgap) = change.airgap {
            customer.airgap = airgap;
        }
        if let Some(wanted) = change.channels {
            if wanted.is_empty() {
                return Err(Error::Invalid("a customer needs at least one channel".to_owned()));
            }
            let mut ids = Vec::new();
            for channel in &wanted {
                let id = self.channel(app, channel).await?.id;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            customer.channel_ids = ids;
        }
        if let Some(entitlements) = change.entitlements {
            for (name, value) in entitlements {
                if name == "expires_at" {
                    return Err(Error::Invalid("set the expiry with `--expires`, not as an entitlement".to_owned()));
                }
                entitlement(&name, &value)?;
                customer.entitlements.insert(name, value);
            }
        }
        customer.license_sequence += 1;
        customer.license_yaml = self.sign_license(app, customer).await?.to_yaml();
        Ok(())
    }

    async fn sign_license(&self, app: &App, customer: &Customer) -> Result<License> {
        let all_channels = self.store.channels(&app.id).await?;
        let channels: Vec<kots_license::Channel> = customer
            .channel_ids
            .iter()
            .enumerate()
            .filter_map(|(index, id)| {
                let channel = all_channels.iter().find(|channel| &channel.id == id)?;
                Some(kots_license::Channel {
                    channel_id: channel.id.clone(),
                    channel_slug: channel.slug.clone(),
                    channel_name: channel.name.clone(),
                    is_default: index == 0,
                    endpoint: self.public_url.clone(),
                    ..Default::default()
                })
            })
            .collect();
        let default = channels.first().ok_or_else(|| Error::internal("customer without channels"))?;
        let mut entitlements = BTreeMap::new();
        let mut expires =
            entitlement("Expiration", &serde_json::json!(customer.expires_at.clone().unwrap_or_default()))?;
        expires.description = "License Expiration".to_owned();
        entitlements.insert("expires_at".to_owned(), expires);
        for (name, value) in &customer.entitlements {
            entitlements.insert(name.clone(), entitlement(name, value)?);
        }
        let spec = LicenseSpec {
            license_id: LicenseId::new(customer.license_id.clone()),
            license_type: customer.license_type.clone(),
            customer_id: customer.id.clone(),
            customer_name: customer.name.clone(),
            customer_email: customer.email.clone(),
            app_slug: app.slug.clone(),
            channel_id: default.channel_id.clone(),
            channel_name: default.channel_name.clone(),
            channels: channels.clone(),
            license_sequence: customer.license_sequence,
            endpoint: self.public_url.clone(),
            entitlements,
            is_airgap_supported: customer.airgap,
            ..Default::default()
        };
        let license = License::new(crate::apps::slugify(&customer.name), spec);
        let app_key = self.app_key(app)?;
        Ok(tokio::task::spawn_blocking(move || kots_license::sign(&license, &app_key))
            .await
            .map_err(Error::internal)??)
    }
}

/// Why a license may not pull now, if it may not.
pub(crate) fn license_problem(customer: &Customer) -> Option<String> {
    if let Some(revoked_at) = customer.revoked_at {
        return Some(format!(
            "license `{}` was revoked at {}; ask the vendor for a new license",
            customer.license_id,
            rfc3339(revoked_at)
        ));
    }
    let expires_at = customer.expires_at.as_deref()?;
    let expiry = expires_at.parse::<jiff::Timestamp>().ok()?;
    (expiry <= jiff::Timestamp::now())
        .then(|| format!("license `{}` expired at {expires_at}; ask the vendor to renew it", customer.license_id))
}

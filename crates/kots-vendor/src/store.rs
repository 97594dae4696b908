//! The vendor's records: teams, users and tokens, apps with their keys, channels, releases and
//! promotions, customers and their licenses. In SQLite (the embedded default) or PostgreSQL
//! (shared by several replicas), through one set of queries on sqlx's `Any` driver: numbered
//! placeholders, upserts and `RETURNING` mean the same in both.

use std::path::Path;

use sqlx::AnyPool;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Error, Result};
use crate::linked::{CredentialsKey, LinkedRegistry, LinkedRegistryInfo, RegistryHost};

const SQLITE_MIGRATIONS: [&str; 3] = [
    include_str!("../migrations/sqlite/0001_vendor.sql"),
    include_str!("../migrations/sqlite/0002_credentials.sql"),
    include_str!("../migrations/sqlite/0003_linked_registries.sql"),
];
const POSTGRES_MIGRATIONS: [&str; 3] = [
    include_str!("../migrations/postgres/0001_vendor.sql"),
    include_str!("../migrations/postgres/0002_credentials.sql"),
    include_str!("../migrations/postgres/0003_linked_registries.sql"),
];

/// `seconds` since the epoch as RFC 3339, as the release API and messages print times.
pub(crate) fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map(|t| t.to_string()).unwrap_or_default()
}

pub(crate) fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs() as i64)
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub team_id: String,
    pub email: String,
    /// The server's administrator (the bootstrap user): the one who may create teams.
    pub is_admin: bool,
}

/// A user API token as listed: never its secret.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAccount {
    pub id: String,
    pub team_id: String,
    pub name: String,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct App {
    pub id: String,
    pub team_id: String,
    pub slug: String,
    pub name: String,
    pub private_key_pem: String,
    pub global_key_id: String,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Channel {
    pub id: String,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Release {
    pub sequence: i64,
    pub version_label: String,
    pub notes: String,
    pub archive: Vec<u8>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct ChannelRelease {
    pub channel_sequence: i64,
    pub release_sequence: i64,
    pub version_label: String,
    pub notes: String,
    pub is_required: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: String,
    pub app_id: String,
    pub name: String,
    pub email: String,
    pub license_id: String,
    pub license_type: String,
    pub expires_at: Option<String>,
    pub airgap: bool,
    pub channel_ids: Vec<String>,
    pub entitlements: serde_json::Map<String, serde_json::Value>,
    pub license_sequence: i64,
    pub license_yaml: String,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Seals and opens the credentials of linked registries; set by [`crate::Vendor::open`]
    /// (`bootstrap` needs none).
    credentials_key: Option<CredentialsKey>,
}

fn user_from(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        email: row.try_get("email")?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
    })
}

fn app_from(row: &AnyRow) -> Result<App> {
    Ok(App {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        private_key_pem: row.try_get("private_key_pem")?,
        global_key_id: row.try_get("global_key_id")?,
    })
}

fn linked_info_from(row: &AnyRow) -> Result<LinkedRegistryInfo> {
    Ok(LinkedRegistryInfo {
        host: row.try_get("host")?,
        plain_http: row.try_get::<i64, _>("plain_http")? != 0,
        username: row.try_get("username")?,
        created_at: rfc3339(row.try_get("created_at")?),
    })
}

fn channel_release_from(row: &AnyRow) -> Result<ChannelRelease> {
    Ok(ChannelRelease {
        channel_sequence: row.try_get("channel_sequence")?,
        release_sequence: row.try_get("release_sequence")?,
        version_label: row.try_get("version_label")?,
        notes: row.try_get("notes")?,
        is_required: row.try_get::<i64, _>("is_required")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

fn customer_from(row: &AnyRow) -> Result<Customer> {
    let channel_ids: String = row.try_get("channel_ids")?;
    let entitlements: String = row.try_get("entitlements")?;
    Ok(Customer {
        id: row.try_get("id")?,
        app_id: row.try_get("app_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        license_id: row.try_get("license_id")?,
        license_type: row.try_get("license_type")?,
        expires_at: row.try_get("expires_at")?,
        airgap: row.try_get::<i64, _>("airgap")? != 0,
        channel_ids: serde_json::from_str(&channel_ids).map_err(Error::internal)?,
        entitlements: serde_json::from_str(&entitlements).map_err(Error::internal)?,
        license_sequence: row.try_get("license_sequence")?,
        license_yaml: row.try_get("license_yaml")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

impl Store {
    /// The embedded default: SQLite (WAL) at `path`.
    pub async fn open(path: &Path) -> Result<Store> {
        let pool = kots_registry::storage::open_sqlite(path, 4).await?;
        kots_registry::storage::migrate(&pool, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS, "kots_vendor_schema").await?;
        Ok(Store { pool, credentials_key: None })
    }

    /// PostgreSQL at `url`, shared by every replica.
    pub async fn connect(url: &str) -> Result<Store> {
        let pool = kots_registry::storage::open_postgres(url, 16).await?;
        kots_registry::storage::migrate(&pool, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS, "kots_vendor_schema").await?;
        Ok(Store { pool, credentials_key: None })
    }

    pub async fn has_users(&self) -> Result<bool> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await? > 0)
    }

    /// Creates the first team and its first user.
    pub async fn create_team_and_user(
        &self,
        team_id: &str,
        team_name: &str,
        user_id: &str,
        email: &str,
        password_hash: Option<&str>,
        is_admin: bool,
    ) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("INSERT INTO teams (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(team_id)
            .bind(team_name)
            .bind(now_seconds())
            .execute(&mut *transaction)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO users (id, team_id, email, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user_id)
        .bind(team_id)
        .bind(email)
        .bind(password_hash)
        .bind(is_admin as i64)
        .bind(now_seconds())
        .execute(&mut *transaction)
        .await;
        if let Err(sqlx::Error::Database(error)) = &inserted
            && error.is_unique_violation()
        {
            return Err(Error::Conflict(format!("email `{email}` is not available")));
        }
        inserted?;
        transaction.commit().await?;
        Ok(())
    }

    /// Adds a user to an existing team.
    pub async fn add_user(&self, team_id: &str, user_id: &str, email: &str, password_hash: Option<&str>) -> Result<()> {
        let inserted = sqlx::query(
            "INSERT INTO users (id, team_id, email, password_hash, is_admin, created_at) VALUES ($1, $2, $3, $4, 0, $5)",
        )
        .bind(user_id)
        .bind(team_id)
        .bind(email)
        .bind(password_hash)
        .bind(now_seconds())
        .execute(&self.pool)
        .await;
        match inserted {
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(Error::Conflict(format!("email `{email}` is not available")))
            }
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    pub async fn add_user_token(&self, id: &str, user_id: &str, name: &str, secret_sha256: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, secret_sha256, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(user_id)
        .bind(name)
        .bind(secret_sha256)
        .bind(now_seconds())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user owning token `id`, and the token's stored secret hash.
    pub async fn user_by_token(&self, id: &str) -> Result<Option<(User, Vec<u8>)>> {
        let row = sqlx::query(
            "SELECT u.id, u.team_id, u.email, u.is_admin, t.secret_sha256 FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_from(&row)?, row.try_get("secret_sha256")?))).transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let row = sqlx::query("SELECT id, team_id, email, is_admin FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    /// The user with `email`, and the password hash if one is set.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<(User, Option<String>)>> {
        let row =
            sqlx::query("SELECT id, team_id, email, is_admin, password_hash FROM users WHERE lower(email) = lower($1)")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| Ok((user_from(&row)?, row.try_get("password_hash")?))).transpose()
    }

    /// The user's API tokens, oldest first.
    pub async fn user_tokens(&self, user_id: &str) -> Result<Vec<TokenInfo>> {
        let rows =
            sqlx::query("SELECT id, name, created_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at, id")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                Ok(TokenInfo {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    created_at: rfc3339(row.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// Deletes the user's token `id`; false if the user has no such token.
    pub async fn revoke_user_token(&self, user_id: &str, id: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
            .bind(id)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    /// The team's users, by email.
    pub async fn users_of_team(&self, team_id: &str) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id, team_id, email, is_admin FROM users WHERE team_id = $1 ORDER BY email")
            .bind(team_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Removes user `user_id` of the team and its API tokens, in one transaction; false if the
    /// team has no such user.
    pub async fn remove_user(&self, team_id: &str, user_id: &str) -> Result<bool> {
        let mut transaction = self.pool.begin().await?;
        sqlx::query("DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE id = $1 AND team_id = $2)")
            .bind(user_id)
            .bind(team_id)
            .execute(&mut *transaction)
            .await?;
        let removed = sqlx::query("DELETE FROM users WHERE id = $1 AND team_id = $2")
            .bind(user_id)
            .bind(team_id)
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        transaction.commit().await?;
        Ok(removed > 0)
    }

    pub async fn service_accounts_of_team(&self, team_id: &str) -> Result<Vec<ServiceAccount>> {
        let rows = sqlx::query(
            "SELECT id, team_id, name, read_only FROM service_accounts WHERE team_id = $1 ORDER BY created_at, id",
        )
        .bind(team_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ServiceAccount {
                    id: row.try_get("id")?,
                    team_id: row.try_get("team_id")?,
                    name: row.try_get("name")?,
                    read_only: row.try_get::<i64, _>("read_only")? != 0,
                })
            })
            .collect()
    }

    /// Deletes the team's service account `id`; false if the team has none such.
    pub async fn revoke_service_account(&self, team_id: &str, id: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM service_accounts WHERE id = $1 AND team_id = $2")
            .bind(id)
            .bind(team_id)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    pub async fn add_service_account(
        &self,
        id: &str,
        team_id: &str,
        name: &str,
        read_only: bool,
        secret_sha256: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_accounts (id, team_id, name, read_only, secret_sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(team_id)
        .bind(name)
        .bind(read_only as i64)
        .bind(secret_sha256)
        .bind(now_seconds())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn service_account(&self, id: &str) -> Result<Option<(ServiceAccount, Vec<u8>)>> {
        let row = sqlx::query("SELECT id, team_id, name, read_only, secret_sha256 FROM service_accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok((
                ServiceAccount {
                    id: row.try_get("id")?,
                    team_id: row.try_get("team_id")?,
                    name: row.try_get("name")?,
                    read_only: row.try_get::<i64, _>("read_only")? != 0,
                },
                row.try_get("secret_sha256")?,
            ))
        })
        .transpose()
    }

    pub async fn global_key(&self) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT key_id, private_key_pem FROM global_keys ORDER BY created_at LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((row.try_get("key_id")?, row.try_get("private_key_pem")?))).transpose()
    }

    /// Stores the global key unless one exists; returns the one that is stored.
    pub async fn insert_global_key(&self, key_id: &str, private_key_pem: &str) -> Result<(String, String)> {
        let mut transaction = self.pool.begin().await?;
        let existing: Option<(String, String)> =
            sqlx::query_as("SELECT key_id, private_key_pem FROM global_keys ORDER BY created_at LIMIT 1")
                .fetch_optional(&mut *transaction)
                .await?;
        if let Some(existing) = existing {
            return Ok(existing);
        }
        sqlx::query("INSERT INTO global_keys (key_id, private_key_pem, created_at) VALUES ($1, $2, $3)")
            .bind(key_id)
            .bind(private_key_pem)
            .bind(now_seconds())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok((key_id.to_owned(), private_key_pem.to_owned()))
    }

    /// Creates an app with its default channels, `Stable` first.
    pub async fn create_app(&self, app: &App, channels: &[Channel]) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        let result = sqlx::query(
            "INSERT INTO apps (id, team_id, slug, name, private_key_pem, global_key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&app.id)
        .bind(&app.team_id)
        .bind(&app.slug)
        .bind(&app.name)
        .bind(&app.private_key_pem)
        .bind(&app.global_key_id)
        .bind(now_seconds())
        .execute(&mut *transaction)
        .await;
        if let Err(sqlx::Error::Database(error)) = &result
            && error.is_unique_violation()
        {
            // The same answer whoever has it: another team's slugs are not the caller's business.
            return Err(Error::Conflict(format!("app slug `{}` is not available: choose another", app.slug)));
        }
        result?;
        for (index, channel) in channels.iter().enumerate() {
            sqlx::query("INSERT INTO channels (id, app_id, slug, name, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&channel.id)
                .bind(&app.id)
                .bind(&channel.slug)
                .bind(&channel.name)
                .bind(now_seconds() * 1000 + index as i64)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn app_by_slug(&self, slug: &str) -> Result<Option<App>> {
        let row = sqlx::query("SELECT * FROM apps WHERE slug = $1").bind(slug).fetch_optional(&self.pool).await?;
        row.as_ref().map(app_from).transpose()
    }

    pub async fn app_by_id(&self, id: &str) -> Result<Option<App>> {
        let row = sqlx::query("SELECT * FROM apps WHERE id = $1").bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(app_from).transpose()
    }

    /// The slugs of the team's apps, sorted: what its members may see in the registry.
    pub async fn app_slugs_of_team(&self, team_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT slug FROM apps WHERE team_id = $1 ORDER BY slug")
            .bind(team_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn apps_of_team(&self, team_id: &str) -> Result<Vec<App>> {
        let rows = sqlx::query("SELECT * FROM apps WHERE team_id = $1 ORDER BY slug")
            .bind(team_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(app_from).collect()
    }

    pub async fn add_channel(&self, app_id: &str, channel: &Channel) -> Result<()> {
        let result =
            sqlx::query("INSERT INTO channels (id, app_id, slug, name, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(&channel.id)
                .bind(app_id)
                .bind(&channel.slug)
                .bind(&channel.name)
                .bind(now_seconds() * 1000 + 999)
                .execute(&self.pool)
                .await;
        match result {
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                Err(Error::Conflict(format!("the app already has a channel `{}`", channel.slug)))
            }
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// The app's channels in creation order.
    pub async fn channels(&self, app_id: &str) -> Result<Vec<Channel>> {
        let rows = sqlx::query("SELECT id, slug, name FROM channels WHERE app_id = $1 ORDER BY created_at")
            .bind(app_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(Channel { id: row.try_get("id")?, slug: row.try_get("slug")?, name: row.try_get("name")? }))
            .collect()
    }

    pub async fn create_release(
        &self,
        app_id: &str,
        version_label: &str,
        notes: &str,
        archive: &[u8],
        application: Option<&str>,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO releases (app_id, sequence, version_label, notes, archive, application, created_at) \
             SELECT $1, COALESCE(MAX(sequence), 0) + 1, $2, $3, $4, $5, $6 FROM releases WHERE app_id = $7 RETURNING sequence",
        )
        .bind(app_id)
        .bind(version_label)
        .bind(notes)
        .bind(archive)
        .bind(application)
        .bind(now_seconds())
        .bind(app_id)
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn release(&self, app_id: &str, sequence: i64) -> Result<Option<Release>> {
        let row = sqlx::query(
            "SELECT sequence, version_label, notes, archive, created_at FROM releases WHERE app_id = $1 AND sequence = $2",
        )
        .bind(app_id)
        .bind(sequence)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(Release {
                sequence: row.try_get("sequence")?,
                version_label: row.try_get("version_label")?,
                notes: row.try_get("notes")?,
                archive: row.try_get("archive")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Promotes a release to a channel; returns the new channel sequence.
    pub async fn promote(
        &self,
        channel_id: &str,
        release_sequence: i64,
        version_label: &str,
        notes: &str,
        is_required: bool,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO channel_releases (channel_id, channel_sequence, release_sequence, version_label, notes, is_required, created_at) \
             SELECT $1, COALESCE(MAX(channel_sequence), 0) + 1, $2, $3, $4, $5, $6 FROM channel_releases WHERE channel_id = $7 \
             RETURNING channel_sequence",
        )
        .bind(channel_id)
        .bind(release_sequence)
        .bind(version_label)
        .bind(notes)
        .bind(is_required as i64)
        .bind(now_seconds())
        .bind(channel_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The latest promotion on the channel, or the one with `channel_sequence`.
    pub async fn channel_release(
        &self,
        channel_id: &str,
        channel_sequence: Option<i64>,
    ) -> Result<Option<ChannelRelease>> {
        let row = match channel_sequence {
            Some(sequence) => {
                sqlx::query("SELECT * FROM channel_releases WHERE channel_id = $1 AND channel_sequence = $2")
                    .bind(channel_id)
                    .bind(sequence)
                    .fetch_optional(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(
                    "SELECT * FROM channel_releases WHERE channel_id = $1 ORDER BY channel_sequence DESC LIMIT 1",
                )
                .bind(channel_id)
                .fetch_optional(&self.pool)
                .await?
            }
        };
        row.as_ref().map(channel_release_from).transpose()
    }

    /// Promotions after `channel_sequence`, oldest first.
    pub async fn channel_releases_after(&self, channel_id: &str, channel_sequence: i64) -> Result<Vec<ChannelRelease>> {
        let rows = sqlx::query(
            "SELECT * FROM channel_releases WHERE channel_id = $1 AND channel_sequence > $2 ORDER BY channel_sequence",
        )
        .bind(channel_id)
        .bind(channel_sequence)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(channel_release_from).collect()
    }

    /// Stores a customer: its first record, or every change since (license fields, sequence,
    /// the signed license, revocation).
    pub async fn save_customer(&self, customer: &Customer) -> Result<()> {
        sqlx::query(
            "INSERT INTO customers (id, app_id, name, email, license_id, license_type, expires_at, airgap, channel_ids, \
             entitlements, license_sequence, license_yaml, revoked_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email, \
             license_type = excluded.license_type, expires_at = excluded.expires_at, airgap = excluded.airgap, \
             channel_ids = excluded.channel_ids, entitlements = excluded.entitlements, \
             license_sequence = excluded.license_sequence, license_yaml = excluded.license_yaml, \
             revoked_at = excluded.revoked_at",
        )
        .bind(&customer.id)
        .bind(&customer.app_id)
        .bind(&customer.name)
        .bind(&customer.email)
        .bind(&customer.license_id)
        .bind(&customer.license_type)
        .bind(&customer.expires_at)
        .bind(customer.airgap as i64)
        .bind(serde_json::to_string(&customer.channel_ids).map_err(Error::internal)?)
        .bind(serde_json::to_string(&customer.entitlements).map_err(Error::internal)?)
        .bind(customer.license_sequence)
        .bind(&customer.license_yaml)
        .bind(customer.revoked_at)
        .bind(now_seconds())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn customer_by_license(&self, license_id: &str) -> Result<Option<Customer>> {
        let row = sqlx::query("SELECT * FROM customers WHERE license_id = $1")
            .bind(license_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(customer_from).transpose()
    }

    /// This store with the key that seals linked registries' credentials.
    pub(crate) fn with_credentials_key(mut self, key: CredentialsKey) -> Store {
        self.credentials_key = Some(key);
        self
    }

    fn credentials_key(&self) -> Result<&CredentialsKey> {
        self.credentials_key.as_ref().ok_or_else(|| Error::internal("the store was opened without the credentials key"))
    }

    /// Links `registry` to the app, its credentials sealed; with `replace`, a link the app has
    /// to that host is overwritten (its creation time kept), else it is a conflict.
    pub async fn save_linked_registry(
        &self,
        app_id: &str,
        registry: &RegistryHost,
        credentials: Option<&kots_transfer::Credentials>,
        replace: bool,
    ) -> Result<()> {
        let sealed = credentials.map(|c| self.credentials_key()?.seal(app_id, &registry.host, c)).transpose()?;
        const INSERT: &str = "INSERT INTO linked_registries (app_id, host, plain_http, username, credentials, created_at) \
                              VALUES ($1, $2, $3, $4, $5, $6)";
        const UPSERT: &str = "INSERT INTO linked_registries (app_id, host, plain_http, username, credentials, created_at) \
                              VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (app_id, host) DO UPDATE SET \
                              plain_http = excluded.plain_http, username = excluded.username, \
                              credentials = excluded.credentials";
        let result = sqlx::query(if replace { UPSERT } else { INSERT })
            .bind(app_id)
            .bind(&registry.host)
            .bind(registry.plain_http as i64)
            .bind(credentials.map(|c| c.username.clone()))
            .bind(sealed)
            .bind(now_seconds())
            .execute(&self.pool)
            .await;
        match result {
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Err(Error::Conflict(format!(
                "the app already links {}; pass --replace to change its credentials",
                registry.host
            ))),
            other => other.map(|_| ()).map_err(Error::from),
        }
    }

    /// The app's link to `host` (normalised) as listed, without opening its credentials.
    pub async fn linked_registry_info(&self, app_id: &str, host: &str) -> Result<Option<LinkedRegistryInfo>> {
        let row = sqlx::query(
            "SELECT host, plain_http, username, created_at FROM linked_registries WHERE app_id = $1 AND host = $2",
        )
        .bind(app_id)
        .bind(host)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(linked_info_from).transpose()
    }

    /// The app's links by host, as listed (never a password).
    pub async fn linked_registry_infos(&self, app_id: &str) -> Result<Vec<LinkedRegistryInfo>> {
        let rows = sqlx::query(
            "SELECT host, plain_http, username, created_at FROM linked_registries WHERE app_id = $1 ORDER BY host",
        )
        .bind(app_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(linked_info_from).collect()
    }

    fn linked_registry_from(&self, row: &AnyRow) -> Result<LinkedRegistry> {
        let app_id: String = row.try_get("app_id")?;
        let host: String = row.try_get("host")?;
        let sealed: Option<String> = row.try_get("credentials")?;
        let credentials = sealed.map(|sealed| self.credentials_key()?.open(&app_id, &host, &sealed)).transpose()?;
        Ok(LinkedRegistry {
            plain_http: row.try_get::<i64, _>("plain_http")? != 0,
            created_at: row.try_get("created_at")?,
            credentials,
            app_id,
            host,
        })
    }

    /// The app's link to `host` (normalised, as [`RegistryHost::parse`] makes it) with its
    /// credentials opened: what the proxy reads images with. `None` if the app links no such
    /// host.
    pub async fn linked_registry(&self, app_id: &str, host: &str) -> Result<Option<LinkedRegistry>> {
        let row = sqlx::query("SELECT * FROM linked_registries WHERE app_id = $1 AND host = $2")
            .bind(app_id)
            .bind(host)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| self.linked_registry_from(&row)).transpose()
    }

    /// Every link of the app with its credentials opened, by host (airgap bundles read them).
    pub async fn linked_registries(&self, app_id: &str) -> Result<Vec<LinkedRegistry>> {
        let rows = sqlx::query("SELECT * FROM linked_registries WHERE app_id = $1 ORDER BY host")
            .bind(app_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| self.linked_registry_from(row)).collect()
    }

    /// Unlinks `host` from the app; false if it was not linked.
    pub async fn remove_linked_registry(&self, app_id: &str, host: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM linked_registries WHERE app_id = $1 AND host = $2")
            .bind(app_id)
            .bind(host)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }
}

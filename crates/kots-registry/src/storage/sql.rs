//! Metadata in SQL, one set of queries for both engines through sqlx's `Any` driver:
//! - SQLite (WAL), the embedded default: one process, one file;
//! - PostgreSQL, shared by several stateless replicas.
//!
//! Every change that makes content visible is one transaction, committed after the bytes it
//! describes are durable. Where two replicas can race (two pushes of one tag, two uploads of one
//! blob, a delete during a push) the statements are upserts or single-row updates, so the last
//! writer wins and nothing is half-visible; a chunk's writer holds a lease on its session.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use kots_oci::{Descriptor, Digest, Hasher};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use super::{ManifestEntry, ManifestRecord, MetadataStore, Result, StorageError, UploadRecord, now_seconds};

const SQLITE_MIGRATIONS: [&str; 3] = [
    include_str!("../../migrations/sqlite/0001_registry.sql"),
    include_str!("../../migrations/sqlite/0002_upload_leases.sql"),
    include_str!("../../migrations/sqlite/0003_shared_secrets.sql"),
];
const POSTGRES_MIGRATIONS: [&str; 1] = [include_str!("../../migrations/postgres/0001_registry.sql")];

/// Any constant: the advisory lock that keeps two replicas from migrating at once.
const MIGRATION_LOCK: i64 = 0x6b6f_7473_7265_6731;

#[derive(Debug, Clone)]
pub struct SqlMetadataStore {
    pool: AnyPool,
}

fn digest_column(row: &AnyRow, column: &str) -> Result<Digest> {
    let text: String = row.try_get(column)?;
    Digest::parse(&text).map_err(|e| StorageError::backend("corrupt digest in metadata", e))
}

/// The most values one `IN (…)` list binds: SQLite allows 32,766 variables in a statement and
/// PostgreSQL 65,535, and a manifest may name more blobs than either (one naming 40,000 got a
/// 500 "too many SQL variables"), so longer lists go in statements of this many.
const IN_LIST_BATCH: usize = 1000;

/// `$first, $first+1, …` for `count` values, for an `IN (…)` list.
/// The first string after every string that starts with `prefix`: its last character moved one
/// on (`app/` → `app0`). `None` for the empty prefix, which every name starts with.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut characters: Vec<char> = prefix.chars().collect();
    while let Some(last) = characters.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            characters.push(next);
            return Some(characters.into_iter().collect());
        }
    }
    None
}

fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

/// `postgres://user:password@host/db` without the password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

impl SqlMetadataStore {
    /// The embedded default: SQLite at `path`, created if missing.
    pub async fn sqlite(path: &Path) -> Result<SqlMetadataStore> {
        let pool = open_sqlite(path, 4).await?;
        migrate(&pool, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS, "kots_registry_schema").await?;
        Ok(SqlMetadataStore { pool })
    }

    /// PostgreSQL at `url` (a pool of `max_connections`), shared by the replicas.
    pub async fn postgres(url: &str, max_connections: u32) -> Result<SqlMetadataStore> {
        let pool = open_postgres(url, max_connections).await?;
        migrate(&pool, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS, "kots_registry_schema").await?;
        Ok(SqlMetadataStore { pool })
    }

    /// The secret `name`, made by `make` and stored the first time any replica asks: every
    /// replica gets the same value.
    pub async fn shared_secret(&self, name: &str, make: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>> {
        sqlx::query("INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(make())
            .execute(&self.pool)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM shared_secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await?)
    }
}

/// A pool on the SQLite file at `path`: WAL (with `synchronous = NORMAL` a killed process loses
/// nothing; blobs are fsynced before their rows), a busy timeout, foreign keys.
pub async fn open_sqlite(path: &Path, max_connections: u32) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .after_connect(|connection, _| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL",
                    "PRAGMA synchronous = NORMAL",
                    "PRAGMA foreign_keys = ON",
                    "PRAGMA busy_timeout = 30000",
                    "PRAGMA cache_size = -8000",
                ] {
                    sqlx::query(pragma).execute(&mut *connection).await?;
                }
                Ok(())
            })
        })
        .connect(&format!("sqlite://{}?mode=rwc", path.display()))
        .await
        .map_err(|e| StorageError::backend(format_args!("cannot open metadata database `{}`", path.display()), e))
}

/// A pool on the PostgreSQL database at `url`.
pub async fn open_postgres(url: &str, max_connections: u32) -> Result<AnyPool> {
    sqlx::any::install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await
        .map_err(|e| StorageError::backend(format_args!("cannot connect to the database {}", redact(url)), e))
}

/// Brings the schema up to date, each migration once, whichever the engine: SQLite counts them
/// in `PRAGMA user_version`; PostgreSQL records them in `table`, under an advisory lock so that
/// replicas starting together do not race. (The vendor's records use it too.)
pub async fn migrate(pool: &AnyPool, sqlite: &[&'static str], postgres: &[&'static str], table: &str) -> Result<()> {
    let mut connection = pool.acquire().await?;
    if connection.backend_name() == "PostgreSQL" {
        let mut transaction = sqlx::Connection::begin(&mut *connection).await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *transaction).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE TABLE IF NOT EXISTS {table} (version BIGINT PRIMARY KEY)")))
            .execute(&mut *transaction)
            .await?;
        let applied: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COALESCE(MAX(version), 0) FROM {table}")))
                .fetch_one(&mut *transaction)
                .await?;
        for (index, migration) in postgres.iter().enumerate().skip(applied as usize) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(*migration)).execute(&mut *transaction).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO {table} (version) VALUES ($1)")))
                .bind(index as i64 + 1)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        return Ok(());
    }
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *connection).await?;
    for (index, migration) in sqlite.iter().enumerate().skip(version as usize) {
        let mut transaction = sqlx::Connection::begin(&mut *connection).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(*migration)).execute(&mut *transaction).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("PRAGMA user_version = {}", index + 1)))
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
    }
    Ok(())
}

async fn ensure_repository(transaction: &mut sqlx::AnyConnection, repository: &str) -> Result<()> {
    sqlx::query("INSERT INTO repositories (name, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(repository)
        .bind(now_seconds())
        .execute(transaction)
        .await?;
    Ok(())
}

#[async_trait]
impl MetadataStore for SqlMetadataStore {
    async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn linked_blob(&self, repository: &str, digest: &Digest) -> Result<Option<u64>> {
        let size: Option<i64> = sqlx::query_scalar(
            "SELECT b.size FROM repository_blobs r JOIN blobs b ON b.digest = r.digest \
             WHERE r.repository = $1 AND r.digest = $2",
        )
        .bind(repository)
        .bind(digest.to_string())
        .fetch_optional(&self.pool)
        .await?;
        Ok(size.map(|size| size as u64))
    }

    async fn linked_blobs(&self, repository: &str, digests: &[&Digest]) -> Result<HashMap<Digest, u64>> {
        let mut linked = HashMap::new();
        for batch in digests.chunks(IN_LIST_BATCH) {
            let sql = format!(
                "SELECT b.digest, b.size FROM repository_blobs r JOIN blobs b ON b.digest = r.digest \
                 WHERE r.repository = $1 AND r.digest IN ({})",
                placeholders(2, batch.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(repository);
            for digest in batch {
                query = query.bind(digest.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                linked.insert(digest_column(&row, "digest")?, row.try_get::<i64, _>("size")? as u64);
            }
        }
        Ok(linked)
    }

    async fn link_blob(&self, repository: &str, digest: &Digest, size: u64) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        let now = now_seconds();
        ensure_repository(&mut transaction, repository).await?;
        sqlx::query("INSERT INTO blobs (digest, size, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(digest.to_string())
            .bind(size as i64)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO repository_blobs (repository, digest, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(repository)
        .bind(digest.to_string())
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn unlink_blob(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let result = sqlx::query("DELETE FROM repository_blobs WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest.to_string())
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn existing_manifests(&self, repository: &str, digests: &[&Digest]) -> Result<Vec<Digest>> {
        let mut existing = Vec::new();
        for batch in digests.chunks(IN_LIST_BATCH) {
            let sql = format!(
                "SELECT digest FROM manifests WHERE repository = $1 AND digest IN ({})",
                placeholders(2, batch.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(repository);
            for digest in batch {
                query = query.bind(digest.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                existing.push(digest_column(&row, "digest")?);
            }
        }
        Ok(existing)
    }

    async fn put_manifest(
        &self,
        repository: &str,
        record: &ManifestRecord,
        content: &[u8],
        tag: Option<&str>,
    ) -> Result<()> {
        let mut transaction = self.pool.begin().await?;
        let now = now_seconds();
        let digest = record.digest.to_string();
        ensure_repository(&mut transaction, repository).await?;
        sqlx::query("INSERT INTO manifest_contents (digest, content) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(&digest)
            .bind(content)
            .execute(&mut *transaction)
            .await?;
        sqlx::query(
            "INSERT INTO manifests (repository, digest, media_type, size, artifact_type, subject, annotations, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(repository)
        .bind(&digest)
        .bind(&record.media_type)
        .bind(record.size as i64)
        .bind(record.artifact_type.as_deref())
        .bind(record.subject.as_ref().map(Digest::to_string))
        .bind(record.annotations.as_deref())
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        if let Some(tag) = tag {
            sqlx::query(
                "INSERT INTO tags (repository, tag, digest, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (repository, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at",
            )
            .bind(repository)
            .bind(tag)
            .bind(&digest)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn get_manifest(&self, repository: &str, digest: &Digest) -> Result<Option<(ManifestRecord, Bytes)>> {
        let row = sqlx::query(
            "SELECT m.media_type, m.size, m.artifact_type, m.subject, m.annotations, c.content \
             FROM manifests m JOIN manifest_contents c ON c.digest = m.digest \
             WHERE m.repository = $1 AND m.digest = $2",
        )
        .bind(repository)
        .bind(digest.to_string())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let subject: Option<String> = row.try_get("subject")?;
        let record = ManifestRecord {
            digest: digest.clone(),
            media_type: row.try_get("media_type")?,
            size: row.try_get::<i64, _>("size")? as u64,
            artifact_type: row.try_get("artifact_type")?,
            subject: subject
                .as_deref()
                .map(Digest::parse)
                .transpose()
                .map_err(|e| StorageError::backend("corrupt subject digest in metadata", e))?,
            annotations: row.try_get("annotations")?,
        };
        let content: Vec<u8> = row.try_get("content")?;
        Ok(Some((record, Bytes::from(content))))
    }

    async fn resolve_tag(&self, repository: &str, tag: &str) -> Result<Option<Digest>> {
        let digest: Option<String> = sqlx::query_scalar("SELECT digest FROM tags WHERE repository = $1 AND tag = $2")
            .bind(repository)
            .bind(tag)
            .fetch_optional(&self.pool)
            .await?;
        digest
            .as_deref()
            .map(Digest::parse)
            .transpose()
            .map_err(|e| StorageError::backend("corrupt tag digest in metadata", e))
    }

    async fn delete_manifest(&self, repository: &str, digest: &Digest) -> Result<bool> {
        let mut transaction = self.pool.begin().await?;
        let deleted = sqlx::query("DELETE FROM manifests WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest.to_string())
            .execute(&mut *transaction)
            .await?
            .rows_affected();
        sqlx::query("DELETE FROM tags WHERE repository = $1 AND digest = $2")
            .bind(repository)
            .bind(digest.to_string())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(deleted > 0)
    }

    async fn delete_tag(&self, repository: &str, tag: &str) -> Result<bool> {
        let result = sqlx::query("DELETE FROM tags WHERE repository = $1 AND tag = $2")
            .bind(repository)
            .bind(tag)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected() > 0)
    }

    async fn repository_exists(&self, repository: &str) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar("SELECT name FROM repositories WHERE name = $1")
            .bind(repository)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    async fn list_tags(&self, repository: &str, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT tag FROM tags WHERE repository = $1 AND tag > $2 ORDER BY tag LIMIT $3")
            .bind(repository)
            .bind(last.unwrap_or(""))
            .bind(limit.min(i64::MAX as usize) as i64)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn list_repositories(&self, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM repositories WHERE name > $1 ORDER BY name LIMIT $2")
            .bind(last.unwrap_or(""))
            .bind(limit.min(i64::MAX as usize) as i64)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn list_repositories_under(&self, prefix: &str, last: Option<&str>, limit: usize) -> Result<Vec<String>> {
        // A range, not `LIKE`: names sort by bytes in both databases, so `[prefix, end)` is
        // exactly the names that start with `prefix`, read from the primary key, and no `%` or
        // `_` in a name needs escaping.
        let start = match last {
            Some(last) if last >= prefix => last,
            _ => "",
        };
        let Some(end) = prefix_end(prefix) else { return self.list_repositories(last, limit).await };
        Ok(sqlx::query_scalar(
            "SELECT name FROM repositories WHERE name >= $1 AND name > $2 AND name < $3 ORDER BY name LIMIT $4",
        )
        .bind(prefix)
        .bind(start)
        .bind(end)
        .bind(limit.min(i64::MAX as usize) as i64)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn referrers(&self, repository: &str, digest: &Digest) -> Result<Vec<Descriptor>> {
        let rows = sqlx::query(
            "SELECT digest, media_type, size, artifact_type, annotations FROM manifests \
             WHERE repository = $1 AND subject = $2 ORDER BY created_at, digest",
        )
        .bind(repository)
        .bind(digest.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let mut descriptor = Descriptor::new(
                    row.try_get::<String, _>("media_type")?,
                    digest_column(row, "digest")?,
                    row.try_get::<i64, _>("size")? as u64,
                );
                descriptor.artifact_type = row.try_get("artifact_type")?;
                let annotations: Option<String> = row.try_get("annotations")?;
                descriptor.annotations = annotations.as_deref().and_then(|text| serde_json::from_str(text).ok());
                Ok(descriptor)
            })
            .collect()
    }

    async fn create_upload(&self, session: &str, repository: &str, hasher: &Hasher) -> Result<()> {
        let now = now_seconds();
        sqlx::query(
            "INSERT INTO uploads (id, repository, size, hash_state, created_at, updated_at) VALUES ($1, $2, 0, $3, $4, $5)",
        )
        .bind(session)
        .bind(repository)
        .bind(hasher.to_state())
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_upload(&self, session: &str) -> Result<Option<UploadRecord>> {
        let row = sqlx::query("SELECT repository, size, hash_state FROM uploads WHERE id = $1")
            .bind(session)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let state: Vec<u8> = row.try_get("hash_state")?;
        Ok(Some(UploadRecord {
            repository: row.try_get("repository")?,
            size: row.try_get::<i64, _>("size")? as u64,
            hasher: Hasher::from_state(&state)
                .ok_or_else(|| StorageError::broken(format_args!("corrupt hash state for upload `{session}`")))?,
        }))
    }

    async fn update_upload(&self, session: &str, size: u64, hasher: &Hasher) -> Result<()> {
        sqlx::query("UPDATE uploads SET size = $1, hash_state = $2, updated_at = $3 WHERE id = $4")
            .bind(size as i64)
            .bind(hasher.to_state())
            .bind(now_seconds())
            .bind(session)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_upload(&self, session: &str) -> Result<()> {
        sqlx::query("DELETE FROM uploads WHERE id = $1").bind(session).execute(&self.pool).await?;
        Ok(())
    }

    async fn lease_upload(&self, session: &str, holder: &str, seconds: u64) -> Result<bool> {
        let now = now_seconds();
        let result = sqlx::query(
            "UPDATE uploads SET lease_by = $1, lease_until = $2 WHERE id = $3 AND (lease_by IS NULL OR lease_by = $4 OR lease_until < $5)",
        )
        .bind(holder)
        .bind(now + seconds as i64)
        .bind(session)
        .bind(holder)
        .bind(now)
        .execute(&self.pool)
        .await?;
        // No row: another holder has it, or there is no such session (the caller finds out next).
        if result.rows_affected() == 0 {
            let exists: Option<String> = sqlx::query_scalar("SELECT id FROM uploads WHERE id = $1")
                .bind(session)
                .fetch_optional(&self.pool)
                .await?;
            return Ok(exists.is_none());
        }
        Ok(true)
    }

    async fn release_upload(&self, session: &str, holder: &str) -> Result<()> {
        sqlx::query("UPDATE uploads SET lease_by = NULL, lease_until = 0 WHERE id = $1 AND lease_by = $2")
            .bind(session)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn idle_uploads(&self, max_idle_seconds: u64) -> Result<Vec<String>> {
        let cutoff = now_seconds() - max_idle_seconds as i64;
        Ok(sqlx::query_scalar("SELECT id FROM uploads WHERE updated_at <= $1")
            .bind(cutoff)
            .fetch_all(&self.pool)
            .await?)
    }

    async fn all_uploads(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT id FROM uploads").fetch_all(&self.pool).await?)
    }

    async fn manifest_entries(&self) -> Result<Vec<ManifestEntry>> {
        let rows = sqlx::query(
            "SELECT m.repository, m.digest, m.subject, \
             (SELECT COUNT(*) FROM tags t WHERE t.repository = m.repository AND t.digest = m.digest) AS tags \
             FROM manifests m",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let subject: Option<String> = row.try_get("subject")?;
                Ok(ManifestEntry {
                    repository: row.try_get("repository")?,
                    digest: digest_column(row, "digest")?,
                    subject: subject
                        .as_deref()
                        .map(Digest::parse)
                        .transpose()
                        .map_err(|e| StorageError::backend("corrupt subject digest in metadata", e))?,
                    tagged: row.try_get::<i64, _>("tags")? > 0,
                })
            })
            .collect()
    }

    async fn manifest_content(&self, digest: &Digest) -> Result<Option<Bytes>> {
        let content: Option<Vec<u8>> = sqlx::query_scalar("SELECT content FROM manifest_contents WHERE digest = $1")
            .bind(digest.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(content.map(Bytes::from))
    }

    async fn stored_blobs(&self) -> Result<Vec<(Digest, u64)>> {
        let rows = sqlx::query("SELECT digest, size FROM blobs").fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((digest_column(row, "digest")?, row.try_get::<i64, _>("size")? as u64))).collect()
    }

    async fn forget_blobs(&self, digests: &[Digest]) -> Result<u64> {
        if digests.is_empty() {
            return Ok(0);
        }
        let delete = |table: &str, batch: &[Digest]| {
            let sql = format!("DELETE FROM {table} WHERE digest IN ({})", placeholders(1, batch.len()));
            batch.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |query, digest| query.bind(digest.to_string()))
        };
        let mut transaction = self.pool.begin().await?;
        let mut links = 0;
        for batch in digests.chunks(IN_LIST_BATCH) {
            links += delete("repository_blobs", batch).execute(&mut *transaction).await?.rows_affected();
            delete("blobs", batch).execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(links)
    }

    async fn unreferenced_manifest_contents(&self) -> Result<Vec<Digest>> {
        let rows = sqlx::query(
            "SELECT c.digest FROM manifest_contents c WHERE NOT EXISTS (SELECT 1 FROM manifests m WHERE m.digest = c.digest)",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| digest_column(row, "digest")).collect()
    }

    async fn forget_manifest_content(&self, digest: &Digest) -> Result<bool> {
        let result = sqlx::query(
            "DELETE FROM manifest_contents WHERE digest = $1 AND NOT EXISTS (SELECT 1 FROM manifests WHERE digest = $2)",
        )
        .bind(digest.to_string())
        .bind(digest.to_string())
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() > 0)
    }
}

//! The admin API client behind the `kots-vendor` subcommands.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Talks to a `kots-vendor serve` at `url` with a user API token.
#[derive(Debug, Clone)]
pub struct Client {
    url: String,
    token: Option<String>,
    http: reqwest::Client,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the vendor server at {url}: {source}; is `kots-vendor serve` running there?")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("{message} (HTTP {status})")]
    Refused { status: u16, message: String },
    #[error("unexpected answer from {url}: {reason}")]
    Unexpected { url: String, reason: String },
}

impl Client {
    pub fn new(url: &str, token: Option<String>) -> Client {
        let http = kots_transfer::tls::client_builder(kots_transfer::tls::Trust::System)
            .build()
            .expect("a client with default settings builds, as reqwest::Client::new assumes");
        Client { url: url.trim_end_matches('/').to_owned(), token, http }
    }

    async fn send<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder, url: &str) -> Result<T, ClientError> {
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response =
            request.send().await.map_err(|source| ClientError::Unreachable { url: self.url.clone(), source })?;
        let status = response.status();
        let body: Value = response.json().await.map_err(|e| ClientError::Unexpected {
            url: url.to_owned(),
            reason: format!("not JSON ({status}): {e}"),
        })?;
        if !status.is_success() {
            let message = body["error"].as_str().unwrap_or("the server refused the request").to_owned();
            return Err(ClientError::Refused { status: status.as_u16(), message });
        }
        serde_json::from_value(body).map_err(|e| ClientError::Unexpected { url: url.to_owned(), reason: e.to_string() })
    }

    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.url);
        self.send(self.http.post(&url).json(body), &url).await
    }

    pub async fn patch<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.url);
        self.send(self.http.patch(&url).json(body), &url).await
    }

    /// Streams `url` (authenticated as a license) into `output`, through a temporary file so
    /// that a broken download never leaves a partial bundle under the final name. Returns the
    /// bytes written.
    pub async fn download(&self, url: &str, license_id: &str, output: &std::path::Path) -> Result<u64, ClientError> {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let unexpected = |reason: String| ClientError::Unexpected { url: url.to_owned(), reason };
        let response = self
            .http
            .get(url)
            .basic_auth(license_id, Some(license_id))
            .send()
            .await
            .map_err(|source| ClientError::Unreachable { url: self.url.clone(), source })?;
        let status = response.status();
        if !status.is_success() {
            let body: Value = response.json().await.unwrap_or_default();
            let message = body["error"].as_str().unwrap_or("the server refused the request").to_owned();
            return Err(ClientError::Refused { status: status.as_u16(), message });
        }
        let partial = output.with_extension("partial");
        let mut file = tokio::fs::File::create(&partial)
            .await
            .map_err(|e| unexpected(format!("cannot create `{}`: {e}", partial.display())))?;
        let mut written = 0u64;
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    let _ = tokio::fs::remove_file(&partial).await;
                    return Err(unexpected(format!("the download broke off after {written} bytes: {e}")));
                }
            };
            written += chunk.len() as u64;
            file.write_all(&chunk)
                .await
                .map_err(|e| unexpected(format!("cannot write `{}`: {e}", partial.display())))?;
        }
        file.sync_all().await.map_err(|e| unexpected(e.to_string()))?;
        tokio::fs::rename(&partial, output)
            .await
            .map_err(|e| unexpected(format!("cannot write `{}`: {e}", output.display())))?;
        Ok(written)
    }

    pub async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.url);
        self.send(self.http.delete(&url), &url).await
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.url);
        self.send(self.http.get(&url), &url).await
    }
}

//! S3 API servers for the object-storage backend: [`LocalS3`], `s3s-fs` (files under a
//! temporary folder) in this process on its own runtime, and [`MotoS3`], moto's server, a second
//! and independent implementation of the API. Each has one bucket and stops on drop.

use std::time::Duration;

use crate::process::{KillOnDrop, free_port, wait_for};

/// `s3s-fs` on a free loopback port with one bucket and one access key.
#[derive(Debug)]

pub struct LocalS3 {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    runtime: Option<tokio::runtime::Runtime>,
    _root: tempfile::TempDir,
}

impl LocalS3 {
    /// Starts it and returns once it listens (blocking: call it through `spawn_blocking` from
    /// async code, and drop it there too, since it owns a runtime).
    pub fn start() -> LocalS3 {
        let root = tempfile::tempdir().unwrap();
        let bucket = "kots-test".to_owned();
        std::fs::create_dir_all(root.path().join(&bucket)).unwrap();
        let (access_key, secret_key) = ("kots-access".to_owned(), "kots-secret-key".to_owned());
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let filesystem = s3s_fs::FileSystem::new(root.path()).unwrap();
        let mut builder = s3s::service::S3ServiceBuilder::new(filesystem);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(access_key.clone(), secret_key.clone()));
        let service = builder.build();
        let endpoint = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
                loop {
                    let Ok((socket, _)) = listener.accept().await else { continue };
                    let _ = socket.set_nodelay(true);
                    let connection =
                        http.serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone()).into_owned();
                    tokio::spawn(async move {
                        let _ = connection.await;
                    });
                }
            });
            format!("http://{address}")
        });
        std::thread::sleep(Duration::from_millis(20));
        LocalS3 { endpoint, bucket, access_key, secret_key, runtime: Some(runtime), _root: root }
    }
}

/// moto's S3 server (`pip install 'moto[server]'`), a second, independent implementation of the
/// S3 API. Its buckets are created through the API; any credentials are accepted.
#[derive(Debug)]
pub struct MotoS3 {
    pub endpoint: String,
    pub bucket: String,
    _child: KillOnDrop,
}

impl MotoS3 {
    /// Starts it, waits until it answers and makes the bucket.
    pub fn start() -> std::io::Result<MotoS3> {
        let port = free_port()?;
        // As a module, so that it is found wherever pip put its scripts.
        let child = std::process::Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("python3 -m moto.server: {e}; install it with `pip install 'moto[server]'` (.ci/run does)"),
                )
            })?;
        let endpoint = format!("http://127.0.0.1:{port}");
        let server = MotoS3 { endpoint, bucket: "kots-moto".to_owned(), _child: KillOnDrop::new(child) };
        // Ready when it answers; then make the bucket (PUT /BUCKET, path style).
        wait_for("moto_server", Duration::from_secs(30), || {
            let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
            use std::io::{Read, Write};
            let request = format!(
                "PUT /{} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                server.bucket
            );
            if stream.write_all(request.as_bytes()).is_err() {
                return false;
            }
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")
        })?;
        Ok(server)
    }
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

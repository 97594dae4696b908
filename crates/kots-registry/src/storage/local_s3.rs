//! An S3 API server for tests: `s3s-fs` (files under a temporary folder) on a free loopback
//! port, on its own runtime, with one bucket and one access key. Stopped on drop. Shared by
//! the unit tests (`storage::conformance`) and the integration tests (included by path).

use std::time::Duration;

pub struct LocalS3 {
    pub endpoint: String,
    pub bucket: String,
    pub access_key: String,
    pub secret_key: String,
    runtime: Option<tokio::runtime::Runtime>,
    _root: tempfile::TempDir,
}

impl LocalS3 {
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

impl Drop for LocalS3 {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

//! TLS for the workspace's HTTP clients, set up once per process and only when a handshake
//! needs it.
//!
//! reqwest builds a certificate verifier for every client it builds, and building one loads and
//! parses every CA certificate of the system (about 100 ms on a Debian machine), even for a
//! client that only ever speaks plain HTTP to a local registry. A command that builds a client
//! for the source, one for the destination and one for the vendor paid that three times before
//! doing anything. Here every client shares one verifier that loads the system's roots at the
//! first certificate it has to check, once for the whole process; building a client costs
//! nothing.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Which servers a client believes.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// Those the system's CA certificates vouch for (what reqwest and Docker do).
    #[default]
    System,
    /// Those, and the CAs of these certificates (a private CA: `--ca-file`).
    SystemAnd(Vec<CertificateDer<'static>>),
    /// Any server at all: `--insecure`, for a lab.
    Anything,
}

impl Trust {
    /// What `--insecure` and `--ca-file FILE` ask for; `Err` says what is wrong with the file.
    pub fn from_options(insecure: bool, ca_file: Option<&std::path::Path>) -> Result<Trust, String> {
        match (insecure, ca_file) {
            (true, _) => Ok(Trust::Anything),
            (false, None) => Ok(Trust::System),
            (false, Some(path)) => {
                let pem = std::fs::read(path).map_err(|e| format!("cannot read CA file `{}`: {e}", path.display()))?;
                Trust::with_pem_bundle(&pem)
                    .map_err(|reason| format!("CA file `{}` is not PEM certificates: {reason}", path.display()))
            }
        }
    }

    /// The system's roots and the CAs of a PEM bundle; `Err` says why the bundle is not one.
    pub fn with_pem_bundle(pem: &[u8]) -> Result<Trust, String> {
        let certificates: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(pem).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
        if certificates.is_empty() {
            return Err("it holds no PEM certificate".to_owned());
        }
        Ok(Trust::SystemAnd(certificates))
    }
}

/// A reqwest client builder whose TLS is `trust`, set up lazily (see the module's doc). Other
/// TLS settings of reqwest's builder (`danger_accept_invalid_certs`, root certificates) have no
/// effect on it: say them in `trust`.
pub fn client_builder(trust: Trust) -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(config(trust))
}

/// The crypto provider reqwest would use: the process's default if one is installed, else
/// aws-lc-rs.
fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default().cloned().unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

/// The one verifier of the system's roots that every client of the process shares.
fn system_verifier() -> &'static Arc<LazyVerifier> {
    static SYSTEM: OnceLock<Arc<LazyVerifier>> = OnceLock::new();
    SYSTEM.get_or_init(|| Arc::new(LazyVerifier::new(Some(Vec::new()), provider())))
}

fn config(trust: Trust) -> rustls::ClientConfig {
    let provider = provider();
    let verifier = match trust {
        Trust::System => system_verifier().clone(),
        Trust::SystemAnd(extra) => Arc::new(LazyVerifier::new(Some(extra), provider.clone())),
        Trust::Anything => Arc::new(LazyVerifier::new(None, provider.clone())),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the default provider supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // As reqwest sets it for a client that may speak HTTP/2 or HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// The platform's verifier (what reqwest uses), made at the first certificate to check, with
/// the system's roots and `extra`; with `extra: None`, no certificate is checked at all
/// (`--insecure`). Either way the handshake's signatures are checked, so the server must hold
/// the key of the certificate it shows.
struct LazyVerifier {
    extra: Option<Vec<CertificateDer<'static>>>,
    provider: Arc<CryptoProvider>,
    verifier: OnceLock<Result<rustls_platform_verifier::Verifier, String>>,
}

impl std::fmt::Debug for LazyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyVerifier")
            .field("extra_roots", &self.extra.as_ref().map(Vec::len))
            .field("loaded", &self.loaded())
            .finish()
    }
}

impl LazyVerifier {
    fn new(extra: Option<Vec<CertificateDer<'static>>>, provider: Arc<CryptoProvider>) -> LazyVerifier {
        LazyVerifier { extra, provider, verifier: OnceLock::new() }
    }

    fn loaded(&self) -> bool {
        self.verifier.get().is_some()
    }

    fn verifier(
        &self,
        extra: &[CertificateDer<'static>],
    ) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        let made = self.verifier.get_or_init(|| {
            let made = if extra.is_empty() {
                rustls_platform_verifier::Verifier::new(self.provider.clone())
            } else {
                rustls_platform_verifier::Verifier::new_with_extra_roots(extra.to_vec(), self.provider.clone())
            };
            made.map_err(|error| format!("cannot load the system's CA certificates: {error}"))
        });
        made.as_ref().map_err(|error| rustls::Error::General(error.clone()))
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.extra {
            None => Ok(ServerCertVerified::assertion()),
            Some(extra) => {
                self.verifier(extra)?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            }
        }
    }

    // The signatures of the handshake need no roots: the provider's algorithms check them, as
    // the platform's verifier does.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use rustls::pki_types::PrivateKeyDer;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A CA (PEM) and an HTTPS server on 127.0.0.1 with a certificate it signed, answering
    /// every request `ok`.
    async fn https_server() -> (String, SocketAddr) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let certificate =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![certificate.der().clone()], PrivateKeyDer::try_from(key.serialize_der()).unwrap())
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut stream) = acceptor.accept(stream).await else { return };
                    let mut request = [0u8; 4096];
                    let _ = stream.read(&mut request).await;
                    let answer = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        (ca.pem(), address)
    }

    async fn get(trust: Trust, address: SocketAddr) -> Result<String, String> {
        let client = client_builder(trust).build().unwrap();
        let response = client.get(format!("https://{address}/")).send().await.map_err(|e| format!("{e:?}"))?;
        response.text().await.map_err(|e| e.to_string())
    }

    // One test, in order: the process-wide verifier is shared state.
    #[tokio::test]
    async fn the_system_roots_load_at_the_first_certificate_once_and_trust_decides_who_is_believed() {
        let (ca, address) = https_server().await;
        let _ = client_builder(Trust::System).build().unwrap();
        let _ = client_builder(Trust::System).build().unwrap();
        assert!(!system_verifier().loaded(), "building clients loads no certificate");

        let refused = get(Trust::System, address).await.unwrap_err();
        assert!(refused.contains("UnknownIssuer"), "{refused}");
        assert!(system_verifier().loaded(), "the first certificate to check loaded the roots");

        assert_eq!(get(Trust::with_pem_bundle(ca.as_bytes()).unwrap(), address).await.unwrap(), "ok");
        assert_eq!(get(Trust::Anything, address).await.unwrap(), "ok");
        // A CA file that is some other CA's (of the same name): refused.
        let (other_ca, _) = https_server().await;
        let refused = get(Trust::with_pem_bundle(other_ca.as_bytes()).unwrap(), address).await.unwrap_err();
        assert!(refused.contains("InvalidCertificate(BadSignature)"), "{refused}");
    }

    #[test]
    fn a_pem_bundle_without_certificates_is_refused_with_why() {
        assert!(Trust::with_pem_bundle(b"not a certificate").unwrap_err().contains("no PEM certificate"));
        let garbage = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(Trust::with_pem_bundle(garbage).is_err());
        let missing = Trust::from_options(false, Some(std::path::Path::new("/nonexistent/ca.pem"))).unwrap_err();
        assert!(missing.contains("cannot read CA file `/nonexistent/ca.pem`"), "{missing}");
        assert!(matches!(Trust::from_options(true, Some(std::path::Path::new("/nonexistent"))), Ok(Trust::Anything)));
    }
}

//! sprig's crypto functions (`crypto.go`): digests (`sha1sum`, `sha256sum`, `adler32sum`),
//! `bcrypt`/`htpasswd`, `derivePassword` (Master Password: scrypt + HMAC-SHA256), `randBytes`,
//! `genPrivateKey`, the certificate generators (`genCA`, `genSelfSignedCert`, `genSignedCert`
//! and their `…WithKey` forms, `buildCustomCert`), and `encryptAES`/`decryptAES`.
//!
//! Keys and certificates are encoded as Go encodes them (see [`der`]): the same PEM types
//! (`RSA PRIVATE KEY`, `EC PRIVATE KEY`, `DSA PRIVATE KEY`, `PRIVATE KEY` for ed25519), the
//! same certificate fields, extensions and validity as sprig's template and Go's
//! `x509.CreateCertificate` produce. Where Go would panic (`decryptAES` of short input), the
//! template gets an error with Go's panic message, as Go's template engine turns the panic
//! into one.

mod der;

use std::any::Any;
use std::sync::Arc;

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use rand::RngCore;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey, EncodeRsaPublicKey};
use sha1::Digest;

use super::dates::go_time::{self, Time};
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::value::{GoType, Object, UintKind, Value};

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_SHA256_RSA: &str = "1.2.840.113549.1.1.11";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ED25519: &str = "1.3.101.112";
const OID_DSA: &str = "1.2.840.10040.4.1";

/// The DER prefix of a SHA-256 DigestInfo, for PKCS #1 v1.5 signatures.
const SHA256_DIGEST_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    rand::rng().fill_bytes(&mut buf);
    buf
}

fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// sprig's `bcrypt`: Go's `bcrypt.GenerateFromPassword(…, DefaultCost)` (cost 10, `$2a$`).
fn bcrypt_hash(input: &str) -> String {
    match bcrypt::hash_with_result(input, 10) {
        Ok(parts) => parts.format_for_version(bcrypt::Version::TwoA),
        Err(e) => format!("failed to encrypt string with bcrypt: {e}"),
    }
}

const MASTER_PASSWORD_SEED: &str = "com.lyndir.masterpassword";

fn password_templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn template_characters(c: u8) -> &'static [u8] {
    match c {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

/// sprig's `derivePassword`: the Master Password algorithm (scrypt N=32768 r=8 p=2 over the
/// user, HMAC-SHA256 over the site and counter, a template picked by the seed).
fn derive_password(counter: u32, kind: &str, password: &str, user: &str, site: &str) -> String {
    let Some(templates) = password_templates(kind) else {
        return format!("cannot find password template {kind}");
    };
    let mut salt = MASTER_PASSWORD_SEED.as_bytes().to_vec();
    salt.extend_from_slice(&(user.len() as u32).to_be_bytes());
    salt.extend_from_slice(user.as_bytes());
    let mut key = [0u8; 64];
    let params = match scrypt::Params::new(15, 8, 2) {
        Ok(p) => p,
        Err(e) => return format!("failed to derive password: {e}"),
    };
    if let Err(e) = scrypt::scrypt(password.as_bytes(), &salt, &params, &mut key) {
        return format!("failed to derive password: {e}");
    }
    let mut msg = MASTER_PASSWORD_SEED.as_bytes().to_vec();
    msg.extend_from_slice(&(site.len() as u32).to_be_bytes());
    msg.extend_from_slice(site.as_bytes());
    msg.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key) else {
        return "failed to derive password: hmac".to_string();
    };
    mac.update(&msg);
    let seed = mac.finalize().into_bytes();
    let template = templates[seed[0] as usize % templates.len()].as_bytes();
    template
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let chars = template_characters(*c);
            chars[seed[i + 1] as usize % chars.len()] as char
        })
        .collect()
}

/// A private key of one of the kinds sprig makes or reads.
enum PrivateKey {
    Rsa(Box<rsa::RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed25519(ed25519_dalek::SigningKey),
    /// DSA: P, Q, G, Y, X as big-endian magnitudes (Go can encode it, not sign with it).
    Dsa([Vec<u8>; 5]),
}

impl PrivateKey {
    fn generate_rsa(bits: usize) -> Result<PrivateKey, String> {
        rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, bits)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| e.to_string())
    }

    fn generate(kind: &str) -> Result<PrivateKey, String> {
        match kind {
            "" | "rsa" => PrivateKey::generate_rsa(4096),
            "ecdsa" => loop {
                if let Ok(k) = p256::SecretKey::from_slice(&random_bytes(32)) {
                    return Ok(PrivateKey::Ec(k));
                }
            },
            "ed25519" => {
                let mut seed = [0u8; 32];
                rand::rng().fill_bytes(&mut seed);
                Ok(PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
            }
            "dsa" => {
                use dsa::signature::rand_core::UnwrapErr;
                let mut rng = UnwrapErr(getrandom::SysRng);
                let components =
                    dsa::Components::try_generate_from_rng_with_key_size(&mut rng, dsa::KeySize::DSA_2048_256)
                        .map_err(|e| format!("failed to generate dsa params: {e}"))?;
                let key = dsa::SigningKey::try_generate_from_rng_with_components(&mut rng, components)
                    .map_err(|e| e.to_string())?;
                let vk = key.verifying_key();
                let c = vk.components();
                let be = |v: &dsa::BoxedUint| der::uint_content(&v.to_be_bytes()).to_vec();
                Ok(PrivateKey::Dsa([be(c.p()), be(c.q()), be(c.g()), be(vk.y()), be(key.x())]))
            }
            _ => Err(String::new()),
        }
    }

    /// Go's `pemBlockForKey`.
    fn to_pem(&self) -> Result<String, String> {
        Ok(match self {
            PrivateKey::Rsa(k) => {
                let doc = k.to_pkcs1_der().map_err(|e| e.to_string())?;
                der::pem_encode("RSA PRIVATE KEY", doc.as_bytes())
            }
            PrivateKey::Ec(k) => der::pem_encode("EC PRIVATE KEY", &ec_private_key_der(k)),
            PrivateKey::Ed25519(k) => {
                let inner = der::octet_string(&k.to_bytes());
                let body =
                    der::seq(&[&der::small_int(0), &der::seq(&[&der::oid(OID_ED25519)]), &der::octet_string(&inner)]);
                der::pem_encode("PRIVATE KEY", &body)
            }
            PrivateKey::Dsa(parts) => {
                let ints: Vec<Vec<u8>> =
                    std::iter::once(der::small_int(0)).chain(parts.iter().map(|p| der::uint(p))).collect();
                let refs: Vec<&[u8]> = ints.iter().map(Vec::as_slice).collect();
                der::pem_encode("DSA PRIVATE KEY", &der::seq(&refs))
            }
        })
    }

    /// The SubjectPublicKeyInfo's algorithm identifier and key bits (Go's `marshalPublicKey`).
    fn public_key_info(&self) -> Result<(Vec<u8>, Vec<u8>), String> {
        Ok(match self {
            PrivateKey::Rsa(k) => {
                let pk = rsa::RsaPublicKey::from(k.as_ref());
                let bytes = pk.to_pkcs1_der().map_err(|e| e.to_string())?.as_bytes().to_vec();
                (der::seq(&[&der::oid(OID_RSA), &der::tlv(der::NULL, &[])]), bytes)
            }
            PrivateKey::Ec(k) => (
                der::seq(&[&der::oid(OID_EC_PUBLIC_KEY), &der::oid(OID_P256)]),
                k.public_key().to_sec1_bytes().to_vec(),
            ),
            PrivateKey::Ed25519(k) => (der::seq(&[&der::oid(OID_ED25519)]), k.verifying_key().to_bytes().to_vec()),
            PrivateKey::Dsa(_) => return Err("x509: unsupported public key type: *dsa.PublicKey".to_string()),
        })
    }

    fn spki(&self) -> Result<Vec<u8>, String> {
        let (alg, bits) = self.public_key_info()?;
        Ok(der::seq(&[&alg, &der::bit_string(&bits)]))
    }

    /// The signature algorithm identifier Go picks for the key (`signingParamsForKey`).
    fn signature_algorithm(&self) -> Result<Vec<u8>, String> {
        Ok(match self {
            PrivateKey::Rsa(_) => der::seq(&[&der::oid(OID_SHA256_RSA), &der::tlv(der::NULL, &[])]),
            PrivateKey::Ec(_) => der::seq(&[&der::oid(OID_ECDSA_SHA256)]),
            PrivateKey::Ed25519(_) => der::seq(&[&der::oid(OID_ED25519)]),
            PrivateKey::Dsa(_) => {
                return Err("x509: certificate private key does not implement crypto.Signer".to_string());
            }
        })
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            PrivateKey::Rsa(k) => {
                let digest = sha2::Sha256::digest(msg);
                let scheme =
                    rsa::Pkcs1v15Sign { hash_len: Some(32), prefix: SHA256_DIGEST_INFO.to_vec().into_boxed_slice() };
                k.sign(scheme, &digest).map_err(|e| e.to_string())
            }
            PrivateKey::Ec(k) => {
                use p256::ecdsa::signature::Signer;
                let sk = p256::ecdsa::SigningKey::from(k);
                let sig: p256::ecdsa::Signature = sk.try_sign(msg).map_err(|e| e.to_string())?;
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::Ed25519(k) => {
                use ed25519_dalek::Signer;
                Ok(k.sign(msg).to_bytes().to_vec())
            }
            PrivateKey::Dsa(_) => Err("x509: certificate private key does not implement crypto.Signer".to_string()),
        }
    }
}

/// Go's `x509.MarshalECPrivateKey` for P-256.
fn ec_private_key_der(k: &p256::SecretKey) -> Vec<u8> {
    let d = k.to_bytes();
    der::seq(&[
        &der::small_int(1),
        &der::octet_string(&d),
        &der::context(0, true, &der::oid(OID_P256)),
        &der::context(1, true, &der::bit_string(&k.public_key().to_sec1_bytes())),
    ])
}

/// `x509.ParseECPrivateKey` (P-256 only).
fn parse_ec_private_key(bytes: &[u8]) -> Result<p256::SecretKey, String> {
    let malformed = || "x509: failed to parse EC private key".to_string();
    let mut outer = der::Reader::new(bytes);
    let body = outer.expect(der::SEQUENCE).ok_or_else(malformed)?;
    let mut r = der::Reader::new(body.content);
    let version = r.expect(der::INTEGER).ok_or_else(malformed)?;
    if version.content != [1] {
        return Err(format!("x509: unknown EC private key version {}", version.content.first().copied().unwrap_or(0)));
    }
    let d = r.expect(der::OCTET_STRING).ok_or_else(malformed)?;
    let mut curve = None;
    while let Some(t) = r.read() {
        if t.tag == 0xa0 {
            let mut inner = der::Reader::new(t.content);
            curve = inner.expect(der::OID).map(|o| der::oid_string(o.content));
        }
    }
    match curve.as_deref() {
        Some(OID_P256) => {}
        Some(_) | None => return Err("x509: unknown elliptic curve".to_string()),
    }
    p256::SecretKey::from_slice(d.content).map_err(|_| "x509: invalid elliptic curve private key value".to_string())
}

/// sprig's `parsePrivateKeyPEM`, with its messages.
fn parse_private_key_pem(pem: &str) -> Result<PrivateKey, String> {
    let (kind, bytes) = der::pem_decode(pem).ok_or("no PEM data in input")?;
    if kind == "PRIVATE KEY" {
        return parse_pkcs8(&bytes).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(prefix) = kind.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {kind}"));
    };
    match prefix {
        "RSA" => rsa::RsaPrivateKey::from_pkcs1_der(&bytes)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| format!("parsing RSA private key from PEM: x509: {e}")),
        "EC" => parse_ec_private_key(&bytes)
            .map(PrivateKey::Ec)
            .map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => parse_dsa(&bytes).ok_or_else(|| "parsing DSA private key from PEM: asn1: structure error".to_string()),
        _ => Err(format!("invalid private key type {kind}")),
    }
}

fn parse_dsa(bytes: &[u8]) -> Option<PrivateKey> {
    let mut outer = der::Reader::new(bytes);
    let body = outer.expect(der::SEQUENCE)?;
    let mut r = der::Reader::new(body.content);
    r.expect(der::INTEGER)?;
    let mut part = || r.expect(der::INTEGER).map(|t| der::uint_content(t.content).to_vec());
    Some(PrivateKey::Dsa([part()?, part()?, part()?, part()?, part()?]))
}

/// `x509.ParsePKCS8PrivateKey` for RSA, P-256 and ed25519 keys.
fn parse_pkcs8(bytes: &[u8]) -> Result<PrivateKey, String> {
    let malformed = || "x509: failed to parse private key".to_string();
    let mut outer = der::Reader::new(bytes);
    let body = outer.expect(der::SEQUENCE).ok_or_else(malformed)?;
    let mut r = der::Reader::new(body.content);
    r.expect(der::INTEGER).ok_or_else(malformed)?;
    let alg = r.expect(der::SEQUENCE).ok_or_else(malformed)?;
    let key = r.expect(der::OCTET_STRING).ok_or_else(malformed)?;
    let mut ar = der::Reader::new(alg.content);
    let oid = der::oid_string(ar.expect(der::OID).ok_or_else(malformed)?.content);
    match oid.as_str() {
        OID_RSA => rsa::RsaPrivateKey::from_pkcs1_der(key.content)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| format!("x509: failed to parse RSA private key embedded in PKCS#8: {e}")),
        OID_EC_PUBLIC_KEY => {
            let curve = ar.expect(der::OID).map(|o| der::oid_string(o.content));
            if curve.as_deref() != Some(OID_P256) {
                return Err(
                    "x509: failed to parse EC private key embedded in PKCS#8: x509: unknown elliptic curve".to_string()
                );
            }
            // The inner ECPrivateKey may omit the curve; the outer one names it.
            let mut r = der::Reader::new(key.content);
            let inner = r.expect(der::SEQUENCE).ok_or_else(malformed)?;
            let mut ir = der::Reader::new(inner.content);
            ir.expect(der::INTEGER).ok_or_else(malformed)?;
            let d = ir.expect(der::OCTET_STRING).ok_or_else(malformed)?;
            p256::SecretKey::from_slice(d.content)
                .map(PrivateKey::Ec)
                .map_err(|_| "x509: failed to parse EC private key embedded in PKCS#8: x509: invalid elliptic curve private key value".to_string())
        }
        OID_ED25519 => {
            let mut r = der::Reader::new(key.content);
            let seed = r.expect(der::OCTET_STRING).ok_or("x509: invalid Ed25519 private key: asn1: structure error")?;
            let seed: [u8; 32] = seed
                .content
                .try_into()
                .map_err(|_| format!("x509: invalid Ed25519 private key length: {}", seed.content.len()))?;
            Ok(PrivateKey::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed)))
        }
        OID_DSA => Err(format!("x509: PKCS#8 wrapping contained private key with unknown algorithm: {oid}")),
        _ => Err(format!("x509: PKCS#8 wrapping contained private key with unknown algorithm: {oid}")),
    }
}

/// The parts of a parsed certificate that signing with it as the parent needs.
struct ParsedCert {
    raw_subject: Vec<u8>,
    spki: Vec<u8>,
    subject_key_id: Option<Vec<u8>>,
}

/// A structural `x509.ParseCertificate`: the TBS fields in order, the extensions read for the
/// subject key id.
fn parse_certificate(bytes: &[u8]) -> Result<ParsedCert, String> {
    let malformed = || "x509: malformed certificate".to_string();
    let mut outer = der::Reader::new(bytes);
    let cert = outer.expect(der::SEQUENCE).ok_or_else(malformed)?;
    if !outer.is_empty() {
        return Err("x509: trailing data".to_string());
    }
    let mut c = der::Reader::new(cert.content);
    let tbs = c.expect(der::SEQUENCE).ok_or("x509: malformed tbs certificate")?;
    c.expect(der::SEQUENCE).ok_or("x509: malformed signature algorithm identifier")?;
    c.expect(der::BIT_STRING).ok_or("x509: malformed signature")?;
    let mut t = der::Reader::new(tbs.content);
    if t.peek_tag() == Some(0xa0) {
        t.read();
    }
    t.expect(der::INTEGER).ok_or("x509: malformed serial number")?;
    t.expect(der::SEQUENCE).ok_or("x509: malformed signature algorithm identifier")?;
    t.expect(der::SEQUENCE).ok_or("x509: malformed issuer")?;
    t.expect(der::SEQUENCE).ok_or("x509: malformed validity")?;
    let subject = t.expect(der::SEQUENCE).ok_or("x509: malformed subject")?;
    let spki = t.expect(der::SEQUENCE).ok_or("x509: malformed spki")?;
    let mut subject_key_id = None;
    while let Some(field) = t.read() {
        if field.tag != 0xa3 {
            continue;
        }
        let mut er = der::Reader::new(field.content);
        let exts = er.expect(der::SEQUENCE).ok_or("x509: malformed extensions")?;
        let mut list = der::Reader::new(exts.content);
        while let Some(ext) = list.read() {
            let mut e = der::Reader::new(ext.content);
            let id = e.expect(der::OID).ok_or("x509: malformed extension OID field")?;
            let mut value = e.read().ok_or("x509: malformed extension value field")?;
            if value.tag == der::BOOLEAN {
                value = e.read().ok_or("x509: malformed extension value field")?;
            }
            if der::oid_string(id.content) == "2.5.29.14" {
                let mut v = der::Reader::new(value.content);
                let skid = v.expect(der::OCTET_STRING).ok_or("x509: invalid subject key identifier")?;
                subject_key_id = Some(skid.content.to_vec());
            }
        }
    }
    Ok(ParsedCert { raw_subject: subject.full.to_vec(), spki: spki.full.to_vec(), subject_key_id })
}

/// sprig's `certificate` struct: `Cert` and `Key`, PEM.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub cert: String,
    pub key: String,
}

impl Object for Certificate {
    fn type_name(&self) -> &str {
        "sprig.certificate"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Cert" => Some(Value::string(self.cert.as_str())),
            "Key" => Some(Value::string(self.key.as_str())),
            _ => None,
        }
    }

    fn format(&self) -> String {
        format!("{{{} {}}}", self.cert, self.key)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn equals(&self, other: &dyn Object) -> Option<bool> {
        let o = other.as_any().downcast_ref::<Certificate>()?;
        Some(o.cert == self.cert && o.key == self.key)
    }
}

/// What sprig's `getBaseCertTemplate` sets, plus what the CA variant overrides.
struct Template {
    cn: String,
    ips: Vec<Vec<u8>>,
    dns: Vec<String>,
    days_valid: i64,
    is_ca: bool,
}

/// sprig's `getNetIPs`: each item a string Go's `net.ParseIP` accepts (IPv4 as 4 bytes).
fn net_ips(v: &Value) -> Result<Vec<Vec<u8>>, String> {
    let items = match v {
        Value::List(l) => l.items.clone(),
        _ => return Ok(Vec::new()),
    };
    items
        .iter()
        .map(|item| {
            let Value::String(s) = item else {
                return Err(format!("error parsing ip: {} is not a string", crate::fmt::format_value(item)));
            };
            match s.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(ip)) => Ok(ip.octets().to_vec()),
                Ok(std::net::IpAddr::V6(ip)) => Ok(match ip.to_ipv4_mapped() {
                    Some(v4) => v4.octets().to_vec(),
                    None => ip.octets().to_vec(),
                }),
                Err(_) => Err(format!("error parsing ip: {s}")),
            }
        })
        .collect()
}

/// sprig's `getAlternateDNSStrs`.
fn dns_names(v: &Value) -> Result<Vec<String>, String> {
    let items = match v {
        Value::List(l) => l.items.clone(),
        _ => return Ok(Vec::new()),
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.to_string()),
            other => {
                Err(format!("error processing alternate dns name: {} is not a string", crate::fmt::format_value(other)))
            }
        })
        .collect()
}

fn asn1_time(t: &Time) -> Vec<u8> {
    let t = t.in_loc(go_time::Location::utc());
    der::go_time(t.fields().year, &t.format("0102150405"))
}

/// sprig's `getCertAndKey` with Go's `x509.CreateCertificate`: the certificate of `template`
/// for `signee`'s public key, issued by `parent` (None: self-signed) and signed with `signer`.
fn create_certificate(
    template: &Template,
    signee: &PrivateKey,
    parent: Option<&ParsedCert>,
    signer: &PrivateKey,
) -> Result<Certificate, String> {
    let wrap = |e: String| format!("error creating certificate: {e}");
    let sig_alg = signer.signature_algorithm().map_err(wrap)?;
    let (_, pub_bits) = signee.public_key_info().map_err(wrap)?;
    let spki = signee.spki().map_err(wrap)?;
    let subject = if template.cn.is_empty() {
        der::seq(&[])
    } else {
        der::seq(&[&der::tlv(der::SET, &der::seq(&[&der::oid("2.5.4.3"), &der::go_string(&template.cn)]))])
    };
    let issuer = parent.map_or_else(|| subject.clone(), |p| p.raw_subject.clone());
    let authority_key_id = match parent {
        Some(p) if issuer != subject => p.subject_key_id.clone(),
        _ => None,
    };
    // A CA's subject key id: SHA-1 of the key bits. Go 1.25+ uses truncated SHA-256 unless
    // GODEBUG x509sha256skid=0, which is the default for modules declaring go < 1.25 (KOTS and
    // Helm) and for GOPATH builds; sprig as those ship it writes SHA-1.
    let subject_key_id = template.is_ca.then(|| sha1::Sha1::digest(&pub_bits).to_vec());
    if let Some(p) = parent
        && signer.spki().map_err(wrap)? != p.spki
    {
        return Err(wrap("x509: provided PrivateKey doesn't match parent's PublicKey".to_string()));
    }

    // Extensions in buildCertExtensions' order.
    let mut exts: Vec<Vec<u8>> = Vec::new();
    let ext = |id: &str, critical: bool, value: &[u8]| {
        if critical {
            der::seq(&[&der::oid(id), &der::tlv(der::BOOLEAN, &[0xff]), &der::octet_string(value)])
        } else {
            der::seq(&[&der::oid(id), &der::octet_string(value)])
        }
    };
    // KeyUsage: digitalSignature | keyEncipherment (| keyCertSign for a CA), bits reversed.
    let key_usage = if template.is_ca {
        der::tlv(der::BIT_STRING, &[0x02, 0xa4])
    } else {
        der::tlv(der::BIT_STRING, &[0x05, 0xa0])
    };
    exts.push(ext("2.5.29.15", true, &key_usage));
    exts.push(ext("2.5.29.37", false, &der::seq(&[&der::oid("1.3.6.1.5.5.7.3.1"), &der::oid("1.3.6.1.5.5.7.3.2")])));
    let basic = if template.is_ca { der::seq(&[&der::tlv(der::BOOLEAN, &[0xff])]) } else { der::seq(&[]) };
    exts.push(ext("2.5.29.19", true, &basic));
    if let Some(skid) = &subject_key_id {
        exts.push(ext("2.5.29.14", false, &der::octet_string(skid)));
    }
    if let Some(akid) = &authority_key_id
        && !akid.is_empty()
    {
        exts.push(ext("2.5.29.35", false, &der::seq(&[&der::context(0, false, akid)])));
    }
    if !template.dns.is_empty() || !template.ips.is_empty() {
        let mut names: Vec<Vec<u8>> = Vec::new();
        for name in &template.dns {
            if !name.is_ascii() {
                return Err(wrap(format!("x509: {name:?} cannot be encoded as an IA5String")));
            }
            names.push(der::context(2, false, name.as_bytes()));
        }
        for ip in &template.ips {
            names.push(der::context(7, false, ip));
        }
        let refs: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
        exts.push(ext("2.5.29.17", template.cn.is_empty(), &der::seq(&refs)));
    }
    let ext_refs: Vec<&[u8]> = exts.iter().map(Vec::as_slice).collect();

    let serial = random_bytes(16);
    let now = Time::now();
    let not_after = now.add(go_time::HOUR.wrapping_mul(24).wrapping_mul(template.days_valid));
    let tbs = der::seq(&[
        &der::context(0, true, &der::small_int(2)),
        &der::uint(&serial),
        &sig_alg,
        &issuer,
        &der::seq(&[&asn1_time(&now), &asn1_time(&not_after)]),
        &subject,
        &spki,
        &der::context(3, true, &der::seq(&ext_refs)),
    ]);
    let signature = signer.sign(&tbs).map_err(wrap)?;
    let cert = der::seq(&[&tbs, &sig_alg, &der::bit_string(&signature)]);
    Ok(Certificate {
        cert: der::pem_encode("CERTIFICATE", &cert),
        key: signee.to_pem().map_err(|e| format!("error pem-encoding key: {e}"))?,
    })
}

fn certificate_arg(args: &[Value], i: usize) -> Result<Certificate, FuncError> {
    let v = args.arg(i)?;
    v.as_object::<Certificate>().cloned().ok_or_else(|| {
        FuncError::new(format!("wrong type for value; expected sprig.certificate; got {}", v.type_name()))
    })
}

fn cert_value(c: Certificate) -> Value {
    Value::Object(Arc::new(c))
}

fn base_template(args: &[Value], cn: usize, ips: usize, dns: usize, days: usize) -> Result<Template, FuncError> {
    Ok(Template {
        cn: args.str_arg(cn)?.to_string(),
        ips: net_ips(args.arg(ips)?).map_err(FuncError::new)?,
        dns: dns_names(args.arg(dns)?).map_err(FuncError::new)?,
        days_valid: args.int_arg(days)?,
        is_ca: false,
    })
}

fn rsa_2048() -> Result<PrivateKey, FuncError> {
    PrivateKey::generate_rsa(2048).map_err(|e| FuncError::new(format!("error generating rsa key: {e}")))
}

fn key_arg(args: &[Value], i: usize) -> Result<PrivateKey, FuncError> {
    parse_private_key_pem(args.str_arg(i)?).map_err(|e| FuncError::new(format!("parsing private key: {e}")))
}

/// sprig's `generateSignedCertificateWithKeyInternal`: parse the CA, then sign.
fn signed_cert(t: &Template, ca: &Certificate, key: &PrivateKey) -> Result<Certificate, FuncError> {
    let (kind, bytes) = der::pem_decode(&ca.cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    let _ = kind;
    let parent = parse_certificate(&bytes)
        .map_err(|e| FuncError::new(format!("error parsing certificate: decodedSignerCert.Bytes: {e}")))?;
    let signer =
        parse_private_key_pem(&ca.key).map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    create_certificate(t, key, Some(&parent), &signer).map_err(FuncError::new)
}

/// sprig's `genCA cn days` (a 2048-bit RSA CA), for KOTS's `TLSCACert`.
pub(crate) fn gen_ca(cn: &str, days_valid: i64) -> Result<Certificate, String> {
    let key = PrivateKey::generate_rsa(2048).map_err(|e| format!("error generating rsa key: {e}"))?;
    let template = Template { cn: cn.to_string(), ips: Vec::new(), dns: Vec::new(), days_valid, is_ca: true };
    create_certificate(&template, &key, None, &key)
}

/// sprig's `genSelfSignedCert cn ips dns days`, for KOTS's `TLSCert`/`TLSKey`.
pub(crate) fn gen_self_signed(cn: &str, ips: &Value, dns: &Value, days_valid: i64) -> Result<Certificate, String> {
    let template = Template { cn: cn.to_string(), ips: net_ips(ips)?, dns: dns_names(dns)?, days_valid, is_ca: false };
    let key = PrivateKey::generate_rsa(2048).map_err(|e| format!("error generating rsa key: {e}"))?;
    create_certificate(&template, &key, None, &key)
}

/// sprig's `genSignedCert cn ips dns days ca`, for KOTS's `TLSCertFromCA`/`TLSKeyFromCA`.
pub(crate) fn gen_signed(
    cn: &str,
    ips: &Value,
    dns: &Value,
    days_valid: i64,
    ca: &Certificate,
) -> Result<Certificate, String> {
    let template = Template { cn: cn.to_string(), ips: net_ips(ips)?, dns: dns_names(dns)?, days_valid, is_ca: false };
    let key = PrivateKey::generate_rsa(2048).map_err(|e| format!("error generating rsa key: {e}"))?;
    signed_cert(&template, ca, &key).map_err(|e| e.0)
}

/// The DER SubjectPublicKeyInfo of every certificate in `pem` (Go's `certUtil.ParseCertsPEM`:
/// only `CERTIFICATE` blocks, each must parse), for KOTS's `KubeSeal`.
pub(crate) fn certificate_spkis(pem: &str) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    let mut rest = pem;
    while let Some(start) = rest.find("-----BEGIN ") {
        let block = &rest[start..];
        let Some(end_marker) = block.find("-----END ") else { break };
        let end = block[end_marker..].find('\n').map_or(block.len(), |i| end_marker + i + 1);
        let (kind, bytes) =
            der::pem_decode(&block[..end]).ok_or("data does not contain any valid RSA or ECDSA certificates")?;
        if kind == "CERTIFICATE" {
            out.push(parse_certificate(&bytes)?.spki);
        }
        rest = &block[end..];
    }
    if out.is_empty() {
        return Err("data does not contain any valid RSA or ECDSA certificates".to_string());
    }
    Ok(out)
}

/// sprig's `buildCustomCertificate`.
fn build_custom_cert(b64cert: &str, b64key: &str) -> Result<Certificate, FuncError> {
    let decode = |s: &str| {
        let cleaned: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        base64::engine::general_purpose::STANDARD.decode(cleaned)
    };
    let cert = decode(b64cert).map_err(|_| FuncError::new("unable to decode base64 certificate"))?;
    let key = decode(b64key).map_err(|_| FuncError::new("unable to decode base64 private key"))?;
    let cert = String::from_utf8_lossy(&cert).into_owned();
    let key = String::from_utf8_lossy(&key).into_owned();
    let (_, der_bytes) = der::pem_decode(&cert).ok_or_else(|| FuncError::new("unable to decode certificate"))?;
    parse_certificate(&der_bytes)
        .map_err(|e| FuncError::new(format!("error parsing certificate: decodedCert.Bytes: {e}")))?;
    parse_private_key_pem(&key).map_err(|e| FuncError::new(format!("error parsing private key: {e}")))?;
    Ok(Certificate { cert, key })
}

/// AES-256 with the password as the key (truncated or zero-padded to 32 bytes).
fn aes_cipher(password: &str) -> aes::Aes256 {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password.as_bytes()[..n]);
    aes::Aes256::new(&key.into())
}

/// sprig's `encryptAES`: PKCS #7 padding, a random IV, AES-256-CBC, base64(IV ‖ ciphertext).
fn encrypt_aes(password: &str, plaintext: &str) -> String {
    use aes::cipher::BlockCipherEncrypt;
    if plaintext.is_empty() {
        return String::new();
    }
    let cipher = aes_cipher(password);
    let mut content = plaintext.as_bytes().to_vec();
    let padding = 16 - content.len() % 16;
    content.extend(std::iter::repeat_n(padding as u8, padding));
    let mut out = random_bytes(16);
    let mut prev: [u8; 16] = out[..16].try_into().unwrap_or([0; 16]);
    for chunk in content.chunks(16) {
        let mut block = [0u8; 16];
        for (i, b) in block.iter_mut().enumerate() {
            *b = chunk[i] ^ prev[i];
        }
        let mut block = block.into();
        cipher.encrypt_block(&mut block);
        prev = block.into();
        out.extend_from_slice(&prev);
    }
    base64::engine::general_purpose::STANDARD.encode(out)
}

/// Go's `base64.StdEncoding.DecodeString` error message.
fn base64_error(e: &base64::DecodeError, input_len: usize) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => *i,
        base64::DecodeError::InvalidLength(len) => *len,
        base64::DecodeError::InvalidPadding => input_len,
    };
    format!("illegal base64 data at input byte {at}")
}

/// sprig's `decryptAES`, including where Go panics (too short, not whole blocks, bad
/// padding): those are errors with Go's panic message.
fn decrypt_aes(password: &str, crypt64: &str) -> Result<String, FuncError> {
    use aes::cipher::BlockCipherDecrypt;
    if crypt64.is_empty() {
        return Ok(String::new());
    }
    let cleaned: String = crypt64.chars().filter(|c| *c != '\r' && *c != '\n').collect();
    let crypt = base64::engine::general_purpose::STANDARD
        .decode(&cleaned)
        .map_err(|e| FuncError::new(base64_error(&e, cleaned.len())))?;
    if crypt.len() < 16 {
        // Go slices crypt[:16] of a buffer of capacity DecodedLen(len(input)).
        let cap = cleaned.len() / 4 * 3;
        if cap < 16 {
            return Err(FuncError::new(format!("runtime error: slice bounds out of range [:16] with capacity {cap}")));
        }
    }
    let cipher = aes_cipher(password);
    let (iv, body) = if crypt.len() >= 16 { crypt.split_at(16) } else { (&crypt[..], &[][..]) };
    let mut iv_padded = [0u8; 16];
    iv_padded[..iv.len()].copy_from_slice(iv);
    if body.len() % 16 != 0 {
        return Err(FuncError::new("crypto/cipher: input not full blocks"));
    }
    let mut prev = iv_padded;
    let mut out = Vec::with_capacity(body.len());
    for chunk in body.chunks(16) {
        let mut block: [u8; 16] = chunk.try_into().unwrap_or([0; 16]);
        let saved = block;
        let mut b = block.into();
        cipher.decrypt_block(&mut b);
        block = b.into();
        for (i, byte) in block.iter().enumerate() {
            out.push(byte ^ prev[i]);
        }
        prev = saved;
    }
    let Some(&last) = out.last() else {
        return Err(FuncError::new("runtime error: index out of range [-1]"));
    };
    let keep = out.len() as i64 - i64::from(last);
    if keep < 0 {
        return Err(FuncError::new(format!("runtime error: slice bounds out of range [:{keep}]")));
    }
    out.truncate(keep as usize);
    Ok(String::from_utf8_lossy(&out).into_owned())
}

pub(super) fn register(map: &mut FuncMap) {
    let s = GoType::String;
    let cert_t = || GoType::Named("sprig.certificate".into());
    map.add("sha1sum", vec![s.clone()], |_, a| {
        Ok(Value::string(hex::encode(sha1::Sha1::digest(a.str_arg(0)?.as_bytes()))))
    });
    map.add("sha256sum", vec![s.clone()], |_, a| {
        Ok(Value::string(hex::encode(sha2::Sha256::digest(a.str_arg(0)?.as_bytes()))))
    });
    // sprig 3.3.0's (which KOTS uses); 3.2.3, the oracle's, does not have it yet.
    map.add("sha512sum", vec![s.clone()], |_, a| {
        Ok(Value::string(hex::encode(sha2::Sha512::digest(a.str_arg(0)?.as_bytes()))))
    });
    map.add("adler32sum", vec![s.clone()], |_, a| Ok(Value::string(adler32(a.str_arg(0)?.as_bytes()).to_string())));
    map.add("bcrypt", vec![s.clone()], |_, a| Ok(Value::string(bcrypt_hash(a.str_arg(0)?))));
    map.add("htpasswd", vec![s.clone(), s.clone()], |_, a| {
        let user = a.str_arg(0)?;
        if user.contains(':') {
            return Ok(Value::string(format!("invalid username: {user}")));
        }
        Ok(Value::string(format!("{user}:{}", bcrypt_hash(a.str_arg(1)?))))
    });
    map.add("randBytes", vec![GoType::INT], |_, a| {
        let n = a.int_arg(0)?;
        if n < 0 {
            return Err(FuncError::new("runtime error: makeslice: len out of range"));
        }
        if n > 64 << 20 {
            return Err(FuncError::new(format!("randBytes: {n} bytes is too many")));
        }
        Ok(Value::string(base64::engine::general_purpose::STANDARD.encode(random_bytes(n as usize))))
    });
    map.add(
        "derivePassword",
        vec![GoType::Uint(UintKind::Uint32), s.clone(), s.clone(), s.clone(), s.clone()],
        |_, a| {
            let counter = match a.arg(0)? {
                Value::Uint(v, _) => *v as u32,
                Value::Int(v, _) => *v as u32,
                other => {
                    return Err(FuncError::new(format!(
                        "wrong type for value; expected uint32; got {}",
                        other.type_name()
                    )));
                }
            };
            Ok(Value::string(derive_password(counter, a.str_arg(1)?, a.str_arg(2)?, a.str_arg(3)?, a.str_arg(4)?)))
        },
    );
    map.add("genPrivateKey", vec![s.clone()], |_, a| {
        let kind = a.str_arg(0)?;
        Ok(Value::string(match PrivateKey::generate(kind) {
            Ok(key) => key.to_pem().unwrap_or_else(|e| format!("failed to generate private key: {e}")),
            Err(e) if e.is_empty() => format!("Unknown type {kind}"),
            Err(e) if e.starts_with("failed to generate dsa params") => e,
            Err(e) => format!("failed to generate private key: {e}"),
        }))
    });
    map.add("buildCustomCert", vec![s.clone(), s.clone()], |_, a| {
        build_custom_cert(a.str_arg(0)?, a.str_arg(1)?).map(cert_value)
    });
    let ca_template = |a: &[Value]| -> Result<Template, FuncError> {
        Ok(Template {
            cn: a.str_arg(0)?.to_string(),
            ips: Vec::new(),
            dns: Vec::new(),
            days_valid: a.int_arg(1)?,
            is_ca: true,
        })
    };
    map.add("genCA", vec![s.clone(), GoType::INT], move |_, a| {
        let key = rsa_2048()?;
        create_certificate(&ca_template(a)?, &key, None, &key).map(cert_value).map_err(FuncError::new)
    });
    map.add("genCAWithKey", vec![s.clone(), GoType::INT, s.clone()], move |_, a| {
        let key = key_arg(a, 2)?;
        create_certificate(&ca_template(a)?, &key, None, &key).map(cert_value).map_err(FuncError::new)
    });
    let list = GoType::slice_any;
    map.add("genSelfSignedCert", vec![s.clone(), list(), list(), GoType::INT], |_, a| {
        let key = rsa_2048()?;
        create_certificate(&base_template(a, 0, 1, 2, 3)?, &key, None, &key).map(cert_value).map_err(FuncError::new)
    });
    map.add("genSelfSignedCertWithKey", vec![s.clone(), list(), list(), GoType::INT, s.clone()], |_, a| {
        let key = key_arg(a, 4)?;
        create_certificate(&base_template(a, 0, 1, 2, 3)?, &key, None, &key).map(cert_value).map_err(FuncError::new)
    });
    map.add("genSignedCert", vec![s.clone(), list(), list(), GoType::INT, cert_t()], |_, a| {
        let key = rsa_2048()?;
        signed_cert(&base_template(a, 0, 1, 2, 3)?, &certificate_arg(a, 4)?, &key).map(cert_value)
    });
    map.add("genSignedCertWithKey", vec![s.clone(), list(), list(), GoType::INT, cert_t(), s.clone()], |_, a| {
        let key = key_arg(a, 5)?;
        signed_cert(&base_template(a, 0, 1, 2, 3)?, &certificate_arg(a, 4)?, &key).map(cert_value)
    });
    map.add("encryptAES", vec![s.clone(), s.clone()], |_, a| {
        Ok(Value::string(encrypt_aes(a.str_arg(0)?, a.str_arg(1)?)))
    });
    map.add("decryptAES", vec![s.clone(), s], |_, a| decrypt_aes(a.str_arg(0)?, a.str_arg(1)?).map(Value::string));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> FuncMap {
        let mut map = FuncMap::new();
        register(&mut map);
        map
    }

    fn call(map: &FuncMap, name: &str, args: &[Value]) -> String {
        crate::fmt::format_value(&map.call(name, args).unwrap())
    }

    fn strs(v: &[&str]) -> Vec<Value> {
        v.iter().map(|s| Value::string(*s)).collect()
    }

    // Expected values in these tests come from Go 1.27 + sprig 3.2.3 (a probe program).
    #[test]
    fn digests_match_go() {
        let map = funcs();
        assert_eq!(call(&map, "sha1sum", &strs(&["hello world"])), "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed");
        assert_eq!(call(&map, "sha1sum", &strs(&[""])), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            call(&map, "sha256sum", &strs(&["hello world"])),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(call(&map, "adler32sum", &strs(&["hello world"])), "436929629");
        // FIPS 180-2's test vector for "abc".
        assert_eq!(
            call(&map, "sha512sum", &strs(&["abc"])),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
        assert_eq!(call(&map, "adler32sum", &strs(&[""])), "1");
        assert_eq!(call(&map, "adler32sum", &strs(&["héllo wörld, a longer text to checksum"])), "1514016797");
    }

    #[test]
    fn derive_password_matches_go() {
        let map = funcs();
        let cases: [(u64, [&str; 4], &str); 7] = [
            (1, ["long", "password", "user", "example.com"], "ZedaFaxcZaso9*"),
            (2, ["maximum", "pässword", "üser", "site"], "d4$1TlP5d4g2&bWxWLPy"),
            (0, ["pin", "", "", ""], "2847"),
            (7, ["basic", "x", "y", "z"], "KwV9Fhi0"),
            (1, ["medium", "p", "u", "s"], "Rud1@Nel"),
            (1, ["short", "p", "u", "s"], "Rud1"),
            (1, ["nope", "p", "u", "s"], "cannot find password template nope"),
        ];
        for (counter, rest, want) in cases {
            let mut args = vec![Value::Uint(counter, UintKind::Uint32)];
            args.extend(strs(&rest));
            assert_eq!(call(&map, "derivePassword", &args), want, "{rest:?}");
        }
    }

    #[test]
    fn bcrypt_and_htpasswd_verify() {
        let map = funcs();
        let hash = call(&map, "bcrypt", &strs(&["s3cret"]));
        assert!(hash.starts_with("$2a$10$") && hash.len() == 60, "{hash}");
        assert!(bcrypt::verify("s3cret", &hash).unwrap());
        let line = call(&map, "htpasswd", &strs(&["admin", "pw"]));
        let (user, hash) = line.split_once(':').unwrap();
        assert_eq!(user, "admin");
        assert!(bcrypt::verify("pw", hash).unwrap());
        assert_eq!(call(&map, "htpasswd", &strs(&["a:b", "x"])), "invalid username: a:b");
    }

    #[test]
    fn aes_decrypts_gos_ciphertext_and_round_trips() {
        let map = funcs();
        // Made by Go's sprig: {{ encryptAES "secretkey" "plaintext" }}.
        assert_eq!(
            call(&map, "decryptAES", &strs(&["secretkey", "TgT4tFyLs0LCLB9NA1gqgxdOYY4JeIDE8/C68MLRWH8="])),
            "plaintext"
        );
        let long_key = "k".repeat(40);
        for text in ["x", "exactly sixteen!", "ünïcödé and more than one block of text"] {
            let enc = call(&map, "encryptAES", &strs(&[&long_key, text]));
            let raw = base64::engine::general_purpose::STANDARD.decode(&enc).unwrap();
            assert_eq!(raw.len(), 16 + (text.len() / 16 + 1) * 16);
            assert_eq!(call(&map, "decryptAES", &strs(&[&long_key, &enc])), text);
        }
        assert_eq!(call(&map, "encryptAES", &strs(&["k", ""])), "");
        assert_eq!(call(&map, "decryptAES", &strs(&["k", ""])), "");
        let errors = [
            ("YWJj", "runtime error: slice bounds out of range [:16] with capacity 3"),
            ("YWJjZGVmZ2hpamtsbW5v", "runtime error: slice bounds out of range [:16] with capacity 15"),
            ("!!", "illegal base64 data at input byte 0"),
            ("YWJjZGVmZ2hpamtsbW5vcHFy", "crypto/cipher: input not full blocks"),
            ("YWJjZGVmZ2hpamtsbW5vcA==", "runtime error: index out of range [-1]"),
            ("YWJjZGVmZ2hpamtsbW5vcGFiY2RlZmdoaWprbG1ub3A=", "runtime error: slice bounds out of range [:-100]"),
        ];
        for (input, want) in errors {
            assert_eq!(map.call("decryptAES", &strs(&["k", input])).unwrap_err().0, want, "{input}");
        }
    }

    #[test]
    fn rand_bytes_is_base64_of_n_bytes() {
        let map = funcs();
        let s = call(&map, "randBytes", &[Value::int(33)]);
        assert_eq!(base64::engine::general_purpose::STANDARD.decode(&s).unwrap().len(), 33);
        assert_eq!(call(&map, "randBytes", &[Value::int(0)]), "");
        assert_eq!(
            map.call("randBytes", &[Value::int(-1)]).unwrap_err().0,
            "runtime error: makeslice: len out of range"
        );
    }

    fn pem_of(s: &str) -> (String, Vec<u8>) {
        der::pem_decode(s).unwrap()
    }

    /// Checks `cert`'s signature with `issuer_key` (the TBS bytes signed as Go signs them).
    fn verify_signature(cert_pem: &str, issuer_key: &PrivateKey) {
        let (kind, bytes) = pem_of(cert_pem);
        assert_eq!(kind, "CERTIFICATE");
        let mut r = der::Reader::new(&bytes);
        let cert = r.expect(der::SEQUENCE).unwrap();
        let mut c = der::Reader::new(cert.content);
        let tbs = c.expect(der::SEQUENCE).unwrap();
        c.expect(der::SEQUENCE).unwrap();
        let sig = c.expect(der::BIT_STRING).unwrap();
        let sig = &sig.content[1..];
        match issuer_key {
            PrivateKey::Rsa(k) => {
                let pk = rsa::RsaPublicKey::from(k.as_ref());
                let scheme =
                    rsa::Pkcs1v15Sign { hash_len: Some(32), prefix: SHA256_DIGEST_INFO.to_vec().into_boxed_slice() };
                pk.verify(scheme, &sha2::Sha256::digest(tbs.full), sig).unwrap();
            }
            PrivateKey::Ec(k) => {
                use p256::ecdsa::signature::Verifier;
                let vk = p256::ecdsa::VerifyingKey::from(&p256::ecdsa::SigningKey::from(k));
                vk.verify(tbs.full, &p256::ecdsa::Signature::from_der(sig).unwrap()).unwrap();
            }
            PrivateKey::Ed25519(k) => {
                let sig = ed25519_dalek::Signature::from_slice(sig).unwrap();
                k.verifying_key().verify_strict(tbs.full, &sig).unwrap();
            }
            PrivateKey::Dsa(_) => panic!("dsa cannot sign"),
        }
    }

    #[test]
    fn private_keys_have_gos_pem_types_and_parse_back() {
        let map = funcs();
        for (kind, pem_type) in [("ecdsa", "EC PRIVATE KEY"), ("ed25519", "PRIVATE KEY"), ("rsa", "RSA PRIVATE KEY")] {
            let pem = call(&map, "genPrivateKey", &strs(&[kind]));
            assert!(pem.starts_with(&format!("-----BEGIN {pem_type}-----\n")), "{pem}");
            assert!(pem.ends_with(&format!("-----END {pem_type}-----\n")));
            assert!(pem.lines().all(|l| l.len() <= 64));
            let key = parse_private_key_pem(&pem).unwrap();
            assert_eq!(key.to_pem().unwrap(), pem, "{kind} re-encodes to the same PEM");
            if let PrivateKey::Rsa(k) = &key {
                use rsa::traits::PublicKeyParts;
                assert_eq!(k.size(), 512);
            }
        }
        assert_eq!(call(&map, "genPrivateKey", &strs(&["foo"])), "Unknown type foo");
        assert_eq!(parse_private_key_pem("nothing").err().unwrap(), "no PEM data in input");
        let cert_pem = der::pem_encode("CERTIFICATE", b"x");
        assert_eq!(
            parse_private_key_pem(&cert_pem).err().unwrap(),
            "no private key data in PEM block of type CERTIFICATE"
        );
    }

    #[test]
    fn dsa_keys_encode_as_go_and_cannot_sign() {
        let key = PrivateKey::generate("dsa").unwrap();
        let pem = key.to_pem().unwrap();
        let (kind, bytes) = pem_of(&pem);
        assert_eq!(kind, "DSA PRIVATE KEY");
        let PrivateKey::Dsa([p, q, ..]) = parse_dsa(&bytes).unwrap() else { panic!() };
        assert_eq!((p.len(), q.len()), (256, 32));
        let map = funcs();
        let err = map.call("genCAWithKey", &[Value::string("x"), Value::int(1), Value::string(pem)]).unwrap_err();
        assert_eq!(err.0, "error creating certificate: x509: certificate private key does not implement crypto.Signer");
    }

    #[test]
    fn certificates_chain_to_their_ca() {
        let map = funcs();
        let ca = map.call("genCA", &[Value::string("my-ca"), Value::int(365)]).unwrap();
        let ca_obj = ca.as_object::<Certificate>().unwrap().clone();
        let ca_key = parse_private_key_pem(&ca_obj.key).unwrap();
        verify_signature(&ca_obj.cert, &ca_key);
        let ca_parsed = parse_certificate(&pem_of(&ca_obj.cert).1).unwrap();
        assert_eq!(ca_parsed.subject_key_id.as_ref().map(Vec::len), Some(20));

        let ips = Value::list(vec![Value::string("10.0.0.1"), Value::string("::1")]);
        let dns = Value::list(vec![Value::string("a.example.com")]);
        for kind in ["ecdsa", "ed25519"] {
            let key = call(&map, "genPrivateKey", &strs(&[kind]));
            let cert = map
                .call(
                    "genSignedCertWithKey",
                    &[
                        Value::string("leaf"),
                        ips.clone(),
                        dns.clone(),
                        Value::int(30),
                        ca.clone(),
                        Value::string(key.as_str()),
                    ],
                )
                .unwrap();
            let cert = cert.as_object::<Certificate>().unwrap();
            assert_eq!(cert.key, key);
            verify_signature(&cert.cert, &ca_key);
            let parsed = parse_certificate(&pem_of(&cert.cert).1).unwrap();
            assert!(parsed.subject_key_id.is_none());
            // The issuer is the CA's subject.
            assert!(pem_of(&cert.cert).1.windows(ca_parsed.raw_subject.len()).any(|w| w == ca_parsed.raw_subject));

            let own = map
                .call(
                    "genSelfSignedCertWithKey",
                    &[Value::string("self"), Value::Nil, Value::Nil, Value::int(1), Value::string(key.as_str())],
                )
                .unwrap();
            let own = own.as_object::<Certificate>().unwrap();
            verify_signature(&own.cert, &parse_private_key_pem(&key).unwrap());
        }
        let signed = map
            .call("genSignedCert", &[Value::string("x"), Value::Nil, Value::Nil, Value::int(1), ca.clone()])
            .unwrap();
        verify_signature(&signed.as_object::<Certificate>().unwrap().cert, &ca_key);

        // A CA key that is not the CA certificate's.
        let other = map.call("genCA", &[Value::string("other"), Value::int(1)]).unwrap();
        let mixed =
            Certificate { cert: ca_obj.cert.clone(), key: other.as_object::<Certificate>().unwrap().key.clone() };
        let err = map
            .call(
                "genSignedCert",
                &[Value::string("x"), Value::Nil, Value::Nil, Value::int(1), Value::Object(Arc::new(mixed))],
            )
            .unwrap_err();
        assert_eq!(err.0, "error creating certificate: x509: provided PrivateKey doesn't match parent's PublicKey");

        let err = map
            .call(
                "genSelfSignedCert",
                &[Value::string("x"), Value::list(vec![Value::string("1.2.3")]), Value::Nil, Value::int(1)],
            )
            .unwrap_err();
        assert_eq!(err.0, "error parsing ip: 1.2.3");
        let err = map
            .call(
                "genSelfSignedCert",
                &[Value::string("x"), Value::Nil, Value::list(vec![Value::int(3)]), Value::int(1)],
            )
            .unwrap_err();
        assert_eq!(err.0, "error processing alternate dns name: 3 is not a string");
    }

    #[test]
    fn build_custom_cert_checks_its_inputs() {
        let map = funcs();
        let ca = map.call("genCA", &[Value::string("c"), Value::int(1)]).unwrap();
        let ca = ca.as_object::<Certificate>().unwrap();
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let built = map.call("buildCustomCert", &strs(&[&b64(&ca.cert), &b64(&ca.key)])).unwrap();
        let built = built.as_object::<Certificate>().unwrap();
        assert_eq!((built.cert.as_str(), built.key.as_str()), (ca.cert.as_str(), ca.key.as_str()));
        let err = |a: &str, b: &str| map.call("buildCustomCert", &strs(&[a, b])).unwrap_err().0;
        assert_eq!(err("%%", &b64(&ca.key)), "unable to decode base64 certificate");
        assert_eq!(err(&b64(&ca.cert), "%%"), "unable to decode base64 private key");
        assert_eq!(err(&b64("nope"), &b64(&ca.key)), "unable to decode certificate");
        assert_eq!(err(&b64(&ca.cert), &b64("nope")), "error parsing private key: no PEM data in input");
    }

    /// A CA made by Go's sprig (`genCAWithKey "go-ca" 3650 (genPrivateKey "ecdsa")`) and an
    /// ed25519 key from Go's `genPrivateKey`.
    const GO_CA_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBgDCCASagAwIBAgIRAJRNEWZf8eMHo6rwc8QNqV0wCgYIKoZIzj0EAwIwEDEO
MAwGA1UEAxMFZ28tY2EwHhcNMjYxMjAxMTAzOTE4WhcNMzYxMTI4MTAzOTE4WjAQ
MQ4wDAYDVQQDEwVnby1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIbtxJEw
YJNgTJslzAny9VlImd5oK+CbGTQthoXjVeKrLneVA3EpBCU+aUKz8uxwqvXdsBcj
SgO/Y0wUa3Y1yBCjYTBfMA4GA1UdDwEB/wQEAwICpDAdBgNVHSUEFjAUBggrBgEF
BQcDAQYIKwYBBQUHAwIwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUnpY0KVUb
EH91GpDdqNztJlbieMMwCgYIKoZIzj0EAwIDSAAwRQIgXLUYXTPooZhnk3v4n/GP
RP2rtoPUFZWPoJbF5grEaFICIQCkOtt8ndq3NfQLXYBwvf4w4scRegbo/gV9BZ+a
pMtxnw==
-----END CERTIFICATE-----\n";
    const GO_CA_KEY: &str = "-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIK5KlVcbC03DQecO6SV0JzZTeamjS2WkWKZteYu6G9cnoAoGCCqGSM49
AwEHoUQDQgAEhu3EkTBgk2BMmyXMCfL1WUiZ3mgr4JsZNC2GheNV4qsud5UDcSkE
JT5pQrPy7HCq9d2wFyNKA79jTBRrdjXIEA==
-----END EC PRIVATE KEY-----\n";
    const GO_ED25519_KEY: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEINprSrNiZbA3Ic0GrIZNsXtFrSMavf/hr5FIGmi/s6Oq
-----END PRIVATE KEY-----\n";

    /// Keys from Go's `genPrivateKey "rsa"` (4096 bits) and `genPrivateKey "dsa"`.
    const GO_RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIJKAIBAAKCAgEA58xeKoUdLI2ZDHF0qh2yvTg50Gr9fzKkOIPfodRzqOttVaJX
HRHXwWwJsnti9dpk0Zd+95Ob2qNU01kPj7xxlQhMIt49mHiBD7tSjChikoBpfpgM
c2RftaneIPXf6JPWFzsE2AMh82ggCPh7cTl2iA8R5cg70j6E0e8+Su92uHMTfCjP
jj5tcCVBjeruvXpyrmVYlnr5yPdqjRE3/ykmd/5RpSpr1q/h/Hu8ljK3QlwEjP7I
ZCnHT2+8tWOXLbKg6kjzMp0ZL4QdasIIjef51TH6qoIhQHGp293S/ArRnjeStqea
0cAkQIHBcJtTw+UGl2cIbsI2z/GOxQ4baZYFKbOAVrc74FUZ6C7eJzwXvS+fGgjd
GPQxYJTl5giiNmHFg/5LLUO90DNS+XiB0j8ek9/SC6+sKpxe7047CBnC11Zf/zEe
i5k1dQyF0uGX5GjorDq3s50PZ0EkG8XDmoJWWowX/CAe08Rn06IF0Ew/rdsSSAPH
DN9vFkVc+kdQr6x34JwyVJE/i8ENF5TPmFJgFRsHoGZspEO06gvy5fdwIvdzPi26
3SA+e5cwC4H3xLNGLLp7vYhYZI3I9bsCrYJ/GniiNQ2cgi4MIzAPsJZDYKPe+2Vo
hk9rwcdNcX/la84za4PXKvN27KBHnWdGj3M7pZobDEq3OpjlmpgtGCIf7ykCAwEA
AQKCAgAhFZBTLVCurT8tAXyPU1HRpBbMYpjv8MBzuI7QwEwJziB62oLoiUVsPAle
SjIjuRouuBrNJ2pVWH6g89M+xrzHcrm7OFE+U+TH5AqyKol3M5DbGsScK7Vlbmtf
9PgScBdclXXphvjvjusTnLOxw2vhm5UIYP340ieO90DC3U7qoLIlRIXrXYmtOgQT
R3bv4GxB7AEq6T6Bqp6wp8aAStVMxyXMFzPxHoV4zghqv65ccFnN7geYFEZ4VhBv
K1nGkfpZtjPQA5A2sfqo5CzoZDXKcim+8HfihNajpROaGck1deUg4Oc+DNifxGVh
tynLigLY1UHk3R+JqoagJZVQCrONrIwHtelsHRCInDEmYDwbL0x1jfb0KckLyg6R
7UIv13DhlmcWbVaVr1yKoEzMJhNY+5n3qL0JOinrdFTJbNDaPLgir4QQgwvuLevi
C1keQt5BL90yPbmcVCdWR8qE26n3uigPO5g9hX1WYDxKGsE9+f3syJGvCDJuZcPh
Bg3aXBryWLYj0kj6qMktXijgNTnQ2qdWslmEqJ+3kmxR+RpAW3RDfk9sfwuz7rq3
GLew01cfcT+DSLKTHRxNjTaQst+n8q4B7RimHGo9PBlgTjPl3cCp/DWFT9QKaRUH
PuW+13IFhE2QMqgwYY0/4fX0uHUalOco28BB4W+XMQDAbHwASQKCAQEA5/QK9paH
ubGKG/Z6Mel/inrLi94Ho//xEvkbsvGAayM76jKaP0GaIYb7QXR6yexmYtmDXE7W
f8ZG7eJPTtQBDfv2cSxB4AVI12FqYzNp5mWYyWlYfh2fJeiMJY7YD+0tVs973iGt
MjTahphqvG2yyjDzpKvJObmkUs9WK4Ue0JCVmUe1WVWEte9a83ziRsHLD6I/K7CL
HJHZkFpc37QX6q0sthzBk/3TaYyzHW5f3HWlkw/uQS4NMRc+BUOaaLV1OWSewN/d
g3vTux+fkWXaWoEMgPsGZ5SyMOA0zGADZ+QLMnpj7mqlTex+QPwxgsdTojzypKKJ
GMZCRb6ltyiVTwKCAQEA/9Q2Pi3bW59i0OZmxpGMNRtqgGBGcQ5qjRTNg5xRpIKd
tIIxI1Qd0q4bh82r5DbbI6umFSpezp72ekjo6p4SnQ6bj6YYRDSSn2IKsoYm36iR
jQv1V2+ePWWkHvPhNBlHXldL4os28cye2/hcqn6ZDglgBElq5W+j+IMOMEwTE7LJ
9BHaYFeVQPsVtCVFLVXDDYaDSKG+H4S1O/DeVRZfS+wHb1PPEaN7uIpH7sc0Coqb
1YKQtYRVEmD2x2xC9I66JaAYYHsXXRpPLIFhG/VVMrEVkRQS/7kBG0lEQcCxqJJY
wWCYYPBjvJvHwgTHZ3SCvN6La3ubZUL2AAArcjwGBwKCAQEA3PFPSBeW7UC6B2y+
dLCwNl5FaNNzf7oaDjKPOeJkqqkDN1BAMSTyBiGnT2/+Tj0KQfpi8BiApXFeutWp
KbMz1fg9hQvdK+Ccw9wdFKUyqK353VClZGwe3mMmq9fm4zTOzTQSD0MQ0RQbW73v
XdE4TvRWAHNJ19yHNAIfWJETCyPN/BWcHp4hLZPzlJ9OgouyOxAXECy4NdyP2rrY
YJYReg6+2jGGCsvrB01oiA5M7Zh6wRyZnCiblDlJcIY2nKrMIIFB3wLe45Gd206C
FmNonHD0Uh/Kt/uhyICoikyiseE88TY33jBjiVhN4uTW3HW1qoJXto7D/H9NPVYe
T9subQKCAQABPsgwz0pVDNaPS7/OUaEMFSEUlONi434TR7mkXVtsYJJh8YxJrrwi
bWSG6bJffwDcEJbTXYxulwl+GOLBWZmfmBWbwmQ12Mep7PE+YzbHOevTcu5zyYBM
rjT5TZiYB1N4mxYseR8AWE2hpnjU/57BGbyU6MKTcVKr//9OruAc5W7kOD4G4AZC
9bXqVZAbo2I6q5/x94+UWbIEI60BXwWBuhljKlZEsLYGdO3atK+FKZ2OkX8g0w8S
8tPgrp84z4UKb9gOiCrZ8inWfp65Yx1SDNidByr8gasGtfmWFFkJCAVUk6LKPgFO
RrfXMuzBjSihwLePA2ADQystXtLXUIF7AoIBAE9YC61JEITq9xzRTPyl0ziQNwSE
64//7A64Vkgh5WYypzWwg+WfWdP8UZUo2mh/8e6aavR97p6uVeUfJkE0us0Quqw0
cQ6AlN1lnR2z8jqmmsWY7zd/AZp47L5xdF8WW5l218xuc8f2ivqHuKuszxgGk9oO
zxP2laQkGje9x9MqFq60gCkJ+hfBvXB5vgkj/fMKf2f7Dw9PSY34dYXs7P1Jgmi/
tuJ0bvijfS82Hn8FgRmyXg5mxXQrq7EpEEQqEKuTUm2Uhh7TPfq4l2gRIAVaxFDQ
iEUj+w7noK42Do4sJdrN4xaan6SBxEfG7DDoNdQ48dHbKRcpmPClY4V96W0=
-----END RSA PRIVATE KEY-----\n";
    const GO_DSA_KEY: &str = "-----BEGIN DSA PRIVATE KEY-----
MIIDVQIBAAKCAQEA8rpJsQNzYFXc7UbuIcoqSC4neLFeJxPkgJbtD1gOoYQ27O1I
R/kLiOcae50LdxUB62ZW9J97Ig+lIGPVVKjNIe0rOTXrF5ZEd1Ai6+8QE66qyu2K
ndGmbE0AveIcWT+jalQfoKqb2pXjnnqAyVmcmRXBc9nk12knNZdCBNePloiCsZkn
VwHhF9+Wb1bBN7AeNjEkHyRE9Z5hnbXmZ40pZV9UsxD5FlMYU/ud7BLZr9XZ4CUj
8Jp3B0fZ++CoCBRNO3HlceR931b99vEWFOmUihGR12YP3qy+/y/fH0X+jSTard8E
z6JP3dONuLwD6lfxg6WFrDcpw4Rm6+qYOM9GMQIhANqUeiK5+5eEVuiV6E1utKjI
0zuX8f7528ux55obALXTAoIBAB422elC/JmPsP9oS36d5WCPqRz3GDnAy+DFtxHU
CPJ2Bl+JyC/XUTLuLZLAFs9BSmCrt3uJU0qqYzgAZ7Dkpn+pjr5Xk/IXTeIba4hP
LBys9A27J7kgGqKnlYkCSbwrPj2Zf68UMukSR22B+HLH7iligzc9LNDqlg8s0vd+
2vc2xukszBKUm8nMf2yT+4z2Kcm13yB/eHMGpsHyfEp+qBKUNJGb8hXQJBcwaQzx
zPQDZBzigN7oxNJp05FBOo48Teto+UHs+Sc7syljMZwniZeyumx45Qj5TTc05d3o
dNOEnsi6QStF3FiZnhikfFj6wJB1t4QkKqGKEX1C4+F4YjMCggEAOirFG7uZpHjP
jA3rZXORjHNf42wknNN6kgZb+M0DaVHXvIbWLkBr3oqCzOOO5WLzEv7IwxhYZNwP
A/lNTUuMRJaQYXxydiRkTRvastAA4lVLiNbNNaXgELXXhkdslgRaUw4nEyPCpQCs
q7SXKv+qFo1tKr7oEn6P1DMSmXEzntgs3pANMiZ9l96ZqY80f8SYTEZS35Xg/fvB
3cU68SYH0RkNne6WpspdEIW0UMvcBBUsKuGZcc5MYkDU5awduj8tY/KfEaKXBngd
uVcDr5hE+KDGZLAncle/Q+3sVoyzG87Np4HAbZP5gow952mFhTa1FM9odOCWtDXw
nLmi14hFxwIgWaSP3oO9aP5nzgmhCuiHarOi+hZpq6e6liloXeZiZrM=
-----END DSA PRIVATE KEY-----\n";

    #[test]
    fn go_made_keys_and_cas_work_here() {
        let map = funcs();
        // Our encoding of Go's keys is Go's, byte for byte.
        for key in [GO_CA_KEY, GO_ED25519_KEY, GO_RSA_KEY, GO_DSA_KEY] {
            assert_eq!(parse_private_key_pem(key).unwrap().to_pem().unwrap(), key);
        }
        // Same key, same subject key id as Go computed (SHA-1 of the key bits).
        let ours =
            map.call("genCAWithKey", &[Value::string("go-ca"), Value::int(3650), Value::string(GO_CA_KEY)]).unwrap();
        let ours = ours.as_object::<Certificate>().unwrap();
        let go_skid = parse_certificate(&pem_of(GO_CA_CERT).1).unwrap().subject_key_id;
        assert_eq!(parse_certificate(&pem_of(&ours.cert).1).unwrap().subject_key_id, go_skid);
        // Go's CA signs our leaf.
        let ca = Value::Object(Arc::new(Certificate { cert: GO_CA_CERT.to_string(), key: GO_CA_KEY.to_string() }));
        let leaf = map
            .call(
                "genSignedCertWithKey",
                &[Value::string("l"), Value::Nil, Value::Nil, Value::int(1), ca, Value::string(GO_ED25519_KEY)],
            )
            .unwrap();
        verify_signature(&leaf.as_object::<Certificate>().unwrap().cert, &parse_private_key_pem(GO_CA_KEY).unwrap());
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert!(map.call("buildCustomCert", &strs(&[&b64(GO_CA_CERT), &b64(GO_CA_KEY)])).is_ok());
    }

    /// Writes a CA, a leaf and keys for checking with Go and openssl by hand:
    /// `SPRIG_CERT_DIR=/tmp/x cargo test -p kots-template write_certs -- --ignored`.
    #[test]
    #[ignore]
    fn write_certs() {
        let dir = std::env::var("SPRIG_CERT_DIR").unwrap();
        let map = funcs();
        let ca = map.call("genCA", &[Value::string("my-ca"), Value::int(365)]).unwrap();
        let ca_obj = ca.as_object::<Certificate>().unwrap();
        std::fs::write(format!("{dir}/ca.crt"), &ca_obj.cert).unwrap();
        std::fs::write(format!("{dir}/ca.key"), &ca_obj.key).unwrap();
        let ips = Value::list(vec![Value::string("10.0.0.1"), Value::string("::1")]);
        let dns = Value::list(vec![Value::string("a.example.com"), Value::string("b")]);
        for kind in ["rsa", "ecdsa", "ed25519", "dsa"] {
            let key = call(&map, "genPrivateKey", &strs(&[kind]));
            std::fs::write(format!("{dir}/{kind}.key"), &key).unwrap();
            if kind == "dsa" {
                continue;
            }
            let leaf = map
                .call(
                    "genSignedCertWithKey",
                    &[Value::string("leaf"), ips.clone(), dns.clone(), Value::int(30), ca.clone(), Value::string(key)],
                )
                .unwrap();
            std::fs::write(format!("{dir}/{kind}-leaf.crt"), &leaf.as_object::<Certificate>().unwrap().cert).unwrap();
        }
        let own = map.call("genSelfSignedCert", &[Value::string(""), Value::Nil, dns, Value::int(1)]).unwrap();
        std::fs::write(format!("{dir}/self.crt"), &own.as_object::<Certificate>().unwrap().cert).unwrap();
        std::fs::write(format!("{dir}/enc.txt"), call(&map, "encryptAES", &strs(&["pässwörd", "hello from rust"])))
            .unwrap();
    }
}

/// Whole templates through the engine, with the output (`OK …`) or error (`ERR …`) that Go's
/// text/template + sprig 3.2.3 gave for each (from a Go probe program).
#[cfg(test)]
mod render_tests {
    const CASES: &[(&str, &str)] = &[
        (
            "{{ sha256sum \"abc\" }} {{ sha1sum \"abc\" }} {{ adler32sum \"abc\" }}",
            "OK ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad a9993e364706816aba3e25717850c26c9cd0d89d 38600999",
        ),
        ("{{ derivePassword 1 \"long\" \"password\" \"user\" \"example.com\" }}", "OK ZedaFaxcZaso9*"),
        ("{{ decryptAES \"secretkey\" \"TgT4tFyLs0LCLB9NA1gqgxdOYY4JeIDE8/C68MLRWH8=\" }}", "OK plaintext"),
        (
            "{{ decryptAES \"k\" \"YWJj\" }}",
            "ERR template: t:1:3: executing \"t\" at <decryptAES \"k\" \"YWJj\">: error calling decryptAES: runtime error: slice bounds out of range [:16] with capacity 3",
        ),
        ("{{ genPrivateKey \"x\" }}", "OK Unknown type x"),
        ("{{ htpasswd \"a:b\" \"c\" }}", "OK invalid username: a:b"),
        (
            "{{ buildCustomCert \"x\" \"y\" }}",
            "ERR template: t:1:3: executing \"t\" at <buildCustomCert \"x\" \"y\">: error calling buildCustomCert: unable to decode base64 certificate",
        ),
        (
            "{{ genSignedCert \"x\" nil nil 1 \"notacert\" }}",
            "ERR template: t:1:31: executing \"t\" at <\"notacert\">: can't handle \"notacert\" for arg of type sprig.certificate",
        ),
        (
            "{{ genCAWithKey \"x\" 1 \"junk\" }}",
            "ERR template: t:1:3: executing \"t\" at <genCAWithKey \"x\" 1 \"junk\">: error calling genCAWithKey: parsing private key: no PEM data in input",
        ),
        (
            "{{ derivePassword -1 \"pin\" \"a\" \"b\" \"c\" }}",
            "ERR template: t:1:18: executing \"t\" at <-1>: expected unsigned integer; found -1",
        ),
    ];

    #[test]
    fn templates_render_as_in_go() {
        crate::testing::assert_renders_as_go(CASES);
    }
}

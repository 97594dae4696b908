//! KOTS's certificate functions (`TLSCert`, `TLSKey`, `TLSCACert`, `TLSCertFromCA`,
//! `TLSKeyFromCA`) and `KubeSeal`. KOTS caches generated pairs in process-wide maps so that
//! every call with the same names returns the same PEM; here the caches belong to the
//! [`KotsContext`] (shared by its clones), so separate renders, and tests, start apart.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use rand::RngCore;

use super::KotsContext;
use crate::func::{ArgsExt, FuncError, FuncMap};
use crate::sprig::crypto::{self as sprig_crypto, Certificate};
use crate::value::{GoType, IntKind, Value};

/// KOTS's `TLSPair`: PEM certificate and key ("" both when generation failed, as KOTS keeps).
#[derive(Debug, Clone, Default)]
struct TlsPair {
    cert: String,
    key: String,
}

impl From<Result<Certificate, String>> for TlsPair {
    fn from(generated: Result<Certificate, String>) -> TlsPair {
        // KOTS prints the failure and caches an empty pair.
        generated.map(|c| TlsPair { cert: c.cert, key: c.key }).unwrap_or_default()
    }
}

/// KOTS's `tlsMap` (pairs by `cert:cn`, by `cert`, by `ca:cert:cn`) and `caMap` (CAs by name).
#[derive(Debug, Default)]
pub struct TlsCaches {
    pairs: Mutex<HashMap<String, TlsPair>>,
    cas: Mutex<HashMap<String, TlsPair>>,
}

impl TlsCaches {
    fn pairs(&self) -> std::sync::MutexGuard<'_, HashMap<String, TlsPair>> {
        self.pairs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn cas(&self) -> std::sync::MutexGuard<'_, HashMap<String, TlsPair>> {
        self.cas.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The CA named `name`, made (and cached) with `days` if missing.
    fn ca(&self, name: &str, days: i64) -> TlsPair {
        let mut cas = self.cas();
        cas.entry(name.to_string()).or_insert_with(|| sprig_crypto::gen_ca(name, days).into()).clone()
    }

    /// The pair `ca:cert:cn` signed by the CA, made and cached if missing.
    fn signed_by_ca(&self, ca: &str, cert: &str, cn: &str, ips: &Value, dns: &Value, days: i64) -> TlsPair {
        let key = format!("{ca}:{cert}:{cn}");
        if let Some(pair) = self.pairs().get(&key) {
            return pair.clone();
        }
        let authority = self.ca(ca, days);
        let pair: TlsPair = sprig_crypto::gen_signed(
            cn,
            ips,
            dns,
            days,
            &Certificate { cert: authority.cert.clone(), key: authority.key.clone() },
        )
        .into();
        self.pairs().insert(key, pair.clone());
        pair
    }
}

pub(super) fn register(map: &mut FuncMap, context: &KotsContext) {
    let s = GoType::String;
    let list = GoType::slice_any;
    let caches = context.tls.clone();
    map.add("TLSCert", vec![s.clone(), s.clone(), list(), list(), GoType::INT], move |_, a| {
        let (name, cn) = (a.str_arg(0)?, a.str_arg(1)?);
        let key = format!("{name}:{cn}");
        if let Some(pair) = caches.pairs().get(&key) {
            return Ok(Value::string(pair.cert.as_str()));
        }
        let pair: TlsPair = sprig_crypto::gen_self_signed(cn, a.arg(2)?, a.arg(3)?, a.int_arg(4)?).into();
        let mut pairs = caches.pairs();
        pairs.insert(key, pair.clone());
        // For TLSKey's one-argument form.
        pairs.insert(name.to_string(), pair.clone());
        Ok(Value::string(pair.cert))
    });
    let caches = context.tls.clone();
    map.add_variadic("TLSKey", vec![s.clone()], GoType::Any, move |_, a| {
        let name = a.str_arg(0)?;
        if a.len() != 5 {
            return Ok(Value::string(caches.pairs().get(name).map(|p| p.key.clone()).unwrap_or_default()));
        }
        // KOTS's type assertions: a wrong type gives "".
        let Some(cn) = a[1].as_str() else { return Ok(Value::string("")) };
        let list_or_nil = |v: &Value| matches!(v, Value::List(_) | Value::Nil | Value::Missing);
        if !list_or_nil(&a[2]) || !list_or_nil(&a[3]) {
            return Ok(Value::string(""));
        }
        let Value::Int(days, IntKind::Int) = a[4] else { return Ok(Value::string("")) };
        let key = format!("{name}:{cn}");
        if let Some(pair) = caches.pairs().get(&key) {
            return Ok(Value::string(pair.key.as_str()));
        }
        let pair: TlsPair = sprig_crypto::gen_self_signed(cn, &a[2], &a[3], days).into();
        caches.pairs().insert(key, pair.clone());
        Ok(Value::string(pair.key))
    });
    let caches = context.tls.clone();
    map.add("TLSCACert", vec![s.clone(), GoType::INT], move |_, a| {
        Ok(Value::string(caches.ca(a.str_arg(0)?, a.int_arg(1)?).cert))
    });
    let from_ca = vec![s.clone(), s.clone(), s.clone(), list(), list(), GoType::INT];
    let caches = context.tls.clone();
    map.add("TLSCertFromCA", from_ca.clone(), move |_, a| {
        let pair =
            caches.signed_by_ca(a.str_arg(0)?, a.str_arg(1)?, a.str_arg(2)?, a.arg(3)?, a.arg(4)?, a.int_arg(5)?);
        Ok(Value::string(pair.cert))
    });
    let caches = context.tls.clone();
    map.add("TLSKeyFromCA", from_ca, move |_, a| {
        let pair =
            caches.signed_by_ca(a.str_arg(0)?, a.str_arg(1)?, a.str_arg(2)?, a.arg(3)?, a.arg(4)?, a.int_arg(5)?);
        Ok(Value::string(pair.key))
    });
    map.add("KubeSeal", vec![s.clone(), s.clone(), s.clone(), s], |_, a| {
        kube_seal(a.str_arg(0)?, a.str_arg(1)?, a.str_arg(2)?, a.str_arg(3)?).map(Value::string)
    });
}

/// bitnami sealed-secrets' strict-scope encryption, as KOTS's `KubeSeal`: a random AES-256
/// session key, RSA-OAEP(SHA-256) with label `namespace/name` under the first certificate's
/// key, then std base64 of [u16 BE length][RSA ciphertext][AES-256-GCM, zero nonce, of value].
fn kube_seal(cert_pem: &str, namespace: &str, name: &str, value: &str) -> Result<String, FuncError> {
    use rsa::pkcs8::DecodePublicKey;
    let spkis =
        sprig_crypto::certificate_spkis(cert_pem).map_err(|e| FuncError::new(format!("failed to parse cert: {e}")))?;
    let spki = spkis.first().ok_or_else(|| FuncError::new("unable to find cert"))?;
    let public =
        rsa::RsaPublicKey::from_public_key_der(spki).map_err(|_| FuncError::new("failed to get public key"))?;
    let mut session = [0u8; 32];
    rand::rng().fill_bytes(&mut session);
    let label = format!("{namespace}/{name}");
    let padding = rsa::Oaep::new_with_label::<sha2_rsa::Sha256, _>(label);
    let sealed_key = public
        .encrypt(&mut rsa::rand_core::OsRng, padding, &session)
        .map_err(|e| FuncError::new(format!("failed to encrypt: {e}")))?;
    let mut out = (sealed_key.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&sealed_key);
    let aes = super::crypto::Aes::new(&session).ok_or_else(|| FuncError::new("failed to create cipher"))?;
    out.extend(super::crypto::gcm_seal(&aes, &[0u8; 12], value.as_bytes()));
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use base64::Engine;
    use rsa::pkcs1::DecodeRsaPrivateKey;

    use crate::kots::{self, KotsContext};
    use crate::sprig::crypto as sprig_crypto;
    use crate::value::Value;

    fn render(ctx: &KotsContext, text: &str) -> String {
        kots::render("t", text, &Arc::new(kots::funcs(ctx))).unwrap()
    }

    #[test]
    fn one_context_keeps_its_certificates_and_another_starts_empty() {
        let ctx = KotsContext::default();
        let ca = render(&ctx, "{{repl TLSCACert \"ca\" 1 }}");
        assert_eq!(ca, render(&ctx.clone(), "{{repl TLSCACert \"ca\" 1 }}"), "clones share the caches");
        assert_ne!(ca, render(&KotsContext::default(), "{{repl TLSCACert \"ca\" 1 }}"));
        let cert = render(&ctx, "{{repl TLSCert \"web\" \"example.com\" nil nil 1 }}");
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));
        // TLSKey's one-argument form reads the pair TLSCert cached under the cert name alone.
        let key = render(&ctx, "{{repl TLSKey \"web\" }}");
        assert!(key.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{key}");
        assert_eq!(key, render(&ctx, "{{repl TLSKey \"web\" \"example.com\" nil nil 1 }}"));
        assert_eq!(render(&ctx, "{{repl TLSKey \"other\" }}|"), "|");
        // A days argument that is not an int is KOTS's failed type assertion: "".
        assert_eq!(render(&ctx, "{{repl TLSKey \"web\" \"example.com\" nil nil \"1\" }}|"), "|");
    }

    #[test]
    fn kube_seal_output_opens_with_the_private_key() {
        let pair = sprig_crypto::gen_self_signed("sealed-secrets", &Value::Nil, &Value::Nil, 1).unwrap();
        let sealed = super::kube_seal(&pair.cert, "ns", "name", "clear").unwrap();
        let bytes = base64::engine::general_purpose::STANDARD.decode(sealed).unwrap();
        let n = u16::from_be_bytes([bytes[0], bytes[1]]) as usize;
        assert_eq!(n, 256, "a 2048-bit key");
        assert_eq!(bytes.len(), 2 + n + 5 + 16);
        let private = rsa::RsaPrivateKey::from_pkcs1_pem(&pair.key).unwrap();
        let padding = rsa::Oaep::new_with_label::<sha2_rsa::Sha256, _>("ns/name");
        let session = private.decrypt(padding, &bytes[2..2 + n]).unwrap();
        let aes = crate::kots::crypto::Aes::new(&session).unwrap();
        assert_eq!(crate::kots::crypto::gcm_open(&aes, &[0; 12], &bytes[2 + n..]).unwrap(), b"clear");
        let wrong_label = rsa::Oaep::new_with_label::<sha2_rsa::Sha256, _>("other/name");
        assert!(private.decrypt(wrong_label, &bytes[2..2 + n]).is_err(), "the label is the scope");
        let err = super::kube_seal("-----BEGIN CERTIFICATE-----\nSPA=\n-----END CERTIFICATE-----", "a", "b", "c")
            .unwrap_err();
        assert!(err.0.starts_with("failed to parse cert"), "{err}");
    }
}

//! Signing licenses, for the vendor server, in the format KOTS verifies.
//!
//! Two keys, as in KOTS: the vendor's *global* key signs each app's public key once (that
//! signature travels inside every license, naming the global key by ID), and the *app* key signs
//! licenses. So the global private key is needed only to make an [`AppKey`], not to sign a
//! license, and can stay offline. [`sign`] writes `kots.io/v1beta2` (RSA-PSS/SHA-256).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

use crate::Error;
use crate::envelope::{self, Envelope};
use crate::license::{ApiVersion, License};
use crate::pss::{self, Hash};

/// The smallest key this crate generates or signs with.
pub const MIN_KEY_BITS: usize = 2048;

/// The vendor's global key: signs app keys. Customers trust its public half by [`GlobalKey::id`].
#[derive(Clone)]
pub struct GlobalKey {
    id: String,
    private_key: RsaPrivateKey,
}

impl GlobalKey {
    /// A new random key of `bits` (at least [`MIN_KEY_BITS`]).
    pub fn generate(id: impl Into<String>, bits: usize) -> Result<GlobalKey, Error> {
        let id = id.into();
        let private_key = generate_key(&id, bits)?;
        Ok(GlobalKey { id, private_key })
    }

    /// The key in `pem` (`PRIVATE KEY` or `RSA PRIVATE KEY`, unencrypted).
    pub fn from_pem(id: impl Into<String>, pem: &str) -> Result<GlobalKey, Error> {
        let id = id.into();
        let private_key = load_key(&id, pem)?;
        Ok(GlobalKey { id, private_key })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The private key as PKCS#8 PEM, to store.
    pub fn to_pem(&self) -> Result<String, Error> {
        pss::private_key_to_pem(&self.private_key).map_err(|reason| key_error(&self.id, reason))
    }

    /// The public key as PEM, to give customers as `<id>.pem`.
    pub fn public_key_pem(&self) -> Result<String, Error> {
        pss::public_key_to_pem(&self.private_key.to_public_key()).map_err(|reason| key_error(&self.id, reason))
    }
}

impl fmt::Debug for GlobalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// An app's license-signing key, with its public PEM and the global key's signature over it.
#[derive(Clone)]
pub struct AppKey {
    private_key: RsaPrivateKey,
    public_key: RsaPublicKey,
    public_key_pem: String,
    key_signature: Vec<u8>,
    global_key_id: String,
}

impl AppKey {
    /// A new random app key of `bits`, vouched for by `global_key`.
    pub fn generate(bits: usize, global_key: &GlobalKey) -> Result<AppKey, Error> {
        Self::vouched(generate_key("app key", bits)?, global_key)
    }

    /// The app key in `pem`, vouched for (again) by `global_key`.
    pub fn from_pem(pem: &str, global_key: &GlobalKey) -> Result<AppKey, Error> {
        Self::vouched(load_key("app key", pem)?, global_key)
    }

    fn vouched(private_key: RsaPrivateKey, global_key: &GlobalKey) -> Result<AppKey, Error> {
        let public_key = private_key.to_public_key();
        let public_key_pem = pss::public_key_to_pem(&public_key).map_err(|reason| key_error("app key", reason))?;
        // KOTS signs the PEM text, not the key: the text is what travels in the license.
        let key_signature = pss::sign(&global_key.private_key, Hash::Sha256, public_key_pem.as_bytes())
            .map_err(|reason| key_error(&global_key.id, reason))?;
        Ok(AppKey { private_key, public_key, public_key_pem, key_signature, global_key_id: global_key.id.clone() })
    }

    /// The private key as PKCS#8 PEM, to store.
    pub fn to_pem(&self) -> Result<String, Error> {
        pss::private_key_to_pem(&self.private_key).map_err(|reason| key_error("app key", reason))
    }

    /// The public key PEM exactly as the global key signed it (customers can verify entitlement
    /// signatures with it).
    pub fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    pub fn global_key_id(&self) -> &str {
        &self.global_key_id
    }

    pub fn bits(&self) -> usize {
        self.public_key.n().bits()
    }
}

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppKey").field("global_key_id", &self.global_key_id).finish_non_exhaustive()
    }
}

fn key_error(key_id: &str, reason: impl Into<String>) -> Error {
    Error::InvalidKey { key_id: key_id.to_owned(), reason: reason.into() }
}

fn generate_key(key_id: &str, bits: usize) -> Result<RsaPrivateKey, Error> {
    if bits < MIN_KEY_BITS {
        return Err(key_error(key_id, format!("{bits}-bit RSA is too weak; use at least {MIN_KEY_BITS} bits")));
    }
    pss::generate(bits).map_err(|reason| key_error(key_id, reason))
}

fn load_key(key_id: &str, pem: &str) -> Result<RsaPrivateKey, Error> {
    let key = pss::private_key_from_pem(pem).map_err(|reason| key_error(key_id, reason))?;
    let bits = key.n().bits();
    if bits < MIN_KEY_BITS {
        return Err(key_error(key_id, format!("{bits}-bit RSA is too weak; use at least {MIN_KEY_BITS} bits")));
    }
    Ok(key)
}

/// Signs `license` with `app_key`: a `kots.io/v1beta2` license whose entitlements each carry a
/// `signature.v2` and whose `spec.signature` holds the whole, which [`crate::verify`] (and KOTS)
/// accept given the global key's public half.
pub fn sign(license: &License, app_key: &AppKey) -> Result<License, Error> {
    let mut signed = license.clone();
    signed.set_api_version(ApiVersion::V1Beta2);
    let license_id = signed.id().to_string();
    let failed = |reason: String| Error::Signing { license_id: license_id.clone(), reason };

    let spec = signed.spec_mut();
    spec.signature.clear();
    for (name, entitlement) in &mut spec.entitlements {
        let text = entitlement.value.signed_text().ok_or_else(|| {
            failed(format!(
                "entitlement `{name}` has the value {}; KOTS can sign only strings, integers and booleans",
                entitlement.value
            ))
        })?;
        let signature = pss::sign(&app_key.private_key, Hash::Sha256, text.as_bytes()).map_err(&failed)?;
        // A v1 (MD5) signature from an earlier version would no longer match: drop it.
        entitlement.signature.v1 = None;
        entitlement.signature.v2 = Some(STANDARD.encode(signature));
    }

    let license_data = signed.to_signed_json();
    let license_signature = pss::sign(&app_key.private_key, Hash::Sha256, &license_data).map_err(&failed)?;
    signed.spec_mut().signature = envelope::seal(&Envelope {
        license_data,
        app_public_key_pem: app_key.public_key_pem.clone(),
        license_signature,
        key_signature: app_key.key_signature.clone(),
        global_key_id: app_key.global_key_id.clone(),
    });
    Ok(signed)
}

#[cfg(test)]
pub(crate) mod test_keys {
    use std::sync::OnceLock;

    use super::*;

    /// One global key and one app key per test binary: RSA key generation is slow.
    pub(crate) fn keys() -> &'static (GlobalKey, AppKey) {
        static KEYS: OnceLock<(GlobalKey, AppKey)> = OnceLock::new();
        KEYS.get_or_init(|| {
            let global = GlobalKey::generate("test-global", MIN_KEY_BITS).unwrap();
            let app = AppKey::generate(MIN_KEY_BITS, &global).unwrap();
            (global, app)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::test_keys::keys;
    use super::*;
    use crate::license::{Entitlement, EntitlementValue, LicenseSpec};
    use crate::{TrustedKeys, verify};

    fn trusted() -> TrustedKeys {
        let mut trusted = TrustedKeys::new();
        trusted.add_pem("test-global", &keys().0.public_key_pem().unwrap()).unwrap();
        trusted
    }

    fn unsigned() -> License {
        let entitlement = |value| Entitlement { title: "T".into(), value, ..Entitlement::default() };
        let mut spec = LicenseSpec {
            license_id: "lic-1".into(),
            app_slug: "my-app".into(),
            endpoint: "https://vendor.example".into(),
            license_sequence: 2,
            is_airgap_supported: true,
            ..LicenseSpec::default()
        };
        spec.entitlements
            .insert("expires_at".into(), entitlement(EntitlementValue::String("2030-01-01T00:00:00Z".into())));
        spec.entitlements.insert("seats".into(), entitlement(EntitlementValue::Integer(25)));
        spec.entitlements.insert("sso".into(), entitlement(EntitlementValue::Boolean(true)));
        spec.other.insert("isKotsInstallEnabled".into(), serde_json::json!(true));
        License::new("acme", spec)
    }

    #[test]
    fn sign_then_verify_round_trips_through_yaml() {
        let signed = sign(&unsigned(), &keys().1).unwrap();
        let read_back = License::parse(&signed.to_yaml()).unwrap();
        let verified = verify(&read_back, &trusted()).unwrap();
        assert_eq!(verified.global_key_id, "test-global");
        assert_eq!(verified.differences, []);
        assert_eq!(verified.verified_entitlements, ["expires_at", "seats", "sso"]);
        assert_eq!(verified.license, signed);
        assert_eq!(verified.license.api_version(), ApiVersion::V1Beta2);
    }

    #[test]
    fn app_key_pem_is_what_go_writes() {
        let pem = keys().1.public_key_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n") && pem.ends_with("-----END PUBLIC KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
        assert_eq!(keys().1.bits(), 2048);
    }

    #[test]
    fn private_keys_survive_pem() {
        let (global, app) = keys();
        let global_again = GlobalKey::from_pem("test-global", &global.to_pem().unwrap()).unwrap();
        assert_eq!(global_again.public_key_pem().unwrap(), global.public_key_pem().unwrap());
        let app_again = AppKey::from_pem(&app.to_pem().unwrap(), &global_again).unwrap();
        assert_eq!(app_again.public_key_pem(), app.public_key_pem());
        let signed = sign(&unsigned(), &app_again).unwrap();
        assert!(verify(&signed, &trusted()).is_ok());
    }

    #[test]
    fn debug_never_shows_private_keys() {
        let (global, app) = keys();
        let shown = format!("{global:?} {app:?}");
        assert!(!shown.contains("private") && !shown.contains("BigUint"), "{shown}");
        assert!(shown.contains("test-global"));
    }

    #[test]
    fn verifies_the_salt_lengths_go_signers_use() {
        use rsa::Pss;
        use rsa::rand_core::OsRng;
        use sha2_rsa::{Digest, Sha256};

        let private_key = &keys().1.private_key;
        let public_key = private_key.to_public_key();
        let hashed = Sha256::digest(b"message");
        // Salt = hash length (Go's PSSSaltLengthEqualsHash) and the maximum (Go's default, the
        // real vectors) verify; other lengths are not tried.
        for (salt_len, verifies) in [(32, true), (222, true), (20, false)] {
            let signature =
                private_key.sign_with_rng(&mut OsRng, Pss::new_with_salt::<Sha256>(salt_len), &hashed).unwrap();
            assert_eq!(pss::verify(&public_key, Hash::Sha256, b"message", &signature), verifies, "salt {salt_len}");
        }
    }

    #[test]
    fn refuses_weak_keys() {
        let error = GlobalKey::generate("tiny", 1024).unwrap_err().to_string();
        assert!(error.contains("1024-bit RSA is too weak"), "{error}");
    }

    #[test]
    fn refuses_values_kots_cannot_sign() {
        let mut license = unsigned();
        license.spec_mut().entitlements.get_mut("seats").unwrap().value =
            EntitlementValue::Other(serde_json::json!(2.5));
        let error = sign(&license, &keys().1).unwrap_err().to_string();
        assert!(error.contains("`seats`") && error.contains("lic-1"), "{error}");
    }

    #[test]
    fn a_tampered_signature_is_rejected() {
        let mut signed = sign(&unsigned(), &keys().1).unwrap();
        // Swap the signed licenseData for other JSON, keeping the app key's signature.
        let mut envelope = envelope::open(&signed.spec().signature, ApiVersion::V1Beta2).unwrap();
        envelope.license_data =
            String::from_utf8(envelope.license_data).unwrap().replace("lic-1", "lic-2").into_bytes();
        signed.spec_mut().signature = envelope::seal(&envelope);
        let error = verify(&signed, &trusted()).unwrap_err();
        assert!(matches!(error, Error::SignatureInvalid { .. }), "{error}");
        assert!(error.to_string().contains("altered or is not from this vendor"), "{error}");
    }

    #[test]
    fn a_tampered_entitlement_signature_is_rejected() {
        // Re-sign the whole license with the app key but with a wrong entitlement signature: only
        // the entitlement check can catch it.
        let mut license = sign(&unsigned(), &keys().1).unwrap();
        let other = license.entitlement("sso").unwrap().signature.v2.clone();
        license.spec_mut().entitlements.get_mut("seats").unwrap().signature.v2 = other;
        let mut envelope = envelope::open(&license.spec().signature, ApiVersion::V1Beta2).unwrap();
        license.spec_mut().signature.clear();
        envelope.license_data = license.to_signed_json();
        envelope.license_signature = pss::sign(&keys().1.private_key, Hash::Sha256, &envelope.license_data).unwrap();
        license.spec_mut().signature = envelope::seal(&envelope);
        let error = verify(&license, &trusted()).unwrap_err();
        assert!(
            matches!(&error, Error::EntitlementSignatureInvalid { entitlement, .. } if entitlement == "seats"),
            "{error}"
        );
    }

    #[test]
    fn an_untrusted_global_key_is_named() {
        let signed = sign(&unsigned(), &keys().1).unwrap();
        let error = verify(&signed, &TrustedKeys::new()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "license `lic-1` is signed by global key `test-global`, which is not trusted; \
             pass `--trusted-key FILE` with that key's public PEM"
        );
    }

    #[test]
    fn another_key_under_the_trusted_id_is_rejected() {
        let signed = sign(&unsigned(), &keys().1).unwrap();
        let mut impostor = TrustedKeys::new();
        let real_kots_key = include_str!("../tests/vectors/keys/test-global-key-id.pem");
        impostor.add_pem("test-global", real_kots_key).unwrap();
        let error = verify(&signed, &impostor).unwrap_err();
        assert!(error.to_string().contains("not signed by global key `test-global`"), "{error}");
    }

    #[test]
    fn an_expired_license_is_reported_with_its_expiry() {
        let verified = verify(&sign(&unsigned(), &keys().1).unwrap(), &trusted()).unwrap();
        assert!(verified.check_expiry("2029-12-31T23:59:59Z".parse().unwrap()).is_ok());
        let error = verified.check_expiry("2030-01-02T00:00:00Z".parse().unwrap()).unwrap_err();
        assert!(matches!(&error, Error::Expired { license_id, .. } if license_id == "lic-1"));
        assert_eq!(error.to_string(), "license `lic-1` expired at 2030-01-01T00:00:00Z; ask the vendor to renew it");
    }

    #[test]
    fn an_edited_file_verifies_with_the_signed_values_and_a_warning() {
        let signed = sign(&unsigned(), &keys().1).unwrap();
        let edited = signed
            .to_yaml()
            .replace("https://vendor.example", "https://evil.example")
            .replace("value: 25", "value: 9999");
        let verified = verify(&License::parse(&edited).unwrap(), &trusted()).unwrap();
        assert_eq!(verified.license.endpoint(), "https://vendor.example");
        assert_eq!(verified.license.entitlement("seats").unwrap().value, EntitlementValue::Integer(25));
        let fields: Vec<_> = verified.differences.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["endpoint", "entitlements.seats.value"]);
        assert!(verified.was_altered());
    }

    #[test]
    fn an_unsigned_license_is_rejected() {
        let error = verify(&unsigned(), &trusted()).unwrap_err();
        assert!(matches!(error, Error::Unsigned { .. }), "{error}");
    }
}

//! The signature envelope in `spec.signature`: three nested JSON documents whose byte fields are
//! base64 strings (Go's `[]byte` in JSON), the whole base64 again.
//!
//! ```text
//! spec.signature = b64({"licenseData": b64(signed license JSON),
//!                       "innerSignature": b64({"v2LicenseSignature": b64(sig by app key),
//!                                              "publicKey": "<app key PEM>",
//!                                              "v2KeySignature": b64({"signature": b64(sig by global key),
//!                                                                      "globalKeyId": "…"})})})
//! ```
//!
//! `kots.io/v1beta1` names the inner fields `licenseSignature` and `keySignature` (MD5);
//! `kots.io/v1beta2` names them `v2LicenseSignature` and `v2KeySignature` (SHA-256). This module
//! only takes the envelope apart and puts it together; [`crate::verify`] decides what to trust.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::license::ApiVersion;

/// What a signature envelope holds, for one signature scheme.
#[derive(Debug, Clone)]
pub(crate) struct Envelope {
    /// The signed license JSON, byte for byte as signed.
    pub license_data: Vec<u8>,
    /// The app public key PEM text, as the global key signed it.
    pub app_public_key_pem: String,
    /// The app key's signature over `license_data`.
    pub license_signature: Vec<u8>,
    /// The global key's signature over `app_public_key_pem`.
    pub key_signature: Vec<u8>,
    pub global_key_id: String,
}

// The byte fields are base64 text in JSON; they are decoded one by one so that an error can name
// the field. `Option` because Go writes a nil `[]byte` as `null`.

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Outer {
    license_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    inner_signature: Option<String>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Inner {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    license_signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v2_license_signature: Option<String>,
    #[serde(default)]
    public_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_signature: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v2_key_signature: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeySignature {
    signature: Option<String>,
    #[serde(default)]
    global_key_id: String,
}

/// The bytes in base64 field `name`; empty when the field is absent or `null`.
fn decode(name: &str, field: Option<&str>) -> Result<Vec<u8>, String> {
    STANDARD.decode(field.unwrap_or_default()).map_err(|e| format!("`{name}` is not base64: {e}"))
}

/// Takes `spec.signature` apart, picking the fields of `version`'s scheme. The error is the
/// reason the envelope is malformed.
pub(crate) fn open(signature: &str, version: ApiVersion) -> Result<Envelope, String> {
    // Go's decoder skips line breaks inside base64; so do we, in case a YAML editor folded it.
    let compact: String = signature.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let outer_json = decode("spec.signature", Some(&compact))?;
    let outer: Outer =
        serde_json::from_slice(&outer_json).map_err(|e| format!("the outer signature is not valid: {e}"))?;
    let license_data = decode("licenseData", outer.license_data.as_deref())?;
    let inner_json = decode("innerSignature", outer.inner_signature.as_deref())?;
    if inner_json.is_empty() {
        return Err("it has no `innerSignature`: this is the pre-2020 signature format, which is not supported".into());
    }
    let inner: Inner =
        serde_json::from_slice(&inner_json).map_err(|e| format!("the inner signature is not valid: {e}"))?;
    let (license_signature_name, key_signature_name, license_signature, key_signature) = match version {
        ApiVersion::V1Beta1 => ("licenseSignature", "keySignature", inner.license_signature, inner.key_signature),
        ApiVersion::V1Beta2 => {
            ("v2LicenseSignature", "v2KeySignature", inner.v2_license_signature, inner.v2_key_signature)
        }
    };
    let required = |name: &str, field: Option<&str>| {
        let bytes = decode(name, field)?;
        if bytes.is_empty() {
            return Err(format!("the inner signature has no `{name}`, which a {version} license needs"));
        }
        Ok(bytes)
    };
    let license_signature = required(license_signature_name, license_signature.as_deref())?;
    let key_signature_json = required(key_signature_name, key_signature.as_deref())?;
    if inner.public_key.trim().is_empty() {
        return Err(format!("the inner signature has no `publicKey`, which a {version} license needs"));
    }
    let key_signature: KeySignature =
        serde_json::from_slice(&key_signature_json).map_err(|e| format!("`{key_signature_name}` is not valid: {e}"))?;
    Ok(Envelope {
        license_data,
        app_public_key_pem: inner.public_key,
        license_signature,
        key_signature: required("signature", key_signature.signature.as_deref())?,
        global_key_id: key_signature.global_key_id,
    })
}

/// Puts a `kots.io/v1beta2` envelope together: the text for `spec.signature`.
pub(crate) fn seal(envelope: &Envelope) -> String {
    let key_signature = KeySignature {
        signature: Some(STANDARD.encode(&envelope.key_signature)),
        global_key_id: envelope.global_key_id.clone(),
    };
    let inner = Inner {
        v2_license_signature: Some(STANDARD.encode(&envelope.license_signature)),
        public_key: envelope.app_public_key_pem.clone(),
        v2_key_signature: Some(STANDARD.encode(to_json(&key_signature))),
        ..Inner::default()
    };
    let outer = Outer {
        license_data: Some(STANDARD.encode(&envelope.license_data)),
        inner_signature: Some(STANDARD.encode(to_json(&inner))),
    };
    STANDARD.encode(to_json(&outer))
}

fn to_json(value: &impl Serialize) -> Vec<u8> {
    // These structs hold only strings: serialising them cannot fail.
    serde_json::to_vec(value).expect("signature envelope serialises to JSON")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        Envelope {
            license_data: br#"{"apiVersion":"kots.io/v1beta2"}"#.to_vec(),
            app_public_key_pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".into(),
            license_signature: vec![1, 2, 3],
            key_signature: vec![4, 5, 6],
            global_key_id: "global".into(),
        }
    }

    #[test]
    fn seal_then_open_round_trips() {
        let sealed = seal(&sample());
        let opened = open(&sealed, ApiVersion::V1Beta2).unwrap();
        assert_eq!(opened.license_data, sample().license_data);
        assert_eq!(opened.app_public_key_pem, sample().app_public_key_pem);
        assert_eq!(opened.license_signature, vec![1, 2, 3]);
        assert_eq!(opened.key_signature, vec![4, 5, 6]);
        assert_eq!(opened.global_key_id, "global");
    }

    #[test]
    fn a_v1beta2_envelope_has_no_v1beta1_signatures() {
        // A license whose apiVersion was edited down to v1beta1 must not verify with v2 fields.
        let error = open(&seal(&sample()), ApiVersion::V1Beta1).unwrap_err();
        assert!(error.contains("licenseSignature"), "{error}");
    }

    #[test]
    fn explains_malformed_envelopes() {
        assert!(open("!!!", ApiVersion::V1Beta2).unwrap_err().contains("`spec.signature` is not base64"));
        assert!(open(&STANDARD.encode("[]"), ApiVersion::V1Beta2).unwrap_err().contains("outer signature"));
        let old_format = STANDARD.encode(r#"{"licenseData":"e30="}"#);
        assert!(open(&old_format, ApiVersion::V1Beta2).unwrap_err().contains("pre-2020"));
        let bad_inner = STANDARD.encode(r#"{"licenseData":"e30=","innerSignature":"e30"}"#);
        assert!(open(&bad_inner, ApiVersion::V1Beta2).unwrap_err().contains("`innerSignature` is not base64"));
    }

    #[test]
    fn tolerates_line_breaks_in_the_base64() {
        let sealed = seal(&sample());
        let folded = sealed.as_bytes().chunks(60).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>();
        assert!(open(&folded.join("\n"), ApiVersion::V1Beta2).is_ok());
    }
}

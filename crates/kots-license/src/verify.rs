//! Verifying a license as KOTS does, for the customer CLI.
//!
//! The chain: a trusted global key signed the app public key's PEM text; the app key signed the
//! license JSON carried inside the signature (`licenseData`); the app key also signed each
//! entitlement's value. Only what is signed counts: [`verify`] returns the license decoded from
//! `licenseData`, never the outer YAML, and lists the outer fields that disagree with it so the
//! CLI can warn that the file was edited.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use rsa::RsaPublicKey;

use crate::license::{EntitlementSignature, License};
use crate::pss::{self, Hash};
use crate::{Error, TrustedKeys, envelope};

/// A license whose signature chain checked out.
#[derive(Debug, Clone)]
pub struct VerifiedLicense {
    /// The license as signed (from `licenseData`), with the outer `spec.signature` kept so it
    /// can be written out and verified again.
    pub license: License,
    /// The trusted global key that vouched for the app key.
    pub global_key_id: String,
    /// Fields of the outer YAML that differ from the signed license (which wins).
    pub differences: Vec<FieldDifference>,
    /// Entitlements whose own signature verified, sorted.
    pub verified_entitlements: Vec<String>,
}

impl VerifiedLicense {
    /// Fails with [`Error::Expired`] once `now` is past the license's `expires_at`.
    pub fn check_expiry(&self, now: jiff::Timestamp) -> Result<(), Error> {
        match self.license.expires_at()? {
            Some(expired_at) if now > expired_at => {
                Err(Error::Expired { license_id: self.license.id().to_string(), expired_at })
            }
            _ => Ok(()),
        }
    }

    /// Whether the license file was edited after signing (see [`VerifiedLicense::differences`]).
    pub fn was_altered(&self) -> bool {
        !self.differences.is_empty()
    }
}

/// One field where the outer YAML and the signed license disagree. Values are shown as text
/// (strings as they are, anything else as JSON); `None` where the field is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDifference {
    /// The field's path as KOTS spells it: `licenseID`, `endpoint`, `metadata.name`,
    /// `entitlements.seats.value`.
    pub field: String,
    pub outer: Option<String>,
    pub signed: Option<String>,
}

impl fmt::Display for FieldDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |value: &Option<String>| value.as_ref().map_or("(absent)".to_owned(), |v| format!("`{v}`"));
        write!(
            f,
            "`{}` is {} in the license file but {} in its signature; using the signed value",
            self.field,
            show(&self.outer),
            show(&self.signed)
        )
    }
}

/// Verifies `license` against the `trusted` global keys and returns the signed license.
pub fn verify(license: &License, trusted: &TrustedKeys) -> Result<VerifiedLicense, Error> {
    let license_id = license.id().to_string();
    if !license.is_signed() {
        return Err(Error::Unsigned { license_id });
    }
    let version = license.api_version();
    let hash = version.signature_hash();
    let malformed = |reason: String| Error::MalformedSignature { license_id: license_id.clone(), reason };
    let invalid = |detail: String| Error::SignatureInvalid { license_id: license_id.clone(), detail };

    let envelope = envelope::open(&license.spec().signature, version).map_err(malformed)?;
    let vouches =
        |key: &RsaPublicKey| pss::verify(key, hash, envelope.app_public_key_pem.as_bytes(), &envelope.key_signature);
    match trusted.get(&envelope.global_key_id) {
        // Trusted under the license's key ID: that key and no other must have signed.
        Some(global_key) if !vouches(global_key) => {
            return Err(invalid(format!("the app key is not signed by global key `{}`", envelope.global_key_id)));
        }
        Some(_) => {}
        // Trusted under another name (a file called `vendor.pem`): known by its signature.
        None if trusted.iter().any(|(_, key)| vouches(key)) => {}
        None => return Err(Error::UntrustedKey { license_id, key_id: envelope.global_key_id }),
    }
    let app_key = pss::public_key_from_pem(&envelope.app_public_key_pem)
        .map_err(|reason| malformed(format!("the app public key is unusable: {reason}")))?;
    if !pss::verify(&app_key, hash, &envelope.license_data, &envelope.license_signature) {
        return Err(invalid("the license data is not signed by the app key".into()));
    }

    let mut signed = License::from_signed_json(&envelope.license_data)
        .map_err(|reason| malformed(format!("the signed license data is not a license: {reason}")))?;
    signed.spec_mut().signature = license.spec().signature.clone();

    let mut verified_entitlements = Vec::new();
    for (name, entitlement) in signed.entitlements() {
        let bad = || Error::EntitlementSignatureInvalid { license_id: license_id.clone(), entitlement: name.clone() };
        let signatures = entitlement_signatures(&entitlement.signature).map_err(|_| bad())?;
        if signatures.is_empty() {
            continue;
        }
        let text = entitlement.value.signed_text().ok_or_else(bad)?;
        for (hash, signature) in signatures {
            if !pss::verify(&app_key, hash, text.as_bytes(), &signature) {
                return Err(bad());
            }
        }
        verified_entitlements.push(name.clone());
    }

    Ok(VerifiedLicense {
        differences: differences(license, &signed),
        license: signed,
        global_key_id: envelope.global_key_id,
        verified_entitlements,
    })
}

/// The signatures an entitlement carries, decoded: `v1` is MD5, `v2` SHA-256. Empty strings
/// count as absent, as in KOTS.
fn entitlement_signatures(signature: &EntitlementSignature) -> Result<Vec<(Hash, Vec<u8>)>, base64::DecodeError> {
    let mut signatures = Vec::new();
    for (hash, text) in [(Hash::Md5, &signature.v1), (Hash::Sha256, &signature.v2)] {
        if let Some(text) = text.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            signatures.push((hash, STANDARD.decode(text)?));
        }
    }
    Ok(signatures)
}

/// The fields where `outer` and `signed` disagree, compared after both went through the same
/// types (so `1.232435e+06` and `1232435` are equal, as in KOTS).
fn differences(outer: &License, signed: &License) -> Vec<FieldDifference> {
    let outer = serde_json::to_value(outer).unwrap_or_default();
    let signed = serde_json::to_value(signed).unwrap_or_default();
    let mut found = Vec::new();
    for field in ["apiVersion", "kind"] {
        compare(&mut found, field.to_owned(), outer.get(field), signed.get(field), 0);
    }
    compare(&mut found, "metadata".to_owned(), outer.get("metadata"), signed.get("metadata"), 1);
    let empty = serde_json::Map::new();
    let outer_spec = outer.get("spec").and_then(|spec| spec.as_object()).unwrap_or(&empty);
    let signed_spec = signed.get("spec").and_then(|spec| spec.as_object()).unwrap_or(&empty);
    let mut keys: Vec<&String> = outer_spec.keys().chain(signed_spec.keys()).collect();
    keys.sort();
    keys.dedup();
    // Spec fields are named without a `spec.` prefix, as KOTS names them in its warnings.
    for key in keys.into_iter().filter(|key| *key != "signature") {
        // Entitlements are compared per entitlement and per field of each.
        let depth = if key == "entitlements" { 2 } else { 0 };
        compare(&mut found, key.clone(), outer_spec.get(key), signed_spec.get(key), depth);
    }
    found
}

fn compare(
    found: &mut Vec<FieldDifference>,
    path: String,
    outer: Option<&serde_json::Value>,
    signed: Option<&serde_json::Value>,
    depth: usize,
) {
    if outer == signed {
        return;
    }
    if let (Some(serde_json::Value::Object(outer)), Some(serde_json::Value::Object(signed)), 1..) =
        (outer, signed, depth)
    {
        let mut keys: Vec<&String> = outer.keys().chain(signed.keys()).collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            compare(found, format!("{path}.{key}"), outer.get(key), signed.get(key), depth - 1);
        }
        return;
    }
    let text = |value: Option<&serde_json::Value>| {
        value.map(|value| match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    };
    found.push(FieldDifference { field: path, outer: text(outer), signed: text(signed) });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_descends_only_as_deep_as_asked() {
        let outer = serde_json::json!({"a": {"value": 1, "title": "x"}, "b": {"value": 2}});
        let signed = serde_json::json!({"a": {"value": 1, "title": "y"}, "c": {"value": 3}});
        let mut found = Vec::new();
        compare(&mut found, "entitlements".into(), Some(&outer), Some(&signed), 2);
        let fields: Vec<_> = found.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["entitlements.a.title", "entitlements.b", "entitlements.c"]);
        assert_eq!(found[0].outer.as_deref(), Some("x"));
        assert_eq!(found[1].signed, None);
        assert_eq!(found[2].signed.as_deref(), Some(r#"{"value":3}"#));

        let mut shallow = Vec::new();
        compare(&mut shallow, "channels".into(), Some(&outer), Some(&signed), 0);
        assert_eq!(shallow.len(), 1);
    }

    #[test]
    fn a_difference_reads_as_a_warning() {
        let difference = FieldDifference {
            field: "licenseID".into(),
            outer: Some("abc-modified".into()),
            signed: Some("abc".into()),
        };
        assert_eq!(
            difference.to_string(),
            "`licenseID` is `abc-modified` in the license file but `abc` in its signature; using the signed value"
        );
    }
}

//! The license document (`kind: License`, `kots.io/v1beta1` or `kots.io/v1beta2`) as typed data.
//!
//! The fields KOTS defines are typed; anything else in `metadata`, `spec`, a channel or an
//! entitlement is kept in an `other` map, so a license read and written again loses nothing a
//! newer vendor service may have added. YAML and the signed JSON go through the same types, so
//! the outer file and the signed copy compare field by field.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Error;
use crate::pss::Hash;

/// Fields this crate does not know, kept as they were read.
pub type OtherFields = BTreeMap<String, serde_json::Value>;

/// The entitlement that holds the expiry, an RFC 3339 time (empty: never expires).
pub const EXPIRES_AT: &str = "expires_at";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    /// Signed with RSA-PSS over MD5.
    V1Beta1,
    /// Signed with RSA-PSS over SHA-256.
    V1Beta2,
}

impl ApiVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1Beta1 => "kots.io/v1beta1",
            ApiVersion::V1Beta2 => "kots.io/v1beta2",
        }
    }

    pub(crate) fn signature_hash(self) -> Hash {
        match self {
            ApiVersion::V1Beta1 => Hash::Md5,
            ApiVersion::V1Beta2 => Hash::Sha256,
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ApiVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ApiVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "kots.io/v1beta1" => Ok(ApiVersion::V1Beta1),
            "kots.io/v1beta2" => Ok(ApiVersion::V1Beta2),
            other => Err(serde::de::Error::custom(format!(
                "unsupported apiVersion `{other}`: expected `kots.io/v1beta1` or `kots.io/v1beta2`"
            ))),
        }
    }
}

/// `kind: License`, the only kind this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LicenseKind;

impl Serialize for LicenseKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("License")
    }
}

impl<'de> Deserialize<'de> for LicenseKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let kind = String::deserialize(deserializer)?;
        if kind == "License" {
            Ok(LicenseKind)
        } else {
            Err(serde::de::Error::custom(format!("kind is `{kind}`, expected `License`")))
        }
    }
}

/// A license ID as the vendor issued it (`spec.licenseID`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LicenseId(String);

impl LicenseId {
    pub fn new(id: impl Into<String>) -> Self {
        LicenseId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LicenseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for LicenseId {
    fn from(id: &str) -> Self {
        LicenseId(id.to_owned())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub name: String,
    #[serde(flatten)]
    pub other: OtherFields,
}

/// `spec` of a license. Plain data: the vendor server fills it in and [`crate::sign`] signs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseSpec {
    #[serde(rename = "licenseID")]
    pub license_id: LicenseId,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub license_type: String,
    #[serde(rename = "customerID", default, skip_serializing_if = "String::is_empty")]
    pub customer_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub customer_email: String,
    pub app_slug: String,
    #[serde(rename = "channelID", default, skip_serializing_if = "String::is_empty")]
    pub channel_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<Channel>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub license_sequence: i64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub replicated_proxy_domain: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub entitlements: BTreeMap<String, Entitlement>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_airgap_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_git_ops_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_identity_service_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_geoaxis_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_snapshot_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_disaster_recovery_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_support_bundle_upload_supported: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_semver_required: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_embedded_cluster_download_enabled: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_embedded_cluster_multi_node_enabled: bool,
    /// Fields this crate does not know (e.g. `isKotsInstallEnabled`), kept as read.
    #[serde(flatten)]
    pub other: OtherFields,
    /// The signature envelope (base64); empty on a license that is not signed yet.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    #[serde(rename = "channelID", default)]
    pub channel_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel_slug: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub channel_name: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_default: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub endpoint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub replicated_proxy_domain: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_semver_required: bool,
    #[serde(flatten)]
    pub other: OtherFields,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entitlement {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "EntitlementValue::is_absent")]
    pub value: EntitlementValue,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value_type: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub is_hidden: bool,
    #[serde(default)]
    pub signature: EntitlementSignature,
    #[serde(flatten)]
    pub other: OtherFields,
}

/// An entitlement's own signatures, base64 as in the file. `v1` is RSA-PSS/MD5 and `v2`
/// RSA-PSS/SHA-256, both by the app key over the value's text ([`EntitlementValue::signed_text`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntitlementSignature {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v1: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub v2: Option<String>,
    #[serde(flatten)]
    pub other: OtherFields,
}

/// An entitlement value. KOTS knows strings, integers and booleans; anything else is kept as
/// read but cannot carry a signature.
#[derive(Debug, Clone, PartialEq)]
pub enum EntitlementValue {
    String(String),
    Integer(i64),
    Boolean(bool),
    /// A value of another type, or `null` for none.
    Other(serde_json::Value),
}

impl Default for EntitlementValue {
    fn default() -> Self {
        EntitlementValue::Other(serde_json::Value::Null)
    }
}

impl EntitlementValue {
    fn is_absent(&self) -> bool {
        matches!(self, EntitlementValue::Other(serde_json::Value::Null))
    }

    /// The text an entitlement signature covers: Go's `fmt.Sprint` of the value (`587`, `true`,
    /// `2030-01-01T00:00:00Z`). `None` for a value KOTS cannot sign.
    pub fn signed_text(&self) -> Option<String> {
        match self {
            EntitlementValue::String(text) => Some(text.clone()),
            EntitlementValue::Integer(number) => Some(number.to_string()),
            EntitlementValue::Boolean(flag) => Some(flag.to_string()),
            EntitlementValue::Other(_) => None,
        }
    }
}

impl fmt::Display for EntitlementValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntitlementValue::String(text) => f.write_str(text),
            EntitlementValue::Integer(number) => write!(f, "{number}"),
            EntitlementValue::Boolean(flag) => write!(f, "{flag}"),
            EntitlementValue::Other(value) => write!(f, "{value}"),
        }
    }
}

impl Serialize for EntitlementValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            EntitlementValue::String(text) => serializer.serialize_str(text),
            EntitlementValue::Integer(number) => serializer.serialize_i64(*number),
            EntitlementValue::Boolean(flag) => serializer.serialize_bool(*flag),
            EntitlementValue::Other(value) => value.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for EntitlementValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => EntitlementValue::String(text),
            serde_json::Value::Bool(flag) => EntitlementValue::Boolean(flag),
            serde_json::Value::Number(number) => match number.as_i64() {
                Some(integer) => EntitlementValue::Integer(integer),
                // Go writes large integers held as float64 in exponent form (`1.232435e+06`
                // in a real license); KOTS reads them back as the integer, and so do we.
                None => match number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18) {
                    Some(float) => EntitlementValue::Integer(float as i64),
                    None => EntitlementValue::Other(serde_json::Value::Number(number)),
                },
            },
            other => EntitlementValue::Other(other),
        })
    }
}

fn is_false(flag: &bool) -> bool {
    !*flag
}

fn is_zero(number: &i64) -> bool {
    *number == 0
}

/// A KOTS license. Reading one does not verify it: see [`crate::verify`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct License {
    #[serde(rename = "apiVersion")]
    api_version: ApiVersion,
    kind: LicenseKind,
    #[serde(default)]
    metadata: Metadata,
    spec: LicenseSpec,
    #[serde(flatten)]
    other: OtherFields,
}

impl License {
    /// A new, unsigned `kots.io/v1beta2` license.
    pub fn new(name: impl Into<String>, spec: LicenseSpec) -> License {
        License {
            api_version: ApiVersion::V1Beta2,
            kind: LicenseKind,
            metadata: Metadata { name: name.into(), other: OtherFields::new() },
            spec,
            other: OtherFields::new(),
        }
    }

    /// Reads a license file's YAML (`kots.io/v1beta1` or `kots.io/v1beta2`).
    pub fn parse(yaml: &str) -> Result<License, Error> {
        let document: serde_json::Value = serde_saphyr::from_str(yaml).map_err(Error::invalid_license)?;
        Self::from_document(document)
    }

    /// Reads the license file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<License, Error> {
        let path = path.as_ref();
        let yaml = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        License::parse(&yaml).map_err(|e| e.with_path(path))
    }

    /// The signed JSON inside a signature envelope.
    pub(crate) fn from_signed_json(json: &[u8]) -> Result<License, String> {
        let document: serde_json::Value = serde_json::from_slice(json).map_err(|e| e.to_string())?;
        Self::from_document(document).map_err(|e| e.to_string())
    }

    fn from_document(document: serde_json::Value) -> Result<License, Error> {
        if !document.is_object() {
            return Err(Error::invalid_license("expected a YAML mapping with `apiVersion`, `kind` and `spec`"));
        }
        serde_json::from_value(document).map_err(Error::invalid_license)
    }

    /// The license as YAML, fields in KOTS's order, unknown fields kept.
    pub fn to_yaml(&self) -> String {
        // Long single-line strings (the signature) stay plain scalars, as KOTS writes them,
        // rather than folded (`>-`) blocks; multi-line text still uses `|` blocks.
        let mut options = serde_saphyr::SerializerOptions::default();
        options.folded_wrap_chars = usize::MAX;
        // Every part of a license is a string-keyed map, a string, a number or a boolean, all of
        // which YAML can hold.
        serde_saphyr::to_string_with_options(self, options).expect("a license serialises to YAML")
    }

    /// The license as the JSON that a signature covers.
    pub(crate) fn to_signed_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a license serialises to JSON")
    }

    pub fn api_version(&self) -> ApiVersion {
        self.api_version
    }

    pub(crate) fn set_api_version(&mut self, version: ApiVersion) {
        self.api_version = version;
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    pub fn spec(&self) -> &LicenseSpec {
        &self.spec
    }

    /// Changing a signed license invalidates its signature; sign it again afterwards.
    pub fn spec_mut(&mut self) -> &mut LicenseSpec {
        &mut self.spec
    }

    pub fn id(&self) -> &LicenseId {
        &self.spec.license_id
    }

    pub fn app_slug(&self) -> &str {
        &self.spec.app_slug
    }

    /// The vendor service this license talks to (`spec.endpoint`).
    pub fn endpoint(&self) -> &str {
        &self.spec.endpoint
    }

    pub fn customer_name(&self) -> &str {
        &self.spec.customer_name
    }

    pub fn license_type(&self) -> &str {
        &self.spec.license_type
    }

    pub fn channel_id(&self) -> &str {
        &self.spec.channel_id
    }

    pub fn channels(&self) -> &[Channel] {
        &self.spec.channels
    }

    /// The channel marked default, if the license lists channels.
    pub fn default_channel(&self) -> Option<&Channel> {
        self.spec.channels.iter().find(|channel| channel.is_default)
    }

    /// `spec.licenseSequence`: the vendor bumps it on every change of the license.
    pub fn sequence(&self) -> i64 {
        self.spec.license_sequence
    }

    pub fn is_airgap_supported(&self) -> bool {
        self.spec.is_airgap_supported
    }

    pub fn is_semver_required(&self) -> bool {
        self.spec.is_semver_required
    }

    pub fn entitlements(&self) -> &BTreeMap<String, Entitlement> {
        &self.spec.entitlements
    }

    pub fn entitlement(&self, name: &str) -> Option<&Entitlement> {
        self.spec.entitlements.get(name)
    }

    pub fn is_signed(&self) -> bool {
        !self.spec.signature.trim().is_empty()
    }

    /// When the license expires, from the `expires_at` entitlement; `None` if it never does
    /// (no such entitlement, or an empty value).
    pub fn expires_at(&self) -> Result<Option<jiff::Timestamp>, Error> {
        let Some(entitlement) = self.entitlement(EXPIRES_AT) else { return Ok(None) };
        let invalid =
            || Error::InvalidExpiry { license_id: self.id().to_string(), value: entitlement.value.to_string() };
        match &entitlement.value {
            EntitlementValue::String(text) if text.trim().is_empty() => Ok(None),
            EntitlementValue::String(text) => text.trim().parse().map(Some).map_err(|_| invalid()),
            EntitlementValue::Other(serde_json::Value::Null) => Ok(None),
            _ => Err(invalid()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "\
apiVersion: kots.io/v1beta2
kind: License
metadata:
  name: acme
spec:
  licenseID: lic-1
  appSlug: my-app
  endpoint: https://replicated.app
  licenseSequence: 3
  isAirgapSupported: true
  channels:
  - channelID: c1
    channelSlug: stable
    isDefault: true
    futureChannelField: 7
  entitlements:
    expires_at:
      title: Expiration
      value: \"2030-07-27T00:00:00Z\"
      valueType: String
      signature: {}
    seats:
      title: Seats
      value: 10
      valueType: Integer
      signature: {}
      futureEntitlementField: [a, b]
  isKotsInstallEnabled: true
  futureSpecField:
    nested: \"1\"
status:
  anything: here
";

    #[test]
    fn reads_the_fields_kots_defines() {
        let license = License::parse(MINIMAL).unwrap();
        assert_eq!(license.api_version(), ApiVersion::V1Beta2);
        assert_eq!(license.name(), "acme");
        assert_eq!(license.id().as_str(), "lic-1");
        assert_eq!(license.app_slug(), "my-app");
        assert_eq!(license.endpoint(), "https://replicated.app");
        assert_eq!(license.sequence(), 3);
        assert!(license.is_airgap_supported());
        assert!(!license.is_signed());
        assert_eq!(license.default_channel().unwrap().channel_slug, "stable");
        assert_eq!(license.entitlement("seats").unwrap().value, EntitlementValue::Integer(10));
        assert_eq!(license.expires_at().unwrap(), Some("2030-07-27T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn yaml_round_trip_keeps_unknown_fields() {
        let license = License::parse(MINIMAL).unwrap();
        let yaml = license.to_yaml();
        for field in
            ["isKotsInstallEnabled", "futureSpecField", "futureChannelField", "futureEntitlementField", "status"]
        {
            assert!(yaml.contains(field), "{field} lost:\n{yaml}");
        }
        let again = License::parse(&yaml).unwrap();
        assert_eq!(again, license);
        assert_eq!(again.spec().other["futureSpecField"]["nested"], serde_json::json!("1"));
    }

    #[test]
    fn go_float_integers_read_as_integers() {
        // A real license writes the signed integer 1232435 as `1.232435e+06` in its YAML.
        let yaml = MINIMAL.replace("value: 10", "value: 1.232435e+06");
        let license = License::parse(&yaml).unwrap();
        assert_eq!(license.entitlement("seats").unwrap().value, EntitlementValue::Integer(1_232_435));
        assert_eq!(license.entitlement("seats").unwrap().value.signed_text().unwrap(), "1232435");
    }

    #[test]
    fn signed_text_is_what_go_prints() {
        assert_eq!(EntitlementValue::Boolean(true).signed_text().unwrap(), "true");
        assert_eq!(EntitlementValue::Integer(-5).signed_text().unwrap(), "-5");
        assert_eq!(EntitlementValue::String("a b".into()).signed_text().unwrap(), "a b");
        assert_eq!(EntitlementValue::Other(serde_json::json!(1.5)).signed_text(), None);
    }

    #[test]
    fn expiry_empty_means_never_and_garbage_is_an_error() {
        let never = License::parse(&MINIMAL.replace("\"2030-07-27T00:00:00Z\"", "\"\"")).unwrap();
        assert_eq!(never.expires_at().unwrap(), None);
        let garbage = License::parse(&MINIMAL.replace("\"2030-07-27T00:00:00Z\"", "next tuesday")).unwrap();
        let error = garbage.expires_at().unwrap_err().to_string();
        assert!(error.contains("lic-1") && error.contains("next tuesday"), "{error}");
    }

    #[test]
    fn rejects_what_is_not_a_license() {
        for (yaml, expected) in [
            ("apiVersion: kots.io/v1beta3\nkind: License\nspec: {licenseID: a, appSlug: b}", "kots.io/v1beta3"),
            ("apiVersion: kots.io/v1beta2\nkind: Config\nspec: {licenseID: a, appSlug: b}", "expected `License`"),
            ("apiVersion: kots.io/v1beta2\nkind: License\nspec: {appSlug: b}", "licenseID"),
            ("- a\n- b\n", "YAML mapping"),
            ("apiVersion: kots.io/v1beta2\napiVersion: kots.io/v1beta1\n", "duplicate"),
        ] {
            let error = License::parse(yaml).unwrap_err().to_string();
            assert!(error.contains(expected), "{yaml:?}: {error}");
        }
    }

    #[test]
    fn load_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("license.yaml");
        std::fs::write(&path, "kind: License\n").unwrap();
        let error = License::load(&path).unwrap_err();
        assert!(error.to_string().contains("license.yaml"), "{error}");
        assert!(matches!(error.kind(), Error::InvalidLicense { .. }));
    }
}

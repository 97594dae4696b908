//! Every license in `tests/vectors/` (real KOTS test data, see its README) must do exactly what
//! KOTS does with it: verify, be rejected, or verify with the signed values winning over edits.

use std::path::{Path, PathBuf};

use kots_license::{
    ApiVersion, EntitlementValue, Error, FieldDifference, License, TrustedKeys, VerifiedLicense, verify,
};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn load(name: &str) -> License {
    License::load(vectors().join(name)).unwrap()
}

fn trusted() -> TrustedKeys {
    TrustedKeys::load_dir(vectors().join("keys")).unwrap()
}

fn verified(name: &str) -> VerifiedLicense {
    verify(&load(name), &trusted()).unwrap_or_else(|error| panic!("{name}: {error}"))
}

fn difference(field: &str, outer: &str, signed: &str) -> FieldDifference {
    FieldDifference { field: field.into(), outer: Some(outer.into()), signed: Some(signed.into()) }
}

const PRODUCTION: &str = "bdee56560cfb43c9b28bf98eacafa646";
const DEV: &str = "1d3f7f6b50714fe7b895554dd65773b0";
const TEST: &str = "test-global-key-id";

/// What each vector must do; a vector added without a line here fails `every_vector_is_covered`.
const EXPECTED: &[(&str, &str)] = &[
    ("valid.yaml", "verifies"),
    ("valid-with-entitlement-signature.yaml", "verifies"),
    ("valid-v1beta2.yaml", "verifies"),
    ("invalid-signature.yaml", "rejected"),
    ("invalid-v1beta2-signature.yaml", "rejected"),
    ("invalid-changed-licenseID.yaml", "signed value wins"),
    ("invalid-changed-endpoint.yaml", "signed value wins"),
    ("invalid-v1beta2-changed-licenseID.yaml", "signed value wins"),
];

#[test]
fn every_vector_is_covered() {
    let mut found: Vec<String> = std::fs::read_dir(vectors())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    found.sort();
    let mut expected: Vec<&str> = EXPECTED.iter().map(|(name, _)| *name).collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn valid_v1beta1_verifies_with_md5() {
    let verified = verified("valid.yaml");
    assert_eq!(verified.global_key_id, PRODUCTION);
    assert_eq!(verified.differences, []);
    assert_eq!(verified.verified_entitlements, Vec::<String>::new());
    let license = &verified.license;
    assert_eq!(license.api_version(), ApiVersion::V1Beta1);
    assert_eq!(license.id().as_str(), "1vusOokxAVp1tkRGuyxnF23PJcq");
    assert_eq!(license.app_slug(), "my-app");
    assert_eq!(license.endpoint(), "https://replicated.app");
    assert_eq!(license.sequence(), 7);
    assert!(license.is_airgap_supported());
    assert_eq!(license.entitlement("int_field").unwrap().value, EntitlementValue::Integer(123));
    assert_eq!(license.entitlement("text_field").unwrap().value, EntitlementValue::String("multi\nline\ntext".into()));
    assert_eq!(license.expires_at().unwrap(), Some("2030-07-27T00:00:00Z".parse().unwrap()));
    // The verified license keeps the signature, so it can be saved and verified again.
    assert_eq!(license.spec().signature, load("valid.yaml").spec().signature);
}

#[test]
fn valid_v1beta1_entitlement_signatures_verify() {
    let verified = verified("valid-with-entitlement-signature.yaml");
    assert_eq!(verified.global_key_id, DEV);
    assert_eq!(verified.verified_entitlements, ["expires_at", "testing"]);
    // The file writes the integer as `1.232435e+06`, the signed JSON as `1232435`: the same value.
    assert_eq!(verified.differences, []);
    assert_eq!(verified.license.entitlement("testing").unwrap().value, EntitlementValue::Integer(1_232_435));
    assert_eq!(verified.license.channels().len(), 1);
    assert!(verified.license.default_channel().unwrap().is_semver_required);
}

#[test]
fn valid_v1beta2_verifies_with_sha256_and_its_entitlements_too() {
    let verified = verified("valid-v1beta2.yaml");
    assert_eq!(verified.global_key_id, TEST);
    assert_eq!(verified.differences, []);
    assert_eq!(
        verified.verified_entitlements,
        ["bool_default_false_set_true", "expires_at", "int_default_0_set_587", "string_default_empty_set_teststring"]
    );
    let license = &verified.license;
    assert_eq!(license.api_version(), ApiVersion::V1Beta2);
    assert_eq!(license.id().as_str(), "test-license-id");
    assert_eq!(license.default_channel().unwrap().channel_slug, "stable");
    assert!(license.is_semver_required());
    assert!(!license.is_airgap_supported());
}

#[test]
fn a_changed_v1beta1_payload_is_rejected() {
    let error = verify(&load("invalid-signature.yaml"), &trusted()).unwrap_err();
    assert!(
        matches!(&error, Error::SignatureInvalid { license_id, .. } if license_id == "1vusOokxAVp1tkRGuyxnF23PJcq"),
        "{error}"
    );
    assert!(error.to_string().contains("the license was altered or is not from this vendor"), "{error}");
}

#[test]
fn a_mangled_v1beta2_signature_is_rejected_as_malformed() {
    let error = verify(&load("invalid-v1beta2-signature.yaml"), &trusted()).unwrap_err();
    assert!(
        matches!(&error, Error::MalformedSignature { license_id, .. } if license_id == "test-license-id"),
        "{error}"
    );
    assert!(error.to_string().contains("`innerSignature` is not base64"), "{error}");
}

#[test]
fn an_edited_license_id_loses_to_the_signed_one() {
    let verified = verified("invalid-changed-licenseID.yaml");
    assert_eq!(verified.license.id().as_str(), "1vusOokxAVp1tkRGuyxnF23PJcq");
    assert_eq!(
        verified.differences,
        [difference("licenseID", "1vusOokxAVp1tkRGuyxnF23PJcq-modified", "1vusOokxAVp1tkRGuyxnF23PJcq")]
    );
}

#[test]
fn an_edited_endpoint_loses_to_the_signed_one() {
    let verified = verified("invalid-changed-endpoint.yaml");
    assert_eq!(verified.license.endpoint(), "https://replicated.app");
    assert_eq!(
        verified.differences,
        [difference("endpoint", "https://replicated.app.modified", "https://replicated.app")]
    );
    assert_eq!(
        verified.differences[0].to_string(),
        "`endpoint` is `https://replicated.app.modified` in the license file but `https://replicated.app` \
         in its signature; using the signed value"
    );
}

#[test]
fn an_edited_v1beta2_license_id_loses_to_the_signed_one() {
    let verified = verified("invalid-v1beta2-changed-licenseID.yaml");
    assert_eq!(verified.license.id().as_str(), "test-license-id");
    assert_eq!(verified.differences, [difference("licenseID", "test-license-id-modified", "test-license-id")]);
    assert_eq!(verified.verified_entitlements.len(), 4);
}

#[test]
fn every_signed_vector_names_its_untrusted_key() {
    for (name, key_id) in
        [("valid.yaml", PRODUCTION), ("valid-with-entitlement-signature.yaml", DEV), ("valid-v1beta2.yaml", TEST)]
    {
        let error = verify(&load(name), &TrustedKeys::new()).unwrap_err();
        assert!(matches!(&error, Error::UntrustedKey { key_id: id, .. } if id == key_id), "{name}: {error}");
        assert!(error.to_string().contains("--trusted-key"), "{error}");
    }
}

#[test]
fn trusting_the_wrong_key_under_the_right_id_fails() {
    // The dev key's PEM under the production key's ID: the app key's signature must not verify.
    let mut trusted = TrustedKeys::new();
    let dev_key = std::fs::read_to_string(vectors().join("keys").join(format!("{DEV}.pem"))).unwrap();
    trusted.add_pem(PRODUCTION, &dev_key).unwrap();
    let error = verify(&load("valid.yaml"), &trusted).unwrap_err();
    assert!(error.to_string().contains(&format!("not signed by global key `{PRODUCTION}`")), "{error}");
}

#[test]
fn a_key_file_of_any_name_is_trusted_for_its_content() {
    // `kots-vendor key export > vendor.pem`: the file is not named after the key ID. This
    // failed with "signed by a key this machine does not trust".
    let dir = tempfile::tempdir().unwrap();
    let key = std::fs::read_to_string(vectors().join("keys").join(format!("{PRODUCTION}.pem"))).unwrap();
    std::fs::write(dir.path().join("vendor.pem"), key).unwrap();
    let mut trusted = TrustedKeys::new();
    trusted.add_file(dir.path().join("vendor.pem")).unwrap();
    let verified = verify(&load("valid.yaml"), &trusted).unwrap();
    assert_eq!(verified.global_key_id, PRODUCTION, "the license's own key ID is reported");
    // Another vendor's license is not trusted through it.
    let error = verify(&load("valid-with-entitlement-signature.yaml"), &trusted).unwrap_err();
    assert!(matches!(&error, Error::UntrustedKey { key_id, .. } if key_id == DEV), "{error}");
}

#[test]
fn vectors_survive_a_yaml_round_trip() {
    for (name, expected) in EXPECTED {
        let license = load(name);
        let again = License::parse(&license.to_yaml()).unwrap();
        assert_eq!(again, license, "{name}");
        if *expected != "rejected" {
            let before = verify(&license, &trusted()).unwrap();
            let after = verify(&again, &trusted()).unwrap();
            assert_eq!(after.license, before.license, "{name}");
            assert_eq!(after.differences, before.differences, "{name}");
        }
    }
}

#[test]
fn expiry_is_checked_against_the_signed_value() {
    let verified = verified("valid-v1beta2.yaml");
    assert!(verified.check_expiry("2025-12-31T23:59:59Z".parse().unwrap()).is_ok());
    let error = verified.check_expiry("2026-01-01T00:00:00Z".parse().unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "license `test-license-id` expired at 2025-12-31T23:59:59Z; ask the vendor to renew it"
    );
}

use kots_license::*;
#[test]
fn export() {
    let global = GlobalKey::generate("g1", 2048).unwrap();
    let app = AppKey::generate(2048, &global).unwrap();
    let mut spec = LicenseSpec { license_id: "lic-x".into(), app_slug: "app".into(), ..Default::default() };
    spec.entitlements.insert("seats".into(), Entitlement { title: "Seats".into(), value: EntitlementValue::Integer(7), value_type: "Integer".into(), ..Default::default() });
    spec.entitlements.insert("expires_at".into(), Entitlement { value: EntitlementValue::String("2031-01-01T00:00:00Z".into()), ..Default::default() });
    let signed = sign(&License::new("cust", spec), &app).unwrap();
    std::fs::write("/tmp/klt/signed.yaml", signed.to_yaml()).unwrap();
    std::fs::write("/tmp/klt/g1.pem", global.public_key_pem().unwrap()).unwrap();
}

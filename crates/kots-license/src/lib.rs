//! The KOTS license format: read it, verify it (the customer CLI) and sign it (the vendor server),
//! compatible with the licenses KOTS and the vendor service exchange.
//!
//! A license is YAML (`kind: License`, `kots.io/v1beta1` or `kots.io/v1beta2`) whose
//! `spec.signature` carries a signed JSON copy of the whole license and a two-key RSA-PSS chain:
//! a trusted global key vouches for the app key, the app key signs the license and each
//! entitlement. [`verify`] trusts only the signed copy and reports where the file disagrees with
//! it; [`sign`] produces licenses that KOTS itself accepts.
//!
//! ```no_run
//! # fn main() -> Result<(), kots_license::Error> {
//! use kots_license::{License, TrustedKeys, verify};
//!
//! let license = License::load("license.yaml")?;
//! let trusted = TrustedKeys::load_dir("keys")?;
//! let verified = verify(&license, &trusted)?;
//! for difference in &verified.differences {
//!     eprintln!("warning: {difference}");
//! }
//! verified.check_expiry(kots_license::Timestamp::now())?;
//! # Ok(())
//! # }
//! ```

mod envelope;
mod error;
mod license;
mod pss;
mod sign;
mod trust;
mod verify;

pub use error::Error;
/// The time type of [`License::expires_at`] and [`VerifiedLicense::check_expiry`].
pub use jiff::Timestamp;
pub use license::{
    ApiVersion, Channel, EXPIRES_AT, Entitlement, EntitlementSignature, EntitlementValue, License, LicenseId,
    LicenseSpec, Metadata, OtherFields,
};
pub use sign::{AppKey, GlobalKey, MIN_KEY_BITS, sign};
pub use trust::TrustedKeys;
pub use verify::{FieldDifference, VerifiedLicense, verify};

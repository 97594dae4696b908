use std::path::PathBuf;

/// Everything that can go wrong with a license, naming the license (by its ID) or the file, and
/// saying what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a valid KOTS license: {reason}")]
    InvalidLicense { reason: String },

    #[error("license `{license_id}` is not signed; ask the vendor for a signed license file")]
    Unsigned { license_id: String },

    #[error("license `{license_id}` has a malformed signature: {reason}; ask the vendor for a new license file")]
    MalformedSignature { license_id: String, reason: String },

    #[error(
        "license `{license_id}` is signed by global key `{key_id}`, which is not trusted; \
         pass `--trusted-key FILE` with that key's public PEM"
    )]
    UntrustedKey { license_id: String, key_id: String },

    #[error(
        "license `{license_id}` signature does not verify: the license was altered or is not from this vendor \
         ({detail})"
    )]
    SignatureInvalid { license_id: String, detail: String },

    #[error(
        "license `{license_id}`: the signature of entitlement `{entitlement}` does not verify: \
         the entitlement was altered or is not from this vendor"
    )]
    EntitlementSignatureInvalid { license_id: String, entitlement: String },

    #[error("license `{license_id}` expired at {expired_at}; ask the vendor to renew it")]
    Expired { license_id: String, expired_at: jiff::Timestamp },

    #[error(
        "license `{license_id}` has an invalid expiry `{value}`: expected an RFC 3339 time such as `2030-12-31T00:00:00Z`"
    )]
    InvalidExpiry { license_id: String, value: String },

    #[error("key `{key_id}` is not usable: {reason}")]
    InvalidKey { key_id: String, reason: String },

    #[error("cannot sign license `{license_id}`: {reason}")]
    Signing { license_id: String, reason: String },

    #[error("{}: {source}", path.display())]
    WithPath {
        path: PathBuf,
        #[source]
        source: Box<Error>,
    },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub(crate) fn with_path(self, path: impl Into<PathBuf>) -> Self {
        Error::WithPath { path: path.into(), source: Box::new(self) }
    }

    pub(crate) fn invalid_license(reason: impl std::fmt::Display) -> Self {
        Error::InvalidLicense { reason: reason.to_string() }
    }

    /// The error beneath any file name it was wrapped in, to match on its kind.
    pub fn kind(&self) -> &Error {
        match self {
            Error::WithPath { source, .. } => source.kind(),
            other => other,
        }
    }
}

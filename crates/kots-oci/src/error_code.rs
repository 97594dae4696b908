//! The OCI distribution error codes and the `{"errors":[{code,message,detail}]}` body that
//! carries them, shared by the registry (which sends them) and the transfer client (which
//! decides on them), so that both spell a code the same way and neither compares strings.
//!
//! Codes the spec does not name (Distribution's own, or a registry's invention) are kept as
//! text in [`ErrorCode::Other`]: a client can still show them, and falls back to the HTTP
//! status to decide.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One error code of the OCI distribution spec (and the few of Distribution's that registries
/// send in practice).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    /// Distribution's: `n` of a paginated list is not a number.
    PaginationNumberInvalid,
    /// Distribution's: a chunk's `Content-Range` does not fit the upload.
    RangeInvalid,
    /// Distribution's: the registry failed for a reason of its own.
    Unknown,
    /// Distribution's: the registry cannot serve right now.
    Unavailable,
    /// Any other code, as the registry spelled it.
    Other(String),
}

/// The spelled-out codes, in one table so that `as_str` and parsing cannot disagree.
const NAMED: [(ErrorCode, &str); 18] = [
    (ErrorCode::BlobUnknown, "BLOB_UNKNOWN"),
    (ErrorCode::BlobUploadInvalid, "BLOB_UPLOAD_INVALID"),
    (ErrorCode::BlobUploadUnknown, "BLOB_UPLOAD_UNKNOWN"),
    (ErrorCode::DigestInvalid, "DIGEST_INVALID"),
    (ErrorCode::ManifestBlobUnknown, "MANIFEST_BLOB_UNKNOWN"),
    (ErrorCode::ManifestInvalid, "MANIFEST_INVALID"),
    (ErrorCode::ManifestUnknown, "MANIFEST_UNKNOWN"),
    (ErrorCode::NameInvalid, "NAME_INVALID"),
    (ErrorCode::NameUnknown, "NAME_UNKNOWN"),
    (ErrorCode::SizeInvalid, "SIZE_INVALID"),
    (ErrorCode::Unauthorized, "UNAUTHORIZED"),
    (ErrorCode::Denied, "DENIED"),
    (ErrorCode::Unsupported, "UNSUPPORTED"),
    (ErrorCode::TooManyRequests, "TOOMANYREQUESTS"),
    (ErrorCode::PaginationNumberInvalid, "PAGINATION_NUMBER_INVALID"),
    (ErrorCode::RangeInvalid, "RANGE_INVALID"),
    (ErrorCode::Unknown, "UNKNOWN"),
    (ErrorCode::Unavailable, "UNAVAILABLE"),
];

impl ErrorCode {
    /// The code as it travels (`BLOB_UNKNOWN`, …).
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(text) => text,
            named => NAMED.iter().find(|(code, _)| code == named).map_or("UNKNOWN", |(_, text)| text),
        }
    }

    /// Whether this is a code of the spec or of Distribution, rather than a registry's own.
    pub fn is_known(&self) -> bool {
        !matches!(self, ErrorCode::Other(_))
    }

    /// Reads a code; never fails, unknown codes are kept as [`ErrorCode::Other`].
    pub fn parse(text: &str) -> ErrorCode {
        NAMED
            .iter()
            .find(|(_, name)| *name == text)
            .map_or_else(|| ErrorCode::Other(text.to_owned()), |(code, _)| code.clone())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(ErrorCode::parse(text))
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(ErrorCode::parse(&String::deserialize(deserializer)?))
    }
}

/// One entry of an error body. Registries leave out what they like; a missing code reads as
/// an empty [`ErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorInfo {
    #[serde(default = "no_code")]
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Code-specific facts (`{"digest": …}`, `{"size": …}`); `null` when there are none.
    #[serde(default)]
    pub detail: serde_json::Value,
}

fn no_code() -> ErrorCode {
    ErrorCode::Other(String::new())
}

/// The body of every failed distribution request: `{"errors":[{code,message,detail}]}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<ErrorInfo>,
}

impl ErrorBody {
    /// A body of one error.
    pub fn one(code: ErrorCode, message: impl Into<String>, detail: serde_json::Value) -> ErrorBody {
        ErrorBody { errors: vec![ErrorInfo { code, message: Some(message.into()), detail }] }
    }

    /// Reads a body; `None` if it is not one (empty, HTML from a proxy, another JSON shape).
    pub fn parse(bytes: &[u8]) -> Option<ErrorBody> {
        serde_json::from_slice::<ErrorBody>(bytes).ok().filter(|body| !body.errors.is_empty())
    }

    /// Whether any of the errors has one of `codes`.
    pub fn has_any(&self, codes: &[ErrorCode]) -> bool {
        self.errors.iter().any(|error| codes.contains(&error.code))
    }

    /// Whether any error carries a code of the spec or Distribution (not only a registry's own).
    pub fn has_known_code(&self) -> bool {
        self.errors.iter().any(|error| error.code.is_known())
    }

    /// The first error's message, for a user.
    pub fn message(&self) -> Option<&str> {
        self.errors.first().and_then(|error| error.message.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_ones_are_kept() {
        for (code, text) in NAMED {
            assert_eq!(code.as_str(), text);
            assert_eq!(text.parse::<ErrorCode>().unwrap(), code);
        }
        assert_eq!(ErrorCode::parse("NOT_FOUND"), ErrorCode::Other("NOT_FOUND".into()));
        assert_eq!(ErrorCode::parse("NOT_FOUND").as_str(), "NOT_FOUND");
        assert!(!ErrorCode::parse("NOT_FOUND").is_known());
    }

    #[test]
    fn bodies_serialise_as_the_spec_writes_them() {
        let body = ErrorBody::one(ErrorCode::BlobUnknown, "gone", serde_json::json!({ "digest": "sha256:x" }));
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"errors":[{"code":"BLOB_UNKNOWN","message":"gone","detail":{"digest":"sha256:x"}}]}"#
        );
        let read = ErrorBody::parse(br#"{"errors":[{"code":"DENIED","message":"no"},{"code":"X"}]}"#).unwrap();
        assert!(read.has_any(&[ErrorCode::Denied]));
        assert_eq!(read.errors[1].code, ErrorCode::Other("X".into()));
        assert_eq!(read.message(), Some("no"));
        let without_code = ErrorBody::parse(br#"{"errors":[{"message":"odd"}]}"#).unwrap();
        assert!(!without_code.has_known_code());
        assert_eq!(without_code.message(), Some("odd"));
        for not_a_body in [&b""[..], b"<html>", b"{}", br#"{"errors":[]}"#] {
            assert_eq!(ErrorBody::parse(not_a_body), None);
        }
    }
}

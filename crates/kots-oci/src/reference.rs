//! Image references (`nginx`, `registry.corp:5000/app/api:1.2@sha256:…`) and the names and tags
//! inside them.
//!
//! Parsing and Docker Hub normalisation (`nginx` → `docker.io/library/nginx:latest`) come from
//! `oci-spec`, which follows Docker's own rules. We keep the text the user wrote as well, because
//! kustomize matches image names literally: a rewrite must name `nginx` the way the manifest does.

use std::fmt;
use std::str::FromStr;

use oci_spec::distribution::Reference;

use crate::{Digest, Error};

/// Longest repository name a registry accepts (Distribution's limit, counted with the host).
pub const NAME_MAX_LEN: usize = 255;
/// Longest tag the OCI grammar allows.
pub const TAG_MAX_LEN: usize = 128;

/// A parsed image reference that remembers how it was written.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ImageReference {
    original: String,
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl ImageReference {
    pub fn parse(input: &str) -> Result<ImageReference, Error> {
        let invalid = |reason: String| Error::InvalidReference { input: input.to_owned(), reason };
        let parsed = Reference::try_from(input).map_err(|e| invalid(e.to_string()))?;
        let digest = parsed.digest().map(Digest::parse).transpose().map_err(|e| invalid(e.to_string()))?;
        validate_repository_name(parsed.repository()).map_err(invalid)?;
        // oci-spec fills in `latest` only when there is neither tag nor digest, as Docker does.
        Ok(ImageReference {
            original: input.to_owned(),
            registry: parsed.registry().to_owned(),
            repository: parsed.repository().to_owned(),
            tag: parsed.tag().map(str::to_owned),
            digest,
        })
    }

    /// The text this reference was parsed from.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The spelling of the name as written, without tag or digest (`nginx`, `library/nginx`).
    pub fn original_name(&self) -> &str {
        let without_digest = self.original.split_once('@').map_or(self.original.as_str(), |(name, _)| name);
        // A `:` after the last `/` starts the tag; one before it belongs to a host's port.
        match without_digest.rfind(':') {
            Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
            _ => without_digest,
        }
    }

    /// The registry host, `docker.io` for Docker Hub.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path inside the registry, `library/nginx` for `nginx`.
    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// `registry/repository`, normalised.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The repository's last path component (`nginx` for `docker.io/library/nginx`).
    pub fn last_component(&self) -> &str {
        self.repository.rsplit('/').next().unwrap_or(&self.repository)
    }

    /// The same image under another registry and repository, keeping tag and digest.
    pub fn with_name(&self, registry: &str, repository: &str) -> ImageReference {
        let mut moved = ImageReference {
            original: String::new(),
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            tag: self.tag.clone(),
            digest: self.digest.clone(),
        };
        moved.original = moved.to_string();
        moved
    }
}

/// The normalised form: `docker.io/library/nginx:latest`, `host/repo:tag@sha256:…`.
impl fmt::Display for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ImageReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImageReference({:?} = {self})", self.original)
    }
}

impl FromStr for ImageReference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageReference::parse(s)
    }
}

/// Checks a repository name against the OCI distribution grammar:
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
/// The grammar forbids `..`, empty components and leading separators, so a valid name is also a
/// safe relative path.
pub fn validate_repository_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the repository name is empty".to_owned());
    }
    if name.len() > NAME_MAX_LEN {
        return Err(format!("the repository name is {} characters long; the limit is {NAME_MAX_LEN}", name.len()));
    }
    for component in name.split('/') {
        validate_path_component(component).map_err(|reason| format!("path component `{component}` {reason}"))?;
    }
    Ok(())
}

fn validate_path_component(component: &str) -> Result<(), &'static str> {
    let bytes = component.as_bytes();
    let alphanumeric = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() {
        return Err("is empty (two slashes in a row, or a leading or trailing slash)");
    }
    if !alphanumeric(bytes[0]) || !alphanumeric(bytes[bytes.len() - 1]) {
        return Err("must start and end with a lowercase letter or digit");
    }
    let mut index = 0;
    while index < bytes.len() {
        if alphanumeric(bytes[index]) {
            index += 1;
            continue;
        }
        // A separator run: `.`, `_`, `__` or one or more `-`.
        let start = index;
        while index < bytes.len() && !alphanumeric(bytes[index]) {
            index += 1;
        }
        let separator = &component[start..index];
        let valid = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !valid {
            return Err("may contain only lowercase letters, digits and the separators `.`, `_`, `__`, `-`");
        }
    }
    Ok(())
}

/// Checks a tag against `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn validate_tag(tag: &str) -> Result<(), String> {
    let bytes = tag.as_bytes();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    if bytes.is_empty() || bytes.len() > TAG_MAX_LEN {
        return Err(format!("a tag has 1 to {TAG_MAX_LEN} characters"));
    }
    if bytes[0] == b'.' || bytes[0] == b'-' {
        return Err("a tag must start with a letter, digit or `_`".to_owned());
    }
    if !bytes.iter().all(|&b| allowed(b)) {
        return Err("a tag may contain only letters, digits, `_`, `.` and `-`".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn normalises_docker_hub_and_keeps_the_spelling() {
        for (input, normalised, original_name) in [
            ("nginx", "docker.io/library/nginx:latest", "nginx"),
            ("library/nginx:1.25", "docker.io/library/nginx:1.25", "library/nginx"),
            ("docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25", "docker.io/library/nginx"),
            ("index.docker.io/bitnami/redis", "docker.io/bitnami/redis:latest", "index.docker.io/bitnami/redis"),
            ("localhost:5000/app/api", "localhost:5000/app/api:latest", "localhost:5000/app/api"),
            ("reg.corp:5000/app/api:2", "reg.corp:5000/app/api:2", "reg.corp:5000/app/api"),
        ] {
            let reference = ImageReference::parse(input).unwrap();
            assert_eq!(reference.to_string(), normalised, "{input}");
            assert_eq!(reference.original(), input);
            assert_eq!(reference.original_name(), original_name, "{input}");
        }
    }

    #[test]
    fn digest_references_get_no_default_tag() {
        let digest = Digest::sha256_of(b"x");
        let reference = ImageReference::parse(&format!("quay.io/org/app@{digest}")).unwrap();
        assert_eq!(reference.tag(), None);
        assert_eq!(reference.digest(), Some(&digest));
        assert_eq!(reference.original_name(), "quay.io/org/app");
        let moved = reference.with_name("reg.corp", "myapp/app");
        assert_eq!(moved.to_string(), format!("reg.corp/myapp/app@{digest}"));
        assert_eq!(moved.last_component(), "app");
    }

    #[test]
    fn rejects_bad_references() {
        for bad in ["", "UPPER/case", "a//b", "nginx:", "nginx@sha256:abc", "-x"] {
            assert!(ImageReference::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn repository_grammar() {
        for good in ["a", "app/api", "a.b_c__d---e/f0", "x/y/z/w"] {
            assert!(validate_repository_name(good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "a//b", "/a", "a/", "A", "a..b", "a___b", "a_-b", "a/.x", "-a", "a b", "a/%2e%2e"] {
            assert!(validate_repository_name(bad).is_err(), "{bad:?}");
        }
        assert!(validate_repository_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn tag_grammar() {
        assert!(validate_tag("v1.0_rc-1").is_ok());
        assert!(validate_tag("_x").is_ok());
        for bad in ["", ".x", "-x", "a/b", "a:b", &"a".repeat(129)] {
            assert!(validate_tag(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn valid_names_are_safe_paths(name in "[a-z0-9._/-]{1,40}") {
            if validate_repository_name(&name).is_ok() {
                prop_assert!(!name.split('/').any(|c| c.is_empty() || c == "." || c == ".."));
                prop_assert!(!name.starts_with('/'));
            }
        }

        #[test]
        fn generated_names_are_valid(parts in proptest::collection::vec("[a-z0-9]{1,5}((\\.|_|__|-{1,3})[a-z0-9]{1,5}){0,2}", 1..5)) {
            let name = parts.join("/");
            prop_assert!(validate_repository_name(&name).is_ok(), "{}", name);
        }

        #[test]
        fn reference_round_trips_through_display(
            host in "(reg\\.example|localhost:5000)",
            repo in "[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}",
            tag in "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,20}",
        ) {
            let text = format!("{host}/{repo}:{tag}");
            let reference = ImageReference::parse(&text).unwrap();
            prop_assert_eq!(reference.to_string(), text.clone());
            prop_assert_eq!(ImageReference::parse(&reference.to_string()).unwrap().to_string(), text);
            prop_assert_eq!(reference.tag(), Some(tag.as_str()));
        }
    }
}

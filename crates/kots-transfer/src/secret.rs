//! Credentials that never print their password: `Debug` and `Display` redact it.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    password: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials { username: username.into(), password: password.into() }
    }

    /// `USER:PASSWORD`, as `--src-creds` takes them.
    pub fn parse(text: &str) -> Option<Credentials> {
        let (username, password) = text.split_once(':')?;
        Some(Credentials::new(username, password))
    }

    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}:****)", self.username)
    }
}

impl fmt::Display for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:****", self.username)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_password() {
        let credentials = Credentials::parse("alice:s3cret:with:colons").unwrap();
        assert_eq!(credentials.password(), "s3cret:with:colons");
        assert!(!format!("{credentials:?} {credentials}").contains("s3cret"));
    }
}

//! An app's slug: its repositories' first path component, its `replicated://` name and the
//! name of its folder on the customer's disk. One grammar for the vendor (who creates slugs)
//! and the customer (who reads them from licenses, bundles and archives it does not trust), so
//! that a slug is always one safe path component: never `..`, `/`, absolute or empty.

/// The longest slug: a repository path component with room for the image name after it.
pub const MAX_SLUG_LEN: usize = 64;

/// Lowercase letters, digits and single `-` inside (`my-app`), at most [`MAX_SLUG_LEN`].
pub fn check_app_slug(slug: &str) -> Result<(), String> {
    let valid = !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not an app slug: use lowercase letters, digits and single `-` (e.g. `my-app`), at most {MAX_SLUG_LEN} characters",
            slug.escape_debug()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_one_safe_path_component() {
        for good in ["my-app", "app1", "a", "sentry-pro-2"] {
            assert!(check_app_slug(good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_SLUG_LEN + 1);
        for bad in ["", "..", ".", "../../x", "/etc", "a/b", "My-App", "-a", "a-", "a--b", "a b", "a\n", &long] {
            assert!(check_app_slug(bad).is_err(), "{bad:?}");
        }
        assert!(check_app_slug("../x").unwrap_err().contains("is not an app slug"));
    }
}

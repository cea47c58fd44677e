//! Validation rules for account fields (Docker Hub's: Berth ID 4–30 lowercase letters and digits,
//! password at least 9 characters). Each returns the message shown next to the field.

/// Names that would be confusing or collide with Berth's own paths and namespaces.
const RESERVED: &[&str] = &[
    "about",
    "account",
    "accounts",
    "admin",
    "administrator",
    "anonymous",
    "api",
    "auth",
    "berth",
    "blog",
    "confirm",
    "dashboard",
    "docker",
    "docs",
    "email",
    "explore",
    "help",
    "home",
    "hub",
    "invitation",
    "invitations",
    "library",
    "login",
    "logout",
    "mail",
    "null",
    "official",
    "organization",
    "organizations",
    "orgs",
    "owner",
    "pkg",
    "postmaster",
    "registry",
    "repositories",
    "repository",
    "root",
    "search",
    "security",
    "settings",
    "signup",
    "static",
    "status",
    "support",
    "system",
    "token",
    "tokens",
    "user",
    "users",
    "v1",
    "v2",
    "webmaster",
    "welcome",
    "www",
];

pub const PASSWORD_MIN: usize = 9;
pub const PASSWORD_MAX: usize = 256;

pub fn username(name: &str) -> Result<(), String> {
    namespace_name(name, NameOf::Person)
}

/// What a namespace's name is called on a form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOf {
    Person,
    Organization,
}

/// The rule of every namespace's name (a person's Berth ID, an organization's name: they share
/// one name space), its messages in the words of the form that asks.
pub fn namespace_name(name: &str, of: NameOf) -> Result<(), String> {
    let (what, a_what) = match of {
        NameOf::Person => ("Berth ID", "a Berth ID"),
        NameOf::Organization => ("Organization name", "an organization name"),
    };
    let len = name.chars().count();
    if len == 0 {
        return Err(format!("Enter {a_what}."));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        return Err(format!(
            "{what} may contain only lowercase letters (a–z) and digits (0–9)."
        ));
    }
    if !(4..=30).contains(&len) {
        return Err(format!(
            "{what} must be 4 to 30 characters long (this has {len})."
        ));
    }
    if RESERVED.contains(&name) {
        return Err(format!("“{name}” is reserved. Choose another one."));
    }
    Ok(())
}

pub fn email(email: &str) -> Result<(), String> {
    if email.is_empty() {
        return Err("Enter your email address.".into());
    }
    let invalid = || Err("Enter a valid email address, like name@example.com.".to_string());
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return invalid();
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return invalid();
    };
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || local.starts_with('.')
        || local.ends_with('.')
    {
        return invalid();
    }
    if local.contains("..") || local.chars().any(|c| "()<>[]\\,;:\"".contains(c)) {
        return invalid();
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return invalid();
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii());
        if !ok {
            return invalid();
        }
    }
    Ok(())
}

pub fn password(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        return Err(format!(
            "Password must be at least {PASSWORD_MIN} characters."
        ));
    }
    if len > PASSWORD_MAX {
        return Err(format!(
            "Password must be at most {PASSWORD_MAX} characters."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for ok in ["alice", "bob1", "a1b2", "x23456789012345678901234567890"] {
            assert_eq!(username(ok), Ok(()), "{ok}");
        }
        assert!(username("").unwrap_err().contains("Enter"));
        assert!(username("abc").unwrap_err().contains("4 to 30"));
        assert!(username("x234567890123456789012345678901")
            .unwrap_err()
            .contains("4 to 30"));
        for bad in [
            "Alice", "al-ice", "al_ice", "al.ice", "ali ce", "alicé", "ALICE",
        ] {
            assert!(
                username(bad).unwrap_err().contains("only lowercase"),
                "{bad}"
            );
        }
        for reserved in ["library", "admin", "root", "registry"] {
            assert!(
                username(reserved).unwrap_err().contains("reserved"),
                "{reserved}"
            );
        }
        // Only the exact names are reserved.
        assert_eq!(username("library2"), Ok(()));
        assert_eq!(username("myadmin"), Ok(()));
    }

    #[test]
    fn emails() {
        for ok in [
            "a@b.co",
            "first.last+tag@example.com",
            "x@sub.domain.example",
            "ü@exämple.de",
        ] {
            assert_eq!(email(ok), Ok(()), "{ok}");
        }
        assert!(email("").unwrap_err().contains("Enter your email"));
        for bad in [
            "plain",
            "@example.com",
            "a@",
            "a@b",
            "a b@c.de",
            "a@b..c",
            "a@-b.com",
            "a@b-.com",
            ".a@b.com",
            "a.@b.com",
            "a..b@c.com",
            "a@b@c.com",
            "a(b)@c.com",
            "a@b.c\n",
        ] {
            assert!(email(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(email(&format!("{}@b.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn passwords() {
        assert!(password("12345678").unwrap_err().contains("at least 9"));
        assert_eq!(password("123456789"), Ok(()));
        // Counted in characters, not bytes.
        assert!(password("ééééééé").is_err());
        assert_eq!(password(&"p".repeat(256)), Ok(()));
        assert!(password(&"p".repeat(257)).unwrap_err().contains("at most"));
    }
}

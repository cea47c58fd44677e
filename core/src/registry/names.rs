//! Repository names, tags, digests and manifest references, parsed and checked once.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

use super::RegistryError;

/// Namespace that single-component names live in, as on Docker Hub (`busybox` is `library/busybox`).
pub const LIBRARY: &str = "library";

/// A repository name as a client sent it (`raw`) and as Berth stores it (`full`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoName {
    /// Exactly as in the request URL; tokens and `Location` headers use this form.
    pub raw: String,
    /// `NAMESPACE/NAME`.
    pub full: String,
    pub namespace: String,
    pub name: String,
}

impl RepoName {
    pub fn parse(raw: &str) -> Result<Self, RegistryError> {
        if raw.len() > 255 {
            return Err(RegistryError::NameInvalid(
                "repository names are at most 255 characters".into(),
            ));
        }
        let parts: Vec<&str> = raw.split('/').collect();
        if let Some(bad) = parts.iter().find(|p| !is_path_component(p)) {
            return Err(RegistryError::NameInvalid(format!(
                "{bad:?} is not a valid name component: use lowercase letters and digits, \
                 separated by '.', '_', '__' or dashes"
            )));
        }
        let (namespace, name) = match parts.as_slice() {
            [name] => (LIBRARY, *name),
            [namespace, name] => (*namespace, *name),
            _ => {
                return Err(RegistryError::NameInvalid(
                    "Berth repository names have the form NAMESPACE/NAME".into(),
                ))
            }
        };
        if name.len() < 2 {
            return Err(RegistryError::NameInvalid(
                "repository names are at least 2 characters".into(),
            ));
        }
        Ok(RepoName {
            raw: raw.to_string(),
            full: format!("{namespace}/{name}"),
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, the distribution spec's path component.
pub fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &s[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(c: u8) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn check_tag(tag: &str) -> Result<(), RegistryError> {
    let b = tag.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(RegistryError::TagInvalid(format!(
            "{tag:?} is not a valid tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'"
        )))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }
}

/// A content digest with a supported algorithm and lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The digest of `bytes` with the given algorithm.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Digest {
        let mut h = Hasher::new(algorithm);
        h.update(bytes);
        h.finish()
    }

    pub fn sha256(bytes: &[u8]) -> Digest {
        Digest::of(Algorithm::Sha256, bytes)
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl FromStr for Digest {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| RegistryError::DigestInvalid(format!("{s:?}: {why}"));
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| invalid("a digest is ALGORITHM:HEX"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(invalid("supported algorithms are sha256 and sha512")),
        };
        if hex.len() != algorithm.hex_len()
            || !hex
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        {
            return Err(invalid(&format!(
                "expected {} lowercase hex digits",
                algorithm.hex_len()
            )));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

/// Incremental hashing for either algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Self {
        match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
        }
    }

    pub fn finish(self) -> Digest {
        let (algorithm, hex) = match self {
            Hasher::Sha256(h) => (Algorithm::Sha256, hex::encode(h.finalize())),
            Hasher::Sha512(h) => (Algorithm::Sha512, hex::encode(h.finalize())),
        };
        Digest { algorithm, hex }
    }
}

/// What follows `/manifests/`: a tag or a digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

impl FromStr for Reference {
    type Err = RegistryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.contains(':') {
            Ok(Reference::Digest(s.parse()?))
        } else {
            check_tag(s)?;
            Ok(Reference::Tag(s.to_string()))
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(t) => f.write_str(t),
            Reference::Digest(d) => d.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_spec_and_berth_namespaces() {
        let n = RepoName::parse("alice/my-app.v2").unwrap();
        assert_eq!(
            (n.namespace.as_str(), n.name.as_str()),
            ("alice", "my-app.v2")
        );
        let n = RepoName::parse("busybox").unwrap();
        assert_eq!(n.full, "library/busybox");
        assert_eq!(n.raw, "busybox");
        for bad in [
            "Alice/app",
            "alice/app-",
            "alice//app",
            "a/b/c",
            "alice/x",
            "alice/a..b",
            "",
        ] {
            assert!(RepoName::parse(bad).is_err(), "{bad}");
        }
        assert!(RepoName::parse("alice/a__b").is_ok());
        assert!(RepoName::parse("alice/a---b").is_ok());
    }

    #[test]
    fn tags_and_digests_are_checked() {
        assert!(check_tag("v1.0_rc-2").is_ok());
        assert!(check_tag(".hidden").is_err());
        assert!(check_tag(&"a".repeat(129)).is_err());
        let d = Digest::sha256(b"hello");
        assert_eq!(
            d.to_string(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        assert!(
            "sha256:2CF24DBA5FB0A30E26E83B2AC5B9E29E1B161E5C1FA7425E73043362938B9824"
                .parse::<Digest>()
                .is_err()
        );
        assert!("sha256:totallywrong".parse::<Digest>().is_err());
        assert!("md5:abc".parse::<Digest>().is_err());
        let d512 = Digest::of(Algorithm::Sha512, b"hello");
        assert_eq!(d512.hex().len(), 128);
        assert_eq!(d512.to_string().parse::<Digest>().unwrap(), d512);
        assert!(matches!("v1".parse::<Reference>(), Ok(Reference::Tag(_))));
        assert!(matches!(
            d.to_string().parse::<Reference>(),
            Ok(Reference::Digest(_))
        ));
    }
}

//! Secrets kept in the database sealed with the operator's `BERTH_SECRET_KEY` (ChaCha20-Poly1305
//! with a random nonce per value), so a copy of the database alone does not give them away.

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::{
    aead::{Aead, KeyInit},
    ChaCha20Poly1305, Nonce,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1:";

fn cipher(key: &str) -> ChaCha20Poly1305 {
    // The configured key is text of any length (32+ characters): its SHA-256 is the 256-bit key.
    ChaCha20Poly1305::new(&Sha256::digest(key.as_bytes()))
}

/// Seals `plain` with `key`.
pub fn seal(key: &str, plain: &str) -> String {
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    // Encryption with a valid key and nonce cannot fail for inputs this small.
    let sealed = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend(sealed);
    format!("{PREFIX}{}", STANDARD.encode(out))
}

/// Opens a value [`seal`] made; `None` if it was sealed with another key or altered.
pub fn open(key: &str, sealed: &str) -> Option<String> {
    let bytes = STANDARD.decode(sealed.strip_prefix(PREFIX)?).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    let plain = cipher(key).decrypt(Nonce::from_slice(nonce), body).ok()?;
    String::from_utf8(plain).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let key = "k".repeat(32);
        let sealed = seal(&key, "ghp_secret");
        assert!(!sealed.contains("ghp_secret"));
        assert_eq!(open(&key, &sealed).as_deref(), Some("ghp_secret"));
        assert_eq!(open(&"x".repeat(32), &sealed), None);
        assert_ne!(seal(&key, "ghp_secret"), sealed, "a fresh nonce each time");
    }
}

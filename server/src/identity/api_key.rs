//! API keys: `kam_<8 hex>_<43 base64url characters>`. The first part (the prefix) is shown in lists and
//! finds the stored row; the rest is 32 random bytes. KAM stores only the SHA-256 of the whole key and
//! compares hashes in constant time.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

const SCHEME: &str = "kam_";
/// `kam_` and 8 hex digits.
const PREFIX_LEN: usize = SCHEME.len() + 8;
const SECRET_BYTES: usize = 32;

/// A key as it is shown once to its owner.
#[derive(Clone)]
pub struct NewKey {
    /// The whole key.
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

/// A fresh key from the operating system's random source.
pub fn generate() -> NewKey {
    let mut prefix_bytes = [0u8; 4];
    let mut secret_bytes = [0u8; SECRET_BYTES];
    getrandom::fill(&mut prefix_bytes).expect("the operating system's random source");
    getrandom::fill(&mut secret_bytes).expect("the operating system's random source");
    let prefix = format!("{SCHEME}{}", hex(&prefix_bytes));
    let secret = format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(secret_bytes));
    NewKey {
        hash: hash(&secret),
        prefix,
        secret,
    }
}

/// The prefix of something that looks like a KAM key, or `None` (then it is not one).
pub fn prefix_of(presented: &str) -> Option<&str> {
    let prefix = presented.get(..PREFIX_LEN)?;
    let well_formed = prefix.starts_with(SCHEME)
        && prefix[SCHEME.len()..].bytes().all(|b| b.is_ascii_hexdigit())
        && presented[PREFIX_LEN..].starts_with('_');
    well_formed.then_some(prefix)
}

/// Whether `presented` is the key whose hash is `stored_hash`, in time independent of where they differ.
pub fn matches(presented: &str, stored_hash: &str) -> bool {
    hash(presented).as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_recognisable_and_carry_32_random_bytes() {
        let key = generate();
        assert!(key.secret.starts_with("kam_"));
        assert_eq!(prefix_of(&key.secret), Some(key.prefix.as_str()));
        let random = &key.secret[PREFIX_LEN + 1..];
        assert_eq!(URL_SAFE_NO_PAD.decode(random).unwrap().len(), 32);
        assert_ne!(generate().secret, key.secret);
    }

    #[test]
    fn only_the_hash_is_kept_and_it_matches_only_its_key() {
        let key = generate();
        assert!(!key.hash.contains(&key.secret[PREFIX_LEN + 1..]));
        assert_eq!(key.hash.len(), 64);
        assert!(matches(&key.secret, &key.hash));
        let mut altered = key.secret.clone();
        altered.pop();
        altered.push(if key.secret.ends_with('A') { 'B' } else { 'A' });
        assert!(!matches(&altered, &key.hash));
        assert!(!matches(&generate().secret, &key.hash));
    }

    #[test]
    fn things_that_are_not_keys_have_no_prefix() {
        for text in [
            "",
            "kam_",
            "kam_0123456",
            "kam_0123456z_x",
            "kam_01234567x",
            "eyJhbGciOi.x.y",
            "KAM_01234567_x",
        ] {
            assert_eq!(prefix_of(text), None, "{text:?}");
        }
        assert_eq!(prefix_of("kam_01234567_abc"), Some("kam_01234567"));
    }
}

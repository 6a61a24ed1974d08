//! Signing per Standard Webhooks (<https://www.standardwebhooks.com/>), so receivers can check a request
//! came from KAM with any of the off-the-shelf verifiers (svix, standardwebhooks) instead of code of
//! their own. Each subscription has its own symmetric secret, shown to its owner as `whsec_<base64>`;
//! the signature covers the message id and the attempt's timestamp as well as the body, so a captured
//! request cannot be replayed later or passed off as another message.

use std::fmt;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How a secret's text form starts, so people (and secret scanners) recognise it.
const PREFIX: &str = "whsec_";
/// The spec asks for at least 24 bytes (192 bits); 32 is what we generate.
const MIN_KEY_BYTES: usize = 24;
/// The spec's ceiling (512 bits); also keeps a pasted blob from becoming a key.
const MAX_KEY_BYTES: usize = 64;
const GENERATED_KEY_BYTES: usize = 32;

/// A subscription's signing key: the raw bytes HMAC uses, shown as `whsec_<base64>`.
///
/// `Debug` does not print the key, so a secret inside a logged struct stays secret.
#[derive(Clone)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl WebhookSecret {
    /// A fresh 32-byte key from the operating system's random source.
    pub fn generate() -> Self {
        let mut key = vec![0u8; GENERATED_KEY_BYTES];
        getrandom::fill(&mut key).expect("the operating system's random source");
        Self { key }
    }

    /// The key in `text` (`whsec_` then standard base64 of 24 to 64 bytes), or `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let key = STANDARD.decode(text.strip_prefix(PREFIX)?).ok()?;
        (MIN_KEY_BYTES..=MAX_KEY_BYTES)
            .contains(&key.len())
            .then_some(Self { key })
    }

    /// The text form, `whsec_<base64>`, as shown to the subscription's owner and stored.
    pub fn as_text(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.key))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

/// The `webhook-signature` header value for one attempt: `v1,<base64 of HMAC-SHA256>` over
/// `{msg_id}.{timestamp}.{body}`.
///
/// `msg_id` must not contain `.` (the spec's warning: it would make the signed content ambiguous);
/// KAM's ids are generated, never taken from users. `timestamp` is the attempt's, in Unix seconds.
pub fn sign(secret: &WebhookSecret, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret.key).expect("HMAC takes keys of any length");
    mac.update(format!("{msg_id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_published_test_vector() {
        // The vector from the svix / standardwebhooks libraries' tests.
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn the_signature_covers_id_timestamp_and_body() {
        let secret = WebhookSecret::generate();
        let base = sign(&secret, "msg_1", 1, b"{}");
        assert_ne!(sign(&secret, "msg_2", 1, b"{}"), base);
        assert_ne!(sign(&secret, "msg_1", 2, b"{}"), base);
        assert_ne!(sign(&secret, "msg_1", 1, b"{ }"), base);
        assert_ne!(sign(&WebhookSecret::generate(), "msg_1", 1, b"{}"), base);
    }

    #[test]
    fn generated_secrets_round_trip_through_their_text() {
        let secret = WebhookSecret::generate();
        let text = secret.as_text();
        assert!(text.starts_with("whsec_"));
        assert_eq!(STANDARD.decode(&text[PREFIX.len()..]).unwrap().len(), 32);
        let parsed = WebhookSecret::parse(&text).unwrap();
        assert_eq!(parsed.as_text(), text);
        assert_eq!(sign(&parsed, "m", 0, b""), sign(&secret, "m", 0, b""));
        assert_ne!(WebhookSecret::generate().as_text(), text);
    }

    #[test]
    fn parse_refuses_what_is_not_a_secret() {
        let key = STANDARD.encode([7u8; 24]);
        assert!(WebhookSecret::parse(&format!("whsec_{key}")).is_some());
        assert!(WebhookSecret::parse(&key).is_none(), "no prefix");
        assert!(
            WebhookSecret::parse(&format!("whsk_{key}")).is_none(),
            "another scheme's prefix"
        );
        assert!(WebhookSecret::parse("whsec_").is_none());
        assert!(WebhookSecret::parse("whsec_not base64!").is_none());
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 23]))).is_none());
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 64]))).is_some());
        assert!(WebhookSecret::parse(&format!("whsec_{}", STANDARD.encode([7u8; 65]))).is_none());
    }

    #[test]
    fn debug_does_not_show_the_key() {
        let secret = WebhookSecret::generate();
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&secret.as_text()[PREFIX.len()..]));
    }
}

//! Bearer tokens from the company's SSO: a JWT with the configured issuer and audience, signed with the
//! one pinned algorithm. Which staff member it names comes from the `sub` claim (a staff id) or the
//! `email` claim, as configured.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use uuid::Uuid;

use crate::config::{JwtAlgorithm, JwtConfig, StaffClaim};

/// Verifies bearer tokens; built once at start from the configuration.
pub struct JwtVerifier {
    key: DecodingKey,
    validation: Validation,
    claim: StaffClaim,
}

/// A valid token: whom it names, and until when it is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub staff: StaffRef,
    /// The `exp` claim (required, so always known).
    pub expires: DateTime<Utc>,
}

/// The staff member a valid token names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StaffRef {
    Id(Uuid),
    /// Lower-cased, as staff emails are stored.
    Email(String),
}

/// The claims KAM reads itself; `exp`, `nbf`, `iss` and `aud` are checked by the validation.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    email: Option<String>,
    exp: i64,
}

impl JwtVerifier {
    pub fn from_config(config: &JwtConfig) -> Result<Self, String> {
        if config.issuer.is_empty() || config.audience.is_empty() {
            return Err("jwt: issuer and audience must both be set".to_owned());
        }
        let (algorithm, key) = match config.algorithm {
            JwtAlgorithm::Rs256 => {
                let path = config
                    .public_key_pem_file
                    .as_ref()
                    .ok_or("jwt: RS256 needs public_key_pem_file")?;
                let pem =
                    std::fs::read(path).map_err(|e| format!("jwt: cannot read {}: {e}", path.display()))?;
                let key = DecodingKey::from_rsa_pem(&pem)
                    .map_err(|e| format!("jwt: {} is not an RSA public key PEM: {e}", path.display()))?;
                (Algorithm::RS256, key)
            }
            JwtAlgorithm::Hs256 => {
                let secret = config.secret.as_deref().unwrap_or_default();
                // RFC 7518 3.2: the key must be at least as long as the hash output.
                if secret.len() < 32 {
                    return Err("jwt: HS256 needs a secret of at least 32 bytes (KAM_JWT_SECRET)".to_owned());
                }
                (Algorithm::HS256, DecodingKey::from_secret(secret.as_bytes()))
            }
        };
        // Only the pinned algorithm is accepted: a token claiming any other (`none`, or HS256 signed
        // with the RSA public key as its secret) fails before its signature is looked at.
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&config.issuer]);
        validation.set_audience(&[&config.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = config.leeway_seconds;
        Ok(Self {
            key,
            validation,
            claim: config.staff_claim,
        })
    }

    /// The staff member `token` names, or `None` when the token is not valid (bad signature, expired,
    /// wrong issuer or audience, another algorithm, or no usable claim).
    pub fn verify(&self, token: &str) -> Option<Verified> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .inspect_err(|e| tracing::debug!(error = %e, "bearer token refused"))
            .ok()?
            .claims;
        let staff = match self.claim {
            StaffClaim::Sub => claims.sub.and_then(|sub| sub.parse().ok()).map(StaffRef::Id),
            StaffClaim::Email => claims
                .email
                .filter(|email| !email.is_empty())
                .map(|email| StaffRef::Email(email.to_lowercase())),
        }?;
        let expires = DateTime::from_timestamp(claims.exp, 0)?;
        Some(Verified { staff, expires })
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    const SECRET: &str = "an HS256 secret of at least thirty-two bytes";

    fn verifier(claim: StaffClaim) -> JwtVerifier {
        JwtVerifier::from_config(&JwtConfig {
            issuer: "https://sso.example.com".into(),
            audience: "kam".into(),
            algorithm: JwtAlgorithm::Hs256,
            secret: Some(SECRET.into()),
            staff_claim: claim,
            ..JwtConfig::default()
        })
        .unwrap()
    }

    fn token(claims: serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap()
    }

    fn in_an_hour() -> u64 {
        jsonwebtoken::get_current_timestamp() + 3600
    }

    #[test]
    fn a_valid_token_names_its_staff_member_by_email_or_id() {
        let id = Uuid::now_v7();
        let claims = json!({"iss": "https://sso.example.com", "aud": "kam", "exp": in_an_hour(),
            "sub": id.to_string(), "email": "Ada@Example.com"});
        let by_email = verifier(StaffClaim::Email)
            .verify(&token(claims.clone()))
            .unwrap();
        assert_eq!(by_email.staff, StaffRef::Email("ada@example.com".into()));
        assert_eq!(by_email.expires.timestamp(), in_an_hour() as i64);
        let by_id = verifier(StaffClaim::Sub).verify(&token(claims)).unwrap();
        assert_eq!(by_id.staff, StaffRef::Id(id));
    }

    #[test]
    fn wrong_issuer_audience_expiry_or_missing_claims_are_refused() {
        let base =
            json!({"iss": "https://sso.example.com", "aud": "kam", "exp": in_an_hour(), "email": "a@b.c"});
        let verifier = verifier(StaffClaim::Email);
        assert!(verifier.verify(&token(base.clone())).is_some());
        let variants = [
            ("iss", json!("https://evil.example.com")),
            ("aud", json!("other")),
            ("exp", json!(jsonwebtoken::get_current_timestamp() - 3600)),
            ("nbf", json!(in_an_hour())),
        ];
        for (claim, value) in variants {
            let mut claims = base.clone();
            claims[claim] = value;
            assert_eq!(verifier.verify(&token(claims)), None, "{claim}");
        }
        for claim in ["exp", "iss", "aud", "email"] {
            let mut claims = base.clone();
            claims.as_object_mut().unwrap().remove(claim);
            assert_eq!(verifier.verify(&token(claims)), None, "without {claim}");
        }
    }

    #[test]
    fn short_secrets_and_missing_settings_are_refused_at_start() {
        let config = JwtConfig {
            issuer: "i".into(),
            audience: "a".into(),
            algorithm: JwtAlgorithm::Hs256,
            secret: Some("short".into()),
            ..JwtConfig::default()
        };
        assert!(JwtVerifier::from_config(&config).is_err());
        let config = JwtConfig {
            issuer: String::new(),
            secret: Some(SECRET.into()),
            ..config
        };
        assert!(JwtVerifier::from_config(&config).is_err());
    }
}

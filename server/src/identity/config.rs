//! The identity area's settings: SSO bearer tokens (`[jwt]`) and the request budgets (`[rate_limit]`,
//! `[failed_auth_limit]`).

use std::path::PathBuf;

use serde::Deserialize;

/// How bearer tokens are checked: one issuer, one audience, one pinned algorithm.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: String,
    pub algorithm: JwtAlgorithm,
    /// The SSO's RSA public key (RS256).
    pub public_key_pem_file: Option<PathBuf>,
    /// The shared secret (HS256), at least 32 bytes; better set through `KAM_JWT_SECRET`.
    pub secret: Option<String>,
    /// Which claim names the staff member.
    pub staff_claim: StaffClaim,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
pub enum JwtAlgorithm {
    #[default]
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "HS256")]
    Hs256,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StaffClaim {
    /// `email`: the staff member with that email (case-insensitive).
    #[default]
    Email,
    /// `sub`: the staff member with that id.
    Sub,
}

/// A token bucket per principal: `burst` requests at once, refilled at `requests_per_second`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    /// 0 turns the limit off.
    pub requests_per_second: u32,
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self {
            requests_per_second: 100,
            burst: 200,
        }
    }
}

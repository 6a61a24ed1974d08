//! Authentication: from the `authorization` header to a [`Principal`], with a short-lived cache so a
//! busy client does not cost a key lookup on every call.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use chrono::Utc;
use sha2::{Digest, Sha256};

use super::{jwt::JwtVerifier, principal::Principal, rate_limit::RateLimiter, store};
use crate::platform::{
    db::Db,
    error::{Error, Result},
};

/// How long a resolved credential is trusted without asking the database again (never past the
/// credential's own expiry). Revocations and role changes made through this server apply at once (the
/// cache is cleared); those made through another instance, and staff deactivations, apply within this
/// time.
const CACHE_TTL: Duration = Duration::from_secs(5);
/// Beyond this many cached credentials the cache starts over, bounding memory under a flood of tokens.
const CACHE_CAPACITY: usize = 10_000;

pub struct Authenticator {
    db: Db,
    jwt: Option<JwtVerifier>,
    /// Credentials found bad, per client address.
    failures: RateLimiter<IpAddr>,
    /// Keyed by the SHA-256 of the credential, so no secret stays in memory longer than the call.
    cache: Mutex<HashMap<[u8; 32], (Principal, Instant)>>,
}

impl Authenticator {
    pub fn new(db: Db, jwt: Option<JwtVerifier>, failures: RateLimiter<IpAddr>) -> Self {
        Self {
            db,
            jwt,
            failures,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The principal behind an `authorization` header value; UNAUTHENTICATED when there is none, it is
    /// not `Bearer <credential>`, or the credential identifies no active staff member.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal> {
        self.authenticate_from(header, None).await
    }

    /// [`Self::authenticate`] for a client at `peer`. Each credential it presents that turns out bad
    /// cost a lookup (or a signature check): past `failed_auth_limit` of them, the address gets
    /// RESOURCE_EXHAUSTED instead, before any lookup, for credentials not recently found good (so that
    /// people behind the same address who are signed in keep working).
    pub async fn authenticate_from(&self, header: Option<&str>, peer: Option<IpAddr>) -> Result<Principal> {
        let header = header.ok_or(Error::Unauthenticated(
            "missing credentials: send authorization: Bearer <key or token>",
        ))?;
        let credential = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .ok_or(Error::Unauthenticated(
                "the authorization header must be `Bearer <key or token>`",
            ))?;
        let fingerprint: [u8; 32] = Sha256::digest(credential.as_bytes()).into();
        if let Some(principal) = self.cached(&fingerprint) {
            return Ok(principal);
        }
        if let Some(peer) = peer {
            self.failures
                .check(peer, Instant::now())
                .map_err(|retry_after| Error::RateLimited { retry_after })?;
        }
        let found = if credential.starts_with("kam_") {
            store::principal_for_key(&self.db, credential).await?
        } else if let Some(token) = self.jwt.as_ref().and_then(|jwt| jwt.verify(credential)) {
            store::principal_for_token(&self.db, token.staff, token.expires).await?
        } else {
            None
        };
        let Some(principal) = found else {
            if let Some(peer) = peer {
                let _ = self.failures.acquire(peer, Instant::now());
            }
            return Err(Error::Unauthenticated("invalid credentials"));
        };
        self.remember(fingerprint, &principal);
        Ok(principal)
    }

    /// Forgets every resolved credential: after a revocation or a change of roles.
    pub fn forget_all(&self) {
        self.lock().clear();
    }

    fn cached(&self, fingerprint: &[u8; 32]) -> Option<Principal> {
        let cache = self.lock();
        let (principal, valid_until) = cache.get(fingerprint)?;
        (Instant::now() < *valid_until).then(|| principal.clone())
    }

    /// Trusts the credential for [`CACHE_TTL`], or until it expires if that comes first.
    fn remember(&self, fingerprint: [u8; 32], principal: &Principal) {
        let now = Instant::now();
        let left = principal.expire_time.map_or(CACHE_TTL, |expiry| {
            (expiry - Utc::now()).to_std().unwrap_or_default().min(CACHE_TTL)
        });
        let mut cache = self.lock();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(fingerprint, (principal.clone(), now + left));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], (Principal, Instant)>> {
        self.cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

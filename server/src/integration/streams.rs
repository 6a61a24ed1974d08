//! What an open `WatchEvents` stream holds on to: a slot among the few each principal may hold, and
//! the credential it was opened with, which must stay good for as long as the stream runs.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use uuid::Uuid;

use crate::{
    identity::{Principal, gate::Gate, permissions},
    platform::{
        db::now,
        error::{Error, Result},
    },
};

/// How often a stream asks again whether its credential still stands. Together with the
/// authenticator's own cache (a few seconds; a revocation through this server clears it), a revoked
/// key or a deactivated person loses its streams within seconds.
const RECHECK_EVERY: Duration = Duration::from_secs(1);

/// The open streams of every principal, each bounded by `limit`.
pub struct StreamSlots {
    limit: usize,
    open: Mutex<HashMap<Uuid, usize>>,
}

/// One open stream's slot, given back when the stream ends (dropped).
pub struct StreamSlot {
    slots: Arc<StreamSlots>,
    staff_id: Uuid,
}

impl StreamSlots {
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for one more stream of `staff_id`, or RESOURCE_EXHAUSTED (TOO_MANY_STREAMS) when it holds
    /// `limit` already.
    pub fn take(self: &Arc<Self>, staff_id: Uuid) -> Result<StreamSlot> {
        let mut open = self.lock();
        let held = open.entry(staff_id).or_default();
        if *held >= self.limit {
            return Err(Error::TooManyStreams { limit: self.limit });
        }
        *held += 1;
        Ok(StreamSlot {
            slots: Arc::clone(self),
            staff_id,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, usize>> {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.lock();
        if let Some(held) = open.get_mut(&self.staff_id) {
            *held -= 1;
            if *held == 0 {
                open.remove(&self.staff_id);
            }
        }
    }
}

/// The credential a stream was opened with, and what it allowed then.
pub struct StreamCredential {
    gate: Arc<Gate>,
    /// The `authorization` header the stream was opened with.
    header: String,
    method: String,
    opened_as: Principal,
    checked: Instant,
}

impl StreamCredential {
    pub fn new(gate: Arc<Gate>, header: String, method: String, opened_as: Principal) -> Self {
        Self {
            gate,
            header,
            method,
            opened_as,
            checked: Instant::now(),
        }
    }

    /// Ok while the stream may go on. UNAUTHENTICATED once the credential has expired, been revoked, or
    /// its holder deactivated; PERMISSION_DENIED once the holder's roles have changed, since what the
    /// stream shows was decided by the roles it was opened with (a new stream takes the new ones).
    pub async fn still_good(&mut self) -> Result<()> {
        if self.opened_as.expire_time.is_some_and(|expiry| expiry <= now()) {
            return Err(Error::Unauthenticated("the credential has expired"));
        }
        if self.checked.elapsed() < RECHECK_EVERY {
            return Ok(());
        }
        self.checked = Instant::now();
        let now_as = self.gate.authenticator.authenticate(Some(&self.header)).await?;
        if now_as.roles != self.opened_as.roles {
            return Err(Error::PermissionDenied(
                "your roles changed while the stream was open: open it again".to_owned(),
            ));
        }
        permissions::authorize(&now_as, &self.method)?;
        Ok(())
    }

    /// How long until the credential expires, if it does.
    pub fn expires_in(&self) -> Option<Duration> {
        self.opened_as
            .expire_time
            .map(|expiry| (expiry - now()).to_std().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_holds_at_most_the_limit_and_gets_slots_back() {
        let slots = StreamSlots::new(2);
        let (mine, theirs) = (Uuid::now_v7(), Uuid::now_v7());
        let first = slots.take(mine).unwrap();
        let _second = slots.take(mine).unwrap();
        assert!(matches!(
            slots.take(mine),
            Err(Error::TooManyStreams { limit: 2 })
        ));
        assert!(slots.take(theirs).is_ok(), "each principal has slots of its own");
        drop(first);
        assert!(slots.take(mine).is_ok(), "a closed stream gives its slot back");
    }
}

//! The handover registry: what each area hands over when a person leaves, so that the customer does not
//! leave with the account manager.
//!
//! Teams sits below the areas whose work it moves (funnel, service levels, planning), so it cannot call
//! them. Instead each area implements [`ResponsibilityArea`] and is registered when the server is wired
//! up; the handover, the workload report and the deactivation guard only ever talk to the registry, so
//! a new area needs no change here.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    sync::Arc,
};

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::rules::RuleBreak;
use crate::platform::{error::Result, request::RequestContext};

/// The person, accounts and reason of one handover.
#[derive(Clone, Debug)]
pub struct HandoverScope {
    pub from: Uuid,
    pub to: Uuid,
    /// Every account the handover covers, already resolved.
    pub accounts: Vec<Uuid>,
    pub reason: String,
    /// Report only; change nothing.
    pub dry_run: bool,
}

/// One item that moves (or would move) from one person to the other.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Moved {
    pub area: &'static str,
    pub account_id: Uuid,
    pub item_id: Uuid,
    pub description: String,
    /// The item that replaces it, when the area creates one (team roles do; a reassigned deal doesn't).
    pub new_item_id: Option<Uuid>,
}

/// What one area moved and which rules its moves would break.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AreaHandover {
    pub moves: Vec<Moved>,
    pub breaks: Vec<RuleBreak>,
}

/// An area that holds per-person responsibilities on accounts.
#[async_trait::async_trait]
pub trait ResponsibilityArea: Send + Sync {
    /// The area's name in reports, e.g. `team_roles` or `opportunities`.
    fn name(&self) -> &'static str;

    /// The accounts on which `staff` holds something of this area.
    async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>>;

    /// How many open items each of `staff` holds here; people holding none may be left out.
    async fn open_items(&self, txn: &DatabaseTransaction, staff: &[Uuid]) -> Result<HashMap<Uuid, i64>>;

    /// Moves `scope.from`'s items on `scope.accounts` to `scope.to` (or with `dry_run` only says what
    /// would move). Broken rules are reported, not raised, and an area that finds any writes nothing:
    /// the handover judges every area together and rolls the whole transaction back on any break.
    /// Each item moved is recorded (`crate::platform::audit`) as `ctx`'s change, announced by the event its own
    /// update would fire, so that whoever follows the item learns of its new holder.
    async fn hand_over(
        &self,
        txn: &DatabaseTransaction,
        ctx: &RequestContext,
        scope: &HandoverScope,
    ) -> Result<AreaHandover>;
}

/// Every registered area, in registration order.
#[derive(Clone, Default)]
pub struct Responsibilities {
    areas: Arc<Vec<Arc<dyn ResponsibilityArea>>>,
}

impl Responsibilities {
    pub fn new(areas: Vec<Arc<dyn ResponsibilityArea>>) -> Self {
        Self {
            areas: Arc::new(areas),
        }
    }

    /// The accounts on which `staff` holds anything in any area.
    pub async fn accounts_of(&self, txn: &DatabaseTransaction, staff: Uuid) -> Result<BTreeSet<Uuid>> {
        let mut accounts = BTreeSet::new();
        for area in self.areas.iter() {
            accounts.extend(area.accounts_of(txn, staff).await?);
        }
        Ok(accounts)
    }

    /// Per person, the open items of each area that has any. The areas are asked a chunk of people at a
    /// time: the workload of everyone active may name more people than a statement binds (SQLite
    /// 32 766 parameters, PostgreSQL 65 535).
    pub async fn open_items(
        &self,
        txn: &DatabaseTransaction,
        staff: &[Uuid],
    ) -> Result<HashMap<Uuid, BTreeMap<&'static str, i64>>> {
        let mut by_person: HashMap<Uuid, BTreeMap<&'static str, i64>> = HashMap::new();
        for chunk in staff.chunks(500) {
            for area in self.areas.iter() {
                for (person, count) in area.open_items(txn, chunk).await? {
                    if count > 0 {
                        by_person.entry(person).or_default().insert(area.name(), count);
                    }
                }
            }
        }
        Ok(by_person)
    }

    /// Runs every area's part of one handover, made by `ctx`'s caller.
    pub async fn hand_over(
        &self,
        txn: &DatabaseTransaction,
        ctx: &RequestContext,
        scope: &HandoverScope,
    ) -> Result<AreaHandover> {
        let mut all = AreaHandover::default();
        for area in self.areas.iter() {
            let part = area.hand_over(txn, ctx, scope).await?;
            all.moves.extend(part.moves);
            all.breaks.extend(part.breaks);
        }
        Ok(all)
    }
}

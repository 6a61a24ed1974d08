//! The accounts area's database side. Other areas reach accounts only through these functions.

mod accounts;
mod contacts;
mod directory;
mod entity;
mod import;

use std::{collections::HashSet, future::Future};

use uuid::Uuid;

use crate::platform::error::Result;

pub use accounts::{
    AccountSummary, account_ids, accounts_by_ids, create_account, deletion_states,
    deletion_states_by_external_id, get_account, list_accounts, list_relationship_changes,
    live_accounts_in_tiers, require_live_account, require_live_accounts, set_account_deleted, set_tiers,
    update_account,
};
pub use contacts::{
    ContactKeyDate, KeyContactAtRisk, contact_ids, contact_key_dates, contacts_by_ids, create_contact,
    delete_contact, get_contact, key_contacts_at_risk, list_contacts, require_contacts_of_account,
    update_contact,
};
pub use directory::{
    AccountRef, REPORT_ROWS_SQL, account_of_contact, accounts_by_external_id, contacts_by_external_id,
    tier_of,
};
pub use import::{import_accounts, import_contacts};

const ACCOUNT: &str = "account";
const CONTACT: &str = "contact";

/// Longest chain (group hierarchy, reporting line) walked when checking for cycles; longer ones are
/// refused.
const MAX_CHAIN: usize = 64;

/// Where a walk up a chain of parents ended.
enum Chain {
    Clear,
    /// The walk met the node being linked (or a loop already in the data): linking would close a cycle.
    ReachesSelf,
    TooLong,
}

/// Walks up from `start`, the proposed new parent of `id`, one `parent_of` lookup per step.
async fn walk_up<Fut>(id: Uuid, start: Uuid, mut parent_of: impl FnMut(Uuid) -> Fut) -> Result<Chain>
where
    Fut: Future<Output = Result<Option<Uuid>>>,
{
    let mut seen = HashSet::new();
    let mut cursor = Some(start);
    while let Some(node) = cursor {
        if node == id || !seen.insert(node) {
            return Ok(Chain::ReachesSelf);
        }
        if seen.len() > MAX_CHAIN {
            return Ok(Chain::TooLong);
        }
        cursor = parent_of(node).await?;
    }
    Ok(Chain::Clear)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Walks a chain given as child → parent pairs.
    async fn walk(parents: &[(u128, u128)], node: u128, new_parent: u128) -> Chain {
        let parents: HashMap<Uuid, Uuid> = parents.iter().map(|&(c, p)| (id(c), id(p))).collect();
        walk_up(id(node), id(new_parent), |n| {
            let parent = parents.get(&n).copied();
            async move { Ok(parent) }
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_chain_that_ends_is_clear() {
        assert!(matches!(walk(&[(2, 3)], 1, 2).await, Chain::Clear));
    }

    #[tokio::test]
    async fn meeting_the_node_itself_is_a_cycle() {
        assert!(matches!(walk(&[(2, 3), (3, 1)], 1, 2).await, Chain::ReachesSelf));
        assert!(matches!(walk(&[], 1, 1).await, Chain::ReachesSelf));
    }

    #[tokio::test]
    async fn a_loop_already_in_the_data_does_not_hang() {
        assert!(matches!(walk(&[(2, 3), (3, 2)], 1, 2).await, Chain::ReachesSelf));
    }

    #[tokio::test]
    async fn an_overlong_chain_is_refused() {
        let chain: Vec<(u128, u128)> = (10..10 + MAX_CHAIN as u128 + 5).map(|n| (n, n + 1)).collect();
        assert!(matches!(walk(&chain, 1, 10).await, Chain::TooLong));
    }
}

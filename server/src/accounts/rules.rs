//! The accounts area's rules: the names of the rules its writes can break, and the walk that keeps
//! group hierarchies and reporting lines free of cycles and bounded in depth. Pure: the walk asks its
//! caller for each parent, so the store decides where parents come from (the database, an import's
//! batch).

use std::{collections::HashSet, future::Future};

use uuid::Uuid;

use crate::platform::error::Result;

/// An update or delete of an account that is deleted.
pub const ACCOUNT_DELETED: &str = "ACCOUNT_DELETED";
/// An undelete of an account that is not deleted.
pub const ACCOUNT_NOT_DELETED: &str = "ACCOUNT_NOT_DELETED";
/// A parent that would make the group hierarchy a cycle.
pub const PARENT_CYCLE: &str = "PARENT_CYCLE";
/// A parent that does not exist or is deleted.
pub const PARENT_NOT_FOUND: &str = "PARENT_NOT_FOUND";
/// A parent that would make the group hierarchy deeper than [`MAX_CHAIN`].
pub const HIERARCHY_TOO_DEEP: &str = "HIERARCHY_TOO_DEEP";
/// A manager that would make the reporting line a cycle.
pub const REPORTS_TO_CYCLE: &str = "REPORTS_TO_CYCLE";
/// A manager who is not a contact of the same account.
pub const REPORTS_TO_NOT_FOUND: &str = "REPORTS_TO_NOT_FOUND";
/// A manager that would make the reporting line deeper than [`MAX_CHAIN`].
pub const REPORTS_TO_TOO_DEEP: &str = "REPORTS_TO_TOO_DEEP";
/// Contacts named for an account that belong to another.
pub const CONTACT_NOT_OF_ACCOUNT: &str = "CONTACT_NOT_OF_ACCOUNT";
/// An import row that would move a contact to another account.
pub const CONTACT_ACCOUNT_IMMUTABLE: &str = "CONTACT_ACCOUNT_IMMUTABLE";

/// Longest chain (group hierarchy, reporting line) walked when checking for cycles; longer ones are
/// refused.
pub const MAX_CHAIN: usize = 64;

/// Where a walk up a chain of parents ended.
pub enum Chain {
    Clear,
    /// The walk met the node being linked (or a loop already in the data): linking would close a cycle.
    ReachesSelf,
    TooLong,
}

/// Walks up from `start`, the proposed new parent of `id`, one `parent_of` lookup per step.
pub async fn walk_up<Fut>(id: Uuid, start: Uuid, mut parent_of: impl FnMut(Uuid) -> Fut) -> Result<Chain>
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

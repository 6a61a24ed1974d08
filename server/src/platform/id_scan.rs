//! The change feed's question to every area that owns a followed table: which ids of yours does this
//! page of a sync cover? Asked with an [`IdScan`], answered by the owner's store through
//! [`IdScan::ids`], so the feed reads no area's table itself.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::SelectStatement,
};
use uuid::Uuid;

use super::error::Result;

/// Which ids of one table a sync reads.
#[derive(Clone, Debug)]
pub enum IdScan {
    /// A full sync's page: the ids after `after` in id order (UUIDv7: creation order), at most `limit`,
    /// of the rows that are current, and only those of `accounts` when that is set (a MEMBER's teams'
    /// accounts, as a subquery).
    Page {
        after: Uuid,
        limit: u64,
        accounts: Option<Box<SelectStatement>>,
    },
    /// Every row of one account whatever its state, deleted ones too, so a client holding one learns
    /// it is gone (when a MEMBER joins or leaves the account's team).
    OfAccount(Uuid),
}

impl IdScan {
    /// The ids of `E`'s rows this scan covers: `id` is the table's id column, `account` the column
    /// holding the row's account, `current` what a row must satisfy to come in a full sync (not
    /// soft-deleted, not ended).
    pub async fn ids<E: EntityTrait>(
        &self,
        conn: &impl ConnectionTrait,
        id: E::Column,
        account: E::Column,
        current: Condition,
    ) -> Result<Vec<Uuid>> {
        let only = match self {
            Self::Page { accounts, .. } => match accounts {
                Some(accounts) => current.add(account.in_subquery(accounts.as_ref().clone())),
                None => current,
            },
            Self::OfAccount(of) => Condition::all().add(account.eq(*of)),
        };
        self.ids_where::<E>(conn, id, only).await
    }

    /// The ids of a table whose rows belong to no account (the same for everyone): all of them in a
    /// full sync, none when one account's rows are asked for.
    pub async fn ids_of_shared<E: EntityTrait>(
        &self,
        conn: &impl ConnectionTrait,
        id: E::Column,
    ) -> Result<Vec<Uuid>> {
        match self {
            Self::Page { .. } => self.ids_where::<E>(conn, id, Condition::all()).await,
            Self::OfAccount(_) => Ok(Vec::new()),
        }
    }

    async fn ids_where<E: EntityTrait>(
        &self,
        conn: &impl ConnectionTrait,
        id: E::Column,
        only: Condition,
    ) -> Result<Vec<Uuid>> {
        let (after, limit) = match self {
            Self::Page { after, limit, .. } => (*after, Some(*limit)),
            Self::OfAccount(_) => (Uuid::nil(), None),
        };
        Ok(E::find()
            .select_only()
            .column(id)
            .filter(id.gt(after))
            .filter(only)
            .order_by_asc(id)
            .limit(limit)
            .into_tuple()
            .all(conn)
            .await?)
    }
}

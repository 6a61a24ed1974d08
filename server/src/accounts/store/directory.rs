//! What other areas ask of the accounts area: an account's tier, the accounts and contacts an ERP's
//! rows name by their external ids, and which account a contact belongs to. Each answer is a small
//! value, never a row: the tables stay this area's own.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use super::entity::{account, contact};
use crate::{
    accounts::model::Tier,
    platform::{
        bulk::{find_by_keys, find_columns_by_keys},
        error::Result,
    },
    segments::{
        self,
        model::{SegmentFilter, SegmentKind},
    },
};

/// An account as another area's import needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountRef {
    pub id: Uuid,
    pub deleted: bool,
    /// `None` for a tier this build does not know.
    pub tier: Option<Tier>,
}

/// The tier of account `id`, deleted or not (`None` for a tier this build does not know): NOT_FOUND
/// for an id that is no account.
pub async fn tier_of(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Tier>> {
    Ok(Tier::from_name(
        &super::accounts::account_row(conn, id).await?.tier,
    ))
}

/// The columns an external-id lookup reads: the key, the id, the deletion time and the tier.
type KeyedAccountRow = (Option<String>, Uuid, Option<DateTime<Utc>>, String);

/// Of `external_ids`, the accounts that exist, by external id.
pub async fn accounts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, AccountRef>> {
    let mut unique = external_ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let columns = ["external_id", "id", "delete_time", "tier"];
    let rows: Vec<KeyedAccountRow> =
        find_columns_by_keys(conn, "accounts", "external_id", &columns, &unique).await?;
    Ok(rows
        .into_iter()
        .filter_map(|(key, id, deleted, tier)| {
            let account = AccountRef {
                id,
                deleted: deleted.is_some(),
                tier: Tier::from_name(&tier),
            };
            Some((key?, account))
        })
        .collect())
}

/// Of `external_ids`, the contacts that exist, by external id: each one's id and its account's.
pub async fn contacts_by_external_id(
    conn: &impl ConnectionTrait,
    external_ids: &[&str],
) -> Result<HashMap<String, (Uuid, Uuid)>> {
    let rows = find_by_keys::<contact::Entity>(conn, contact::Column::ExternalId, external_ids).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.external_id?, (row.id, row.account_id))))
        .collect())
}

/// The account contact `id` belongs to, if there is such a contact.
pub async fn account_of_contact(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<Uuid>> {
    Ok(contact::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|row| row.account_id))
}

/// The accounts as other areas' hand-written report queries read them (`JOIN (…) a ON a.id = …`): id,
/// tier and deletion time, the columns those reports group and filter by. A row source rather than the
/// table's name, so the table stays this area's to change.
pub const REPORT_ROWS_SQL: &str =
    "SELECT id, tier, delete_time, industry_code, region_code, industry, region FROM accounts";

/// The accounts in the segments `filter` names (each with everything below it), as a subquery of ids;
/// `None` when the filter names none.
pub fn in_segments(filter: &SegmentFilter) -> Option<SelectStatement> {
    if filter.is_empty() {
        return None;
    }
    let mut ids = Query::select();
    ids.column(account::Column::Id).from(account::Entity);
    for (kind, code) in filter.codes() {
        let column = match kind {
            SegmentKind::Industry => account::Column::IndustryCode,
            SegmentKind::Region => account::Column::RegionCode,
        };
        ids.and_where(column.in_subquery(segments::store::directory::subtree(kind, code)));
    }
    Some(ids.to_owned())
}

/// [`in_segments`], after checking that every code the filter names is a segment: FAILED_PRECONDITION
/// (rule SEGMENT_NOT_FOUND) for one that is not. How a list narrows itself to its `segments`.
pub async fn checked_in_segments(
    conn: &impl ConnectionTrait,
    filter: &SegmentFilter,
) -> Result<Option<SelectStatement>> {
    segments::store::directory::require_filter(conn, filter).await?;
    Ok(in_segments(filter))
}

/// [`in_segments`] for hand-written SQL: each code the filter names is bound with `bind`, which returns
/// its placeholder. `None` when the filter names none.
pub fn in_segments_sql(filter: &SegmentFilter, mut bind: impl FnMut(&str) -> String) -> Option<String> {
    let conditions: Vec<String> = filter
        .codes()
        .map(|(kind, code)| {
            let column = match kind {
                SegmentKind::Industry => "industry_code",
                SegmentKind::Region => "region_code",
            };
            let subtree = segments::store::directory::subtree_sql(kind, &bind(code));
            format!("{column} IN ({subtree})")
        })
        .collect();
    (!conditions.is_empty()).then(|| format!("SELECT id FROM accounts WHERE {}", conditions.join(" AND ")))
}

/// The accounts in the regions `staff_id` manages (or below them), as a subquery of ids: what a
/// REGIONAL_MANAGER sees beside its teams' accounts.
pub fn in_regions_managed_by(staff_id: Uuid) -> SelectStatement {
    Query::select()
        .column(account::Column::Id)
        .from(account::Entity)
        .and_where(
            account::Column::RegionCode.in_subquery(segments::store::directory::regions_managed_by(staff_id)),
        )
        .to_owned()
}

/// [`in_regions_managed_by`] for hand-written SQL: `staff` is the placeholder bound to the staff id.
pub fn in_regions_managed_by_sql(staff: &str) -> String {
    format!(
        "SELECT id FROM accounts WHERE region_code IN ({})",
        segments::store::directory::regions_managed_by_sql(staff)
    )
}

/// The most members [`group_members`] returns.
pub const MAX_GROUP_MEMBERS: usize = 1000;

/// An account of a group company as the planning area's group summary reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub id: Uuid,
    pub display_name: String,
    pub parent: Option<Uuid>,
    /// 0 for the account the group was asked for, 1 for its subsidiaries, and so on.
    pub depth: u32,
    pub tier: Tier,
    pub lifecycle: crate::accounts::model::Lifecycle,
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
    pub create_time: DateTime<Utc>,
    pub deleted: bool,
}

/// `root` and every live account below it through `parent_account_id`, level by level (one query per
/// level, at most 64 levels): the account first, then by depth, each level by display name and id. At
/// most [`MAX_GROUP_MEMBERS`]; the flag says whether there were more. NOT_FOUND for an unknown `root`;
/// a deleted `root` is included (marked), its live subsidiaries too.
pub async fn group_members(conn: &impl ConnectionTrait, root: Uuid) -> Result<(Vec<GroupMember>, bool)> {
    use sea_orm::{QueryFilter, QueryOrder};

    let root_row = super::accounts::account_row(conn, root).await?;
    let mut members = vec![group_member(root_row, 0)?];
    let mut seen: std::collections::HashSet<Uuid> = [root].into();
    let mut level = vec![root];
    let mut truncated = false;
    for depth in 1..=64u32 {
        if level.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for parents in level.chunks(500) {
            let rows = account::Entity::find()
                .filter(account::Column::ParentAccountId.is_in(parents.iter().copied()))
                .filter(account::Column::DeleteTime.is_null())
                .order_by_asc(account::Column::DisplayName)
                .order_by_asc(account::Column::Id)
                .all(conn)
                .await?;
            for row in rows {
                if seen.insert(row.id) {
                    next.push(group_member(row, depth)?);
                }
            }
        }
        next.sort_by(|a, b| (&a.display_name, a.id).cmp(&(&b.display_name, b.id)));
        level = next.iter().map(|m| m.id).collect();
        let room = MAX_GROUP_MEMBERS - members.len();
        if next.len() > room {
            next.truncate(room);
            members.extend(next);
            truncated = true;
            break;
        }
        members.extend(next);
    }
    Ok((members, truncated))
}

fn group_member(row: account::Model, depth: u32) -> Result<GroupMember> {
    use crate::{accounts::model::Lifecycle, platform::error::Error};
    Ok(GroupMember {
        id: row.id,
        parent: row.parent_account_id,
        depth,
        tier: Tier::from_name(&row.tier).ok_or_else(|| Error::unknown_stored_value("tier", &row.tier))?,
        lifecycle: Lifecycle::from_name(&row.lifecycle)
            .ok_or_else(|| Error::unknown_stored_value("lifecycle", &row.lifecycle))?,
        industry_code: row.industry_code,
        region_code: row.region_code,
        create_time: row.create_time,
        deleted: row.delete_time.is_some(),
        display_name: row.display_name,
    })
}

/// The top of the hierarchy account `id` is in: its highest ancestor, walking `parent_account_id` up
/// (at most 64 levels); the account itself when it has no parent. NOT_FOUND for an unknown id.
pub async fn top_account_id(conn: &impl ConnectionTrait, id: Uuid) -> Result<Uuid> {
    let mut top = id;
    let mut parent = super::accounts::account_row(conn, id).await?.parent_account_id;
    for _ in 0..64 {
        let Some(above) = parent else {
            break;
        };
        let Some(row) = account::Entity::find_by_id(above).one(conn).await? else {
            break;
        };
        top = above;
        parent = row.parent_account_id;
    }
    Ok(top)
}

/// Every live account with the top of its hierarchy among live accounts (walking `parent_account_id`
/// up while the parent is live; itself when it has no live parent), in one query: how tiering by group
/// finds each account's group.
pub async fn live_top_accounts(conn: &impl ConnectionTrait) -> Result<HashMap<Uuid, Uuid>> {
    use sea_orm::{QueryFilter, QuerySelect};

    let rows: Vec<(Uuid, Option<Uuid>)> = account::Entity::find()
        .select_only()
        .columns([account::Column::Id, account::Column::ParentAccountId])
        .filter(account::Column::DeleteTime.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let parents: HashMap<Uuid, Option<Uuid>> = rows.into_iter().collect();
    Ok(parents
        .keys()
        .map(|&id| {
            let mut top = id;
            // A hierarchy is at most 64 levels deep; the bound also stops a loop the rules prevent.
            for _ in 0..64 {
                match parents.get(&top).copied().flatten() {
                    Some(parent) if parents.contains_key(&parent) => top = parent,
                    _ => break,
                }
            }
            (id, top)
        })
        .collect())
}

/// The free-text and code columns of `kind`.
fn segment_columns(kind: SegmentKind) -> (account::Column, account::Column) {
    match kind {
        SegmentKind::Industry => (account::Column::Industry, account::Column::IndustryCode),
        SegmentKind::Region => (account::Column::Region, account::Column::RegionCode),
    }
}

/// Classifies under segment `code` of `kind` the accounts not classified under one of that kind whose
/// free text matches one of `name_keys` (`segments::rules::match_key` of its code, names and aliases):
/// how a new or renamed segment picks up the accounts that already name it. The texts are compared in
/// Rust, by the same match key the segments use (SQL's `LOWER` differs on non-ASCII text on SQLite),
/// then updated by exact text. Each account classified gets a new revision; no event announces it.
/// Answers how many accounts were classified.
pub async fn classify_accounts(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    code: &str,
    name_keys: &[String],
) -> Result<u64> {
    use sea_orm::{QueryFilter, QuerySelect, sea_query::ExprTrait};

    if name_keys.is_empty() {
        return Ok(0);
    }
    let (text, code_column) = segment_columns(kind);
    let texts: Vec<String> = account::Entity::find()
        .select_only()
        .column(text)
        .distinct()
        .filter(code_column.is_null())
        .filter(text.ne(""))
        .into_tuple()
        .all(conn)
        .await?;
    let matching: Vec<String> = texts
        .into_iter()
        .filter(|t| name_keys.contains(&segments::rules::match_key(t)))
        .collect();
    if matching.is_empty() {
        return Ok(0);
    }
    let mut classified = 0;
    for chunk in matching.chunks(500) {
        let done = account::Entity::update_many()
            .col_expr(code_column, sea_orm::sea_query::Expr::value(code))
            .col_expr(
                account::Column::Revision,
                sea_orm::sea_query::Expr::col(account::Column::Revision).add(1),
            )
            .col_expr(
                account::Column::UpdateTime,
                sea_orm::sea_query::Expr::value(crate::platform::db::now()),
            )
            .filter(code_column.is_null())
            .filter(text.is_in(chunk.iter().map(String::as_str)))
            .exec(conn)
            .await?;
        classified += done.rows_affected;
    }
    Ok(classified)
}

/// How many live accounts name segment `code` of `kind` (SEGMENT_IN_USE when a delete is asked).
pub async fn live_accounts_in_segment(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    code: &str,
) -> Result<u64> {
    use sea_orm::{PaginatorTrait, QueryFilter};

    let (_, code_column) = segment_columns(kind);
    Ok(account::Entity::find()
        .filter(code_column.eq(code))
        .filter(account::Column::DeleteTime.is_null())
        .count(conn)
        .await?)
}

/// Forgets segment `code` of `kind` on the deleted accounts that still name it, when it is deleted: an
/// account undeleted later is not classified under a segment that no longer exists. Their free text
/// stays. Each gets a new revision.
pub async fn release_segment(conn: &impl ConnectionTrait, kind: SegmentKind, code: &str) -> Result<()> {
    use sea_orm::{QueryFilter, sea_query::ExprTrait};

    let (_, code_column) = segment_columns(kind);
    account::Entity::update_many()
        .col_expr(
            code_column,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            account::Column::Revision,
            sea_orm::sea_query::Expr::col(account::Column::Revision).add(1),
        )
        .col_expr(
            account::Column::UpdateTime,
            sea_orm::sea_query::Expr::value(crate::platform::db::now()),
        )
        .filter(code_column.eq(code))
        .exec(conn)
        .await?;
    Ok(())
}

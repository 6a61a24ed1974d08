//! The stage history of one opportunity.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::opportunities::opportunity_row;
use crate::{
    identity::{
        Visibility,
        access::{hide_missing, require_visible_account},
    },
    opportunities::model::StageChange,
    opportunities::store::entity::opportunity_stage_change as change_entity,
    platform::{
        db::Db,
        error::Result,
        paging::{Cursor, Direction, Keyset, Page},
    },
};

/// Oldest first (change ids are UUIDv7, so id order is the order of the changes).
pub async fn list_stage_history(
    db: &Db,
    visibility: Visibility,
    opportunity_id: Uuid,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<StageChange>> {
    let opportunity = hide_missing(visibility, opportunity_row(db.conn(), opportunity_id).await)?;
    require_visible_account(db.conn(), visibility, opportunity.account_id).await?;
    let select =
        change_entity::Entity::find().filter(change_entity::Column::OpportunityId.eq(opportunity_id));
    let keyset = Keyset {
        sort: None,
        id: change_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    let items = rows
        .into_iter()
        .map(|row| StageChange {
            id: row.id,
            opportunity_id: row.opportunity_id,
            from_stage: row.from_stage,
            to_stage: row.to_stage,
            change_time: row.change_time,
            changed_by: row.changed_by,
            reason: row.reason,
        })
        .collect();
    Ok(Page { items, next })
}

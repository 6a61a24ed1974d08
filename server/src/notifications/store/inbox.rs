//! A person's notifications: read newest first, marked read or unread again.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use uuid::Uuid;

use super::entity::notification;
use crate::{
    notifications::model::{Notification, Reason},
    platform::{
        db::Db,
        error::{Error, Result},
        events,
        paging::{Cursor, Direction, Keyset, Page},
    },
};

/// One page of `staff_id`'s notifications, newest first, and how many of all of them are unread.
pub async fn list_notifications(
    db: &Db,
    staff_id: Uuid,
    unread_only: bool,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<(Page<Notification>, u64)> {
    use notification::Column as C;
    let mine = notification::Entity::find().filter(C::StaffId.eq(staff_id));
    let unread = mine
        .clone()
        .filter(C::ReadTime.is_null())
        .count(db.conn())
        .await?;
    let select = if unread_only {
        mine.filter(C::ReadTime.is_null())
    } else {
        mine
    };
    // Ids are UUIDv7: id order is creation order.
    let keyset = Keyset {
        sort: None,
        id: C::Id,
        direction: Direction::Descending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    let items = rows
        .into_iter()
        .map(notification_from_row)
        .collect::<Result<_>>()?;
    Ok((Page { items, next }, unread))
}

/// Marks `ids` read at `at` (or unread, with `unread`); how many changed. Every id must be one of
/// `staff_id`'s notifications: PERMISSION_DENIED otherwise, the same for another's and for none.
pub async fn mark_read(
    db: &Db,
    staff_id: Uuid,
    ids: &[Uuid],
    unread: bool,
    at: DateTime<Utc>,
) -> Result<u64> {
    use notification::Column as C;
    db.write(|txn| async move {
        let txn = &*txn;
        require_own(txn, staff_id, ids).await?;
        let (value, still): (Option<DateTime<Utc>>, _) = if unread {
            (None, C::ReadTime.is_not_null())
        } else {
            (Some(at), C::ReadTime.is_null())
        };
        let changed = notification::Entity::update_many()
            .col_expr(C::ReadTime, Expr::value(value))
            .filter(C::StaffId.eq(staff_id))
            .filter(C::Id.is_in(ids.iter().copied()))
            .filter(still)
            .exec(txn)
            .await?
            .rows_affected;
        Ok(changed)
    })
    .await
}

async fn require_own(conn: &impl ConnectionTrait, staff_id: Uuid, ids: &[Uuid]) -> Result<()> {
    use notification::Column as C;
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let own = notification::Entity::find()
        .filter(C::StaffId.eq(staff_id))
        .filter(C::Id.is_in(unique.iter().copied()))
        .count(conn)
        .await?;
    if own as usize != unique.len() {
        return Err(Error::PermissionDenied(
            "ids: only your own notifications may be marked".to_owned(),
        ));
    }
    Ok(())
}

fn notification_from_row(row: notification::Model) -> Result<Notification> {
    let reason = Reason::from_name(&row.reason)
        .ok_or_else(|| Error::unknown_stored_value("notifications.reason", &row.reason))?;
    let payload = events::decode(&row.event_type, row.payload)
        .ok_or_else(|| Error::unknown_stored_value("notifications.payload", &row.event_type))?;
    Ok(Notification {
        id: row.id,
        staff_id: row.staff_id,
        reason,
        event_type: row.event_type,
        account_id: row.account_id,
        account_display_name: row.account_display_name,
        payload,
        create_time: row.create_time,
        read_time: row.read_time,
    })
}

//! Interactions with accounts: who met whom, when, and how it went. The people who took part live in
//! link tables, written with the interaction in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{INTERACTION, interaction_change};
use crate::platform::wire::Update;
use crate::{
    accounts::store::{require_contacts_of_account, require_live_account},
    identity::{
        Visibility,
        access::{hide_missing, require_visible_account, visible_accounts},
    },
    planning::model::{Interaction, InteractionFields, InteractionFilter, InteractionPatch, InteractionType},
    planning::store::entity::{interaction as row_entity, interaction_contact, interaction_staff},
    platform::{
        audit,
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::Payload,
        id_scan::IdScan,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
    teams::store::require_staff,
};

/// How far ahead an interaction may be dated: a visit logged in another time zone, not a plan.
const MAX_AHEAD: chrono::Duration = chrono::Duration::days(1);

async fn check_fields(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    fields: &InteractionFields,
) -> Result<()> {
    if fields.occur_time > now() + MAX_AHEAD {
        return Err(Error::invalid(
            "interaction.occur_time",
            "at most a day ahead: interactions are logged once they happened",
        ));
    }
    require_staff(conn, &fields.staff_ids).await?;
    require_contacts_of_account(conn, account_id, &fields.contact_ids).await
}

pub async fn log_interaction(
    db: &Db,
    ctx: &RequestContext,
    account_id: Uuid,
    fields: InteractionFields,
    key: Option<IdempotencyKey>,
) -> Result<Interaction> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        require_visible_account(txn, ctx.visibility(), account_id).await?;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load(txn, id).await;
        }
        require_live_account(txn, account_id).await?;
        check_fields(txn, account_id, fields).await?;
        let at = now();
        let interaction = Interaction {
            id: Uuid::now_v7(),
            account_id,
            fields: fields.clone(),
            logged_by: ctx.principal.staff_id,
            create_time: at,
            update_time: at,
            revision: 1,
        };
        row_entity::Entity::insert(active_model(&interaction))
            .exec_without_returning(txn)
            .await?;
        write_participants(txn, &interaction).await?;
        if let Some(key) = key {
            key.remember(txn, interaction.id).await?;
        }
        let changed = [
            "account_id",
            "type",
            "occur_time",
            "staff_ids",
            "contact_ids",
            "summary",
            "satisfaction",
        ];
        audit::record(
            txn,
            ctx,
            interaction_change(
                &interaction,
                Payload::InteractionLogged,
                changed.map(str::to_owned).to_vec(),
            ),
        )
        .await?;
        Ok(interaction)
    })
    .await
}

pub async fn get_interaction(db: &Db, visibility: Visibility, id: Uuid) -> Result<Interaction> {
    let row = hide_missing(visibility, interaction_row(db.conn(), id).await)?;
    require_visible_account(db.conn(), visibility, row.account_id).await?;
    with_participants(db.conn(), vec![row])
        .await
        .map(|mut found| found.remove(0))
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> Result<Interaction> {
    let row = interaction_row(conn, id).await?;
    with_participants(conn, vec![row])
        .await
        .map(|mut found| found.remove(0))
}

async fn interaction_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(INTERACTION, id))
}

/// Newest first (by id, which follows the logging time; `occur_time` orders within an account's
/// history through its index).
pub async fn list_interactions(
    db: &Db,
    visibility: Visibility,
    filter: &InteractionFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Interaction>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find();
    if let Some(account) = filter.account_id {
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(kind) = filter.kind {
        select = select.filter(C::Kind.eq(kind.as_str()));
    }
    if let Some(staff) = filter.staff_id {
        select = select.filter(
            C::Id.in_subquery(sea_orm::QueryTrait::into_query(
                interaction_staff::Entity::find()
                    .select_only()
                    .column(interaction_staff::Column::InteractionId)
                    .filter(interaction_staff::Column::StaffId.eq(staff)),
            )),
        );
    }
    if let Some(since) = filter.since {
        select = select.filter(C::OccurTime.gte(since));
    }
    if let Some(until) = filter.until {
        select = select.filter(C::OccurTime.lt(until));
    }
    if let Some(in_segments) =
        crate::accounts::store::checked_in_segments(db.conn(), &filter.segments).await?
    {
        select = select.filter(C::AccountId.in_subquery(in_segments));
    }
    if let Some(visible) = visible_accounts(visibility, C::AccountId) {
        select = select.filter(visible);
    }
    let keyset = Keyset {
        sort: Some(crate::platform::paging::SortKey::Time(C::OccurTime)),
        id: C::Id,
        direction: Direction::Descending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.id, Some(crate::platform::paging::time_key(row.occur_time)))
        })
        .await?;
    Ok(Page {
        items: with_participants(db.conn(), rows).await?,
        next,
    })
}

pub async fn update_interaction(
    db: &Db,
    ctx: &RequestContext,
    update: Update<InteractionPatch>,
) -> Result<Interaction> {
    let Update {
        id,
        etag,
        patch,
        paths: changed_fields,
    } = update;
    let sent_etag = etag.as_deref();
    let (patch, changed_fields) = (&patch, &changed_fields);
    db.write(|txn| async move {
        let txn = &*txn;
        let row = hide_missing(ctx.visibility(), interaction_row(txn, id).await)?;
        require_visible_account(txn, ctx.visibility(), row.account_id).await?;
        let mut interaction = with_participants(txn, vec![row]).await?.remove(0);
        etag::check(INTERACTION, id, interaction.revision, sent_etag)?;
        require_live_account(txn, interaction.account_id).await?;
        patch.apply_to(&mut interaction.fields);
        check_fields(txn, interaction.account_id, &interaction.fields).await?;
        interaction.update_time = now();
        interaction.revision += 1;
        row_entity::Entity::update(active_model(&interaction))
            .exec(txn)
            .await?;
        interaction_staff::Entity::delete_many()
            .filter(interaction_staff::Column::InteractionId.eq(id))
            .exec(txn)
            .await?;
        interaction_contact::Entity::delete_many()
            .filter(interaction_contact::Column::InteractionId.eq(id))
            .exec(txn)
            .await?;
        write_participants(txn, &interaction).await?;
        audit::record(
            txn,
            ctx,
            interaction_change(&interaction, Payload::InteractionUpdated, changed_fields.clone()),
        )
        .await?;
        Ok(interaction)
    })
    .await
}

async fn write_participants(conn: &impl ConnectionTrait, interaction: &Interaction) -> Result<()> {
    let staff = interaction
        .fields
        .staff_ids
        .iter()
        .map(|staff_id| interaction_staff::ActiveModel {
            interaction_id: Set(interaction.id),
            staff_id: Set(*staff_id),
        });
    interaction_staff::Entity::insert_many(staff)
        .exec_without_returning(conn)
        .await?;
    if !interaction.fields.contact_ids.is_empty() {
        let contacts =
            interaction
                .fields
                .contact_ids
                .iter()
                .map(|contact_id| interaction_contact::ActiveModel {
                    interaction_id: Set(interaction.id),
                    contact_id: Set(*contact_id),
                });
        interaction_contact::Entity::insert_many(contacts)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// The rows with their participants, two queries for the lot.
async fn with_participants(
    conn: &impl ConnectionTrait,
    rows: Vec<row_entity::Model>,
) -> Result<Vec<Interaction>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut staff: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut contacts: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if !ids.is_empty() {
        for link in interaction_staff::Entity::find()
            .filter(interaction_staff::Column::InteractionId.is_in(ids.iter().copied()))
            .all(conn)
            .await?
        {
            staff.entry(link.interaction_id).or_default().push(link.staff_id);
        }
        for link in interaction_contact::Entity::find()
            .filter(interaction_contact::Column::InteractionId.is_in(ids.iter().copied()))
            .all(conn)
            .await?
        {
            contacts
                .entry(link.interaction_id)
                .or_default()
                .push(link.contact_id);
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut staff_ids = staff.remove(&row.id).unwrap_or_default();
            let mut contact_ids = contacts.remove(&row.id).unwrap_or_default();
            staff_ids.sort_unstable();
            contact_ids.sort_unstable();
            Ok(Interaction {
                id: row.id,
                account_id: row.account_id,
                fields: InteractionFields {
                    kind: InteractionType::from_name(&row.kind)
                        .ok_or_else(|| Error::unknown_stored_value("interactions.type", &row.kind))?,
                    occur_time: row.occur_time,
                    staff_ids,
                    contact_ids,
                    summary: row.summary,
                    outcome: row.outcome,
                    next_step: row.next_step,
                    satisfaction: row.satisfaction,
                },
                logged_by: row.logged_by,
                create_time: row.create_time,
                update_time: row.update_time,
                revision: row.revision,
            })
        })
        .collect()
}

fn active_model(interaction: &Interaction) -> row_entity::ActiveModel {
    let f = &interaction.fields;
    row_entity::ActiveModel {
        id: Set(interaction.id),
        account_id: Set(interaction.account_id),
        kind: Set(f.kind.as_str().to_owned()),
        occur_time: Set(f.occur_time),
        summary: Set(f.summary.clone()),
        outcome: Set(f.outcome.clone()),
        next_step: Set(f.next_step.clone()),
        satisfaction: Set(f.satisfaction),
        logged_by: Set(interaction.logged_by),
        create_time: Set(interaction.create_time),
        update_time: Set(interaction.update_time),
        revision: Set(interaction.revision),
    }
}

/// The last interaction of `kind` (or of any kind) per account, up to `now`.
pub(super) async fn last_interaction_by_account(
    conn: &impl ConnectionTrait,
    kind: Option<InteractionType>,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, DateTime<Utc>>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find()
        .select_only()
        .column(C::AccountId)
        .column_as(C::OccurTime.max(), "last")
        .filter(C::OccurTime.lte(now))
        .group_by(C::AccountId);
    if let Some(kind) = kind {
        select = select.filter(C::Kind.eq(kind.as_str()));
    }
    Ok(select
        .into_tuple::<(Uuid, DateTime<Utc>)>()
        .all(conn)
        .await?
        .into_iter()
        .collect())
}

/// The last interaction each (account, staff member) took part in, up to `now`.
pub(super) async fn last_interaction_by_account_and_staff(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<HashMap<(Uuid, Uuid), DateTime<Utc>>> {
    let backend = conn.get_database_backend();
    let placeholder = match backend {
        sea_orm::DatabaseBackend::Postgres => "$1",
        _ => "?",
    };
    let sql = format!(
        "SELECT i.account_id, s.staff_id, MAX(i.occur_time) FROM interactions i \
         JOIN interaction_staff s ON s.interaction_id = i.id \
         WHERE i.occur_time <= {placeholder} GROUP BY i.account_id, s.staff_id"
    );
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [now.into()],
        ))
        .await?;
    let mut last = HashMap::with_capacity(rows.len());
    for row in rows {
        let account: Uuid = row.try_get_by_index(0)?;
        let staff: Uuid = row.try_get_by_index(1)?;
        let time: DateTime<Utc> = row.try_get_by_index(2)?;
        last.insert((account, staff), time);
    }
    Ok(last)
}

/// The ids of interactions a page of a sync covers (see [`IdScan`]): the change feed's read of this table.
pub async fn interaction_ids(db: &Db, scan: &IdScan) -> Result<Vec<Uuid>> {
    scan.ids::<row_entity::Entity>(
        db.conn(),
        row_entity::Column::Id,
        row_entity::Column::AccountId,
        Condition::all(),
    )
    .await
}

/// Of `ids`, the interactions the caller may see, in one query (and one per participant table).
pub async fn interactions_by_ids(db: &Db, visibility: Visibility, ids: &[Uuid]) -> Result<Vec<Interaction>> {
    let mut select = row_entity::Entity::find().filter(row_entity::Column::Id.is_in(ids.iter().copied()));
    if let Some(visible) = visible_accounts(visibility, row_entity::Column::AccountId) {
        select = select.filter(visible);
    }
    with_participants(db.conn(), select.all(db.conn()).await?).await
}

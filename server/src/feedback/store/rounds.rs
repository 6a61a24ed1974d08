//! Feedback rounds one at a time: record, read, list, correct and delete them. The ratings live in a
//! table of their own, written with their round in one transaction and replaced as a whole.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use super::{
    FEEDBACK_ROUND, created_fields,
    entity::{feedback_rating, feedback_round as row_entity},
    round_change,
};
use crate::{
    accounts::store::{require_contacts_of_account, require_live_account},
    feedback::{
        convert,
        model::{
            FeedbackRound, FeedbackSource, NewRound, Rating, RatingInput, RoundFields, RoundFilter,
            RoundPatch, Scores,
        },
        rules,
    },
    identity::{
        Visibility,
        access::{hide_missing, require_may_rekey, require_visible_account, visible_accounts},
    },
    platform::{
        audit,
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::{self, Payload},
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey},
        request::RequestContext,
        wire::Update,
    },
    teams::store::staff_refs,
};

/// Rows per multi-row insert of ratings: far under both backends' bound-parameter limits.
const RATINGS_PER_INSERT: usize = 2000;

pub async fn create_round(
    db: &Db,
    ctx: &RequestContext,
    new: NewRound,
    key: Option<IdempotencyKey>,
) -> Result<FeedbackRound> {
    let (new, key) = (&new, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        require_visible_account(txn, ctx.visibility(), new.account_id).await?;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load(txn, id).await;
        }
        require_live_account(txn, new.account_id).await?;
        check_references(txn, new.account_id, None, &new.fields).await?;
        if let Some(external_id) = &new.external_id {
            require_free_external_id(txn, external_id, None).await?;
        }
        let ratings = rate(txn, &[], &new.ratings).await?;
        let at = now();
        let round = FeedbackRound {
            id: Uuid::now_v7(),
            account_id: new.account_id,
            external_id: new.external_id.clone(),
            fields: new.fields.clone(),
            source: FeedbackSource::Entered,
            ratings,
            recorded_by: ctx.principal.staff_id,
            create_time: at,
            update_time: at,
            revision: 1,
        };
        insert_rounds(txn, std::slice::from_ref(&round)).await?;
        if let Some(key) = key {
            key.remember(txn, round.id).await?;
        }
        let change = round_change(&round, Payload::FeedbackRoundRecorded, created_fields(&round));
        audit::record(txn, ctx, change).await?;
        Ok(round)
    })
    .await
}

pub async fn get_round(db: &Db, visibility: Visibility, id: Uuid) -> Result<FeedbackRound> {
    let row = hide_missing(visibility, round_row(db.conn(), id).await)?;
    require_visible_account(db.conn(), visibility, row.account_id).await?;
    with_ratings(db.conn(), vec![row])
        .await
        .map(|mut found| found.remove(0))
}

/// Newest period first: by the period's end, then by id (the one recorded last first).
pub async fn list_rounds(
    db: &Db,
    visibility: Visibility,
    filter: &RoundFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<FeedbackRound>> {
    use row_entity::Column as C;
    let mut select = row_entity::Entity::find();
    if let Some(account) = filter.account_id {
        select = select.filter(C::AccountId.eq(account));
    }
    if let Some(staff) = filter.staff_id {
        select = select.filter(
            C::Id.in_subquery(
                feedback_rating::Entity::find()
                    .select_only()
                    .column(feedback_rating::Column::RoundId)
                    .filter(feedback_rating::Column::StaffId.eq(staff))
                    .into_query(),
            ),
        );
    }
    if let Some(from) = filter.period_end_from {
        select = select.filter(C::PeriodEnd.gte(from));
    }
    if let Some(to) = filter.period_end_to {
        select = select.filter(C::PeriodEnd.lte(to));
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
        sort: Some(SortKey::Date(C::PeriodEnd)),
        id: C::Id,
        direction: Direction::Descending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.id, Some(row.period_end.to_string()))
        })
        .await?;
    Ok(Page {
        items: with_ratings(db.conn(), rows).await?,
        next,
    })
}

pub async fn update_round(
    db: &Db,
    ctx: &RequestContext,
    update: Update<RoundPatch>,
) -> Result<FeedbackRound> {
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
        let row = hide_missing(ctx.visibility(), round_row(txn, id).await)?;
        require_visible_account(txn, ctx.visibility(), row.account_id).await?;
        let mut round = with_ratings(txn, vec![row]).await?.remove(0);
        etag::check(FEEDBACK_ROUND, id, round.revision, sent_etag)?;
        let old_external_id = round.external_id.clone();
        patch.apply_to(&mut round.fields, &mut round.external_id);
        require_may_rekey(&ctx.principal, &old_external_id, &round.external_id)?;
        require_live_account(txn, round.account_id).await?;
        if let Some((field, description)) = round.fields.period_problem(convert::today()) {
            return Err(Error::invalid(format!("feedback_round.{field}"), description));
        }
        check_references(txn, round.account_id, Some(id), &round.fields).await?;
        if let Some(external_id) = &round.external_id
            && round.external_id != old_external_id
        {
            require_free_external_id(txn, external_id, Some(id)).await?;
        }
        if let Some(inputs) = &patch.ratings {
            round.ratings = rate(txn, &round.ratings, inputs).await?;
        }
        round.update_time = now();
        round.revision += 1;
        row_entity::Entity::update(active_model(&round)).exec(txn).await?;
        if patch.ratings.is_some() {
            delete_ratings(txn, &[id]).await?;
            insert_ratings(txn, std::slice::from_ref(&round)).await?;
        }
        let change = round_change(&round, Payload::FeedbackRoundUpdated, changed_fields.clone());
        audit::record(txn, ctx, change).await?;
        Ok(round)
    })
    .await
}

pub async fn delete_round(db: &Db, ctx: &RequestContext, id: Uuid, sent_etag: Option<&str>) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = hide_missing(ctx.visibility(), round_row(txn, id).await)?;
        require_visible_account(txn, ctx.visibility(), row.account_id).await?;
        etag::check(FEEDBACK_ROUND, id, row.revision, sent_etag)?;
        delete_ratings(txn, &[id]).await?;
        row_entity::Entity::delete_by_id(id).exec(txn).await?;
        let tombstone = events::tombstone(id, Some(row.account_id), now());
        let change = audit::Change::new(
            FEEDBACK_ROUND,
            id,
            Some(row.account_id),
            Payload::FeedbackRoundDeleted(tombstone),
            Vec::new(),
        );
        audit::record(txn, ctx, change).await
    })
    .await
}

/// CONTACT_NOT_OF_ACCOUNT and DUPLICATE_FEEDBACK_ROUND for `fields` of a round of `account_id`
/// (`round_id`, when it exists already, is not its own duplicate).
async fn check_references(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    round_id: Option<Uuid>,
    fields: &RoundFields,
) -> Result<()> {
    let Some(contact) = fields.respondent_contact_id else {
        return Ok(());
    };
    require_contacts_of_account(conn, account_id, &[contact]).await?;
    let other = holder_of_slot(conn, account_id, contact, fields)
        .await?
        .filter(|holder| Some(*holder) != round_id);
    match rules::duplicate_round(account_id, fields, other) {
        Some(broken) => Err(Error::FailedPrecondition(vec![broken])),
        None => Ok(()),
    }
}

/// The round of `account_id` that holds `contact`'s answers for the period of `fields`, if any.
async fn holder_of_slot(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    contact: Uuid,
    fields: &RoundFields,
) -> Result<Option<Uuid>> {
    use row_entity::Column as C;
    Ok(row_entity::Entity::find()
        .select_only()
        .column(C::Id)
        .filter(C::AccountId.eq(account_id))
        .filter(C::RespondentContactId.eq(contact))
        .filter(C::PeriodStart.eq(fields.period_start))
        .filter(C::PeriodEnd.eq(fields.period_end))
        .into_tuple()
        .one(conn)
        .await?)
}

/// ALREADY_EXISTS when a round other than `round_id` has `external_id`.
async fn require_free_external_id(
    conn: &impl ConnectionTrait,
    external_id: &str,
    round_id: Option<Uuid>,
) -> Result<()> {
    let holder: Option<Uuid> = row_entity::Entity::find()
        .select_only()
        .column(row_entity::Column::Id)
        .filter(row_entity::Column::ExternalId.eq(external_id))
        .into_tuple()
        .one(conn)
        .await?;
    match holder {
        Some(holder) if Some(holder) != round_id => Err(Error::AlreadyExists {
            resource: FEEDBACK_ROUND,
            field: "external_id",
            value: external_id.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// The ratings as stored (see [`rules::rate`]): NOT_FOUND for a person who is no staff member.
async fn rate(
    conn: &impl ConnectionTrait,
    previous: &[Rating],
    inputs: &[RatingInput],
) -> Result<Vec<Rating>> {
    let departments = departments_of(conn, inputs.iter().map(|r| r.staff_id)).await?;
    rules::rate(previous, inputs, &departments).map_err(|missing| Error::not_found("staff", missing))
}

/// The department each of `staff` is in now (those who exist, active or not).
pub(super) async fn departments_of(
    conn: &impl ConnectionTrait,
    staff: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Uuid>> {
    let ids: Vec<Uuid> = staff.into_iter().collect();
    Ok(staff_refs(conn, &ids)
        .await?
        .into_iter()
        .map(|(id, person)| (id, person.department_id))
        .collect())
}

pub(super) async fn round_row(conn: &impl ConnectionTrait, id: Uuid) -> Result<row_entity::Model> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(FEEDBACK_ROUND, id))
}

async fn load(conn: &impl ConnectionTrait, id: Uuid) -> Result<FeedbackRound> {
    let row = round_row(conn, id).await?;
    with_ratings(conn, vec![row])
        .await
        .map(|mut found| found.remove(0))
}

/// The rows with their ratings, in the rows' order: one query for the ratings of up to 500 rounds.
pub(super) async fn with_ratings(
    conn: &impl ConnectionTrait,
    rows: Vec<row_entity::Model>,
) -> Result<Vec<FeedbackRound>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut ratings: HashMap<Uuid, Vec<feedback_rating::Model>> = HashMap::new();
    for chunk in ids.chunks(500) {
        for rating in feedback_rating::Entity::find()
            .filter(feedback_rating::Column::RoundId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            ratings.entry(rating.round_id).or_default().push(rating);
        }
    }
    rows.into_iter()
        .map(|row| {
            let mut of_round = ratings.remove(&row.id).unwrap_or_default();
            of_round.sort_by_key(|rating| rating.position);
            round_from_row(row, of_round)
        })
        .collect()
}

fn round_from_row(row: row_entity::Model, ratings: Vec<feedback_rating::Model>) -> Result<FeedbackRound> {
    let source = FeedbackSource::from_name(&row.source)
        .ok_or_else(|| Error::unknown_stored_value("feedback_rounds.source", &row.source))?;
    Ok(FeedbackRound {
        id: row.id,
        account_id: row.account_id,
        external_id: row.external_id,
        fields: RoundFields {
            period_start: row.period_start,
            period_end: row.period_end,
            respondent_contact_id: row.respondent_contact_id,
            respondent_name: row.respondent_name,
            comment: row.comment,
        },
        source,
        ratings: ratings
            .into_iter()
            .map(|rating| Rating {
                staff_id: rating.staff_id,
                department_id: rating.department_id,
                scores: Scores {
                    responsiveness: i32::from(rating.responsiveness),
                    expertise: i32::from(rating.expertise),
                    follow_through: i32::from(rating.follow_through),
                },
                comment: rating.comment,
            })
            .collect(),
        recorded_by: row.recorded_by,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    })
}

pub(super) fn active_model(round: &FeedbackRound) -> row_entity::ActiveModel {
    let f = &round.fields;
    row_entity::ActiveModel {
        id: Set(round.id),
        account_id: Set(round.account_id),
        external_id: Set(round.external_id.clone()),
        period_start: Set(f.period_start),
        period_end: Set(f.period_end),
        end_month: Set(i32::try_from(rules::month_index(f.period_end)).unwrap_or(i32::MAX)),
        respondent_contact_id: Set(f.respondent_contact_id),
        respondent_name: Set(f.respondent_name.clone()),
        source: Set(round.source.as_str().to_owned()),
        comment: Set(f.comment.clone()),
        recorded_by: Set(round.recorded_by),
        create_time: Set(round.create_time),
        update_time: Set(round.update_time),
        revision: Set(round.revision),
    }
}

/// Inserts new rounds with their ratings. A unique key another writer took meanwhile (the external id,
/// the respondent's period) makes the transaction run again, and the retry sees that round.
pub(super) async fn insert_rounds(conn: &impl ConnectionTrait, rounds: &[FeedbackRound]) -> Result<()> {
    // 14 columns a round: 1000 rounds a statement stay under both backends' parameter limits.
    for chunk in rounds.chunks(1000) {
        row_entity::Entity::insert_many(chunk.iter().map(active_model))
            .exec_without_returning(conn)
            .await
            .map_err(Error::contention_on_unique)?;
    }
    insert_ratings(conn, rounds).await
}

pub(super) async fn insert_ratings(conn: &impl ConnectionTrait, rounds: &[FeedbackRound]) -> Result<()> {
    let rows: Vec<feedback_rating::ActiveModel> = rounds
        .iter()
        .flat_map(|round| {
            round
                .ratings
                .iter()
                .enumerate()
                .map(move |(position, rating)| feedback_rating::ActiveModel {
                    round_id: Set(round.id),
                    staff_id: Set(rating.staff_id),
                    position: Set(position as i32),
                    department_id: Set(rating.department_id),
                    responsiveness: Set(rating.scores.responsiveness as i16),
                    expertise: Set(rating.scores.expertise as i16),
                    follow_through: Set(rating.scores.follow_through as i16),
                    comment: Set(rating.comment.clone()),
                })
        })
        .collect();
    for chunk in rows.chunks(RATINGS_PER_INSERT) {
        feedback_rating::Entity::insert_many(chunk.iter().cloned())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn delete_ratings(conn: &impl ConnectionTrait, round_ids: &[Uuid]) -> Result<()> {
    for chunk in round_ids.chunks(500) {
        feedback_rating::Entity::delete_many()
            .filter(feedback_rating::Column::RoundId.is_in(chunk.iter().copied()))
            .exec(conn)
            .await?;
    }
    Ok(())
}

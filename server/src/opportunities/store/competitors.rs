//! Competitors: the companies deals are fought against, with every name and alias kept as a match key
//! (`competitor_names`), unique across competitors. Deals keep the names they face by key
//! (`opportunity_competitors`) and the key of the name they were lost to
//! (`opportunities.lost_to_competitor_key`); a deal is matched to a competitor by joining keys when it is
//! read, so adding, renaming or deleting a competitor never rewrites a deal.

use std::collections::HashMap;

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::Query,
};
use serde_json::json;
use uuid::Uuid;

use crate::{
    opportunities::{
        model::{Competitor, CompetitorFields, CompetitorFilter, CompetitorPatch, Opportunity},
        rules::{COMPETITOR_NAME_MISMATCH, COMPETITOR_NOT_FOUND, competitor_key, faced_names},
        store::entity::{
            competitor as row_entity, competitor_name as name_entity, competitor_region as region_entity,
            opportunity_competitor as faced_entity,
        },
    },
    platform::{
        audit::{self, Change},
        db::{Db, contains_ignoring_case, now},
        error::{Error, Result},
        etag, events,
        events::Payload,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page, SortKey},
        request::RequestContext,
        wire::Update,
    },
    segments::{model::SegmentKind, store::directory as segments},
};

const COMPETITOR: &str = "competitor";

pub async fn create_competitor(
    db: &Db,
    ctx: &RequestContext,
    fields: CompetitorFields,
    key: Option<IdempotencyKey>,
) -> Result<Competitor> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_competitor(txn, id).await;
        }
        let id = Uuid::now_v7();
        check_names_free(txn, id, fields).await?;
        check_regions(txn, &fields.home_region_codes).await?;
        let time = now();
        let mut row = columns(fields);
        row.id = Set(id);
        row.create_time = Set(time);
        row.update_time = Set(time);
        row.revision = Set(1);
        let inserted = row_entity::Entity::insert(row).exec_with_returning(txn).await?;
        write_names(txn, id, fields).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = from_row(inserted);
        let change = competitor_change(&created, Payload::CompetitorCreated, field_names());
        audit::record(txn, ctx, change).await?;
        Ok(created)
    })
    .await
}

pub async fn get_competitor(db: &Db, id: Uuid) -> Result<Competitor> {
    load_competitor(db.conn(), id).await
}

/// The competitors `filter` keeps, ordered by name.
pub async fn list_competitors(
    db: &Db,
    filter: &CompetitorFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Competitor>> {
    let mut select = row_entity::Entity::find();
    if let Some(query) = &filter.query {
        let named = Query::select()
            .column(name_entity::Column::CompetitorId)
            .from(name_entity::Entity)
            .and_where(contains_ignoring_case(name_entity::Column::NameKey, query))
            .to_owned();
        select = select.filter(row_entity::Column::Id.in_subquery(named));
    }
    if let Some(region) = &filter.region_code {
        segments::require_exists(db.conn(), SegmentKind::Region, region).await?;
        let at_home = Query::select()
            .column(region_entity::Column::CompetitorId)
            .from(region_entity::Entity)
            .and_where(
                region_entity::Column::RegionCode.in_subquery(segments::subtree(SegmentKind::Region, region)),
            )
            .to_owned();
        select = select.filter(row_entity::Column::Id.in_subquery(at_home));
    }
    let keyset = Keyset {
        sort: Some(SortKey::Text(row_entity::Column::Name)),
        id: row_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| {
            (row.id, Some(row.name.clone()))
        })
        .await?;
    Ok(Page {
        items: rows.into_iter().map(from_row).collect(),
        next,
    })
}

pub async fn update_competitor(
    db: &Db,
    ctx: &RequestContext,
    update: Update<CompetitorPatch>,
) -> Result<Competitor> {
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
        let current = load_competitor(txn, id).await?;
        etag::check(COMPETITOR, id, current.revision, sent_etag)?;
        let mut fields = current.fields.clone();
        patch.apply_to(&mut fields);
        crate::opportunities::convert::check_competitor_names(&fields)?;
        check_names_free(txn, id, &fields).await?;
        if patch.home_region_codes.is_some() {
            check_regions(txn, &fields.home_region_codes).await?;
        }
        let mut row = columns(&fields);
        row.id = Set(id);
        row.update_time = Set(now());
        row.revision = Set(current.revision + 1);
        let saved = row_entity::Entity::update(row).exec(txn).await?;
        remove_names(txn, id).await?;
        write_names(txn, id, &fields).await?;
        let updated = from_row(saved);
        let change = competitor_change(&updated, Payload::CompetitorUpdated, changed_fields.clone());
        audit::record(txn, ctx, change).await?;
        Ok(updated)
    })
    .await
}

/// Deletes a competitor for good; the deals keep their names, which simply match nobody any more.
pub async fn delete_competitor(
    db: &Db,
    ctx: &RequestContext,
    id: Uuid,
    sent_etag: Option<&str>,
) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_competitor(txn, id).await?;
        etag::check(COMPETITOR, id, current.revision, sent_etag)?;
        remove_names(txn, id).await?;
        row_entity::Entity::delete_by_id(id).exec(txn).await?;
        let tombstone = events::tombstone(id, None, now());
        let change = Change::new(
            COMPETITOR,
            id,
            None,
            Payload::CompetitorDeleted(tombstone),
            Vec::new(),
        );
        audit::record(txn, ctx, change).await
    })
    .await
}

/// The competitors `names` are (by name or alias, ignoring case), keyed by the names as given; names
/// no competitor has are left out. One query.
pub async fn ids_by_names(conn: &impl ConnectionTrait, names: &[String]) -> Result<HashMap<String, Uuid>> {
    let keys: Vec<String> = names
        .iter()
        .map(|name| competitor_key(name))
        .filter(|key| !key.is_empty())
        .collect();
    let by_key = ids_by_keys(conn, keys).await?;
    Ok(names
        .iter()
        .filter_map(|name| Some((name.clone(), *by_key.get(&competitor_key(name))?)))
        .collect())
}

/// The name to record for competitor `id` where a caller wrote `name`: the competitor's own name when
/// `name` is empty, else `name` itself when it is one of the competitor's names or aliases (so that
/// matching by name finds `id` again). FAILED_PRECONDITION COMPETITOR_NOT_FOUND when no competitor has
/// `id`, COMPETITOR_NAME_MISMATCH when `name` is another company's.
pub async fn competitor_name_for(conn: &impl ConnectionTrait, id: Uuid, name: &str) -> Result<String> {
    let subject = format!("competitors/{id}");
    let Some(competitor) = row_entity::Entity::find_by_id(id).one(conn).await?.map(from_row) else {
        return Err(Error::rule(
            COMPETITOR_NOT_FOUND,
            subject,
            format!("there is no competitor {id}"),
        ));
    };
    let fields = &competitor.fields;
    if name.trim().is_empty() {
        return Ok(fields.name.clone());
    }
    if fields
        .names()
        .any(|own| competitor_key(own) == competitor_key(name))
    {
        return Ok(name.to_owned());
    }
    Err(Error::rule(
        COMPETITOR_NAME_MISMATCH,
        subject,
        format!(
            "{name:?} is neither the name nor an alias of competitor {:?}",
            fields.name
        ),
    ))
}

/// How many competitors are at home in region `code` (not counting the regions below it): a region is
/// not deleted from under them.
pub async fn competitors_at_home_in(conn: &impl ConnectionTrait, code: &str) -> Result<u64> {
    Ok(region_entity::Entity::find()
        .filter(region_entity::Column::RegionCode.eq(code))
        .count(conn)
        .await?)
}

async fn ids_by_keys(conn: &impl ConnectionTrait, mut keys: Vec<String>) -> Result<HashMap<String, Uuid>> {
    keys.sort();
    keys.dedup();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Uuid)> = name_entity::Entity::find()
        .select_only()
        .columns([name_entity::Column::NameKey, name_entity::Column::CompetitorId])
        .filter(name_entity::Column::NameKey.is_in(keys))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Fills each opportunity's `competitor_ids` and `lost_to_competitor_id`: one query for all of them.
pub(super) async fn resolve(conn: &impl ConnectionTrait, opportunities: &mut [Opportunity]) -> Result<()> {
    let mut keys = Vec::new();
    for opportunity in opportunities.iter() {
        keys.extend(
            opportunity
                .deal
                .competitors
                .iter()
                .map(|name| competitor_key(name)),
        );
        if let Some(closing) = &opportunity.closing {
            keys.push(competitor_key(&closing.lost_to_competitor));
        }
    }
    keys.retain(|key| !key.is_empty());
    let by_key = ids_by_keys(conn, keys).await?;
    let id_of = |name: &str| by_key.get(&competitor_key(name)).copied();
    for opportunity in opportunities.iter_mut() {
        opportunity.competitor_ids = opportunity.deal.competitors.iter().map(|n| id_of(n)).collect();
        opportunity.lost_to_competitor_id = opportunity
            .closing
            .as_ref()
            .and_then(|closing| id_of(&closing.lost_to_competitor));
    }
    Ok(())
}

/// [`resolve`] for one opportunity.
pub(super) async fn resolved(conn: &impl ConnectionTrait, opportunity: Opportunity) -> Result<Opportunity> {
    let mut one = [opportunity];
    resolve(conn, &mut one).await?;
    let [opportunity] = one;
    Ok(opportunity)
}

/// Keeps `opportunity_competitors` equal to the names `competitors` holds (each key once).
pub(super) async fn write_faced(
    txn: &impl ConnectionTrait,
    opportunity_id: Uuid,
    competitors: &[String],
    replace: bool,
) -> Result<()> {
    if replace {
        faced_entity::Entity::delete_many()
            .filter(faced_entity::Column::OpportunityId.eq(opportunity_id))
            .exec(txn)
            .await?;
    }
    let rows: Vec<faced_entity::ActiveModel> = faced_names(competitors)
        .into_iter()
        .map(|(key, name)| faced_entity::ActiveModel {
            opportunity_id: Set(opportunity_id),
            name_key: Set(key),
            name: Set(name),
        })
        .collect();
    if !rows.is_empty() {
        faced_entity::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The ids of the deals facing `competitor` by any of its names, as a subquery.
pub(super) fn facing(competitor: Uuid) -> sea_orm::sea_query::SelectStatement {
    let names = Query::select()
        .column(name_entity::Column::NameKey)
        .from(name_entity::Entity)
        .and_where(name_entity::Column::CompetitorId.eq(competitor))
        .to_owned();
    Query::select()
        .column(faced_entity::Column::OpportunityId)
        .from(faced_entity::Entity)
        .and_where(faced_entity::Column::NameKey.in_subquery(names))
        .to_owned()
}

/// The match key stored for a deal's `lost_to_competitor`.
pub(super) fn lost_to_key(lost_to_competitor: &str) -> Option<String> {
    let key = competitor_key(lost_to_competitor);
    (!key.is_empty()).then_some(key)
}

/// The competitor with `id`, NOT_FOUND if none has it.
async fn load_competitor(conn: &impl ConnectionTrait, id: Uuid) -> Result<Competitor> {
    row_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(from_row)
        .ok_or_else(|| Error::not_found(COMPETITOR, id))
}

/// ALREADY_EXISTS when another competitor than `id` has one of the names of `fields`.
async fn check_names_free(conn: &impl ConnectionTrait, id: Uuid, fields: &CompetitorFields) -> Result<()> {
    let keys: Vec<String> = fields.names().map(competitor_key).collect();
    let taken = ids_by_keys(conn, keys).await?;
    for (i, name) in fields.names().enumerate() {
        if taken.get(&competitor_key(name)).is_some_and(|owner| *owner != id) {
            return Err(Error::AlreadyExists {
                resource: COMPETITOR,
                field: if i == 0 { "name" } else { "aliases" },
                value: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// FAILED_PRECONDITION (SEGMENT_NOT_FOUND) for a home region that is no region.
async fn check_regions(conn: &impl ConnectionTrait, codes: &[String]) -> Result<()> {
    for code in codes {
        segments::require_exists(conn, SegmentKind::Region, code).await?;
    }
    Ok(())
}

async fn write_names(txn: &impl ConnectionTrait, id: Uuid, fields: &CompetitorFields) -> Result<()> {
    let names: Vec<name_entity::ActiveModel> = fields
        .names()
        .map(|name| name_entity::ActiveModel {
            name_key: Set(competitor_key(name)),
            competitor_id: Set(id),
        })
        .collect();
    name_entity::Entity::insert_many(names)
        .exec_without_returning(txn)
        .await
        .map_err(|e| Error::unique_violation(e, COMPETITOR, "name", Some(&fields.name)))?;
    let regions: Vec<region_entity::ActiveModel> = fields
        .home_region_codes
        .iter()
        .map(|code| region_entity::ActiveModel {
            competitor_id: Set(id),
            region_code: Set(code.clone()),
        })
        .collect();
    if !regions.is_empty() {
        region_entity::Entity::insert_many(regions)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

async fn remove_names(txn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    name_entity::Entity::delete_many()
        .filter(name_entity::Column::CompetitorId.eq(id))
        .exec(txn)
        .await?;
    region_entity::Entity::delete_many()
        .filter(region_entity::Column::CompetitorId.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

fn columns(fields: &CompetitorFields) -> row_entity::ActiveModel {
    row_entity::ActiveModel {
        name: Set(fields.name.clone()),
        aliases: Set(json!(fields.aliases)),
        strengths: Set(fields.strengths.clone()),
        weaknesses: Set(fields.weaknesses.clone()),
        home_region_codes: Set(json!(fields.home_region_codes)),
        website: Set(fields.website.clone()),
        ..Default::default()
    }
}

fn from_row(row: row_entity::Model) -> Competitor {
    Competitor {
        id: row.id,
        fields: CompetitorFields {
            name: row.name,
            aliases: serde_json::from_value(row.aliases).unwrap_or_default(),
            strengths: row.strengths,
            weaknesses: row.weaknesses,
            home_region_codes: serde_json::from_value(row.home_region_codes).unwrap_or_default(),
            website: row.website,
        },
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    }
}

fn field_names() -> Vec<String> {
    [
        "name",
        "aliases",
        "strengths",
        "weaknesses",
        "home_region_codes",
        "website",
    ]
    .iter()
    .map(|f| (*f).to_owned())
    .collect()
}

fn competitor_change(
    competitor: &Competitor,
    event: fn(kam_proto::v1::Competitor) -> Payload,
    fields: Vec<String>,
) -> Change {
    let message = crate::opportunities::convert::competitor_to_proto(competitor.clone());
    Change::new(COMPETITOR, competitor.id, None, event(message), fields)
}

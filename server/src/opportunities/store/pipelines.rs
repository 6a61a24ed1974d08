//! Pipelines and their stages.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{PIPELINE, refuse};
use crate::platform::wire::Update;
use crate::{
    opportunities::store::entity::{opportunity, pipeline as pipeline_entity, pipeline_stage},
    opportunities::{
        convert::pipeline_to_proto,
        model::{DEFAULT_PIPELINE_ID, ForecastCategory, Pipeline, PipelineFields, PipelinePatch, Stage},
        rules,
    },
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::Payload,
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
};

pub async fn create_pipeline(
    db: &Db,
    ctx: &RequestContext,
    fields: PipelineFields,
    key: Option<IdempotencyKey>,
) -> Result<Pipeline> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_pipeline(txn, id).await;
        }
        let id = Uuid::now_v7();
        let time = now();
        pipeline_entity::Entity::insert(pipeline_entity::ActiveModel {
            id: Set(id),
            display_name: Set(fields.display_name.clone()),
            qualification_stage_key: Set(fields.qualification_stage_key.clone()),
            is_default: Set(false),
            create_time: Set(time),
            update_time: Set(time),
            revision: Set(1),
        })
        .exec_without_returning(txn)
        .await?;
        insert_stages(txn, id, &fields.stages).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = load_pipeline(txn, id).await?;
        let changed = vec![
            "display_name".into(),
            "stages".into(),
            "qualification_stage_key".into(),
        ];
        audit::record(
            txn,
            ctx,
            Change::new(
                PIPELINE,
                id,
                None,
                Payload::PipelineCreated(pipeline_to_proto(created.clone())),
                changed,
            ),
        )
        .await?;
        Ok(created)
    })
    .await
}

/// The pipeline `id`, or the default one when `id` is `None`.
pub async fn pipeline_or_default(db: &Db, id: Option<Uuid>) -> Result<Pipeline> {
    load_pipeline_or_default(db.conn(), id).await
}

pub async fn get_pipeline(db: &Db, id: Uuid) -> Result<Pipeline> {
    load_pipeline(db.conn(), id).await
}

pub async fn list_pipelines(db: &Db, page_size: u64, after: Option<Cursor>) -> Result<Page<Pipeline>> {
    let keyset = Keyset {
        sort: None,
        id: pipeline_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(
            pipeline_entity::Entity::find(),
            db.conn(),
            page_size,
            after.as_ref(),
            |row| (row.id, None),
        )
        .await?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let stages = stages_of(db.conn(), row.id).await?;
        items.push(pipeline_from_row(row, stages));
    }
    Ok(Page { items, next })
}

/// Changes a pipeline. New stages replace the old ones wholesale; a stage opportunities are in must
/// stay, and stay open or closed as it was (STAGE_IN_USE).
pub async fn update_pipeline(
    db: &Db,
    ctx: &RequestContext,
    update: Update<PipelinePatch>,
) -> Result<Pipeline> {
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
        let current = load_pipeline(txn, id).await?;
        etag::check(PIPELINE, id, current.revision, sent_etag)?;
        let mut next = current.fields.clone();
        if let Some(name) = &patch.display_name {
            next.display_name = name.clone();
        }
        if let Some(stages) = &patch.stages {
            next.stages = stages.clone();
        }
        if let Some(key) = &patch.qualification_stage_key {
            next.qualification_stage_key = key.clone();
        }
        let shape = rules::check_pipeline_shape(&next);
        if !shape.is_empty() {
            return Err(Error::InvalidArgument(shape));
        }
        let unqualified = unqualified_open_deals(txn, id).await?;
        let mut breaks = rules::check_qualification_kept(&current, &next, &unqualified);
        if patch.stages.is_some() {
            let in_use = stages_in_use(txn, id).await?;
            breaks.extend(rules::check_stages_kept(&current, &next, &in_use));
        }
        if !breaks.is_empty() {
            return Err(refuse(breaks));
        }
        if patch.stages.is_some() {
            pipeline_stage::Entity::delete_many()
                .filter(pipeline_stage::Column::PipelineId.eq(id))
                .exec(txn)
                .await?;
            insert_stages(txn, id, &next.stages).await?;
            // Replaced stages may be reordered: what counts as furthest follows the new order.
            super::read_model::recompute_furthest(txn, id).await?;
        }
        pipeline_entity::Entity::update(pipeline_entity::ActiveModel {
            id: Set(id),
            display_name: Set(next.display_name.clone()),
            qualification_stage_key: Set(next.qualification_stage_key.clone()),
            update_time: Set(now()),
            revision: Set(current.revision + 1),
            ..Default::default()
        })
        .exec(txn)
        .await?;
        let updated = load_pipeline(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change::new(
                PIPELINE,
                id,
                None,
                Payload::PipelineUpdated(pipeline_to_proto(updated.clone())),
                changed_fields.clone(),
            ),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// The open opportunities of pipeline `id` missing a MAN flag, with their stages.
async fn unqualified_open_deals(conn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<(Uuid, String)>> {
    use sea_orm::Condition;
    Ok(opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Id)
        .column(opportunity::Column::Stage)
        .filter(opportunity::Column::PipelineId.eq(id))
        .filter(opportunity::Column::Outcome.is_null())
        .filter(
            Condition::any()
                .add(opportunity::Column::BudgetConfirmed.eq(false))
                .add(opportunity::Column::AuthorityConfirmed.eq(false))
                .add(opportunity::Column::NeedConfirmed.eq(false)),
        )
        .into_tuple()
        .all(conn)
        .await?)
}

/// The stages opportunities of pipeline `id` are in now.
async fn stages_in_use(conn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<String>> {
    Ok(opportunity::Entity::find()
        .select_only()
        .column(opportunity::Column::Stage)
        .distinct()
        .filter(opportunity::Column::PipelineId.eq(id))
        .into_tuple::<String>()
        .all(conn)
        .await?)
}

async fn insert_stages(conn: &impl ConnectionTrait, pipeline_id: Uuid, stages: &[Stage]) -> Result<()> {
    let rows = stages
        .iter()
        .enumerate()
        .map(|(position, stage)| pipeline_stage::ActiveModel {
            pipeline_id: Set(pipeline_id),
            key: Set(stage.key.clone()),
            position: Set(position as i32),
            display_name: Set(stage.display_name.clone()),
            probability: Set(stage.probability),
            forecast_category: Set(stage.forecast_category.as_str().to_owned()),
            stall_after_days: Set(stage.stall_after_days),
            closed_won: Set(stage.closed_won),
            closed_lost: Set(stage.closed_lost),
        });
    pipeline_stage::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The pipeline `id`, or the default one when `id` is `None`.
pub async fn load_pipeline_or_default(conn: &impl ConnectionTrait, id: Option<Uuid>) -> Result<Pipeline> {
    match id {
        Some(id) => load_pipeline(conn, id).await,
        None => {
            let default = pipeline_entity::Entity::find()
                .filter(pipeline_entity::Column::IsDefault.eq(true))
                .one(conn)
                .await?;
            load_pipeline(conn, default.map_or(DEFAULT_PIPELINE_ID, |row| row.id)).await
        }
    }
}

pub async fn load_pipeline(conn: &impl ConnectionTrait, id: Uuid) -> Result<Pipeline> {
    let row = pipeline_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(PIPELINE, id))?;
    let stages = stages_of(conn, id).await?;
    Ok(pipeline_from_row(row, stages))
}

async fn stages_of(conn: &impl ConnectionTrait, id: Uuid) -> Result<Vec<Stage>> {
    let rows = pipeline_stage::Entity::find()
        .filter(pipeline_stage::Column::PipelineId.eq(id))
        .order_by_asc(pipeline_stage::Column::Position)
        .all(conn)
        .await?;
    rows.into_iter()
        .map(|row| {
            let category = ForecastCategory::from_name(&row.forecast_category)
                .ok_or_else(|| Error::unknown_stored_value("forecast_category", &row.forecast_category))?;
            Ok(Stage {
                key: row.key,
                display_name: row.display_name,
                probability: row.probability,
                forecast_category: category,
                stall_after_days: row.stall_after_days,
                closed_won: row.closed_won,
                closed_lost: row.closed_lost,
            })
        })
        .collect()
}

fn pipeline_from_row(row: pipeline_entity::Model, stages: Vec<Stage>) -> Pipeline {
    Pipeline {
        id: row.id,
        fields: PipelineFields {
            display_name: row.display_name,
            stages,
            qualification_stage_key: row.qualification_stage_key,
        },
        is_default: row.is_default,
        create_time: row.create_time,
        update_time: row.update_time,
        revision: row.revision,
    }
}

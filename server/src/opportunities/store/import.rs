//! Batch imports of opportunities from the ERP, upserted by external id: one transaction per batch, a
//! few set-wise statements whatever its size, and a refusal per row that cannot be written. A new
//! opportunity enters its first stage exactly as CreateOpportunity enters it: a stage history row and
//! the funnel read model's furthest stage, so the analytics count it.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Value};
use serde_json::json;
use uuid::Uuid;

use super::{
    OPPORTUNITY,
    opportunities::{STAFF_INACTIVE, deal_field_names, opportunity_from_row},
    pipelines::{load_pipeline, load_pipeline_or_default},
};
use crate::{
    accounts::store::deletion_states_by_external_id,
    opportunities::store::entity::opportunity as row_entity,
    opportunities::{
        convert::opportunity_to_proto,
        model::{OpportunityRecord, Pipeline, Qualification},
        rules,
    },
    platform::{
        audit,
        batch::{BatchOutcome, Refusal},
        bulk::{Columns, Kind, find_by_keys},
        db::{Db, now},
        error::{Result, RuleViolation},
        events::Payload,
        request::RequestContext,
    },
    teams::store::staff_by_email,
};

const NEW_OPPORTUNITIES: Columns = Columns {
    table: "opportunities",
    columns: &[
        ("id", Kind::Uuid),
        ("external_id", Kind::NullableText),
        ("account_id", Kind::Uuid),
        ("pipeline_id", Kind::Uuid),
        ("stage", Kind::Text),
        ("furthest_stage", Kind::Text),
        ("display_name", Kind::Text),
        ("amount_currency", Kind::NullableText),
        ("amount_units", Kind::NullableBigInt),
        ("amount_nanos", Kind::NullableInt),
        ("expected_close_date", Kind::NullableDate),
        ("owner_staff_id", Kind::Uuid),
        ("competitors", Kind::Json),
        ("source", Kind::Text),
        ("next_step", Kind::Text),
        ("budget_confirmed", Kind::Bool),
        ("authority_confirmed", Kind::Bool),
        ("need_confirmed", Kind::Bool),
        ("close_reason", Kind::Text),
        ("close_note", Kind::Text),
        ("lost_to_competitor", Kind::Text),
        ("stage_enter_time", Kind::Time),
        ("create_time", Kind::Time),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
    ],
};

/// The first entry of each new opportunity's stage history.
const FIRST_STAGES: Columns = Columns {
    table: "opportunity_stage_changes",
    columns: &[
        ("id", Kind::Uuid),
        ("opportunity_id", Kind::Uuid),
        ("to_stage", Kind::Text),
        ("change_time", Kind::Time),
        ("changed_by", Kind::Uuid),
        ("reason", Kind::Text),
    ],
};

/// What an import may change of a known opportunity: the ERP's fields and the write stamps.
const CHANGED_OPPORTUNITIES: Columns = Columns {
    table: "opportunities",
    columns: &[
        ("id", Kind::Uuid),
        ("display_name", Kind::Text),
        ("amount_currency", Kind::NullableText),
        ("amount_units", Kind::NullableBigInt),
        ("amount_nanos", Kind::NullableInt),
        ("expected_close_date", Kind::NullableDate),
        ("owner_staff_id", Kind::Uuid),
        ("source", Kind::Text),
        ("next_step", Kind::Text),
        ("update_time", Kind::Time),
        ("revision", Kind::BigInt),
    ],
};

/// Upserts a batch of opportunity records (each with the index it is reported by) in one transaction.
pub async fn import_opportunities(
    db: &Db,
    ctx: &RequestContext,
    records: &[(u64, OpportunityRecord)],
) -> Result<BatchOutcome> {
    db.write(|txn| async move {
        let txn = &*txn;
        let account_keys: Vec<&str> = records
            .iter()
            .map(|(_, r)| r.account_external_id.as_str())
            .collect();
        let accounts = deletion_states_by_external_id(txn, &account_keys).await?;
        let emails: Vec<&str> = records.iter().map(|(_, r)| r.owner_email.as_str()).collect();
        let owners = staff_by_email(txn, &emails).await?;
        let stored = stored_by_external_id(txn, records).await?;
        let default_pipeline = load_pipeline_or_default(txn, None).await?;
        let mut pipelines = HashMap::from([(default_pipeline.id, default_pipeline.clone())]);
        for row in stored.values() {
            if let std::collections::hash_map::Entry::Vacant(slot) = pipelines.entry(row.pipeline_id) {
                slot.insert(load_pipeline(txn, row.pipeline_id).await?);
            }
        }

        let time = now();
        let mut outcome = BatchOutcome::default();
        let mut created = Vec::new();
        let mut changed = Vec::new();
        for (index, record) in records {
            let sorted = sort_record(record, &accounts, &owners, stored.get(&record.external_id));
            match sorted {
                Err(refusal) => outcome.refused.push((*index, refusal)),
                Ok(Sorted::Unchanged) => outcome.unchanged += 1,
                Ok(Sorted::New { account_id, owner }) => {
                    match new_row(record, account_id, owner, &default_pipeline, time) {
                        Ok(row) => created.push(row),
                        Err(refusal) => outcome.refused.push((*index, refusal)),
                    }
                }
                Ok(Sorted::Changed(mut row, fields)) => {
                    row.update_time = time;
                    row.revision += 1;
                    changed.push((*row, fields));
                }
            }
        }

        NEW_OPPORTUNITIES
            .insert(txn, created.iter().map(new_row_values).collect())
            .await
            // Two imports racing on one new external id: the loser retries and finds it stored.
            .map_err(crate::platform::error::Error::contention_on_unique)?;
        FIRST_STAGES
            .insert(
                txn,
                created
                    .iter()
                    .map(|row| {
                        vec![
                            Uuid::now_v7().into(),
                            row.id.into(),
                            row.stage.clone().into(),
                            time.into(),
                            ctx.principal.staff_id.into(),
                            "".into(),
                        ]
                    })
                    .collect(),
            )
            .await?;
        CHANGED_OPPORTUNITIES
            .update(
                txn,
                "id",
                changed.iter().map(|(row, _)| changed_row_values(row)).collect(),
            )
            .await?;

        let mut written = Vec::with_capacity(created.len() + changed.len());
        for row in &created {
            let opportunity = opportunity_from_row(row.clone(), &pipelines[&row.pipeline_id])?;
            written.push((opportunity, None));
        }
        for (row, fields) in &changed {
            let opportunity = opportunity_from_row(row.clone(), &pipelines[&row.pipeline_id])?;
            written.push((opportunity, Some(fields.as_slice())));
        }
        let mut deals: Vec<_> = written
            .iter()
            .map(|(opportunity, _)| opportunity.clone())
            .collect();
        super::competitors::resolve(txn, &mut deals).await?;
        let written = deals.into_iter().zip(written).map(|(opportunity, (_, fields))| {
            let (id, account_id) = (opportunity.id, Some(opportunity.account_id));
            (id, account_id, opportunity_to_proto(opportunity), fields)
        });
        let changes = audit::imported(
            OPPORTUNITY,
            [Payload::OpportunityCreated, Payload::OpportunityUpdated],
            &deal_field_names(),
            written,
        );
        audit::record_many(txn, ctx, changes).await?;
        outcome.created = created.len() as u64;
        outcome.updated = changed.len() as u64;
        Ok(outcome)
    })
    .await
}

/// Where one record goes.
enum Sorted {
    /// Not stored yet: to be created on this account, for this owner.
    New {
        account_id: Uuid,
        owner: Uuid,
    },
    Unchanged,
    /// The stored row as the record changes it, and the fields that changed.
    Changed(Box<row_entity::Model>, Vec<String>),
}

/// Sorts a record against what is stored: the rules every record must pass, then new, unchanged or
/// changed.
fn sort_record(
    record: &OpportunityRecord,
    accounts: &HashMap<String, (Uuid, bool)>,
    owners: &HashMap<String, (Uuid, bool)>,
    stored: Option<&row_entity::Model>,
) -> Result<Sorted, Refusal> {
    let account_id = match accounts.get(&record.account_external_id) {
        None => {
            return Err(Refusal::not_found(
                "account_external_id",
                format!("no account has external id {:?}", record.account_external_id),
            ));
        }
        Some((_, true)) => {
            return Err(Refusal::rule(
                "ACCOUNT_DELETED",
                "account_external_id",
                "the account is deleted",
            ));
        }
        Some((id, false)) => *id,
    };
    let Some(&(owner, owner_active)) = owners.get(&record.owner_email) else {
        return Err(Refusal::not_found(
            "owner_email",
            format!("no staff member has email {:?}", record.owner_email),
        ));
    };
    let inactive_owner = || {
        Refusal::rule(
            STAFF_INACTIVE,
            "owner_email",
            "inactive staff cannot own opportunities",
        )
    };
    let Some(current) = stored else {
        return if owner_active {
            Ok(Sorted::New { account_id, owner })
        } else {
            Err(inactive_owner())
        };
    };
    if current.account_id != account_id {
        return Err(Refusal::rule(
            "OPPORTUNITY_ACCOUNT_IMMUTABLE",
            "account_external_id",
            "an opportunity stays with its account; the ERP record names another",
        ));
    }
    let mut updated = current.clone();
    updated.display_name = record.display_name.clone();
    let amount = record.amount.as_ref();
    updated.amount_currency = amount.map(|m| m.currency.clone());
    updated.amount_units = amount.map(|m| m.units);
    updated.amount_nanos = amount.map(|m| m.nanos);
    updated.expected_close_date = record.expected_close_date;
    updated.owner_staff_id = owner;
    updated.source = record.source.clone();
    updated.next_step = record.next_step.clone();
    let fields = changed_fields(current, &updated);
    if fields.is_empty() {
        return Ok(Sorted::Unchanged);
    }
    if current.outcome.is_some() {
        return Err(Refusal::rule(
            rules::OPPORTUNITY_CLOSED,
            "",
            "a closed opportunity cannot be changed; reopen it first",
        ));
    }
    if updated.owner_staff_id != current.owner_staff_id && !owner_active {
        return Err(inactive_owner());
    }
    Ok(Sorted::Changed(Box::new(updated), fields))
}

/// A new opportunity in the default pipeline, in the record's stage (else the first open one), which it
/// must be allowed to enter as CreateOpportunity allows it: an open stage whose MAN gate an unqualified
/// deal passes.
fn new_row(
    record: &OpportunityRecord,
    account_id: Uuid,
    owner: Uuid,
    pipeline: &Pipeline,
    time: chrono::DateTime<chrono::Utc>,
) -> Result<row_entity::Model, Refusal> {
    let stage = record
        .stage
        .clone()
        .unwrap_or_else(|| pipeline.first_open_stage().key.clone());
    if let Some(broken) = rules::check_create(pipeline, &stage, Qualification::default()).first() {
        return Err(refusal_of(broken, "stage"));
    }
    let amount = record.amount.as_ref();
    Ok(row_entity::Model {
        id: Uuid::now_v7(),
        external_id: Some(record.external_id.clone()),
        account_id,
        pipeline_id: pipeline.id,
        stage,
        display_name: record.display_name.clone(),
        amount_currency: amount.map(|m| m.currency.clone()),
        amount_units: amount.map(|m| m.units),
        amount_nanos: amount.map(|m| m.nanos),
        expected_close_date: record.expected_close_date,
        probability_override: None,
        forecast_category_override: None,
        owner_staff_id: owner,
        stage_owner_staff_id: None,
        competitors: json!([]),
        source: record.source.clone(),
        next_step: record.next_step.clone(),
        budget_confirmed: false,
        authority_confirmed: false,
        need_confirmed: false,
        outcome: None,
        close_reason: String::new(),
        close_note: String::new(),
        lost_to_competitor: String::new(),
        lost_to_competitor_key: None,
        close_time: None,
        stage_enter_time: time,
        create_time: time,
        update_time: time,
        revision: 1,
    })
}

fn refusal_of(broken: &RuleViolation, field: &str) -> Refusal {
    Refusal::rule(broken.rule, field, &broken.description)
}

/// The stored opportunities the records name, by external id.
async fn stored_by_external_id(
    conn: &impl ConnectionTrait,
    records: &[(u64, OpportunityRecord)],
) -> Result<HashMap<String, row_entity::Model>> {
    let keys: Vec<&str> = records.iter().map(|(_, r)| r.external_id.as_str()).collect();
    let rows = find_by_keys::<row_entity::Entity>(conn, row_entity::Column::ExternalId, &keys).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.external_id.clone()?, row)))
        .collect())
}

/// The ERP's fields that differ between two states of an opportunity, named as UpdateOpportunity
/// names them.
fn changed_fields(before: &row_entity::Model, after: &row_entity::Model) -> Vec<String> {
    let amount = |row: &row_entity::Model| (row.amount_currency.clone(), row.amount_units, row.amount_nanos);
    [
        (before.display_name != after.display_name, "display_name"),
        (amount(before) != amount(after), "amount"),
        (
            before.expected_close_date != after.expected_close_date,
            "expected_close_date",
        ),
        (before.owner_staff_id != after.owner_staff_id, "owner_staff_id"),
        (before.source != after.source, "source"),
        (before.next_step != after.next_step, "next_step"),
    ]
    .into_iter()
    .filter(|(differs, _)| *differs)
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn new_row_values(row: &row_entity::Model) -> Vec<Value> {
    vec![
        row.id.into(),
        row.external_id.clone().into(),
        row.account_id.into(),
        row.pipeline_id.into(),
        row.stage.clone().into(),
        // The furthest stage reached: the first (an open stage, never the lost one).
        row.stage.clone().into(),
        row.display_name.clone().into(),
        row.amount_currency.clone().into(),
        row.amount_units.into(),
        row.amount_nanos.into(),
        row.expected_close_date.into(),
        row.owner_staff_id.into(),
        row.competitors.clone().into(),
        row.source.clone().into(),
        row.next_step.clone().into(),
        row.budget_confirmed.into(),
        row.authority_confirmed.into(),
        row.need_confirmed.into(),
        row.close_reason.clone().into(),
        row.close_note.clone().into(),
        row.lost_to_competitor.clone().into(),
        row.stage_enter_time.into(),
        row.create_time.into(),
        row.update_time.into(),
        row.revision.into(),
    ]
}

fn changed_row_values(row: &row_entity::Model) -> Vec<Value> {
    vec![
        row.id.into(),
        row.display_name.clone().into(),
        row.amount_currency.clone().into(),
        row.amount_units.into(),
        row.amount_nanos.into(),
        row.expected_close_date.into(),
        row.owner_staff_id.into(),
        row.source.clone().into(),
        row.next_step.clone().into(),
        row.update_time.into(),
        row.revision.into(),
    ]
}

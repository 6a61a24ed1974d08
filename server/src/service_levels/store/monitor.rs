//! The breach monitor's database side: find the requests whose `next_check_time` has come,
//! record their AT_RISK and BREACHED transitions exactly once, run the escalation steps that are due,
//! and schedule the next look.
//!
//! # Exactly once, with several servers on one database
//!
//! Each request is handled in its own [`Db::write`] transaction, which
//! 1. *claims* the request: `UPDATE … SET next_check_time = next_check_time WHERE id = ? AND
//!    next_check_time <= now`. No row means another monitor (or a write) already moved it on: skip. On
//!    PostgreSQL the update takes the row lock, so a second monitor on the same request waits and then
//!    fails its SERIALIZABLE transaction (retried by `Db::write`, it then finds nothing to claim); on
//!    SQLite writers are serialized by `BEGIN IMMEDIATE`. Everything read after the claim is therefore
//!    what the transaction commits against.
//! 2. records each transition with a compare-and-set on the recorded-state column, `UPDATE … SET
//!    <target>_sla_state = 'BREACHED' WHERE id = ? AND <target>_sla_state = <what was read>`, and
//!    writes its `SlaAtRisk` / `SlaBreached` event only when that update touched the row;
//! 3. runs an escalation step only when no row of it exists yet for this application of the policy
//!    (`escalate_time >= sla_apply_time`), inserting the row and its `SlaEscalated` event together;
//! 4. sets `next_check_time` to the next instant something can happen — always later than `now`, so a
//!    scan never sees a request twice — or NULL.
//!
//! All of it commits together with the audit rows and events, or not at all.
//!
//! # What runs when
//!
//! A target that went straight from IN_PROGRESS to BREACHED between two scans passed AT_RISK on the way
//! (the at-risk time is never after the due time): both transitions are recorded, so every ladder runs
//! in full. A step with trigger T runs once the target's recorded state is T or worse, the target is
//! still in T or worse now, and `delay_minutes` business minutes have passed since it turned T (its
//! at-risk time, or its due time for BREACHED); a target fulfilled before the step's instant no longer
//! escalates (a late first response still reports the breach, but does not wake the sponsor an hour
//! later). RecalculateSla starts a new application of the policy: its ladder runs anew.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};
use serde::Serialize;
use uuid::Uuid;

use super::{
    SERVICE_REQUEST,
    clock_calendars::{clock_calendar, load_calendar},
    evaluation::{clock_error, evaluate, histories, off_the_workers},
    policies::load_policy,
    rows::{applied_of, recorded_of},
};
use crate::{
    platform::{
        audit::{self, Change, SystemActor},
        db::Db,
        error::{Error, Result},
        events::Payload,
        wire::{WireEnum, timestamp},
    },
    service_levels::clock::BusinessCalendar,
    service_levels::store::entity::{service_request as row_entity, sla_escalation as escalation_entity},
    service_levels::{
        convert::escalation_to_proto,
        model::{DEFAULT_POLICY_ID, Escalation, EscalationStep, Priority, Recipient, SlaState, TargetKind},
        rules::{self, escalation},
    },
    teams,
};

const MONITOR: SystemActor = SystemActor { name: "sla-monitor" };

/// What one scan did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    /// Requests that were due and looked at.
    pub examined: u64,
    /// AT_RISK transitions recorded (one per target).
    pub at_risk_recorded: u64,
    /// BREACHED transitions recorded (one per target).
    pub breached_recorded: u64,
    /// Escalation steps run.
    pub escalations: u64,
}

impl ScanReport {
    fn add(&mut self, other: ScanReport) {
        self.examined += other.examined;
        self.at_risk_recorded += other.at_risk_recorded;
        self.breached_recorded += other.breached_recorded;
        self.escalations += other.escalations;
    }
}

/// Calendars and escalation ladders, loaded once per scan rather than once per request.
#[derive(Default)]
struct Cache {
    calendars: HashMap<Uuid, Arc<BusinessCalendar>>,
    ladders: HashMap<Uuid, Arc<Vec<EscalationStep>>>,
}

impl Cache {
    async fn calendar(&mut self, conn: &impl ConnectionTrait, id: Uuid) -> Result<Arc<BusinessCalendar>> {
        if let Some(found) = self.calendars.get(&id) {
            return Ok(Arc::clone(found));
        }
        let calendar = Arc::new(clock_calendar(&load_calendar(conn, id).await?)?);
        self.calendars.insert(id, Arc::clone(&calendar));
        Ok(calendar)
    }

    async fn ladder(
        &mut self,
        conn: &impl ConnectionTrait,
        policy_id: Uuid,
    ) -> Result<Arc<Vec<EscalationStep>>> {
        if let Some(found) = self.ladders.get(&policy_id) {
            return Ok(Arc::clone(found));
        }
        let ladder = Arc::new(ladder_of(conn, policy_id).await?);
        self.ladders.insert(policy_id, Arc::clone(&ladder));
        Ok(ladder)
    }
}

/// The escalation steps of `policy_id` as it is now; the default policy's when it has been deleted
/// (the proto's rule).
async fn ladder_of(conn: &impl ConnectionTrait, policy_id: Uuid) -> Result<Vec<EscalationStep>> {
    match load_policy(conn, policy_id).await {
        Ok(policy) => Ok(policy.fields.escalation_steps),
        Err(Error::NotFound { .. }) if policy_id != DEFAULT_POLICY_ID => {
            Ok(load_policy(conn, DEFAULT_POLICY_ID)
                .await?
                .fields
                .escalation_steps)
        }
        Err(other) => Err(other),
    }
}

/// One pass over every request whose `next_check_time` is at or before `now`, `batch` at a time in
/// `next_check_time` order, through the partial index `ix_service_requests_next_check`: the cost
/// follows the requests coming due, not the table.
pub async fn scan_once(db: &Db, now: DateTime<Utc>, batch: u64) -> Result<ScanReport> {
    use row_entity::Column as C;
    let batch = batch.max(1);
    let mut report = ScanReport::default();
    let mut cache = Cache::default();
    // Every request handled leaves the range (its next check moves past `now`), so each batch query
    // starts from the front again; `seen` only guards against a request that somehow stays due.
    let mut seen: HashSet<Uuid> = HashSet::new();
    loop {
        let due: Vec<(Uuid, Uuid, Uuid)> = row_entity::Entity::find()
            .select_only()
            .column(C::Id)
            .column(C::CalendarId)
            .column(C::PolicyId)
            .filter(C::NextCheckTime.is_not_null())
            .filter(C::NextCheckTime.lte(now))
            .order_by_asc(C::NextCheckTime)
            .order_by_asc(C::Id)
            .limit(batch)
            .into_tuple()
            .all(db.conn())
            .await?;
        let fetched = due.len() as u64;
        let fresh: Vec<_> = due.into_iter().filter(|(id, ..)| seen.insert(*id)).collect();
        if fresh.is_empty() {
            break;
        }
        for (id, calendar_id, policy_id) in fresh {
            let calendar = cache.calendar(db.conn(), calendar_id).await?;
            let ladder = cache.ladder(db.conn(), policy_id).await?;
            let known = Known {
                calendar_id,
                calendar,
                policy_id,
                ladder,
            };
            match check_request(db, id, now, known).await {
                Ok(done) => report.add(done),
                // Another monitor kept winning the race for this request: it is handling it. Whatever
                // it did not finish stays due for the next scan.
                Err(Error::Contention) => {
                    tracing::debug!(request = %id, "sla monitor: request busy elsewhere; left for the next scan");
                }
                Err(other) => return Err(other),
            }
        }
        if fetched < batch {
            break;
        }
    }
    if report.at_risk_recorded + report.breached_recorded + report.escalations > 0 {
        tracing::info!(
            examined = report.examined,
            at_risk = report.at_risk_recorded,
            breached = report.breached_recorded,
            escalations = report.escalations,
            "sla monitor recorded transitions"
        );
    }
    Ok(report)
}

/// The calendar and ladder the scan expects the request to have (from its batch query).
struct Known {
    calendar_id: Uuid,
    calendar: Arc<BusinessCalendar>,
    policy_id: Uuid,
    ladder: Arc<Vec<EscalationStep>>,
}

/// Claims, evaluates and records one request in one transaction (see the module docs).
async fn check_request(db: &Db, id: Uuid, now: DateTime<Utc>, known: Known) -> Result<ScanReport> {
    use row_entity::Column as C;
    let known = &known;
    db.write(|txn| async move {
        let txn = &*txn;
        let claimed = row_entity::Entity::update_many()
            .col_expr(C::NextCheckTime, Expr::col(C::NextCheckTime))
            .filter(C::Id.eq(id))
            .filter(C::NextCheckTime.lte(now))
            .exec(txn)
            .await?
            .rows_affected;
        if claimed == 0 {
            return Ok(ScanReport::default());
        }
        let mut report = ScanReport {
            examined: 1,
            ..Default::default()
        };
        let row = row_entity::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or_else(|| Error::not_found(SERVICE_REQUEST, id))?;
        // RecalculateSla may have moved the request to another calendar or policy since the batch
        // query; then read them here rather than from the scan's cache.
        let calendar = if row.calendar_id == known.calendar_id {
            Arc::clone(&known.calendar)
        } else {
            Arc::new(clock_calendar(&load_calendar(txn, row.calendar_id).await?)?)
        };
        let ladder = if row.policy_id == known.policy_id {
            Arc::clone(&known.ladder)
        } else {
            Arc::new(ladder_of(txn, row.policy_id).await?)
        };
        let history = histories(txn, &[id]).await?.remove(&id).unwrap_or_default();
        let sla = applied_of(&row)?;
        let subject = format!("service_requests/{id}");
        // Off the async workers like every other evaluation: a request open for long replays many days.
        let evaluation = {
            let (calendar, first_response) = (Arc::clone(&calendar), row.first_response_time);
            off_the_workers(move || {
                evaluate(&calendar, &history, &sla, first_response, now).map_err(|e| clock_error(&subject, e))
            })
            .await?
        };

        let ran: HashSet<(TargetKind, i32)> = escalation_entity::Entity::find()
            .select_only()
            .column(escalation_entity::Column::Target)
            .column(escalation_entity::Column::StepIndex)
            .filter(escalation_entity::Column::ServiceRequestId.eq(id))
            .filter(escalation_entity::Column::EscalateTime.gte(row.sla_apply_time))
            .into_tuple::<(String, i32)>()
            .all(txn)
            .await?
            .into_iter()
            .filter_map(|(target, index)| Some((TargetKind::from_name(&target)?, index)))
            .collect();
        let decision = escalation::decide(&calendar, &ladder, &evaluation, recorded_of(&row)?, &ran, now);

        for transition in &decision.transitions {
            let (kind, status) = (transition.target, evaluation.get(transition.target));
            let column = match kind {
                TargetKind::FirstResponse => C::FirstResponseSlaState,
                TargetKind::Resolution => C::ResolutionSlaState,
            };
            // The compare-and-set: only the transaction that moves the recorded state from what it
            // read writes the transition's events.
            let moved = row_entity::Entity::update_many()
                .col_expr(column, Expr::value(transition.to.as_str()))
                .filter(C::Id.eq(id))
                .filter(column.eq(transition.from.as_str()))
                .exec(txn)
                .await?
                .rows_affected;
            if moved != 1 {
                // Cannot happen while the claim holds the row; start over rather than guess.
                return Err(Error::Contention);
            }
            for &state in &transition.announced {
                let event: fn(pb::SlaTransition) -> Payload = match state {
                    SlaState::AtRisk => {
                        report.at_risk_recorded += 1;
                        Payload::SlaAtRisk
                    }
                    _ => {
                        report.breached_recorded += 1;
                        Payload::SlaBreached
                    }
                };
                let announced = pb::SlaTransition {
                    service_request_id: id.to_string(),
                    account_id: row.account_id.to_string(),
                    target: kind.to_wire(),
                    state: state.to_wire(),
                    priority: Priority::from_name(&row.priority).map_or(0, Priority::to_wire),
                    assignee_staff_id: row.assignee_staff_id.map(|id| id.to_string()).unwrap_or_default(),
                    due_time: Some(timestamp(status.due_time)),
                    at_risk_time: Some(timestamp(status.at_risk_time)),
                    record_time: Some(timestamp(now)),
                };
                let fields = vec![column_name(kind).to_owned()];
                audit::record_system(
                    txn,
                    &MONITOR,
                    Change::new(SERVICE_REQUEST, id, Some(row.account_id), event(announced), fields),
                )
                .await?;
            }
            tracing::debug!(request = %id, target = kind.as_str(), state = transition.to.as_str(), "sla transition recorded");
        }

        for due in &decision.due_steps {
            let (kind, index, step) = (due.target, due.index, &due.step);
            let recipients = recipients_of(txn, &row, step).await?;
            let escalation = Escalation {
                id: Uuid::now_v7(),
                service_request_id: id,
                target: kind,
                trigger: step.trigger,
                step_index: index,
                recipients,
                escalate_time: now,
            };
            escalation_entity::Entity::insert(escalation_entity::ActiveModel {
                id: Set(escalation.id),
                service_request_id: Set(id),
                target: Set(kind.as_str().to_owned()),
                trigger: Set(step.trigger.as_str().to_owned()),
                step_index: Set(index),
                recipients: Set(serde_json::to_value(&escalation.recipients).expect("recipients always serialize")),
                escalate_time: Set(now),
            })
            .exec_without_returning(txn)
            .await?;
            audit::record_system(
                txn,
                &MONITOR,
                // On the request, like its transitions: one stream per request for whoever follows
                // it; the escalation's own id is in the payload.
                Change::new(
                    SERVICE_REQUEST,
                    id,
                    Some(row.account_id),
                    Payload::SlaEscalated(escalation_to_proto(escalation.clone())),
                    vec!["escalations".to_owned()],
                ),
            )
            .await?;
            tracing::debug!(
                request = %id,
                target = kind.as_str(),
                step = index,
                recipients = escalation.recipients.len(),
                "sla escalation step run"
            );
            report.escalations += 1;
        }

        row_entity::Entity::update_many()
            .col_expr(C::NextCheckTime, Expr::value(decision.next_check_time))
            .filter(C::Id.eq(id))
            .exec(txn)
            .await?;
        Ok(report)
    })
    .await
}

/// Whom a step notifies ([`rules::escalation::recipients`]), with the account's active team read
/// only when the step names roles or liaisons.
async fn recipients_of(
    conn: &impl ConnectionTrait,
    row: &row_entity::Model,
    step: &EscalationStep,
) -> Result<Vec<Recipient>> {
    let seats = match step.roles.is_empty() && step.liaison_department_codes.is_empty() {
        true => Vec::new(),
        false => teams::store::active_seats(conn, row.account_id).await?,
    };
    Ok(rules::escalation::recipients(step, row.assignee_staff_id, &seats))
}

fn column_name(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::FirstResponse => "first_response_sla_state",
        TargetKind::Resolution => "resolution_sla_state",
    }
}

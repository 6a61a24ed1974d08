//! SLA policies with their targets, pause statuses and escalation steps (child tables, replaced as a
//! whole), and which policy applies to an account.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::json;
use uuid::Uuid;

use super::{POLICY, clock_calendars::require_calendar, refuse};
use crate::platform::wire::Update;
use crate::{
    accounts,
    accounts::model::Tier,
    identity::{
        Visibility,
        access::{require_visible_account, visible_accounts},
    },
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result},
        etag,
        events::{self, Payload},
        idempotency::IdempotencyKey,
        paging::{Cursor, Direction, Keyset, Page},
        request::RequestContext,
    },
    service_levels::store::entity::{
        sla_policy as policy_entity, sla_policy_escalation_step as step_entity,
        sla_policy_pause_status as pause_entity, sla_policy_target as target_entity,
    },
    service_levels::{
        convert::policy_to_proto,
        model::{
            AppliedSla, EscalationStep, Policy, PolicyFields, PolicyFilter, PolicyMatch, PolicyPatch,
            PolicyScope, Priority, PriorityTargets, RequestStatus, TargetKind, Trigger,
        },
        rules,
    },
    teams::model::TeamRole,
};

pub async fn create_policy(
    db: &Db,
    ctx: &RequestContext,
    fields: PolicyFields,
    key: Option<IdempotencyKey>,
) -> Result<Policy> {
    let (fields, key) = (&fields, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return load_policy(txn, id).await;
        }
        require_calendar(txn, fields.calendar_id).await?;
        if let PolicyScope::Account(account_id) = fields.scope {
            require_account(txn, account_id).await?;
        }
        let id = Uuid::now_v7();
        let time = now();
        let scope = fields.scope;
        policy_entity::Entity::insert(policy_entity::ActiveModel {
            id: Set(id),
            display_name: Set(fields.display_name.clone()),
            scope_kind: Set(scope.kind().to_owned()),
            account_id: Set(scope.account_id()),
            tier: Set(scope.tier().map(|t| t.as_str().to_owned())),
            scope_key: Set(scope.key()),
            calendar_id: Set(fields.calendar_id),
            warning_percent: Set(i32::from(fields.warning_percent)),
            create_time: Set(time),
            update_time: Set(time),
            revision: Set(1),
        })
        .exec_without_returning(txn)
        .await
        .map_err(|e| Error::unique_violation(e, POLICY, "scope", Some(&scope.key())))?;
        insert_children(txn, id, fields).await?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = load_policy(txn, id).await?;
        let changed = [
            "display_name",
            "account_id",
            "tier",
            "calendar_id",
            "targets",
            "warning_percent",
            "pause_statuses",
            "escalation_steps",
        ]
        .map(str::to_owned)
        .to_vec();
        audit::record(
            txn,
            ctx,
            Change::new(
                POLICY,
                id,
                None,
                Payload::SlaPolicyCreated(policy_to_proto(created.clone())),
                changed,
            ),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_policy(db: &Db, visibility: Visibility, id: Uuid) -> Result<Policy> {
    load_visible_policy(db.conn(), visibility, id).await
}

/// A policy the caller may see: to a MEMBER, the policy of another team's account and a missing one
/// both answer PERMISSION_DENIED.
pub(super) async fn load_visible_policy(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    id: Uuid,
) -> Result<Policy> {
    let policy = crate::identity::access::hide_missing(visibility, load_policy(conn, id).await)?;
    if let PolicyScope::Account(account_id) = policy.fields.scope {
        require_visible_account(conn, visibility, account_id).await?;
    }
    Ok(policy)
}

pub async fn list_policies(
    db: &Db,
    visibility: Visibility,
    filter: &PolicyFilter,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Policy>> {
    let mut select = policy_entity::Entity::find();
    if let Some(visible) = visible_accounts(visibility, policy_entity::Column::AccountId) {
        select = select.filter(
            Condition::any()
                .add(policy_entity::Column::AccountId.is_null())
                .add(visible),
        );
    }
    if let Some(account) = filter.account_id {
        select = select.filter(policy_entity::Column::AccountId.eq(account));
    }
    if let Some(tier) = filter.tier {
        select = select.filter(policy_entity::Column::Tier.eq(tier.as_str()));
    }
    let keyset = Keyset {
        sort: None,
        id: policy_entity::Column::Id,
        direction: Direction::Ascending,
    };
    let (rows, next) = keyset
        .fetch(select, db.conn(), page_size, after.as_ref(), |row| (row.id, None))
        .await?;
    Ok(Page {
        items: policies_from_rows(db.conn(), rows).await?,
        next,
    })
}

/// Changes a policy. Requests keep the targets they were given; the new ones apply from now on.
pub async fn update_policy(db: &Db, ctx: &RequestContext, update: Update<PolicyPatch>) -> Result<Policy> {
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
        let current = load_policy(txn, id).await?;
        etag::check(POLICY, id, current.revision, sent_etag)?;
        let subject = format!("sla_policies/{id}");
        let before = current.fields.scope;
        let account = patch.account_id.unwrap_or(before.account_id());
        let tier = patch.tier.unwrap_or(before.tier());
        let scope = rules::scope_of(account, tier)?;
        rules::check_scope_change(&subject, before, scope).map_err(|v| refuse(vec![v]))?;
        let mut next = current.fields.clone();
        next.scope = scope;
        if let Some(v) = &patch.display_name {
            next.display_name = v.clone();
        }
        if let Some(v) = patch.calendar_id {
            next.calendar_id = v;
        }
        if let Some(v) = &patch.targets {
            next.targets = v.clone();
        }
        if let Some(v) = patch.warning_percent {
            next.warning_percent = v;
        }
        if let Some(v) = &patch.pause_statuses {
            next.pause_statuses = v.clone();
        }
        if let Some(v) = &patch.escalation_steps {
            next.escalation_steps = v.clone();
        }
        let shape = rules::check_policy(&next);
        if !shape.is_empty() {
            return Err(Error::InvalidArgument(shape));
        }
        let next = rules::normalize_policy(next);
        if next.calendar_id != current.fields.calendar_id {
            require_calendar(txn, next.calendar_id).await?;
        }
        if let PolicyScope::Account(account_id) = scope
            && scope != before
        {
            require_account(txn, account_id).await?;
        }
        policy_entity::Entity::update(policy_entity::ActiveModel {
            id: Set(id),
            display_name: Set(next.display_name.clone()),
            scope_kind: Set(scope.kind().to_owned()),
            account_id: Set(scope.account_id()),
            tier: Set(scope.tier().map(|t| t.as_str().to_owned())),
            scope_key: Set(scope.key()),
            calendar_id: Set(next.calendar_id),
            warning_percent: Set(i32::from(next.warning_percent)),
            update_time: Set(now()),
            revision: Set(current.revision + 1),
            ..Default::default()
        })
        .exec(txn)
        .await
        .map_err(|e| Error::unique_violation(e, POLICY, "scope", Some(&scope.key())))?;
        delete_children(txn, id).await?;
        insert_children(txn, id, &next).await?;
        let updated = load_policy(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change::new(
                POLICY,
                id,
                None,
                Payload::SlaPolicyUpdated(policy_to_proto(updated.clone())),
                changed_fields.clone(),
            ),
        )
        .await?;
        Ok(updated)
    })
    .await
}

/// Deletes a policy that is not the default (DEFAULT_POLICY). Requests keep their snapshot.
pub async fn delete_policy(db: &Db, ctx: &RequestContext, id: Uuid, sent_etag: Option<&str>) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        let current = load_policy(txn, id).await?;
        etag::check(POLICY, id, current.revision, sent_etag)?;
        rules::check_delete(&format!("sla_policies/{id}"), &current).map_err(|v| refuse(vec![v]))?;
        delete_children(txn, id).await?;
        policy_entity::Entity::delete_by_id(id).exec(txn).await?;
        audit::record(
            txn,
            ctx,
            Change::new(
                POLICY,
                id,
                None,
                Payload::SlaPolicyDeleted(events::tombstone(id, None, now())),
                vec![],
            ),
        )
        .await?;
        Ok(())
    })
    .await
}

/// The policy that applies to an account of `tier` now: its own, else its tier's, else the default.
pub(super) async fn applicable_policy(
    conn: &impl ConnectionTrait,
    account_id: Uuid,
    tier: Option<Tier>,
) -> Result<(Policy, PolicyMatch)> {
    let candidates = candidate_policies(conn, &[(account_id, tier)]).await?;
    choose(&candidates, account_id, tier).map(|(policy, matched)| (policy.clone(), matched))
}

/// Every policy that may apply to one of `accounts` (each with its tier): theirs, their tiers', the
/// default. Choose among them with [`choose`].
pub(super) async fn candidate_policies(
    conn: &impl ConnectionTrait,
    accounts: &[(Uuid, Option<Tier>)],
) -> Result<Vec<Policy>> {
    let mut keys: Vec<String> = accounts
        .iter()
        .map(|(id, _)| PolicyScope::Account(*id).key())
        .chain(
            accounts
                .iter()
                .filter_map(|(_, tier)| tier.map(|t| PolicyScope::Tier(t).key())),
        )
        .chain([PolicyScope::Default.key()])
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut rows = Vec::new();
    for chunk in keys.chunks(5000) {
        rows.extend(
            policy_entity::Entity::find()
                .filter(policy_entity::Column::ScopeKey.is_in(chunk.iter().cloned()))
                .all(conn)
                .await?,
        );
    }
    policies_from_rows(conn, rows).await
}

/// The policy of `account_id` among `candidates`: its own, else its tier's, else the default.
pub(super) fn choose(
    candidates: &[Policy],
    account_id: Uuid,
    tier: Option<Tier>,
) -> Result<(&Policy, PolicyMatch)> {
    rules::choose_policy(candidates, account_id, tier)
        .ok_or_else(|| Error::Database(sea_orm::DbErr::Custom("no default SLA policy".to_owned())))
}

async fn require_account(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    accounts::store::tier_of(conn, id).await.map(|_| ())
}

async fn delete_children(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    target_entity::Entity::delete_many()
        .filter(target_entity::Column::PolicyId.eq(id))
        .exec(conn)
        .await?;
    pause_entity::Entity::delete_many()
        .filter(pause_entity::Column::PolicyId.eq(id))
        .exec(conn)
        .await?;
    step_entity::Entity::delete_many()
        .filter(step_entity::Column::PolicyId.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

async fn insert_children(conn: &impl ConnectionTrait, id: Uuid, fields: &PolicyFields) -> Result<()> {
    let targets = fields.targets.iter().map(|t| target_entity::ActiveModel {
        policy_id: Set(id),
        priority: Set(t.priority.as_str().to_owned()),
        first_response_minutes: Set(t.first_response_minutes),
        resolution_minutes: Set(t.resolution_minutes),
    });
    target_entity::Entity::insert_many(targets)
        .exec_without_returning(conn)
        .await?;
    if !fields.pause_statuses.is_empty() {
        let statuses = fields.pause_statuses.iter().map(|s| pause_entity::ActiveModel {
            policy_id: Set(id),
            status: Set(s.as_str().to_owned()),
        });
        pause_entity::Entity::insert_many(statuses)
            .exec_without_returning(conn)
            .await?;
    }
    if !fields.escalation_steps.is_empty() {
        let steps = fields
            .escalation_steps
            .iter()
            .enumerate()
            .map(|(position, step)| step_entity::ActiveModel {
                policy_id: Set(id),
                position: Set(position as i32),
                trigger: Set(step.trigger.as_str().to_owned()),
                target: Set(step.target.map(|t| t.as_str().to_owned())),
                delay_minutes: Set(step.delay_minutes),
                notify_assignee: Set(step.notify_assignee),
                roles: Set(json!(step.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>())),
                liaison_department_codes: Set(json!(step.liaison_department_codes)),
            });
        step_entity::Entity::insert_many(steps)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub(super) async fn load_policy(conn: &impl ConnectionTrait, id: Uuid) -> Result<Policy> {
    let row = policy_entity::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(|| Error::not_found(POLICY, id))?;
    let mut policies = policies_from_rows(conn, vec![row]).await?;
    Ok(policies.remove(0))
}

/// Rows with their targets, pause statuses and steps, loaded for all rows at once.
async fn policies_from_rows(
    conn: &impl ConnectionTrait,
    rows: Vec<policy_entity::Model>,
) -> Result<Vec<Policy>> {
    let stored = |column: &str, raw: &str| Error::unknown_stored_value(column, raw);
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut targets: HashMap<Uuid, Vec<PriorityTargets>> = HashMap::new();
    for row in target_entity::Entity::find()
        .filter(target_entity::Column::PolicyId.is_in(ids.iter().copied()))
        .order_by_asc(target_entity::Column::Priority)
        .all(conn)
        .await?
    {
        let priority = Priority::from_name(&row.priority).ok_or_else(|| stored("priority", &row.priority))?;
        targets.entry(row.policy_id).or_default().push(PriorityTargets {
            priority,
            first_response_minutes: row.first_response_minutes,
            resolution_minutes: row.resolution_minutes,
        });
    }
    let mut pauses: HashMap<Uuid, Vec<RequestStatus>> = HashMap::new();
    for row in pause_entity::Entity::find()
        .filter(pause_entity::Column::PolicyId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
    {
        let status =
            RequestStatus::from_name(&row.status).ok_or_else(|| stored("pause status", &row.status))?;
        pauses.entry(row.policy_id).or_default().push(status);
    }
    let mut steps: HashMap<Uuid, Vec<EscalationStep>> = HashMap::new();
    for row in step_entity::Entity::find()
        .filter(step_entity::Column::PolicyId.is_in(ids.iter().copied()))
        .order_by_asc(step_entity::Column::PolicyId)
        .order_by_asc(step_entity::Column::Position)
        .all(conn)
        .await?
    {
        let trigger = Trigger::from_name(&row.trigger).ok_or_else(|| stored("trigger", &row.trigger))?;
        let target = row
            .target
            .as_deref()
            .map(|raw| TargetKind::from_name(raw).ok_or_else(|| stored("target", raw)))
            .transpose()?;
        let role_names: Vec<String> = serde_json::from_value(row.roles.clone()).unwrap_or_default();
        let roles = role_names
            .iter()
            .map(|raw| TeamRole::from_name(raw).ok_or_else(|| stored("role", raw)))
            .collect::<Result<Vec<_>>>()?;
        let codes: Vec<String> = serde_json::from_value(row.liaison_department_codes).unwrap_or_default();
        steps.entry(row.policy_id).or_default().push(EscalationStep {
            trigger,
            target,
            delay_minutes: row.delay_minutes,
            notify_assignee: row.notify_assignee,
            roles,
            liaison_department_codes: codes,
        });
    }
    rows.into_iter()
        .map(|row| {
            let scope = match row.scope_kind.as_str() {
                "ACCOUNT" => {
                    PolicyScope::Account(row.account_id.ok_or_else(|| stored("policy account", "NULL"))?)
                }
                "TIER" => {
                    let raw = row.tier.as_deref().unwrap_or_default();
                    PolicyScope::Tier(Tier::from_name(raw).ok_or_else(|| stored("policy tier", raw))?)
                }
                "DEFAULT" => PolicyScope::Default,
                other => return Err(stored("scope_kind", other)),
            };
            let mut pause_statuses = pauses.remove(&row.id).unwrap_or_default();
            pause_statuses.sort();
            Ok(Policy {
                id: row.id,
                fields: PolicyFields {
                    display_name: row.display_name,
                    scope,
                    calendar_id: row.calendar_id,
                    targets: targets.remove(&row.id).unwrap_or_default(),
                    warning_percent: u8::try_from(row.warning_percent)
                        .map_err(|_| stored("warning_percent", &row.warning_percent.to_string()))?,
                    pause_statuses,
                    escalation_steps: steps.remove(&row.id).unwrap_or_default(),
                },
                create_time: row.create_time,
                update_time: row.update_time,
                revision: row.revision,
            })
        })
        .collect()
}

/// The targets of `policy` for `priority`, as a snapshot taken at `time`.
pub(super) fn snapshot(
    policy: &Policy,
    matched: PolicyMatch,
    priority: Priority,
    time: DateTime<Utc>,
) -> Result<AppliedSla> {
    let targets = policy.targets_for(priority).ok_or_else(|| {
        Error::Database(sea_orm::DbErr::Custom(format!(
            "policy {} has no {} targets",
            policy.id,
            priority.as_str()
        )))
    })?;
    Ok(AppliedSla {
        policy_id: policy.id,
        policy_match: matched,
        calendar_id: policy.fields.calendar_id,
        first_response_minutes: targets.first_response_minutes,
        resolution_minutes: targets.resolution_minutes,
        warning_percent: policy.fields.warning_percent,
        pause_statuses: policy.fields.pause_statuses.clone(),
        apply_time: time,
    })
}

//! One watch: read what the other areas say now (health, key dates, cadences, plan actions), decide
//! what is news ([`crate::notifications::rules`]), and announce each piece in a transaction of its own
//! that first claims it: an occurrence row whose primary key refuses a second claim, or a
//! compare-and-set of the health level last announced. Two watchers at once (a holder paused past its
//! lease) therefore still announce each occurrence once; a watch that fails midway leaves what it did
//! not claim for the next one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
    sea_query::Expr,
};
use uuid::Uuid;

use super::entity::{account_health_watch, notification, watch_occurrence};
use crate::{
    accounts::{model::Tier, store as accounts},
    config::PlanningConfig,
    identity::Visibility,
    notifications::{
        config::NotificationsConfig,
        convert::recipients_to_proto,
        model::{Recipient, WatchReport},
        rules::{Announced, Audience, HealthNews, health_news, recipients, within_notice},
    },
    planning::{
        convert::{action_to_proto, health_to_proto, overdue_to_proto, upcoming_to_proto},
        model::{ActionFilter, CadenceKind},
        rules::health::{HealthLevel, HealthSignalKind},
        store as planning,
    },
    platform::{
        audit::{self, Change, SystemActor},
        db::Db,
        error::{Error, Result},
        events::{self, Payload},
        paging::Cursor,
        wire::WireEnum,
    },
    teams::{model::TeamRole, store as teams},
};

/// Who the audit trail names for what the watcher writes.
const WATCHER: SystemActor = SystemActor { name: "watcher" };
/// Overdue actions read per page.
const ACTIONS_PAGE: u64 = 1000;

/// Everything an announcement writes besides its claim: the event, and a notification per recipient.
struct Announcement {
    resource_type: &'static str,
    resource_id: Uuid,
    account_id: Uuid,
    account_display_name: String,
    payload: Payload,
    recipients: Vec<Recipient>,
}

/// What makes an announcement this watch's to make.
enum Claim {
    /// The first row for this occurrence.
    Occurrence { kind: &'static str, key: String },
    /// The health level moves from what was last announced (`None`: never assessed) to `now`.
    Health {
        account_id: Uuid,
        before: Option<Announced>,
        now: Announced,
    },
}

/// Looks at every live account at `now` and announces what is news.
pub async fn watch_once(
    db: &Db,
    planning_config: &PlanningConfig,
    config: &NotificationsConfig,
    now: DateTime<Utc>,
) -> Result<WatchReport> {
    let seats =
        teams::seats_in_roles(db.conn(), &[TeamRole::AccountManager, TeamRole::ExecutiveSponsor]).await?;
    let mut watch = Watch {
        db,
        seats,
        now,
        report: WatchReport::default(),
    };
    watch.health(planning_config).await?;
    watch.key_dates(config).await?;
    watch.cadences(planning_config).await?;
    watch.overdue_actions().await?;
    Ok(watch.report)
}

/// One watch under way: what it reads once, and what it has announced so far.
struct Watch<'a> {
    db: &'a Db,
    seats: Seats,
    now: DateTime<Utc>,
    report: WatchReport,
}

impl Watch<'_> {
    /// Claims and makes `announcement`; whether this watch made it.
    async fn make(&mut self, claim: Claim, announcement: Option<Announcement>) -> Result<bool> {
        let made = announce(self.db, claim, announcement, self.now).await?;
        Ok(self.report.tally(made))
    }

    fn tell(&self, account: Uuid, audience: Audience) -> Vec<Recipient> {
        recipients(seats_of(&self.seats, account), audience)
    }

    /// AccountHealthChanged: each live account whose health level moved since it was last announced.
    async fn health(&mut self, planning_config: &PlanningConfig) -> Result<()> {
        for (before, (account_id, seen), announcement) in
            health_news_of(self.db, planning_config, self.now, &self.seats).await?
        {
            let remembered_only = announcement.is_none();
            let claim = Claim::Health {
                account_id,
                before,
                now: seen,
            };
            if self.make(claim, announcement).await? && !remembered_only {
                self.report.health_changes += 1;
            }
        }
        Ok(())
    }

    /// KeyDateUpcoming: each key date within its kind's notice, once per date and year.
    async fn key_dates(&mut self, config: &NotificationsConfig) -> Result<()> {
        let notice = &config.key_date_notice_days;
        let today = self.now.date_naive();
        let window = notice.longest() + 1;
        for upcoming in planning::upcoming_key_dates(
            self.db,
            Visibility::All,
            None,
            &crate::segments::model::SegmentFilter::default(),
            today,
            window,
        )
        .await?
        {
            let days = notice.of(upcoming.date.key_date.kind);
            if !within_notice(upcoming.days_until, days) {
                continue;
            }
            let account_id = upcoming.date.account_id;
            let (owner, audience) = match &upcoming.date.contact {
                Some((contact, _)) => (*contact, Audience::Managers),
                None => (account_id, Audience::ManagersAndSponsors),
            };
            let key = format!(
                "{owner}/{}/{}/{}",
                upcoming.date.key_date.kind.as_str(),
                upcoming.date.key_date.label,
                upcoming.next_occurrence
            );
            let people = self.tell(account_id, audience);
            let announcement = Announcement {
                resource_type: "account",
                resource_id: account_id,
                account_id,
                account_display_name: upcoming.date.account_display_name.clone(),
                payload: Payload::KeyDateUpcoming(pb::KeyDateUpcoming {
                    key_date: Some(upcoming_to_proto(upcoming)),
                    notice_days: days as i32,
                    recipients: recipients_to_proto(&people),
                }),
                recipients: people,
            };
            let claim = Claim::Occurrence {
                kind: "KEY_DATE",
                key,
            };
            if self.make(claim, Some(announcement)).await? {
                self.report.key_dates += 1;
            }
        }
        Ok(())
    }

    /// CadenceOverdue: each cadence fallen due, once per due time.
    async fn cadences(&mut self, planning_config: &PlanningConfig) -> Result<()> {
        let now = self.now;
        for overdue in
            planning::overdue_cadence(self.db, Visibility::All, planning_config, now, None, None).await?
        {
            let audience = match overdue.kind {
                CadenceKind::ExecutiveVisitDue => Audience::ManagersAndSponsors,
                CadenceKind::AccountManagerTouchDue => Audience::Managers,
            };
            let account_id = overdue.account_id;
            // The due time names the occurrence: an interaction that settles the cadence moves it,
            // and a later miss is a new one.
            let key = format!(
                "{account_id}/{}/{}",
                overdue.kind.as_str(),
                overdue.due_time.timestamp()
            );
            let people = self.tell(account_id, audience);
            let announcement = Announcement {
                resource_type: "account",
                resource_id: account_id,
                account_id,
                account_display_name: overdue.account_display_name.clone(),
                payload: Payload::CadenceOverdue(pb::CadenceOverdue {
                    overdue: Some(overdue_to_proto(overdue)),
                    recipients: recipients_to_proto(&people),
                }),
                recipients: people,
            };
            let claim = Claim::Occurrence { kind: "CADENCE", key };
            if self.make(claim, Some(announcement)).await? {
                self.report.cadences += 1;
            }
        }
        Ok(())
    }

    /// PlanActionOverdue: each open action of a live account past its due date, once per due date.
    async fn overdue_actions(&mut self) -> Result<()> {
        let today = self.now.date_naive();
        let names: HashMap<Uuid, String> = accounts::live_accounts_in_tiers(self.db.conn(), Tier::ALL)
            .await?
            .into_iter()
            .map(|account| (account.id, account.display_name))
            .collect();
        let overdue = ActionFilter {
            overdue_on: Some(today),
            by_due_date: true,
            ..ActionFilter::default()
        };
        let mut after: Option<Cursor> = None;
        loop {
            let page =
                planning::list_actions(self.db, Visibility::All, &overdue, ACTIONS_PAGE, after).await?;
            for action in page.items {
                // A deleted account's actions wait for it to come back.
                let Some(name) = names.get(&action.account_id) else {
                    continue;
                };
                let key = format!("{}/{}", action.id, action.due_date);
                let days_overdue = (today - action.due_date).num_days();
                let people = self.tell(
                    action.account_id,
                    Audience::OwnerAndManagers(action.owner_staff_id),
                );
                let announcement = Announcement {
                    resource_type: "plan_action",
                    resource_id: action.id,
                    account_id: action.account_id,
                    account_display_name: name.clone(),
                    payload: Payload::PlanActionOverdue(pb::PlanActionOverdue {
                        action: Some(action_to_proto(action)),
                        account_display_name: name.clone(),
                        days_overdue: i32::try_from(days_overdue).unwrap_or(i32::MAX),
                        recipients: recipients_to_proto(&people),
                    }),
                    recipients: people,
                };
                let claim = Claim::Occurrence {
                    kind: "PLAN_ACTION",
                    key,
                };
                if self.make(claim, Some(announcement)).await? {
                    self.report.overdue_actions += 1;
                }
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }
}

/// The active account-manager and executive-sponsor seats, by account.
type Seats = HashMap<Uuid, Vec<(Uuid, TeamRole)>>;

fn seats_of(seats: &Seats, account: Uuid) -> &[(Uuid, TeamRole)] {
    seats.get(&account).map(Vec::as_slice).unwrap_or(&[])
}

/// Each live account whose health is news, with what was last announced, what is seen now, and (for a
/// change) the announcement; accounts first seen HEALTHY come with none, to be remembered.
async fn health_news_of(
    db: &Db,
    planning_config: &PlanningConfig,
    now: DateTime<Utc>,
    seats: &Seats,
) -> Result<Vec<(Option<Announced>, (Uuid, Announced), Option<Announcement>)>> {
    let scope = planning::HealthScope {
        account_id: None,
        tier: None,
        visibility: Visibility::All,
    };
    let assessed = planning::assess_accounts(db, &scope, planning_config, now).await?;
    let mut announced = last_announced(db.conn()).await?;
    let mut news = Vec::new();
    for (account, health) in assessed {
        let seen = Announced::of(&health);
        let before = announced.remove(&account.id);
        let announcement = match health_news(before.as_ref(), &seen) {
            HealthNews::Unchanged => continue,
            HealthNews::Remember => None,
            HealthNews::Changed { moved } => {
                let people = recipients(seats_of(seats, account.id), Audience::ManagersAndSponsors);
                Some(Announcement {
                    resource_type: "account",
                    resource_id: account.id,
                    account_id: account.id,
                    account_display_name: account.display_name.clone(),
                    payload: Payload::AccountHealthChanged(pb::AccountHealthChanged {
                        old_level: before.as_ref().map_or(0, |b| b.level.to_wire()),
                        old_score: before.as_ref().map_or(0, |b| b.score as i32),
                        moved_signals: moved.iter().map(|kind| kind.to_wire()).collect(),
                        health: Some(health_to_proto(account.clone(), health, now)),
                        recipients: recipients_to_proto(&people),
                    }),
                    recipients: people,
                })
            }
        };
        news.push((before, (account.id, seen), announcement));
    }
    Ok(news)
}

/// The health last announced per account.
async fn last_announced(conn: &impl ConnectionTrait) -> Result<HashMap<Uuid, Announced>> {
    let mut announced = HashMap::new();
    for row in account_health_watch::Entity::find().all(conn).await? {
        let level = HealthLevel::from_name(&row.level)
            .ok_or_else(|| Error::unknown_stored_value("account_health_watch.level", &row.level))?;
        let names: Vec<String> = serde_json::from_value(row.triggered_signals).map_err(|e| {
            Error::unknown_stored_value("account_health_watch.triggered_signals", &e.to_string())
        })?;
        let triggered = names
            .iter()
            .map(|name| {
                HealthSignalKind::from_name(name).ok_or_else(|| {
                    Error::unknown_stored_value("account_health_watch.triggered_signals", name)
                })
            })
            .collect::<Result<_>>()?;
        announced.insert(
            row.account_id,
            Announced {
                level,
                score: u32::try_from(row.score).unwrap_or(0),
                triggered,
            },
        );
    }
    Ok(announced)
}

/// Claims and writes one announcement (or, for a health first seen HEALTHY, only the claim) in one
/// transaction: `Some(recipients told)` when this watch made it, `None` when the claim was taken.
async fn announce(
    db: &Db,
    claim: Claim,
    announcement: Option<Announcement>,
    now: DateTime<Utc>,
) -> Result<Option<usize>> {
    let (claim, announcement) = (&claim, &announcement);
    db.write(|txn| async move {
        let txn = &*txn;
        if !claimed(txn, claim, now).await? {
            return Ok(None);
        }
        let Some(announcement) = announcement else {
            return Ok(Some(0));
        };
        let encoded = events::encode(&announcement.payload);
        let body: serde_json::Value =
            serde_json::from_str(&encoded.payload_json).expect("an encoded payload is JSON");
        audit::record_system(
            txn,
            &WATCHER,
            Change::new(
                announcement.resource_type,
                announcement.resource_id,
                Some(announcement.account_id),
                announcement.payload.clone(),
                Vec::new(),
            ),
        )
        .await?;
        if announcement.recipients.is_empty() {
            return Ok(Some(0));
        }
        let rows = announcement
            .recipients
            .iter()
            .map(|recipient| notification::ActiveModel {
                id: Set(Uuid::now_v7()),
                staff_id: Set(recipient.staff_id),
                reason: Set(recipient.reason.as_str().to_owned()),
                event_type: Set(encoded.event_type.clone()),
                account_id: Set(announcement.account_id),
                account_display_name: Set(announcement.account_display_name.clone()),
                payload: Set(body.clone()),
                create_time: Set(now),
                read_time: Set(None),
            });
        notification::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
        Ok(Some(announcement.recipients.len()))
    })
    .await
}

/// Takes `claim`: false when another watch already did.
async fn claimed(txn: &impl ConnectionTrait, claim: &Claim, now: DateTime<Utc>) -> Result<bool> {
    match claim {
        Claim::Occurrence { kind, key } => {
            let inserted = watch_occurrence::Entity::insert(watch_occurrence::ActiveModel {
                kind: Set((*kind).to_owned()),
                occurrence_key: Set(key.clone()),
                create_time: Set(now),
            })
            .on_conflict_do_nothing()
            .exec_without_returning(txn)
            .await?;
            Ok(matches!(inserted, TryInsertResult::Inserted(1)))
        }
        Claim::Health {
            account_id,
            before,
            now: seen,
        } => {
            use account_health_watch::Column as C;
            let triggered: Vec<&str> = seen.triggered.iter().map(|kind| kind.as_str()).collect();
            let triggered = serde_json::to_value(triggered).expect("names serialize");
            let written = match before {
                None => {
                    let inserted = account_health_watch::Entity::insert(account_health_watch::ActiveModel {
                        account_id: Set(*account_id),
                        level: Set(seen.level.as_str().to_owned()),
                        score: Set(seen.score as i32),
                        triggered_signals: Set(triggered),
                        update_time: Set(now),
                    })
                    .on_conflict_do_nothing()
                    .exec_without_returning(txn)
                    .await?;
                    return Ok(matches!(inserted, TryInsertResult::Inserted(1)));
                }
                // Compare-and-set on the level read before: a second watcher finds it moved.
                Some(before) => {
                    account_health_watch::Entity::update_many()
                        .col_expr(C::Level, Expr::value(seen.level.as_str()))
                        .col_expr(C::Score, Expr::value(seen.score as i32))
                        .col_expr(C::TriggeredSignals, Expr::value(triggered))
                        .col_expr(C::UpdateTime, Expr::value(now))
                        .filter(C::AccountId.eq(*account_id))
                        .filter(C::Level.eq(before.level.as_str()))
                        .exec(txn)
                        .await?
                        .rows_affected
                }
            };
            Ok(written == 1)
        }
    }
}

//! The wire edge of account health.

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use uuid::Uuid;

use crate::{
    accounts::{model::Tier, store::AccountSummary},
    planning::rules::health::{Health, HealthLevel, HealthSignalKind, Signal},
    platform::{
        error::{FieldViolation, Result, Violations},
        paging::Cursor,
        wire::{WireEnum, timestamp},
    },
    segments::convert::segment_filter,
};

crate::wire_enums!(
    HealthLevel => pb::account_health::Level,
    HealthSignalKind => pb::health_signal::Kind,
);

pub fn health_to_proto(
    account: AccountSummary,
    health: Health,
    computed: DateTime<Utc>,
) -> pb::AccountHealth {
    pb::AccountHealth {
        account_id: account.id.to_string(),
        account_display_name: account.display_name,
        tier: account.tier.to_wire(),
        score: health.score as i32,
        level: health.level.to_wire(),
        signals: health.signals.into_iter().map(signal_to_proto).collect(),
        compute_time: Some(timestamp(computed)),
    }
}

pub fn signal_to_proto(s: Signal) -> pb::HealthSignal {
    pb::HealthSignal {
        kind: s.kind.to_wire(),
        triggered: s.triggered,
        weight: s.weight as i32,
        penalty: s.penalty as i32,
        evidence: s.evidence,
        related_ids: s.related_ids.iter().map(Uuid::to_string).collect(),
    }
}

/// The filter of ListAtRiskAccounts: the tier, the score accounts must be below, and the segments.
pub fn at_risk_filter(
    tier: i32,
    max_score: i32,
    segments: Option<&pb::SegmentFilter>,
    default_below: u32,
) -> Result<(Option<Tier>, u32, crate::segments::model::SegmentFilter)> {
    let mut v = Violations::default();
    let tier = v.take(Tier::from_wire("tier", tier)).flatten();
    let segments = v.take(segment_filter("segments", segments)).unwrap_or_default();
    let below = match max_score {
        0 => Some(default_below),
        n => v.take(
            u32::try_from(n)
                .ok()
                .filter(|n| (1..=101).contains(n))
                .ok_or_else(|| FieldViolation::new("max_score", "must be within 1..=101")),
        ),
    };
    v.into_result()?;
    Ok((tier, below.expect("checked above"), segments))
}

/// Worst first: by score, then account.
pub fn health_cursor(account: &AccountSummary, health: &Health) -> Cursor {
    Cursor {
        key: Some(format!("{:03}", health.score)),
        id: account.id,
    }
}

/// The accounts after `cursor` in worst-first order.
pub fn health_after(
    rows: Vec<(AccountSummary, Health)>,
    cursor: Option<&Cursor>,
) -> Result<Vec<(AccountSummary, Health)>, FieldViolation> {
    let Some(cursor) = cursor else {
        return Ok(rows);
    };
    let score: u32 = cursor
        .key
        .as_deref()
        .and_then(|k| k.parse().ok())
        .ok_or_else(|| FieldViolation::new("page_token", "malformed page token"))?;
    Ok(rows
        .into_iter()
        .filter(|(account, health)| (health.score, account.id) > (score, cursor.id))
        .collect())
}

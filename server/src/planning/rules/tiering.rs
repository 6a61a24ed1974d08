//! Tiering by revenue (a few customers bring most of the revenue: about 5 % of them half of it): the
//! few accounts that bring the first half of revenue are STRATEGIC, those that bring the next quarter
//! are KEY, smaller accounts that grow fast or carry a large open pipeline are GROWTH, the rest
//! STANDARD. Pure: amounts are exact `i128` billionths of the reporting currency, shares are exact
//! integer comparisons, and the answer does not depend on the order the accounts come in.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::accounts::model::Tier;

/// Basis points in a whole: 10 000 bp = 100 %.
pub const WHOLE_BP: u32 = 10_000;

/// Parts per million in a whole, the resolution of the shares a ranking reports.
pub const WHOLE_PPM: i64 = 1_000_000;

/// Where the tier boundaries lie: by default, the first half of revenue makes STRATEGIC and the next
/// quarter KEY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierShares {
    /// An account is STRATEGIC while the revenue ranked above it is below this share of the total.
    pub strategic_bp: u32,
    /// … KEY while it is below this share (and it is not STRATEGIC).
    pub key_bp: u32,
    /// Growth over the previous 12 months that makes a smaller account GROWTH, in percent.
    pub growth_percent: u32,
}

impl Default for TierShares {
    fn default() -> Self {
        Self {
            strategic_bp: 5_000,
            key_bp: 7_500,
            growth_percent: 30,
        }
    }
}

impl TierShares {
    /// The shares as a configuration may give them: `strategic ≤ key ≤ 100 %`.
    pub fn validate(&self) -> Result<(), String> {
        if self.strategic_bp > self.key_bp || self.key_bp > WHOLE_BP {
            return Err(format!(
                "tier shares must satisfy strategic_bp ≤ key_bp ≤ {WHOLE_BP}, got {} and {}",
                self.strategic_bp, self.key_bp
            ));
        }
        Ok(())
    }
}

/// A manual tier that wins over the ranking while it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TierOverride {
    pub tier: Tier,
    /// The override holds until this instant (exclusive); `None` holds until cleared.
    pub expire_time: Option<DateTime<Utc>>,
}

impl TierOverride {
    /// Whether the override still decides the tier at `at`.
    pub fn holds_at(&self, at: DateTime<Utc>) -> bool {
        self.expire_time.is_none_or(|expiry| at < expiry)
    }
}

/// One account as the ranking sees it; amounts in billionths of the reporting currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierInput {
    pub account_id: Uuid,
    /// Revenue over the 12 months ending at `as_of`.
    pub revenue: i128,
    /// Revenue over the 12 months before those.
    pub previous_revenue: i128,
    /// Open pipeline weighted by probability, in the reporting currency.
    pub weighted_pipeline: i128,
    /// The tier stored now.
    pub current_tier: Tier,
    pub tier_override: Option<TierOverride>,
}

crate::named_enum!(
    /// Why an account got the tier the ranking gives it (stored and sent by its proto name): the
    /// revenue ranked above it is below the strategic or the key share of the total; its revenue grew
    /// by the growth percentage; its open weighted pipeline reaches its trailing revenue; none of
    /// these; or a manual override holds.
    TierReason {
        RevenueShareStrategic = "TIER_REASON_REVENUE_SHARE_STRATEGIC",
        RevenueShareKey = "TIER_REASON_REVENUE_SHARE_KEY",
        RevenueGrowth = "TIER_REASON_REVENUE_GROWTH",
        Pipeline = "TIER_REASON_PIPELINE",
        Other = "TIER_REASON_OTHER",
        Override = "TIER_REASON_OVERRIDE",
    }
);

/// One row of the ranked table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRanking {
    pub account_id: Uuid,
    /// 1 for the account with the most revenue.
    pub rank: u32,
    pub revenue: i128,
    pub previous_revenue: i128,
    pub weighted_pipeline: i128,
    /// Revenue of the accounts ranked above this one.
    pub revenue_before: i128,
    /// This account's revenue as a share of the total, in ppm, rounded down (0 when the total is 0).
    pub share_ppm: i64,
    /// The share of the accounts up to and including this one, in ppm, rounded down.
    pub cumulative_share_ppm: i64,
    pub old_tier: Tier,
    /// What revenue alone decides.
    pub ranked_tier: Tier,
    /// What applies: the override while it holds, else `ranked_tier`.
    pub new_tier: Tier,
    pub reason: TierReason,
}

impl TierRanking {
    pub fn changed(&self) -> bool {
        self.old_tier != self.new_tier
    }
}

/// The ranked table of every account at `as_of`, highest revenue first, ties by id.
///
/// With `before` = revenue ranked above an account and `total` the sum: STRATEGIC if
/// `before < strategic × total`, else KEY if `before < key × total`, else GROWTH if revenue grew by
/// `growth_percent` over a positive previous year or the open weighted pipeline is positive and at
/// least the trailing revenue, else STANDARD. A total of 0 makes nobody STRATEGIC or KEY (`0 < 0` is
/// false). An override that holds at `as_of` decides `new_tier`.
pub fn rank(accounts: Vec<TierInput>, shares: &TierShares, as_of: DateTime<Utc>) -> Vec<TierRanking> {
    rank_with_ranked_reasons(accounts, shares, as_of)
        .into_iter()
        .map(|(ranking, _)| ranking)
        .collect()
}

/// [`rank`], each row with the reason revenue alone gives (which an override hides in `reason`).
fn rank_with_ranked_reasons(
    mut accounts: Vec<TierInput>,
    shares: &TierShares,
    as_of: DateTime<Utc>,
) -> Vec<(TierRanking, TierReason)> {
    accounts.sort_by(|a, b| b.revenue.cmp(&a.revenue).then(a.account_id.cmp(&b.account_id)));
    let total: i128 = accounts.iter().map(|a| a.revenue).sum();
    let mut before: i128 = 0;
    let mut rows = Vec::with_capacity(accounts.len());
    for (index, account) in accounts.into_iter().enumerate() {
        let (ranked_tier, ranked_reason) = ranked_tier(&account, before, total, shares);
        let (new_tier, reason) = match account.tier_override {
            Some(held) if held.holds_at(as_of) => (held.tier, TierReason::Override),
            _ => (ranked_tier, ranked_reason),
        };
        let cumulative = before + account.revenue;
        rows.push((
            TierRanking {
                account_id: account.account_id,
                rank: u32::try_from(index + 1).unwrap_or(u32::MAX),
                revenue: account.revenue,
                previous_revenue: account.previous_revenue,
                weighted_pipeline: account.weighted_pipeline,
                revenue_before: before,
                share_ppm: ppm(account.revenue, total),
                cumulative_share_ppm: ppm(cumulative, total),
                old_tier: account.current_tier,
                ranked_tier,
                new_tier,
                reason,
            },
            ranked_reason,
        ));
        before = cumulative;
    }
    rows
}

fn ranked_tier(account: &TierInput, before: i128, total: i128, shares: &TierShares) -> (Tier, TierReason) {
    let whole = i128::from(WHOLE_BP);
    if below_share(before, total, shares.strategic_bp) {
        return (Tier::Strategic, TierReason::RevenueShareStrategic);
    }
    if below_share(before, total, shares.key_bp) {
        return (Tier::Key, TierReason::RevenueShareKey);
    }
    let growth = whole + i128::from(shares.growth_percent) * 100;
    if account.previous_revenue > 0
        && account.revenue.saturating_mul(whole) >= account.previous_revenue.saturating_mul(growth)
    {
        return (Tier::Growth, TierReason::RevenueGrowth);
    }
    if account.weighted_pipeline > 0 && account.weighted_pipeline >= account.revenue {
        return (Tier::Growth, TierReason::Pipeline);
    }
    (Tier::Standard, TierReason::Other)
}

/// A member of a ranked group other than its top account: it takes the group's ranked tier unless its
/// own override holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberTier {
    pub account_id: Uuid,
    /// The member's own revenue over the trailing year.
    pub revenue: i128,
    pub old_tier: Tier,
    pub new_tier: Tier,
    /// The group's ranked reason, or `Override` when the member's own override holds.
    pub reason: TierReason,
}

impl MemberTier {
    pub fn changed(&self) -> bool {
        self.old_tier != self.new_tier
    }
}

/// One row of a ranking by group: the group named by its top account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRanking {
    /// `account_id` is the top account; revenue, previous revenue and pipeline are the sums over every
    /// member; `old_tier`, `new_tier` and `reason` are the top account's (its override holding or not).
    pub ranking: TierRanking,
    /// The other members, highest revenue first, ties by id.
    pub members: Vec<MemberTier>,
}

/// Ranks groups instead of accounts: each account counts for the top of its hierarchy (`top_of`; an
/// account missing there, or whose top is not among `accounts` or is not its own top, is a group of its
/// own). A group's
/// revenue, previous revenue and weighted pipeline are its members' sums, its current tier and
/// override its top account's; the group is ranked exactly as [`rank`] ranks accounts, and every
/// member takes the group's ranked tier unless its own override holds at `as_of`.
pub fn rank_groups(
    accounts: Vec<TierInput>,
    top_of: &HashMap<Uuid, Uuid>,
    shares: &TierShares,
    as_of: DateTime<Utc>,
) -> Vec<GroupRanking> {
    let ids: HashSet<Uuid> = accounts.iter().map(|a| a.account_id).collect();
    let mut groups: BTreeMap<Uuid, Vec<TierInput>> = BTreeMap::new();
    for account in accounts {
        let top = top_of
            .get(&account.account_id)
            .copied()
            .filter(|top| ids.contains(top) && top_of.get(top).is_none_or(|above| above == top))
            .unwrap_or(account.account_id);
        groups.entry(top).or_default().push(account);
    }
    let mut others: HashMap<Uuid, Vec<TierInput>> = HashMap::with_capacity(groups.len());
    let mut inputs = Vec::with_capacity(groups.len());
    for (top, members) in groups {
        let (head, rest): (Vec<TierInput>, Vec<TierInput>) =
            members.into_iter().partition(|m| m.account_id == top);
        let head = head.into_iter().next();
        let sum = |field: fn(&TierInput) -> i128| -> i128 { head.iter().chain(rest.iter()).map(field).sum() };
        inputs.push(TierInput {
            account_id: top,
            revenue: sum(|m| m.revenue),
            previous_revenue: sum(|m| m.previous_revenue),
            weighted_pipeline: sum(|m| m.weighted_pipeline),
            current_tier: head.as_ref().map_or(Tier::Standard, |h| h.current_tier),
            tier_override: head.as_ref().and_then(|h| h.tier_override),
        });
        others.insert(top, rest);
    }
    rank_with_ranked_reasons(inputs, shares, as_of)
        .into_iter()
        .map(|(ranking, ranked_reason)| {
            let mut members: Vec<MemberTier> = others
                .remove(&ranking.account_id)
                .unwrap_or_default()
                .into_iter()
                .map(|member| {
                    let (new_tier, reason) = match member.tier_override {
                        Some(held) if held.holds_at(as_of) => (held.tier, TierReason::Override),
                        _ => (ranking.ranked_tier, ranked_reason),
                    };
                    MemberTier {
                        account_id: member.account_id,
                        revenue: member.revenue,
                        old_tier: member.current_tier,
                        new_tier,
                        reason,
                    }
                })
                .collect();
            members.sort_by(|a, b| b.revenue.cmp(&a.revenue).then(a.account_id.cmp(&b.account_id)));
            GroupRanking { ranking, members }
        })
        .collect()
}

/// The same Pareto shares within each segment: `rows` are each row's segment code (empty for the
/// unclassified, who form one segment) and its input. Overrides do not count (a segment's tier is only
/// shown); each segment is ranked exactly as [`rank`] ranks the whole, against its own total. By code.
pub fn rank_within_segments(
    rows: Vec<(String, TierInput)>,
    shares: &TierShares,
    as_of: DateTime<Utc>,
) -> BTreeMap<String, Vec<TierRanking>> {
    let mut segments: BTreeMap<String, Vec<TierInput>> = BTreeMap::new();
    for (code, mut input) in rows {
        input.tier_override = None;
        segments.entry(code).or_default().push(input);
    }
    segments
        .into_iter()
        .map(|(code, inputs)| (code, rank(inputs, shares, as_of)))
        .collect()
}

/// `before < share_bp / 10 000 × total`, exactly.
fn below_share(before: i128, total: i128, share_bp: u32) -> bool {
    before.saturating_mul(i128::from(WHOLE_BP)) < total.saturating_mul(i128::from(share_bp))
}

/// `part / total` in parts per million, rounded down; 0 when the total is not positive.
pub fn ppm(part: i128, total: i128) -> i64 {
    if total <= 0 {
        return 0;
    }
    i64::try_from(part.saturating_mul(i128::from(WHOLE_PPM)) / total).unwrap_or(i64::MAX)
}

/// A calendar month as `year * 100 + month` (202612), the form revenue periods are stored in.
pub type Period = i32;

/// The months a ranking at `as_of` sums: the trailing year is the 12 months that started in the 12
/// months before `as_of`, the previous year the 12 before those. Inclusive `(first, last)` periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevenueWindows {
    pub trailing: (Period, Period),
    pub previous: (Period, Period),
}

pub fn revenue_windows(as_of: DateTime<Utc>) -> RevenueWindows {
    use chrono::Datelike;
    // The last month that started before `as_of`: its own month, unless `as_of` is that month's start.
    // Checked: at chrono's first instant there is none before (the API's range keeps far from it).
    let last = as_of
        .checked_sub_signed(chrono::Duration::microseconds(1))
        .unwrap_or(as_of);
    let last_index = last.year() * 12 + last.month0() as i32;
    let period = |index: i32| index.div_euclid(12) * 100 + index.rem_euclid(12) + 1;
    RevenueWindows {
        trailing: (period(last_index - 11), period(last_index)),
        previous: (period(last_index - 23), period(last_index - 12)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const UNIT: i128 = 1_000_000_000;

    fn as_of() -> DateTime<Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn account(n: u128, revenue_units: i128) -> TierInput {
        TierInput {
            account_id: id(n),
            revenue: revenue_units * UNIT,
            previous_revenue: 0,
            weighted_pipeline: 0,
            current_tier: Tier::Standard,
            tier_override: None,
        }
    }

    fn tiers(rows: &[TierRanking]) -> Vec<(Uuid, Tier)> {
        rows.iter().map(|r| (r.account_id, r.new_tier)).collect()
    }

    #[test]
    fn the_accounts_before_half_of_revenue_are_strategic_and_the_next_quarter_key() {
        // 40 + 30 + 15 + 10 + 5 = 100: before = 0, 40, 70, 85, 95 (of 50 and 75).
        let rows = rank(
            vec![
                account(1, 40),
                account(2, 30),
                account(3, 15),
                account(4, 10),
                account(5, 5),
            ],
            &TierShares::default(),
            as_of(),
        );
        assert_eq!(
            tiers(&rows),
            vec![
                (id(1), Tier::Strategic),
                (id(2), Tier::Strategic),
                (id(3), Tier::Key),
                (id(4), Tier::Standard),
                (id(5), Tier::Standard),
            ]
        );
        assert_eq!(rows[1].revenue_before, 40 * UNIT);
        assert_eq!(rows[1].cumulative_share_ppm, 700_000);
        assert_eq!(rows[2].reason, TierReason::RevenueShareKey);
        assert_eq!(rows[3].reason, TierReason::Other);

        // 30 + 25 + 20 + 15 + 10: before = 0, 30, 55, 75, 90 → S, S, K, (75 is not < 75) …
        let rows = rank(
            vec![
                account(1, 30),
                account(2, 25),
                account(3, 20),
                account(4, 15),
                account(5, 10),
            ],
            &TierShares::default(),
            as_of(),
        );
        let got: Vec<Tier> = rows.iter().map(|r| r.new_tier).collect();
        assert_eq!(
            got,
            vec![
                Tier::Strategic,
                Tier::Strategic,
                Tier::Key,
                Tier::Standard,
                Tier::Standard
            ]
        );
    }

    #[test]
    fn a_boundary_exactly_reached_is_not_below_it() {
        // 50 + 50: the second has exactly half before it, which is not below half.
        let rows = rank(
            vec![account(1, 50), account(2, 50)],
            &TierShares::default(),
            as_of(),
        );
        assert_eq!(rows[0].new_tier, Tier::Strategic);
        assert_eq!(rows[1].new_tier, Tier::Key);
        assert_eq!(rows[1].reason, TierReason::RevenueShareKey);
    }

    #[test]
    fn ties_are_ranked_by_id_whatever_the_input_order() {
        let forward = rank(
            vec![account(7, 10), account(3, 10), account(5, 10)],
            &TierShares::default(),
            as_of(),
        );
        let backward = rank(
            vec![account(5, 10), account(3, 10), account(7, 10)],
            &TierShares::default(),
            as_of(),
        );
        assert_eq!(forward, backward);
        let order: Vec<Uuid> = forward.iter().map(|r| r.account_id).collect();
        assert_eq!(order, vec![id(3), id(5), id(7)]);
        // before = 0, 10, 20 of 30: 0 and 10 are below 15, 20 is below 22.5.
        assert_eq!(
            forward.iter().map(|r| r.new_tier).collect::<Vec<_>>(),
            vec![Tier::Strategic, Tier::Strategic, Tier::Key]
        );
    }

    #[test]
    fn a_zero_total_makes_nobody_strategic_or_key() {
        let mut grower = account(2, 0);
        grower.weighted_pipeline = UNIT;
        let rows = rank(vec![account(1, 0), grower], &TierShares::default(), as_of());
        assert_eq!(tiers(&rows), vec![(id(1), Tier::Standard), (id(2), Tier::Growth)]);
        assert!(
            rows.iter()
                .all(|r| r.share_ppm == 0 && r.cumulative_share_ppm == 0)
        );
        assert!(rank(vec![], &TierShares::default(), as_of()).is_empty());
    }

    #[test]
    fn a_single_account_with_revenue_is_strategic() {
        let rows = rank(vec![account(1, 1)], &TierShares::default(), as_of());
        assert_eq!(rows[0].new_tier, Tier::Strategic);
        assert_eq!(
            (rows[0].share_ppm, rows[0].cumulative_share_ppm),
            (1_000_000, 1_000_000)
        );
        let rows = rank(vec![account(1, 0)], &TierShares::default(), as_of());
        assert_eq!(rows[0].new_tier, Tier::Standard);
    }

    #[test]
    fn growth_needs_thirty_percent_over_a_positive_previous_year() {
        let shares = TierShares::default();
        // A big account keeps the small ones out of STRATEGIC and KEY.
        let big = account(1, 1_000_000);
        let mut grew_30 = account(2, 130);
        grew_30.previous_revenue = 100 * UNIT;
        let mut grew_29 = account(3, 129);
        grew_29.previous_revenue = 100 * UNIT;
        let mut new_customer = account(4, 50);
        new_customer.previous_revenue = 0;
        let rows = rank(vec![big, grew_30, grew_29, new_customer], &shares, as_of());
        let by_id = |n| rows.iter().find(|r| r.account_id == id(n)).unwrap();
        assert_eq!(
            (by_id(2).new_tier, by_id(2).reason),
            (Tier::Growth, TierReason::RevenueGrowth)
        );
        assert_eq!(by_id(3).new_tier, Tier::Standard);
        assert_eq!(
            by_id(4).new_tier,
            Tier::Standard,
            "no previous year: growth is undefined"
        );
    }

    #[test]
    fn a_pipeline_at_least_the_trailing_revenue_makes_growth() {
        let big = account(1, 1_000_000);
        let mut covered = account(2, 100);
        covered.weighted_pipeline = 100 * UNIT;
        let mut short = account(3, 100);
        short.weighted_pipeline = 100 * UNIT - 1;
        let rows = rank(vec![big, covered, short], &TierShares::default(), as_of());
        assert_eq!(
            (rows[1].new_tier, rows[1].reason),
            (Tier::Growth, TierReason::Pipeline)
        );
        assert_eq!(rows[2].new_tier, Tier::Standard);
    }

    #[test]
    fn an_override_wins_until_it_expires() {
        let expiry: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let mut held = account(2, 1);
        held.tier_override = Some(TierOverride {
            tier: Tier::Strategic,
            expire_time: Some(expiry),
        });
        let inputs = vec![account(1, 1_000), held];
        let before = rank(
            inputs.clone(),
            &TierShares::default(),
            expiry - chrono::Duration::seconds(1),
        );
        assert_eq!(
            (before[1].new_tier, before[1].reason),
            (Tier::Strategic, TierReason::Override)
        );
        assert_eq!(
            before[1].ranked_tier,
            Tier::Standard,
            "the ranking still shows what revenue says"
        );
        let at_expiry = rank(inputs, &TierShares::default(), expiry);
        assert_eq!(
            (at_expiry[1].new_tier, at_expiry[1].reason),
            (Tier::Standard, TierReason::Other)
        );

        let forever = TierOverride {
            tier: Tier::Key,
            expire_time: None,
        };
        assert!(forever.holds_at("2999-01-01T00:00:00Z".parse().unwrap()));
    }

    #[test]
    fn the_trailing_year_is_the_twelve_months_started_before_as_of() {
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            revenue_windows(at("2026-12-05T10:00:00Z")),
            RevenueWindows {
                trailing: (202601, 202612),
                previous: (202501, 202512),
            }
        );
        // At a month's first instant that month has not started "before" yet.
        assert_eq!(
            revenue_windows(at("2026-12-01T00:00:00Z")),
            RevenueWindows {
                trailing: (202512, 202611),
                previous: (202412, 202511),
            }
        );
        assert_eq!(
            revenue_windows(at("2026-01-01T00:00:00.000001Z")).trailing,
            (202502, 202601)
        );
        assert_eq!(
            revenue_windows(at("2024-03-01T00:00:00Z")).previous,
            (202203, 202302)
        );
    }

    #[test]
    fn old_and_new_tiers_say_what_changes() {
        let mut was_key = account(1, 10);
        was_key.current_tier = Tier::Key;
        let rows = rank(vec![was_key], &TierShares::default(), as_of());
        assert_eq!((rows[0].old_tier, rows[0].new_tier), (Tier::Key, Tier::Strategic));
        assert!(rows[0].changed());
    }

    #[test]
    fn configured_shares_move_the_boundaries() {
        let shares = TierShares {
            strategic_bp: 8_000,
            key_bp: 9_500,
            growth_percent: 10,
        };
        assert!(shares.validate().is_ok());
        // 60 + 30 + 10: before 0, 60, 90 → S (0 < 80), S (60 < 80), K (90 < 95).
        let rows = rank(
            vec![account(1, 60), account(2, 30), account(3, 10)],
            &shares,
            as_of(),
        );
        assert_eq!(
            rows.iter().map(|r| r.new_tier).collect::<Vec<_>>(),
            vec![Tier::Strategic, Tier::Strategic, Tier::Key]
        );
        let inverted = TierShares {
            strategic_bp: 8_000,
            key_bp: 7_000,
            growth_percent: 30,
        };
        assert!(inverted.validate().is_err());
        let beyond = TierShares {
            strategic_bp: 5_000,
            key_bp: 10_001,
            growth_percent: 30,
        };
        assert!(beyond.validate().is_err());
    }

    #[test]
    fn a_group_is_ranked_on_its_members_sums_and_they_share_its_tier() {
        // Group 1 (top 1, members 2 and 3): 10 + 20 + 30 = 60; group 4 alone: 25; group 5 alone: 15.
        // Before = 0, 60, 85 of 100: group 1 STRATEGIC, 4 KEY (60 < 75), 5 STANDARD.
        let top_of = HashMap::from([(id(2), id(1)), (id(3), id(1)), (id(1), id(1))]);
        let mut overridden = account(3, 30);
        overridden.tier_override = Some(TierOverride {
            tier: Tier::Growth,
            expire_time: None,
        });
        let mut was_key = account(2, 20);
        was_key.current_tier = Tier::Key;
        let inputs = vec![
            account(5, 15),
            overridden,
            account(4, 25),
            account(1, 10),
            was_key,
        ];
        let rows = rank_groups(inputs.clone(), &top_of, &TierShares::default(), as_of());
        assert_eq!(
            rows.iter()
                .map(|g| (g.ranking.account_id, g.ranking.revenue / UNIT, g.ranking.new_tier))
                .collect::<Vec<_>>(),
            vec![
                (id(1), 60, Tier::Strategic),
                (id(4), 25, Tier::Key),
                (id(5), 15, Tier::Standard),
            ]
        );
        assert_eq!(rows[0].ranking.cumulative_share_ppm, 600_000);
        assert_eq!(
            rows[0].members,
            vec![
                MemberTier {
                    account_id: id(3),
                    revenue: 30 * UNIT,
                    old_tier: Tier::Standard,
                    new_tier: Tier::Growth,
                    reason: TierReason::Override,
                },
                MemberTier {
                    account_id: id(2),
                    revenue: 20 * UNIT,
                    old_tier: Tier::Key,
                    new_tier: Tier::Strategic,
                    reason: TierReason::RevenueShareStrategic,
                },
            ]
        );
        assert!(rows[1].members.is_empty());
        // The input order does not matter.
        let mut reversed = inputs;
        reversed.reverse();
        assert_eq!(
            rank_groups(reversed, &top_of, &TierShares::default(), as_of()),
            rows
        );
    }

    #[test]
    fn a_top_account_that_is_not_ranked_leaves_its_members_on_their_own() {
        // 9 is no input (deleted, say): 2 counts as its own group.
        let top_of = HashMap::from([(id(2), id(9))]);
        let rows = rank_groups(
            vec![account(1, 10), account(2, 30)],
            &top_of,
            &TierShares::default(),
            as_of(),
        );
        assert_eq!(
            rows.iter().map(|g| g.ranking.account_id).collect::<Vec<_>>(),
            vec![id(2), id(1)]
        );
        assert!(rows.iter().all(|g| g.members.is_empty()));
    }

    #[test]
    fn a_top_accounts_override_decides_the_group_row_but_not_its_members() {
        let top_of = HashMap::from([(id(2), id(1))]);
        let mut top = account(1, 10);
        top.tier_override = Some(TierOverride {
            tier: Tier::Standard,
            expire_time: None,
        });
        let rows = rank_groups(
            vec![top, account(2, 10)],
            &top_of,
            &TierShares::default(),
            as_of(),
        );
        let group = &rows[0];
        assert_eq!(
            (
                group.ranking.ranked_tier,
                group.ranking.new_tier,
                group.ranking.reason
            ),
            (Tier::Strategic, Tier::Standard, TierReason::Override)
        );
        assert_eq!(
            (group.members[0].new_tier, group.members[0].reason),
            (Tier::Strategic, TierReason::RevenueShareStrategic)
        );
    }

    #[test]
    fn segments_are_ranked_against_their_own_totals_without_overrides() {
        let mut held = account(3, 10);
        held.tier_override = Some(TierOverride {
            tier: Tier::Strategic,
            expire_time: None,
        });
        // Segment "C": 80 + 20 (before 0, 80 of 100: S, STANDARD); unclassified "": 10 alone.
        let segments = rank_within_segments(
            vec![
                ("C".to_owned(), account(1, 80)),
                ("".to_owned(), held),
                ("C".to_owned(), account(2, 20)),
            ],
            &TierShares::default(),
            as_of(),
        );
        assert_eq!(segments.keys().collect::<Vec<_>>(), vec!["", "C"]);
        let c = &segments["C"];
        assert_eq!(
            c.iter()
                .map(|r| (r.account_id, r.new_tier, r.share_ppm, r.cumulative_share_ppm))
                .collect::<Vec<_>>(),
            vec![
                (id(1), Tier::Strategic, 800_000, 800_000),
                (id(2), Tier::Standard, 200_000, 1_000_000),
            ]
        );
        let alone = &segments[""][0];
        assert_eq!(
            (alone.new_tier, alone.reason, alone.share_ppm),
            (Tier::Strategic, TierReason::RevenueShareStrategic, 1_000_000)
        );
    }

    fn population() -> impl Strategy<Value = Vec<TierInput>> {
        prop::collection::vec((0u64..1_000_000, 0u64..1_000_000, 0u64..1_000_000), 1..60).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(n, (revenue, previous, pipeline))| TierInput {
                    account_id: Uuid::from_u128(n as u128 * 7919 % 1000),
                    revenue: i128::from(revenue) * UNIT,
                    previous_revenue: i128::from(previous) * UNIT,
                    weighted_pipeline: i128::from(pipeline) * UNIT,
                    current_tier: Tier::Standard,
                    tier_override: None,
                })
                .collect()
        })
    }

    proptest! {
        /// Any `as_of` the API takes, to its first and last instants: two years of whole months before
        /// it, in order, without a panic.
        #[test]
        fn revenue_windows_cover_any_as_of_of_the_api_range(
            seconds in prop_oneof![
                Just(-62_135_596_800i64),
                Just(253_402_300_799i64),
                -62_135_596_800i64..=253_402_300_799,
            ],
            nanos in 0u32..1_000_000_000,
        ) {
            let as_of = DateTime::from_timestamp(seconds, nanos).unwrap();
            let windows = revenue_windows(as_of);
            let index = |p: Period| p.div_euclid(100) * 12 + p.rem_euclid(100);
            prop_assert_eq!(index(windows.trailing.1) - index(windows.trailing.0), 11);
            prop_assert_eq!(index(windows.trailing.0) - index(windows.previous.1), 1);
            prop_assert_eq!(index(windows.previous.1) - index(windows.previous.0), 11);
        }

        /// The STRATEGIC accounts hold at least half of the revenue, and without the last of them less
        /// than half: the smallest set that reaches half.
        #[test]
        fn strategic_accounts_are_the_smallest_set_reaching_half(accounts in population()) {
            let rows = rank(accounts, &TierShares::default(), as_of());
            let total: i128 = rows.iter().map(|r| r.revenue).sum();
            let strategic: Vec<&TierRanking> = rows.iter().filter(|r| r.new_tier == Tier::Strategic).collect();
            if total == 0 {
                prop_assert!(strategic.is_empty());
            } else {
                let held: i128 = strategic.iter().map(|r| r.revenue).sum();
                prop_assert!(held * 2 >= total);
                let last = strategic.last().unwrap();
                prop_assert!((held - last.revenue) * 2 < total);
            }
        }

        /// Ranking by group with every account its own group is ranking by account; and with any
        /// grouping, the groups' revenue adds up to the accounts' and every account appears once.
        #[test]
        fn groups_of_one_rank_as_accounts_and_groups_keep_every_account(
            accounts in population(),
            tops in prop::collection::vec(0usize..60, 60),
        ) {
            let alone = rank_groups(accounts.clone(), &HashMap::new(), &TierShares::default(), as_of());
            let plain = rank(accounts.clone(), &TierShares::default(), as_of());
            prop_assert_eq!(alone.iter().map(|g| g.ranking.clone()).collect::<Vec<_>>(), plain);
            let ids: Vec<Uuid> = accounts.iter().map(|a| a.account_id).collect();
            let top_of: HashMap<Uuid, Uuid> = ids
                .iter()
                .enumerate()
                .map(|(n, id)| (*id, ids[tops[n] % ids.len()]))
                .collect();
            let groups = rank_groups(accounts.clone(), &top_of, &TierShares::default(), as_of());
            let total: i128 = accounts.iter().map(|a| a.revenue).sum();
            prop_assert_eq!(groups.iter().map(|g| g.ranking.revenue).sum::<i128>(), total);
            let mut seen: Vec<Uuid> = groups
                .iter()
                .flat_map(|g| std::iter::once(g.ranking.account_id).chain(g.members.iter().map(|m| m.account_id)))
                .collect();
            seen.sort();
            let mut expected = ids;
            expected.sort();
            prop_assert_eq!(seen, expected);
        }

        /// Tiers by share never improve further down the ranking, ranks are 1..=n in revenue order,
        /// and the input order does not matter.
        #[test]
        fn the_ranking_is_ordered_and_independent_of_input_order(accounts in population()) {
            let mut reversed = accounts.clone();
            reversed.reverse();
            let rows = rank(accounts, &TierShares::default(), as_of());
            prop_assert_eq!(&rows, &rank(reversed, &TierShares::default(), as_of()));
            let level = |t: Tier| match t { Tier::Strategic => 0, Tier::Key => 1, _ => 2 };
            for (index, pair) in rows.windows(2).enumerate() {
                prop_assert!(pair[0].revenue >= pair[1].revenue);
                prop_assert!(level(pair[0].ranked_tier) <= level(pair[1].ranked_tier));
                prop_assert_eq!(pair[0].rank as usize, index + 1);
                prop_assert!(pair[0].cumulative_share_ppm <= pair[1].cumulative_share_ppm);
            }
            let total: i128 = rows.iter().map(|r| r.revenue).sum();
            if total > 0 {
                prop_assert_eq!(rows.last().unwrap().cumulative_share_ppm, WHOLE_PPM);
            }
        }
    }
}

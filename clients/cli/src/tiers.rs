//! `kamctl tiers ...`: tiering by revenue share, through kam.v1.PlanningService: rank every account by
//! its revenue over the trailing year (the Pareto table, the default view) and, with --apply, store the
//! tiers that follow; the history of tier changes; and manual overrides.
//!
//! Shares arrive in parts per million and amounts as exact `Money`: both are printed with integer
//! arithmetic only, never a float.

use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::recompute_tiers_response::TierSummary;
use kam_proto::v1::{
    ClearTierOverrideRequest, ClearTierOverrideResponse, ListTierChangesRequest, ListTierChangesResponse,
    ListTierOverridesRequest, ListTierOverridesResponse, RecomputeTiersRequest, RecomputeTiersResponse,
    SetTierOverrideRequest, Tier, TierChange, TierOverride, TierRankingRow, TierReason,
};
use serde::Serialize;

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::money;
use crate::output::{self, Render, Table, count, key_values};

/// The ranking; `history` and `override` show and change the rest. Without a subcommand, the ranking
/// (`rank`).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TiersArgs {
    #[command(subcommand)]
    view: Option<TiersView>,

    #[command(flatten)]
    rank: RankArgs,
}

#[derive(Debug, Subcommand)]
enum TiersView {
    /// Rank every live account by revenue and show the tiers that follow (the default): a preview
    /// that stores nothing, unless --apply.
    ///
    /// STRATEGIC while the revenue ranked above the account is below half of the total, KEY below
    /// three quarters; GROWTH for smaller accounts that grew fast or carry a large pipeline; STANDARD
    /// otherwise. An override that holds wins.
    Rank(RankArgs),
    /// List tier changes, newest first: one page, or every page with --all.
    History(HistoryArgs),
    /// Set, clear or list manual tiers, which win over the ranking while they hold.
    #[command(subcommand)]
    Override(OverrideCommand),
}

#[derive(Debug, Args)]
pub struct RankArgs {
    /// The ranking's instant, RFC 3339 [default: now]. The trailing year is the 12 months that started
    /// in the 12 months before it.
    #[arg(long, value_name = "TIME", value_parser = output::parse_timestamp)]
    as_of: Option<Timestamp>,

    /// Store the tiers, each change with a history row; without it nothing is stored.
    #[arg(long)]
    apply: bool,

    /// Show only the accounts whose tier changes.
    #[arg(long)]
    changed_only: bool,

    /// Show at most this many rows, in rank order (1-10000) [default: 1000]. Every account is ranked,
    /// and with --apply stored, whatever this says.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=10_000))]
    limit: Option<i32>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only the changes of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// Set an account's tier by hand; it applies at once, and replaces an override the account has.
    Set(SetArgs),
    /// Remove an account's override. The account keeps its tier until the next `tiers --apply` ranks
    /// it by revenue again.
    Clear(ClearArgs),
    /// List the overrides that hold: one page, or every page with --all.
    List(OverrideListArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The account.
    #[arg(long, value_name = "ID")]
    account: String,

    /// The tier it gets.
    #[arg(long, value_name = "TIER", value_parser = enums::parser::<Tier>())]
    tier: i32,

    /// Why, 1 to 500 characters, e.g. "strategic reference customer in a new market".
    #[arg(long)]
    reason: String,

    /// When the override stops holding, RFC 3339, in the future [default: never; clear it].
    #[arg(long, value_name = "TIME", value_parser = output::parse_timestamp)]
    until: Option<Timestamp>,
}

#[derive(Debug, Args)]
pub struct ClearArgs {
    /// The account.
    #[arg(long, value_name = "ID")]
    account: String,
}

#[derive(Debug, Args)]
pub struct OverrideListArgs {
    /// Include the overrides that have expired.
    #[arg(long)]
    expired: bool,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(args: TiersArgs, global: &Global) -> Result<(), Error> {
    let view = args.view.unwrap_or(TiersView::Rank(args.rank));
    let mut client = client::planning(global).await?;
    match view {
        TiersView::Rank(args) => {
            let ranking = client.recompute_tiers(args.into_request()).await?.into_inner();
            Ok(output::print(&ranking, global.json)?)
        }
        TiersView::History(HistoryArgs { account, paging }) => {
            let account_id = account.unwrap_or_default();
            let fetch = async |page_size, page_token| {
                let request = ListTierChangesRequest {
                    page_size,
                    page_token,
                    account_id: account_id.clone(),
                    segments: None,
                };
                Ok(client.list_tier_changes(request).await?.into_inner())
            };
            let changes = paging.fetch(fetch).await?;
            Ok(output::print(&changes, global.json)?)
        }
        TiersView::Override(OverrideCommand::Set(args)) => {
            let set = client.set_tier_override(args.into_request()).await?.into_inner();
            Ok(output::print(&set, global.json)?)
        }
        TiersView::Override(OverrideCommand::Clear(ClearArgs { account })) => {
            let request = ClearTierOverrideRequest {
                account_id: account.clone(),
            };
            let response = client.clear_tier_override(request).await?.into_inner();
            let cleared = Cleared {
                account_id: account,
                response,
            };
            Ok(output::print(&cleared, global.json)?)
        }
        TiersView::Override(OverrideCommand::List(OverrideListArgs { expired, paging })) => {
            let fetch = async |page_size, page_token| {
                let request = ListTierOverridesRequest {
                    page_size,
                    page_token,
                    show_expired: expired,
                };
                Ok(client.list_tier_overrides(request).await?.into_inner())
            };
            let overrides = paging.fetch(fetch).await?;
            Ok(output::print(&overrides, global.json)?)
        }
    }
}

impl RankArgs {
    fn into_request(self) -> RecomputeTiersRequest {
        RecomputeTiersRequest {
            as_of: self.as_of,
            validate_only: !self.apply,
            row_limit: self.limit.unwrap_or_default(),
            changed_only: self.changed_only,
        }
    }
}

impl SetArgs {
    fn into_request(self) -> SetTierOverrideRequest {
        SetTierOverrideRequest {
            tier_override: Some(TierOverride {
                account_id: self.account,
                tier: self.tier,
                reason: self.reason,
                expire_time: self.until,
                ..Default::default()
            }),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

/// Parts per million as a percentage with two decimals (`123456` is `12.34%`), rounded toward zero
/// like the ppm themselves. Integer arithmetic only.
pub fn percent(ppm: i64) -> String {
    let hundredths = ppm / 100;
    let sign = if hundredths < 0 { "-" } else { "" };
    let magnitude = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}%", magnitude / 100, magnitude % 100)
}

/// `STANDARD → STRATEGIC`, or the tier alone when it stays.
fn tier_change(old: i32, new: i32) -> String {
    if old == new {
        enums::name::<Tier>(new)
    } else {
        format!("{} → {}", enums::name::<Tier>(old), enums::name::<Tier>(new))
    }
}

/// The reason of a row; for an override that differs from the ranking, also what revenue decides.
fn reason(row: &TierRankingRow) -> String {
    let reason = enums::name::<TierReason>(row.reason);
    if row.reason == TierReason::Override as i32 && row.ranked_tier != row.new_tier {
        format!("{reason} (ranked {})", enums::name::<Tier>(row.ranked_tier))
    } else {
        reason
    }
}

fn summary_row(summary: &TierSummary) -> Vec<String> {
    vec![
        enums::name::<Tier>(summary.tier),
        summary.account_count.to_string(),
        money::format_optional(summary.revenue.as_ref()),
        percent(summary.share_ppm),
    ]
}

impl Render for RecomputeTiersResponse {
    /// A line on the ranking, the Pareto table, the accounts and revenue per tier, and whether the
    /// tiers were stored.
    fn human(&self) -> String {
        let mut text = format!(
            "as of {}: {} ranked, total revenue {}\n\n",
            output::timestamp(self.as_of.as_ref()),
            count(self.account_count, "account", "accounts"),
            money::format_optional(self.total_revenue.as_ref()),
        );
        let mut table = Table::new(&[
            "RANK",
            "ACCOUNT",
            "REVENUE",
            "SHARE",
            "CUMULATIVE",
            "TIER",
            "REASON",
        ]);
        table.align_right(&[0, 2, 3, 4]);
        for row in &self.rows {
            table.push(vec![
                row.rank.to_string(),
                row.account_display_name.clone(),
                money::format_optional(row.revenue.as_ref()),
                percent(row.share_ppm),
                percent(row.cumulative_share_ppm),
                tier_change(row.old_tier, row.new_tier),
                reason(row),
            ]);
        }
        text.push_str(&table.render());
        if self.truncated {
            text.push_str(&format!(
                "(only the first {}; --limit shows more)\n",
                count(self.rows.len(), "row", "rows")
            ));
        }

        let mut summary = Table::new(&["TIER", "ACCOUNTS", "REVENUE", "SHARE"]);
        summary.align_right(&[1, 2, 3]);
        for tier in &self.tiers {
            summary.push(summary_row(tier));
        }
        text.push('\n');
        text.push_str(&summary.render());

        let changes = count(self.changed_count, "tier change", "tier changes");
        text.push('\n');
        text.push_str(&if self.applied {
            format!("applied: {changes} stored, each with a history row\n")
        } else {
            format!("preview: {changes}; nothing stored; run with --apply to store\n")
        });
        text
    }
}

client::impl_page!(ListTierChangesResponse, tier_changes);

/// The revenue and cumulative share a ranking saw; "" for the changes an override made.
fn ranking_cells(change: &TierChange) -> [String; 2] {
    if change.source == "RANKING" {
        [
            money::format_optional(change.revenue.as_ref()),
            percent(change.cumulative_share_ppm),
        ]
    } else {
        Default::default()
    }
}

impl Render for ListTierChangesResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "TIME",
            "ACCOUNT",
            "CHANGE",
            "SOURCE",
            "REASON",
            "REVENUE",
            "CUMULATIVE",
            "BY",
            "NOTE",
        ]);
        table.align_right(&[5, 6]);
        for change in &self.tier_changes {
            let [revenue, cumulative] = ranking_cells(change);
            table.push(vec![
                output::timestamp(change.change_time.as_ref()),
                change.account_id.clone(),
                tier_change(change.old_tier, change.new_tier),
                change.source.clone(),
                enums::name::<TierReason>(change.reason),
                revenue,
                cumulative,
                change.changed_by_staff_id.clone(),
                change.note.clone(),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

impl Render for TierOverride {
    fn human(&self) -> String {
        key_values(&[
            ("account_id", self.account_id.clone()),
            ("tier", enums::name::<Tier>(self.tier)),
            ("reason", self.reason.clone()),
            ("expire_time", output::timestamp(self.expire_time.as_ref())),
            ("active", output::yes_no(self.active)),
            ("set_by_staff_id", self.set_by_staff_id.clone()),
            ("set_time", output::timestamp(self.set_time.as_ref())),
        ])
    }
}

client::impl_page!(ListTierOverridesResponse, tier_overrides);

impl Render for ListTierOverridesResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ACCOUNT", "TIER", "ACTIVE", "EXPIRES", "SET BY", "SET", "REASON"]);
        for held in &self.tier_overrides {
            table.push(vec![
                held.account_id.clone(),
                enums::name::<Tier>(held.tier),
                output::yes_no(held.active),
                output::timestamp(held.expire_time.as_ref()),
                held.set_by_staff_id.clone(),
                output::timestamp(held.set_time.as_ref()),
                held.reason.clone(),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

/// The result of `override clear`: the (empty) response as JSON, a confirmation for people.
#[derive(Serialize)]
#[serde(transparent)]
struct Cleared {
    #[serde(skip)]
    account_id: String,
    response: ClearTierOverrideResponse,
}

impl Render for Cleared {
    fn human(&self) -> String {
        format!(
            "cleared the tier override of account {}; it keeps its tier until the next `kamctl tiers \
             --apply`\n",
            self.account_id
        )
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::Money;

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<TiersArgs, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "tiers"], args].concat())?;
        match cli.command {
            Command::Tiers(args) => Ok(args),
            other => panic!("not a tiers command: {other:?}"),
        }
    }

    /// 2026-12-01T00:00:00Z.
    fn as_of() -> Timestamp {
        Timestamp {
            seconds: 1_796_083_200,
            nanos: 0,
        }
    }

    fn eur(units: i64) -> Option<Money> {
        Some(Money {
            currency_code: "EUR".into(),
            units,
            nanos: 0,
        })
    }

    #[test]
    fn ppm_print_as_percentages_with_two_decimals() {
        assert_eq!(percent(0), "0.00%");
        assert_eq!(percent(1_000_000), "100.00%");
        assert_eq!(percent(500_000), "50.00%");
        assert_eq!(percent(123_456), "12.34%");
        assert_eq!(percent(5_000), "0.50%");
        assert_eq!(percent(100), "0.01%");
        assert_eq!(percent(99), "0.00%", "rounded toward zero, like the ppm");
        assert_eq!(percent(999_999), "99.99%");
        assert_eq!(percent(-123_456), "-12.34%");
        assert_eq!(percent(-99), "0.00%", "no negative zero");
        assert_eq!(percent(i64::MAX), "922337203685477.58%");
        assert_eq!(percent(i64::MIN), "-922337203685477.58%");
    }

    #[test]
    fn bare_tiers_is_a_preview_and_apply_stores() {
        let args = try_parse(&[
            "--as-of",
            "2026-12-01T00:00:00Z",
            "--changed-only",
            "--limit",
            "5",
        ])
        .unwrap();
        assert!(args.view.is_none());
        let request = args.rank.into_request();
        assert_eq!(
            request,
            RecomputeTiersRequest {
                as_of: Some(as_of()),
                validate_only: true,
                row_limit: 5,
                changed_only: true,
            }
        );
        let Some(TiersView::Rank(args)) = try_parse(&["rank", "--apply"]).unwrap().view else {
            panic!("not rank");
        };
        assert!(!args.into_request().validate_only);
        assert!(try_parse(&["--limit", "0"]).is_err());
        assert!(try_parse(&["--as-of", "2026-12-01"]).is_err());
        assert!(
            try_parse(&["history", "--apply"]).is_err(),
            "ranking flags are not history's"
        );
    }

    #[test]
    fn override_flags_make_the_requests() {
        let Some(TiersView::Override(OverrideCommand::Set(args))) = try_parse(&[
            "override",
            "set",
            "--account",
            "a1",
            "--tier",
            "strategic",
            "--reason",
            "reference customer",
            "--until",
            "2030-01-01T00:00:00Z",
        ])
        .unwrap()
        .view
        else {
            panic!("not override set");
        };
        let set = args.into_request().tier_override.unwrap();
        assert_eq!(set.account_id, "a1");
        assert_eq!(set.tier, Tier::Strategic as i32);
        assert_eq!(set.reason, "reference customer");
        assert_eq!(set.expire_time.unwrap().seconds, 1_893_456_000);
        assert!(
            try_parse(&[
                "override",
                "set",
                "--account",
                "a1",
                "--tier",
                "gold",
                "--reason",
                "r"
            ])
            .is_err()
        );
        assert!(try_parse(&["override", "set", "--account", "a1", "--tier", "key"]).is_err());

        let Some(TiersView::Override(OverrideCommand::List(args))) =
            try_parse(&["override", "list", "--expired", "--all"])
                .unwrap()
                .view
        else {
            panic!("not override list");
        };
        assert!(args.expired && args.paging.all);
        assert!(
            try_parse(&["override", "clear"]).is_err(),
            "--account is required"
        );
    }

    fn row(
        rank: i32,
        name: &str,
        units: i64,
        share: i64,
        cumulative: i64,
        old: Tier,
        new: Tier,
    ) -> TierRankingRow {
        let reason = match new {
            Tier::Strategic => TierReason::RevenueShareStrategic,
            Tier::Key => TierReason::RevenueShareKey,
            _ => TierReason::Other,
        };
        TierRankingRow {
            rank,
            account_id: format!("id-{rank}"),
            account_display_name: name.into(),
            revenue: eur(units),
            share_ppm: share,
            cumulative_share_ppm: cumulative,
            old_tier: old as i32,
            ranked_tier: new as i32,
            new_tier: new as i32,
            reason: reason as i32,
            ..Default::default()
        }
    }

    fn summary(tier: Tier, accounts: i32, units: i64, share: i64) -> TierSummary {
        TierSummary {
            tier: tier as i32,
            account_count: accounts,
            revenue: eur(units),
            share_ppm: share,
        }
    }

    fn ranking(applied: bool) -> RecomputeTiersResponse {
        let mut held = row(3, "Small", 1_000, 100_000, 1_000_000, Tier::Standard, Tier::Key);
        held.ranked_tier = Tier::Standard as i32;
        held.reason = TierReason::Override as i32;
        RecomputeTiersResponse {
            ranks_groups: false,
            segments: Vec::new(),
            as_of: Some(as_of()),
            applied,
            account_count: 3,
            changed_count: 2,
            total_revenue: eur(10_000),
            tiers: vec![
                summary(Tier::Strategic, 1, 6_000, 600_000),
                summary(Tier::Key, 2, 4_000, 400_000),
                summary(Tier::Growth, 0, 0, 0),
                summary(Tier::Standard, 0, 0, 0),
            ],
            rows: vec![
                row(1, "Big", 6_000, 600_000, 600_000, Tier::Standard, Tier::Strategic),
                row(2, "Middle", 3_000, 300_000, 900_000, Tier::Key, Tier::Key),
                held,
            ],
            truncated: false,
        }
    }

    #[test]
    fn the_pareto_table_and_the_tiers_of_a_preview() {
        assert_eq!(
            ranking(false).human(),
            "as of 2026-12-01T00:00:00Z: 3 accounts ranked, total revenue 10000.00 EUR\n\
             \n\
             RANK  ACCOUNT      REVENUE   SHARE  CUMULATIVE  TIER                  REASON\n\
             \x20  1  Big      6000.00 EUR  60.00%      60.00%  STANDARD → STRATEGIC  REVENUE_SHARE_STRATEGIC\n\
             \x20  2  Middle   3000.00 EUR  30.00%      90.00%  KEY                   REVENUE_SHARE_KEY\n\
             \x20  3  Small    1000.00 EUR  10.00%     100.00%  STANDARD → KEY        OVERRIDE (ranked STANDARD)\n\
             \n\
             TIER       ACCOUNTS      REVENUE   SHARE\n\
             STRATEGIC         1  6000.00 EUR  60.00%\n\
             KEY               2  4000.00 EUR  40.00%\n\
             GROWTH            0     0.00 EUR   0.00%\n\
             STANDARD          0     0.00 EUR   0.00%\n\
             \n\
             preview: 2 tier changes; nothing stored; run with --apply to store\n"
        );
    }

    #[test]
    fn an_applied_ranking_says_so_and_a_cut_table_says_how_to_see_more() {
        let mut applied = ranking(true);
        applied.rows.truncate(1);
        applied.truncated = true;
        let text = applied.human();
        assert!(
            text.contains("(only the first 1 row; --limit shows more)\n"),
            "{text}"
        );
        assert!(
            text.ends_with("\napplied: 2 tier changes stored, each with a history row\n"),
            "{text}"
        );
        assert!(!text.contains("preview"), "{text}");
    }

    #[test]
    fn history_shows_what_the_ranking_saw() {
        let changes = ListTierChangesResponse {
            tier_changes: vec![
                TierChange {
                    account_id: "a1".into(),
                    old_tier: Tier::Standard as i32,
                    new_tier: Tier::Strategic as i32,
                    source: "RANKING".into(),
                    reason: TierReason::RevenueShareStrategic as i32,
                    revenue: eur(6_000),
                    cumulative_share_ppm: 600_000,
                    change_time: Some(as_of()),
                    changed_by_staff_id: "s1".into(),
                    ..Default::default()
                },
                TierChange {
                    account_id: "a2".into(),
                    old_tier: Tier::Standard as i32,
                    new_tier: Tier::Key as i32,
                    source: "OVERRIDE".into(),
                    reason: TierReason::Override as i32,
                    note: "reference customer".into(),
                    changed_by_staff_id: "s1".into(),
                    ..Default::default()
                },
            ],
            next_page_token: "t2".into(),
        };
        assert_eq!(
            changes.human(),
            "TIME                  ACCOUNT  CHANGE                SOURCE    REASON                       REVENUE  CUMULATIVE  BY  NOTE\n\
             2026-12-01T00:00:00Z  a1       STANDARD → STRATEGIC  RANKING   REVENUE_SHARE_STRATEGIC  6000.00 EUR      60.00%  s1\n\
             \x20                     a2       STANDARD → KEY        OVERRIDE  OVERRIDE                                          s1  reference customer\n\
             next page: t2\n"
        );
    }

    #[test]
    fn overrides_show_whether_they_hold() {
        let held = TierOverride {
            account_id: "a1".into(),
            tier: Tier::Strategic as i32,
            reason: "reference customer".into(),
            active: true,
            set_by_staff_id: "s1".into(),
            ..Default::default()
        };
        let text = held.human();
        assert!(
            text.contains("tier:            STRATEGIC\n") && text.contains("active:          yes\n"),
            "{text}"
        );
        let list = ListTierOverridesResponse {
            tier_overrides: vec![held],
            next_page_token: String::new(),
        };
        assert_eq!(
            list.human(),
            "ACCOUNT  TIER       ACTIVE  EXPIRES  SET BY  SET  REASON\n\
             a1       STRATEGIC  yes              s1           reference customer\n"
        );
        let cleared = Cleared {
            account_id: "a1".into(),
            response: ClearTierOverrideResponse {},
        };
        assert!(
            cleared
                .human()
                .starts_with("cleared the tier override of account a1;")
        );
        assert_eq!(serde_json::to_string(&cleared).unwrap(), "{}");
    }
}

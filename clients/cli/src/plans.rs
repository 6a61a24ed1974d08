//! `kamctl plan ...`: account plans through kam.v1.PlanningService: create, list, show and change them,
//! record progress on their objectives, move them DRAFT → ACTIVE → CLOSED, and show their scorecard.
//! The plan's actions are in [`crate::plan_actions`] (`kamctl plan action ...`, `kamctl plan actions`).
//!
//! The scalar fields have flags; the sections (objectives, SWOT, competitors, whitespace) come, in full,
//! from a file in the proto3 JSON that `kamctl --json plan get` prints, so a plan is edited the way it
//! is shown: `get` into a file, change it, `update --file`, and the file's etag guards the write.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use kam_proto::v1::plan_scorecard::ObjectiveProgress;
use kam_proto::v1::{
    AccountPlan, ChangeAccountPlanStatusRequest, CreateAccountPlanRequest, Date, GetAccountPlanRequest,
    GetPlanScorecardRequest, ListAccountPlansRequest, ListAccountPlansResponse, Money, PlanObjective,
    PlanScorecard, UpdateAccountPlanRequest, account_plan, competitor_assessment, swot_item, whitespace_cell,
};
use serde_json::Value as Json;

use crate::Global;
use crate::client::{self, PageArgs, PlanningClient};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::money;
use crate::opportunities::{format_date, parse_day};
use crate::output::{self, Render, Table, count, key_values};
use crate::plan_actions::{self, ActionCommand, ActionListArgs};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Create a DRAFT plan for an account.
    Create(CreateArgs),
    /// List plans, newest first: one page, or every page with --all.
    List(ListArgs),
    /// Show a plan: period, targets, objectives, SWOT, competitors and whitespace.
    Get(IdArgs),
    /// Change a plan's fields; only the flags given (and the fields the --file names) are written.
    Update(UpdateArgs),
    /// Record how far one objective has come: its current value.
    Progress(ProgressArgs),
    /// Make a DRAFT plan the account's ACTIVE plan; an account has at most one.
    Activate(StatusArgs),
    /// Close an ACTIVE plan, e.g. at the end of its period.
    Close(StatusArgs),
    /// Show how a plan is doing: its actions, objectives, and revenue against the target.
    Scorecard(IdArgs),
    /// Add, show, change, start, finish or cancel a plan action.
    #[command(subcommand)]
    Action(ActionCommand),
    /// List plan actions: by plan, account or owner, only yours (--mine), only overdue ones.
    Actions(ActionListArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The plan id.
    id: String,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Start from this file: an account plan in proto3 JSON, as `kamctl --json plan get` prints it.
    /// Flags given as well win over its fields.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,

    /// The account the plan is for.
    #[arg(long, value_name = "ID", required_unless_present = "file")]
    account: Option<String>,

    /// Name, 1 to 200 characters, e.g. "Sinopec 2027".
    #[arg(long, required_unless_present = "file")]
    name: Option<String>,

    /// First day of the period the plan covers, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day, required_unless_present = "file")]
    from: Option<Date>,

    /// Last day of the period, YYYY-MM-DD, not before --from.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day, required_unless_present = "file")]
    to: Option<Date>,

    #[command(flatten)]
    fields: PlanFields,

    /// A measurable objective, METRIC=TARGET or METRIC=TARGET@YYYY-MM-DD (due date), e.g.
    /// "plants on framework agreement=3@2027-03-31"; repeat for several. They replace the file's.
    #[arg(long = "objective", value_name = "METRIC=TARGET[@DUE]", value_parser = parse_objective)]
    objectives: Vec<PlanObjective>,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The plan id.
    id: String,

    /// Write every updatable field this file names: an account plan in proto3 JSON, as `kamctl --json
    /// plan get` prints it. A section it names replaces the stored one (`"swot": []` empties it); one
    /// it leaves out is kept. Its etag, if any, guards the update.
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,

    /// Name, 1 to 200 characters.
    #[arg(long)]
    name: Option<String>,

    /// First day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    from: Option<Date>,

    /// Last day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    to: Option<Date>,

    #[command(flatten)]
    fields: PlanFields,

    /// Update only if the plan is still at this etag (ABORTED otherwise); wins over the file's.
    #[arg(long)]
    etag: Option<String>,
}

/// The optional scalar fields, the same for create and update.
#[derive(Debug, Args)]
struct PlanFields {
    /// Where we want to be with the account, up to 5000 characters.
    #[arg(long)]
    vision: Option<String>,

    /// Revenue aimed for over the period, in the reporting currency: AMOUNT CURRENCY, e.g.
    /// "2500000 EUR"; "" removes it.
    #[arg(long, value_name = "AMOUNT CURRENCY", value_parser = parse_target)]
    revenue_target: Option<RevenueTarget>,

    /// Share of the customer's spend in our categories aimed for, percent 0-100 (0 for none).
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(i32).range(0..=100))]
    wallet_share_target: Option<i32>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this account's plans.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only plans in this status.
    #[arg(long, value_name = "STATUS", value_parser = enums::parser::<account_plan::Status>())]
    status: Option<i32>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct ProgressArgs {
    /// The plan id.
    id: String,

    /// The objective, by its metric as the plan shows it (case does not matter).
    #[arg(long)]
    metric: String,

    /// Its current value.
    #[arg(long, value_name = "N")]
    value: i64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The plan id.
    id: String,

    /// Change it only if the plan is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

pub async fn run(command: PlanCommand, global: &Global) -> Result<(), Error> {
    let plan = match command {
        PlanCommand::Action(command) => return plan_actions::run(command, global).await,
        PlanCommand::Actions(args) => return plan_actions::list(args, global).await,
        PlanCommand::List(args) => return list(args, global).await,
        PlanCommand::Scorecard(IdArgs { id }) => {
            let request = GetPlanScorecardRequest { plan_id: id };
            let mut client = client::planning(global).await?;
            let scorecard = client.get_plan_scorecard(request).await?.into_inner();
            return Ok(output::print(&scorecard, global.json)?);
        }
        PlanCommand::Create(args) => {
            // Built before connecting, so that a bad file fails without a server.
            let request = args.into_request()?;
            client::planning(global)
                .await?
                .create_account_plan(retry::idempotent(request))
                .await?
        }
        PlanCommand::Get(IdArgs { id }) => {
            let request = GetAccountPlanRequest { id };
            client::planning(global).await?.get_account_plan(request).await?
        }
        PlanCommand::Update(args) => {
            let request = args.into_request()?;
            client::planning(global)
                .await?
                .update_account_plan(request)
                .await?
        }
        PlanCommand::Progress(args) => {
            let mut client = client::planning(global).await?;
            let request = progress_request(&mut client, args).await?;
            client.update_account_plan(request).await?
        }
        PlanCommand::Activate(args) => change_status(global, args, account_plan::Status::Active).await?,
        PlanCommand::Close(args) => change_status(global, args, account_plan::Status::Closed).await?,
    };
    Ok(output::print(&plan.into_inner(), global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::planning(global).await?;
    let account_id = args.account.unwrap_or_default();
    let status = args.status.unwrap_or_default();
    let fetch = async |page_size, page_token| {
        let request = ListAccountPlansRequest {
            page_size,
            page_token,
            account_id: account_id.clone(),
            status,
            segments: None,
        };
        Ok(client.list_account_plans(request).await?.into_inner())
    };
    let plans = args.paging.fetch(fetch).await?;
    Ok(output::print(&plans, global.json)?)
}

async fn change_status(
    global: &Global,
    args: StatusArgs,
    status: account_plan::Status,
) -> Result<tonic::Response<AccountPlan>, Error> {
    let request = ChangeAccountPlanStatusRequest {
        id: args.id,
        status: status as i32,
        etag: args.etag.unwrap_or_default(),
    };
    Ok(client::planning(global)
        .await?
        .change_account_plan_status(request)
        .await?)
}

/// Reads the plan, sets the objective's current value and writes the objectives back, guarded by the
/// etag of the read: should someone change the plan in between, the server answers ABORTED instead of
/// the other change being lost.
async fn progress_request(
    client: &mut PlanningClient,
    args: ProgressArgs,
) -> Result<UpdateAccountPlanRequest, Error> {
    let request = GetAccountPlanRequest { id: args.id };
    let mut plan = client.get_account_plan(request).await?.into_inner();
    set_progress(&mut plan, &args.metric, args.value)?;
    Ok(UpdateAccountPlanRequest {
        plan: Some(plan),
        update_mask: Some(MaskBuilder::with_paths(&["objectives"]).build()),
    })
}

/// Sets the current value of the objective whose metric is `metric` (in any case).
fn set_progress(plan: &mut AccountPlan, metric: &str, value: i64) -> Result<(), Error> {
    let wanted = metric.to_lowercase();
    let position = plan
        .objectives
        .iter()
        .position(|objective| objective.metric.to_lowercase() == wanted);
    if let Some(position) = position {
        plan.objectives[position].current_value = value;
        return Ok(());
    }
    let metrics: Vec<&str> = plan.objectives.iter().map(|o| o.metric.as_str()).collect();
    Err(Error::Usage(if metrics.is_empty() {
        format!(
            "plan {} has no objectives; add them with `kamctl plan update --file`",
            plan.id
        )
    } else {
        format!(
            "plan {} has no objective `{metric}`; its objectives are: {}",
            plan.id,
            metrics.join(", ")
        )
    }))
}

impl CreateArgs {
    fn into_request(self) -> Result<CreateAccountPlanRequest, Error> {
        let mut plan = match &self.file {
            Some(path) => read_plan_file(path)?.plan,
            None => AccountPlan::default(),
        };
        // A file saved from `plan get` carries the old plan's identity and state; a new plan has none.
        plan.id.clear();
        plan.etag.clear();
        if let Some(account) = self.account {
            plan.account_id = account;
        }
        if let Some(name) = self.name {
            plan.name = name;
        }
        plan.period_start = self.from.or(plan.period_start);
        plan.period_end = self.to.or(plan.period_end);
        self.fields.apply(&mut plan, &mut MaskBuilder::default());
        if !self.objectives.is_empty() {
            plan.objectives = self.objectives;
        }
        Ok(CreateAccountPlanRequest {
            plan: Some(plan),
            request_id: retry::new_request_id(self.request_id),
        })
    }
}

impl UpdateArgs {
    fn into_request(self) -> Result<UpdateAccountPlanRequest, Error> {
        let (mut plan, mut mask) = match &self.file {
            Some(path) => {
                let file = read_plan_file(path)?;
                if !file.plan.id.is_empty() && file.plan.id != self.id {
                    return Err(Error::Usage(format!(
                        "{} holds plan {}, not {}",
                        path.display(),
                        file.plan.id,
                        self.id
                    )));
                }
                (file.plan, MaskBuilder::with_paths(&file.updatable_fields))
            }
            None => (AccountPlan::default(), MaskBuilder::default()),
        };
        plan.id = self.id;
        mask.set("name", &mut plan.name, self.name);
        mask.set("period_start", &mut plan.period_start, self.from.map(Some));
        mask.set("period_end", &mut plan.period_end, self.to.map(Some));
        self.fields.apply(&mut plan, &mut mask);
        if let Some(etag) = self.etag {
            plan.etag = etag;
        }
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --vision or --file".to_owned(),
            ));
        }
        Ok(UpdateAccountPlanRequest {
            plan: Some(plan),
            update_mask: Some(mask.build()),
        })
    }
}

impl PlanFields {
    /// Writes the fields given into `plan` and names them in `mask` (paths as in
    /// UpdateAccountPlanRequest).
    fn apply(self, plan: &mut AccountPlan, mask: &mut MaskBuilder) {
        mask.set("vision", &mut plan.vision, self.vision);
        let target = self.revenue_target.map(|target| target.0);
        mask.set("revenue_target", &mut plan.revenue_target, target);
        mask.set(
            "share_of_wallet_target_percent",
            &mut plan.share_of_wallet_target_percent,
            self.wallet_share_target,
        );
    }
}

/// The fields UpdateAccountPlanRequest can write, by their proto names.
const UPDATABLE_FIELDS: [&str; 10] = [
    "name",
    "period_start",
    "period_end",
    "vision",
    "revenue_target",
    "share_of_wallet_target_percent",
    "objectives",
    "swot",
    "competitors",
    "whitespace",
];

/// A plan read from a file, and which of the updatable fields the file names.
#[derive(Debug)]
struct PlanFile {
    plan: AccountPlan,
    updatable_fields: Vec<&'static str>,
}

fn read_plan_file(path: &Path) -> Result<PlanFile, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| Error::Usage(format!("cannot read {}: {err}", path.display())))?;
    parse_plan_file(&text).map_err(|why| Error::Usage(format!("{}: {why}", path.display())))
}

/// Parses an account plan in proto3 JSON. Field names are taken in lowerCamelCase (as kamctl prints
/// them) or as in the proto; an unknown field is refused, so a misspelt section is not silently lost.
fn parse_plan_file(text: &str) -> Result<PlanFile, String> {
    let json: Json = serde_json::from_str(text).map_err(|err| format!("not JSON: {err}"))?;
    let Some(object) = json.as_object() else {
        return Err("not an account plan: expected a JSON object".to_owned());
    };
    let updatable_fields = UPDATABLE_FIELDS
        .into_iter()
        .filter(|field| object.keys().any(|key| snake_case(key) == *field))
        .collect();
    let plan = serde_json::from_value(json).map_err(|err| format!("not an account plan: {err}"))?;
    Ok(PlanFile {
        plan,
        updatable_fields,
    })
}

/// `periodStart` → `period_start`; names already in snake case stay as they are.
fn snake_case(name: &str) -> String {
    let mut snake = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// The value of `--revenue-target`: `None` for "", which removes the target. (A newtype, since clap
/// reads a flag of type `Option<Option<T>>` as one whose value may be left out.)
#[derive(Debug, Clone)]
struct RevenueTarget(Option<Money>);

/// Parses `--revenue-target`; "" removes the target.
fn parse_target(text: &str) -> Result<RevenueTarget, String> {
    if text.trim().is_empty() {
        return Ok(RevenueTarget(None));
    }
    money::parse_money(text).map(|money| RevenueTarget(Some(money)))
}

/// Parses `--objective METRIC=TARGET[@YYYY-MM-DD]`. The metric is everything before the last `=`, so it
/// may hold one itself.
fn parse_objective(text: &str) -> Result<PlanObjective, String> {
    let invalid = |why: &str| {
        format!("`{text}` is not an objective ({why}); expected METRIC=TARGET or METRIC=TARGET@YYYY-MM-DD")
    };
    let Some((metric, rest)) = text.rsplit_once('=') else {
        return Err(invalid("no `=`"));
    };
    let (target, due_date) = match rest.split_once('@') {
        Some((target, due)) => (target, Some(parse_day(due.trim())?)),
        None => (rest, None),
    };
    let metric = metric.trim();
    if metric.is_empty() {
        return Err(invalid("no metric"));
    }
    let target_value = match target.trim().parse::<i64>() {
        Ok(target) if target > 0 => target,
        _ => return Err(invalid("the target must be a whole number above 0")),
    };
    Ok(PlanObjective {
        metric: metric.to_owned(),
        target_value,
        current_value: 0,
        due_date,
    })
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

/// The width of the progress bars, in characters.
const BAR_WIDTH: usize = 20;

/// A percentage and its bar out of 100, as two cells: `60%`, `████████████`.
fn percent_cells(percent: i32) -> [String; 2] {
    [
        format!("{percent}%"),
        output::bar(i128::from(percent), 100, BAR_WIDTH),
    ]
}

/// `2026-01-01 – 2026-12-31`.
fn period(plan: &AccountPlan) -> String {
    format!(
        "{} – {}",
        format_date(plan.period_start.as_ref()),
        format_date(plan.period_end.as_ref())
    )
}

/// A percentage target; "" for none.
fn optional_percent(percent: i32) -> String {
    if percent == 0 {
        String::new()
    } else {
        format!("{percent}%")
    }
}

impl Render for AccountPlan {
    /// The plan's fields, then each section it has as a table.
    fn human(&self) -> String {
        let mut text = key_values(&[
            ("id", self.id.clone()),
            ("account_id", self.account_id.clone()),
            ("name", self.name.clone()),
            ("status", enums::name::<account_plan::Status>(self.status)),
            ("period", period(self)),
            ("vision", self.vision.clone()),
            (
                "revenue_target",
                money::format_optional(self.revenue_target.as_ref()),
            ),
            (
                "share_of_wallet_target",
                optional_percent(self.share_of_wallet_target_percent),
            ),
            ("activate_time", output::timestamp(self.activate_time.as_ref())),
            ("close_time", output::timestamp(self.close_time.as_ref())),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ]);
        if !self.objectives.is_empty() {
            let mut table = Table::new(&["METRIC", "CURRENT", "TARGET", "DUE"]);
            table.align_right(&[1, 2]);
            for objective in &self.objectives {
                table.push(vec![
                    objective.metric.clone(),
                    objective.current_value.to_string(),
                    objective.target_value.to_string(),
                    format_date(objective.due_date.as_ref()),
                ]);
            }
            section(&mut text, "objectives", &table);
        }
        if !self.swot.is_empty() {
            let mut table = Table::new(&["KIND", "TEXT"]);
            for item in &self.swot {
                table.push(vec![enums::name::<swot_item::Kind>(item.kind), item.text.clone()]);
            }
            section(&mut text, "SWOT", &table);
        }
        if !self.competitors.is_empty() {
            let mut table = Table::new(&["COMPETITOR", "SHARE", "THREAT", "STRENGTHS", "WEAKNESSES"]);
            table.align_right(&[1]);
            for competitor in &self.competitors {
                table.push(vec![
                    competitor.name.clone(),
                    format!("{}%", competitor.estimated_share_percent),
                    enums::name::<competitor_assessment::ThreatLevel>(competitor.threat_level),
                    competitor.strengths.clone(),
                    competitor.weaknesses.clone(),
                ]);
            }
            section(&mut text, "competitors", &table);
        }
        if !self.whitespace.is_empty() {
            let mut table = Table::new(&["PRODUCT LINE", "STATUS", "ESTIMATED VALUE"]);
            table.align_right(&[2]);
            for cell in &self.whitespace {
                table.push(vec![
                    cell.product_line.clone(),
                    enums::name::<whitespace_cell::Status>(cell.status),
                    money::format_optional(cell.estimated_value.as_ref()),
                ]);
            }
            section(&mut text, "whitespace", &table);
        }
        text
    }
}

/// Appends a titled table after a blank line.
fn section(text: &mut String, title: &str, table: &Table) {
    text.push('\n');
    text.push_str(title);
    text.push('\n');
    text.push_str(&table.render());
}

client::impl_page!(ListAccountPlansResponse, plans);

impl Render for ListAccountPlansResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "ACCOUNT", "NAME", "STATUS", "PERIOD", "REVENUE TARGET"]);
        table.align_right(&[5]);
        for plan in &self.plans {
            table.push(vec![
                plan.id.clone(),
                plan.account_id.clone(),
                plan.name.clone(),
                enums::name::<account_plan::Status>(plan.status),
                period(plan),
                money::format_optional(plan.revenue_target.as_ref()),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

/// The objective's state: "reached", "overdue" (not reached and past due) or "".
fn objective_state(objective: &ObjectiveProgress) -> &'static str {
    if objective.progress_percent >= 100 {
        "reached"
    } else if objective.overdue {
        "overdue"
    } else {
        ""
    }
}

impl Render for PlanScorecard {
    /// A line each on the actions, the objectives and the revenue, then the objectives one by one, each
    /// with its percentage and a bar.
    fn human(&self) -> String {
        let counted = self.actions_total - self.actions_cancelled;
        let mut text = format!(
            "plan {} ({}) of account {}\n\n",
            self.plan_id,
            enums::name::<account_plan::Status>(self.status),
            self.account_id
        );
        let actions = format!(
            "{} of {} done; {} open, {} overdue, {} cancelled",
            self.actions_done,
            count(counted, "action", "actions"),
            self.actions_open,
            self.actions_overdue,
            self.actions_cancelled
        );
        let objectives = format!(
            "{} on average",
            count(self.objectives.len(), "objective", "objectives")
        );
        let actual = money::format_optional(self.revenue_actual.as_ref());
        let (revenue, attainment) = match &self.revenue_target {
            Some(target) => (
                format!("{actual} of {}", money::format_money(target)),
                percent_cells(self.revenue_attainment_percent),
            ),
            None => (format!("{actual} (no target)"), Default::default()),
        };
        let mut summary = Table::new(&["", "", "", ""]);
        summary.align_right(&[2]);
        for (label, what, [percent, bar]) in [
            ("actions", actions, percent_cells(self.actions_done_percent)),
            (
                "objectives",
                objectives,
                percent_cells(self.objectives_progress_percent),
            ),
            ("revenue", revenue, attainment),
        ] {
            summary.push(vec![label.to_owned(), what, percent, bar]);
        }
        // The summary has no headers: drop its (blank) first line.
        let rendered = summary.render();
        text.push_str(rendered.split_once('\n').map_or("", |(_, rows)| rows));

        if !self.objectives.is_empty() {
            let mut table = Table::new(&["METRIC", "CURRENT", "TARGET", "PROGRESS", "", ""]);
            table.align_right(&[1, 2, 3]);
            for objective in &self.objectives {
                let [percent, bar] = percent_cells(objective.progress_percent);
                table.push(vec![
                    objective.metric.clone(),
                    objective.current_value.to_string(),
                    objective.target_value.to_string(),
                    percent,
                    bar,
                    objective_state(objective).to_owned(),
                ]);
            }
            text.push('\n');
            text.push_str(&table.render());
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<PlanCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "plan"], args].concat())?;
        match cli.command {
            Command::Plan(command) => Ok(command),
            other => panic!("not a plan command: {other:?}"),
        }
    }

    fn date(year: i32, month: i32, day: i32) -> Option<Date> {
        Some(Date { year, month, day })
    }

    fn eur(units: i64) -> Option<Money> {
        Some(Money {
            currency_code: "EUR".into(),
            units,
            nanos: 0,
        })
    }

    /// A file under the temp directory, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, contents: &str) -> Self {
            let path = std::env::temp_dir().join(format!("kamctl-{}-{name}", std::process::id()));
            std::fs::write(&path, contents).unwrap();
            TempFile(path)
        }

        fn path(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn objectives_are_metric_target_and_an_optional_due_date() {
        assert_eq!(
            parse_objective("plants on framework agreement=3@2027-03-31"),
            Ok(PlanObjective {
                metric: "plants on framework agreement".into(),
                target_value: 3,
                current_value: 0,
                due_date: date(2027, 3, 31),
            })
        );
        let bare = parse_objective(" share of wallet % = 40 ").unwrap();
        assert_eq!(
            (bare.metric.as_str(), bare.target_value, bare.due_date),
            ("share of wallet %", 40, None)
        );
        // The last `=` splits, so a metric may hold one.
        assert_eq!(parse_objective("a=b=7").unwrap().metric, "a=b");
        for bad in [
            "no target",
            "=3",
            "pumps=0",
            "pumps=-2",
            "pumps=x",
            "pumps=3@2027-02-30",
            "pumps=3@soon",
        ] {
            assert!(parse_objective(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn create_flags_make_the_plan() {
        let PlanCommand::Create(args) = try_parse(&[
            "create",
            "--account",
            "a1",
            "--name",
            "Sinopec 2027",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
            "--vision",
            "preferred supplier",
            "--revenue-target",
            "2500000 EUR",
            "--wallet-share-target",
            "40",
            "--objective",
            "plants=3@2027-03-31",
            "--objective",
            "service contracts=4",
        ])
        .unwrap() else {
            panic!("not create");
        };
        let plan = args.into_request().unwrap().plan.unwrap();
        assert_eq!(
            (plan.account_id.as_str(), plan.name.as_str()),
            ("a1", "Sinopec 2027")
        );
        assert_eq!(
            (plan.period_start, plan.period_end),
            (date(2027, 1, 1), date(2027, 12, 31))
        );
        assert_eq!(plan.vision, "preferred supplier");
        assert_eq!(plan.revenue_target, eur(2_500_000));
        assert_eq!(plan.share_of_wallet_target_percent, 40);
        let metrics: Vec<&str> = plan.objectives.iter().map(|o| o.metric.as_str()).collect();
        assert_eq!(metrics, ["plants", "service contracts"]);

        assert!(try_parse(&["create", "--account", "a1", "--name", "n", "--from", "2027-01-01"]).is_err());
        assert!(
            try_parse(&[
                "create",
                "--account",
                "a1",
                "--name",
                "n",
                "--from",
                "2027-01-01",
                "--to",
                "2027-12-31",
                "--wallet-share-target",
                "101"
            ])
            .is_err()
        );
    }

    #[test]
    fn a_file_gives_the_sections_and_flags_win() {
        let file = TempFile::new(
            "create.json",
            r#"{
                "id": "old-plan", "etag": "\"3\"", "status": "CLOSED",
                "accountId": "a1", "name": "Sinopec 2026",
                "periodStart": {"year": 2026, "month": 1, "day": 1},
                "periodEnd": {"year": 2026, "month": 12, "day": 31},
                "swot": [{"kind": "THREAT", "text": "KSB 10 % below list"}],
                "competitors": [{"name": "KSB", "estimatedSharePercent": 35, "threatLevel": "HIGH"}]
            }"#,
        );
        let PlanCommand::Create(args) = try_parse(&[
            "create",
            "--file",
            file.path(),
            "--name",
            "Sinopec 2027",
            "--from",
            "2027-01-01",
            "--to",
            "2027-12-31",
        ])
        .unwrap() else {
            panic!("not create");
        };
        let plan = args.into_request().unwrap().plan.unwrap();
        assert_eq!(
            (plan.id.as_str(), plan.etag.as_str()),
            ("", ""),
            "a new plan has no identity"
        );
        assert_eq!(
            (plan.account_id.as_str(), plan.name.as_str()),
            ("a1", "Sinopec 2027")
        );
        assert_eq!(plan.period_start, date(2027, 1, 1));
        assert_eq!(plan.swot[0].kind, swot_item::Kind::Threat as i32);
        assert_eq!(plan.competitors[0].estimated_share_percent, 35);

        let typo = TempFile::new("typo.json", r#"{"swotItems": []}"#);
        let PlanCommand::Create(args) = try_parse(&["create", "--file", typo.path()]).unwrap() else {
            panic!("not create");
        };
        let Err(Error::Usage(why)) = args.into_request() else {
            panic!("an unknown field was accepted");
        };
        assert!(
            why.contains("not an account plan") && why.contains("swotItems"),
            "{why}"
        );
    }

    #[test]
    fn update_writes_the_flags_and_the_fields_the_file_names() {
        let PlanCommand::Update(args) = try_parse(&[
            "update",
            "p1",
            "--vision",
            "",
            "--revenue-target",
            "",
            "--to",
            "2027-06-30",
        ])
        .unwrap() else {
            panic!("not update");
        };
        let request = args.into_request().unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["period_end", "vision", "revenue_target"]
        );
        let plan = request.plan.unwrap();
        assert_eq!((plan.id.as_str(), plan.revenue_target), ("p1", None));

        // Output-only fields of a saved plan are not written; its etag guards the update.
        let file = TempFile::new(
            "update.json",
            r#"{"id": "p1", "etag": "\"4\"", "status": "ACTIVE", "name": "Sinopec 2027", "swot": [],
                "share_of_wallet_target_percent": 30}"#,
        );
        let PlanCommand::Update(args) = try_parse(&["update", "p1", "--file", file.path()]).unwrap() else {
            panic!("not update");
        };
        let request = args.into_request().unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["name", "share_of_wallet_target_percent", "swot"]
        );
        assert_eq!(request.plan.unwrap().etag, "\"4\"");

        let PlanCommand::Update(args) = try_parse(&["update", "p2", "--file", file.path()]).unwrap() else {
            panic!("not update");
        };
        assert!(
            matches!(args.into_request(), Err(Error::Usage(why)) if why.contains("holds plan p1, not p2"))
        );
        let PlanCommand::Update(args) = try_parse(&["update", "p1"]).unwrap() else {
            panic!("not update");
        };
        assert!(
            matches!(args.into_request(), Err(Error::Usage(why)) if why.starts_with("nothing to update"))
        );
    }

    #[test]
    fn progress_sets_the_objective_named_in_any_case() {
        let mut plan = AccountPlan {
            id: "p1".into(),
            objectives: vec![
                parse_objective("Plants=3").unwrap(),
                parse_objective("service contracts=4").unwrap(),
            ],
            ..Default::default()
        };
        set_progress(&mut plan, "plants", 2).unwrap();
        assert_eq!(plan.objectives[0].current_value, 2);
        assert_eq!(plan.objectives[1].current_value, 0);
        let Err(Error::Usage(why)) = set_progress(&mut plan, "pumps", 1) else {
            panic!("an unknown metric was accepted");
        };
        assert!(
            why.contains("its objectives are: Plants, service contracts"),
            "{why}"
        );
        plan.objectives.clear();
        assert!(
            matches!(set_progress(&mut plan, "plants", 1), Err(Error::Usage(why)) if why.contains("no objectives"))
        );
    }

    #[test]
    fn camel_case_field_names_map_to_proto_names() {
        assert_eq!(
            snake_case("shareOfWalletTargetPercent"),
            "share_of_wallet_target_percent"
        );
        assert_eq!(snake_case("period_start"), "period_start");
        assert_eq!(snake_case("swot"), "swot");
    }

    fn plan() -> AccountPlan {
        AccountPlan {
            id: "p1".into(),
            account_id: "a1".into(),
            name: "Sinopec 2027".into(),
            status: account_plan::Status::Active as i32,
            period_start: date(2027, 1, 1),
            period_end: date(2027, 12, 31),
            revenue_target: eur(1_000),
            share_of_wallet_target_percent: 40,
            objectives: vec![parse_objective("plants=3@2027-03-31").unwrap()],
            competitors: vec![kam_proto::v1::CompetitorAssessment {
                name: "KSB".into(),
                estimated_share_percent: 35,
                threat_level: competitor_assessment::ThreatLevel::High as i32,
                strengths: "price".into(),
                weaknesses: String::new(),
                competitor_id: String::new(),
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_plan_shows_its_fields_and_the_sections_it_has() {
        let text = plan().human();
        assert!(text.contains("status:                 ACTIVE\n"), "{text}");
        assert!(
            text.contains("period:                 2027-01-01 – 2027-12-31\n"),
            "{text}"
        );
        assert!(text.contains("revenue_target:         1000.00 EUR\n"), "{text}");
        assert!(text.contains("share_of_wallet_target: 40%\n"), "{text}");
        assert!(
            text.contains(
                "\nobjectives\nMETRIC  CURRENT  TARGET  DUE\nplants        0       3  2027-03-31\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("\ncompetitors\nCOMPETITOR  SHARE  THREAT  STRENGTHS  WEAKNESSES\nKSB           35%  HIGH    price\n"),
            "{text}"
        );
        assert!(!text.contains("SWOT") && !text.contains("whitespace"), "{text}");

        let list = ListAccountPlansResponse {
            plans: vec![plan()],
            next_page_token: "t2".into(),
        };
        assert_eq!(
            list.human(),
            "ID  ACCOUNT  NAME          STATUS  PERIOD                   REVENUE TARGET\n\
             p1  a1       Sinopec 2027  ACTIVE  2027-01-01 – 2027-12-31     1000.00 EUR\n\
             next page: t2\n"
        );
    }

    #[test]
    fn the_scorecard_shows_actions_objectives_and_revenue_with_bars() {
        let scorecard = PlanScorecard {
            plan_id: "p1".into(),
            account_id: "a1".into(),
            status: account_plan::Status::Active as i32,
            actions_total: 6,
            actions_done: 3,
            actions_open: 2,
            actions_overdue: 1,
            actions_cancelled: 1,
            actions_done_percent: 60,
            objectives: vec![
                ObjectiveProgress {
                    metric: "plants".into(),
                    target_value: 3,
                    current_value: 1,
                    progress_percent: 33,
                    overdue: true,
                },
                ObjectiveProgress {
                    metric: "service contracts".into(),
                    target_value: 4,
                    current_value: 5,
                    progress_percent: 100,
                    overdue: false,
                },
            ],
            objectives_progress_percent: 66,
            revenue_target: eur(1_000),
            revenue_actual: eur(250),
            revenue_attainment_percent: 25,
        };
        assert_eq!(
            scorecard.human(),
            "plan p1 (ACTIVE) of account a1\n\
             \n\
             actions     3 of 5 actions done; 2 open, 1 overdue, 1 cancelled  60%  ████████████\n\
             objectives  2 objectives on average                              66%  █████████████\n\
             revenue     250.00 EUR of 1000.00 EUR                            25%  █████\n\
             \n\
             METRIC             CURRENT  TARGET  PROGRESS\n\
             plants                   1       3       33%  ███████               overdue\n\
             service contracts        5       4      100%  ████████████████████  reached\n"
        );

        let no_target = PlanScorecard {
            revenue_actual: eur(250),
            ..Default::default()
        };
        let text = no_target.human();
        assert!(text.contains("revenue     250.00 EUR (no target)\n"), "{text}");
        assert!(
            text.contains("actions     0 of 0 actions done; 0 open, 0 overdue, 0 cancelled  0%\n"),
            "{text}"
        );
        assert!(!text.contains("METRIC"), "{text}");
    }
}

//! `kamctl opps ...`: opportunities, the possible sales to an account, and their way through a
//! pipeline's stages, through kam.v1.OpportunityService.

use chrono::{Datelike, NaiveDate};
use clap::{ArgGroup, Args, Subcommand};
use kam_proto::v1::{
    CloseOpportunityRequest, CreateOpportunityRequest, Date, ForecastCategory, GetOpportunityRequest,
    ListOpportunitiesRequest, ListOpportunitiesResponse, ListStageHistoryRequest, ListStageHistoryResponse,
    Money, MoveOpportunityStageRequest, Opportunity, Outcome, Qualification, ReopenOpportunityRequest,
    UpdateOpportunityRequest,
};

use crate::Global;
use crate::client::{self, OpportunityClient, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::money;
use crate::output::{self, Render, Table, key_values};
use crate::pipelines::{parse_stage_key, stage_key};
use crate::retry;
use crate::segments::SegmentArgs;

#[derive(Debug, Subcommand)]
pub enum OppsCommand {
    /// Create an opportunity at an account, in the default pipeline unless --pipeline says otherwise.
    Create(CreateArgs),
    /// Show one opportunity.
    Get(IdArgs),
    /// List opportunities: one page, or every page with --all.
    List(ListArgs),
    /// Change the deal's data given as flags; `--FIELD ""` clears a field. The stage changes only
    /// with `move`, `close` and `reopen`.
    Update(UpdateArgs),
    /// Move an open opportunity to another open stage: forward, back, or skipping stages.
    Move(MoveArgs),
    /// Close an opportunity as won or lost, with a reason.
    Close(CloseArgs),
    /// Put a closed opportunity back into an open stage, with a reason.
    Reopen(ReopenArgs),
    /// List every stage change of an opportunity, oldest first.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The opportunity id.
    id: String,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The account the sale is to.
    #[arg(long, value_name = "ID")]
    account: String,

    /// Display name, 1 to 200 characters.
    #[arg(long)]
    name: String,

    /// The staff member who owns the deal (active staff).
    #[arg(long, value_name = "STAFF_ID")]
    owner: String,

    /// The pipeline [default: the default pipeline].
    #[arg(long, value_name = "ID")]
    pipeline: Option<String>,

    /// The open stage to start in [default: the pipeline's first].
    #[arg(long, value_name = "KEY", value_parser = parse_stage_key)]
    stage: Option<String>,

    #[command(flatten)]
    fields: OpportunityFields,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The opportunity id.
    id: String,

    /// Display name, 1 to 200 characters.
    #[arg(long)]
    name: Option<String>,

    /// Hand the deal to this staff member (active staff).
    #[arg(long, value_name = "STAFF_ID")]
    owner: Option<String>,

    #[command(flatten)]
    fields: OpportunityFields,

    /// Remove every competitor.
    #[arg(long, conflicts_with = "competitors")]
    clear_competitors: bool,

    /// Update only if the opportunity is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

/// The optional writable fields, the same for create and update.
///
/// The MAN flags take an optional value: `--budget` alone means confirmed, and `--budget false`
/// lets update take it back.
#[derive(Debug, Args)]
struct OpportunityFields {
    /// The deal's value: AMOUNT CURRENCY, e.g. "1234.50 EUR" (exact, up to 9 decimals).
    #[arg(long, value_name = "AMOUNT CURRENCY", value_parser = parse_amount)]
    amount: Option<Clearable<Money>>,

    /// When the deal is expected to close, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_close_date)]
    close_date: Option<Clearable<Date>>,

    /// Win probability 0-100, overriding the stage's until the next stage change; "" goes back to the
    /// stage's.
    #[arg(long, value_name = "0-100", value_parser = parse_probability)]
    probability: Option<Clearable<i32>>,

    /// Forecast category overriding the stage's until the next stage change; "" goes back to the
    /// stage's.
    #[arg(long, value_name = "CATEGORY", value_parser = enums::parser::<ForecastCategory>())]
    forecast: Option<i32>,

    /// Who works the current stage: someone specialising in it.
    #[arg(long, value_name = "STAFF_ID")]
    stage_owner: Option<String>,

    /// A competitor in the deal; repeat for several (at most 20). On update, the competitors given
    /// replace the stored ones.
    #[arg(long = "competitor", value_name = "NAME")]
    competitors: Vec<String>,

    /// Where the lead came from, e.g. "trade fair".
    #[arg(long)]
    source: Option<String>,

    /// What happens next, up to 500 characters.
    #[arg(long)]
    next_step: Option<String>,

    /// MAN qualification: the customer has the budget (Money).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    budget: Option<bool>,

    /// MAN qualification: we talk to someone with the Authority to buy.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    authority: Option<bool>,

    /// MAN qualification: the customer has the Need.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    need: Option<bool>,

    /// The ERP's key of the opportunity, unique among opportunities.
    #[arg(long)]
    external_id: Option<String>,
}

/// A flag value where "" clears the field: `Clearable(None)`.
#[derive(Debug, Clone, PartialEq)]
struct Clearable<T>(Option<T>);

/// The MAN flags given, each `None` when left out.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ManFlags {
    budget: Option<bool>,
    authority: Option<bool>,
    need: Option<bool>,
}

impl ManFlags {
    fn given(&self) -> usize {
        [self.budget, self.authority, self.need]
            .iter()
            .filter(|flag| flag.is_some())
            .count()
    }

    /// The qualification with the flags given set and the others as in `stored`.
    fn merge(&self, stored: Qualification) -> Qualification {
        Qualification {
            budget_confirmed: self.budget.unwrap_or(stored.budget_confirmed),
            authority_confirmed: self.authority.unwrap_or(stored.authority_confirmed),
            need_confirmed: self.need.unwrap_or(stored.need_confirmed),
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the opportunities of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the opportunities in this pipeline.
    #[arg(long, value_name = "ID")]
    pipeline: Option<String>,

    /// Only the opportunities this staff member owns.
    #[arg(long, value_name = "STAFF_ID")]
    owner: Option<String>,

    /// Only the opportunities in this stage.
    #[arg(long, value_name = "KEY", value_parser = parse_stage_key)]
    stage: Option<String>,

    /// Only open (not closed) opportunities.
    #[arg(long)]
    open: bool,

    /// Case-insensitive substring of the display name.
    #[arg(long)]
    query: Option<String>,

    /// "create_time desc", "expected_close_date" or "expected_close_date desc" [default: creation
    /// order].
    #[arg(long, value_name = "ORDER")]
    order_by: Option<String>,

    /// Only the opportunities facing this competitor (its id), by any of its names.
    #[arg(long, value_name = "ID")]
    competitor: Option<String>,

    #[command(flatten)]
    segments: SegmentArgs,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The opportunity id.
    id: String,

    /// The open stage to move to.
    #[arg(long, value_name = "KEY", value_parser = parse_stage_key)]
    stage: String,

    /// Who works the new stage (a specialist of it). Without it, the current stage owner stays if they
    /// specialise in the new stage too.
    #[arg(long, value_name = "STAFF_ID")]
    stage_owner: Option<String>,

    /// Move only if the opportunity is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("outcome").required(true).args(["won", "lost"])))]
pub struct CloseArgs {
    /// The opportunity id.
    id: String,

    /// The deal is won.
    #[arg(long)]
    won: bool,

    /// The deal is lost.
    #[arg(long)]
    lost: bool,

    /// Why: an UPPER_SNAKE_CASE code such as PRICE, PRODUCT_FIT, TIMING or RELATIONSHIP
    /// (`product-fit` is taken for PRODUCT_FIT).
    #[arg(long, value_name = "CODE", value_parser = parse_reason_code)]
    reason: String,

    /// Free text about the close, up to 2000 characters.
    #[arg(long)]
    note: Option<String>,

    /// Who won the deal instead of us (only with --lost).
    #[arg(long, value_name = "COMPETITOR", conflicts_with = "won")]
    lost_to: Option<String>,

    /// Close only if the opportunity is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReopenArgs {
    /// The opportunity id.
    id: String,

    /// Why the deal is open again, up to 500 characters.
    #[arg(long, value_name = "TEXT")]
    reason: String,

    /// The open stage to reopen in [default: the stage it was closed from].
    #[arg(long, value_name = "KEY", value_parser = parse_stage_key)]
    stage: Option<String>,

    /// Reopen only if the opportunity is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The opportunity id.
    id: String,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: OppsCommand, global: &Global) -> Result<(), Error> {
    let opportunity = match command {
        OppsCommand::List(args) => return list(args, global).await,
        OppsCommand::History(args) => return history(args, global).await,
        OppsCommand::Create(args) => {
            let request = args.into_request();
            client::opportunities(global)
                .await?
                .create_opportunity(retry::idempotent(request))
                .await?
        }
        OppsCommand::Get(IdArgs { id }) => {
            let request = GetOpportunityRequest { id };
            client::opportunities(global)
                .await?
                .get_opportunity(request)
                .await?
        }
        OppsCommand::Update(args) => {
            let man = args.fields.man();
            // Built before connecting, so that an update that changes nothing fails at once.
            let mut request = args.into_request()?;
            let mut client = client::opportunities(global).await?;
            if (1..3).contains(&man.given()) {
                keep_stored_qualification(&mut client, &mut request, man).await?;
            }
            client.update_opportunity(request).await?
        }
        OppsCommand::Move(args) => {
            let request = MoveOpportunityStageRequest {
                id: args.id,
                stage: args.stage,
                stage_owner_staff_id: args.stage_owner.unwrap_or_default(),
                etag: args.etag.unwrap_or_default(),
            };
            client::opportunities(global)
                .await?
                .move_opportunity_stage(request)
                .await?
        }
        OppsCommand::Close(args) => {
            let request = args.into_request();
            client::opportunities(global)
                .await?
                .close_opportunity(request)
                .await?
        }
        OppsCommand::Reopen(args) => {
            let request = ReopenOpportunityRequest {
                id: args.id,
                stage: args.stage.unwrap_or_default(),
                reason: args.reason,
                etag: args.etag.unwrap_or_default(),
            };
            client::opportunities(global)
                .await?
                .reopen_opportunity(request)
                .await?
        }
    };
    Ok(output::print(&opportunity.into_inner(), global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::opportunities(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let filter = ListOpportunitiesRequest {
        page_size: page_size.unwrap_or_default(),
        page_token: String::new(),
        account_id: args.account.unwrap_or_default(),
        pipeline_id: args.pipeline.unwrap_or_default(),
        owner_staff_id: args.owner.unwrap_or_default(),
        stage: args.stage.unwrap_or_default(),
        open_only: args.open,
        query: args.query.unwrap_or_default(),
        order_by: args.order_by.unwrap_or_default(),
        competitor_id: args.competitor.unwrap_or_default(),
        segments: args.segments.into_filter(),
    };
    let fetch = async |page_token| {
        let request = ListOpportunitiesRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_opportunities(request).await?.into_inner())
    };
    let opportunities = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&opportunities, global.json)?)
}

async fn history(args: HistoryArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::opportunities(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let fetch = async |page_token| {
        let request = ListStageHistoryRequest {
            opportunity_id: args.id.clone(),
            page_size: page_size.unwrap_or_default(),
            page_token,
        };
        Ok(client.list_stage_history(request).await?.into_inner())
    };
    let changes = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&changes, global.json)?)
}

/// Fills in the MAN flags the user left out from the stored opportunity.
///
/// `qualification` is one field of the update mask, so sending only `--budget` would reset authority
/// and need. Unless the user gave an etag, the stored one guards the update: should the qualification
/// change between this read and the write, the server answers ABORTED instead of the change being
/// lost.
async fn keep_stored_qualification(
    client: &mut OpportunityClient,
    request: &mut UpdateOpportunityRequest,
    man: ManFlags,
) -> Result<(), Error> {
    let Some(opportunity) = request.opportunity.as_mut() else {
        return Ok(());
    };
    let get = GetOpportunityRequest {
        id: opportunity.id.clone(),
    };
    let stored = client.get_opportunity(get).await?.into_inner();
    opportunity.qualification = Some(man.merge(stored.qualification.unwrap_or_default()));
    if opportunity.etag.is_empty() {
        opportunity.etag = stored.etag;
    }
    Ok(())
}

impl CreateArgs {
    fn into_request(self) -> CreateOpportunityRequest {
        let mut opportunity = Opportunity {
            account_id: self.account,
            display_name: self.name,
            owner_staff_id: self.owner,
            pipeline_id: self.pipeline.unwrap_or_default(),
            stage: self.stage.unwrap_or_default(),
            ..Default::default()
        };
        self.fields.apply(&mut opportunity, &mut MaskBuilder::default());
        CreateOpportunityRequest {
            opportunity: Some(opportunity),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them. MAN
    /// flags left out are false here; `run` fills them in from the stored opportunity.
    fn into_request(self) -> Result<UpdateOpportunityRequest, Error> {
        let mut opportunity = Opportunity {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("display_name", &mut opportunity.display_name, self.name);
        mask.set("owner_staff_id", &mut opportunity.owner_staff_id, self.owner);
        self.fields.apply(&mut opportunity, &mut mask);
        if self.clear_competitors {
            opportunity.competitors.clear();
            mask.add("competitors");
        }
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --amount or --close-date".to_owned(),
            ));
        }
        Ok(UpdateOpportunityRequest {
            opportunity: Some(opportunity),
            update_mask: Some(mask.build()),
        })
    }
}

impl OpportunityFields {
    fn man(&self) -> ManFlags {
        ManFlags {
            budget: self.budget,
            authority: self.authority,
            need: self.need,
        }
    }

    /// Writes the fields given into `opportunity` and names them in `mask` (paths as in
    /// UpdateOpportunityRequest).
    fn apply(self, opportunity: &mut Opportunity, mask: &mut MaskBuilder) {
        let man = self.man();
        mask.set("external_id", &mut opportunity.external_id, self.external_id);
        mask.set("amount", &mut opportunity.amount, self.amount.map(|a| a.0));
        mask.set(
            "expected_close_date",
            &mut opportunity.expected_close_date,
            self.close_date.map(|d| d.0),
        );
        mask.set(
            "probability_override",
            &mut opportunity.probability_override,
            self.probability.map(|p| p.0),
        );
        mask.set(
            "forecast_category_override",
            &mut opportunity.forecast_category_override,
            self.forecast,
        );
        mask.set(
            "stage_owner_staff_id",
            &mut opportunity.stage_owner_staff_id,
            self.stage_owner,
        );
        let competitors = (!self.competitors.is_empty()).then_some(self.competitors);
        mask.set("competitors", &mut opportunity.competitors, competitors);
        mask.set("source", &mut opportunity.source, self.source);
        mask.set("next_step", &mut opportunity.next_step, self.next_step);
        if man.given() > 0 {
            opportunity.qualification = Some(man.merge(Qualification::default()));
            mask.add("qualification");
        }
    }
}

impl CloseArgs {
    fn into_request(self) -> CloseOpportunityRequest {
        let outcome = if self.won { Outcome::Won } else { Outcome::Lost };
        CloseOpportunityRequest {
            id: self.id,
            outcome: outcome as i32,
            reason_code: self.reason,
            note: self.note.unwrap_or_default(),
            lost_to_competitor: self.lost_to.unwrap_or_default(),
            etag: self.etag.unwrap_or_default(),
        }
    }
}

/// Parses `--amount`; "" clears it.
fn parse_amount(text: &str) -> Result<Clearable<Money>, String> {
    if text.trim().is_empty() {
        return Ok(Clearable(None));
    }
    money::parse_money(text).map(|money| Clearable(Some(money)))
}

/// Parses `--close-date YYYY-MM-DD`, refusing days that do not exist; "" clears it.
fn parse_close_date(text: &str) -> Result<Clearable<Date>, String> {
    if text.is_empty() {
        return Ok(Clearable(None));
    }
    parse_day(text).map(|date| Clearable(Some(date)))
}

/// Parses a full `YYYY-MM-DD` date into the proto `Date`.
pub fn parse_day(text: &str) -> Result<Date, String> {
    let date = parse_date(text)?;
    Ok(Date {
        year: date.year(),
        month: date.month() as i32,
        day: date.day() as i32,
    })
}

/// Parses a full `YYYY-MM-DD` date.
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let invalid = || format!("`{text}` is not a date; expected YYYY-MM-DD");
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts[..] else {
        return Err(invalid());
    };
    let number = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    match (number(year, 4), number(month, 2), number(day, 2)) {
        (Some(year), Some(month), Some(day)) if year > 0 => {
            NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

/// Parses `--probability 0-100`; "" clears the override.
fn parse_probability(text: &str) -> Result<Clearable<i32>, String> {
    if text.is_empty() {
        return Ok(Clearable(None));
    }
    match text.parse::<i32>() {
        Ok(probability) if (0..=100).contains(&probability) => Ok(Clearable(Some(probability))),
        _ => Err(format!("`{text}` is not a probability from 0 to 100")),
    }
}

/// Parses `--reason CODE` of a close: UPPER_SNAKE_CASE, taking kebab-case as the stage keys do.
fn parse_reason_code(code: &str) -> Result<String, String> {
    match stage_key(code) {
        code if code.is_empty() => Err("a close needs a reason code, e.g. PRICE".to_owned()),
        code => Ok(code),
    }
}

/// `YYYY-MM-DD`, as `--close-date` takes it.
pub fn format_date(date: Option<&Date>) -> String {
    date.map(|date| format!("{:04}-{:02}-{:02}", date.year, date.month, date.day))
        .unwrap_or_default()
}

/// The outcome of a closed opportunity; "" while it is open.
fn outcome(value: i32) -> String {
    if value == 0 {
        String::new()
    } else {
        enums::name::<Outcome>(value)
    }
}

/// A value the server computed, marked when an override made it.
fn with_override(value: String, overridden: bool) -> String {
    if overridden {
        format!("{value} (override)")
    } else {
        value
    }
}

client::impl_page!(ListOpportunitiesResponse, opportunities);

client::impl_page!(ListStageHistoryResponse, changes);

impl Render for Opportunity {
    fn human(&self) -> String {
        let qualification = self.qualification.unwrap_or_default();
        key_values(&[
            ("id", self.id.clone()),
            ("external_id", self.external_id.clone()),
            ("display_name", self.display_name.clone()),
            ("account_id", self.account_id.clone()),
            ("pipeline_id", self.pipeline_id.clone()),
            ("stage", self.stage.clone()),
            (
                "stage_enter_time",
                output::timestamp(self.stage_enter_time.as_ref()),
            ),
            ("stage_owner_staff_id", self.stage_owner_staff_id.clone()),
            ("owner_staff_id", self.owner_staff_id.clone()),
            ("amount", money::format_optional(self.amount.as_ref())),
            (
                "expected_close_date",
                format_date(self.expected_close_date.as_ref()),
            ),
            (
                "probability",
                with_override(self.probability.to_string(), self.probability_override.is_some()),
            ),
            (
                "forecast_category",
                with_override(
                    enums::name::<ForecastCategory>(self.forecast_category),
                    self.forecast_category_override != 0,
                ),
            ),
            (
                "qualification.budget_confirmed",
                qualification.budget_confirmed.to_string(),
            ),
            (
                "qualification.authority_confirmed",
                qualification.authority_confirmed.to_string(),
            ),
            (
                "qualification.need_confirmed",
                qualification.need_confirmed.to_string(),
            ),
            ("competitors", self.competitors.join(", ")),
            ("source", self.source.clone()),
            ("next_step", self.next_step.clone()),
            ("outcome", outcome(self.outcome)),
            ("close_reason", self.close_reason.clone()),
            ("close_note", self.close_note.clone()),
            ("lost_to_competitor", self.lost_to_competitor.clone()),
            ("close_time", output::timestamp(self.close_time.as_ref())),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

/// The row of an opportunity in a list: id, name, account, stage, amount, probability, close date,
/// owner.
pub fn row(opportunity: &Opportunity) -> Vec<String> {
    vec![
        opportunity.id.clone(),
        opportunity.display_name.clone(),
        opportunity.account_id.clone(),
        opportunity.stage.clone(),
        money::format_optional(opportunity.amount.as_ref()),
        format!("{}%", opportunity.probability),
        format_date(opportunity.expected_close_date.as_ref()),
        opportunity.owner_staff_id.clone(),
    ]
}

/// The headers of [`row`], and which of its columns are numbers.
pub const ROW_HEADERS: [&str; 8] = [
    "ID",
    "NAME",
    "ACCOUNT",
    "STAGE",
    "AMOUNT",
    "PROB",
    "CLOSE DATE",
    "OWNER",
];
pub const ROW_NUMBERS: [usize; 2] = [4, 5];

impl Render for ListOpportunitiesResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&ROW_HEADERS);
        table.align_right(&ROW_NUMBERS);
        for opportunity in &self.opportunities {
            table.push(row(opportunity));
        }
        let mut text = table.render();
        if !self.next_page_token.is_empty() {
            text.push_str(&format!("next page: {}\n", self.next_page_token));
        }
        text
    }
}

impl Render for ListStageHistoryResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["TIME", "FROM", "TO", "BY", "REASON"]);
        for change in &self.changes {
            table.push(vec![
                output::timestamp(change.change_time.as_ref()),
                if change.from_stage.is_empty() {
                    "(created)".to_owned()
                } else {
                    change.from_stage.clone()
                },
                change.to_stage.clone(),
                change.changed_by.clone(),
                change.reason.clone(),
            ]);
        }
        let mut text = table.render();
        if !self.next_page_token.is_empty() {
            text.push_str(&format!("next page: {}\n", self.next_page_token));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::pbjson_types::Timestamp;
    use kam_proto::v1::StageChange;

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<OppsCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "opps"], args].concat())?;
        match cli.command {
            Command::Opps(command) => Ok(command),
            other => panic!("not an opps command: {other:?}"),
        }
    }

    fn update_request(args: &[&str]) -> Result<UpdateOpportunityRequest, Error> {
        match try_parse(&[&["update", "o-1"], args].concat()).unwrap() {
            OppsCommand::Update(args) => args.into_request(),
            other => panic!("not an update: {other:?}"),
        }
    }

    fn eur(units: i64, nanos: i32) -> Money {
        Money {
            currency_code: "EUR".into(),
            units,
            nanos,
        }
    }

    #[test]
    fn create_fills_the_opportunity_from_the_flags() {
        let OppsCommand::Create(args) = try_parse(&[
            "create",
            "--account",
            "a-1",
            "--name",
            "Pumps for line 3",
            "--owner",
            "s-1",
            "--stage",
            "qualified",
            "--amount",
            "1234.50 EUR",
            "--close-date",
            "2025-09-30",
            "--probability",
            "35",
            "--forecast",
            "best-case",
            "--competitor",
            "Grundfos",
            "--competitor",
            "KSB",
            "--budget",
            "--need",
            "--request-id",
            "r1",
        ])
        .unwrap() else {
            panic!("not a create");
        };
        let request = args.into_request();
        assert_eq!(request.request_id, "r1");
        let opportunity = request.opportunity.unwrap();
        assert_eq!(
            (
                opportunity.account_id.as_str(),
                opportunity.display_name.as_str(),
                opportunity.owner_staff_id.as_str(),
                opportunity.stage.as_str(),
            ),
            ("a-1", "Pumps for line 3", "s-1", "QUALIFIED")
        );
        assert_eq!(opportunity.pipeline_id, "", "the default pipeline");
        assert_eq!(opportunity.amount, Some(eur(1234, 500_000_000)));
        assert_eq!(
            opportunity.expected_close_date,
            Some(Date {
                year: 2025,
                month: 9,
                day: 30
            })
        );
        assert_eq!(opportunity.probability_override, Some(35));
        assert_eq!(
            opportunity.forecast_category_override,
            ForecastCategory::BestCase as i32
        );
        assert_eq!(opportunity.competitors, ["Grundfos", "KSB"]);
        assert_eq!(
            opportunity.qualification,
            Some(Qualification {
                budget_confirmed: true,
                authority_confirmed: false,
                need_confirmed: true,
            })
        );
    }

    #[test]
    fn create_needs_account_name_and_owner() {
        assert!(try_parse(&["create", "--account", "a", "--name", "n"]).is_err());
        assert!(try_parse(&["create", "--account", "a", "--owner", "s"]).is_err());
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let request = update_request(&[
            "--name",
            "Pumps",
            "--amount",
            "99 usd",
            "--probability",
            "",
            "--forecast",
            "",
            "--stage-owner",
            "s-2",
            "--close-date",
            "",
            "--etag",
            "e1",
        ])
        .unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            [
                "display_name",
                "amount",
                "expected_close_date",
                "probability_override",
                "forecast_category_override",
                "stage_owner_staff_id",
            ]
        );
        let opportunity = request.opportunity.unwrap();
        assert_eq!(
            (opportunity.id.as_str(), opportunity.etag.as_str()),
            ("o-1", "e1")
        );
        assert_eq!(
            opportunity.amount,
            Some(Money {
                currency_code: "USD".into(),
                units: 99,
                nanos: 0
            })
        );
        assert_eq!(opportunity.probability_override, None, "back to the stage's");
        assert_eq!(opportunity.forecast_category_override, 0);
        assert_eq!(opportunity.expected_close_date, None);
    }

    #[test]
    fn an_empty_amount_clears_it() {
        let request = update_request(&["--amount", ""]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["amount"]);
        assert_eq!(request.opportunity.unwrap().amount, None);
    }

    #[test]
    fn competitors_replace_and_clear_competitors_empties_them() {
        let request = update_request(&["--competitor", "KSB"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["competitors"]);
        assert_eq!(request.opportunity.unwrap().competitors, ["KSB"]);

        let request = update_request(&["--clear-competitors"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["competitors"]);
        assert!(request.opportunity.unwrap().competitors.is_empty());

        assert!(try_parse(&["update", "o-1", "--competitor", "X", "--clear-competitors"]).is_err());
    }

    #[test]
    fn man_flags_are_one_mask_path_merged_with_the_stored_ones() {
        let request = update_request(&["--authority", "--need", "false"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["qualification"]);

        let given = ManFlags {
            budget: None,
            authority: Some(true),
            need: Some(false),
        };
        assert_eq!(given.given(), 2);
        let stored = Qualification {
            budget_confirmed: true,
            authority_confirmed: false,
            need_confirmed: true,
        };
        assert_eq!(
            given.merge(stored),
            Qualification {
                budget_confirmed: true,
                authority_confirmed: true,
                need_confirmed: false,
            }
        );
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(update_request(&["--etag", "e1"]), Err(Error::Usage(_))));
    }

    #[test]
    fn bad_values_are_clap_usage_errors() {
        for args in [
            &["update", "o-1", "--probability", "101"][..],
            &["update", "o-1", "--probability", "-1"],
            &["update", "o-1", "--amount", "12,50 EUR"],
            &["update", "o-1", "--amount", "12.50"],
            &["update", "o-1", "--close-date", "2025-02-30"],
            &["update", "o-1", "--forecast", "maybe"],
        ] {
            let err = try_parse(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn dates_are_strict_yyyy_mm_dd() {
        assert_eq!(
            parse_date("2024-02-29"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        for text in [
            "2023-02-29",
            "2025-9-30",
            "25-09-30",
            "0000-01-01",
            "2025-09-30T00:00:00Z",
            "",
        ] {
            assert!(parse_date(text).is_err(), "{text:?} was accepted");
        }
        let date = Date {
            year: 2025,
            month: 9,
            day: 3,
        };
        assert_eq!(format_date(Some(&date)), "2025-09-03");
        assert_eq!(format_date(None), "");
    }

    #[test]
    fn close_needs_exactly_one_outcome_and_lost_to_needs_lost() {
        let OppsCommand::Close(args) = try_parse(&[
            "close",
            "o-1",
            "--lost",
            "--reason",
            "product-fit",
            "--lost-to",
            "KSB",
            "--note",
            "too late",
        ])
        .unwrap() else {
            panic!("not a close");
        };
        let request = args.into_request();
        assert_eq!(request.outcome, Outcome::Lost as i32);
        assert_eq!(request.reason_code, "PRODUCT_FIT");
        assert_eq!(request.lost_to_competitor, "KSB");
        assert_eq!(request.note, "too late");

        let OppsCommand::Close(args) = try_parse(&["close", "o-1", "--won", "--reason", "PRICE"]).unwrap()
        else {
            panic!("not a close");
        };
        assert_eq!(args.into_request().outcome, Outcome::Won as i32);

        for args in [
            &["close", "o-1", "--reason", "PRICE"][..],
            &["close", "o-1", "--won", "--lost", "--reason", "PRICE"],
            &["close", "o-1", "--won", "--reason", "PRICE", "--lost-to", "KSB"],
            &["close", "o-1", "--won"],
        ] {
            assert_eq!(try_parse(args).unwrap_err().exit_code(), 2, "{args:?}");
        }
    }

    #[test]
    fn move_and_reopen_take_stage_keys() {
        let OppsCommand::Move(args) = try_parse(&["move", "o-1", "--stage", "proposal"]).unwrap() else {
            panic!("not a move");
        };
        assert_eq!(args.stage, "PROPOSAL");
        assert!(try_parse(&["move", "o-1"]).is_err());
        assert!(
            try_parse(&["reopen", "o-1", "--stage", "LEAD"]).is_err(),
            "reason required"
        );
    }

    #[test]
    fn opportunity_shows_overrides_amount_and_outcome() {
        let opportunity = Opportunity {
            id: "o1".into(),
            display_name: "Pumps".into(),
            stage: "WON".into(),
            amount: Some(eur(1234, 500_000_000)),
            probability: 100,
            probability_override: Some(100),
            forecast_category: ForecastCategory::Closed as i32,
            outcome: Outcome::Won as i32,
            ..Default::default()
        };
        let text = opportunity.human();
        assert!(
            text.contains("amount:                            1234.50 EUR\n"),
            "{text}"
        );
        assert!(
            text.contains("probability:                       100 (override)\n"),
            "{text}"
        );
        assert!(
            text.contains("forecast_category:                 CLOSED\n"),
            "{text}"
        );
        assert!(
            text.contains("outcome:                           WON\n"),
            "{text}"
        );
        let open = Opportunity::default().human();
        assert!(open.contains("outcome:\n"), "{open}");
    }

    #[test]
    fn list_table_shows_one_row_per_opportunity() {
        let response = ListOpportunitiesResponse {
            opportunities: vec![
                Opportunity {
                    id: "o1".into(),
                    display_name: "Pumps".into(),
                    account_id: "a1".into(),
                    stage: "PROPOSAL".into(),
                    amount: Some(eur(1234, 500_000_000)),
                    probability: 60,
                    expected_close_date: Some(Date {
                        year: 2025,
                        month: 9,
                        day: 30,
                    }),
                    owner_staff_id: "s1".into(),
                    ..Default::default()
                },
                Opportunity {
                    id: "o2".into(),
                    display_name: "Valves".into(),
                    account_id: "a1".into(),
                    stage: "LEAD".into(),
                    probability: 5,
                    owner_staff_id: "s1".into(),
                    ..Default::default()
                },
            ],
            next_page_token: "tok".into(),
        };
        assert_eq!(
            response.human(),
            "ID  NAME    ACCOUNT  STAGE          AMOUNT  PROB  CLOSE DATE  OWNER\n\
             o1  Pumps   a1       PROPOSAL  1234.50 EUR   60%  2025-09-30  s1\n\
             o2  Valves  a1       LEAD                     5%              s1\n\
             next page: tok\n"
        );
    }

    #[test]
    fn history_marks_the_creation() {
        let response = ListStageHistoryResponse {
            changes: vec![
                StageChange {
                    to_stage: "LEAD".into(),
                    change_time: Some(Timestamp {
                        seconds: 1_700_000_000,
                        nanos: 0,
                    }),
                    changed_by: "s1".into(),
                    ..Default::default()
                },
                StageChange {
                    from_stage: "LEAD".into(),
                    to_stage: "LOST".into(),
                    change_time: Some(Timestamp {
                        seconds: 1_700_086_400,
                        nanos: 0,
                    }),
                    changed_by: "s1".into(),
                    reason: "PRICE".into(),
                    ..Default::default()
                },
            ],
            next_page_token: String::new(),
        };
        assert_eq!(
            response.human(),
            "TIME                  FROM       TO    BY  REASON\n\
             2023-11-14T22:13:20Z  (created)  LEAD  s1\n\
             2023-11-15T22:13:20Z  LEAD       LOST  s1  PRICE\n"
        );
    }
}

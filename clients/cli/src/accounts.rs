//! `kamctl accounts ...`: the customer companies, through kam.v1.AccountService.

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use kam_proto::v1::{
    Account, CreateAccountRequest, Date, DeleteAccountRequest, GetAccountRequest, KeyDate, KeyDateKind,
    Lifecycle, ListAccountsRequest, ListAccountsResponse, RadStatus, RelationshipStage, Tier,
    UndeleteAccountRequest, UpdateAccountRequest,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Create an account.
    Create(CreateArgs),
    /// Show one account; soft-deleted accounts too.
    Get(IdArgs),
    /// List accounts: one page, or every page with --all.
    List(ListArgs),
    /// Change the fields given as flags; `--FIELD ""` clears a field.
    Update(UpdateArgs),
    /// Soft-delete an account; it keeps its id, external id and contacts.
    Delete(EtagArgs),
    /// Restore a soft-deleted account.
    Undelete(EtagArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The account id.
    id: String,
}

#[derive(Debug, Args)]
pub struct EtagArgs {
    /// The account id.
    id: String,

    /// Act only if the account is still at this etag (as printed by get), so a change made meanwhile
    /// is not lost (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Display name, 1 to 200 characters.
    #[arg(long)]
    name: String,

    #[command(flatten)]
    fields: AccountFields,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The account id.
    id: String,

    /// Display name, 1 to 200 characters.
    #[arg(long)]
    name: Option<String>,

    #[command(flatten)]
    fields: AccountFields,

    /// Update only if the account is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,

    /// Why: required when --relationship-stage or --rad-status changes, kept in the relationship history.
    #[arg(long)]
    reason: Option<String>,
}

/// The writable fields other than the name, which create requires and update does not.
#[derive(Debug, Args)]
struct AccountFields {
    /// The ERP's key of the account, unique among accounts.
    #[arg(long)]
    external_id: Option<String>,

    /// Registered legal name.
    #[arg(long)]
    legal_name: Option<String>,

    /// The industry the account is in, as free text; text naming an industry (its code, a name or an
    /// alias) also sets the industry code.
    #[arg(long)]
    industry: Option<String>,

    /// Sales region, as free text, matched exactly by `list --region`; text naming a region also sets
    /// the region code.
    #[arg(long)]
    region: Option<String>,

    /// The industry the account is classified under (a code, `kamctl industries list`); `""` clears it.
    #[arg(long, value_name = "CODE")]
    industry_code: Option<String>,

    /// The region the account is classified under (a code, `kamctl regions list`); `""` clears it.
    #[arg(long, value_name = "CODE")]
    region_code: Option<String>,

    /// The group company this account belongs to.
    #[arg(long = "parent", value_name = "ID")]
    parent_account_id: Option<String>,

    /// Where the account is in its life with us [default on create: prospect].
    #[arg(long, value_parser = enums::parser::<Lifecycle>())]
    lifecycle: Option<i32>,

    /// How deep the relationship goes [default on create: transactional].
    #[arg(long, value_name = "STAGE", value_parser = enums::parser::<RelationshipStage>())]
    relationship_stage: Option<i32>,

    /// The account strategy [default on create: acquire].
    #[arg(long, value_name = "STATUS", value_parser = enums::parser::<RadStatus>())]
    rad_status: Option<i32>,

    /// A date to remember about the company, repeatable: KIND:DATE[:LABEL][:once], where KIND is
    /// founding-anniversary, contract-renewal, customer-event (LABEL required) or other (LABEL
    /// required), DATE is YYYY-MM-DD (MM-DD when the year is unknown), and a trailing `once` marks a
    /// date that falls once rather than every year. The dates given replace the account's key dates as
    /// a whole; `--key-date ""` removes them all.
    #[arg(long = "key-date", value_name = "KIND:DATE[:LABEL][:once]", value_parser = parse_key_date_arg)]
    key_dates: Vec<KeyDateArg>,
}

/// One `--key-date` value: a key date, or nothing (`""`, which clears the account's key dates).
#[derive(Debug, Clone, PartialEq)]
struct KeyDateArg(Option<KeyDate>);

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Case-insensitive substring of the display or legal name.
    #[arg(long)]
    query: Option<String>,

    /// Only the accounts in this lifecycle stage.
    #[arg(long, value_parser = enums::parser::<Lifecycle>())]
    lifecycle: Option<i32>,

    /// Only the accounts of this tier.
    #[arg(long, value_parser = enums::parser::<Tier>())]
    tier: Option<i32>,

    /// Exact region.
    #[arg(long)]
    region: Option<String>,

    /// Exact industry.
    #[arg(long)]
    industry: Option<String>,

    /// Only the accounts classified under this industry (a code, `kamctl industries list`) or one
    /// below it.
    #[arg(long, value_name = "CODE")]
    industry_code: Option<String>,

    /// Only the accounts classified under this region (a code, `kamctl regions list`) or one below it.
    #[arg(long, value_name = "CODE")]
    region_code: Option<String>,

    /// Only the direct subsidiaries of this account.
    #[arg(long, value_name = "ID")]
    parent: Option<String>,

    /// Include soft-deleted accounts.
    #[arg(long)]
    show_deleted: bool,

    /// display_name, create_time or update_time, each optionally followed by " desc"
    /// [default: creation order].
    #[arg(long, value_name = "ORDER")]
    order_by: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: AccountsCommand, global: &Global) -> Result<(), Error> {
    let account = match command {
        AccountsCommand::List(args) => return list(args, global).await,
        AccountsCommand::Create(args) => {
            let request = args.into_request();
            client::accounts(global)
                .await?
                .create_account(retry::idempotent(request))
                .await?
        }
        AccountsCommand::Get(IdArgs { id }) => {
            let request = GetAccountRequest { id };
            client::accounts(global).await?.get_account(request).await?
        }
        AccountsCommand::Update(args) => {
            // Built before connecting, so that an update that changes nothing fails at once.
            let request = args.into_request()?;
            client::accounts(global).await?.update_account(request).await?
        }
        AccountsCommand::Delete(EtagArgs { id, etag }) => {
            let request = DeleteAccountRequest {
                id,
                etag: etag.unwrap_or_default(),
            };
            client::accounts(global).await?.delete_account(request).await?
        }
        AccountsCommand::Undelete(EtagArgs { id, etag }) => {
            let request = UndeleteAccountRequest {
                id,
                etag: etag.unwrap_or_default(),
            };
            client::accounts(global).await?.undelete_account(request).await?
        }
    };
    Ok(output::print(&account.into_inner(), global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::accounts(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let filter = ListAccountsRequest {
        page_size: page_size.unwrap_or_default(),
        page_token: String::new(),
        query: args.query.unwrap_or_default(),
        lifecycle: args.lifecycle.unwrap_or_default(),
        tier: args.tier.unwrap_or_default(),
        region: args.region.unwrap_or_default(),
        industry: args.industry.unwrap_or_default(),
        parent_account_id: args.parent.unwrap_or_default(),
        show_deleted: args.show_deleted,
        order_by: args.order_by.unwrap_or_default(),
        industry_code: args.industry_code.unwrap_or_default(),
        region_code: args.region_code.unwrap_or_default(),
    };
    let fetch = async |page_token| {
        let request = ListAccountsRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_accounts(request).await?.into_inner())
    };
    let accounts = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&accounts, global.json)?)
}

impl CreateArgs {
    fn into_request(self) -> CreateAccountRequest {
        let mut account = Account {
            display_name: self.name,
            ..Default::default()
        };
        self.fields.apply(&mut account, &mut MaskBuilder::default());
        CreateAccountRequest {
            account: Some(account),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them.
    fn into_request(self) -> Result<UpdateAccountRequest, Error> {
        let mut account = Account {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("display_name", &mut account.display_name, self.name);
        self.fields.apply(&mut account, &mut mask);
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --name or --region".to_owned(),
            ));
        }
        Ok(UpdateAccountRequest {
            account: Some(account),
            update_mask: Some(mask.build()),
            change_reason: self.reason.unwrap_or_default(),
        })
    }
}

impl AccountFields {
    /// Writes the fields given into `account` and names them in `mask` (paths as in UpdateAccountRequest).
    fn apply(self, account: &mut Account, mask: &mut MaskBuilder) {
        mask.set("external_id", &mut account.external_id, self.external_id);
        mask.set("legal_name", &mut account.legal_name, self.legal_name);
        mask.set("industry", &mut account.industry, self.industry);
        mask.set("region", &mut account.region, self.region);
        mask.set("industry_code", &mut account.industry_code, self.industry_code);
        mask.set("region_code", &mut account.region_code, self.region_code);
        mask.set(
            "parent_account_id",
            &mut account.parent_account_id,
            self.parent_account_id,
        );
        mask.set("lifecycle", &mut account.lifecycle, self.lifecycle);
        mask.set(
            "relationship_stage",
            &mut account.relationship_stage,
            self.relationship_stage,
        );
        mask.set("rad_status", &mut account.rad_status, self.rad_status);
        if !self.key_dates.is_empty() {
            account.key_dates = self
                .key_dates
                .into_iter()
                .filter_map(|KeyDateArg(date)| date)
                .collect();
            mask.add("key_dates");
        }
    }
}

/// Parses `--key-date`: `KIND:DATE[:LABEL][:once]`, or "" for none. The label may hold colons of its
/// own; a last part `once` (any case) is the one-time flag, not the label.
fn parse_key_date_arg(text: &str) -> Result<KeyDateArg, String> {
    if text.is_empty() {
        return Ok(KeyDateArg(None));
    }
    let usage = "expected KIND:DATE[:LABEL][:once], e.g. contract-renewal:2027-01-31:once";
    let mut parts: Vec<&str> = text.split(':').collect();
    let one_time = parts.len() > 2 && parts.last().is_some_and(|last| last.eq_ignore_ascii_case("once"));
    if one_time {
        parts.pop();
    }
    let [kind, date, label @ ..] = &parts[..] else {
        return Err(format!("`{text}` is not a key date: {usage}"));
    };
    let kind = enums::parse::<KeyDateKind>(kind)
        .filter(|&kind| kind != 0)
        .ok_or_else(|| {
            let kinds: Vec<String> = enums::cli_names::<KeyDateKind>().collect();
            format!("`{kind}` is not a key date kind; one of {}", kinds.join(", "))
        })?;
    Ok(KeyDateArg(Some(KeyDate {
        kind,
        label: label.join(":"),
        date: Some(parse_date(date)?),
        one_time,
    })))
}

/// Parses `YYYY-MM-DD`, or `MM-DD` for a date whose year is unknown (proto `year` 0), refusing days
/// that do not exist. Without a year, 29 February is allowed: some years have it.
pub fn parse_date(text: &str) -> Result<Date, String> {
    let invalid =
        || format!("`{text}` is not a date; expected YYYY-MM-DD, or MM-DD when the year is unknown");
    let digits = |part: &str| {
        let all_digits = !part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit());
        all_digits.then(|| part.parse::<u32>().ok()).flatten()
    };
    let parts = text
        .split('-')
        .map(digits)
        .collect::<Option<Vec<u32>>>()
        .ok_or_else(invalid)?;
    let (year, month, day) = match parts[..] {
        [year, month, day] if (1..=9999).contains(&year) => (year, month, day),
        [month, day] => (0, month, day),
        _ => return Err(invalid()),
    };
    // 2000 is a leap year, so it accepts every month and day that exist in some year.
    let check_year = if year == 0 { 2000 } else { year };
    NaiveDate::from_ymd_opt(check_year as i32, month, day).ok_or_else(invalid)?;
    Ok(Date {
        year: year as i32,
        month: month as i32,
        day: day as i32,
    })
}

/// `YYYY-MM-DD`, or `MM-DD` for a date without a year, as `--key-date` takes it.
pub fn format_date(date: &Date) -> String {
    if date.year == 0 {
        format!("{:02}-{:02}", date.month, date.day)
    } else {
        format!("{:04}-{:02}-{:02}", date.year, date.month, date.day)
    }
}

/// A key date on one line, as `contacts get` shows them: `CONTRACT_RENEWAL (frame agreement)
/// 2027-01-31 once`.
pub fn format_key_date(key_date: &KeyDate) -> String {
    let mut line = enums::name::<KeyDateKind>(key_date.kind);
    if !key_date.label.is_empty() {
        line.push_str(&format!(" ({})", key_date.label));
    }
    line.push(' ');
    line.push_str(&key_date.date.as_ref().map(format_date).unwrap_or_default());
    if key_date.one_time {
        line.push_str(" once");
    }
    line
}

client::impl_page!(ListAccountsResponse, accounts);

impl Render for Account {
    fn human(&self) -> String {
        key_values(&[
            ("id", self.id.clone()),
            ("external_id", self.external_id.clone()),
            ("display_name", self.display_name.clone()),
            ("legal_name", self.legal_name.clone()),
            ("industry", self.industry.clone()),
            ("industry_code", self.industry_code.clone()),
            ("region", self.region.clone()),
            ("region_code", self.region_code.clone()),
            ("parent_account_id", self.parent_account_id.clone()),
            ("lifecycle", enums::name::<Lifecycle>(self.lifecycle)),
            ("tier", enums::name::<Tier>(self.tier)),
            (
                "relationship_stage",
                enums::name::<RelationshipStage>(self.relationship_stage),
            ),
            ("rad_status", enums::name::<RadStatus>(self.rad_status)),
            (
                "key_dates",
                self.key_dates
                    .iter()
                    .map(format_key_date)
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("delete_time", output::timestamp(self.delete_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListAccountsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "ID",
            "NAME",
            "LIFECYCLE",
            "TIER",
            "REGION",
            "EXTERNAL ID",
            "DELETED",
        ]);
        for account in &self.accounts {
            table.push(vec![
                account.id.clone(),
                account.display_name.clone(),
                enums::name::<Lifecycle>(account.lifecycle),
                enums::name::<Tier>(account.tier),
                account.region.clone(),
                account.external_id.clone(),
                output::timestamp(account.delete_time.as_ref()),
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

    use super::*;
    use crate::{Cli, Command};

    fn parse(args: &[&str]) -> AccountsCommand {
        let cli = Cli::try_parse_from([&["kamctl", "accounts"], args].concat()).unwrap();
        match cli.command {
            Command::Accounts(command) => command,
            other => panic!("not an accounts command: {other:?}"),
        }
    }

    fn update_request(args: &[&str]) -> Result<UpdateAccountRequest, Error> {
        match parse(&[&["update", "acc-1"], args].concat()) {
            AccountsCommand::Update(args) => args.into_request(),
            other => panic!("not an update: {other:?}"),
        }
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let request = update_request(&["--name", "Acme", "--lifecycle", "active", "--etag", "e1"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["display_name", "lifecycle"]);
        let account = request.account.unwrap();
        assert_eq!((account.id.as_str(), account.etag.as_str()), ("acc-1", "e1"));
        assert_eq!(account.display_name, "Acme");
        assert_eq!(account.lifecycle, Lifecycle::Active as i32);
    }

    #[test]
    fn an_empty_value_clears_the_field() {
        let request = update_request(&["--region", "", "--parent", ""]).unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["region", "parent_account_id"]
        );
        assert_eq!(request.account.unwrap().region, "");
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(update_request(&["--etag", "e1"]), Err(Error::Usage(_))));
    }

    #[test]
    fn create_fills_the_account_from_the_flags() {
        let AccountsCommand::Create(args) = parse(&[
            "create",
            "--name",
            "Acme",
            "--region",
            "EMEA",
            "--relationship-stage",
            "strategic-partner",
            "--request-id",
            "r1",
        ]) else {
            panic!("not a create");
        };
        let request = args.into_request();
        assert_eq!(request.request_id, "r1");
        let account = request.account.unwrap();
        assert_eq!(
            (account.display_name.as_str(), account.region.as_str()),
            ("Acme", "EMEA")
        );
        assert_eq!(
            account.relationship_stage,
            RelationshipStage::StrategicPartner as i32
        );
        assert_eq!(account.lifecycle, 0, "left to the server's default");
    }

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn key_dates_parse_with_label_and_one_time_flag() {
        let key_date = |text| parse_key_date_arg(text).unwrap().0.unwrap();
        let renewal = key_date("contract-renewal:2027-01-31:once");
        assert_eq!(renewal.kind, KeyDateKind::ContractRenewal as i32);
        assert_eq!(
            (renewal.date, renewal.label.as_str(), renewal.one_time),
            (Some(date(2027, 1, 31)), "", true)
        );
        let forum = key_date("CUSTOMER_EVENT:05-10:Forum: Shanghai");
        assert_eq!(forum.kind, KeyDateKind::CustomerEvent as i32);
        assert_eq!(
            (forum.date, forum.label.as_str(), forum.one_time),
            (Some(date(0, 5, 10)), "Forum: Shanghai", false)
        );
        let fair = key_date("customer-event:2026-11-05:Trade fair:ONCE");
        assert_eq!((fair.label.as_str(), fair.one_time), ("Trade fair", true));
        assert_eq!(parse_key_date_arg(""), Ok(KeyDateArg(None)));
        assert_eq!(
            format_key_date(&fair),
            "CUSTOMER_EVENT (Trade fair) 2026-11-05 once"
        );
        assert_eq!(format_key_date(&forum), "CUSTOMER_EVENT (Forum: Shanghai) 05-10");
    }

    #[test]
    fn malformed_key_dates_are_refused() {
        for text in [
            "renewal:2027-01-31",
            "contract-renewal",
            "contract-renewal:2027-02-30",
            "founding-anniversary:1958-02-29",
            "contract-renewal:31.01.2027",
            ":2027-01-31",
            "key-date-kind-unspecified:2027-01-31",
        ] {
            assert!(parse_key_date_arg(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn key_dates_replace_the_stored_ones_and_an_empty_one_clears_them() {
        let request = update_request(&[
            "--key-date",
            "founding-anniversary:1958-03-01",
            "--key-date",
            "contract-renewal:2027-01-31:Framework:once",
        ])
        .unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["key_dates"]);
        let key_dates = request.account.unwrap().key_dates;
        assert_eq!(key_dates.len(), 2);
        assert_eq!(key_dates[1].label, "Framework");

        let request = update_request(&["--key-date", ""]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["key_dates"]);
        assert!(request.account.unwrap().key_dates.is_empty());

        let without = update_request(&["--region", "EMEA"]).unwrap();
        assert_eq!(
            without.update_mask.unwrap().paths,
            ["region"],
            "key dates stay as stored"
        );
    }

    #[test]
    fn list_table_shows_one_row_per_account_and_the_next_page() {
        let response = ListAccountsResponse {
            accounts: vec![
                Account {
                    id: "a1".into(),
                    display_name: "Acme".into(),
                    lifecycle: Lifecycle::Active as i32,
                    tier: Tier::Key as i32,
                    region: "EMEA".into(),
                    external_id: "ERP-1".into(),
                    ..Default::default()
                },
                Account {
                    id: "a2".into(),
                    display_name: "Globex".into(),
                    lifecycle: Lifecycle::Churned as i32,
                    tier: Tier::Standard as i32,
                    delete_time: Some(Timestamp {
                        seconds: 1_700_000_000,
                        nanos: 0,
                    }),
                    ..Default::default()
                },
            ],
            next_page_token: "tok".into(),
        };
        assert_eq!(
            response.human(),
            "ID  NAME    LIFECYCLE  TIER      REGION  EXTERNAL ID  DELETED\n\
             a1  Acme    ACTIVE     KEY       EMEA    ERP-1\n\
             a2  Globex  CHURNED    STANDARD                       2023-11-14T22:13:20Z\n\
             next page: tok\n"
        );
    }
}

//! `kamctl accounts ...`: the customer companies, through kam.v1.AccountService.

use clap::{Args, Subcommand};
use kam_proto::v1::{
    Account, CreateAccountRequest, DeleteAccountRequest, GetAccountRequest, Lifecycle, ListAccountsRequest,
    ListAccountsResponse, RadStatus, RelationshipStage, Tier, UndeleteAccountRequest, UpdateAccountRequest,
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

    /// The industry the account is in.
    #[arg(long)]
    industry: Option<String>,

    /// Sales region, matched exactly by `list --region`.
    #[arg(long)]
    region: Option<String>,

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
}

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
    }
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
            ("region", self.region.clone()),
            ("parent_account_id", self.parent_account_id.clone()),
            ("lifecycle", enums::name::<Lifecycle>(self.lifecycle)),
            ("tier", enums::name::<Tier>(self.tier)),
            (
                "relationship_stage",
                enums::name::<RelationshipStage>(self.relationship_stage),
            ),
            ("rad_status", enums::name::<RadStatus>(self.rad_status)),
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

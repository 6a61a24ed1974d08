//! `kamctl keys ...`: API keys, the credentials of scripts and machines, through
//! kam.v1.IdentityService.

use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::{
    ApiKey, CreateApiKeyRequest, CreateApiKeyResponse, ListApiKeysRequest, ListApiKeysResponse,
    RevokeApiKeyRequest,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::error::Error;
use crate::output::{self, Render, Table, key_values};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create an API key and print its secret, which is shown this once only.
    Create(CreateArgs),
    /// List your API keys, or (as an ADMIN) someone else's: one page, or every page with --all.
    List(ListArgs),
    /// Revoke an API key at once.
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// What the key is for, e.g. "ERP nightly import".
    #[arg(long)]
    name: String,

    /// The staff member the key acts as [default: you]; only an ADMIN may create keys for others.
    #[arg(long, value_name = "STAFF_ID")]
    staff: Option<String>,

    /// When the key stops working, as an RFC 3339 time in the future [default: never].
    #[arg(long, value_name = "RFC3339", value_parser = output::parse_timestamp)]
    expires: Option<Timestamp>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Whose keys [default: yours]; only an ADMIN may list others' keys.
    #[arg(long, value_name = "STAFF_ID")]
    staff: Option<String>,

    /// Include revoked keys.
    #[arg(long)]
    show_revoked: bool,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The key's id (as keys list prints it).
    id: String,
}

pub async fn run(command: KeysCommand, global: &Global) -> Result<(), Error> {
    match command {
        KeysCommand::Create(args) => {
            let request = args.into_request();
            let created = client::identity(global)
                .await?
                .create_api_key(request)
                .await?
                .into_inner();
            Ok(output::print(&created, global.json)?)
        }
        KeysCommand::List(args) => list(args, global).await,
        KeysCommand::Revoke(RevokeArgs { id }) => {
            let request = RevokeApiKeyRequest { id };
            let key = client::identity(global)
                .await?
                .revoke_api_key(request)
                .await?
                .into_inner();
            Ok(output::print(&key, global.json)?)
        }
    }
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::identity(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let filter = ListApiKeysRequest {
        staff_id: args.staff.unwrap_or_default(),
        show_revoked: args.show_revoked,
        page_size: page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let fetch = async |page_token| {
        let request = ListApiKeysRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_api_keys(request).await?.into_inner())
    };
    let keys = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&keys, global.json)?)
}

impl CreateArgs {
    fn into_request(self) -> CreateApiKeyRequest {
        CreateApiKeyRequest {
            staff_id: self.staff.unwrap_or_default(),
            display_name: self.name,
            expire_time: self.expires,
        }
    }
}

client::impl_page!(ListApiKeysResponse, api_keys);

/// The `key: value` lines of a key, without its secret (which only the create response has).
fn key_lines(key: &ApiKey) -> String {
    key_values(&[
        ("id", key.id.clone()),
        ("prefix", key.prefix.clone()),
        ("display_name", key.display_name.clone()),
        ("staff_id", key.staff_id.clone()),
        ("creator_id", key.creator_id.clone()),
        ("create_time", output::timestamp(key.create_time.as_ref())),
        ("expire_time", output::timestamp(key.expire_time.as_ref())),
        ("last_use_time", output::timestamp(key.last_use_time.as_ref())),
        ("revoke_time", output::timestamp(key.revoke_time.as_ref())),
    ])
}

impl Render for ApiKey {
    fn human(&self) -> String {
        key_lines(self)
    }
}

impl Render for CreateApiKeyResponse {
    fn human(&self) -> String {
        let mut text = self.api_key.as_ref().map(key_lines).unwrap_or_default();
        text.push_str(&format!("\nsecret: {}\n", self.secret));
        text.push_str(
            "This secret is shown once: store it now (e.g. in a file for --api-key-file); KAM keeps only \
             its hash.\n",
        );
        text
    }
}

impl Render for ListApiKeysResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "ID",
            "PREFIX",
            "NAME",
            "STAFF",
            "CREATED",
            "EXPIRES",
            "LAST USED",
            "REVOKED",
        ]);
        for key in &self.api_keys {
            table.push(vec![
                key.id.clone(),
                key.prefix.clone(),
                key.display_name.clone(),
                key.staff_id.clone(),
                output::timestamp(key.create_time.as_ref()),
                output::timestamp(key.expire_time.as_ref()),
                output::timestamp(key.last_use_time.as_ref()),
                output::timestamp(key.revoke_time.as_ref()),
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

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<KeysCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "keys"], args].concat())?;
        match cli.command {
            Command::Keys(command) => Ok(command),
            other => panic!("not a keys command: {other:?}"),
        }
    }

    fn time(seconds: i64) -> Option<Timestamp> {
        Some(Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn create_fills_the_request_from_the_flags() {
        let KeysCommand::Create(args) = try_parse(&[
            "create",
            "--name",
            "ERP nightly import",
            "--staff",
            "s-1",
            "--expires",
            "2023-11-14T22:13:20Z",
        ])
        .unwrap() else {
            panic!("not a create");
        };
        let request = args.into_request();
        assert_eq!(request.display_name, "ERP nightly import");
        assert_eq!(request.staff_id, "s-1");
        assert_eq!(request.expire_time, time(1_700_000_000));

        let KeysCommand::Create(args) = try_parse(&["create", "--name", "mine"]).unwrap() else {
            panic!("not a create");
        };
        let request = args.into_request();
        assert_eq!((request.staff_id.as_str(), request.expire_time), ("", None));
    }

    #[test]
    fn create_needs_a_name_and_a_valid_expiry() {
        assert_eq!(try_parse(&["create"]).unwrap_err().exit_code(), 2);
        let err = try_parse(&["create", "--name", "x", "--expires", "tomorrow"]).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"), "{err}");
    }

    #[test]
    fn list_and_revoke_parse() {
        let KeysCommand::List(args) =
            try_parse(&["list", "--staff", "s-1", "--show-revoked", "--all"]).unwrap()
        else {
            panic!("not a list");
        };
        assert_eq!(args.staff.as_deref(), Some("s-1"));
        assert!(args.show_revoked && args.paging.all);
        assert!(
            matches!(try_parse(&["revoke", "k-1"]).unwrap(), KeysCommand::Revoke(RevokeArgs { id }) if id == "k-1")
        );
        assert_eq!(try_parse(&["revoke"]).unwrap_err().exit_code(), 2);
    }

    #[test]
    fn the_secret_is_printed_with_a_shown_once_notice() {
        let created = CreateApiKeyResponse {
            api_key: Some(ApiKey {
                id: "k1".into(),
                staff_id: "s1".into(),
                display_name: "ERP".into(),
                prefix: "kam_0123abcd".into(),
                create_time: time(1_700_000_000),
                creator_id: "s0".into(),
                ..Default::default()
            }),
            secret: "kam_0123abcd_s3cret".into(),
        };
        let text = created.human();
        assert!(
            text.starts_with("id:            k1\nprefix:        kam_0123abcd\n"),
            "{text}"
        );
        assert!(text.contains("\nsecret: kam_0123abcd_s3cret\n"), "{text}");
        assert!(text.contains("shown once"), "{text}");
        let json = serde_json::to_value(&created).unwrap();
        assert_eq!(json["secret"], "kam_0123abcd_s3cret");
    }

    #[test]
    fn list_table_shows_one_row_per_key_and_the_next_page() {
        let response = ListApiKeysResponse {
            api_keys: vec![ApiKey {
                id: "k1".into(),
                staff_id: "s1".into(),
                display_name: "ERP".into(),
                prefix: "kam_0123abcd".into(),
                create_time: time(1_700_000_000),
                revoke_time: time(1_700_086_400),
                ..Default::default()
            }],
            next_page_token: "t2".into(),
        };
        assert_eq!(
            response.human(),
            "ID  PREFIX        NAME  STAFF  CREATED               EXPIRES  LAST USED  REVOKED\n\
             k1  kam_0123abcd  ERP   s1     2023-11-14T22:13:20Z                      2023-11-15T22:13:20Z\n\
             next page: t2\n"
        );
    }
}

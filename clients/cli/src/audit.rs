//! `kamctl audit`: the audit trail, every mutation with who made it through which RPC, through
//! kam.v1.AuditService (ADMIN only).

use clap::Args;
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::{ListAuditEntriesRequest, ListAuditEntriesResponse};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::error::Error;
use crate::output::{self, Render, Table};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only changes of this resource type, e.g. account, contact, staff, team_member, api_key.
    #[arg(long, value_name = "TYPE")]
    resource_type: Option<String>,

    /// Only changes of this resource.
    #[arg(long, value_name = "ID")]
    resource_id: Option<String>,

    /// Only changes made by this staff member.
    #[arg(long, value_name = "STAFF_ID")]
    principal: Option<String>,

    /// Only changes at or after this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = output::parse_timestamp)]
    since: Option<Timestamp>,

    /// Only changes before this RFC 3339 time.
    #[arg(long, value_name = "RFC3339", value_parser = output::parse_timestamp)]
    until: Option<Timestamp>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(args: AuditArgs, global: &Global) -> Result<(), Error> {
    // Built before connecting, so that an empty time range fails at once.
    let (filter, page_token, all) = args.into_request()?;
    let mut client = client::audit(global).await?;
    let fetch = async |page_token| {
        let request = ListAuditEntriesRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_audit_entries(request).await?.into_inner())
    };
    let entries = client::fetch_pages(page_token, all, fetch).await?;
    Ok(output::print(&entries, global.json)?)
}

impl AuditArgs {
    /// The filter (without a page token), the first page token and `--all`.
    fn into_request(self) -> Result<(ListAuditEntriesRequest, String, bool), Error> {
        if let (Some(since), Some(until)) = (&self.since, &self.until)
            && (since.seconds, since.nanos) >= (until.seconds, until.nanos)
        {
            return Err(Error::Usage("--since must be before --until".to_owned()));
        }
        let PageArgs {
            page_size,
            page_token,
            all,
        } = self.paging;
        let filter = ListAuditEntriesRequest {
            page_size: page_size.unwrap_or_default(),
            page_token: String::new(),
            resource_type: self.resource_type.unwrap_or_default(),
            resource_id: self.resource_id.unwrap_or_default(),
            principal_id: self.principal.unwrap_or_default(),
            start_time: self.since,
            end_time: self.until,
        };
        Ok((filter, page_token.unwrap_or_default(), all))
    }
}

client::impl_page!(ListAuditEntriesResponse, audit_entries);

impl Render for ListAuditEntriesResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["TIME", "PRINCIPAL", "CREDENTIAL", "METHOD", "RESOURCE", "CHANGED"]);
        for entry in &self.audit_entries {
            // Every KAM method is in package kam.v1; the table leaves that out (--json has it).
            let method = entry.method.strip_prefix("/kam.v1.").unwrap_or(&entry.method);
            table.push(vec![
                output::timestamp(entry.occur_time.as_ref()),
                entry.principal_id.clone(),
                entry.credential.clone(),
                method.to_owned(),
                format!("{}/{}", entry.resource_type, entry.resource_id),
                entry.changed_fields.join(","),
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
    use kam_proto::v1::AuditEntry;

    use super::*;
    use crate::{Cli, Command};

    fn request(args: &[&str]) -> Result<(ListAuditEntriesRequest, String, bool), Error> {
        let cli = Cli::try_parse_from([&["kamctl", "audit"], args].concat()).unwrap();
        match cli.command {
            Command::Audit(args) => args.into_request(),
            other => panic!("not an audit command: {other:?}"),
        }
    }

    #[test]
    fn the_flags_become_the_filter() {
        let (filter, token, all) = request(&[
            "--resource-type",
            "account",
            "--resource-id",
            "a-1",
            "--principal",
            "s-1",
            "--since",
            "2023-11-14T22:13:20Z",
            "--until",
            "2023-11-15T06:13:21+08:00",
            "--page-size",
            "5",
            "--page-token",
            "t1",
        ])
        .unwrap();
        assert_eq!(
            (filter.resource_type.as_str(), filter.resource_id.as_str()),
            ("account", "a-1")
        );
        assert_eq!(filter.principal_id, "s-1");
        assert_eq!(filter.start_time.unwrap().seconds, 1_700_000_000);
        assert_eq!(filter.end_time.unwrap().seconds, 1_700_000_000 + 1);
        assert_eq!(filter.page_size, 5);
        assert_eq!((token.as_str(), all), ("t1", false));

        let (filter, token, all) = request(&["--all"]).unwrap();
        assert_eq!(filter, ListAuditEntriesRequest::default());
        assert_eq!((token.as_str(), all), ("", true));
    }

    #[test]
    fn an_empty_time_range_is_a_usage_error() {
        let err = request(&[
            "--since",
            "2024-01-02T00:00:00Z",
            "--until",
            "2024-01-01T00:00:00Z",
        ])
        .unwrap_err();
        assert!(matches!(err, Error::Usage(_)), "{err:?}");
    }

    #[test]
    fn audit_table_shows_who_changed_what_through_which_method() {
        let response = ListAuditEntriesResponse {
            audit_entries: vec![AuditEntry {
                id: "e1".into(),
                occur_time: Some(Timestamp {
                    seconds: 1_700_000_000,
                    nanos: 0,
                }),
                principal_id: "s1".into(),
                credential: "api_key/k1".into(),
                method: "/kam.v1.AccountService/UpdateAccount".into(),
                resource_type: "account".into(),
                resource_id: "a1".into(),
                changed_fields: vec!["region".into(), "tier".into()],
                request_id: String::new(),
            }],
            next_page_token: "t2".into(),
        };
        assert_eq!(
            response.human(),
            "TIME                  PRINCIPAL  CREDENTIAL  METHOD                        RESOURCE    CHANGED\n\
             2023-11-14T22:13:20Z  s1         api_key/k1  AccountService/UpdateAccount  account/a1  region,tier\n\
             next page: t2\n"
        );
    }
}

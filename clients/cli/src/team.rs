//! `kamctl team ...`: who serves an account in which role, through kam.v1.TeamService.

use clap::{ArgGroup, Args, Subcommand};
use kam_proto::v1::{
    AddTeamMemberRequest, ListTeamMembersRequest, ListTeamMembersResponse, RemoveTeamMemberRequest,
    TeamMember, TeamRole, UpdateTeamMemberRequest,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum TeamCommand {
    /// Put a person on an account's team.
    Add(AddArgs),
    /// Change the role or the liaison flag of an active membership.
    Update(UpdateArgs),
    /// End a membership; it stays as history.
    Remove(RemoveArgs),
    /// List the team of an account, or the accounts a person serves.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The account.
    #[arg(long, value_name = "ID")]
    account: String,

    /// The person joining the team.
    #[arg(long, value_name = "ID")]
    staff: String,

    /// The person's role on the team.
    #[arg(long, value_parser = enums::parser::<TeamRole>())]
    role: i32,

    /// The person is their department's liaison, its first responsible person for the account.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    liaison: Option<bool>,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The membership id (as team list prints it).
    member_id: String,

    /// The new role.
    #[arg(long, value_parser = enums::parser::<TeamRole>())]
    role: Option<i32>,

    /// Whether the person is their department's liaison for the account.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    liaison: Option<bool>,

    /// Update only if the membership is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// The membership id (as team list prints it).
    member_id: String,

    /// Why the membership ends, up to 500 characters [default: removed].
    #[arg(long)]
    reason: Option<String>,

    /// Remove only if the membership is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("whose").required(true).args(["account", "staff"])))]
pub struct ListArgs {
    /// The team of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// The memberships of this person.
    #[arg(long, value_name = "ID")]
    staff: Option<String>,

    /// Include ended memberships.
    #[arg(long)]
    history: bool,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: TeamCommand, global: &Global) -> Result<(), Error> {
    let member = match command {
        TeamCommand::List(args) => return list(args, global).await,
        TeamCommand::Add(args) => {
            let request = args.into_request();
            client::teams(global)
                .await?
                .add_team_member(retry::idempotent(request))
                .await?
        }
        TeamCommand::Update(args) => {
            // Built before connecting, so that an update that changes nothing fails at once.
            let request = args.into_request()?;
            client::teams(global).await?.update_team_member(request).await?
        }
        TeamCommand::Remove(args) => {
            let request = RemoveTeamMemberRequest {
                id: args.member_id,
                etag: args.etag.unwrap_or_default(),
                reason: args.reason.unwrap_or_default(),
            };
            client::teams(global).await?.remove_team_member(request).await?
        }
    };
    Ok(output::print(&member.into_inner(), global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::teams(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let filter = ListTeamMembersRequest {
        account_id: args.account.unwrap_or_default(),
        staff_id: args.staff.unwrap_or_default(),
        include_history: args.history,
        page_size: page_size.unwrap_or_default(),
        page_token: String::new(),
    };
    let fetch = async |page_token| {
        let request = ListTeamMembersRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_team_members(request).await?.into_inner())
    };
    let members = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&members, global.json)?)
}

impl AddArgs {
    fn into_request(self) -> AddTeamMemberRequest {
        AddTeamMemberRequest {
            member: Some(TeamMember {
                account_id: self.account,
                staff_id: self.staff,
                role: self.role,
                is_department_liaison: self.liaison.unwrap_or_default(),
                ..Default::default()
            }),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them.
    fn into_request(self) -> Result<UpdateTeamMemberRequest, Error> {
        let mut member = TeamMember {
            id: self.member_id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("role", &mut member.role, self.role);
        mask.set(
            "is_department_liaison",
            &mut member.is_department_liaison,
            self.liaison,
        );
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give --role or --liaison true|false".to_owned(),
            ));
        }
        Ok(UpdateTeamMemberRequest {
            member: Some(member),
            update_mask: Some(mask.build()),
        })
    }
}

client::impl_page!(ListTeamMembersResponse, members);

impl Render for TeamMember {
    fn human(&self) -> String {
        key_values(&[
            ("id", self.id.clone()),
            ("account_id", self.account_id.clone()),
            ("staff_id", self.staff_id.clone()),
            ("role", enums::name::<TeamRole>(self.role)),
            ("is_department_liaison", self.is_department_liaison.to_string()),
            ("department_id", self.department_id.clone()),
            ("start_time", output::timestamp(self.start_time.as_ref())),
            ("end_time", output::timestamp(self.end_time.as_ref())),
            ("end_reason", self.end_reason.clone()),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListTeamMembersResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "ID",
            "ACCOUNT",
            "STAFF",
            "ROLE",
            "LIAISON",
            "STARTED",
            "ENDED",
            "END REASON",
        ]);
        for member in &self.members {
            table.push(vec![
                member.id.clone(),
                member.account_id.clone(),
                member.staff_id.clone(),
                enums::name::<TeamRole>(member.role),
                output::yes_no(member.is_department_liaison),
                output::timestamp(member.start_time.as_ref()),
                output::timestamp(member.end_time.as_ref()),
                member.end_reason.clone(),
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

    fn try_parse(args: &[&str]) -> Result<TeamCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "team"], args].concat())?;
        match cli.command {
            Command::Team(command) => Ok(command),
            other => panic!("not a team command: {other:?}"),
        }
    }

    fn update_request(args: &[&str]) -> Result<UpdateTeamMemberRequest, Error> {
        match try_parse(&[&["update", "m-1"], args].concat()).unwrap() {
            TeamCommand::Update(args) => args.into_request(),
            other => panic!("not an update: {other:?}"),
        }
    }

    #[test]
    fn add_fills_the_member_from_the_flags() {
        let TeamCommand::Add(args) = try_parse(&[
            "add",
            "--account",
            "a-1",
            "--staff",
            "s-1",
            "--role",
            "executive-sponsor",
            "--liaison",
        ])
        .unwrap() else {
            panic!("not an add");
        };
        let member = args.into_request().member.unwrap();
        assert_eq!(
            (member.account_id.as_str(), member.staff_id.as_str()),
            ("a-1", "s-1")
        );
        assert_eq!(member.role, TeamRole::ExecutiveSponsor as i32);
        assert!(member.is_department_liaison);
    }

    #[test]
    fn add_requires_a_role() {
        let err = try_parse(&["add", "--account", "a-1", "--staff", "s-1"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let err = try_parse(&["add", "--account", "a", "--staff", "s", "--role", "boss"]).unwrap_err();
        assert!(err.to_string().contains("account-manager"), "{err}");
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let request = update_request(&["--liaison", "false", "--etag", "e1"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["is_department_liaison"]);
        let member = request.member.unwrap();
        assert_eq!((member.id.as_str(), member.etag.as_str()), ("m-1", "e1"));
        assert!(!member.is_department_liaison);

        let request = update_request(&["--role", "account-manager", "--liaison"]).unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["role", "is_department_liaison"]
        );
        let member = request.member.unwrap();
        assert_eq!(member.role, TeamRole::AccountManager as i32);
        assert!(member.is_department_liaison);
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(update_request(&[]), Err(Error::Usage(_))));
    }

    #[test]
    fn list_takes_exactly_one_of_account_and_staff() {
        assert!(try_parse(&["list", "--account", "a-1"]).is_ok());
        assert!(try_parse(&["list", "--staff", "s-1", "--history", "--all"]).is_ok());
        assert_eq!(try_parse(&["list"]).unwrap_err().exit_code(), 2);
        assert_eq!(
            try_parse(&["list", "--account", "a", "--staff", "s"])
                .unwrap_err()
                .exit_code(),
            2
        );
    }

    #[test]
    fn list_table_shows_active_and_ended_memberships() {
        let time = |seconds| Some(Timestamp { seconds, nanos: 0 });
        let response = ListTeamMembersResponse {
            members: vec![
                TeamMember {
                    id: "m1".into(),
                    account_id: "a1".into(),
                    staff_id: "s1".into(),
                    role: TeamRole::AccountManager as i32,
                    is_department_liaison: true,
                    start_time: time(1_700_000_000),
                    ..Default::default()
                },
                TeamMember {
                    id: "m2".into(),
                    account_id: "a1".into(),
                    staff_id: "s2".into(),
                    role: TeamRole::ServiceLead as i32,
                    start_time: time(1_700_000_000),
                    end_time: time(1_700_086_400),
                    end_reason: "removed".into(),
                    ..Default::default()
                },
            ],
            next_page_token: String::new(),
        };
        assert_eq!(
            response.human(),
            "ID  ACCOUNT  STAFF  ROLE             LIAISON  STARTED               ENDED                 END REASON\n\
             m1  a1       s1     ACCOUNT_MANAGER  yes      2023-11-14T22:13:20Z\n\
             m2  a1       s2     SERVICE_LEAD     no       2023-11-14T22:13:20Z  2023-11-15T22:13:20Z  removed\n"
        );
    }
}

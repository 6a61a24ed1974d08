//! `kamctl roles ...`: what a staff member may do, through kam.v1.IdentityService.

use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};
use kam_proto::v1::{GetStaffRolesRequest, Role, SetStaffRolesRequest, StaffRoles};

use crate::Global;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::output::{self, Render, key_values};
use crate::whoami::role_names;

#[derive(Debug, Subcommand)]
pub enum RolesCommand {
    /// Show a staff member's effective roles (MEMBER when none is stored).
    Get(GetArgs),
    /// Replace a staff member's roles with the ones given (ADMIN only).
    Set(SetArgs),
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The staff id.
    staff_id: String,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The staff id.
    staff_id: String,

    /// The roles, in any case: ADMIN, EXECUTIVE, MANAGER, MEMBER, SERVICE_AGENT, INTEGRATION.
    #[arg(
        value_name = "ROLE",
        required = true,
        value_parser = enums::parser::<Role>().try_map(not_empty),
    )]
    roles: Vec<i32>,
}

/// Refuses `""`, which the enum parser takes as "no value": a role list cannot leave a gap.
fn not_empty(role: i32) -> Result<i32, String> {
    if role == 0 {
        Err("a role must not be empty".to_owned())
    } else {
        Ok(role)
    }
}

pub async fn run(command: RolesCommand, global: &Global) -> Result<(), Error> {
    let mut client = client::identity(global).await?;
    let roles = match command {
        RolesCommand::Get(GetArgs { staff_id }) => {
            client.get_staff_roles(GetStaffRolesRequest { staff_id }).await?
        }
        RolesCommand::Set(SetArgs { staff_id, roles }) => {
            client
                .set_staff_roles(SetStaffRolesRequest { staff_id, roles })
                .await?
        }
    };
    Ok(output::print(&roles.into_inner(), global.json)?)
}

impl Render for StaffRoles {
    fn human(&self) -> String {
        key_values(&[
            ("staff_id", self.staff_id.clone()),
            ("roles", role_names(&self.roles)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<RolesCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "roles"], args].concat())?;
        match cli.command {
            Command::Roles(command) => Ok(command),
            other => panic!("not a roles command: {other:?}"),
        }
    }

    #[test]
    fn set_takes_role_names_in_any_case() {
        let RolesCommand::Set(args) = try_parse(&[
            "set",
            "s-1",
            "admin",
            "Service_Agent",
            "INTEGRATION",
            "service-agent",
        ])
        .unwrap() else {
            panic!("not a set");
        };
        assert_eq!(args.staff_id, "s-1");
        assert_eq!(
            args.roles,
            [
                Role::Admin as i32,
                Role::ServiceAgent as i32,
                Role::Integration as i32,
                Role::ServiceAgent as i32
            ]
        );
    }

    #[test]
    fn set_needs_at_least_one_known_role() {
        assert_eq!(try_parse(&["set", "s-1"]).unwrap_err().exit_code(), 2);
        let err = try_parse(&["set", "s-1", "boss"]).unwrap_err();
        assert!(err.to_string().contains("service-agent"), "{err}");
        let err = try_parse(&["set", "s-1", "member", ""]).unwrap_err();
        assert!(err.to_string().contains("must not be empty"), "{err}");
    }

    #[test]
    fn get_takes_the_staff_id() {
        assert!(matches!(
            try_parse(&["get", "s-1"]).unwrap(),
            RolesCommand::Get(GetArgs { staff_id }) if staff_id == "s-1"
        ));
    }

    #[test]
    fn roles_are_shown_without_their_prefix() {
        let roles = StaffRoles {
            staff_id: "s1".into(),
            roles: vec![Role::Manager as i32, Role::Member as i32],
        };
        assert_eq!(roles.human(), "staff_id: s1\nroles:    MANAGER, MEMBER\n");
    }
}

//! `kamctl staff ...`: our people who serve the accounts, through kam.v1.TeamService.

use clap::{Args, Subcommand};
use kam_proto::v1::{
    CreateStaffRequest, DeactivateStaffRequest, GetStaffRequest, ListStaffRequest, ListStaffResponse,
    ReactivateStaffRequest, Staff, StaffLevel, UpdateStaffRequest,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::departments;
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a person to the staff.
    Create(CreateArgs),
    /// Show one person.
    Get(IdArgs),
    /// List staff: one page, or every page with --all.
    List(ListArgs),
    /// Change the fields given as flags.
    Update(UpdateArgs),
    /// Mark a person as gone; refused while they still hold responsibilities (see `kamctl handover`).
    Deactivate(EtagArgs),
    /// Make an inactive staff member active again: they can sign in and be assigned work.
    Reactivate(EtagArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The staff id.
    id: String,
}

#[derive(Debug, Args)]
pub struct EtagArgs {
    /// The staff id.
    id: String,

    /// Act only if the person is still at this etag (as printed by get), so a change made meanwhile
    /// is not lost (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Full name, 1 to 200 characters.
    #[arg(long)]
    name: String,

    /// Email address, unique among staff.
    #[arg(long)]
    email: String,

    /// The person's department: its id or its code, e.g. CUSTOMER_SERVICE.
    #[arg(long, value_name = "ID|CODE")]
    department: String,

    #[command(flatten)]
    fields: StaffFields,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The staff id.
    id: String,

    /// Full name, 1 to 200 characters.
    #[arg(long)]
    name: Option<String>,

    /// Email address, unique among staff.
    #[arg(long)]
    email: Option<String>,

    /// Move the person to this department: its id or its code.
    #[arg(long, value_name = "ID|CODE")]
    department: Option<String>,

    #[command(flatten)]
    fields: StaffFields,

    /// Remove every funnel stage specialty.
    #[arg(long, conflicts_with = "stages")]
    clear_stages: bool,

    /// Update only if the person is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

/// The optional writable fields, the same for create and update.
#[derive(Debug, Args)]
struct StaffFields {
    /// Seniority; an executive sponsor must be an executive [default on create: staff].
    #[arg(long, value_parser = enums::parser::<StaffLevel>())]
    level: Option<i32>,

    /// Job title.
    #[arg(long)]
    title: Option<String>,

    /// How many accounts the person may serve at once [default on create: 25].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..))]
    max_accounts: Option<i32>,

    /// A funnel stage key the person specialises in, e.g. NEGOTIATION; repeat for a second one (at
    /// most two). On update, the stages given replace the stored ones.
    #[arg(long = "stage", value_name = "KEY", value_parser = parse_stage)]
    stages: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the people of this department: its id or its code.
    #[arg(long, value_name = "ID|CODE")]
    department: Option<String>,

    /// Only the people of this level.
    #[arg(long, value_parser = enums::parser::<StaffLevel>())]
    level: Option<i32>,

    /// Include deactivated staff.
    #[arg(long)]
    show_inactive: bool,

    /// Case-insensitive substring of the name or email.
    #[arg(long)]
    query: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: StaffCommand, global: &Global) -> Result<(), Error> {
    let staff = match command {
        StaffCommand::List(args) => return list(args, global).await,
        StaffCommand::Create(args) => {
            let mut client = client::teams(global).await?;
            let department_id = departments::resolve(&mut client, &args.department).await?;
            let request = args.into_request(department_id);
            client.create_staff(retry::idempotent(request)).await?
        }
        StaffCommand::Get(IdArgs { id }) => {
            let request = GetStaffRequest { id };
            client::teams(global).await?.get_staff(request).await?
        }
        StaffCommand::Update(args) => {
            let department = args.department.clone();
            // Built before connecting, so that an update that changes nothing fails at once.
            let mut request = args.into_request()?;
            let mut client = client::teams(global).await?;
            if let (Some(department), Some(staff)) = (department, request.staff.as_mut()) {
                staff.department_id = departments::resolve(&mut client, &department).await?;
            }
            client.update_staff(request).await?
        }
        StaffCommand::Deactivate(EtagArgs { id, etag }) => {
            let request = DeactivateStaffRequest {
                id,
                etag: etag.unwrap_or_default(),
            };
            client::teams(global).await?.deactivate_staff(request).await?
        }
        StaffCommand::Reactivate(EtagArgs { id, etag }) => {
            let request = ReactivateStaffRequest {
                id,
                etag: etag.unwrap_or_default(),
            };
            client::teams(global).await?.reactivate_staff(request).await?
        }
    };
    Ok(output::print(&staff.into_inner(), global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::teams(global).await?;
    let department_id = match &args.department {
        Some(department) => departments::resolve(&mut client, department).await?,
        None => String::new(),
    };
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let filter = ListStaffRequest {
        page_size: page_size.unwrap_or_default(),
        page_token: String::new(),
        department_id,
        level: args.level.unwrap_or_default(),
        show_inactive: args.show_inactive,
        query: args.query.unwrap_or_default(),
    };
    let fetch = async |page_token| {
        let request = ListStaffRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_staff(request).await?.into_inner())
    };
    let staff = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&staff, global.json)?)
}

impl CreateArgs {
    /// The request, with `--department` already resolved to `department_id`.
    fn into_request(self, department_id: String) -> CreateStaffRequest {
        let mut staff = Staff {
            full_name: self.name,
            email: self.email,
            department_id,
            ..Default::default()
        };
        self.fields.apply(&mut staff, &mut MaskBuilder::default());
        CreateStaffRequest {
            staff: Some(staff),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them. The
    /// department is written as given; `run` resolves a code to the id once connected.
    fn into_request(self) -> Result<UpdateStaffRequest, Error> {
        let mut staff = Staff {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("full_name", &mut staff.full_name, self.name);
        mask.set("email", &mut staff.email, self.email);
        mask.set("department_id", &mut staff.department_id, self.department);
        self.fields.apply(&mut staff, &mut mask);
        if self.clear_stages {
            staff.stage_specialties.clear();
            mask.add("stage_specialties");
        }
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --title or --max-accounts".to_owned(),
            ));
        }
        Ok(UpdateStaffRequest {
            staff: Some(staff),
            update_mask: Some(mask.build()),
        })
    }
}

impl StaffFields {
    /// Writes the fields given into `staff` and names them in `mask` (paths as in UpdateStaffRequest).
    fn apply(self, staff: &mut Staff, mask: &mut MaskBuilder) {
        mask.set("level", &mut staff.level, self.level);
        mask.set("title", &mut staff.title, self.title);
        mask.set("max_accounts", &mut staff.max_accounts, self.max_accounts);
        let stages = (!self.stages.is_empty()).then_some(self.stages);
        mask.set("stage_specialties", &mut staff.stage_specialties, stages);
    }
}

/// Parses `--stage`: stage keys are UPPER_SNAKE_CASE, and `negotiation` or `closed-won` is taken
/// for them as the enum flags take kebab-case names.
fn parse_stage(key: &str) -> Result<String, String> {
    if key.is_empty() {
        return Err("a stage key must not be empty; --clear-stages removes them all".to_owned());
    }
    Ok(key.to_ascii_uppercase().replace('-', "_"))
}

client::impl_page!(ListStaffResponse, staff);

impl Render for Staff {
    fn human(&self) -> String {
        key_values(&[
            ("id", self.id.clone()),
            ("full_name", self.full_name.clone()),
            ("email", self.email.clone()),
            ("department_id", self.department_id.clone()),
            ("level", enums::name::<StaffLevel>(self.level)),
            ("title", self.title.clone()),
            ("active", self.active.to_string()),
            ("max_accounts", self.max_accounts.to_string()),
            ("stage_specialties", self.stage_specialties.join(", ")),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListStaffResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "ID",
            "NAME",
            "EMAIL",
            "LEVEL",
            "TITLE",
            "DEPARTMENT",
            "MAX ACCOUNTS",
            "STAGES",
            "ACTIVE",
        ]);
        for staff in &self.staff {
            table.push(vec![
                staff.id.clone(),
                staff.full_name.clone(),
                staff.email.clone(),
                enums::name::<StaffLevel>(staff.level),
                staff.title.clone(),
                staff.department_id.clone(),
                staff.max_accounts.to_string(),
                staff.stage_specialties.join(","),
                staff.active.to_string(),
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

    fn try_parse(args: &[&str]) -> Result<StaffCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "staff"], args].concat())?;
        match cli.command {
            Command::Staff(command) => Ok(command),
            other => panic!("not a staff command: {other:?}"),
        }
    }

    fn update_request(args: &[&str]) -> Result<UpdateStaffRequest, Error> {
        match try_parse(&[&["update", "s-1"], args].concat()).unwrap() {
            StaffCommand::Update(args) => args.into_request(),
            other => panic!("not an update: {other:?}"),
        }
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let request = update_request(&[
            "--title",
            "",
            "--level",
            "manager",
            "--max-accounts",
            "10",
            "--department",
            "SALES",
            "--etag",
            "e1",
        ])
        .unwrap();
        assert_eq!(
            request.update_mask.unwrap().paths,
            ["department_id", "level", "title", "max_accounts"]
        );
        let staff = request.staff.unwrap();
        assert_eq!((staff.id.as_str(), staff.etag.as_str()), ("s-1", "e1"));
        assert_eq!(staff.level, StaffLevel::Manager as i32);
        assert_eq!(staff.max_accounts, 10);
        assert_eq!(staff.department_id, "SALES", "resolved once connected");
        assert!(staff.stage_specialties.is_empty());
    }

    #[test]
    fn stages_replace_the_stored_ones_and_clear_stages_empties_them() {
        let request = update_request(&["--stage", "negotiation", "--stage", "CLOSED_WON"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["stage_specialties"]);
        assert_eq!(
            request.staff.unwrap().stage_specialties,
            ["NEGOTIATION", "CLOSED_WON"]
        );

        let request = update_request(&["--clear-stages"]).unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["stage_specialties"]);
        assert!(request.staff.unwrap().stage_specialties.is_empty());
    }

    #[test]
    fn stages_and_clear_stages_conflict() {
        let err = try_parse(&["update", "s-1", "--stage", "X", "--clear-stages"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(update_request(&["--etag", "e1"]), Err(Error::Usage(_))));
    }

    #[test]
    fn max_accounts_must_be_positive() {
        assert!(try_parse(&["update", "s-1", "--max-accounts", "0"]).is_err());
    }

    #[test]
    fn create_fills_the_staff_from_the_flags() {
        let StaffCommand::Create(args) = try_parse(&[
            "create",
            "--name",
            "Grace Hopper",
            "--email",
            "grace@example.com",
            "--department",
            "SALES",
            "--level",
            "executive",
            "--stage",
            "discovery",
            "--request-id",
            "r1",
        ])
        .unwrap() else {
            panic!("not a create");
        };
        let request = args.into_request("dep-1".to_owned());
        assert_eq!(request.request_id, "r1");
        let staff = request.staff.unwrap();
        assert_eq!(
            (staff.full_name.as_str(), staff.email.as_str()),
            ("Grace Hopper", "grace@example.com")
        );
        assert_eq!(staff.department_id, "dep-1");
        assert_eq!(staff.level, StaffLevel::Executive as i32);
        assert_eq!(staff.stage_specialties, ["DISCOVERY"]);
        assert_eq!(staff.max_accounts, 0, "left to the server's default");
    }

    #[test]
    fn list_table_shows_one_row_per_person_and_the_next_page() {
        let response = ListStaffResponse {
            staff: vec![Staff {
                id: "s1".into(),
                full_name: "Grace Hopper".into(),
                email: "grace@example.com".into(),
                department_id: "d1".into(),
                level: StaffLevel::Executive as i32,
                title: "CEO".into(),
                active: true,
                max_accounts: 5,
                stage_specialties: vec!["DISCOVERY".into(), "NEGOTIATION".into()],
                ..Default::default()
            }],
            next_page_token: "tok".into(),
        };
        assert_eq!(
            response.human(),
            "ID  NAME          EMAIL              LEVEL      TITLE  DEPARTMENT  MAX ACCOUNTS  STAGES                 ACTIVE\n\
             s1  Grace Hopper  grace@example.com  EXECUTIVE  CEO    d1          5             DISCOVERY,NEGOTIATION  true\n\
             next page: tok\n"
        );
    }
}

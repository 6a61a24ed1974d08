//! `kamctl plan action ...` and `kamctl plan actions`: the things to do for an account plan, each with
//! one owner and a due date, through kam.v1.PlanningService.
//!
//! Lists come in due-date order, a to-do list's, and mark the open actions past their due date.

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use kam_proto::v1::{
    CreatePlanActionRequest, Date, GetPlanActionRequest, ListPlanActionsRequest, ListPlanActionsResponse,
    PlanAction, UpdatePlanActionRequest, plan_action,
};
use serde::Serialize;

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::opportunities::{format_date, parse_day};
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an OPEN action to a plan.
    Add(AddArgs),
    /// Show one action.
    Get(ActionIdArgs),
    /// List actions (the same as `kamctl plan actions`).
    List(ActionListArgs),
    /// Change an action's title, description, owner, department or due date.
    Update(UpdateArgs),
    /// Mark an action IN_PROGRESS.
    Start(ActionStatusArgs),
    /// Mark an action DONE.
    Done(ActionStatusArgs),
    /// Mark an action CANCELLED: it no longer counts on the scorecard.
    Cancel(ActionStatusArgs),
    /// Set a DONE or CANCELLED action OPEN again.
    Reopen(ActionStatusArgs),
}

#[derive(Debug, Args)]
pub struct ActionIdArgs {
    /// The action id.
    id: String,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The plan the action belongs to.
    #[arg(long, value_name = "ID")]
    plan: String,

    /// What to do, 1 to 200 characters.
    #[arg(long)]
    title: String,

    /// Who does it (active staff).
    #[arg(long, value_name = "STAFF_ID")]
    owner: String,

    /// When it is due, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    due: Date,

    /// More detail, up to 5000 characters.
    #[arg(long)]
    description: Option<String>,

    /// The department doing it [default: the owner's].
    #[arg(long, value_name = "ID")]
    department: Option<String>,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The action id.
    id: String,

    /// What to do, 1 to 200 characters.
    #[arg(long)]
    title: Option<String>,

    /// More detail; "" removes it.
    #[arg(long)]
    description: Option<String>,

    /// Hand the action to this staff member (active staff).
    #[arg(long, value_name = "STAFF_ID")]
    owner: Option<String>,

    /// The department doing it.
    #[arg(long, value_name = "ID")]
    department: Option<String>,

    /// A new due date, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    due: Option<Date>,

    /// Update only if the action is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct ActionStatusArgs {
    /// The action id.
    id: String,

    /// Change it only if the action is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct ActionListArgs {
    /// Only this plan's actions.
    #[arg(long, value_name = "ID")]
    plan: Option<String>,

    /// Only the actions of this account's plans.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only this staff member's actions.
    #[arg(long, value_name = "STAFF_ID", conflicts_with = "mine")]
    owner: Option<String>,

    /// Only your own actions.
    #[arg(long)]
    mine: bool,

    /// Only open actions past their due date.
    #[arg(long)]
    overdue: bool,

    /// Only actions in this status.
    #[arg(long, value_name = "STATUS", value_parser = enums::parser::<plan_action::Status>())]
    status: Option<i32>,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: ActionCommand, global: &Global) -> Result<(), Error> {
    let request = match command {
        ActionCommand::List(args) => return list(args, global).await,
        ActionCommand::Add(args) => {
            let request = args.into_request();
            let mut client = client::planning(global).await?;
            let action = client
                .create_plan_action(retry::idempotent(request))
                .await?
                .into_inner();
            return Ok(output::print(&action, global.json)?);
        }
        ActionCommand::Get(ActionIdArgs { id }) => {
            let mut client = client::planning(global).await?;
            let action = client
                .get_plan_action(GetPlanActionRequest { id })
                .await?
                .into_inner();
            return Ok(output::print(&action, global.json)?);
        }
        ActionCommand::Update(args) => args.into_request()?,
        ActionCommand::Start(args) => args.into_request(plan_action::Status::InProgress),
        ActionCommand::Done(args) => args.into_request(plan_action::Status::Done),
        ActionCommand::Cancel(args) => args.into_request(plan_action::Status::Cancelled),
        ActionCommand::Reopen(args) => args.into_request(plan_action::Status::Open),
    };
    let mut client = client::planning(global).await?;
    let action = client.update_plan_action(request).await?.into_inner();
    Ok(output::print(&action, global.json)?)
}

/// Lists actions in due-date order.
pub async fn list(args: ActionListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::planning(global).await?;
    let filter = args.filter();
    let fetch = async |page_size, page_token| {
        let request = ListPlanActionsRequest {
            page_size,
            page_token,
            ..filter.clone()
        };
        Ok(client.list_plan_actions(request).await?.into_inner())
    };
    let actions = ActionList {
        today: Utc::now().date_naive(),
        response: args.paging.fetch(fetch).await?,
    };
    Ok(output::print(&actions, global.json)?)
}

impl ActionListArgs {
    /// The request without its paging.
    fn filter(&self) -> ListPlanActionsRequest {
        ListPlanActionsRequest {
            plan_id: self.plan.clone().unwrap_or_default(),
            account_id: self.account.clone().unwrap_or_default(),
            owner_staff_id: self.owner.clone().unwrap_or_default(),
            mine: self.mine,
            overdue: self.overdue,
            status: self.status.unwrap_or_default(),
            order_by: "due_date".to_owned(),
            ..Default::default()
        }
    }
}

impl AddArgs {
    fn into_request(self) -> CreatePlanActionRequest {
        CreatePlanActionRequest {
            action: Some(PlanAction {
                plan_id: self.plan,
                title: self.title,
                description: self.description.unwrap_or_default(),
                owner_staff_id: self.owner,
                department_id: self.department.unwrap_or_default(),
                due_date: Some(self.due),
                ..Default::default()
            }),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    fn into_request(self) -> Result<UpdatePlanActionRequest, Error> {
        let mut action = PlanAction {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("title", &mut action.title, self.title);
        mask.set("description", &mut action.description, self.description);
        mask.set("owner_staff_id", &mut action.owner_staff_id, self.owner);
        mask.set("department_id", &mut action.department_id, self.department);
        mask.set("due_date", &mut action.due_date, self.due.map(Some));
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --due or --owner".to_owned(),
            ));
        }
        Ok(UpdatePlanActionRequest {
            action: Some(action),
            update_mask: Some(mask.build()),
        })
    }
}

impl ActionStatusArgs {
    fn into_request(self, status: plan_action::Status) -> UpdatePlanActionRequest {
        UpdatePlanActionRequest {
            action: Some(PlanAction {
                id: self.id,
                status: status as i32,
                etag: self.etag.unwrap_or_default(),
                ..Default::default()
            }),
            update_mask: Some(MaskBuilder::with_paths(&["status"]).build()),
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

/// Whether the action is open (OPEN or IN_PROGRESS) and its due date is before `today`, as the server's
/// `overdue` filter has it.
fn is_overdue(action: &PlanAction, today: NaiveDate) -> bool {
    let open = [plan_action::Status::Open, plan_action::Status::InProgress]
        .map(|status| status as i32)
        .contains(&action.status);
    let due = action.due_date.and_then(|d| {
        NaiveDate::from_ymd_opt(d.year, u32::try_from(d.month).ok()?, u32::try_from(d.day).ok()?)
    });
    open && due.is_some_and(|due| due < today)
}

/// The status, marked when the action is overdue: `OPEN (overdue)`.
fn status(action: &PlanAction, today: NaiveDate) -> String {
    let status = enums::name::<plan_action::Status>(action.status);
    if is_overdue(action, today) {
        format!("{status} (overdue)")
    } else {
        status
    }
}

impl Render for PlanAction {
    fn human(&self) -> String {
        key_values(&[
            ("id", self.id.clone()),
            ("plan_id", self.plan_id.clone()),
            ("account_id", self.account_id.clone()),
            ("title", self.title.clone()),
            ("description", self.description.clone()),
            ("owner_staff_id", self.owner_staff_id.clone()),
            ("department_id", self.department_id.clone()),
            ("due_date", format_date(self.due_date.as_ref())),
            ("status", status(self, Utc::now().date_naive())),
            ("complete_time", output::timestamp(self.complete_time.as_ref())),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

client::impl_page!(ListPlanActionsResponse, actions);

/// A list of actions and the day it was printed on, which decides what is overdue. As JSON, the
/// response alone.
#[derive(Serialize)]
#[serde(transparent)]
struct ActionList {
    #[serde(skip)]
    today: NaiveDate,
    response: ListPlanActionsResponse,
}

impl Render for ActionList {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "DUE", "STATUS", "TITLE", "OWNER", "DEPARTMENT", "PLAN"]);
        for action in &self.response.actions {
            table.push(vec![
                action.id.clone(),
                format_date(action.due_date.as_ref()),
                status(action, self.today),
                action.title.clone(),
                action.owner_staff_id.clone(),
                action.department_id.clone(),
                action.plan_id.clone(),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.response.next_page_token);
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::plans::PlanCommand;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<PlanCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "plan"], args].concat())?;
        match cli.command {
            Command::Plan(command) => Ok(command),
            other => panic!("not a plan command: {other:?}"),
        }
    }

    fn action_command(args: &[&str]) -> ActionCommand {
        match try_parse(&[&["action"], args].concat()).unwrap() {
            PlanCommand::Action(command) => command,
            other => panic!("not a plan action command: {other:?}"),
        }
    }

    fn date(year: i32, month: i32, day: i32) -> Date {
        Date { year, month, day }
    }

    #[test]
    fn add_makes_an_action_with_owner_and_due_date() {
        let ActionCommand::Add(args) = action_command(&[
            "add",
            "--plan",
            "p1",
            "--title",
            "Visit the Jinshan plant",
            "--owner",
            "s1",
            "--due",
            "2027-02-15",
        ]) else {
            panic!("not add");
        };
        let action = args.into_request().action.unwrap();
        assert_eq!(
            (
                action.plan_id.as_str(),
                action.title.as_str(),
                action.owner_staff_id.as_str()
            ),
            ("p1", "Visit the Jinshan plant", "s1")
        );
        assert_eq!(action.due_date, Some(date(2027, 2, 15)));
        assert_eq!(action.status, 0, "the server makes it OPEN");
        assert!(try_parse(&["action", "add", "--plan", "p1", "--title", "t", "--owner", "s1"]).is_err());
        assert!(
            try_parse(&[
                "action",
                "add",
                "--plan",
                "p1",
                "--title",
                "t",
                "--owner",
                "s1",
                "--due",
                "2027-02-30"
            ])
            .is_err()
        );
    }

    #[test]
    fn status_commands_write_only_the_status() {
        for (command, status) in [
            ("start", plan_action::Status::InProgress),
            ("done", plan_action::Status::Done),
            ("cancel", plan_action::Status::Cancelled),
            ("reopen", plan_action::Status::Open),
        ] {
            let request = match action_command(&[command, "x1", "--etag", "\"2\""]) {
                ActionCommand::Start(args)
                | ActionCommand::Done(args)
                | ActionCommand::Cancel(args)
                | ActionCommand::Reopen(args) => args.into_request(status),
                other => panic!("not a status command: {other:?}"),
            };
            assert_eq!(request.update_mask.unwrap().paths, ["status"]);
            let action = request.action.unwrap();
            assert_eq!(
                (action.id.as_str(), action.status, action.etag.as_str()),
                ("x1", status as i32, "\"2\"")
            );
        }
    }

    #[test]
    fn update_writes_only_the_flags_given() {
        let ActionCommand::Update(args) =
            action_command(&["update", "x1", "--owner", "s2", "--due", "2027-03-01"])
        else {
            panic!("not update");
        };
        let request = args.into_request().unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["owner_staff_id", "due_date"]);
        assert_eq!(request.action.unwrap().due_date, Some(date(2027, 3, 1)));
        let ActionCommand::Update(args) = action_command(&["update", "x1"]) else {
            panic!("not update");
        };
        assert!(matches!(args.into_request(), Err(Error::Usage(_))));
    }

    #[test]
    fn list_filters_and_orders_by_due_date() {
        let PlanCommand::Actions(args) =
            try_parse(&["actions", "--mine", "--overdue", "--plan", "p1", "--all"]).unwrap()
        else {
            panic!("not actions");
        };
        let filter = args.filter();
        assert!(filter.mine && filter.overdue && args.paging.all);
        assert_eq!(
            (filter.plan_id.as_str(), filter.order_by.as_str()),
            ("p1", "due_date")
        );
        let ActionCommand::List(args) = action_command(&["list", "--status", "in-progress", "--owner", "s1"])
        else {
            panic!("not list");
        };
        let filter = args.filter();
        assert_eq!(filter.status, plan_action::Status::InProgress as i32);
        assert_eq!(filter.owner_staff_id, "s1");
        assert!(
            try_parse(&["actions", "--mine", "--owner", "s1"]).is_err(),
            "--mine is the caller"
        );
    }

    fn action(id: &str, due: Date, status: plan_action::Status) -> PlanAction {
        PlanAction {
            id: id.into(),
            plan_id: "p1".into(),
            title: format!("action {id}"),
            owner_staff_id: "s1".into(),
            due_date: Some(due),
            status: status as i32,
            ..Default::default()
        }
    }

    #[test]
    fn only_open_actions_before_today_are_overdue() {
        let today = NaiveDate::from_ymd_opt(2027, 2, 15).unwrap();
        let yesterday = date(2027, 2, 14);
        assert!(is_overdue(
            &action("a", yesterday, plan_action::Status::Open),
            today
        ));
        assert!(is_overdue(
            &action("a", yesterday, plan_action::Status::InProgress),
            today
        ));
        assert!(!is_overdue(
            &action("a", yesterday, plan_action::Status::Done),
            today
        ));
        assert!(!is_overdue(
            &action("a", yesterday, plan_action::Status::Cancelled),
            today
        ));
        assert!(
            !is_overdue(&action("a", date(2027, 2, 15), plan_action::Status::Open), today),
            "due today"
        );
        let list = ActionList {
            today,
            response: ListPlanActionsResponse {
                actions: vec![
                    action("x1", yesterday, plan_action::Status::Open),
                    action("x2", date(2027, 3, 1), plan_action::Status::InProgress),
                ],
                next_page_token: String::new(),
            },
        };
        assert_eq!(
            list.human(),
            "ID  DUE         STATUS          TITLE      OWNER  DEPARTMENT  PLAN\n\
             x1  2027-02-14  OPEN (overdue)  action x1  s1                 p1\n\
             x2  2027-03-01  IN_PROGRESS     action x2  s1                 p1\n"
        );
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(
            json["actions"][0]["status"], "OPEN",
            "the JSON is the response alone"
        );
    }
}

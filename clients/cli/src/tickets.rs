//! `kamctl tickets ...`: service requests (tickets) and their SLA clock, through
//! kam.v1.ServiceLevelService: create, read, list with the SLA filters, change, move along the status
//! graph, record the first response, re-apply a policy, and show the status history and escalations.

use clap::{Args, Subcommand};
use kam_proto::pbjson_types::Timestamp;
use kam_proto::v1::service_request::{Category, Status};
use kam_proto::v1::sla_target::State;
use kam_proto::v1::{
    ChangeServiceRequestStatusRequest, CreateServiceRequestRequest, Escalation, GetServiceRequestRequest,
    ListEscalationsRequest, ListEscalationsResponse, ListServiceRequestsRequest, ListServiceRequestsResponse,
    ListStatusHistoryRequest, ListStatusHistoryResponse, Priority, RecalculateSlaRequest,
    RecordFirstResponseRequest, ServiceRequest, SlaPolicyMatch, SlaTarget, SlaTargetKind,
    UpdateServiceRequestRequest, escalation_step::Trigger,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::mask::MaskBuilder;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum TicketsCommand {
    /// Open a service request at an account; the SLA policy that applies to it is snapshotted.
    Create(CreateArgs),
    /// Show one service request with both SLA targets as the clock computes them now.
    Get(IdArgs),
    /// List service requests: one page, or every page with --all.
    List(ListArgs),
    /// Change the request's data given as flags; `--FIELD ""` clears a field. The status changes only
    /// with `status`, the priority only with `recalc`.
    Update(UpdateArgs),
    /// Move a request along the status graph, e.g. `status <ID> in-progress`.
    Status(StatusArgs),
    /// Record the first response now (fulfils the FIRST_RESPONSE target; once only).
    Respond(EtagArgs),
    /// Re-apply an SLA policy (the one that applies now, or --policy), optionally for a new priority.
    Recalc(RecalcArgs),
    /// List every status change of a request, oldest first.
    History(SubListArgs),
    /// List the escalations the breach monitor recorded on a request, oldest first.
    Escalations(SubListArgs),
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The service request id.
    id: String,
}

#[derive(Debug, Args)]
pub struct EtagArgs {
    /// The service request id.
    id: String,

    /// Act only if the request is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The account the request is from.
    #[arg(long, value_name = "ID")]
    account: String,

    /// Title, 1 to 200 characters.
    #[arg(long)]
    title: String,

    /// Priority [default: p3].
    #[arg(long, value_name = "PRIORITY", value_parser = enums::parser::<Priority>())]
    priority: Option<i32>,

    #[command(flatten)]
    fields: RequestFields,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

/// The optional writable fields, the same for create and update.
#[derive(Debug, Args)]
struct RequestFields {
    /// Up to 10000 characters.
    #[arg(long)]
    description: Option<String>,

    /// Category [default on create: other].
    #[arg(long, value_name = "CATEGORY", value_parser = enums::parser::<Category>())]
    category: Option<i32>,

    /// A contact of the account.
    #[arg(long, value_name = "CONTACT_ID")]
    contact: Option<String>,

    /// Who works the request (active staff).
    #[arg(long, value_name = "STAFF_ID")]
    assignee: Option<String>,

    /// The ERP's or help desk's key, unique among service requests.
    #[arg(long)]
    external_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The service request id.
    id: String,

    /// Title, 1 to 200 characters.
    #[arg(long)]
    title: Option<String>,

    #[command(flatten)]
    fields: RequestFields,

    /// Update only if the request is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the requests of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the requests this staff member works.
    #[arg(long, value_name = "STAFF_ID")]
    assignee: Option<String>,

    /// Only the requests in this status.
    #[arg(long, value_name = "STATUS", value_parser = enums::parser::<Status>())]
    status: Option<i32>,

    /// Only open requests (new, in progress, waiting).
    #[arg(long)]
    open: bool,

    /// Only the requests of this priority.
    #[arg(long, value_name = "PRIORITY", value_parser = enums::parser::<Priority>())]
    priority: Option<i32>,

    /// Only the requests of this category.
    #[arg(long, value_name = "CATEGORY", value_parser = enums::parser::<Category>())]
    category: Option<i32>,

    /// Only the requests whose target (--sla-target, or either) is in this SLA state now.
    #[arg(long, value_name = "STATE", value_parser = enums::parser::<State>())]
    sla_state: Option<i32>,

    /// The target --sla-state and --due-before look at [default: either].
    #[arg(long, value_name = "TARGET", value_parser = enums::parser::<SlaTargetKind>())]
    sla_target: Option<i32>,

    /// Only the requests with an unfulfilled target due before this RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = output::parse_timestamp)]
    due_before: Option<Timestamp>,

    /// Case-insensitive substring of the title.
    #[arg(long)]
    query: Option<String>,

    /// "create_time", "create_time desc", "resolution_due_time" or "first_response_due_time"
    /// [default: creation order].
    #[arg(long, value_name = "ORDER")]
    order_by: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The service request id.
    id: String,

    /// The new status.
    #[arg(value_name = "STATUS", value_parser = enums::parser::<Status>())]
    status: i32,

    /// Why, kept in the status history (up to 2000 characters).
    #[arg(long)]
    note: Option<String>,

    /// Change only if the request is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct RecalcArgs {
    /// The service request id.
    id: String,

    /// The policy to apply [default: the one that applies to the account now].
    #[arg(long, value_name = "ID")]
    policy: Option<String>,

    /// A new priority [default: keep it].
    #[arg(long, value_name = "PRIORITY", value_parser = enums::parser::<Priority>())]
    priority: Option<i32>,

    /// Recalculate only if the request is still at this etag (ABORTED otherwise).
    #[arg(long)]
    etag: Option<String>,
}

#[derive(Debug, Args)]
pub struct SubListArgs {
    /// The service request id.
    id: String,

    #[command(flatten)]
    paging: PageArgs,
}

pub async fn run(command: TicketsCommand, global: &Global) -> Result<(), Error> {
    let request = match command {
        TicketsCommand::List(args) => return list(args, global).await,
        TicketsCommand::History(args) => return history(args, global).await,
        TicketsCommand::Escalations(args) => return escalations(args, global).await,
        TicketsCommand::Create(args) => {
            let request = args.into_request();
            client::service_levels(global)
                .await?
                .create_service_request(retry::idempotent(request))
                .await?
        }
        TicketsCommand::Get(IdArgs { id }) => {
            client::service_levels(global)
                .await?
                .get_service_request(GetServiceRequestRequest { id })
                .await?
        }
        TicketsCommand::Update(args) => {
            let request = args.into_request()?;
            client::service_levels(global)
                .await?
                .update_service_request(request)
                .await?
        }
        TicketsCommand::Status(args) => {
            let request = ChangeServiceRequestStatusRequest {
                id: args.id,
                status: args.status,
                note: args.note.unwrap_or_default(),
                etag: args.etag.unwrap_or_default(),
            };
            client::service_levels(global)
                .await?
                .change_service_request_status(request)
                .await?
        }
        TicketsCommand::Respond(args) => {
            let request = RecordFirstResponseRequest {
                id: args.id,
                etag: args.etag.unwrap_or_default(),
            };
            client::service_levels(global)
                .await?
                .record_first_response(request)
                .await?
        }
        TicketsCommand::Recalc(args) => {
            let request = RecalculateSlaRequest {
                id: args.id,
                policy_id: args.policy.unwrap_or_default(),
                priority: args.priority.unwrap_or_default(),
                etag: args.etag.unwrap_or_default(),
            };
            client::service_levels(global)
                .await?
                .recalculate_sla(request)
                .await?
        }
    };
    Ok(output::print(&request.into_inner(), global.json)?)
}

impl ListArgs {
    fn filter(self) -> ListServiceRequestsRequest {
        ListServiceRequestsRequest {
            page_size: self.paging.page_size.unwrap_or_default(),
            page_token: String::new(),
            account_id: self.account.unwrap_or_default(),
            assignee_staff_id: self.assignee.unwrap_or_default(),
            status: self.status.unwrap_or_default(),
            open_only: self.open,
            priority: self.priority.unwrap_or_default(),
            category: self.category.unwrap_or_default(),
            sla_state: self.sla_state.unwrap_or_default(),
            sla_target: self.sla_target.unwrap_or_default(),
            due_before: self.due_before,
            query: self.query.unwrap_or_default(),
            order_by: self.order_by.unwrap_or_default(),
            segments: None,
        }
    }
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let page_token = args.paging.page_token.clone().unwrap_or_default();
    let all = args.paging.all;
    let filter = args.filter();
    let mut client = client::service_levels(global).await?;
    let fetch = async |page_token| {
        let request = ListServiceRequestsRequest {
            page_token,
            ..filter.clone()
        };
        Ok(client.list_service_requests(request).await?.into_inner())
    };
    let requests = client::fetch_pages(page_token, all, fetch).await?;
    Ok(output::print(&requests, global.json)?)
}

async fn history(args: SubListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::service_levels(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let fetch = async |page_token| {
        let request = ListStatusHistoryRequest {
            service_request_id: args.id.clone(),
            page_size: page_size.unwrap_or_default(),
            page_token,
        };
        Ok(client.list_status_history(request).await?.into_inner())
    };
    let changes = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&changes, global.json)?)
}

async fn escalations(args: SubListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::service_levels(global).await?;
    let PageArgs {
        page_size,
        page_token,
        all,
    } = args.paging;
    let fetch = async |page_token| {
        let request = ListEscalationsRequest {
            service_request_id: args.id.clone(),
            page_size: page_size.unwrap_or_default(),
            page_token,
        };
        Ok(client.list_escalations(request).await?.into_inner())
    };
    let escalations = client::fetch_pages(page_token.unwrap_or_default(), all, fetch).await?;
    Ok(output::print(&escalations, global.json)?)
}

impl CreateArgs {
    fn into_request(self) -> CreateServiceRequestRequest {
        let mut request = ServiceRequest {
            account_id: self.account,
            title: self.title,
            priority: self.priority.unwrap_or_default(),
            ..Default::default()
        };
        self.fields.apply(&mut request, &mut MaskBuilder::default());
        CreateServiceRequestRequest {
            service_request: Some(request),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl UpdateArgs {
    /// The request writing exactly the fields given as flags, with an update mask naming them.
    fn into_request(self) -> Result<UpdateServiceRequestRequest, Error> {
        let mut request = ServiceRequest {
            id: self.id,
            etag: self.etag.unwrap_or_default(),
            ..Default::default()
        };
        let mut mask = MaskBuilder::default();
        mask.set("title", &mut request.title, self.title);
        self.fields.apply(&mut request, &mut mask);
        if mask.is_empty() {
            return Err(Error::Usage(
                "nothing to update: give at least one field, e.g. --title or --assignee".to_owned(),
            ));
        }
        Ok(UpdateServiceRequestRequest {
            service_request: Some(request),
            update_mask: Some(mask.build()),
        })
    }
}

impl RequestFields {
    /// Writes the fields given into `request` and names them in `mask` (paths as in
    /// UpdateServiceRequestRequest).
    fn apply(self, request: &mut ServiceRequest, mask: &mut MaskBuilder) {
        mask.set("external_id", &mut request.external_id, self.external_id);
        mask.set("contact_id", &mut request.contact_id, self.contact);
        mask.set("description", &mut request.description, self.description);
        mask.set("category", &mut request.category, self.category);
        mask.set("assignee_staff_id", &mut request.assignee_staff_id, self.assignee);
    }
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

/// One target in a line: `AT_RISK due 2026-11-23T17:00:00Z (elapsed 50 of 60 min)`.
pub fn target_summary(target: Option<&SlaTarget>) -> String {
    let Some(target) = target else {
        return String::new();
    };
    let mut text = format!(
        "{} due {} (elapsed {} of {} min",
        enums::name::<State>(target.state),
        output::timestamp(target.due_time.as_ref()),
        target.elapsed_business_minutes,
        target.target_minutes,
    );
    if target.paused_business_minutes > 0 {
        text.push_str(&format!(", paused {}", target.paused_business_minutes));
    }
    text.push(')');
    if target.fulfilled_time.is_some() {
        text.push_str(&format!(
            ", fulfilled {}",
            output::timestamp(target.fulfilled_time.as_ref())
        ));
    }
    text
}

/// The short state of a target for tables; empty when absent.
fn state(target: Option<&SlaTarget>) -> String {
    target.map_or_else(String::new, |target| enums::name::<State>(target.state))
}

impl Render for ServiceRequest {
    fn human(&self) -> String {
        let sla = self.sla.clone().unwrap_or_default();
        let pauses: Vec<String> = sla
            .pause_statuses
            .iter()
            .map(|&status| enums::name::<Status>(status))
            .collect();
        key_values(&[
            ("id", self.id.clone()),
            ("title", self.title.clone()),
            ("account_id", self.account_id.clone()),
            ("contact_id", self.contact_id.clone()),
            ("category", enums::name::<Category>(self.category)),
            ("priority", enums::name::<Priority>(self.priority)),
            ("status", enums::name::<Status>(self.status)),
            ("assignee_staff_id", self.assignee_staff_id.clone()),
            ("external_id", self.external_id.clone()),
            ("description", self.description.clone()),
            ("first_response", target_summary(self.first_response.as_ref())),
            ("resolution", target_summary(self.resolution.as_ref())),
            (
                "sla_policy",
                format!(
                    "{} ({})",
                    sla.policy_id,
                    enums::name::<SlaPolicyMatch>(sla.r#match)
                ),
            ),
            ("sla_calendar", sla.calendar_id.clone()),
            (
                "sla_targets",
                format!(
                    "first response {} min, resolution {} min, at risk at {} %",
                    sla.first_response_minutes, sla.resolution_minutes, sla.warning_percent
                ),
            ),
            ("sla_pause_statuses", pauses.join(", ")),
            ("sla_apply_time", output::timestamp(sla.apply_time.as_ref())),
            (
                "first_response_time",
                output::timestamp(self.first_response_time.as_ref()),
            ),
            ("status_time", output::timestamp(self.status_time.as_ref())),
            ("resolve_time", output::timestamp(self.resolve_time.as_ref())),
            ("close_time", output::timestamp(self.close_time.as_ref())),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ])
    }
}

impl Render for ListServiceRequestsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&[
            "ID",
            "TITLE",
            "ACCOUNT",
            "PRIO",
            "STATUS",
            "ASSIGNEE",
            "RESPONSE",
            "RESOLUTION",
            "RESOLUTION DUE",
        ]);
        for request in &self.service_requests {
            table.push(vec![
                request.id.clone(),
                request.title.clone(),
                request.account_id.clone(),
                enums::name::<Priority>(request.priority),
                enums::name::<Status>(request.status),
                request.assignee_staff_id.clone(),
                state(request.first_response.as_ref()),
                state(request.resolution.as_ref()),
                output::timestamp(request.resolution.as_ref().and_then(|t| t.due_time.as_ref())),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

client::impl_page!(ListServiceRequestsResponse, service_requests);

impl Render for ListStatusHistoryResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["TIME", "FROM", "TO", "BY", "NOTE"]);
        for change in &self.changes {
            table.push(vec![
                output::timestamp(change.change_time.as_ref()),
                if change.from_status == 0 {
                    "(created)".to_owned()
                } else {
                    enums::name::<Status>(change.from_status)
                },
                enums::name::<Status>(change.to_status),
                change.changed_by.clone(),
                change.note.clone(),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

client::impl_page!(ListStatusHistoryResponse, changes);

fn recipients(escalation: &Escalation) -> String {
    let names: Vec<String> = escalation
        .recipients
        .iter()
        .map(|r| format!("{} ({})", r.staff_id, r.reason))
        .collect();
    if names.is_empty() {
        "(nobody found)".to_owned()
    } else {
        names.join(", ")
    }
}

impl Render for ListEscalationsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["TIME", "TARGET", "TRIGGER", "STEP", "RECIPIENTS"]);
        table.align_right(&[3]);
        for escalation in &self.escalations {
            table.push(vec![
                output::timestamp(escalation.escalate_time.as_ref()),
                enums::name::<SlaTargetKind>(escalation.target),
                enums::name::<Trigger>(escalation.trigger),
                escalation.step_index.to_string(),
                recipients(escalation),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

client::impl_page!(ListEscalationsResponse, escalations);

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<TicketsCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "tickets"], args].concat())?;
        match cli.command {
            Command::Tickets(command) => Ok(command),
            other => panic!("not a tickets command: {other:?}"),
        }
    }

    #[test]
    fn create_fills_the_request_from_the_flags() {
        let TicketsCommand::Create(args) = try_parse(&[
            "create",
            "--account",
            "a-1",
            "--title",
            "Pump 3 leaks",
            "--priority",
            "p1",
            "--category",
            "repair",
            "--assignee",
            "s-1",
            "--request-id",
            "r1",
        ])
        .unwrap() else {
            panic!("not a create");
        };
        let request = args.into_request();
        assert_eq!(request.request_id, "r1");
        let ticket = request.service_request.unwrap();
        assert_eq!(ticket.account_id, "a-1");
        assert_eq!(ticket.title, "Pump 3 leaks");
        assert_eq!(ticket.priority, Priority::P1 as i32);
        assert_eq!(ticket.category, Category::Repair as i32);
        assert_eq!(ticket.assignee_staff_id, "s-1");
    }

    #[test]
    fn update_mask_names_exactly_the_flags_given() {
        let TicketsCommand::Update(args) =
            try_parse(&["update", "t-1", "--title", "T", "--assignee", "", "--etag", "e"]).unwrap()
        else {
            panic!("not an update");
        };
        let request = args.into_request().unwrap();
        assert_eq!(request.update_mask.unwrap().paths, ["title", "assignee_staff_id"]);
        let ticket = request.service_request.unwrap();
        assert_eq!((ticket.id.as_str(), ticket.etag.as_str()), ("t-1", "e"));

        let TicketsCommand::Update(args) = try_parse(&["update", "t-1"]).unwrap() else {
            panic!("not an update");
        };
        assert!(matches!(args.into_request(), Err(Error::Usage(_))));
    }

    #[test]
    fn list_filters_reach_the_request() {
        let TicketsCommand::List(args) = try_parse(&[
            "list",
            "--sla-state",
            "at-risk",
            "--sla-target",
            "resolution",
            "--due-before",
            "2026-11-23T12:00:00Z",
            "--priority",
            "p2",
            "--status",
            "waiting-on-customer",
            "--open",
        ])
        .unwrap() else {
            panic!("not a list");
        };
        let filter = args.filter();
        assert_eq!(filter.sla_state, State::AtRisk as i32);
        assert_eq!(filter.sla_target, SlaTargetKind::Resolution as i32);
        assert_eq!(filter.priority, Priority::P2 as i32);
        assert_eq!(filter.status, Status::WaitingOnCustomer as i32);
        assert!(filter.open_only);
        assert_eq!(filter.due_before.unwrap().seconds, 1_795_435_200);
        assert!(try_parse(&["list", "--sla-state", "late"]).is_err());
    }

    #[test]
    fn status_takes_the_new_status_as_an_argument() {
        let TicketsCommand::Status(args) =
            try_parse(&["status", "t-1", "in-progress", "--note", "on it"]).unwrap()
        else {
            panic!("not a status change");
        };
        assert_eq!(args.status, Status::InProgress as i32);
        assert!(try_parse(&["status", "t-1"]).is_err());
        assert!(try_parse(&["status", "t-1", "done"]).is_err());
    }
}

//! `kamctl departments ...`: our own departments, whose people serve the accounts, through
//! kam.v1.TeamService.

use clap::{Args, Subcommand};
use kam_proto::v1::{CreateDepartmentRequest, Department, ListDepartmentsRequest, ListDepartmentsResponse};

use crate::Global;
use crate::client::{self, TeamClient};
use crate::error::Error;
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum DepartmentsCommand {
    /// List every department, ordered by code.
    List,
    /// Create a department.
    Create(CreateArgs),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// UPPER_SNAKE_CASE code, unique and never changed afterwards, e.g. CUSTOMER_SERVICE.
    #[arg(long)]
    code: String,

    /// Display name.
    #[arg(long)]
    name: String,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

pub async fn run(command: DepartmentsCommand, global: &Global) -> Result<(), Error> {
    let mut client = client::teams(global).await?;
    match command {
        DepartmentsCommand::List => {
            let departments = client
                .list_departments(ListDepartmentsRequest {})
                .await?
                .into_inner();
            Ok(output::print(&departments, global.json)?)
        }
        DepartmentsCommand::Create(args) => {
            let department = client
                .create_department(retry::idempotent(args.into_request()))
                .await?
                .into_inner();
            Ok(output::print(&department, global.json)?)
        }
    }
}

impl CreateArgs {
    fn into_request(self) -> CreateDepartmentRequest {
        CreateDepartmentRequest {
            department: Some(Department {
                code: self.code,
                display_name: self.name,
                ..Default::default()
            }),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

/// The id of the department that `--department` names, by id or by code.
///
/// The department list is short and unpaged, so one ListDepartments call settles it; an unknown
/// department is reported here rather than as an empty `staff list`.
pub async fn resolve(client: &mut TeamClient, id_or_code: &str) -> Result<String, Error> {
    let departments = client
        .list_departments(ListDepartmentsRequest {})
        .await?
        .into_inner()
        .departments;
    find(&departments, id_or_code)
}

/// The id of the department whose id is `id_or_code`, or else whose code is (case-insensitively, so
/// `customer_service` works too).
fn find(departments: &[Department], id_or_code: &str) -> Result<String, Error> {
    departments
        .iter()
        .find(|department| department.id == id_or_code)
        .or_else(|| {
            departments
                .iter()
                .find(|department| department.code.eq_ignore_ascii_case(id_or_code))
        })
        .map(|department| department.id.clone())
        .ok_or_else(|| {
            Error::Usage(format!(
                "no department has the id or code `{id_or_code}`; `kamctl departments list` shows them"
            ))
        })
}

impl Render for Department {
    fn human(&self) -> String {
        key_values(&[
            ("id", self.id.clone()),
            ("code", self.code.clone()),
            ("display_name", self.display_name.clone()),
            ("create_time", output::timestamp(self.create_time.as_ref())),
        ])
    }
}

impl Render for ListDepartmentsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "CODE", "NAME"]);
        for department in &self.departments {
            table.push(vec![
                department.id.clone(),
                department.code.clone(),
                department.display_name.clone(),
            ]);
        }
        table.render()
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::{Cli, Command};

    fn department(id: &str, code: &str) -> Department {
        Department {
            id: id.into(),
            code: code.into(),
            display_name: format!("{code} dept"),
            ..Default::default()
        }
    }

    #[test]
    fn departments_are_found_by_id_or_code() {
        let departments = [department("d1", "SALES"), department("d2", "CUSTOMER_SERVICE")];
        assert_eq!(find(&departments, "d2").unwrap(), "d2");
        assert_eq!(find(&departments, "SALES").unwrap(), "d1");
        assert_eq!(find(&departments, "customer_service").unwrap(), "d2");
        assert!(matches!(find(&departments, "LOGISTICS"), Err(Error::Usage(_))));
    }

    #[test]
    fn an_id_wins_over_a_code_that_looks_the_same() {
        let departments = [department("d1", "X1"), department("X1", "OTHER")];
        assert_eq!(find(&departments, "X1").unwrap(), "X1");
    }

    #[test]
    fn create_fills_the_department_from_the_flags() {
        let cli = Cli::try_parse_from([
            "kamctl",
            "departments",
            "create",
            "--code",
            "SALES",
            "--name",
            "Sales",
        ])
        .unwrap();
        let Command::Departments(DepartmentsCommand::Create(args)) = cli.command else {
            panic!("not a departments create");
        };
        let request = args.into_request();
        let department = request.department.unwrap();
        assert_eq!(
            (department.code.as_str(), department.display_name.as_str()),
            ("SALES", "Sales")
        );
        // None given: a fresh one, so that a retry is recognised as the same create.
        assert!(
            uuid::Uuid::parse_str(&request.request_id).is_ok(),
            "{}",
            request.request_id
        );
    }

    #[test]
    fn list_table_shows_one_row_per_department() {
        let response = ListDepartmentsResponse {
            departments: vec![department("d1", "SALES"), department("d2", "CUSTOMER_SERVICE")],
        };
        assert_eq!(
            response.human(),
            "ID  CODE              NAME\n\
             d1  SALES             SALES dept\n\
             d2  CUSTOMER_SERVICE  CUSTOMER_SERVICE dept\n"
        );
    }
}

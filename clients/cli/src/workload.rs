//! `kamctl workload`: how many accounts each person serves and how much open work they hold, through
//! kam.v1.TeamService.

use std::collections::BTreeSet;

use clap::Args;
use kam_proto::v1::{GetWorkloadRequest, GetWorkloadResponse};

use crate::Global;
use crate::client;
use crate::error::Error;
use crate::output::{self, Render, Table};

#[derive(Debug, Args)]
pub struct WorkloadArgs {
    /// Only this person; repeat for several [default: every active person].
    #[arg(long = "staff", value_name = "ID")]
    staff_ids: Vec<String>,
}

pub async fn run(args: WorkloadArgs, global: &Global) -> Result<(), Error> {
    let request = GetWorkloadRequest {
        staff_ids: args.staff_ids,
    };
    let workload = client::teams(global)
        .await?
        .get_workload(request)
        .await?
        .into_inner();
    Ok(output::print(&workload, global.json)?)
}

/// The column header of an `open_items` area: `service_requests` becomes `SERVICE REQUESTS`.
fn area_header(area: &str) -> String {
    area.to_uppercase().replace('_', " ")
}

impl Render for GetWorkloadResponse {
    /// One column per area that any person's `open_items` has, in name order. A person without the
    /// key has nothing open there (the server leaves out zero counts), so the cell shows 0.
    fn human(&self) -> String {
        let areas: BTreeSet<&str> = self
            .workloads
            .iter()
            .flat_map(|workload| workload.open_items.keys().map(String::as_str))
            .collect();
        let headers = ["STAFF", "NAME", "ACCOUNTS"]
            .into_iter()
            .map(str::to_owned)
            .chain(areas.iter().map(|area| area_header(area)))
            .collect();
        let mut table = Table::with_headers(headers);
        for workload in &self.workloads {
            let mut row = vec![
                workload.staff_id.clone(),
                workload.full_name.clone(),
                format!("{}/{}", workload.active_accounts, workload.max_accounts),
            ];
            row.extend(areas.iter().map(|&area| {
                workload
                    .open_items
                    .get(area)
                    .map_or_else(|| "0".to_owned(), i64::to_string)
            }));
            table.push(row);
        }
        table.render()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use clap::Parser;
    use kam_proto::v1::Workload;

    use super::*;
    use crate::{Cli, Command};

    fn workload(id: &str, name: &str, accounts: (i32, i32), open: &[(&str, i64)]) -> Workload {
        Workload {
            staff_id: id.into(),
            full_name: name.into(),
            active_accounts: accounts.0,
            max_accounts: accounts.1,
            open_items: open
                .iter()
                .map(|&(area, n)| (area.to_owned(), n))
                .collect::<HashMap<_, _>>(),
        }
    }

    #[test]
    fn staff_repeats() {
        let cli = Cli::try_parse_from(["kamctl", "workload", "--staff", "s1", "--staff", "s2"]).unwrap();
        let Command::Workload(args) = cli.command else {
            panic!("not workload");
        };
        assert_eq!(args.staff_ids, ["s1", "s2"]);
    }

    #[test]
    fn table_has_a_sorted_column_per_open_items_area() {
        let response = GetWorkloadResponse {
            workloads: vec![
                workload("s1", "Ada", (3, 25), &[("team_roles", 3), ("opportunities", 12)]),
                workload(
                    "s2",
                    "Grace",
                    (25, 25),
                    &[("opportunities", 0), ("service_requests", 4)],
                ),
            ],
        };
        assert_eq!(
            response.human(),
            "STAFF  NAME   ACCOUNTS  OPPORTUNITIES  SERVICE REQUESTS  TEAM ROLES\n\
             s1     Ada    3/25      12             0                 3\n\
             s2     Grace  25/25     0              4                 0\n"
        );
    }

    #[test]
    fn without_open_items_only_the_accounts_are_shown() {
        let response = GetWorkloadResponse {
            workloads: vec![workload("s1", "Ada", (0, 5), &[])],
        };
        assert_eq!(
            response.human(),
            "STAFF  NAME  ACCOUNTS\n\
             s1     Ada   0/5\n"
        );
    }
}

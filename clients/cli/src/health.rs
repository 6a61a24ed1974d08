//! `kamctl health`: the standard grpc.health.v1 check, for scripts and readiness probes; with a
//! subcommand, the health of accounts instead ([`crate::account_health`]).

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::account_health::{self, AccountHealthCommand};
use crate::error::Error;
use crate::output::{self, Render};
use crate::{Global, client};

/// The server check, or (with a subcommand) the accounts' health.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HealthArgs {
    #[command(subcommand)]
    pub accounts: Option<AccountHealthCommand>,

    /// The service to check, e.g. `kam.v1.AccountService`; the whole server when left out.
    pub service: Option<String>,
}

/// Prints the serving status; the exit code is 0 only when it is SERVING. With a subcommand, prints
/// the accounts' health instead.
pub async fn run(args: HealthArgs, global: &Global) -> Result<ExitCode, Error> {
    if let Some(command) = args.accounts {
        return account_health::run(command, global)
            .await
            .map(|()| ExitCode::SUCCESS);
    }
    let mut client = HealthClient::new(client::connect(global).await?);
    let request = HealthCheckRequest {
        service: args.service.unwrap_or_default(),
    };
    let status = client.check(request).await?.into_inner().status();
    output::print(&Report::from(status), global.json)?;
    Ok(if status == ServingStatus::Serving {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The printed result. tonic-health's messages have no serde support, so `--json` prints this
/// instead, shaped like the proto3 JSON of `HealthCheckResponse`.
#[derive(Debug, Serialize)]
struct Report {
    status: &'static str,
}

impl From<ServingStatus> for Report {
    fn from(status: ServingStatus) -> Self {
        Report {
            status: status.as_str_name(),
        }
    }
}

impl Render for Report {
    fn human(&self) -> String {
        format!("{}\n", self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_the_proto_name_of_the_status() {
        let report = Report::from(ServingStatus::NotServing);
        assert_eq!(report.human(), "NOT_SERVING\n");
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"status":"NOT_SERVING"}"#
        );
    }
}

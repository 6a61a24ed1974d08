//! `kamctl health`: the standard grpc.health.v1 check, for scripts and readiness probes.

use std::process::ExitCode;

use clap::Args;
use serde::Serialize;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::error::Error;
use crate::output::{self, Render};
use crate::{Global, client};

#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The service to check, e.g. `kam.v1.AccountService`; the whole server when left out.
    service: Option<String>,
}

/// Prints the serving status; the exit code is 0 only when it is SERVING.
pub async fn run(args: HealthArgs, global: &Global) -> Result<ExitCode, Error> {
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

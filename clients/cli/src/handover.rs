//! `kamctl handover`: moves a person's responsibilities (team roles, and the other areas' open work)
//! to another person, when they leave or change job, through kam.v1.TeamService.

use std::process::ExitCode;

use clap::Args;
use kam_proto::v1::{TransferResponsibilitiesRequest, TransferResponsibilitiesResponse};
use serde::{Serialize, Serializer};

use crate::Global;
use crate::client;
use crate::error::Error;
use crate::output::{self, Render, Table, count};

#[derive(Debug, Args)]
pub struct HandoverArgs {
    /// The person handing over.
    #[arg(long, value_name = "ID")]
    from: String,

    /// The person taking over.
    #[arg(long, value_name = "ID")]
    to: String,

    /// Hand over only this account's responsibilities; repeat for several [default: every account].
    #[arg(long = "account", value_name = "ID")]
    accounts: Vec<String>,

    /// Why, up to 500 characters; recorded on the ended memberships and in the audit trail.
    #[arg(long)]
    reason: String,

    /// Only show what would move and which team rules would break; change nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Prints what moved (or would move) and the rule breaks; the exit code is 1 when there are any.
///
/// Without --dry-run the server refuses a handover that breaks rules with FAILED_PRECONDITION, whose
/// details name the rules, so that too ends with 1.
pub async fn run(args: HandoverArgs, global: &Global) -> Result<ExitCode, Error> {
    let dry_run = args.dry_run;
    let request = args.into_request();
    let response = client::teams(global)
        .await?
        .transfer_responsibilities(request)
        .await?
        .into_inner();
    let refused = !response.rule_breaks.is_empty();
    output::print(&Handover { response, dry_run }, global.json)?;
    Ok(if refused {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

impl HandoverArgs {
    fn into_request(self) -> TransferResponsibilitiesRequest {
        TransferResponsibilitiesRequest {
            from_staff_id: self.from,
            to_staff_id: self.to,
            account_ids: self.accounts,
            reason: self.reason,
            validate_only: self.dry_run,
        }
    }
}

/// The result: the response as JSON; for people, the tables and a line saying whether anything changed.
struct Handover {
    response: TransferResponsibilitiesResponse,
    dry_run: bool,
}

impl Serialize for Handover {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.response.serialize(serializer)
    }
}

impl Render for Handover {
    fn human(&self) -> String {
        let mut moved = Table::new(&["AREA", "ACCOUNT", "ITEM", "WHAT"]);
        for item in &self.response.moved {
            moved.push(vec![
                item.area.clone(),
                item.account_id.clone(),
                item.item_id.clone(),
                item.description.clone(),
            ]);
        }
        let mut text = moved.render();

        let breaks = &self.response.rule_breaks;
        if !breaks.is_empty() {
            let mut table = Table::new(&["RULE", "ACCOUNT", "DESCRIPTION"]);
            for rule_break in breaks {
                table.push(vec![
                    rule_break.rule.clone(),
                    rule_break.account_id.clone(),
                    rule_break.description.clone(),
                ]);
            }
            text.push('\n');
            text.push_str(&table.render());
        }

        let prefix = if self.dry_run { "dry run: " } else { "" };
        let summary = if !breaks.is_empty() {
            format!(
                "{prefix}refused for {}; nothing was changed",
                count(breaks.len(), "rule break", "rule breaks")
            )
        } else {
            let moved = count(self.response.moved.len(), "responsibility", "responsibilities");
            if self.dry_run {
                format!("{prefix}{moved} would move; nothing was changed")
            } else {
                format!("{moved} moved")
            }
        };
        text.push('\n');
        text.push_str(&summary);
        text.push('\n');
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::{MovedResponsibility, RuleBreak};

    use super::*;
    use crate::{Cli, Command};

    fn moved(account: &str, item: &str, what: &str) -> MovedResponsibility {
        MovedResponsibility {
            area: "team_roles".into(),
            account_id: account.into(),
            item_id: item.into(),
            description: what.into(),
            new_item_id: String::new(),
        }
    }

    #[test]
    fn flags_make_the_request() {
        let cli = Cli::try_parse_from([
            "kamctl",
            "handover",
            "--from",
            "s1",
            "--to",
            "s2",
            "--account",
            "a1",
            "--account",
            "a2",
            "--reason",
            "moved to R&D",
            "--dry-run",
        ])
        .unwrap();
        let Command::Handover(args) = cli.command else {
            panic!("not a handover");
        };
        assert_eq!(
            args.into_request(),
            TransferResponsibilitiesRequest {
                from_staff_id: "s1".into(),
                to_staff_id: "s2".into(),
                account_ids: vec!["a1".into(), "a2".into()],
                reason: "moved to R&D".into(),
                validate_only: true,
            }
        );
    }

    #[test]
    fn reason_is_required() {
        let err = Cli::try_parse_from(["kamctl", "handover", "--from", "s1", "--to", "s2"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }

    #[test]
    fn dry_run_lists_the_moves_and_the_rule_breaks() {
        let handover = Handover {
            response: TransferResponsibilitiesResponse {
                moved: vec![
                    moved("a1", "m1", "ACCOUNT_MANAGER"),
                    moved("a2", "m2", "SERVICE_LEAD"),
                ],
                rule_breaks: vec![RuleBreak {
                    rule: "CAPACITY_EXCEEDED".into(),
                    account_id: "a2".into(),
                    description: "s2 would serve 26 of 25 accounts".into(),
                }],
            },
            dry_run: true,
        };
        assert_eq!(
            handover.human(),
            "AREA        ACCOUNT  ITEM  WHAT\n\
             team_roles  a1       m1    ACCOUNT_MANAGER\n\
             team_roles  a2       m2    SERVICE_LEAD\n\
             \n\
             RULE               ACCOUNT  DESCRIPTION\n\
             CAPACITY_EXCEEDED  a2       s2 would serve 26 of 25 accounts\n\
             \n\
             dry run: refused for 1 rule break; nothing was changed\n"
        );
    }

    #[test]
    fn a_clean_handover_says_what_moved() {
        let response = TransferResponsibilitiesResponse {
            moved: vec![moved("a1", "m1", "ACCOUNT_MANAGER")],
            rule_breaks: vec![],
        };
        let done = Handover {
            response: response.clone(),
            dry_run: false,
        };
        assert!(
            done.human().ends_with("\n\n1 responsibility moved\n"),
            "{}",
            done.human()
        );
        let planned = Handover {
            response,
            dry_run: true,
        };
        assert!(
            planned
                .human()
                .ends_with("\ndry run: 1 responsibility would move; nothing was changed\n")
        );
        assert_eq!(
            serde_json::to_value(&planned).unwrap(),
            serde_json::json!({"moved": [{
                "area": "team_roles",
                "accountId": "a1",
                "itemId": "m1",
                "description": "ACCOUNT_MANAGER",
            }]})
        );
    }
}

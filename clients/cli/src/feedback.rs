//! `kamctl feedback record|list|report`: the customer's feedback on the team, through
//! kam.v1.FeedbackService. A round rates people 1-5 on responsiveness, expertise and follow-through;
//! the report shows each person or department per month, quarter or year, with exact means and the
//! trend against the bucket before.

use clap::{Args, Subcommand};
use kam_proto::v1::{
    CreateFeedbackRoundRequest, Date, FeedbackMean, FeedbackReport, FeedbackRound, FeedbackStats,
    GetFeedbackReportRequest, ListFeedbackRoundsRequest, ListFeedbackRoundsResponse, StaffRating,
    feedback_round, feedback_trend, get_feedback_report_request,
};

use crate::Global;
use crate::client::{self, PageArgs};
use crate::enums;
use crate::error::Error;
use crate::opportunities::{format_date, parse_day};
use crate::output::{self, Render, Table, key_values};
use crate::retry;

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// Record a feedback round: what one respondent of an account said about the team for a period.
    Record(RecordArgs),
    /// List feedback rounds, newest period first: one page, or every page with --all.
    List(ListArgs),
    /// Ratings per person or department per month, quarter or year, with the trend against the bucket
    /// before.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The account the feedback is about.
    #[arg(long, value_name = "ID")]
    account: String,

    /// The first day of the period the feedback covers, YYYY-MM-DD (not after today).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    from: Date,

    /// The last day of the period, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    to: Date,

    /// One person's rating: STAFF_ID=RESPONSIVENESS,EXPERTISE,FOLLOW_THROUGH, each 1-5 or - for not
    /// rated, optionally followed by :COMMENT. Repeat for each person rated.
    #[arg(long = "rate", value_name = "STAFF_ID=R,E,F[:COMMENT]", required = true, value_parser = parse_rating)]
    ratings: Vec<StaffRating>,

    /// The contact of the account who answered.
    #[arg(long, value_name = "CONTACT_ID")]
    respondent_contact: Option<String>,

    /// Who answered, as the source names them.
    #[arg(long, value_name = "NAME")]
    respondent: Option<String>,

    /// What the customer said about the team as a whole.
    #[arg(long)]
    comment: Option<String>,

    /// The source system's key for the round.
    #[arg(long, value_name = "KEY")]
    external_id: Option<String>,

    /// A UUID making the call idempotent: a retry with the same id returns the first result.
    #[arg(long, value_name = "UUID")]
    request_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this account's rounds.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the rounds that rate this staff member.
    #[arg(long, value_name = "STAFF_ID")]
    staff: Option<String>,

    /// Only rounds whose period ends on or after this day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    ended_from: Option<Date>,

    /// Only rounds whose period ends on or before this day, YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    ended_to: Option<Date>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// One row per person or per department.
    #[arg(long, value_name = "GROUP", value_parser = enums::parser::<get_feedback_report_request::GroupBy>())]
    by: i32,

    /// How time is cut [default: quarter].
    #[arg(long, value_name = "BUCKET", value_parser = enums::parser::<get_feedback_report_request::Bucket>())]
    bucket: Option<i32>,

    /// The first day of the window, widened to its bucket's start [default: three buckets before the
    /// last].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    from: Option<Date>,

    /// The last day of the window, widened to its bucket's end [default: today].
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    to: Option<Date>,

    /// Only the rounds of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the ratings counted in this department.
    #[arg(long, value_name = "ID")]
    department: Option<String>,

    /// Only this staff member's ratings.
    #[arg(long, value_name = "STAFF_ID")]
    staff: Option<String>,
}

pub async fn run(command: FeedbackCommand, global: &Global) -> Result<(), Error> {
    let mut client = client::feedback(global).await?;
    match command {
        FeedbackCommand::Record(args) => {
            let round = client
                .create_feedback_round(retry::idempotent(args.into_request()))
                .await?
                .into_inner();
            Ok(output::print(&round, global.json)?)
        }
        FeedbackCommand::List(args) => {
            let filter = args.filter();
            let fetch = async |page_size, page_token| {
                let request = ListFeedbackRoundsRequest {
                    page_size,
                    page_token,
                    ..filter.clone()
                };
                Ok(client.list_feedback_rounds(request).await?.into_inner())
            };
            let rounds = args.paging.fetch(fetch).await?;
            Ok(output::print(&rounds, global.json)?)
        }
        FeedbackCommand::Report(args) => {
            let report = client
                .get_feedback_report(args.into_request())
                .await?
                .into_inner();
            Ok(output::print(&report, global.json)?)
        }
    }
}

/// `STAFF_ID=R,E,F[:COMMENT]`: each score 1-5, or `-` (or 0) for not rated.
fn parse_rating(text: &str) -> Result<StaffRating, String> {
    let invalid = || format!("`{text}` is not a rating; expected STAFF_ID=R,E,F[:COMMENT], e.g. s1=4,5,-");
    let (staff_id, rest) = text.split_once('=').ok_or_else(invalid)?;
    let (scores, comment) = rest.split_once(':').unwrap_or((rest, ""));
    let scores: Vec<i32> = scores
        .split(',')
        .map(|score| match score.trim() {
            "-" => Ok(0),
            score => score
                .parse::<i32>()
                .ok()
                .filter(|s| (0..=5).contains(s))
                .ok_or_else(invalid),
        })
        .collect::<Result<_, _>>()?;
    let [responsiveness, expertise, follow_through] = scores[..] else {
        return Err(invalid());
    };
    if staff_id.trim().is_empty() {
        return Err(invalid());
    }
    Ok(StaffRating {
        staff_id: staff_id.trim().to_owned(),
        responsiveness,
        expertise,
        follow_through,
        comment: comment.to_owned(),
        department_id: String::new(),
    })
}

impl RecordArgs {
    fn into_request(self) -> CreateFeedbackRoundRequest {
        CreateFeedbackRoundRequest {
            feedback_round: Some(FeedbackRound {
                account_id: self.account,
                external_id: self.external_id.unwrap_or_default(),
                period_start: Some(self.from),
                period_end: Some(self.to),
                respondent_contact_id: self.respondent_contact.unwrap_or_default(),
                respondent_name: self.respondent.unwrap_or_default(),
                ratings: self.ratings,
                comment: self.comment.unwrap_or_default(),
                ..Default::default()
            }),
            request_id: retry::new_request_id(self.request_id),
        }
    }
}

impl ListArgs {
    /// The request without its paging.
    fn filter(&self) -> ListFeedbackRoundsRequest {
        ListFeedbackRoundsRequest {
            account_id: self.account.clone().unwrap_or_default(),
            staff_id: self.staff.clone().unwrap_or_default(),
            period_end_from: self.ended_from,
            period_end_to: self.ended_to,
            ..Default::default()
        }
    }
}

impl ReportArgs {
    fn into_request(self) -> GetFeedbackReportRequest {
        GetFeedbackReportRequest {
            group_by: self.by,
            bucket: self.bucket.unwrap_or_default(),
            start_date: self.from,
            end_date: self.to,
            account_id: self.account.unwrap_or_default(),
            department_id: self.department.unwrap_or_default(),
            staff_id: self.staff.unwrap_or_default(),
            segments: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

/// A score, or `-` when not rated.
fn score(value: i32) -> String {
    if value == 0 {
        "-".to_owned()
    } else {
        value.to_string()
    }
}

/// `from to to`.
fn period(round: &FeedbackRound) -> String {
    format!(
        "{} to {}",
        format_date(round.period_start.as_ref()),
        format_date(round.period_end.as_ref())
    )
}

impl Render for FeedbackRound {
    /// The round, then one line per person rated.
    fn human(&self) -> String {
        let mut text = key_values(&[
            ("id", self.id.clone()),
            ("account_id", self.account_id.clone()),
            ("external_id", self.external_id.clone()),
            ("period", period(self)),
            ("respondent_contact_id", self.respondent_contact_id.clone()),
            ("respondent_name", self.respondent_name.clone()),
            ("source", enums::name::<feedback_round::Source>(self.source)),
            ("comment", self.comment.clone()),
            ("recorded_by_staff_id", self.recorded_by_staff_id.clone()),
            ("create_time", output::timestamp(self.create_time.as_ref())),
            ("update_time", output::timestamp(self.update_time.as_ref())),
            ("etag", self.etag.clone()),
        ]);
        let mut table = Table::new(&[
            "STAFF",
            "DEPARTMENT",
            "RESPONSIVENESS",
            "EXPERTISE",
            "FOLLOW-THROUGH",
            "COMMENT",
        ]);
        table.align_right(&[2, 3, 4]);
        for rating in &self.ratings {
            table.push(vec![
                rating.staff_id.clone(),
                rating.department_id.clone(),
                score(rating.responsiveness),
                score(rating.expertise),
                score(rating.follow_through),
                rating.comment.clone(),
            ]);
        }
        text.push('\n');
        text.push_str(&table.render());
        text
    }
}

client::impl_page!(ListFeedbackRoundsResponse, feedback_rounds);

impl Render for ListFeedbackRoundsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["ID", "ACCOUNT", "PERIOD", "RESPONDENT", "RATED", "SOURCE"]);
        table.align_right(&[4]);
        for round in &self.feedback_rounds {
            let respondent = if round.respondent_name.is_empty() {
                round.respondent_contact_id.clone()
            } else {
                round.respondent_name.clone()
            };
            table.push(vec![
                round.id.clone(),
                round.account_id.clone(),
                period(round),
                respondent,
                round.ratings.len().to_string(),
                enums::name::<feedback_round::Source>(round.source),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

/// A mean's value, or `-` without scores.
fn mean(mean: Option<&FeedbackMean>) -> String {
    match mean {
        Some(mean) if mean.count > 0 => mean.value.clone(),
        _ => "-".to_owned(),
    }
}

/// The cells of one row of the report after its group and bucket.
fn stats_cells(stats: Option<&FeedbackStats>) -> Vec<String> {
    let stats = stats.cloned().unwrap_or_default();
    vec![
        stats.rating_count.to_string(),
        mean(stats.responsiveness.as_ref()),
        mean(stats.expertise.as_ref()),
        mean(stats.follow_through.as_ref()),
        mean(stats.overall.as_ref()),
        stats.low_score_count.to_string(),
    ]
}

impl Render for FeedbackReport {
    /// One row per group and bucket, then the group's total over the window; the trend says how the
    /// overall mean moved against the bucket before.
    fn human(&self) -> String {
        let mut text = format!(
            "{} per {}, {} to {}\n\n",
            enums::name::<get_feedback_report_request::GroupBy>(self.group_by).to_lowercase(),
            enums::name::<get_feedback_report_request::Bucket>(self.bucket).to_lowercase(),
            format_date(self.start_date.as_ref()),
            format_date(self.end_date.as_ref()),
        );
        let mut table = Table::new(&[
            "GROUP",
            "BUCKET",
            "RATINGS",
            "RESPONSIVENESS",
            "EXPERTISE",
            "FOLLOW-THROUGH",
            "OVERALL",
            "LOW",
            "TREND",
        ]);
        table.align_right(&[2, 3, 4, 5, 6, 7]);
        for group in &self.groups {
            for bucket in &group.buckets {
                let mut row = vec![group.display_name.clone(), bucket.label.clone()];
                row.extend(stats_cells(bucket.stats.as_ref()));
                let trend = bucket.trend.clone().unwrap_or_default();
                row.push(
                    format!(
                        "{} {}",
                        enums::name::<feedback_trend::Direction>(trend.direction),
                        trend.delta
                    )
                    .trim_end()
                    .to_owned(),
                );
                table.push(row);
            }
            let mut total = vec![group.display_name.clone(), "all".to_owned()];
            total.extend(stats_cells(group.total.as_ref()));
            total.push(String::new());
            table.push(total);
        }
        let mut total = vec!["all".to_owned(), "all".to_owned()];
        total.extend(stats_cells(self.total.as_ref()));
        total.push(String::new());
        table.push(total);
        text.push_str(&table.render());
        text
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::{FeedbackBucket, FeedbackTrend, feedback_report};

    use super::*;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<FeedbackCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "feedback"], args].concat())?;
        match cli.command {
            Command::Feedback(command) => Ok(command),
            other => panic!("not a feedback command: {other:?}"),
        }
    }

    #[test]
    fn record_takes_a_rating_per_person() {
        let FeedbackCommand::Record(args) = try_parse(&[
            "record",
            "--account",
            "a1",
            "--from",
            "2026-01-01",
            "--to",
            "2026-03-31",
            "--rate",
            "s1=4,5,-",
            "--rate",
            "s2=-,2,1:promised a call back, never came",
            "--respondent",
            "Li Wei",
        ])
        .unwrap() else {
            panic!("not record");
        };
        let request = args.into_request();
        assert!(!request.request_id.is_empty(), "retries are recognised");
        let round = request.feedback_round.unwrap();
        assert_eq!(
            round.period_end,
            Some(Date {
                year: 2026,
                month: 3,
                day: 31
            })
        );
        assert_eq!(
            round
                .ratings
                .iter()
                .map(|r| (
                    r.staff_id.as_str(),
                    r.responsiveness,
                    r.expertise,
                    r.follow_through,
                    r.comment.as_str()
                ))
                .collect::<Vec<_>>(),
            [
                ("s1", 4, 5, 0, ""),
                ("s2", 0, 2, 1, "promised a call back, never came")
            ]
        );
        assert_eq!(round.respondent_name, "Li Wei");
        assert!(
            try_parse(&[
                "record",
                "--account",
                "a1",
                "--from",
                "2026-01-01",
                "--to",
                "2026-03-31"
            ])
            .is_err()
        );
        for bad in ["s1", "s1=4,5", "s1=4,5,6", "=4,4,4", "s1=a,b,c"] {
            assert!(parse_rating(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn report_and_list_take_their_filters() {
        let FeedbackCommand::Report(args) = try_parse(&[
            "report",
            "--by",
            "department",
            "--bucket",
            "month",
            "--from",
            "2026-01-01",
        ])
        .unwrap() else {
            panic!("not report");
        };
        let request = args.into_request();
        assert_eq!(
            request.group_by,
            get_feedback_report_request::GroupBy::Department as i32
        );
        assert_eq!(request.bucket, get_feedback_report_request::Bucket::Month as i32);
        assert_eq!(
            request.start_date,
            Some(Date {
                year: 2026,
                month: 1,
                day: 1
            })
        );
        assert!(try_parse(&["report"]).is_err(), "--by is required");
        assert!(try_parse(&["report", "--by", "team"]).is_err());
        let FeedbackCommand::List(args) =
            try_parse(&["list", "--account", "a1", "--ended-from", "2026-01-01", "--all"]).unwrap()
        else {
            panic!("not list");
        };
        let filter = args.filter();
        assert_eq!(filter.account_id, "a1");
        assert_eq!(
            filter.period_end_from,
            Some(Date {
                year: 2026,
                month: 1,
                day: 1
            })
        );
        assert!(args.paging.all);
    }

    fn mean(sum: i64, count: i64, value: &str) -> Option<FeedbackMean> {
        Some(FeedbackMean {
            sum,
            count,
            value: value.into(),
        })
    }

    #[test]
    fn the_report_shows_each_bucket_its_trend_and_the_totals() {
        let stats = FeedbackStats {
            rating_count: 2,
            responsiveness: mean(8, 2, "4.00"),
            expertise: mean(4, 1, "4.00"),
            follow_through: mean(0, 0, ""),
            overall: mean(12, 3, "4.00"),
            low_score_count: 0,
        };
        let report = FeedbackReport {
            group_by: get_feedback_report_request::GroupBy::Person as i32,
            bucket: get_feedback_report_request::Bucket::Quarter as i32,
            start_date: Some(Date {
                year: 2026,
                month: 1,
                day: 1,
            }),
            end_date: Some(Date {
                year: 2026,
                month: 3,
                day: 31,
            }),
            groups: vec![feedback_report::Group {
                staff_id: "s1".into(),
                department_id: "d1".into(),
                display_name: "Anna".into(),
                total: Some(stats.clone()),
                buckets: vec![FeedbackBucket {
                    start_date: Some(Date {
                        year: 2026,
                        month: 1,
                        day: 1,
                    }),
                    label: "2026-Q1".into(),
                    stats: Some(stats.clone()),
                    trend: Some(FeedbackTrend {
                        direction: feedback_trend::Direction::Down as i32,
                        delta: "-0.33".into(),
                        previous: mean(13, 3, "4.33"),
                    }),
                }],
            }],
            total: Some(stats),
        };
        assert_eq!(
            report.human(),
            "person per quarter, 2026-01-01 to 2026-03-31\n\
             \n\
             GROUP  BUCKET   RATINGS  RESPONSIVENESS  EXPERTISE  FOLLOW-THROUGH  OVERALL  LOW  TREND\n\
             Anna   2026-Q1        2            4.00       4.00               -     4.00    0  DOWN -0.33\n\
             Anna   all            2            4.00       4.00               -     4.00    0\n\
             all    all            2            4.00       4.00               -     4.00    0\n"
        );
    }
}

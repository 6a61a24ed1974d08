//! `kamctl revenue ...`: revenue records from the ERP, through kam.v1.PlanningService: import a CSV file
//! of records in batches, list the records, and show an account's revenue per month.
//!
//! Amounts are in the deployment's reporting currency (the server refuses any other), exact to the
//! nano and never a float (`money`). A month on the command line and in the file is `YYYY-MM`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use kam_proto::v1::{
    GetMonthlyRevenueRequest, ListRevenueRecordsRequest, ListRevenueRecordsResponse, Money, Month,
    MonthlyRevenue, RevenueRecord, UpsertRevenueRecordsRequest, UpsertRevenueRecordsResponse,
};
use serde::Serialize;
use tonic::Status;
use tonic_types::StatusExt;

use crate::Global;
use crate::client::{self, PageArgs};
use crate::error::Error;
use crate::money;
use crate::output::{self, Render, Table, count, key_values};
use crate::retry;

/// The most records one UpsertRevenueRecords call takes.
const BATCH_SIZE: usize = 5000;

/// The columns of an import file, in this order.
const CSV_HEADER: [&str; 4] = ["external_id", "account_id", "period", "amount"];

/// The longest external id the server takes, in characters.
const MAX_EXTERNAL_ID: usize = 128;

/// How many bad lines an import lists before it only counts the rest.
const MAX_LISTED_LINES: usize = 20;

/// The longest bar of `revenue monthly`, in terminal columns.
const BAR_WIDTH: usize = 40;

#[derive(Debug, Subcommand)]
pub enum RevenueCommand {
    /// Import revenue records from a CSV file, creating or replacing them by external id, in batches
    /// of up to 5000 records. A file with any bad line is refused as a whole: nothing is sent.
    Import(ImportArgs),
    /// List revenue records: one page, or every page with --all.
    List(ListArgs),
    /// Show an account's revenue per month (months without records as zero) and the total.
    Monthly(MonthlyArgs),
    /// Show the revenue of all accounts over a range of months, in total and (with --group-by) per
    /// industry or region.
    Report(crate::revenue_report::ReportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CSV file: the header line `external_id,account_id,period,amount`, then one record per line,
    /// e.g. `INV-1001,<ACCOUNT_ID>,2026-03,1250.50 EUR`. Fields never contain commas; blank lines are
    /// skipped.
    #[arg(long, value_name = "FILE.csv")]
    file: PathBuf,

    /// The currency of the amounts written without one (`1250.50`): the server's reporting currency.
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    currency: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only the records of this account.
    #[arg(long, value_name = "ID")]
    account: Option<String>,

    /// Only the records of this month (YYYY-MM) and later.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    from: Option<Month>,

    /// Only the records of this month (YYYY-MM) and earlier.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    to: Option<Month>,

    /// "external_id" [default: creation order].
    #[arg(long, value_name = "ORDER")]
    order_by: Option<String>,

    #[command(flatten)]
    paging: PageArgs,
}

#[derive(Debug, Args)]
pub struct MonthlyArgs {
    /// The account.
    #[arg(long, value_name = "ID")]
    account: String,

    /// The first month (YYYY-MM) [default: 11 months before --to].
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    from: Option<Month>,

    /// The last month (YYYY-MM) [default: this month, UTC]; at most 120 months in all.
    #[arg(long, value_name = "YYYY-MM", value_parser = parse_month)]
    to: Option<Month>,
}

pub async fn run(command: RevenueCommand, global: &Global) -> Result<(), Error> {
    match command {
        RevenueCommand::Import(args) => import(args, global).await,
        RevenueCommand::List(args) => list(args, global).await,
        RevenueCommand::Report(args) => crate::revenue_report::run(args, global).await,
        RevenueCommand::Monthly(args) => {
            let request = GetMonthlyRevenueRequest {
                account_id: args.account,
                from_period: args.from,
                to_period: args.to,
            };
            let monthly = client::planning(global)
                .await?
                .get_monthly_revenue(request)
                .await?
                .into_inner();
            Ok(output::print(&monthly, global.json)?)
        }
    }
}

/// Reads and checks the whole file first, so that a bad line sends nothing; then sends the records in
/// batches and prints the summed counts.
async fn import(args: ImportArgs, global: &Global) -> Result<(), Error> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|err| Error::Usage(format!("cannot read {}: {err}", args.file.display())))?;
    let rows =
        parse_csv(&text, args.currency.as_deref()).map_err(|bad| Error::Usage(refusal(&args.file, &bad)))?;
    let (lines, records): (Vec<usize>, Vec<RevenueRecord>) =
        rows.into_iter().map(|row| (row.line, row.record)).unzip();

    let mut client = client::planning(global).await?;
    let batches = lines.len().div_ceil(BATCH_SIZE);
    let mut records = records.into_iter();
    let mut totals = UpsertRevenueRecordsResponse::default();
    for (index, batch_lines) in lines.chunks(BATCH_SIZE).enumerate() {
        let request = UpsertRevenueRecordsRequest {
            records: records.by_ref().take(batch_lines.len()).collect(),
        };
        let batch = Batch {
            index,
            count: batches,
            lines: batch_lines,
            stored: index * BATCH_SIZE,
        };
        // Upserts by external id: a batch sent again after a lost answer writes nothing twice (its
        // records then count as unchanged).
        let response = client
            .upsert_revenue_records(retry::idempotent(request))
            .await
            .map_err(|status| batch.locate(status))?
            .into_inner();
        totals.created += response.created;
        totals.updated += response.updated;
        totals.unchanged += response.unchanged;
    }
    let imported = Imported {
        totals,
        records: lines.len(),
        batches,
    };
    Ok(output::print(&imported, global.json)?)
}

async fn list(args: ListArgs, global: &Global) -> Result<(), Error> {
    let mut client = client::planning(global).await?;
    let filter = ListRevenueRecordsRequest {
        account_id: args.account.unwrap_or_default(),
        from_period: args.from,
        to_period: args.to,
        order_by: args.order_by.unwrap_or_default(),
        ..Default::default()
    };
    let fetch = async |page_size, page_token| {
        let request = ListRevenueRecordsRequest {
            page_size,
            page_token,
            ..filter.clone()
        };
        Ok(client.list_revenue_records(request).await?.into_inner())
    };
    let records = args.paging.fetch(fetch).await?;
    Ok(output::print(&records, global.json)?)
}

// ---------------------------------------------------------------------------------------------------
// Months, amounts and the import file
// ---------------------------------------------------------------------------------------------------

/// Parses a `YYYY-MM` month, year 1900 to 9999 as the server takes them.
pub fn parse_month(text: &str) -> Result<Month, String> {
    let invalid = || format!("`{text}` is not a month; expected YYYY-MM such as 2026-03");
    let (year, month) = text.split_once('-').ok_or_else(invalid)?;
    let number = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<i32>().ok())
            .flatten()
    };
    match (number(year, 4), number(month, 2)) {
        (Some(year), Some(month)) if (1900..=9999).contains(&year) && (1..=12).contains(&month) => {
            Ok(Month { year, month })
        }
        _ => Err(invalid()),
    }
}

/// `2026-03`; "" when there is none.
pub fn format_month(month: Option<&Month>) -> String {
    month.map_or_else(String::new, |m| format!("{:04}-{:02}", m.year, m.month))
}

/// Parses `--currency`: a three-letter code in any case.
fn parse_currency(text: &str) -> Result<String, String> {
    if money::is_currency(text) {
        Ok(text.to_ascii_uppercase())
    } else {
        Err(format!(
            "`{text}` is not a three-letter currency code such as EUR"
        ))
    }
}

/// Parses the amount of a line: `1250.50 EUR`, or a bare `1250.50` in `currency` when one was given.
fn parse_amount(text: &str, currency: Option<&str>) -> Result<Money, String> {
    let bare = text.split_whitespace().count() == 1;
    match currency {
        Some(currency) if bare => money::parse_money(&format!("{text} {currency}")),
        None if bare => Err(format!(
            "the amount `{text}` has no currency: write it as `{text} EUR` or pass --currency"
        )),
        _ => money::parse_money(text),
    }
}

/// A record of the import file and the line it is on (1 is the header).
#[derive(Debug, PartialEq)]
struct CsvRecord {
    line: usize,
    record: RevenueRecord,
}

/// Parses an import file: the header, then one record per non-blank line. Every bad line is reported
/// as `line N: why`, in file order, and then there are no records at all.
///
/// Besides what each line must be, the file must not repeat an external id (the later line would
/// silently replace the earlier one) nor mix currencies (the server takes one, so part of the file
/// would be refused after the rest was stored).
fn parse_csv(text: &str, currency: Option<&str>) -> Result<Vec<CsvRecord>, Vec<String>> {
    // Spreadsheets like to start UTF-8 files with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = (1..).zip(text.lines());
    let header = lines.next().map(|(_, line)| fields(line)).unwrap_or_default();
    let header_ok = header.len() == CSV_HEADER.len()
        && header
            .iter()
            .zip(CSV_HEADER)
            .all(|(got, want)| got.eq_ignore_ascii_case(want));
    if !header_ok {
        return Err(vec![format!(
            "line 1: expected the header `{}`",
            CSV_HEADER.join(",")
        )]);
    }

    let mut records = Vec::new();
    let mut bad = Vec::new();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut first_currency: Option<(String, usize)> = None;
    for (line, text) in lines {
        if text.trim().is_empty() {
            continue;
        }
        let record = match parse_line(text, currency) {
            Ok(record) => record,
            Err(why) => {
                bad.push(format!("line {line}: {why}"));
                continue;
            }
        };
        match first_line_of.entry(record.external_id.clone()) {
            Entry::Occupied(first) => {
                bad.push(format!(
                    "line {line}: external id {} is already on line {}",
                    record.external_id,
                    first.get()
                ));
                continue;
            }
            Entry::Vacant(slot) => {
                slot.insert(line);
            }
        }
        let code = record.amount.as_ref().map_or("", |m| m.currency_code.as_str());
        match &first_currency {
            None => first_currency = Some((code.to_owned(), line)),
            Some((first, first_line)) if first != code => bad.push(format!(
                "line {line}: the amount is in {code}, line {first_line}'s in {first}: every amount \
                 must be in the reporting currency"
            )),
            Some(_) => {}
        }
        records.push(CsvRecord { line, record });
    }
    if bad.is_empty() && records.is_empty() {
        bad.push("no records: the file has only the header".to_owned());
    }
    if bad.is_empty() { Ok(records) } else { Err(bad) }
}

/// The fields of a line, trimmed.
fn fields(line: &str) -> Vec<&str> {
    line.split(',').map(str::trim).collect()
}

fn parse_line(line: &str, currency: Option<&str>) -> Result<RevenueRecord, String> {
    let fields = fields(line);
    let [external_id, account_id, period, amount] = fields[..] else {
        return Err(format!(
            "expected 4 fields ({}), found {}",
            CSV_HEADER.join(","),
            fields.len()
        ));
    };
    if external_id.is_empty() || account_id.is_empty() {
        return Err("the external_id and the account_id must not be empty".to_owned());
    }
    if external_id.chars().count() > MAX_EXTERNAL_ID {
        return Err(format!(
            "the external_id is longer than {MAX_EXTERNAL_ID} characters"
        ));
    }
    Ok(RevenueRecord {
        external_id: external_id.to_owned(),
        account_id: account_id.to_owned(),
        period: Some(parse_month(period)?),
        amount: Some(parse_amount(amount, currency)?),
        ..Default::default()
    })
}

/// The usage error of a refused file: its bad lines (the first few), and that nothing was sent.
fn refusal(file: &Path, bad: &[String]) -> String {
    let mut text = format!(
        "{} was not imported ({}; nothing was sent):",
        file.display(),
        count(bad.len(), "problem", "problems")
    );
    for line in bad.iter().take(MAX_LISTED_LINES) {
        text.push_str("\n  ");
        text.push_str(line);
    }
    if bad.len() > MAX_LISTED_LINES {
        text.push_str(&format!("\n  … and {} more", bad.len() - MAX_LISTED_LINES));
    }
    text
}

/// One UpsertRevenueRecords call of an import.
struct Batch<'a> {
    /// From 0.
    index: usize,
    /// How many batches the import has.
    count: usize,
    /// The file line of each record of the batch.
    lines: &'a [usize],
    /// How many records the batches before stored.
    stored: usize,
}

impl Batch<'_> {
    /// The server's refusal of the batch, told in terms of the file: each field violation on
    /// `records[i]` names its line, and the message says which batch it was and what the batches
    /// before stored.
    fn locate(&self, status: Status) -> Status {
        let mut details = status.get_error_details();
        if let Some(bad_request) = details.bad_request() {
            let violations: Vec<_> = bad_request
                .field_violations
                .iter()
                .cloned()
                .map(|mut violation| {
                    if let Some(line) = self.line_of(&violation.field) {
                        violation.field = format!("{} (line {line})", violation.field);
                    }
                    violation
                })
                .collect();
            details.set_bad_request(violations);
        }
        let mut message = status.message().to_owned();
        if self.count > 1 {
            let (first, last) = (self.lines[0], self.lines[self.lines.len() - 1]);
            message.push_str(&format!(
                " [batch {} of {}, lines {first}-{last}",
                self.index + 1,
                self.count
            ));
            if self.stored > 0 {
                message.push_str(&format!(
                    "; the {} records before line {first} were stored, and importing the file again \
                     is safe: records are keyed by external id",
                    self.stored
                ));
            }
            message.push(']');
        }
        Status::with_error_details(status.code(), message, details)
    }

    /// The file line of the record a field path such as `records[3].amount` names.
    fn line_of(&self, field: &str) -> Option<usize> {
        let index = field.strip_prefix("records[")?.split_once(']')?.0;
        self.lines.get(index.parse::<usize>().ok()?).copied()
    }
}

// ---------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------

/// The result of an import: the summed counts as JSON (an UpsertRevenueRecordsResponse); for people,
/// also how many records went in how many batches.
#[derive(Serialize)]
#[serde(transparent)]
struct Imported {
    totals: UpsertRevenueRecordsResponse,
    #[serde(skip)]
    records: usize,
    #[serde(skip)]
    batches: usize,
}

impl Render for Imported {
    fn human(&self) -> String {
        let mut text = format!(
            "imported {} in {}\n",
            count(self.records, "record", "records"),
            count(self.batches, "batch", "batches")
        );
        text.push_str(&key_values(&[
            ("created", self.totals.created.to_string()),
            ("updated", self.totals.updated.to_string()),
            ("unchanged", self.totals.unchanged.to_string()),
        ]));
        text
    }
}

client::impl_page!(ListRevenueRecordsResponse, records);

impl Render for ListRevenueRecordsResponse {
    fn human(&self) -> String {
        let mut table = Table::new(&["EXTERNAL ID", "ACCOUNT", "PERIOD", "AMOUNT"]);
        table.align_right(&[3]);
        for record in &self.records {
            table.push(vec![
                record.external_id.clone(),
                record.account_id.clone(),
                format_month(record.period.as_ref()),
                money::format_optional(record.amount.as_ref()),
            ]);
        }
        let mut text = table.render();
        output::next_page(&mut text, &self.next_page_token);
        text
    }
}

impl Render for MonthlyRevenue {
    /// One line per month with a bar scaled to the largest month (months with no or negative revenue
    /// get none), then the total.
    fn human(&self) -> String {
        let nanos = |amount: Option<&Money>| amount.map_or(0, money::total_nanos);
        let max = self
            .months
            .iter()
            .map(|month| nanos(month.amount.as_ref()))
            .max()
            .unwrap_or(0);
        let mut table = Table::new(&["MONTH", "RECORDS", "AMOUNT", ""]);
        table.align_right(&[1, 2]);
        for month in &self.months {
            table.push(vec![
                format_month(month.period.as_ref()),
                month.record_count.to_string(),
                money::format_optional(month.amount.as_ref()),
                output::bar(nanos(month.amount.as_ref()), max, BAR_WIDTH),
            ]);
        }
        table.push(vec![String::new(); 4]);
        let records: i64 = self.months.iter().map(|m| i64::from(m.record_count)).sum();
        table.push(vec![
            "TOTAL".to_owned(),
            records.to_string(),
            money::format_optional(self.total.as_ref()),
            String::new(),
        ]);
        format!("account {}\n\n{}", self.account_id, table.render())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use kam_proto::v1::monthly_revenue::MonthTotal;
    use tonic::Code;
    use tonic_types::{ErrorDetails, FieldViolation};

    use super::*;
    use crate::error::describe_status;
    use crate::{Cli, Command};

    fn try_parse(args: &[&str]) -> Result<RevenueCommand, clap::Error> {
        let cli = Cli::try_parse_from([&["kamctl", "revenue"], args].concat())?;
        match cli.command {
            Command::Revenue(command) => Ok(command),
            other => panic!("not a revenue command: {other:?}"),
        }
    }

    fn eur(units: i64, nanos: i32) -> Money {
        Money {
            currency_code: "EUR".into(),
            units,
            nanos,
        }
    }

    fn record(external_id: &str, account_id: &str, year: i32, month: i32, amount: Money) -> RevenueRecord {
        RevenueRecord {
            external_id: external_id.into(),
            account_id: account_id.into(),
            period: Some(Month { year, month }),
            amount: Some(amount),
            ..Default::default()
        }
    }

    #[test]
    fn months_are_yyyy_mm() {
        assert_eq!(parse_month("2026-03"), Ok(Month { year: 2026, month: 3 }));
        assert_eq!(
            parse_month("1900-12"),
            Ok(Month {
                year: 1900,
                month: 12
            })
        );
        for text in [
            "2026-3",
            "26-03",
            "2026-13",
            "2026-00",
            "1899-12",
            "2026-03-01",
            "2026/03",
            "",
            "-2026-03",
            "２026-03",
        ] {
            assert!(parse_month(text).is_err(), "{text:?} was accepted");
        }
        assert_eq!(format_month(Some(&Month { year: 2026, month: 3 })), "2026-03");
        assert_eq!(format_month(None), "");
    }

    #[test]
    fn amounts_take_their_own_currency_or_the_flag() {
        assert_eq!(parse_amount("1250.50 EUR", None), Ok(eur(1250, 500_000_000)));
        assert_eq!(parse_amount("1250.50", Some("EUR")), Ok(eur(1250, 500_000_000)));
        // The amount's own currency wins; the server judges it.
        assert_eq!(
            parse_amount("-20 usd", Some("EUR")).map(|m| m.currency_code),
            Ok("USD".to_owned())
        );
        let err = parse_amount("1250.50", None).unwrap_err();
        assert!(err.contains("--currency"), "{err}");
        assert!(parse_amount("1,250.50", Some("EUR")).is_err());
        assert!(parse_amount("", Some("EUR")).is_err());
        assert_eq!(parse_currency("eur"), Ok("EUR".to_owned()));
        assert!(parse_currency("EURO").is_err());
    }

    #[test]
    fn a_file_parses_to_records_with_their_lines() {
        let text = "\u{feff}external_id,account_id,period,amount\r\n\
                    INV-1, a1 ,2026-01,1250.50 EUR\r\n\
                    \r\n\
                    INV-2,a2,2026-02,-20\n";
        let records = parse_csv(text, Some("EUR")).unwrap();
        assert_eq!(
            records,
            [
                CsvRecord {
                    line: 2,
                    record: record("INV-1", "a1", 2026, 1, eur(1250, 500_000_000)),
                },
                CsvRecord {
                    line: 4,
                    record: record("INV-2", "a2", 2026, 2, eur(-20, 0)),
                },
            ]
        );
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = "external_id,account_id,period,amount\n\
                    INV-1,a1,2026-01,100 EUR\n\
                    INV-2,a1,2026-13,100 EUR\n\
                    INV-3,a1,2026-01\n\
                    INV-1,a2,2026-02,5 EUR\n\
                    INV-4,a1,2026-01,100\n\
                    INV-5,a1,2026-01,7 USD\n\
                    ,a1,2026-01,1 EUR\n";
        let bad = parse_csv(text, None).unwrap_err();
        assert_eq!(bad.len(), 6, "{bad:#?}");
        assert!(
            bad[0].starts_with("line 3: `2026-13` is not a month"),
            "{}",
            bad[0]
        );
        assert!(bad[1].starts_with("line 4: expected 4 fields"), "{}", bad[1]);
        assert_eq!(bad[2], "line 5: external id INV-1 is already on line 2");
        assert!(
            bad[3].starts_with("line 6: the amount `100` has no currency"),
            "{}",
            bad[3]
        );
        assert!(
            bad[4].starts_with("line 7: the amount is in USD, line 2's in EUR"),
            "{}",
            bad[4]
        );
        assert!(
            bad[5].starts_with("line 8: the external_id and the account_id"),
            "{}",
            bad[5]
        );
    }

    #[test]
    fn the_header_is_required_and_so_is_a_record() {
        for text in [
            "",
            "INV-1,a1,2026-01,100 EUR\n",
            "external_id,account_id,amount,period\n",
        ] {
            assert_eq!(
                parse_csv(text, None).unwrap_err(),
                ["line 1: expected the header `external_id,account_id,period,amount`"],
                "{text:?}"
            );
        }
        assert!(parse_csv("External_ID, Account_ID ,period,amount\nX,a,2026-01,1 EUR", None).is_ok());
        assert_eq!(
            parse_csv("external_id,account_id,period,amount\n\n", None).unwrap_err(),
            ["no records: the file has only the header"]
        );
        let long = format!(
            "external_id,account_id,period,amount\n{},a,2026-01,1 EUR",
            "x".repeat(129)
        );
        assert!(parse_csv(&long, None).unwrap_err()[0].contains("longer than 128"));
    }

    #[test]
    fn a_refusal_lists_the_first_lines_and_counts_the_rest() {
        let bad: Vec<String> = (1..=25).map(|n| format!("line {n}: bad")).collect();
        let text = refusal(Path::new("revenue.csv"), &bad);
        assert!(
            text.starts_with(
                "revenue.csv was not imported (25 problems; nothing was sent):\n  line 1: bad\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("\n  line 20: bad\n  … and 5 more"), "{text}");
        assert_eq!(
            refusal(Path::new("r.csv"), &bad[..1]),
            "r.csv was not imported (1 problem; nothing was sent):\n  line 1: bad"
        );
    }

    #[test]
    fn a_refused_batch_names_the_lines_of_its_records() {
        let mut details = ErrorDetails::with_bad_request(vec![
            FieldViolation::new("records[1].amount.currency_code", "must be EUR"),
            FieldViolation::new("records", "something else"),
        ]);
        details.set_error_info("VALIDATION", "kam.v1", HashMap::new());
        let status = Status::with_error_details(Code::InvalidArgument, "invalid records", details);
        let lines = [5002, 5004, 5005];
        let second = Batch {
            index: 1,
            count: 2,
            lines: &lines,
            stored: 5000,
        };
        assert_eq!(
            describe_status(&second.locate(status.clone())),
            "INVALID_ARGUMENT: invalid records [batch 2 of 2, lines 5002-5005; the 5000 records before \
             line 5002 were stored, and importing the file again is safe: records are keyed by external id]\n\
             \x20 field records[1].amount.currency_code (line 5004): must be EUR\n\
             \x20 field records: something else\n\
             \x20 reason: VALIDATION (domain kam.v1)"
        );
        let only = Batch {
            index: 0,
            count: 1,
            lines: &lines,
            stored: 0,
        };
        assert!(describe_status(&only.locate(status)).starts_with("INVALID_ARGUMENT: invalid records\n"));
        assert_eq!(only.line_of("records[2].period"), Some(5005));
        assert_eq!(only.line_of("records[3].period"), None);
        assert_eq!(only.line_of("records[x]"), None);
    }

    #[test]
    fn flags_reach_the_requests() {
        let RevenueCommand::Import(args) =
            try_parse(&["import", "--file", "r.csv", "--currency", "eur"]).unwrap()
        else {
            panic!("not an import");
        };
        assert_eq!(
            (args.file, args.currency),
            (PathBuf::from("r.csv"), Some("EUR".to_owned()))
        );
        assert!(try_parse(&["import"]).is_err());

        let RevenueCommand::List(args) =
            try_parse(&["list", "--account", "a1", "--from", "2026-01"]).unwrap()
        else {
            panic!("not a list");
        };
        assert_eq!(args.account.as_deref(), Some("a1"));
        assert_eq!(args.from, Some(Month { year: 2026, month: 1 }));
        assert!(try_parse(&["list", "--to", "2026-1"]).is_err());

        assert!(
            try_parse(&["monthly", "--from", "2026-01"]).is_err(),
            "--account is required"
        );
        assert!(try_parse(&["monthly", "--account", "a1"]).is_ok());
    }

    #[test]
    fn the_list_is_a_table_of_exact_amounts() {
        let response = ListRevenueRecordsResponse {
            records: vec![
                record("INV-1", "a1", 2026, 1, eur(1250, 500_000_000)),
                record("CN-7", "a1", 2026, 2, eur(-20, 0)),
            ],
            next_page_token: "t2".into(),
        };
        assert_eq!(
            response.human(),
            "EXTERNAL ID  ACCOUNT  PERIOD        AMOUNT\n\
             INV-1        a1       2026-01  1250.50 EUR\n\
             CN-7         a1       2026-02   -20.00 EUR\n\
             next page: t2\n"
        );
    }

    #[test]
    fn monthly_draws_a_bar_per_month_and_the_total() {
        let month = |month, units, record_count| MonthTotal {
            period: Some(Month { year: 2026, month }),
            amount: Some(eur(units, 0)),
            record_count,
        };
        let monthly = MonthlyRevenue {
            account_id: "a1".into(),
            months: vec![
                month(1, 100, 1),
                month(2, 0, 0),
                month(3, 50, 2),
                month(4, -15, 1),
            ],
            total: Some(eur(135, 0)),
        };
        let bar = |n: usize| "█".repeat(n);
        assert_eq!(
            monthly.human(),
            format!(
                "account a1\n\
                 \n\
                 MONTH    RECORDS      AMOUNT\n\
                 2026-01        1  100.00 EUR  {}\n\
                 2026-02        0    0.00 EUR\n\
                 2026-03        2   50.00 EUR  {}\n\
                 2026-04        1  -15.00 EUR\n\
                 \n\
                 TOTAL          4  135.00 EUR\n",
                bar(40),
                bar(20)
            )
        );
    }

    #[test]
    fn an_import_prints_the_counts() {
        let imported = Imported {
            totals: UpsertRevenueRecordsResponse {
                created: 3,
                updated: 1,
                unchanged: 0,
            },
            records: 4,
            batches: 1,
        };
        assert_eq!(
            imported.human(),
            "imported 4 records in 1 batch\n\
             created:   3\n\
             updated:   1\n\
             unchanged: 0\n"
        );
        assert_eq!(
            serde_json::to_value(&imported).unwrap(),
            serde_json::json!({"created": 3, "updated": 1})
        );
    }
}

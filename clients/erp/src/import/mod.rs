//! `kam-erp import <RESOURCE> FILE`: the rows of an ERP file sent to the resource's import RPC, in
//! calls of `--call-rows` rows, each call a stream of `--batch-rows` batches.
//!
//! After each call the server acknowledged, its rejects are appended to the rejects file and a
//! checkpoint is saved; a run that finds a checkpoint for the same file resumes after it. A call that
//! fails with UNAVAILABLE (or cannot connect) is sent again, all of it, after a backoff: imports are
//! upserts by external id, so rows the failed call did write come back `unchanged`.

mod call;
mod checkpoint;
mod rejects;
mod totals;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;

use self::call::{CallFailure, CallPlan};
use self::checkpoint::{Checkpoint, FileIdentity};
use self::rejects::{RejectsFile, in_file_order, server_rejects};
use self::totals::Totals;
use crate::Global;
use crate::columns::{Mapping, ResolvedMapping, parse_pair};
use crate::connection::{IntegrationClient, connect};
use crate::error::Error;
use crate::paths::with_suffix;
use crate::progress::{self, Counters, Printer};
use crate::resources::{Resource, ResourceName};
use crate::retry::{DEFAULT_MAX_RETRIES, Retrier, RetryPolicy};
use crate::source::{Format, Position, SourceFile};

/// The most rows a message may hold (the server's limit).
const MAX_BATCH_ROWS: u64 = 5000;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// What the file holds.
    pub resource: ResourceName,

    /// The file to import: CSV with a header line, or JSON lines. `kam-erp columns <RESOURCE>` lists
    /// the columns.
    pub file: PathBuf,

    /// The file's format [default: from its extension: .csv, .jsonl or .ndjson].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// The CSV delimiter, one ASCII character, e.g. ';' or '\t' for a tab.
    #[arg(long, default_value = ",", value_parser = parse_delimiter)]
    pub delimiter: u8,

    /// Rows per message (one server transaction each), at most 5000.
    #[arg(long, value_name = "N", default_value_t = MAX_BATCH_ROWS,
          value_parser = clap::value_parser!(u64).range(1..=MAX_BATCH_ROWS))]
    pub batch_rows: u64,

    /// Rows per call: a checkpoint is saved after each call. A call must finish within the server's
    /// request timeout (30 s by default).
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub call_rows: u64,

    /// Where progress is saved to resume from [default: <FILE>.kam-erp-checkpoint].
    #[arg(long, value_name = "PATH")]
    pub checkpoint: Option<PathBuf>,

    /// Where the rows that were not imported are listed, one JSON line each [default:
    /// <FILE>.rejects.jsonl].
    #[arg(long, value_name = "PATH")]
    pub rejects: Option<PathBuf>,

    /// Import the whole file again, ignoring a checkpoint from an earlier run.
    #[arg(long)]
    pub restart: bool,

    /// Fill FIELD from the file's column ERP_COLUMN, e.g. --map KUNNR=account_external_id; repeat for
    /// several.
    #[arg(long = "map", value_name = "ERP_COLUMN=FIELD", value_parser = parse_pair)]
    pub renames: Vec<(String, String)>,

    /// Give FIELD this value in rows where it is missing or empty, e.g. --default currency=EUR.
    #[arg(long = "default", value_name = "FIELD=VALUE", value_parser = parse_pair)]
    pub defaults: Vec<(String, String)>,

    /// Show the progress line on stderr even when it is not a terminal (a line every 5 s).
    #[arg(long)]
    pub progress: bool,

    /// Print the final summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `,`, `;`, `|`, `\t` (or a real tab): one ASCII character.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "\\t" | "\t" | "tab" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(format!("`{text}` is not one ASCII character")),
    }
}

pub async fn run(args: ImportArgs, global: &Global) -> Result<ExitCode, Error> {
    crate::resources::with_resource!(args.resource, R => import::<R>(args, global).await)
}

/// Where a run starts: after a matching checkpoint, or at the first row.
struct Start {
    next: Position,
    /// The line of the last row done by earlier runs.
    last_line: u64,
    totals: Totals,
    rejects_bytes: u64,
    resumed: bool,
}

async fn import<R: Resource>(args: ImportArgs, global: &Global) -> Result<ExitCode, Error> {
    let format = match args.format {
        Some(format) => format,
        None => Format::of_path(&args.file).ok_or_else(|| {
            Error::Usage(format!(
                "cannot tell the format of {} from its name: give --format csv or --format jsonl",
                args.file.display()
            ))
        })?,
    };
    let mapping = Mapping {
        renames: args.renames.clone(),
        defaults: args.defaults.clone(),
    };
    let mapping = ResolvedMapping::new(R::COLUMNS, &mapping).map_err(|err| Error::Usage(err.0))?;
    let file = Arc::new(SourceFile::open(&args.file, format, args.delimiter, mapping)?);
    let identity = FileIdentity::of(&args.file).map_err(|err| Error::file(&args.file, err))?;
    let client = connect(&global.addr, global.api_key_file.as_deref())?;
    let checkpoint_path = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| with_suffix(&args.file, ".kam-erp-checkpoint"));
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| with_suffix(&args.file, ".rejects.jsonl"));

    let start = start_point::<R>(&args, &checkpoint_path, &identity, &file)?;
    if start.resumed {
        eprintln!(
            "resuming {} after line {}: {} rows were imported by earlier runs (checkpoint {})",
            args.file.display(),
            start.last_line,
            start.totals.rows,
            checkpoint_path.display()
        );
    }
    let mut run = Run {
        client,
        file,
        identity,
        checkpoint_path,
        rejects: RejectsFile::open(&rejects_path, start.rejects_bytes)?,
        next: start.next,
        last_line: start.last_line,
        totals: start.totals,
        counters: Arc::new(Counters::default()),
    };
    let terminal = std::io::stderr().is_terminal();
    let printer = (args.progress || terminal).then(|| {
        Printer::start(
            Arc::clone(&run.counters),
            run.file.size(),
            run.totals.rows,
            terminal,
        )
    });
    let started = Instant::now();
    let rows_before = run.totals.rows;
    let policy = RetryPolicy::new(Some(global.max_retries.unwrap_or(DEFAULT_MAX_RETRIES)));
    let outcome = run.calls::<R>(&args, policy).await;
    if let Some(printer) = printer {
        printer.stop().await;
    }
    if let Err(err) = outcome {
        if run.totals.calls > 0 {
            eprintln!(
                "the rows up to line {} are imported; run the same command again to resume after it \
                 (checkpoint {})",
                run.last_line,
                run.checkpoint_path.display()
            );
        }
        return Err(err);
    }

    match std::fs::remove_file(&run.checkpoint_path) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(Error::file(&run.checkpoint_path, err)),
    }
    run.rejects.finish()?;
    let report = Report {
        resource: R::NAME,
        file: &args.file,
        totals: run.totals,
        rows_this_run: run.totals.rows - rows_before,
        elapsed: started.elapsed(),
        resumed_after: start.resumed.then_some(start.last_line),
        rejects: (run.totals.failed > 0).then_some(rejects_path.as_path()),
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// Resumes after the checkpoint when there is one for this file and resource (and no `--restart`).
fn start_point<R: Resource>(
    args: &ImportArgs,
    checkpoint_path: &Path,
    identity: &FileIdentity,
    file: &SourceFile,
) -> Result<Start, Error> {
    let fresh = Start {
        next: file.first_row(),
        last_line: 0,
        totals: Totals::default(),
        rejects_bytes: 0,
        resumed: false,
    };
    if args.restart {
        return Ok(fresh);
    }
    let Some(checkpoint) = Checkpoint::load(checkpoint_path)? else {
        return Ok(fresh);
    };
    if let Some(why) = checkpoint.mismatch(R::NAME, identity) {
        eprintln!(
            "warning: not resuming from {}: {why}; importing the whole file",
            checkpoint_path.display()
        );
        return Ok(fresh);
    }
    Ok(Start {
        next: checkpoint.next,
        last_line: checkpoint.last_line,
        totals: checkpoint.totals,
        rejects_bytes: checkpoint.rejects_bytes,
        resumed: true,
    })
}

/// An import under way.
struct Run {
    client: IntegrationClient,
    file: Arc<SourceFile>,
    identity: FileIdentity,
    checkpoint_path: PathBuf,
    rejects: RejectsFile,
    /// Where the next call starts.
    next: Position,
    /// The line of the last row of the acknowledged calls.
    last_line: u64,
    /// What the acknowledged calls did, earlier runs' included.
    totals: Totals,
    counters: Arc<Counters>,
}

impl Run {
    /// Makes calls until the end of the file.
    async fn calls<R: Resource>(&mut self, args: &ImportArgs, policy: RetryPolicy) -> Result<(), Error> {
        let mut retrier = Retrier::new(policy);
        loop {
            // Each call reads the file anew: one that was rewritten meanwhile (the next ERP export
            // landing) must not be read from the old one's offsets.
            let now = FileIdentity::of(self.file.path()).map_err(|err| Error::file(self.file.path(), err))?;
            if let Some(why) = now.differs_from(&self.identity) {
                return Err(Error::Other(format!(
                    "{} changed while it was imported ({why}); run again to import the new version",
                    self.file.path().display()
                )));
            }
            let plan = CallPlan {
                start: self.next,
                max_rows: args.call_rows,
                batch_rows: args.batch_rows as usize,
                rows_before: self.totals.rows,
            };
            let done = match call::call::<R>(&mut self.client, &self.file, plan, &self.counters).await {
                Ok(done) => done,
                Err(CallFailure::Read(err)) => return Err(err),
                Err(CallFailure::Rpc(status)) => {
                    let place = match self.last_line {
                        0 => "at the start of the file".to_owned(),
                        line => format!("after line {line}"),
                    };
                    let what = format!("the {} import call {place}", R::NAME);
                    retrier.after_failure(&what, status).await?;
                    continue;
                }
            };
            retrier.progressed();
            let read = done.read;
            if read.rows == 0 {
                return Ok(());
            }
            self.totals
                .add_call(read.rows, read.local_rejects.len() as u64, &done.summary);
            let server = server_rejects(done.summary.errors, &read.lines);
            self.rejects.append(&in_file_order(read.local_rejects, server))?;
            self.next = read.end;
            self.last_line = read.last_line;
            Checkpoint::new(
                R::NAME,
                self.identity.clone(),
                self.next,
                self.last_line,
                self.totals,
                self.rejects.bytes(),
            )
            .save(&self.checkpoint_path)?;
            if read.rows < args.call_rows {
                return Ok(()); // the end of the file
            }
        }
    }
}

/// The final summary.
struct Report<'a> {
    resource: &'static str,
    file: &'a Path,
    totals: Totals,
    rows_this_run: u64,
    elapsed: Duration,
    /// The line after which this run resumed.
    resumed_after: Option<u64>,
    rejects: Option<&'a Path>,
}

impl Report<'_> {
    fn text(&self) -> String {
        let Totals {
            rows,
            created,
            updated,
            unchanged,
            failed,
            unlisted,
            calls: _,
        } = self.totals;
        let mut text = format!(
            "imported {rows} {} rows from {}: created {created}, updated {updated}, unchanged {unchanged}, \
             failed {failed}\n",
            self.resource,
            self.file.display()
        );
        text += &format!(
            "this run: {} rows in {:.1} s ({} rows/s)",
            self.rows_this_run,
            self.elapsed.as_secs_f64(),
            progress::rate(self.rows_this_run, self.elapsed)
        );
        if let Some(line) = self.resumed_after {
            text += &format!(", resumed after line {line}; the totals cover the whole file");
        }
        text.push('\n');
        if let Some(rejects) = self.rejects {
            text += &format!("{failed} rows were not imported: see {}\n", rejects.display());
            if unlisted > 0 {
                text += &format!(
                    "{unlisted} of them are not listed there: the server lists the first 1000 refused rows \
                     of a call; a smaller --call-rows lists them all\n"
                );
            }
        }
        text
    }

    fn json(&self) -> serde_json::Value {
        let totals = &self.totals;
        json!({
            "resource": self.resource,
            "file": self.file.display().to_string(),
            "rows": totals.rows,
            "created": totals.created,
            "updated": totals.updated,
            "unchanged": totals.unchanged,
            "failed": totals.failed,
            "unlisted_failures": totals.unlisted,
            "calls": totals.calls,
            "rows_this_run": self.rows_this_run,
            "seconds": self.elapsed.as_secs_f64(),
            "rows_per_second": progress::rate(self.rows_this_run, self.elapsed),
            "resumed_after_line": self.resumed_after,
            "rejects_file": self.rejects.map(|path| path.display().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_one_ascii_character() {
        assert_eq!(parse_delimiter(";"), Ok(b';'));
        assert_eq!(parse_delimiter("\\t"), Ok(b'\t'));
        assert_eq!(parse_delimiter("\t"), Ok(b'\t'));
        assert!(parse_delimiter(";;").is_err());
        assert!(parse_delimiter("§").is_err());
    }

    #[test]
    fn the_summary_says_what_happened_and_where_the_rejects_are() {
        let report = Report {
            resource: "revenue",
            file: Path::new("data.csv"),
            totals: Totals {
                rows: 30,
                created: 20,
                updated: 2,
                unchanged: 5,
                failed: 3,
                unlisted: 0,
                calls: 3,
            },
            rows_this_run: 20,
            elapsed: Duration::from_secs(2),
            resumed_after: Some(11),
            rejects: Some(Path::new("data.csv.rejects.jsonl")),
        };
        assert_eq!(
            report.text(),
            "imported 30 revenue rows from data.csv: created 20, updated 2, unchanged 5, failed 3\n\
             this run: 20 rows in 2.0 s (10 rows/s), resumed after line 11; the totals cover the whole file\n\
             3 rows were not imported: see data.csv.rejects.jsonl\n"
        );
        let json = report.json();
        assert_eq!(json["rows"], 30);
        assert_eq!(json["resumed_after_line"], 11);
        assert_eq!(json["rejects_file"], "data.csv.rejects.jsonl");
    }
}

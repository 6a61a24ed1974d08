//! `kam-erp export events`: the server's domain events (`WatchEvents`) appended to a JSON-lines file,
//! resumable with no gap and no duplicate (see `state`), until the stream has caught up or, with
//! `--follow`, until Ctrl-C or SIGTERM.

mod event_line;
mod state;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use kam_proto::v1::{WatchEventsRequest, WatchEventsResponse, watch_events_request::Start};
use tonic::Status;

use self::state::{ExportState, Filters, resume};
use crate::Global;
use crate::connection::{IntegrationClient, connect};
use crate::error::Error;
use crate::paths::with_suffix;
use crate::retry::{DEFAULT_MAX_RETRIES, Retrier, RetryPolicy};

/// Events per response: the most the server sends at once, for the fewest state writes.
const BATCH_SIZE: i32 = 1000;

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Append the domain events to a JSON-lines file, one event per line, resuming where the last run
    /// stopped.
    Events(EventsArgs),
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// The file to append to; created if missing.
    #[arg(value_name = "OUT.jsonl")]
    pub out: PathBuf,

    /// Where the cursor to resume from is kept [default: <OUT>.cursor]. Without one, the export starts
    /// with the earliest event the server keeps.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,

    /// Keep going after catching up, writing events as they happen, until Ctrl-C or SIGTERM;
    /// reconnect (with backoff, without limit unless --max-retries is given) when the server restarts.
    #[arg(long)]
    pub follow: bool,

    /// Only events of this type, e.g. AccountCreated; repeat for several. All types when not given.
    #[arg(long = "event-type", value_name = "TYPE")]
    pub event_types: Vec<String>,

    /// Only events of this resource type, e.g. account, contact, opportunity, service_request,
    /// plan_action; repeat for several. All when not given.
    #[arg(long = "resource-type", value_name = "TYPE")]
    pub resource_types: Vec<String>,
}

pub async fn run(command: ExportCommand, global: &Global) -> Result<ExitCode, Error> {
    match command {
        ExportCommand::Events(args) => export_events(args, global).await,
    }
}

/// How an export ended.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    CaughtUp,
    Stopped,
}

async fn export_events(args: EventsArgs, global: &Global) -> Result<ExitCode, Error> {
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| with_suffix(&args.out, ".cursor"));
    let filters = Filters::new(args.event_types.clone(), args.resource_types.clone());
    let saved = ExportState::load(&state_path)?;
    if let Some(saved) = &saved
        && saved.filters != filters
    {
        return Err(Error::Usage(format!(
            "{} was saved by an export with other filters (event types {:?}, resource types {:?}): give the \
             same filters, or another --state and output file",
            state_path.display(),
            saved.filters.event_types,
            saved.filters.resource_types
        )));
    }
    let client = connect(&global.addr, global.api_key_file.as_deref())?;
    let resumed = resume(&args.out, saved.as_ref())?;
    for note in &resumed.notes {
        eprintln!("{note}");
    }
    // The file exists after a run even when there was nothing to write, so that a job's next step
    // finds it.
    append_synced(&args.out, &[]).map_err(|err| Error::file(&args.out, err))?;
    match &resumed.cursor {
        Some(_) => eprintln!("resuming the export into {}", args.out.display()),
        None => eprintln!("exporting from the earliest event into {}", args.out.display()),
    }
    let max_retries = match (global.max_retries, args.follow) {
        (Some(max), _) => Some(max),
        (None, true) => None,
        (None, false) => Some(DEFAULT_MAX_RETRIES),
    };
    let mut export = Export {
        client,
        out: args.out.clone(),
        state_path,
        filters,
        cursor: resumed.cursor,
        out_bytes: resumed.out_bytes,
        written: 0,
    };
    let ending = export.run(args.follow, RetryPolicy::new(max_retries)).await?;
    let ending = match ending {
        Ending::CaughtUp => "caught up",
        Ending::Stopped => "stopped",
    };
    println!(
        "{ending}: {} events written to {} (cursor in {})",
        export.written,
        export.out.display(),
        export.state_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

struct Export {
    client: IntegrationClient,
    out: PathBuf,
    state_path: PathBuf,
    filters: Filters,
    /// Where the stream continues; `None` before the first response of a fresh export.
    cursor: Option<String>,
    /// The export file's length after the last complete response.
    out_bytes: u64,
    /// Events written by this run.
    written: u64,
}

impl Export {
    /// Streams until caught up (unless `follow`) or a stop signal; reconnects on transient failures.
    async fn run(&mut self, follow: bool, policy: RetryPolicy) -> Result<Ending, Error> {
        let mut retrier = Retrier::new(policy);
        let stop = stop_signal();
        tokio::pin!(stop);
        loop {
            // Cancelling a stream at the signal is safe: writing a response happens between awaits.
            tokio::select! {
                outcome = self.stream_once(follow, &mut retrier) => {
                    if let Some(ending) = outcome? {
                        return Ok(ending);
                    }
                }
                () = &mut stop => return Ok(Ending::Stopped),
            }
        }
    }

    /// Runs one stream. `Ok(Some(ending))` ends the export; `Ok(None)` after a transient failure and
    /// its backoff, to stream again from the cursor.
    async fn stream_once(&mut self, follow: bool, retrier: &mut Retrier) -> Result<Option<Ending>, Error> {
        let request = WatchEventsRequest {
            cursor: self.cursor.clone().unwrap_or_default(),
            start: Start::Earliest as i32,
            event_types: self.filters.event_types.clone(),
            resource_types: self.filters.resource_types.clone(),
            batch_size: BATCH_SIZE,
        };
        let mut stream = match self.client.watch_events(request).await {
            Ok(response) => response.into_inner(),
            Err(status) => {
                retrier.after_failure("WatchEvents", status).await?;
                return Ok(None);
            }
        };
        loop {
            let response = match stream.message().await {
                Ok(Some(response)) => response,
                failed => {
                    // The server ends a stream with a status; a stream that just ends is as good as
                    // UNAVAILABLE.
                    let status = failed
                        .err()
                        .unwrap_or_else(|| Status::unavailable("the server ended the stream"));
                    retrier.after_failure("WatchEvents", status).await?;
                    return Ok(None);
                }
            };
            retrier.progressed();
            let caught_up = response.caught_up;
            self.append(response)?;
            if caught_up && !follow {
                return Ok(Some(Ending::CaughtUp));
            }
        }
    }

    /// Writes a response's events and flushes them to disk, then saves its cursor (in that order: see
    /// `state`).
    fn append(&mut self, response: WatchEventsResponse) -> Result<(), Error> {
        if !response.events.is_empty() {
            let mut lines = Vec::new();
            for event in &response.events {
                event_line::write_line(&mut lines, event);
            }
            append_synced(&self.out, &lines).map_err(|err| Error::file(&self.out, err))?;
            self.out_bytes += lines.len() as u64;
            self.written += response.events.len() as u64;
        }
        if !response.cursor.is_empty() && self.cursor.as_deref() != Some(response.cursor.as_str()) {
            self.cursor = Some(response.cursor);
            let state = ExportState::new(
                self.cursor.clone().unwrap_or_default(),
                self.out_bytes,
                self.filters.clone(),
            );
            state.save(&self.state_path)?;
        }
        Ok(())
    }
}

/// Appends `bytes` to the file at `path` and waits until they are on disk.
fn append_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().create(true).append(true).open(path)?;
    file.write_all(bytes)?;
    file.sync_data()
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM. Once installed, these signals no longer end the process
/// by themselves: the export stops between two responses, with everything written saved.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).expect("install the SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

//! One call of an import: read the next rows of the file, in batches, into the import RPC's client
//! stream, and wait for its summary.
//!
//! The file is read on a thread of its own (plain blocking I/O) that hands batches to the call through
//! a channel of two: the reader stays at most two batches ahead of the network, so memory does not grow
//! with the file. A retried call reads its rows from the file again rather than keeping them.

use std::sync::Arc;

use kam_proto::v1::ImportSummary;
use prost::Message as _;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::rejects::Reject;
use crate::connection::IntegrationClient;
use crate::error::Error;
use crate::progress::Counters;
use crate::resources::{Batches, Resource};
use crate::source::{Position, SourceFile};

/// The encoded size a batch stays under, whatever `--batch-rows` says: the server refuses messages
/// over its `max_message_bytes` (4 MiB by default), and 5000 long account rows can come close.
const MAX_BATCH_BYTES: usize = 3 * 1024 * 1024;

/// Batches read ahead of the call.
const READ_AHEAD: usize = 2;

/// What one call reads.
#[derive(Debug, Clone, Copy)]
pub struct CallPlan {
    pub start: Position,
    /// Rows read from the file for the call, sent or refused by the connector.
    pub max_rows: u64,
    /// Rows per message.
    pub batch_rows: usize,
    /// Rows of the file before `start` (for the progress line).
    pub rows_before: u64,
}

/// What the reader read for one call.
#[derive(Debug, Default)]
pub struct CallRead {
    /// Rows read from the file.
    pub rows: u64,
    /// The file line of each row sent, in the order sent: the server's row index is an index here.
    pub lines: Vec<u64>,
    /// Rows the connector refused and did not send.
    pub local_rejects: Vec<Reject>,
    /// The line of the last row read.
    pub last_line: u64,
    /// Where the next call starts.
    pub end: Position,
}

/// A call the server acknowledged.
#[derive(Debug)]
pub struct CallDone {
    pub read: CallRead,
    pub summary: ImportSummary,
}

#[derive(Debug)]
pub enum CallFailure {
    /// The RPC failed: perhaps worth a retry.
    Rpc(Status),
    /// The file could not be read: the run ends.
    Read(Error),
}

/// Reads the rows `plan` names and sends them in one call.
pub async fn call<R: Resource>(
    client: &mut IntegrationClient,
    file: &Arc<SourceFile>,
    plan: CallPlan,
    progress: &Arc<Counters>,
) -> Result<CallDone, CallFailure> {
    let (batches, mut receiver) = mpsc::channel(READ_AHEAD);
    let (read_tx, read_rx) = oneshot::channel();
    let reader_file = Arc::clone(file);
    let reader_progress = Arc::clone(progress);
    // A thread of its own rather than `spawn_blocking`: when a call fails, its reader may still be
    // blocked handing over a batch, and the runtime must not wait for it at exit.
    std::thread::spawn(move || {
        let read = read_call::<R>(&reader_file, plan, &batches, &reader_progress);
        drop(batches); // ends the stream, before the result is handed over
        let _ = read_tx.send(read);
    });

    // A call with nothing to send (the end of the file, or only rows the connector refused) is not
    // made: no empty call, and the last call of a file needs no server.
    let summary = match receiver.recv().await {
        None => ImportSummary::default(),
        Some(first) => {
            let stream: Batches<R::Request> =
                Box::pin(tokio_stream::once(first).chain(ReceiverStream::new(receiver)));
            R::import(client, stream)
                .await
                .map_err(CallFailure::Rpc)?
                .into_inner()
        }
    };
    let read = read_rx
        .await
        .map_err(|_| CallFailure::Read(Error::Other("the file reader stopped unexpectedly".into())))?
        .map_err(CallFailure::Read)?;
    Ok(CallDone { read, summary })
}

/// Reads the call's rows, converting each to a record and sending them in batches; returns what it
/// read. Stops early, with an error, when the call is gone (its receiver dropped).
fn read_call<R: Resource>(
    file: &SourceFile,
    plan: CallPlan,
    batches: &mpsc::Sender<R::Request>,
    progress: &Counters,
) -> Result<CallRead, Error> {
    let read_error = |err| Error::file(file.path(), err);
    let mut rows = file.rows_from(plan.start).map_err(read_error)?;
    let mut read = CallRead {
        end: plan.start,
        ..CallRead::default()
    };
    let mut batch = Vec::with_capacity(plan.batch_rows);
    let mut batch_bytes = 0;
    while read.rows < plan.max_rows {
        let Some(source_row) = rows.next_row().map_err(read_error)? else {
            break;
        };
        read.rows += 1;
        read.last_line = source_row.line;
        progress.set(plan.rows_before + read.rows, rows.position().byte);
        let row = match source_row.row {
            Ok(row) => row,
            Err(bad) => {
                read.local_rejects
                    .push(Reject::local(source_row.line, &bad.external_id, bad.error));
                continue;
            }
        };
        let record = match R::record(&row) {
            Ok(record) => record,
            Err(error) => {
                let external_id = row.text("external_id");
                read.local_rejects
                    .push(Reject::local(source_row.line, external_id, error));
                continue;
            }
        };
        // The record, its field tag and its length prefix.
        let size = record.encoded_len() + 8;
        if !batch.is_empty() && batch_bytes + size > MAX_BATCH_BYTES {
            send::<R>(batches, &mut batch, plan.batch_rows)?;
            batch_bytes = 0;
        }
        batch.push(record);
        batch_bytes += size;
        read.lines.push(source_row.line);
        if batch.len() >= plan.batch_rows {
            send::<R>(batches, &mut batch, plan.batch_rows)?;
            batch_bytes = 0;
        }
    }
    if !batch.is_empty() {
        send::<R>(batches, &mut batch, plan.batch_rows)?;
    }
    read.end = rows.position();
    Ok(read)
}

/// Hands the batch to the call, waiting while the call is two batches behind.
fn send<R: Resource>(
    batches: &mpsc::Sender<R::Request>,
    batch: &mut Vec<R::Record>,
    batch_rows: usize,
) -> Result<(), Error> {
    let records = std::mem::replace(batch, Vec::with_capacity(batch_rows));
    batches
        .blocking_send(R::request(records))
        .map_err(|_| Error::Other("the call ended before its rows were sent".into()))
}

//! Client-streaming imports: the stream is read one message at a time (the server holds a few batches,
//! never the import); each message's rows are checked one by one, the rows that pass go to the owning
//! area's batch upsert as one transaction, and every row that cannot be written is reported with its
//! index in the whole stream instead of failing the rest.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::{StreamExt, stream::FuturesOrdered};
use sea_orm::DatabaseBackend;

use kam_proto::v1 as pb;
use tokio::sync::mpsc;
use tonic::{Status, Streaming};

use crate::{
    accounts::{
        convert::{account_record, contact_record},
        model::{AccountRecord, ContactRecord},
        store::{import_accounts, import_contacts},
    },
    opportunities::{convert::opportunity_record, model::OpportunityRecord, store::import_opportunities},
    planning::{
        convert::revenue_row,
        model::RevenueRow,
        store::{import_revenue, read_accounts_ahead},
    },
    platform::{
        batch::{BatchOutcome, Refusal},
        db::Db,
        error::{Error, FieldViolation, Result},
        request::RequestContext,
    },
    service_levels::{convert::request_record, model::RequestRecord, store::import_requests},
};

/// Rows per message, at most: a batch is one transaction, and the server holds only a few at a time.
pub const MAX_ROWS_PER_MESSAGE: usize = 5000;

/// Failed rows listed in a summary; the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 1000;

/// Why one row was not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub index: u64,
    pub external_id: String,
    pub refusal: Refusal,
}

/// What an import has done so far.
#[derive(Debug, Default)]
pub struct ImportTally {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// The first [`MAX_LISTED_ERRORS`] failed rows, in stream order.
    pub errors: Vec<RowError>,
}

impl ImportTally {
    /// Counts one written message: its outcome and its failed rows.
    fn add(&mut self, (outcome, errors): (BatchOutcome, Vec<RowError>)) {
        self.created += outcome.created;
        self.updated += outcome.updated;
        self.unchanged += outcome.unchanged;
        self.fail(errors);
    }

    /// Counts `errors` (of one message) as failed rows, listing them in index order.
    fn fail(&mut self, mut errors: Vec<RowError>) {
        errors.sort_by_key(|error| error.index);
        self.failed += errors.len() as u64;
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(errors.into_iter().take(room));
    }
}

/// One kind of row an import stream carries: how a message holds its rows, how a row is checked, and
/// which area writes a batch of them.
pub trait Importer: Sync {
    type Message: prost::Message + Default + 'static;
    type Row: Send;
    /// A row checked and parsed.
    type Record: Send + Sync;

    fn rows(message: Self::Message) -> Vec<Self::Row>;
    /// The key a row is upserted by, as the caller sent it (for its error).
    fn external_id(row: &Self::Row) -> &str;
    fn check(&self, row: Self::Row) -> Result<Self::Record, FieldViolation>;
    fn key(record: &Self::Record) -> &str;
    /// Writes a batch in one transaction, each record with the index it is reported by.
    fn write(&self, records: Vec<(u64, Self::Record)>) -> impl Future<Output = Result<BatchOutcome>> + Send;
    /// How many messages may be written at once. One, unless a message's records never depend on
    /// another message's, or [`Importer::depends_on_others`] says which do.
    fn batches_in_flight(&self) -> usize {
        1
    }
    /// Whether `record` may depend on what another message writes (an account naming its parent, which
    /// the message before may create): a message holding such a record is written alone, after the
    /// messages before it and before those after it.
    fn depends_on_others(record: &Self::Record) -> bool {
        let _ = record;
        false
    }
    /// Reads into a checked message's records what `write` would otherwise look up inside its
    /// transaction, while the messages before it are written. Nothing, unless the records can take it.
    fn read_ahead(&self, records: &mut [(u64, Self::Record)]) -> impl Future<Output = Result<()>> + Send {
        let _ = records;
        async { Ok(()) }
    }
}

/// Imports the whole stream. Only a message too large, a broken stream, or the database failing is an
/// error of the whole call; the batches already written (with two in flight, maybe one after the failed
/// one) stay written, and importing the stream again is idempotent.
///
/// The next message is read and checked while the ones before are written, so decoding and checking
/// (this task's work) overlap the database's. Up to [`Importer::batches_in_flight`] messages are
/// written at once, on as many connections, as long as no external id is in two of them (the order of
/// one record's versions is the only order an import keeps) and none depends on other messages
/// ([`Importer::depends_on_others`]: that one is written alone, in stream order). Outcomes are counted in stream order. The
/// server holds at most the messages in flight, two waiting (one taken, one in the channel) and one
/// being checked.
pub async fn import_stream<I: Importer>(
    importer: &I,
    mut messages: Streaming<I::Message>,
) -> Result<ImportTally, Status> {
    let (checked_sender, checked) = mpsc::channel(1);
    let read = async move {
        let mut next_index = 0;
        while let Some(message) = messages.message().await? {
            let rows = I::rows(message);
            let count = rows.len() as u64;
            let mut message = check_message(importer, next_index, rows)?;
            importer.read_ahead(&mut message.records).await?;
            next_index += count;
            if checked_sender.send(message).await.is_err() {
                break; // the writer stopped, with the error this call ends with
            }
        }
        Ok::<(), Status>(())
    };
    let write = write_messages(importer, checked);
    let ((), tally) = tokio::try_join!(read, write)?;
    Ok(tally)
}

/// Writes the checked messages as they come, up to [`Importer::batches_in_flight`] at once, none beside
/// another with one of its keys nor beside one that must be written alone; counts their outcomes in
/// stream order.
async fn write_messages<I: Importer>(
    importer: &I,
    mut checked: mpsc::Receiver<CheckedMessage<I::Record>>,
) -> Result<ImportTally, Status> {
    let limit = importer.batches_in_flight().max(1);
    let mut tally = ImportTally::default();
    let mut writes = FuturesOrdered::new();
    // The keys of each message in flight, and whether it is written alone.
    let mut in_flight: VecDeque<(HashSet<String>, bool)> = VecDeque::new();
    let mut waiting: Option<CheckedMessage<I::Record>> = None;
    let mut stream_ended = false;
    loop {
        if let Some(message) = waiting.take_if(|message| {
            let beside = !message.alone
                && writes.len() < limit
                && in_flight
                    .iter()
                    .all(|(keys, alone)| !alone && keys.is_disjoint(&message.keys));
            writes.is_empty() || beside
        }) {
            let CheckedMessage {
                records,
                external_ids,
                errors,
                keys,
                alone,
            } = message;
            in_flight.push_back((keys, alone));
            writes.push_back(write_message(importer, records, external_ids, errors));
        }
        tokio::select! {
            written = writes.next(), if !writes.is_empty() => {
                in_flight.pop_front();
                tally.add(written.expect("a write was in flight")?);
            }
            message = checked.recv(), if waiting.is_none() && !stream_ended => match message {
                Some(message) => waiting = Some(message),
                None => stream_ended = true,
            },
            // Nothing in flight, nothing waiting, and the stream has ended.
            else => return Ok(tally),
        }
    }
}

/// One message's rows after checking: those to write, each with its stream index, and those refused.
struct CheckedMessage<R> {
    records: Vec<(u64, R)>,
    /// The external id each record was sent with, by index (ascending): for the store's refusals.
    external_ids: Vec<(u64, String)>,
    errors: Vec<RowError>,
    /// The records' keys: a message is not written beside another that has one of them.
    keys: HashSet<String>,
    /// Whether a record depends on other messages ([`Importer::depends_on_others`]).
    alone: bool,
}

/// Checks one message whose first row is the stream's row `first_index`.
fn check_message<I: Importer>(
    importer: &I,
    first_index: u64,
    rows: Vec<I::Row>,
) -> Result<CheckedMessage<I::Record>> {
    if rows.len() > MAX_ROWS_PER_MESSAGE {
        return Err(Error::invalid(
            "records",
            format!("at most {MAX_ROWS_PER_MESSAGE} rows per message"),
        ));
    }
    let mut checked = CheckedMessage {
        records: Vec::with_capacity(rows.len()),
        external_ids: Vec::with_capacity(rows.len()),
        errors: Vec::new(),
        keys: HashSet::with_capacity(rows.len()),
        alone: false,
    };
    for (offset, row) in rows.into_iter().enumerate() {
        let index = first_index + offset as u64;
        let external_id = I::external_id(&row).to_owned();
        let refusal = match importer.check(row) {
            Ok(record) if checked.keys.insert(I::key(&record).to_owned()) => {
                checked.alone |= I::depends_on_others(&record);
                checked.records.push((index, record));
                checked.external_ids.push((index, external_id));
                continue;
            }
            Ok(_) => Refusal::invalid("external_id", "appears twice in this message"),
            Err(violation) => Refusal::invalid(&violation.field, violation.description),
        };
        checked.errors.push(RowError {
            index,
            external_id,
            refusal,
        });
    }
    Ok(checked)
}

/// Writes one checked message's records (one transaction): what happened to them, and `errors` (the
/// message's refused rows) with the rows the store refused added.
async fn write_message<I: Importer>(
    importer: &I,
    records: Vec<(u64, I::Record)>,
    external_ids: Vec<(u64, String)>,
    mut errors: Vec<RowError>,
) -> Result<(BatchOutcome, Vec<RowError>)> {
    if records.is_empty() {
        return Ok((BatchOutcome::default(), errors));
    }
    let mut outcome = importer.write(records).await?;
    errors.extend(outcome.refused.drain(..).map(|(index, refusal)| {
        let external_id = external_ids
            .binary_search_by_key(&index, |(at, _)| *at)
            .map(|found| external_ids[found].1.clone())
            .unwrap_or_default();
        RowError {
            index,
            external_id,
            refusal,
        }
    }));
    Ok((outcome, errors))
}

/// ImportAccounts.
pub struct AccountImporter<'a> {
    pub db: &'a Db,
    pub ctx: &'a RequestContext,
}

impl Importer for AccountImporter<'_> {
    type Message = pb::ImportAccountsRequest;
    type Row = pb::AccountRecord;
    type Record = AccountRecord;

    fn rows(message: Self::Message) -> Vec<Self::Row> {
        message.accounts
    }
    fn external_id(row: &Self::Row) -> &str {
        &row.external_id
    }
    fn check(&self, row: Self::Row) -> Result<Self::Record, FieldViolation> {
        account_record(row)
    }
    fn key(record: &Self::Record) -> &str {
        &record.external_id
    }
    async fn write(&self, records: Vec<(u64, Self::Record)>) -> Result<BatchOutcome> {
        import_accounts(self.db, self.ctx, &records).await
    }
    /// A parent may be created by the message before.
    fn depends_on_others(record: &Self::Record) -> bool {
        record.parent_external_id.is_some()
    }
    /// Messages without parents run READ COMMITTED ([`import_accounts`]): PostgreSQL writes two on two
    /// connections; SQLite has one writer.
    fn batches_in_flight(&self) -> usize {
        match self.db.backend() {
            DatabaseBackend::Sqlite => 1,
            _ => 2,
        }
    }
}

/// ImportContacts.
pub struct ContactImporter<'a> {
    pub db: &'a Db,
    pub ctx: &'a RequestContext,
}

impl Importer for ContactImporter<'_> {
    type Message = pb::ImportContactsRequest;
    type Row = pb::ContactRecord;
    type Record = ContactRecord;

    fn rows(message: Self::Message) -> Vec<Self::Row> {
        message.contacts
    }
    fn external_id(row: &Self::Row) -> &str {
        &row.external_id
    }
    fn check(&self, row: Self::Row) -> Result<Self::Record, FieldViolation> {
        contact_record(row)
    }
    fn key(record: &Self::Record) -> &str {
        &record.external_id
    }
    async fn write(&self, records: Vec<(u64, Self::Record)>) -> Result<BatchOutcome> {
        import_contacts(self.db, self.ctx, &records).await
    }
}

/// ImportOpportunities.
pub struct OpportunityImporter<'a> {
    pub db: &'a Db,
    pub ctx: &'a RequestContext,
}

impl Importer for OpportunityImporter<'_> {
    type Message = pb::ImportOpportunitiesRequest;
    type Row = pb::OpportunityRecord;
    type Record = OpportunityRecord;

    fn rows(message: Self::Message) -> Vec<Self::Row> {
        message.opportunities
    }
    fn external_id(row: &Self::Row) -> &str {
        &row.external_id
    }
    fn check(&self, row: Self::Row) -> Result<Self::Record, FieldViolation> {
        opportunity_record(row)
    }
    fn key(record: &Self::Record) -> &str {
        &record.external_id
    }
    async fn write(&self, records: Vec<(u64, Self::Record)>) -> Result<BatchOutcome> {
        import_opportunities(self.db, self.ctx, &records).await
    }
}

/// ImportServiceRequests.
pub struct RequestImporter<'a> {
    pub db: &'a Db,
    pub ctx: &'a RequestContext,
    /// `integration.open_time_horizon_days`.
    pub open_time_horizon_days: u32,
}

impl Importer for RequestImporter<'_> {
    type Message = pb::ImportServiceRequestsRequest;
    type Row = pb::ServiceRequestRecord;
    type Record = RequestRecord;

    fn rows(message: Self::Message) -> Vec<Self::Row> {
        message.service_requests
    }
    fn external_id(row: &Self::Row) -> &str {
        &row.external_id
    }
    fn check(&self, row: Self::Row) -> Result<Self::Record, FieldViolation> {
        request_record(row)
    }
    fn key(record: &Self::Record) -> &str {
        &record.external_id
    }
    async fn write(&self, records: Vec<(u64, Self::Record)>) -> Result<BatchOutcome> {
        import_requests(self.db, self.ctx, &records, self.open_time_horizon_days).await
    }
}

/// ImportRevenue: every amount in the one reporting currency.
pub struct RevenueImporter<'a> {
    pub db: &'a Db,
    pub ctx: &'a RequestContext,
    pub currency: &'a str,
    /// Whether the last message written was mostly new records: an import tends to be all new (a
    /// first load, a new month) or all known (a re-run), and the store starts the next message the
    /// same way. Only a guess: either way writes the same.
    mostly_new: AtomicBool,
}

impl<'a> RevenueImporter<'a> {
    pub fn new(db: &'a Db, ctx: &'a RequestContext, currency: &'a str) -> Self {
        Self {
            db,
            ctx,
            currency,
            mostly_new: AtomicBool::new(true),
        }
    }
}

impl Importer for RevenueImporter<'_> {
    type Message = pb::ImportRevenueRequest;
    type Row = pb::RevenueRecord;
    type Record = RevenueRow;

    fn rows(message: Self::Message) -> Vec<Self::Row> {
        message.records
    }
    fn external_id(row: &Self::Row) -> &str {
        &row.external_id
    }
    fn check(&self, row: Self::Row) -> Result<Self::Record, FieldViolation> {
        revenue_row(row, self.currency)
    }
    fn key(record: &Self::Record) -> &str {
        &record.external_id
    }
    async fn write(&self, records: Vec<(u64, Self::Record)>) -> Result<BatchOutcome> {
        let expect_new = self.mostly_new.load(Ordering::Relaxed);
        let outcome = import_revenue(self.db, self.ctx, &records, expect_new).await?;
        let known = outcome.updated + outcome.unchanged;
        if outcome.created + known > 0 {
            self.mostly_new.store(outcome.created >= known, Ordering::Relaxed);
        }
        Ok(outcome)
    }
    async fn read_ahead(&self, records: &mut [(u64, Self::Record)]) -> Result<()> {
        read_accounts_ahead(self.db, records).await
    }
    /// Records stand alone (their accounts come from another import). PostgreSQL writes two messages on
    /// two connections; SQLite has one writer.
    fn batches_in_flight(&self) -> usize {
        match self.db.backend() {
            DatabaseBackend::Sqlite => 1,
            _ => 2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(index: u64) -> RowError {
        RowError {
            index,
            external_id: format!("R{index}"),
            refusal: Refusal::invalid("", ""),
        }
    }

    #[test]
    fn failed_rows_are_listed_in_order_up_to_the_cap() {
        let mut tally = ImportTally::default();
        tally.fail(vec![error(7), error(2)]);
        assert_eq!(tally.errors.iter().map(|e| e.index).collect::<Vec<_>>(), [2, 7]);
        tally.fail((10..(10 + MAX_LISTED_ERRORS as u64)).map(error).collect());
        assert_eq!(tally.failed, 2 + MAX_LISTED_ERRORS as u64, "every failure counts");
        assert_eq!(
            tally.errors.len(),
            MAX_LISTED_ERRORS,
            "the first thousand are listed"
        );
        assert_eq!(
            tally.errors.last().unwrap().index,
            10 + MAX_LISTED_ERRORS as u64 - 3
        );
    }
}

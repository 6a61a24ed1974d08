//! Client-streaming imports: each message's rows are checked one by one, the rows that can be written
//! go through the owning area's batch upsert in one transaction, and every other row is reported with
//! its index in the whole stream instead of failing the rest.

use std::collections::HashSet;

use kam_proto::v1 as pb;

use crate::{
    accounts::store::deletion_states,
    db::Db,
    error::{Error, Result},
    planning::{
        convert::{MAX_RECORDS_PER_CALL, revenue_records},
        model::RevenueFields,
        store::upsert_revenue,
    },
    request::RequestContext,
};

/// Failed rows listed in a summary; the rest are only counted.
pub const MAX_LISTED_ERRORS: usize = 1000;

/// Why one row was not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub index: u64,
    pub external_id: String,
    /// The gRPC code the row would have had alone.
    pub code: &'static str,
    pub field: String,
    pub description: String,
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
    /// Counts `errors` (of one message) as failed rows, listing them in index order.
    fn fail(&mut self, mut errors: Vec<RowError>) {
        errors.sort_by_key(|error| error.index);
        self.failed += errors.len() as u64;
        let room = MAX_LISTED_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(errors.into_iter().take(room));
    }
}

/// Imports one message of revenue records whose first row is the stream's row `first_index`. Only a
/// message too large, or the database failing, is an error of the whole call.
pub async fn import_revenue_batch(
    db: &Db,
    ctx: &RequestContext,
    currency: &str,
    first_index: u64,
    records: Vec<pb::RevenueRecord>,
    tally: &mut ImportTally,
) -> Result<()> {
    if records.len() > MAX_RECORDS_PER_CALL {
        return Err(Error::invalid(
            "records",
            format!("at most {MAX_RECORDS_PER_CALL} records per message"),
        ));
    }
    let mut errors = Vec::new();
    let mut checked: Vec<(u64, RevenueFields)> = Vec::with_capacity(records.len());
    let mut seen = HashSet::new();
    for (offset, record) in records.into_iter().enumerate() {
        let index = first_index + offset as u64;
        let external_id = record.external_id.clone();
        match revenue_records(vec![record], currency) {
            Ok(mut fields) => {
                let fields = fields.remove(0);
                if seen.insert(fields.external_id.clone()) {
                    checked.push((index, fields));
                } else {
                    errors.push(RowError {
                        index,
                        external_id,
                        code: "INVALID_ARGUMENT",
                        field: "external_id".to_owned(),
                        description: "appears twice in this message".to_owned(),
                    });
                }
            }
            Err(Error::InvalidArgument(violations)) => {
                let first = violations.into_iter().next();
                errors.push(RowError {
                    index,
                    external_id,
                    code: "INVALID_ARGUMENT",
                    field: first
                        .as_ref()
                        .map(|v| row_field(&v.field).to_owned())
                        .unwrap_or_default(),
                    description: first.map(|v| v.description).unwrap_or_default(),
                });
            }
            Err(other) => return Err(other),
        }
    }

    let accounts: Vec<_> = checked.iter().map(|(_, fields)| fields.account_id).collect();
    let states = deletion_states(db.conn(), &accounts).await?;
    let mut writable = Vec::with_capacity(checked.len());
    for (index, fields) in checked {
        let refusal = match states.get(&fields.account_id) {
            Some(false) => None,
            Some(true) => Some(("FAILED_PRECONDITION", "ACCOUNT_DELETED: the account is deleted")),
            None => Some(("NOT_FOUND", "no such account")),
        };
        match refusal {
            None => writable.push(fields),
            Some((code, description)) => errors.push(RowError {
                index,
                external_id: fields.external_id,
                code,
                field: "account_id".to_owned(),
                description: description.to_owned(),
            }),
        }
    }
    tally.fail(errors);
    if !writable.is_empty() {
        let outcome = upsert_revenue(db, ctx, writable).await?;
        tally.created += outcome.created as u64;
        tally.updated += outcome.updated as u64;
        tally.unchanged += outcome.unchanged as u64;
    }
    Ok(())
}

/// `records[0].amount.currency_code` → `amount.currency_code`: the field within the row.
fn row_field(path: &str) -> &str {
    path.strip_prefix("records[0].").unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(index: u64) -> RowError {
        RowError {
            index,
            external_id: format!("R{index}"),
            code: "INVALID_ARGUMENT",
            field: String::new(),
            description: String::new(),
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

    #[test]
    fn fields_are_named_within_the_row() {
        assert_eq!(
            row_field("records[0].amount.currency_code"),
            "amount.currency_code"
        );
        assert_eq!(row_field("records"), "records");
    }
}

//! What an import did, summed over its calls.

use kam_proto::v1::ImportSummary;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Rows read from the file, sent or not.
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Rows the connector could not read or convert, and rows the server refused.
    pub failed: u64,
    /// Refused rows the server counted but did not list (it lists the first 1000 of a call), which the
    /// rejects file therefore lacks.
    pub unlisted: u64,
    /// Calls the server acknowledged.
    pub calls: u64,
}

impl Totals {
    /// Adds a call that read `rows` rows, of which the connector refused `local_failures`, and whose
    /// other rows the server summed up in `summary`.
    pub fn add_call(&mut self, rows: u64, local_failures: u64, summary: &ImportSummary) {
        let count = |n: i64| u64::try_from(n).unwrap_or(0);
        self.rows += rows;
        self.created += count(summary.created);
        self.updated += count(summary.updated);
        self.unchanged += count(summary.unchanged);
        self.failed += local_failures + count(summary.failed);
        self.unlisted += count(summary.failed).saturating_sub(summary.errors.len() as u64);
        self.calls += 1;
    }
}

#[cfg(test)]
mod tests {
    use kam_proto::v1::ImportRowError;

    use super::*;

    #[test]
    fn calls_add_up_with_the_connectors_own_refusals() {
        let mut totals = Totals::default();
        let summary = ImportSummary {
            created: 5,
            updated: 2,
            unchanged: 1,
            failed: 1,
            errors: vec![ImportRowError::default()],
        };
        totals.add_call(10, 1, &summary);
        totals.add_call(10, 0, &summary);
        assert_eq!(
            totals,
            Totals {
                rows: 20,
                created: 10,
                updated: 4,
                unchanged: 2,
                failed: 3,
                unlisted: 0,
                calls: 2,
            }
        );
    }

    #[test]
    fn failures_beyond_the_listed_ones_are_counted_as_unlisted() {
        let mut totals = Totals::default();
        let summary = ImportSummary {
            failed: 1500,
            errors: vec![ImportRowError::default(); 1000],
            ..Default::default()
        };
        totals.add_call(2000, 0, &summary);
        assert_eq!((totals.failed, totals.unlisted), (1500, 500));
    }
}

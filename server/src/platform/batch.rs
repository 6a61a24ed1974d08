//! What a batch import did with each row. The area stores sort a batch's rows into created, updated,
//! unchanged and refused; the integration service adds the batches of a stream up.

/// Why one row was not written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The gRPC code the row would have had on its own: INVALID_ARGUMENT, NOT_FOUND or
    /// FAILED_PRECONDITION.
    pub code: &'static str,
    /// The field at fault within the row, e.g. `parent_external_id`; empty for the row as a whole.
    pub field: String,
    pub description: String,
}

impl Refusal {
    pub fn invalid(field: &str, description: impl Into<String>) -> Self {
        Self::new("INVALID_ARGUMENT", field, description.into())
    }

    pub fn not_found(field: &str, description: impl Into<String>) -> Self {
        Self::new("NOT_FOUND", field, description.into())
    }

    /// A broken business rule, named like the single-row RPCs name it (`ACCOUNT_DELETED: …`).
    pub fn rule(rule: &str, field: &str, description: &str) -> Self {
        Self::new("FAILED_PRECONDITION", field, format!("{rule}: {description}"))
    }

    fn new(code: &'static str, field: &str, description: String) -> Self {
        Self {
            code,
            field: field.to_owned(),
            description,
        }
    }
}

/// One batch: how many rows were created, updated and left unchanged, and the refused ones by the
/// index the caller gave them.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub refused: Vec<(u64, Refusal)>,
}

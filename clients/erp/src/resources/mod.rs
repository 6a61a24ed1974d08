//! The kinds of rows `kam-erp import` sends, each in its own module: its columns (the file's side) and
//! how a row becomes the record its import RPC takes (the server's side).
//!
//! Adding one is a module with a [`Resource`] impl and a line in [`with_resource!`]'s table; the file
//! reading, batching, retries, checkpoints and rejects are shared.

mod accounts;
mod contacts;
mod opportunities;
mod revenue;
mod service_requests;

use std::future::Future;
use std::pin::Pin;

use clap::ValueEnum;
use kam_proto::v1::ImportSummary;
use tokio_stream::Stream;
use tonic::{Response, Status};

use crate::columns::{Column, FieldError, Row};
use crate::connection::IntegrationClient;

pub use accounts::Accounts;
pub use contacts::Contacts;
pub use opportunities::Opportunities;
pub use revenue::Revenue;
pub use service_requests::ServiceRequests;

/// The client stream of an import call: its batches, as the file is read.
pub type Batches<T> = Pin<Box<dyn Stream<Item = T> + Send>>;

/// One kind of row an ERP file holds and an import RPC takes.
pub trait Resource: 'static {
    /// As on the command line: `kam-erp import <NAME> FILE`.
    const NAME: &'static str;
    /// The fields a file's columns can fill; every resource has `external_id`, its key.
    const COLUMNS: &'static [Column];
    /// The record the import RPC takes, e.g. `RevenueRecord`.
    type Record: prost::Message + Send + 'static;
    /// One message of the RPC's client stream: a batch of records.
    type Request: Send + 'static;

    /// Turns one row into a record. Only what the connector must convert (amounts, months, flags,
    /// enum names) is checked here; everything else, required values included, is the server's to
    /// judge, so that the rules live in one place.
    fn record(row: &Row) -> Result<Self::Record, FieldError>;

    /// A batch of records as one message of the stream.
    fn request(records: Vec<Self::Record>) -> Self::Request;

    /// Calls the import RPC with a stream of batches. (The future need not be `Send`: the connector
    /// awaits its calls on one thread.)
    fn import(
        client: &mut IntegrationClient,
        batches: Batches<Self::Request>,
    ) -> impl Future<Output = Result<Response<ImportSummary>, Status>>;
}

/// The resources on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ResourceName {
    Accounts,
    Contacts,
    Revenue,
    Opportunities,
    ServiceRequests,
}

/// Runs `$body` with `$R` standing for the [`Resource`] type that `$name` (a [`ResourceName`]) names:
/// `with_resource!(name, R => import::run::<R>(args))`. This is the table of resources.
macro_rules! with_resource {
    ($name:expr, $R:ident => $body:expr) => {
        match $name {
            $crate::resources::ResourceName::Accounts => {
                type $R = $crate::resources::Accounts;
                $body
            }
            $crate::resources::ResourceName::Contacts => {
                type $R = $crate::resources::Contacts;
                $body
            }
            $crate::resources::ResourceName::Revenue => {
                type $R = $crate::resources::Revenue;
                $body
            }
            $crate::resources::ResourceName::Opportunities => {
                type $R = $crate::resources::Opportunities;
                $body
            }
            $crate::resources::ResourceName::ServiceRequests => {
                type $R = $crate::resources::ServiceRequests;
                $body
            }
        }
    };
}

pub(crate) use with_resource;

impl ResourceName {
    pub fn columns(self) -> &'static [Column] {
        with_resource!(self, R => R::COLUMNS)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::columns::{Mapping, Need, ResolvedMapping, field_index};

    #[test]
    fn every_resource_is_keyed_by_external_id_and_named_as_on_the_command_line() {
        for name in ResourceName::value_variants() {
            let columns = name.columns();
            assert_eq!(columns[0].field, "external_id", "{name:?}");
            let value = name.to_possible_value().unwrap();
            assert_eq!(value.get_name(), with_resource!(*name, R => R::NAME));
            let mut fields: Vec<&str> = columns.iter().map(|column| column.field).collect();
            fields.sort_unstable();
            fields.dedup();
            assert_eq!(fields.len(), columns.len(), "{name:?} declares a field twice");
        }
    }

    /// A row of `R` with the given cells, the others empty.
    pub(crate) fn row_of<R: Resource>(cells: &[(&str, &str)]) -> Row {
        let mapping = ResolvedMapping::new(R::COLUMNS, &Mapping::default()).unwrap();
        let mut values = vec![None; R::COLUMNS.len()];
        for (field, value) in cells {
            let index = field_index(R::COLUMNS, field).unwrap_or_else(|| panic!("no field {field}"));
            values[index] = Some(value.to_string()).filter(|value| !value.is_empty());
        }
        mapping.row(values)
    }

    /// The fields of `R` a file must have a column for (or a default), in table order.
    pub(crate) fn required_fields<R: Resource>() -> Vec<&'static str> {
        R::COLUMNS
            .iter()
            .filter(|column| column.need == Need::Required)
            .map(|column| column.field)
            .collect()
    }
}

//! Revenue rows (`ImportRevenue`): an invoice total or a monthly booking per account, keyed by the
//! ERP's document number.

use kam_proto::v1::{ImportRevenueRequest, ImportSummary, Money, RevenueRecord};
use tonic::{Response, Status};

use super::{Batches, Resource};
use crate::columns::{Column, FieldError, Row};
use crate::connection::IntegrationClient;
use crate::decimal::parse_amount;
use crate::values::parse_month;

pub struct Revenue;

const ACCOUNT: &str = "the account";

impl Resource for Revenue {
    const NAME: &'static str = "revenue";
    const COLUMNS: &'static [Column] = &[
        Column::required(
            "external_id",
            "the ERP's key of the record, e.g. the invoice number",
        ),
        Column::one_of(
            ACCOUNT,
            "account_external_id",
            "the account's ERP key (customer number)",
        ),
        Column::one_of(
            ACCOUNT,
            "account_id",
            "the account's KAM id (UUID); wins over account_external_id",
        ),
        Column::required("period", "the month booked, YYYY-MM"),
        Column::required(
            "amount",
            "decimal with a point, e.g. 1234.50 or -20.125 (credit notes negative)",
        ),
        Column::required("currency", "ISO 4217 code, e.g. EUR; or --default currency=EUR"),
    ];
    type Record = RevenueRecord;
    type Request = ImportRevenueRequest;

    fn record(row: &Row) -> Result<RevenueRecord, FieldError> {
        let period = row.parse_required("period", parse_month)?;
        let (units, nanos) = row.parse_required("amount", parse_amount)?;
        Ok(RevenueRecord {
            external_id: row.text("external_id").to_owned(),
            account_id: row.text("account_id").to_owned(),
            account_external_id: row.text("account_external_id").to_owned(),
            period: Some(period),
            amount: Some(Money {
                // The server checks the code (and that it is the reporting currency).
                currency_code: row.text("currency").to_ascii_uppercase(),
                units,
                nanos,
            }),
            ..Default::default()
        })
    }

    fn request(records: Vec<RevenueRecord>) -> ImportRevenueRequest {
        ImportRevenueRequest { records }
    }

    async fn import(
        client: &mut IntegrationClient,
        batches: Batches<ImportRevenueRequest>,
    ) -> Result<Response<ImportSummary>, Status> {
        client.import_revenue(batches).await
    }
}

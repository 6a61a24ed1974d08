//! Opportunity rows (`ImportOpportunities`): the deals the ERP (or an older CRM) knows, each with the
//! ERP key of its account and its owner's email. Stages move in KAM: `stage` only places a new one.

use kam_proto::v1::{ImportOpportunitiesRequest, ImportSummary, Money, OpportunityRecord};
use tonic::{Response, Status};

use super::{Batches, Resource};
use crate::columns::{Column, FieldError, Row};
use crate::connection::IntegrationClient;
use crate::decimal::parse_amount;
use crate::values::parse_date;

pub struct Opportunities;

impl Resource for Opportunities {
    const NAME: &'static str = "opportunities";
    const COLUMNS: &'static [Column] = &[
        Column::required("external_id", "the ERP's key of the deal"),
        Column::required("account_external_id", "the account's customer number"),
        Column::required("display_name", "the name shown in KAM"),
        Column::optional(
            "amount",
            "decimal with a point, e.g. 1234.50, not negative; empty: no amount",
        ),
        Column::optional(
            "currency",
            "ISO 4217 code of the amount, e.g. EUR, any currency; ignored without an amount",
        ),
        Column::optional("expected_close_date", "YYYY-MM-DD, e.g. 2027-03-31"),
        Column::required("owner_email", "the owner's email as in KAM's staff directory"),
        Column::optional(
            "stage",
            "an open stage of the default pipeline, e.g. QUALIFIED (any case); empty: its first; \
             only places a new opportunity",
        ),
        Column::optional("source", "text, e.g. Trade fair"),
        Column::optional("next_step", "text"),
    ];
    type Record = OpportunityRecord;
    type Request = ImportOpportunitiesRequest;

    fn record(row: &Row) -> Result<OpportunityRecord, FieldError> {
        let amount = row.parse("amount", parse_amount)?;
        let expected_close_date = row.parse("expected_close_date", parse_date)?;
        Ok(OpportunityRecord {
            external_id: row.text("external_id").to_owned(),
            account_external_id: row.text("account_external_id").to_owned(),
            display_name: row.text("display_name").to_owned(),
            // A currency without an amount (say from --default) is no amount. The server checks the
            // code, and that the amount is not negative.
            amount: amount.map(|(units, nanos)| Money {
                currency_code: row.text("currency").to_ascii_uppercase(),
                units,
                nanos,
            }),
            expected_close_date,
            owner_email: row.text("owner_email").to_owned(),
            // Stage keys are UPPER_SNAKE_CASE.
            stage: row.text("stage").to_ascii_uppercase(),
            source: row.text("source").to_owned(),
            next_step: row.text("next_step").to_owned(),
        })
    }

    fn request(opportunities: Vec<OpportunityRecord>) -> ImportOpportunitiesRequest {
        ImportOpportunitiesRequest { opportunities }
    }

    async fn import(
        client: &mut IntegrationClient,
        batches: Batches<ImportOpportunitiesRequest>,
    ) -> Result<Response<ImportSummary>, Status> {
        client.import_opportunities(batches).await
    }
}

#[cfg(test)]
mod tests {
    use kam_proto::v1::Date;

    use super::*;
    use crate::resources::tests::{required_fields, row_of};

    #[test]
    fn the_columns_are_the_records_fields_and_the_server_required_ones_are_required() {
        let fields: Vec<&str> = Opportunities::COLUMNS.iter().map(|column| column.field).collect();
        assert_eq!(
            fields,
            [
                "external_id",
                "account_external_id",
                "display_name",
                "amount",
                "currency",
                "expected_close_date",
                "owner_email",
                "stage",
                "source",
                "next_step",
            ]
        );
        assert_eq!(
            required_fields::<Opportunities>(),
            [
                "external_id",
                "account_external_id",
                "display_name",
                "owner_email"
            ]
        );
    }

    #[test]
    fn a_row_becomes_a_record_with_an_exact_amount_and_a_date() {
        let row = row_of::<Opportunities>(&[
            ("external_id", "O-1"),
            ("account_external_id", "C-1"),
            ("display_name", "Pumps for plant 2"),
            ("amount", "1234.50"),
            ("currency", "eur"),
            ("expected_close_date", "2027-03-31"),
            ("owner_email", "kim@example.com"),
            ("stage", "qualified"),
            ("source", "Trade fair"),
            ("next_step", "Visit"),
        ]);
        assert_eq!(
            Opportunities::record(&row),
            Ok(OpportunityRecord {
                external_id: "O-1".into(),
                account_external_id: "C-1".into(),
                display_name: "Pumps for plant 2".into(),
                amount: Some(Money {
                    currency_code: "EUR".into(),
                    units: 1234,
                    nanos: 500_000_000,
                }),
                expected_close_date: Some(Date {
                    year: 2027,
                    month: 3,
                    day: 31
                }),
                owner_email: "kim@example.com".into(),
                stage: "QUALIFIED".into(),
                source: "Trade fair".into(),
                next_step: "Visit".into(),
            })
        );
    }

    #[test]
    fn empty_optional_cells_are_left_out_and_a_currency_alone_is_no_amount() {
        let row = row_of::<Opportunities>(&[
            ("external_id", "O-1"),
            ("currency", "EUR"),
            ("owner_email", "kim@example.com"),
        ]);
        let record = Opportunities::record(&row).unwrap();
        assert_eq!((record.amount, record.expected_close_date), (None, None));
        assert_eq!(record.stage, "");
        // An amount without a currency goes to the server, which names the missing code.
        let row = row_of::<Opportunities>(&[("external_id", "O-1"), ("amount", "5")]);
        let amount = Opportunities::record(&row).unwrap().amount.unwrap();
        assert_eq!((amount.currency_code.as_str(), amount.units), ("", 5));
    }

    #[test]
    fn a_bad_amount_or_date_is_a_row_error_of_its_field() {
        let row = row_of::<Opportunities>(&[("external_id", "O-1"), ("amount", "1.234,50")]);
        let err = Opportunities::record(&row).unwrap_err();
        assert_eq!(err.field, "amount");
        assert!(err.description.contains("is not a decimal amount"), "{err:?}");
        let row = row_of::<Opportunities>(&[("external_id", "O-1"), ("expected_close_date", "31.03.2027")]);
        let err = Opportunities::record(&row).unwrap_err();
        assert_eq!(err.field, "expected_close_date");
        assert!(err.description.contains("expected YYYY-MM-DD"), "{err:?}");
    }
}

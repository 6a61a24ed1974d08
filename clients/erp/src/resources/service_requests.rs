//! Service request rows (`ImportServiceRequests`): tickets from the ERP's service module or a help desk,
//! each with the ERP key of its account. A new one opens in KAM with its SLA; statuses, responses and
//! priority changes are KAM's.

use kam_proto::v1::{ImportServiceRequestsRequest, ImportSummary, ServiceRequestRecord};
use tonic::{Response, Status};

use super::{Batches, Resource};
use crate::columns::{Column, FieldError, Row};
use crate::connection::IntegrationClient;
use crate::values::{parse_category, parse_instant, parse_priority};

pub struct ServiceRequests;

impl Resource for ServiceRequests {
    const NAME: &'static str = "service-requests";
    const COLUMNS: &'static [Column] = &[
        Column::required("external_id", "the ERP's key of the ticket"),
        Column::required("account_external_id", "the account's customer number"),
        Column::optional(
            "contact_external_id",
            "the ERP's key of a contact of the account; empty: none",
        ),
        Column::required("title", "text"),
        Column::optional("description", "text"),
        Column::optional(
            "category",
            "DELIVERY, INSTALLATION, REPAIR, TRAINING, COMPLAINT, TECHNICAL_QUESTION or OTHER (any case); \
             empty: OTHER",
        ),
        Column::optional(
            "priority",
            "P1, P2, P3 or P4 (any case); empty: P3; only sets a new request's",
        ),
        Column::optional(
            "assignee_email",
            "the email of the staff member working it, as in KAM's staff directory; empty: nobody yet",
        ),
        Column::optional(
            "open_time",
            "when the ERP opened it, RFC 3339 with an offset, e.g. 2027-03-31T08:15:00Z; empty: on import; \
             only opens a new request (its SLA clock starts then)",
        ),
    ];
    type Record = ServiceRequestRecord;
    type Request = ImportServiceRequestsRequest;

    fn record(row: &Row) -> Result<ServiceRequestRecord, FieldError> {
        let category = row.parse("category", parse_category)?;
        let priority = row.parse("priority", parse_priority)?;
        let open_time = row.parse("open_time", parse_instant)?;
        Ok(ServiceRequestRecord {
            external_id: row.text("external_id").to_owned(),
            account_external_id: row.text("account_external_id").to_owned(),
            contact_external_id: row.text("contact_external_id").to_owned(),
            title: row.text("title").to_owned(),
            description: row.text("description").to_owned(),
            category: category.map_or(0, |category| category as i32),
            priority: priority.map_or(0, |priority| priority as i32),
            assignee_email: row.text("assignee_email").to_owned(),
            open_time,
        })
    }

    fn request(service_requests: Vec<ServiceRequestRecord>) -> ImportServiceRequestsRequest {
        ImportServiceRequestsRequest { service_requests }
    }

    async fn import(
        client: &mut IntegrationClient,
        batches: Batches<ImportServiceRequestsRequest>,
    ) -> Result<Response<ImportSummary>, Status> {
        client.import_service_requests(batches).await
    }
}

#[cfg(test)]
mod tests {
    use kam_proto::v1::{Priority, service_request::Category};

    use super::*;
    use crate::resources::tests::{required_fields, row_of};

    #[test]
    fn the_columns_are_the_records_fields_and_the_server_required_ones_are_required() {
        let fields: Vec<&str> = ServiceRequests::COLUMNS
            .iter()
            .map(|column| column.field)
            .collect();
        assert_eq!(
            fields,
            [
                "external_id",
                "account_external_id",
                "contact_external_id",
                "title",
                "description",
                "category",
                "priority",
                "assignee_email",
                "open_time",
            ]
        );
        assert_eq!(
            required_fields::<ServiceRequests>(),
            ["external_id", "account_external_id", "title"]
        );
    }

    #[test]
    fn a_row_becomes_a_record_with_its_category_and_priority() {
        let row = row_of::<ServiceRequests>(&[
            ("external_id", "S-1"),
            ("account_external_id", "C-1"),
            ("contact_external_id", "P-1"),
            ("title", "Pump leaks"),
            ("description", "Seal worn"),
            ("category", "technical_question"),
            ("priority", "p1"),
            ("assignee_email", "kim@example.com"),
            ("open_time", "2027-03-31T10:15:00+02:00"),
        ]);
        assert_eq!(
            ServiceRequests::record(&row),
            Ok(ServiceRequestRecord {
                external_id: "S-1".into(),
                account_external_id: "C-1".into(),
                contact_external_id: "P-1".into(),
                title: "Pump leaks".into(),
                description: "Seal worn".into(),
                category: Category::TechnicalQuestion as i32,
                priority: Priority::P1 as i32,
                assignee_email: "kim@example.com".into(),
                open_time: Some(kam_proto::pbjson_types::Timestamp {
                    seconds: 1_806_480_900,
                    nanos: 0
                }),
            })
        );
        // Empty: left to the server's defaults (OTHER, P3).
        let row = row_of::<ServiceRequests>(&[("external_id", "S-2"), ("title", "Question")]);
        let record = ServiceRequests::record(&row).unwrap();
        assert_eq!((record.category, record.priority), (0, 0));
    }

    #[test]
    fn an_unknown_category_or_priority_is_a_row_error_of_its_field() {
        let row = row_of::<ServiceRequests>(&[("external_id", "S-1"), ("category", "broken")]);
        let err = ServiceRequests::record(&row).unwrap_err();
        assert_eq!(err.field, "category");
        assert!(err.description.contains("`broken` is not a category"), "{err:?}");
        let row = row_of::<ServiceRequests>(&[("external_id", "S-1"), ("priority", "urgent")]);
        let err = ServiceRequests::record(&row).unwrap_err();
        assert_eq!(err.field, "priority");
        assert!(err.description.contains("`urgent` is not a priority"), "{err:?}");
    }
}

//! Contact rows (`ImportContacts`): the people at the customer, each with the ERP key of its account.

use kam_proto::v1::{ContactRecord, ImportContactsRequest, ImportSummary};
use tonic::{Response, Status};

use super::{Batches, Resource};
use crate::columns::{Column, FieldError, Row};
use crate::connection::IntegrationClient;
use crate::values::parse_flag;

pub struct Contacts;

impl Resource for Contacts {
    const NAME: &'static str = "contacts";
    const COLUMNS: &'static [Column] = &[
        Column::required("external_id", "the ERP's key of the person"),
        Column::required("account_external_id", "the account's customer number"),
        Column::required("full_name", "text"),
        Column::optional("title", "text"),
        Column::optional("department", "text"),
        Column::optional("email", "text"),
        Column::optional("phone", "text"),
        Column::optional(
            "inactive",
            "true/false (also yes/no, 1/0): the person has left; empty: false",
        ),
    ];
    type Record = ContactRecord;
    type Request = ImportContactsRequest;

    fn record(row: &Row) -> Result<ContactRecord, FieldError> {
        let inactive = row.parse("inactive", parse_flag)?;
        Ok(ContactRecord {
            external_id: row.text("external_id").to_owned(),
            account_external_id: row.text("account_external_id").to_owned(),
            full_name: row.text("full_name").to_owned(),
            title: row.text("title").to_owned(),
            department: row.text("department").to_owned(),
            email: row.text("email").to_owned(),
            phone: row.text("phone").to_owned(),
            inactive: inactive.unwrap_or(false),
        })
    }

    fn request(contacts: Vec<ContactRecord>) -> ImportContactsRequest {
        ImportContactsRequest { contacts }
    }

    async fn import(
        client: &mut IntegrationClient,
        batches: Batches<ImportContactsRequest>,
    ) -> Result<Response<ImportSummary>, Status> {
        client.import_contacts(batches).await
    }
}

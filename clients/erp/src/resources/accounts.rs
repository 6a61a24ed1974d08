//! Account rows (`ImportAccounts`): the customer companies as the ERP keeps them, group companies
//! linked by the parent's ERP key.

use kam_proto::v1::{AccountRecord, ImportAccountsRequest, ImportSummary};
use tonic::{Response, Status};

use super::{Batches, Resource};
use crate::columns::{Column, FieldError, Row};
use crate::connection::IntegrationClient;
use crate::values::parse_lifecycle;

pub struct Accounts;

impl Resource for Accounts {
    const NAME: &'static str = "accounts";
    const COLUMNS: &'static [Column] = &[
        Column::required("external_id", "the ERP's customer number"),
        Column::required("display_name", "the name shown in KAM"),
        Column::optional("legal_name", "text"),
        Column::optional("industry", "text"),
        Column::optional("region", "text, e.g. EMEA"),
        Column::optional(
            "parent_external_id",
            "the group company's customer number: a row earlier in the file, or imported before",
        ),
        Column::optional(
            "lifecycle",
            "PROSPECT, ACTIVE, DORMANT or CHURNED (any case); empty: PROSPECT when new, else unchanged",
        ),
    ];
    type Record = AccountRecord;
    type Request = ImportAccountsRequest;

    fn record(row: &Row) -> Result<AccountRecord, FieldError> {
        let lifecycle = row.parse("lifecycle", parse_lifecycle)?;
        Ok(AccountRecord {
            external_id: row.text("external_id").to_owned(),
            display_name: row.text("display_name").to_owned(),
            legal_name: row.text("legal_name").to_owned(),
            industry: row.text("industry").to_owned(),
            region: row.text("region").to_owned(),
            parent_external_id: row.text("parent_external_id").to_owned(),
            lifecycle: lifecycle.map_or(0, |lifecycle| lifecycle as i32),
        })
    }

    fn request(accounts: Vec<AccountRecord>) -> ImportAccountsRequest {
        ImportAccountsRequest { accounts }
    }

    async fn import(
        client: &mut IntegrationClient,
        batches: Batches<ImportAccountsRequest>,
    ) -> Result<Response<ImportSummary>, Status> {
        client.import_accounts(batches).await
    }
}

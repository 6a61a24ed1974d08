//! `kam.v1.AccountService`: each handler validates, calls the store, and converts the answer.

use kam_proto::v1::{self as pb, account_service_server::AccountService};
use tonic::{Request, Response, Status};

use super::{
    convert,
    model::{AccountOrder, ContactOrder},
    store,
};
use crate::platform::{
    db::Db, etag, fields::required_id, idempotency::IdempotencyKey, paging, request::RequestContext,
};

pub struct AccountApi {
    db: Db,
}

impl AccountApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

type Reply<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl AccountService for AccountApi {
    async fn create_account(&self, request: Request<pb::CreateAccountRequest>) -> Reply<pb::Account> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateAccountRequest { account, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, account.as_ref())?;
        let fields = convert::new_account(account)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let account = store::create_account(&self.db, &ctx, fields, key).await?;
        Ok(Response::new(convert::account_to_proto(account)))
    }

    async fn get_account(&self, request: Request<pb::GetAccountRequest>) -> Reply<pb::Account> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let account = store::get_account(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(convert::account_to_proto(account)))
    }

    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Reply<pb::ListAccountsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::account_filter(&request)?;
        let order = AccountOrder::parse(&request.order_by)?;
        let page = paging::PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{filter:?}{order:?}"),
        )?;
        let found = store::list_accounts(
            &self.db,
            ctx.visibility(),
            &filter,
            order,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListAccountsResponse {
            accounts: found.items.into_iter().map(convert::account_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_account(&self, request: Request<pb::UpdateAccountRequest>) -> Reply<pb::Account> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateAccountRequest {
            account,
            update_mask,
            change_reason,
        } = request.into_inner();
        let update = convert::account_update(account, update_mask, &change_reason)?;
        let account = store::update_account(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::account_to_proto(account)))
    }

    async fn list_relationship_changes(
        &self,
        request: Request<pb::ListRelationshipChangesRequest>,
    ) -> Reply<pb::ListRelationshipChangesResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::ListRelationshipChangesRequest {
            account_id,
            page_size,
            page_token,
        } = request.into_inner();
        let account_id = required_id("account_id", &account_id)?;
        let page = paging::PageRequest::parse(page_size, &page_token, format!("relationship {account_id}"))?;
        let found = store::list_relationship_changes(
            &self.db,
            ctx.visibility(),
            account_id,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListRelationshipChangesResponse {
            changes: found
                .items
                .into_iter()
                .map(convert::relationship_change_to_proto)
                .collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn delete_account(&self, request: Request<pb::DeleteAccountRequest>) -> Reply<pb::Account> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let account = store::set_account_deleted(&self.db, &ctx, id, etag::sent(&request.etag), true).await?;
        Ok(Response::new(convert::account_to_proto(account)))
    }

    async fn undelete_account(&self, request: Request<pb::UndeleteAccountRequest>) -> Reply<pb::Account> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        let account =
            store::set_account_deleted(&self.db, &ctx, id, etag::sent(&request.etag), false).await?;
        Ok(Response::new(convert::account_to_proto(account)))
    }

    async fn create_contact(&self, request: Request<pb::CreateContactRequest>) -> Reply<pb::Contact> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::CreateContactRequest { contact, request_id } = request.into_inner();
        let key = IdempotencyKey::parse(&ctx, &request_id, contact.as_ref())?;
        let (account_id, fields) = convert::new_contact(contact)?;
        let ctx = ctx.with_request_id(key.as_ref().map(|k| k.request_id));
        let contact = store::create_contact(&self.db, &ctx, account_id, fields, key).await?;
        Ok(Response::new(convert::contact_to_proto(contact)))
    }

    async fn get_contact(&self, request: Request<pb::GetContactRequest>) -> Reply<pb::Contact> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let contact = store::get_contact(&self.db, ctx.visibility(), id).await?;
        Ok(Response::new(convert::contact_to_proto(contact)))
    }

    async fn list_contacts(
        &self,
        request: Request<pb::ListContactsRequest>,
    ) -> Reply<pb::ListContactsResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = convert::contact_filter(&request)?;
        let order = ContactOrder::parse(&request.order_by)?;
        let page = paging::PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{filter:?}{order:?}"),
        )?;
        let found = store::list_contacts(
            &self.db,
            ctx.visibility(),
            &filter,
            order,
            page.size,
            page.after.clone(),
        )
        .await?;
        Ok(Response::new(pb::ListContactsResponse {
            contacts: found.items.into_iter().map(convert::contact_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn update_contact(&self, request: Request<pb::UpdateContactRequest>) -> Reply<pb::Contact> {
        let ctx = RequestContext::from_request(&request)?;
        let pb::UpdateContactRequest { contact, update_mask } = request.into_inner();
        let update = convert::contact_update(contact, update_mask)?;
        let contact = store::update_contact(&self.db, &ctx, update).await?;
        Ok(Response::new(convert::contact_to_proto(contact)))
    }

    async fn delete_contact(
        &self,
        request: Request<pb::DeleteContactRequest>,
    ) -> Reply<pb::DeleteContactResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let id = required_id("id", &request.id)?;
        store::delete_contact(&self.db, &ctx, id, etag::sent(&request.etag)).await?;
        Ok(Response::new(pb::DeleteContactResponse {}))
    }
}

//! `kam.v1.IdentityService` and `kam.v1.AuditService`.

use std::{collections::BTreeSet, sync::Arc};

use kam_proto::v1::{
    self as pb, audit_service_server::AuditService, identity_service_server::IdentityService,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{
    convert::{self, api_key_to_proto, audit_entry_to_proto, credential_kind, roles_to_proto},
    gate::Gate,
    principal::Principal,
    store::{self, AuditFilter, KeyFilter},
};
use crate::{
    platform::{
        db::{Db, now},
        error::{Error, Result, Violations},
        fields::{optional_id, optional_text, required_id, text},
        paging,
        request::RequestContext,
        wire::instant,
    },
    teams,
};

type Reply<T> = Result<Response<T>, Status>;

pub struct IdentityApi {
    db: Db,
    gate: Arc<Gate>,
}

impl IdentityApi {
    pub fn new(db: Db, gate: Arc<Gate>) -> Self {
        Self { db, gate }
    }
}

/// The staff member a request names, or the caller when it names nobody. Only an ADMIN may name
/// someone else: for anyone else that is PERMISSION_DENIED, whether or not the person exists.
fn subject(principal: &Principal, field: &str, raw: &str) -> Result<Uuid> {
    let named = optional_id(field, raw)?.unwrap_or(principal.staff_id);
    if named != principal.staff_id && !principal.is_admin() {
        return Err(Error::PermissionDenied(format!(
            "only an ADMIN may act on the keys of others ({field})"
        )));
    }
    Ok(named)
}

#[tonic::async_trait]
impl IdentityService for IdentityApi {
    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Reply<pb::WhoAmIResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let principal = ctx.principal;
        let person = teams::store::get_staff(&self.db, principal.staff_id)
            .await?
            .fields;
        let (credential, api_key_id) = credential_kind(principal.credential);
        Ok(Response::new(pb::WhoAmIResponse {
            staff_id: principal.staff_id.to_string(),
            full_name: person.full_name,
            email: person.email,
            roles: roles_to_proto(&principal.roles),
            credential: credential as i32,
            api_key_id,
        }))
    }

    async fn create_api_key(
        &self,
        request: Request<pb::CreateApiKeyRequest>,
    ) -> Reply<pb::CreateApiKeyResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let name = v.take(text("display_name", &request.display_name, 200, true));
        let expire_time = v.take(instant("expire_time", request.expire_time)).flatten();
        if expire_time.is_some_and(|expiry| expiry <= now()) {
            v.add("expire_time", "must be in the future");
        }
        let expire_time = match (expire_time, ctx.principal.expire_time) {
            (Some(asked), Some(limit)) if asked > limit => {
                v.add(
                    "expire_time",
                    format!("must not be after {limit}, when the credential you call with expires"),
                );
                None
            }
            // A key minted by a credential that expires would otherwise outlive it.
            (None, limit) => limit,
            (asked, _) => asked,
        };
        v.into_result()?;
        let staff_id = subject(&ctx.principal, "staff_id", &request.staff_id)?;
        let (key, secret) = store::create_api_key(
            &self.db,
            &ctx,
            staff_id,
            name.expect("checked above"),
            expire_time,
        )
        .await?;
        Ok(Response::new(pb::CreateApiKeyResponse {
            api_key: Some(api_key_to_proto(key)),
            secret,
        }))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Reply<pb::ListApiKeysResponse> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let filter = KeyFilter {
            staff_id: subject(&ctx.principal, "staff_id", &request.staff_id)?,
            show_revoked: request.show_revoked,
        };
        let page = paging::PageRequest::parse(
            request.page_size,
            &request.page_token,
            format!("{}{}", filter.staff_id, filter.show_revoked),
        )?;
        let found = store::list_api_keys(&self.db, &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListApiKeysResponse {
            api_keys: found.items.into_iter().map(api_key_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }

    async fn revoke_api_key(&self, request: Request<pb::RevokeApiKeyRequest>) -> Reply<pb::ApiKey> {
        let ctx = RequestContext::from_request(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let revoked = store::revoke_api_key(&self.db, &ctx, id).await?;
        self.gate.authenticator.forget_all();
        Ok(Response::new(api_key_to_proto(revoked)))
    }

    async fn get_staff_roles(&self, request: Request<pb::GetStaffRolesRequest>) -> Reply<pb::StaffRoles> {
        let staff_id = required_id("staff_id", &request.get_ref().staff_id)?;
        let roles = store::get_roles(&self.db, staff_id).await?;
        Ok(Response::new(pb::StaffRoles {
            staff_id: staff_id.to_string(),
            roles: roles_to_proto(&roles),
        }))
    }

    async fn set_staff_roles(&self, request: Request<pb::SetStaffRolesRequest>) -> Reply<pb::StaffRoles> {
        let ctx = RequestContext::from_request(&request)?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let staff_id = v.take(required_id("staff_id", &request.staff_id));
        let roles: BTreeSet<_> = request
            .roles
            .iter()
            .enumerate()
            .filter_map(|(i, raw)| v.take(convert::role_from_proto(&format!("roles[{i}]"), *raw)))
            .collect();
        if request.roles.is_empty() {
            v.add("roles", "at least one role");
        }
        v.into_result()?;
        let staff_id = staff_id.expect("checked above");
        let roles = store::set_roles(&self.db, &ctx, staff_id, roles).await?;
        self.gate.authenticator.forget_all();
        Ok(Response::new(pb::StaffRoles {
            staff_id: staff_id.to_string(),
            roles: roles_to_proto(&roles),
        }))
    }
}

pub struct AuditApi {
    db: Db,
}

impl AuditApi {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn list_audit_entries(
        &self,
        request: Request<pb::ListAuditEntriesRequest>,
    ) -> Reply<pb::ListAuditEntriesResponse> {
        let request = request.into_inner();
        let mut v = Violations::default();
        let filter = AuditFilter {
            resource_type: v
                .take(optional_text("resource_type", &request.resource_type, 200))
                .flatten(),
            resource_id: v
                .take(optional_text("resource_id", &request.resource_id, 200))
                .flatten(),
            principal_id: v
                .take(optional_id("principal_id", &request.principal_id))
                .flatten(),
            start_time: v.take(instant("start_time", request.start_time)).flatten(),
            end_time: v.take(instant("end_time", request.end_time)).flatten(),
        };
        v.into_result()?;
        let page = paging::PageRequest::parse(request.page_size, &request.page_token, format!("{filter:?}"))?;
        let found = store::list_audit_entries(&self.db, &filter, page.size, page.after.clone()).await?;
        Ok(Response::new(pb::ListAuditEntriesResponse {
            audit_entries: found.items.into_iter().map(audit_entry_to_proto).collect(),
            next_page_token: page.next_token(found.next),
        }))
    }
}

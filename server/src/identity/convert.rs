//! The wire edge of identity: proto messages in, validated values out, and back.

use kam_proto::v1 as pb;

use super::{
    principal::{Credential, Role},
    store::{ApiKey, AuditEntry},
};
use crate::platform::{error::FieldViolation, wire::timestamp};

pub fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Admin => pb::Role::Admin,
        Role::Executive => pb::Role::Executive,
        Role::Manager => pb::Role::Manager,
        Role::Member => pb::Role::Member,
        Role::ServiceAgent => pb::Role::ServiceAgent,
        Role::Integration => pb::Role::Integration,
        Role::RegionalManager => pb::Role::RegionalManager,
    }
}

pub fn role_from_proto(field: &str, raw: i32) -> Result<Role, FieldViolation> {
    match pb::Role::try_from(raw) {
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::Executive) => Ok(Role::Executive),
        Ok(pb::Role::Manager) => Ok(Role::Manager),
        Ok(pb::Role::Member) => Ok(Role::Member),
        Ok(pb::Role::ServiceAgent) => Ok(Role::ServiceAgent),
        Ok(pb::Role::Integration) => Ok(Role::Integration),
        Ok(pb::Role::RegionalManager) => Ok(Role::RegionalManager),
        Ok(pb::Role::Unspecified) => Err(FieldViolation::new(field, "must be set")),
        Err(_) => Err(FieldViolation::new(field, format!("unknown value {raw}"))),
    }
}

pub fn roles_to_proto(roles: &[Role]) -> Vec<i32> {
    roles.iter().map(|role| role_to_proto(*role) as i32).collect()
}

pub fn credential_kind(credential: Credential) -> (pb::CredentialKind, String) {
    match credential {
        Credential::ApiKey(id) => (pb::CredentialKind::ApiKey, id.to_string()),
        Credential::BearerToken => (pb::CredentialKind::BearerToken, String::new()),
    }
}

pub fn api_key_to_proto(key: ApiKey) -> pb::ApiKey {
    let ApiKey {
        id,
        staff_id,
        display_name,
        prefix,
        creator_id,
        create_time,
        expire_time,
        revoke_time,
        last_use_time,
    } = key;
    pb::ApiKey {
        id: id.to_string(),
        staff_id: staff_id.to_string(),
        display_name,
        prefix,
        create_time: Some(timestamp(create_time)),
        expire_time: expire_time.map(timestamp),
        revoke_time: revoke_time.map(timestamp),
        last_use_time: last_use_time.map(timestamp),
        creator_id: creator_id.to_string(),
    }
}

pub fn audit_entry_to_proto(entry: AuditEntry) -> pb::AuditEntry {
    let AuditEntry {
        id,
        occurred_at,
        principal,
        credential,
        method,
        resource_type,
        resource_id,
        changed_fields,
        request_id,
    } = entry;
    pb::AuditEntry {
        id: id.to_string(),
        occur_time: Some(timestamp(occurred_at)),
        principal_id: principal,
        credential,
        method,
        resource_type,
        resource_id,
        changed_fields: serde_json::from_value(changed_fields).unwrap_or_default(),
        request_id: request_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

//! Who is calling: a staff member with roles, and how they proved it.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

crate::named_enum!(
    /// What a principal may do (the permission table in `permissions`).
    Role {
        Admin = "ADMIN",
        Executive = "EXECUTIVE",
        Manager = "MANAGER",
        Member = "MEMBER",
        ServiceAgent = "SERVICE_AGENT",
        Integration = "INTEGRATION",
        RegionalManager = "REGIONAL_MANAGER",
    }
);

/// How a principal authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    ApiKey(Uuid),
    BearerToken,
}

impl fmt::Display for Credential {
    /// The form the audit trail records.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ApiKey(id) => write!(f, "api_key/{id}"),
            Self::BearerToken => f.write_str("bearer"),
        }
    }
}

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub staff_id: Uuid,
    /// The effective roles, sorted, never empty (see [`effective_roles`]).
    pub roles: Vec<Role>,
    pub credential: Credential,
    /// When the credential stops being good (`None`: a key that never expires). Whatever the principal
    /// mints or holds open with it ends no later.
    pub expire_time: Option<DateTime<Utc>>,
}

/// Which accounts a call may see and touch: the scope of the grant that allowed it
/// (`permissions::authorize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    All,
    /// Only accounts on whose team this staff member is an active member.
    TeamsOf(Uuid),
    /// The accounts of [`Visibility::TeamsOf`] this staff member, and every account in a region it
    /// manages (`Region.manager_staff_ids`) or in a region below one: a REGIONAL_MANAGER's.
    RegionsOf(Uuid),
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }
}

/// The roles a staff member acts with: those stored, or MEMBER (the least privilege that can still
/// work on an account) when none is.
pub fn effective_roles(stored: impl IntoIterator<Item = Role>) -> Vec<Role> {
    let mut roles: Vec<Role> = stored.into_iter().collect();
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        roles.push(Role::Member);
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_without_roles_act_as_members() {
        assert_eq!(effective_roles([]), [Role::Member]);
        assert_eq!(
            effective_roles([Role::Manager, Role::Admin, Role::Manager]),
            [Role::Admin, Role::Manager]
        );
    }

    #[test]
    fn credentials_are_recorded_by_kind_and_key() {
        assert_eq!(Credential::BearerToken.to_string(), "bearer");
        assert_eq!(
            Credential::ApiKey(Uuid::nil()).to_string(),
            "api_key/00000000-0000-0000-0000-000000000000"
        );
    }
}

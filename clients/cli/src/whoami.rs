//! `kamctl whoami`: who the credentials in use belong to, through kam.v1.IdentityService.

use kam_proto::v1::{CredentialKind, Role, WhoAmIRequest, WhoAmIResponse};

use crate::Global;
use crate::client;
use crate::enums;
use crate::error::Error;
use crate::output::{self, Render, key_values};

pub async fn run(global: &Global) -> Result<(), Error> {
    let me = client::identity(global)
        .await?
        .who_am_i(WhoAmIRequest {})
        .await?
        .into_inner();
    Ok(output::print(&me, global.json)?)
}

/// The role names joined by ", ", as `roles get` and `whoami` show them.
pub fn role_names(roles: &[i32]) -> String {
    roles
        .iter()
        .map(|&role| enums::name::<Role>(role))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Render for WhoAmIResponse {
    fn human(&self) -> String {
        key_values(&[
            ("staff_id", self.staff_id.clone()),
            ("full_name", self.full_name.clone()),
            ("email", self.email.clone()),
            ("roles", role_names(&self.roles)),
            ("credential", enums::name::<CredentialKind>(self.credential)),
            ("api_key_id", self.api_key_id.clone()),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whoami_shows_roles_and_credential_without_prefixes() {
        let me = WhoAmIResponse {
            staff_id: "s1".into(),
            full_name: "Wang Fang".into(),
            email: "wang@example.com".into(),
            roles: vec![Role::Admin as i32, Role::ServiceAgent as i32],
            credential: CredentialKind::ApiKey as i32,
            api_key_id: "k1".into(),
        };
        assert_eq!(
            me.human(),
            "staff_id:   s1\n\
             full_name:  Wang Fang\n\
             email:      wang@example.com\n\
             roles:      ADMIN, SERVICE_AGENT\n\
             credential: API_KEY\n\
             api_key_id: k1\n"
        );
        let json = serde_json::to_value(&me).unwrap();
        assert_eq!(
            json["roles"],
            serde_json::json!(["ROLE_ADMIN", "ROLE_SERVICE_AGENT"])
        );
        assert_eq!(json["credential"], "CREDENTIAL_KIND_API_KEY");
    }
}

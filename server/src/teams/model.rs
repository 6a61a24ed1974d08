//! The teams area's domain: departments, staff and account team memberships, and the validated inputs
//! that create and change them. No I/O here and no wire types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{named_enum, platform::error::FieldViolation};

named_enum!(StaffLevel { Executive = "EXECUTIVE", Manager = "MANAGER", Staff = "STAFF" });
named_enum!(TeamRole {
    ExecutiveSponsor = "EXECUTIVE_SPONSOR",
    AccountManager = "ACCOUNT_MANAGER",
    SalesSpecialist = "SALES_SPECIALIST",
    SolutionEngineer = "SOLUTION_ENGINEER",
    ServiceLead = "SERVICE_LEAD",
    MarketingPartner = "MARKETING_PARTNER",
    LogisticsCoordinator = "LOGISTICS_COORDINATOR",
    RndPartner = "RND_PARTNER",
});

/// How many accounts a person serves when nobody says otherwise.
pub const DEFAULT_MAX_ACCOUNTS: i32 = 25;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: Uuid,
    pub code: String,
    pub display_name: String,
    pub create_time: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Staff {
    pub id: Uuid,
    pub fields: StaffFields,
    pub active: bool,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// The writable fields of a person, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffFields {
    pub full_name: String,
    /// Lower-cased.
    pub email: String,
    pub department_id: Uuid,
    pub level: StaffLevel,
    pub title: String,
    pub max_accounts: i32,
    /// Funnel stage keys without duplicates; read back in key order.
    pub stage_specialties: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaffPatch {
    pub full_name: Option<String>,
    pub email: Option<String>,
    pub department_id: Option<Uuid>,
    pub level: Option<StaffLevel>,
    pub title: Option<String>,
    pub max_accounts: Option<i32>,
    pub stage_specialties: Option<Vec<String>>,
}

impl StaffPatch {
    pub fn apply_to(&self, fields: &mut StaffFields) {
        let Self {
            full_name,
            email,
            department_id,
            level,
            title,
            max_accounts,
            stage_specialties,
        } = self.clone();
        if let Some(v) = full_name {
            fields.full_name = v;
        }
        if let Some(v) = email {
            fields.email = v;
        }
        if let Some(v) = department_id {
            fields.department_id = v;
        }
        if let Some(v) = level {
            fields.level = v;
        }
        if let Some(v) = title {
            fields.title = v;
        }
        if let Some(v) = max_accounts {
            fields.max_accounts = v;
        }
        if let Some(v) = stage_specialties {
            fields.stage_specialties = v;
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct StaffFilter {
    pub department_id: Option<Uuid>,
    pub level: Option<StaffLevel>,
    pub show_inactive: bool,
    pub query: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: Uuid,
    pub account_id: Uuid,
    pub staff_id: Uuid,
    pub role: TeamRole,
    pub is_department_liaison: bool,
    pub department_id: Uuid,
    pub start_time: DateTime<Utc>,
    pub end_time: Option<DateTime<Utc>>,
    pub end_reason: String,
    pub revision: i64,
}

impl TeamMember {
    pub fn is_active(&self) -> bool {
        self.end_time.is_none()
    }
}

/// Whose memberships a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberScope {
    Account(Uuid),
    Staff(Uuid),
}

/// An UPPER_SNAKE_CASE code: department codes and funnel stage keys.
pub fn code(field: &str, raw: &str) -> Result<String, FieldViolation> {
    let value = raw.trim();
    let well_formed = !value.is_empty()
        && value.len() <= 64
        && value.starts_with(|c: char| c.is_ascii_uppercase())
        && value
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(value.to_owned())
    } else {
        Err(FieldViolation::new(
            field,
            "must be UPPER_SNAKE_CASE: A-Z, 0-9 and _, starting with a letter, at most 64 characters",
        ))
    }
}

/// Stage keys, each well-formed and none twice. How many is a rule (MAX_TWO_STAGES), not a format.
pub fn stage_keys(field: &str, raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    let mut keys: Vec<String> = Vec::with_capacity(raw.len());
    for (i, key) in raw.iter().enumerate() {
        let key = code(&format!("{field}[{i}]"), key)?;
        if keys.contains(&key) {
            return Err(FieldViolation::new(format!("{field}[{i}]"), "listed twice"));
        }
        keys.push(key);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_snake_case() {
        assert_eq!(code("f", " CUSTOMER_SERVICE "), Ok("CUSTOMER_SERVICE".into()));
        assert!(code("f", "R2D2").is_ok());
        for bad in ["", "sales", "_SALES", "SALES-OPS", "2ND", &"A".repeat(65)] {
            assert!(code("f", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn stage_keys_are_checked_one_by_one() {
        let keys = |raw: &[&str]| stage_keys("s", &raw.iter().map(|k| k.to_string()).collect::<Vec<_>>());
        assert_eq!(
            keys(&["LEAD", "QUALIFIED"]),
            Ok(vec!["LEAD".into(), "QUALIFIED".into()])
        );
        assert_eq!(keys(&["LEAD", "lead"]).unwrap_err().field, "s[1]");
        assert_eq!(keys(&["LEAD", "LEAD"]).unwrap_err().field, "s[1]");
        // Three is well-formed; the rule refuses it later.
        assert!(keys(&["A", "B", "C"]).is_ok());
    }
}

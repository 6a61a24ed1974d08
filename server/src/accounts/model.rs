//! The accounts area's domain: accounts and contacts as the rest of the server sees them, and the parsed,
//! validated inputs that create and update them. No I/O here and no wire types.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::platform::fields::{email, external_id, optional_id, required_id, text};
use crate::{
    named_enum,
    platform::{error::FieldViolation, paging::Direction},
};

named_enum!(Lifecycle { Prospect = "PROSPECT", Active = "ACTIVE", Dormant = "DORMANT", Churned = "CHURNED" });
named_enum!(Tier { Strategic = "STRATEGIC", Key = "KEY", Growth = "GROWTH", Standard = "STANDARD" });
named_enum!(RelationshipStage {
    Transactional = "TRANSACTIONAL",
    ValueAdded = "VALUE_ADDED",
    StrategicPartner = "STRATEGIC_PARTNER",
});
named_enum!(RadStatus { Acquire = "ACQUIRE", Develop = "DEVELOP", Retain = "RETAIN" });
named_enum!(BuyingRole {
    Unassessed = "UNASSESSED",
    DecisionMaker = "DECISION_MAKER",
    Influencer = "INFLUENCER",
    User = "USER",
    Gatekeeper = "GATEKEEPER",
    Champion = "CHAMPION",
});
named_enum!(Attitude { Unassessed = "UNASSESSED", Supporter = "SUPPORTER", Neutral = "NEUTRAL", Opponent = "OPPONENT" });
named_enum!(KeyDateKind {
    Birthday = "BIRTHDAY",
    WorkAnniversary = "WORK_ANNIVERSARY",
    Other = "OTHER",
    FoundingAnniversary = "FOUNDING_ANNIVERSARY",
    ContractRenewal = "CONTRACT_RENEWAL",
    CustomerEvent = "CUSTOMER_EVENT",
});

/// Whose key date it is: a person's dates and a company's are different kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyDateOwner {
    Contact,
    Account,
}

impl KeyDateOwner {
    pub fn allows(self, kind: KeyDateKind) -> bool {
        use KeyDateKind::*;
        match self {
            Self::Contact => matches!(kind, Birthday | WorkAnniversary | Other),
            Self::Account => matches!(
                kind,
                FoundingAnniversary | ContractRenewal | CustomerEvent | Other
            ),
        }
    }

    fn allowed(self) -> &'static str {
        match self {
            Self::Contact => "a contact's key dates are BIRTHDAY, WORK_ANNIVERSARY or OTHER",
            Self::Account => {
                "an account's key dates are FOUNDING_ANNIVERSARY, CONTRACT_RENEWAL, CUSTOMER_EVENT or OTHER"
            }
        }
    }
}

/// The most key dates a contact or an account holds.
pub const MAX_KEY_DATES: usize = 20;

/// An account update: the id, the etag to check, the patch and the paths it writes.
pub struct AccountUpdate {
    pub id: Uuid,
    pub etag: Option<String>,
    pub patch: AccountPatch,
    pub paths: Vec<String>,
    /// Why the relationship stage or RAD status changes, when it does.
    pub change_reason: Option<String>,
}

/// One update that moved an account's relationship stage or RAD status, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RelationshipChange {
    pub id: Uuid,
    pub account_id: Uuid,
    pub old_relationship_stage: RelationshipStage,
    pub new_relationship_stage: RelationshipStage,
    pub old_rad_status: RadStatus,
    pub new_rad_status: RadStatus,
    pub reason: String,
    pub change_time: DateTime<Utc>,
    pub changed_by: Uuid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub display_name: String,
    pub legal_name: String,
    pub industry: String,
    pub region: String,
    pub parent_account_id: Option<Uuid>,
    pub lifecycle: Lifecycle,
    pub tier: Tier,
    pub relationship_stage: RelationshipStage,
    pub rad_status: RadStatus,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub delete_time: Option<DateTime<Utc>>,
    /// Absent from events stored before accounts had key dates.
    #[serde(default)]
    pub key_dates: Vec<KeyDate>,
    /// Bumped by every write; clients see it as the etag.
    pub revision: i64,
    /// The industry the account is classified under (a segment code). Absent from events stored
    /// before segments.
    #[serde(default)]
    pub industry_code: Option<String>,
    /// The region the account is classified under (a segment code).
    #[serde(default)]
    pub region_code: Option<String>,
}

/// The writable fields of an account, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountFields {
    pub external_id: Option<String>,
    pub display_name: String,
    pub legal_name: String,
    pub industry: String,
    pub region: String,
    pub parent_account_id: Option<Uuid>,
    pub lifecycle: Lifecycle,
    pub relationship_stage: RelationshipStage,
    pub rad_status: RadStatus,
    pub key_dates: Vec<KeyDate>,
    /// Set, or classified from the free text by the store.
    pub industry_code: Option<String>,
    pub region_code: Option<String>,
}

/// The fields an update writes: `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountPatch {
    pub external_id: Option<Option<String>>,
    pub display_name: Option<String>,
    pub legal_name: Option<String>,
    pub industry: Option<String>,
    pub region: Option<String>,
    pub parent_account_id: Option<Option<Uuid>>,
    pub lifecycle: Option<Lifecycle>,
    pub relationship_stage: Option<RelationshipStage>,
    pub rad_status: Option<RadStatus>,
    pub key_dates: Option<Vec<KeyDate>>,
    pub industry_code: Option<Option<String>>,
    pub region_code: Option<Option<String>>,
}

impl AccountPatch {
    pub fn apply_to(&self, fields: &mut AccountFields) {
        let Self {
            external_id,
            display_name,
            legal_name,
            industry,
            region,
            parent_account_id,
            lifecycle,
            relationship_stage,
            rad_status,
            key_dates,
            industry_code,
            region_code,
        } = self.clone();
        if let Some(v) = external_id {
            fields.external_id = v;
        }
        if let Some(v) = display_name {
            fields.display_name = v;
        }
        if let Some(v) = legal_name {
            fields.legal_name = v;
        }
        if let Some(v) = industry {
            fields.industry = v;
        }
        if let Some(v) = region {
            fields.region = v;
        }
        if let Some(v) = parent_account_id {
            fields.parent_account_id = v;
        }
        if let Some(v) = lifecycle {
            fields.lifecycle = v;
        }
        if let Some(v) = relationship_stage {
            fields.relationship_stage = v;
        }
        if let Some(v) = rad_status {
            fields.rad_status = v;
        }
        if let Some(v) = key_dates {
            fields.key_dates = v;
        }
        if let Some(v) = industry_code {
            fields.industry_code = v;
        }
        if let Some(v) = region_code {
            fields.region_code = v;
        }
    }
}

/// The `order_by` allow-list of ListAccounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountOrder {
    /// Creation order (ids are UUIDv7), the default.
    Id,
    DisplayName(Direction),
    CreateTime(Direction),
    UpdateTime(Direction),
}

impl AccountOrder {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        let (key, direction) = parse_order_by(raw)?;
        match key {
            "" => Ok(Self::Id),
            "display_name" => Ok(Self::DisplayName(direction)),
            "create_time" => Ok(Self::CreateTime(direction)),
            "update_time" => Ok(Self::UpdateTime(direction)),
            _ => Err(unknown_order_by(
                "display_name, create_time, update_time (each optionally followed by desc)",
            )),
        }
    }
}

/// The `order_by` allow-list of ListContacts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactOrder {
    Id,
    FullName(Direction),
    CreateTime(Direction),
}

impl ContactOrder {
    pub fn parse(raw: &str) -> Result<Self, FieldViolation> {
        let (key, direction) = parse_order_by(raw)?;
        match key {
            "" => Ok(Self::Id),
            "full_name" => Ok(Self::FullName(direction)),
            "create_time" => Ok(Self::CreateTime(direction)),
            _ => Err(unknown_order_by(
                "full_name, create_time (each optionally followed by desc)",
            )),
        }
    }
}

fn parse_order_by(raw: &str) -> Result<(&str, Direction), FieldViolation> {
    let mut words = raw.split_whitespace();
    let key = words.next().unwrap_or("");
    let direction = match words.next() {
        None | Some("asc") => Direction::Ascending,
        Some("desc") => Direction::Descending,
        Some(_) => {
            return Err(unknown_order_by(
                "a field name optionally followed by asc or desc",
            ));
        }
    };
    if words.next().is_some() {
        return Err(unknown_order_by(
            "one field name optionally followed by asc or desc",
        ));
    }
    Ok((key, direction))
}

fn unknown_order_by(allowed: &str) -> FieldViolation {
    FieldViolation::new("order_by", format!("unsupported order; allowed: {allowed}"))
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountFilter {
    /// Lower-cased substring of the display or legal name.
    pub query: Option<String>,
    pub lifecycle: Option<Lifecycle>,
    pub tier: Option<Tier>,
    pub region: Option<String>,
    pub industry: Option<String>,
    pub parent_account_id: Option<Uuid>,
    pub show_deleted: bool,
    /// The accounts classified under these segments or below them.
    pub segments: crate::segments::model::SegmentFilter,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Man {
    pub has_money: bool,
    pub has_authority: bool,
    pub has_need: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDate {
    pub kind: KeyDateKind,
    pub label: String,
    /// 0 when unknown.
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// Falls once, on its date, rather than every year (a contract renewal, this year's forum).
    #[serde(default)]
    pub one_time: bool,
}

/// What a key date is made of, as a request gives it.
pub struct KeyDateInput {
    pub kind: KeyDateKind,
    pub label: String,
    pub date: (i32, i32, i32),
    pub one_time: bool,
}

impl KeyDate {
    /// Checks the kind against its owner and the calendar: a known year must make a real date; an
    /// unknown year allows 29 February; a one-time date needs its year.
    pub fn parse(field: &str, owner: KeyDateOwner, input: KeyDateInput) -> Result<Self, FieldViolation> {
        let KeyDateInput {
            kind,
            label,
            date: (year, month, day),
            one_time,
        } = input;
        if !owner.allows(kind) {
            return Err(FieldViolation::new(format!("{field}.kind"), owner.allowed()));
        }
        let invalid = |why: &str| FieldViolation::new(format!("{field}.date"), why.to_owned());
        if !(0..=9999).contains(&year) {
            return Err(invalid("year must be 0 (unknown) or 1..=9999"));
        }
        let (Ok(month), Ok(day)) = (u32::try_from(month), u32::try_from(day)) else {
            return Err(invalid("month and day must be positive"));
        };
        // A leap year stands in for an unknown one, so 29 February is allowed.
        let check_year = if year == 0 { 2000 } else { year };
        if NaiveDate::from_ymd_opt(check_year, month, day).is_none() {
            return Err(invalid("not a calendar date"));
        }
        if one_time && year == 0 {
            return Err(invalid("a one-time date needs its year"));
        }
        if matches!(kind, KeyDateKind::Other | KeyDateKind::CustomerEvent) && label.trim().is_empty() {
            return Err(FieldViolation::new(
                format!("{field}.label"),
                "required for OTHER and CUSTOMER_EVENT dates",
            ));
        }
        Ok(Self {
            kind,
            label,
            year,
            month,
            day,
            one_time,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Uuid,
    pub account_id: Uuid,
    pub fields: ContactFields,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// The writable fields of a contact, validated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactFields {
    pub external_id: Option<String>,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub buying_role: BuyingRole,
    pub man: Man,
    pub attitude: Attitude,
    /// 0 when not assessed, else 1..=5.
    pub relationship_strength: i16,
    pub reports_to_contact_id: Option<Uuid>,
    pub key_dates: Vec<KeyDate>,
    pub email: String,
    pub phone: String,
    pub notes: String,
    pub active: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactPatch {
    pub external_id: Option<Option<String>>,
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub buying_role: Option<BuyingRole>,
    pub has_money: Option<bool>,
    pub has_authority: Option<bool>,
    pub has_need: Option<bool>,
    pub attitude: Option<Attitude>,
    pub relationship_strength: Option<i16>,
    pub reports_to_contact_id: Option<Option<Uuid>>,
    pub key_dates: Option<Vec<KeyDate>>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub active: Option<bool>,
}

impl ContactPatch {
    pub fn apply_to(&self, fields: &mut ContactFields) {
        let Self {
            external_id,
            full_name,
            title,
            department,
            buying_role,
            has_money,
            has_authority,
            has_need,
            attitude,
            relationship_strength,
            reports_to_contact_id,
            key_dates,
            email,
            phone,
            notes,
            active,
        } = self.clone();
        if let Some(v) = external_id {
            fields.external_id = v;
        }
        if let Some(v) = full_name {
            fields.full_name = v;
        }
        if let Some(v) = title {
            fields.title = v;
        }
        if let Some(v) = department {
            fields.department = v;
        }
        if let Some(v) = buying_role {
            fields.buying_role = v;
        }
        if let Some(v) = has_money {
            fields.man.has_money = v;
        }
        if let Some(v) = has_authority {
            fields.man.has_authority = v;
        }
        if let Some(v) = has_need {
            fields.man.has_need = v;
        }
        if let Some(v) = attitude {
            fields.attitude = v;
        }
        if let Some(v) = relationship_strength {
            fields.relationship_strength = v;
        }
        if let Some(v) = reports_to_contact_id {
            fields.reports_to_contact_id = v;
        }
        if let Some(v) = key_dates {
            fields.key_dates = v;
        }
        if let Some(v) = email {
            fields.email = v;
        }
        if let Some(v) = phone {
            fields.phone = v;
        }
        if let Some(v) = notes {
            fields.notes = v;
        }
        if let Some(v) = active {
            fields.active = v;
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContactFilter {
    pub account_id: Option<Uuid>,
    pub query: Option<String>,
    pub buying_role: Option<BuyingRole>,
    pub show_inactive: bool,
    /// Only the contacts of accounts in these segments (each with everything below it).
    pub segments: crate::segments::model::SegmentFilter,
}

pub fn relationship_strength(field: &str, raw: i32) -> Result<i16, FieldViolation> {
    match i16::try_from(raw) {
        Ok(v @ 0..=5) => Ok(v),
        _ => Err(FieldViolation::new(field, "must be 0 (not assessed) or 1..=5")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_for_every_variant() {
        for v in Lifecycle::ALL {
            assert_eq!(Lifecycle::from_name(v.as_str()), Some(*v));
        }
        for v in BuyingRole::ALL {
            assert_eq!(BuyingRole::from_name(v.as_str()), Some(*v));
        }
        assert_eq!(Tier::from_name("PLATINUM"), None);
    }

    #[test]
    fn order_by_allow_list() {
        assert_eq!(AccountOrder::parse(""), Ok(AccountOrder::Id));
        assert_eq!(
            AccountOrder::parse("display_name desc"),
            Ok(AccountOrder::DisplayName(Direction::Descending))
        );
        assert_eq!(
            AccountOrder::parse("create_time asc"),
            Ok(AccountOrder::CreateTime(Direction::Ascending))
        );
        for bad in ["tier", "display_name sideways", "display_name desc extra"] {
            assert_eq!(AccountOrder::parse(bad).unwrap_err().field, "order_by");
        }
        assert!(ContactOrder::parse("display_name").is_err());
    }

    #[test]
    fn key_dates_follow_the_calendar() {
        let input = |kind, label: &str, date, one_time| KeyDateInput {
            kind,
            label: label.into(),
            date,
            one_time,
        };
        let parse = |y, m, d| {
            KeyDate::parse(
                "k",
                KeyDateOwner::Contact,
                input(KeyDateKind::Birthday, "", (y, m, d), false),
            )
        };
        assert!(parse(1980, 2, 29).is_ok());
        assert!(parse(1981, 2, 29).is_err());
        assert!(parse(0, 2, 29).is_ok(), "an unknown year allows a leap day");
        assert!(parse(0, 13, 1).is_err());
        assert!(parse(1980, 0, 1).is_err());
        assert!(parse(-1, 1, 1).is_err());
        let contact = |kind, label, date, one_time| {
            KeyDate::parse("k", KeyDateOwner::Contact, input(kind, label, date, one_time))
        };
        let account = |kind, label, date, one_time| {
            KeyDate::parse("k", KeyDateOwner::Account, input(kind, label, date, one_time))
        };
        assert_eq!(
            contact(KeyDateKind::Other, " ", (0, 1, 1), false)
                .unwrap_err()
                .field,
            "k.label"
        );
        assert_eq!(
            account(KeyDateKind::CustomerEvent, "", (0, 6, 1), false)
                .unwrap_err()
                .field,
            "k.label"
        );
        assert_eq!(
            account(KeyDateKind::Birthday, "", (0, 6, 1), false)
                .unwrap_err()
                .field,
            "k.kind",
            "a company has no birthday"
        );
        assert_eq!(
            contact(KeyDateKind::ContractRenewal, "", (2027, 6, 30), true)
                .unwrap_err()
                .field,
            "k.kind"
        );
        assert_eq!(
            account(KeyDateKind::ContractRenewal, "", (0, 6, 30), true)
                .unwrap_err()
                .field,
            "k.date",
            "a one-time date needs its year"
        );
        assert!(account(KeyDateKind::ContractRenewal, "", (2027, 6, 30), true).is_ok());
        assert!(account(KeyDateKind::Other, "Forum", (0, 9, 1), false).is_ok());
    }

    #[test]
    fn relationship_strength_is_0_to_5() {
        assert_eq!(relationship_strength("f", 0), Ok(0));
        assert_eq!(relationship_strength("f", 5), Ok(5));
        assert!(relationship_strength("f", 6).is_err());
        assert!(relationship_strength("f", -1).is_err());
    }

    #[test]
    fn patch_touches_only_named_fields() {
        let mut fields = AccountFields {
            external_id: Some("E1".into()),
            display_name: "Acme".into(),
            legal_name: "Acme GmbH".into(),
            industry: String::new(),
            region: "EU".into(),
            parent_account_id: None,
            lifecycle: Lifecycle::Prospect,
            relationship_stage: RelationshipStage::Transactional,
            rad_status: RadStatus::Acquire,
            key_dates: Vec::new(),
            industry_code: None,
            region_code: Some("EU".into()),
        };
        let patch = AccountPatch {
            external_id: Some(None),
            region: Some("APAC".into()),
            ..AccountPatch::default()
        };
        patch.apply_to(&mut fields);
        assert_eq!(fields.external_id, None);
        assert_eq!(fields.region, "APAC");
        assert_eq!(fields.display_name, "Acme");
    }
}

/// An account as the ERP sends it to an import: the master data it owns. The tier, relationship stage
/// and RAD status are KAM's and not part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountRecord {
    pub external_id: String,
    pub display_name: String,
    pub legal_name: String,
    pub industry: String,
    pub region: String,
    /// The parent by its external id.
    pub parent_external_id: Option<String>,
    /// `None`: PROSPECT for a new account, as it is for a known one.
    pub lifecycle: Option<Lifecycle>,
}

/// A contact as the ERP sends it to an import. The MAN assessment, attitude, reporting line, notes and
/// key dates are KAM's and not part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactRecord {
    pub external_id: String,
    pub account_external_id: String,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub email: String,
    pub phone: String,
    pub active: bool,
}

/// The segment code an account has after only its free text changed: the code the new text names,
/// when it names one (`new_match`); none when the old code was the one the old text named
/// (`old_match`), so the code followed the text; otherwise the code as it was, set on its own.
pub fn code_after_text_change(
    old_code: Option<&str>,
    old_match: Option<&str>,
    new_match: Option<&str>,
) -> Option<String> {
    match new_match {
        Some(code) => Some(code.to_owned()),
        None if old_code.is_some() && old_code == old_match => None,
        None => old_code.map(str::to_owned),
    }
}

#[cfg(test)]
mod segment_tests {
    use super::*;

    #[test]
    fn the_code_follows_the_text_unless_it_was_set_on_its_own() {
        assert_eq!(code_after_text_change(None, None, Some("C")), Some("C".into()));
        assert_eq!(
            code_after_text_change(Some("C"), Some("C"), Some("B")),
            Some("B".into())
        );
        assert_eq!(code_after_text_change(Some("C"), Some("C"), None), None);
        assert_eq!(code_after_text_change(Some("C"), None, None), Some("C".into()));
        assert_eq!(code_after_text_change(None, None, None), None);
    }
}

//! The wire edge of the accounts area: proto messages in, validated domain values out, and back.
//! Proto messages are destructured in full, so a field added to the proto fails to compile here until
//! it is handled.

use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use super::model::{
    self, Account, AccountFields, AccountFilter, AccountPatch, AccountRecord, AccountUpdate, Attitude,
    BuyingRole, Contact, ContactFields, ContactFilter, ContactPatch, ContactRecord, KeyDate, KeyDateInput,
    KeyDateKind, KeyDateOwner, Lifecycle, MAX_KEY_DATES, Man, RadStatus, RelationshipChange,
    RelationshipStage, Tier,
};
use crate::platform::wire::{PatchFields, Update};
use crate::platform::{
    error::{FieldViolation, Result, Violations},
    etag,
    wire::{WireEnum, required_enum, timestamp},
};
use crate::segments::{
    convert::{optional_code, segment_filter},
    model::SegmentFilter,
};

const ACCOUNT_OUTPUT_ONLY: &[&str] = &["id", "tier", "create_time", "update_time", "delete_time", "etag"];
const CONTACT_OUTPUT_ONLY: &[&str] = &["id", "create_time", "update_time", "etag"];

crate::wire_enums!(
    Lifecycle => pb::Lifecycle,
    Tier => pb::Tier,
    RelationshipStage => pb::RelationshipStage,
    RadStatus => pb::RadStatus,
    BuyingRole => pb::BuyingRole,
    Attitude => pb::Attitude,
    KeyDateKind => pb::KeyDateKind,
);

// ----- accounts -----

/// The fields of a new account; unspecified enums take their defaults.
pub fn new_account(account: Option<pb::Account>) -> Result<AccountFields> {
    let pb::Account {
        id: _,
        external_id,
        display_name,
        legal_name,
        industry,
        region,
        parent_account_id,
        lifecycle: lifecycle_raw,
        tier: _,
        relationship_stage: stage_raw,
        rad_status: rad_raw,
        create_time: _,
        update_time: _,
        delete_time: _,
        etag: _,
        key_dates,
        industry_code,
        region_code,
    } = account.unwrap_or_default();
    let mut v = Violations::default();
    let fields = AccountFields {
        external_id: v
            .take(model::external_id("account.external_id", &external_id))
            .flatten(),
        display_name: v
            .take(model::text("account.display_name", &display_name, 200, true))
            .unwrap_or_default(),
        legal_name: v
            .take(model::text("account.legal_name", &legal_name, 200, false))
            .unwrap_or_default(),
        industry: v
            .take(model::text("account.industry", &industry, 200, false))
            .unwrap_or_default(),
        region: v
            .take(model::text("account.region", &region, 100, false))
            .unwrap_or_default(),
        parent_account_id: v
            .take(model::optional_id(
                "account.parent_account_id",
                &parent_account_id,
            ))
            .flatten(),
        lifecycle: v
            .take(Lifecycle::from_wire("account.lifecycle", lifecycle_raw))
            .flatten()
            .unwrap_or(Lifecycle::Prospect),
        relationship_stage: v
            .take(RelationshipStage::from_wire(
                "account.relationship_stage",
                stage_raw,
            ))
            .flatten()
            .unwrap_or(RelationshipStage::Transactional),
        rad_status: v
            .take(RadStatus::from_wire("account.rad_status", rad_raw))
            .flatten()
            .unwrap_or(RadStatus::Acquire),
        key_dates: v
            .take(key_dates_from_proto(
                "account.key_dates",
                KeyDateOwner::Account,
                key_dates,
            ))
            .unwrap_or_default(),
        industry_code: v
            .take(optional_code("account.industry_code", &industry_code))
            .flatten(),
        region_code: v
            .take(optional_code("account.region_code", &region_code))
            .flatten(),
    };
    v.into_result()?;
    Ok(fields)
}

/// One imported account record, checked like CreateAccount checks an account; the first fault, named
/// by its field within the record.
pub fn account_record(record: pb::AccountRecord) -> Result<AccountRecord, FieldViolation> {
    let pb::AccountRecord {
        external_id,
        display_name,
        legal_name,
        industry,
        region,
        parent_external_id,
        lifecycle,
    } = record;
    Ok(AccountRecord {
        external_id: required_external_id(&external_id)?,
        display_name: model::text("display_name", &display_name, 200, true)?,
        legal_name: model::text("legal_name", &legal_name, 200, false)?,
        industry: model::text("industry", &industry, 200, false)?,
        region: model::text("region", &region, 100, false)?,
        parent_external_id: model::external_id("parent_external_id", &parent_external_id)?,
        lifecycle: Lifecycle::from_wire("lifecycle", lifecycle)?,
    })
}

/// One imported contact record, checked like CreateContact checks a contact.
pub fn contact_record(record: pb::ContactRecord) -> Result<ContactRecord, FieldViolation> {
    let pb::ContactRecord {
        external_id,
        account_external_id,
        full_name,
        title,
        department,
        email,
        phone,
        inactive,
    } = record;
    Ok(ContactRecord {
        external_id: required_external_id(&external_id)?,
        account_external_id: model::external_id("account_external_id", &account_external_id)?
            .ok_or_else(|| FieldViolation::new("account_external_id", "required"))?,
        full_name: model::text("full_name", &full_name, 200, true)?,
        title: model::text("title", &title, 200, false)?,
        department: model::text("department", &department, 200, false)?,
        email: model::email("email", &email)?,
        phone: model::text("phone", &phone, 50, false)?,
        active: !inactive,
    })
}

/// An import upserts by external id, so a record must have one.
fn required_external_id(raw: &str) -> Result<String, FieldViolation> {
    model::external_id("external_id", raw)?.ok_or_else(|| FieldViolation::new("external_id", "required"))
}

pub fn account_update(
    account: Option<pb::Account>,
    mask: Option<FieldMask>,
    change_reason: &str,
) -> Result<AccountUpdate> {
    let account = account.unwrap_or_default();
    let mut v = Violations::default();
    let change_reason = v
        .take(model::text("change_reason", change_reason, 500, false))
        .filter(|reason| !reason.is_empty());
    let id = v.take(model::required_id("account.id", &account.id));
    let pb::Account {
        id: _,
        external_id,
        display_name,
        legal_name,
        industry,
        region,
        parent_account_id,
        lifecycle: lifecycle_raw,
        tier: _,
        relationship_stage: stage_raw,
        rad_status: rad_raw,
        create_time: _,
        update_time: _,
        delete_time: _,
        etag,
        key_dates,
        industry_code,
        region_code,
    } = account;
    let (patch, paths) = PatchFields::new()
        .field(
            "external_id",
            !external_id.is_empty(),
            |patch: &mut AccountPatch, v| {
                patch.external_id = v.take(model::external_id("account.external_id", &external_id))
            },
        )
        .field("display_name", !display_name.is_empty(), |patch, v| {
            patch.display_name = v.take(model::text("account.display_name", &display_name, 200, true))
        })
        .field("legal_name", !legal_name.is_empty(), |patch, v| {
            patch.legal_name = v.take(model::text("account.legal_name", &legal_name, 200, false))
        })
        .field("industry", !industry.is_empty(), |patch, v| {
            patch.industry = v.take(model::text("account.industry", &industry, 200, false))
        })
        .field("region", !region.is_empty(), |patch, v| {
            patch.region = v.take(model::text("account.region", &region, 100, false))
        })
        .field("parent_account_id", !parent_account_id.is_empty(), |patch, v| {
            patch.parent_account_id = v.take(model::optional_id(
                "account.parent_account_id",
                &parent_account_id,
            ))
        })
        .field("lifecycle", lifecycle_raw != 0, |patch, v| {
            patch.lifecycle = v.take(required_enum(
                "account.lifecycle",
                Lifecycle::from_wire("account.lifecycle", lifecycle_raw),
            ))
        })
        .field("relationship_stage", stage_raw != 0, |patch, v| {
            patch.relationship_stage = v.take(required_enum(
                "account.relationship_stage",
                RelationshipStage::from_wire("account.relationship_stage", stage_raw),
            ))
        })
        .field("rad_status", rad_raw != 0, |patch, v| {
            patch.rad_status = v.take(required_enum(
                "account.rad_status",
                RadStatus::from_wire("account.rad_status", rad_raw),
            ))
        })
        .field("key_dates", !key_dates.is_empty(), |patch, v| {
            patch.key_dates = v.take(key_dates_from_proto(
                "account.key_dates",
                KeyDateOwner::Account,
                key_dates,
            ))
        })
        .field("industry_code", !industry_code.is_empty(), |patch, v| {
            patch.industry_code = v.take(optional_code("account.industry_code", &industry_code))
        })
        .field("region_code", !region_code.is_empty(), |patch, v| {
            patch.region_code = v.take(optional_code("account.region_code", &region_code))
        })
        .read(mask, ACCOUNT_OUTPUT_ONLY, &[], &mut v);
    v.into_result()?;
    Ok(AccountUpdate {
        id: id.expect("checked above"),
        etag: (!etag.is_empty()).then_some(etag),
        patch,
        paths,
        change_reason,
    })
}

pub fn relationship_change_to_proto(change: RelationshipChange) -> pb::RelationshipChange {
    let RelationshipChange {
        id,
        account_id,
        old_relationship_stage,
        new_relationship_stage,
        old_rad_status,
        new_rad_status,
        reason,
        change_time,
        changed_by,
    } = change;
    pb::RelationshipChange {
        id: id.to_string(),
        account_id: account_id.to_string(),
        old_relationship_stage: old_relationship_stage.to_wire(),
        new_relationship_stage: new_relationship_stage.to_wire(),
        old_rad_status: old_rad_status.to_wire(),
        new_rad_status: new_rad_status.to_wire(),
        reason,
        change_time: Some(timestamp(change_time)),
        changed_by_staff_id: changed_by.to_string(),
    }
}

pub fn account_filter(request: &pb::ListAccountsRequest) -> Result<AccountFilter> {
    let pb::ListAccountsRequest {
        page_size: _,
        page_token: _,
        query,
        lifecycle: lifecycle_raw,
        tier: tier_raw,
        region,
        parent_account_id,
        show_deleted,
        order_by: _,
        industry,
        industry_code,
        region_code,
    } = request;
    let mut v = Violations::default();
    let filter = AccountFilter {
        query: v
            .take(model::text("query", query, 200, false))
            .filter(|q| !q.is_empty()),
        lifecycle: v
            .take(Lifecycle::from_wire("lifecycle", *lifecycle_raw))
            .flatten(),
        tier: v.take(Tier::from_wire("tier", *tier_raw)).flatten(),
        region: v
            .take(model::text("region", region, 100, false))
            .filter(|r| !r.is_empty()),
        industry: v
            .take(model::text("industry", industry, 200, false))
            .filter(|i| !i.is_empty()),
        parent_account_id: v
            .take(model::optional_id("parent_account_id", parent_account_id))
            .flatten(),
        show_deleted: *show_deleted,
        segments: SegmentFilter {
            industry: v.take(optional_code("industry_code", industry_code)).flatten(),
            region: v.take(optional_code("region_code", region_code)).flatten(),
        },
    };
    v.into_result()?;
    Ok(filter)
}

pub fn account_to_proto(account: Account) -> pb::Account {
    let Account {
        id,
        external_id,
        display_name,
        legal_name,
        industry,
        region,
        parent_account_id,
        lifecycle,
        tier,
        relationship_stage,
        rad_status,
        create_time,
        update_time,
        delete_time,
        key_dates,
        revision,
        industry_code,
        region_code,
    } = account;
    pb::Account {
        id: id.to_string(),
        external_id: external_id.unwrap_or_default(),
        display_name,
        legal_name,
        industry,
        region,
        parent_account_id: parent_account_id.map(|id| id.to_string()).unwrap_or_default(),
        lifecycle: lifecycle.to_wire(),
        tier: tier.to_wire(),
        relationship_stage: relationship_stage.to_wire(),
        rad_status: rad_status.to_wire(),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        delete_time: delete_time.map(timestamp),
        etag: etag::of(revision),
        key_dates: key_dates_to_proto(key_dates),
        industry_code: industry_code.unwrap_or_default(),
        region_code: region_code.unwrap_or_default(),
    }
}

// ----- contacts -----

pub fn new_contact(contact: Option<pb::Contact>) -> Result<(Uuid, ContactFields)> {
    let contact = contact.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(model::required_id("contact.account_id", &contact.account_id));
    let pb::Contact {
        id: _,
        account_id: _,
        external_id,
        full_name,
        title,
        department,
        buying_role: role_raw,
        man,
        attitude: attitude_raw,
        relationship_strength,
        reports_to_contact_id,
        key_dates,
        email,
        phone,
        notes,
        active,
        create_time: _,
        update_time: _,
        etag: _,
    } = contact;
    let man = man.unwrap_or_default();
    let fields = ContactFields {
        external_id: v
            .take(model::external_id("contact.external_id", &external_id))
            .flatten(),
        full_name: v
            .take(model::text("contact.full_name", &full_name, 200, true))
            .unwrap_or_default(),
        title: v
            .take(model::text("contact.title", &title, 200, false))
            .unwrap_or_default(),
        department: v
            .take(model::text("contact.department", &department, 200, false))
            .unwrap_or_default(),
        buying_role: v
            .take(BuyingRole::from_wire("contact.buying_role", role_raw))
            .flatten()
            .unwrap_or(BuyingRole::Unassessed),
        man: Man {
            has_money: man.has_money,
            has_authority: man.has_authority,
            has_need: man.has_need,
        },
        attitude: v
            .take(Attitude::from_wire("contact.attitude", attitude_raw))
            .flatten()
            .unwrap_or(Attitude::Unassessed),
        relationship_strength: v
            .take(model::relationship_strength(
                "contact.relationship_strength",
                relationship_strength,
            ))
            .unwrap_or_default(),
        reports_to_contact_id: v
            .take(model::optional_id(
                "contact.reports_to_contact_id",
                &reports_to_contact_id,
            ))
            .flatten(),
        key_dates: v
            .take(key_dates_from_proto(
                "contact.key_dates",
                KeyDateOwner::Contact,
                key_dates,
            ))
            .unwrap_or_default(),
        email: v.take(model::email("contact.email", &email)).unwrap_or_default(),
        phone: v
            .take(model::text("contact.phone", &phone, 50, false))
            .unwrap_or_default(),
        notes: v
            .take(model::text("contact.notes", &notes, 10_000, false))
            .unwrap_or_default(),
        active: active.unwrap_or(true),
    };
    v.into_result()?;
    Ok((account_id.expect("checked above"), fields))
}

/// The key dates of a contact or an account (`owner`), checked; field names start at `field`
/// (`contact.key_dates`, `account.key_dates`).
fn key_dates_from_proto(
    field: &str,
    owner: KeyDateOwner,
    dates: Vec<pb::KeyDate>,
) -> Result<Vec<KeyDate>, FieldViolation> {
    if dates.len() > MAX_KEY_DATES {
        return Err(FieldViolation::new(
            field,
            format!("at most {MAX_KEY_DATES} key dates"),
        ));
    }
    dates
        .into_iter()
        .enumerate()
        .map(
            |(
                i,
                pb::KeyDate {
                    kind,
                    label,
                    date,
                    one_time,
                },
            )| {
                let field = format!("{field}[{i}]");
                let kind = KeyDateKind::from_wire(&format!("{field}.kind"), kind)?
                    .ok_or_else(|| FieldViolation::new(format!("{field}.kind"), "required"))?;
                let label = model::text(&format!("{field}.label"), &label, 100, false)?;
                let date = date.ok_or_else(|| FieldViolation::new(format!("{field}.date"), "required"))?;
                let input = KeyDateInput {
                    kind,
                    label,
                    date: (date.year, date.month, date.day),
                    one_time,
                };
                KeyDate::parse(&field, owner, input)
            },
        )
        .collect()
}

fn key_dates_to_proto(dates: Vec<KeyDate>) -> Vec<pb::KeyDate> {
    dates
        .into_iter()
        .map(|d| pb::KeyDate {
            kind: d.kind.to_wire(),
            label: d.label,
            date: Some(pb::Date {
                year: d.year,
                month: d.month as i32,
                day: d.day as i32,
            }),
            one_time: d.one_time,
        })
        .collect()
}

pub fn contact_update(contact: Option<pb::Contact>, mask: Option<FieldMask>) -> Result<Update<ContactPatch>> {
    let contact = contact.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(model::required_id("contact.id", &contact.id));
    let pb::Contact {
        id: _,
        account_id: _,
        external_id,
        full_name,
        title,
        department,
        buying_role: role_raw,
        man,
        attitude: attitude_raw,
        relationship_strength,
        reports_to_contact_id,
        key_dates,
        email,
        phone,
        notes,
        active,
        create_time: _,
        update_time: _,
        etag,
    } = contact;
    let man_set = man.is_some();
    let man = man.unwrap_or_default();
    let (patch, paths) = PatchFields::new()
        .field(
            "external_id",
            !external_id.is_empty(),
            |patch: &mut ContactPatch, v| {
                patch.external_id = v.take(model::external_id("contact.external_id", &external_id))
            },
        )
        .field("full_name", !full_name.is_empty(), |patch, v| {
            patch.full_name = v.take(model::text("contact.full_name", &full_name, 200, true))
        })
        .field("title", !title.is_empty(), |patch, v| {
            patch.title = v.take(model::text("contact.title", &title, 200, false))
        })
        .field("department", !department.is_empty(), |patch, v| {
            patch.department = v.take(model::text("contact.department", &department, 200, false))
        })
        // Unspecified clears an assessment back to "not assessed".
        .field("buying_role", role_raw != 0, |patch, v| {
            patch.buying_role = v
                .take(BuyingRole::from_wire("contact.buying_role", role_raw))
                .map(|r| r.unwrap_or(BuyingRole::Unassessed))
        })
        .field("man", man_set, |patch, _| {
            patch.has_money = Some(man.has_money);
            patch.has_authority = Some(man.has_authority);
            patch.has_need = Some(man.has_need);
        })
        .field("man.has_money", false, |patch, _| {
            patch.has_money = Some(man.has_money)
        })
        .field("man.has_authority", false, |patch, _| {
            patch.has_authority = Some(man.has_authority)
        })
        .field("man.has_need", false, |patch, _| {
            patch.has_need = Some(man.has_need)
        })
        .field("attitude", attitude_raw != 0, |patch, v| {
            patch.attitude = v
                .take(Attitude::from_wire("contact.attitude", attitude_raw))
                .map(|a| a.unwrap_or(Attitude::Unassessed))
        })
        .field("relationship_strength", relationship_strength != 0, |patch, v| {
            patch.relationship_strength = v.take(model::relationship_strength(
                "contact.relationship_strength",
                relationship_strength,
            ))
        })
        .field(
            "reports_to_contact_id",
            !reports_to_contact_id.is_empty(),
            |patch, v| {
                patch.reports_to_contact_id = v.take(model::optional_id(
                    "contact.reports_to_contact_id",
                    &reports_to_contact_id,
                ))
            },
        )
        .field("key_dates", !key_dates.is_empty(), |patch, v| {
            patch.key_dates = v.take(key_dates_from_proto(
                "contact.key_dates",
                KeyDateOwner::Contact,
                key_dates,
            ))
        })
        .field("email", !email.is_empty(), |patch, v| {
            patch.email = v.take(model::email("contact.email", &email))
        })
        .field("phone", !phone.is_empty(), |patch, v| {
            patch.phone = v.take(model::text("contact.phone", &phone, 50, false))
        })
        .field("notes", !notes.is_empty(), |patch, v| {
            patch.notes = v.take(model::text("contact.notes", &notes, 10_000, false))
        })
        .field("active", active.is_some(), |patch, _| {
            patch.active = Some(active.unwrap_or(false))
        })
        .read(mask, CONTACT_OUTPUT_ONLY, &["account_id"], &mut v);
    v.into_result()?;
    if patch.reports_to_contact_id == Some(id) && id.is_some() {
        return Err(crate::platform::error::Error::rule(
            super::rules::REPORTS_TO_CYCLE,
            format!("contacts/{}", id.unwrap_or_default()),
            "a contact cannot report to themselves",
        ));
    }
    Ok(Update {
        id: id.expect("checked above"),
        etag: (!etag.is_empty()).then_some(etag),
        patch,
        paths,
    })
}

pub fn contact_filter(request: &pb::ListContactsRequest) -> Result<ContactFilter> {
    let pb::ListContactsRequest {
        page_size: _,
        page_token: _,
        account_id,
        query,
        buying_role: role_raw,
        show_inactive,
        order_by: _,
        segments,
    } = request;
    let mut v = Violations::default();
    let filter = ContactFilter {
        account_id: v.take(model::optional_id("account_id", account_id)).flatten(),
        query: v
            .take(model::text("query", query, 200, false))
            .filter(|q| !q.is_empty()),
        buying_role: v.take(BuyingRole::from_wire("buying_role", *role_raw)).flatten(),
        show_inactive: *show_inactive,
        segments: v
            .take(segment_filter("segments", segments.as_ref()))
            .unwrap_or_default(),
    };
    v.into_result()?;
    Ok(filter)
}

pub fn contact_to_proto(contact: Contact) -> pb::Contact {
    let Contact {
        id,
        account_id,
        fields,
        create_time,
        update_time,
        revision,
    } = contact;
    let ContactFields {
        external_id,
        full_name,
        title,
        department,
        buying_role,
        man,
        attitude,
        relationship_strength,
        reports_to_contact_id,
        key_dates,
        email,
        phone,
        notes,
        active,
    } = fields;
    pb::Contact {
        id: id.to_string(),
        account_id: account_id.to_string(),
        external_id: external_id.unwrap_or_default(),
        full_name,
        title,
        department,
        buying_role: buying_role.to_wire(),
        man: Some(pb::Man {
            has_money: man.has_money,
            has_authority: man.has_authority,
            has_need: man.has_need,
        }),
        attitude: attitude.to_wire(),
        relationship_strength: i32::from(relationship_strength),
        reports_to_contact_id: reports_to_contact_id.map(|id| id.to_string()).unwrap_or_default(),
        key_dates: key_dates_to_proto(key_dates),
        email,
        phone,
        notes,
        active: Some(active),
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(paths: &[&str]) -> Option<FieldMask> {
        Some(FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        })
    }

    #[test]
    fn empty_mask_means_every_populated_field() {
        let account = pb::Account {
            id: Uuid::now_v7().to_string(),
            region: "EU".into(),
            lifecycle: pb::Lifecycle::Active as i32,
            tier: pb::Tier::Strategic as i32,
            ..Default::default()
        };
        let update = account_update(Some(account), None, "").unwrap();
        assert_eq!(update.paths, ["region", "lifecycle"]);
        assert_eq!(update.patch.lifecycle, Some(Lifecycle::Active));
        assert_eq!(
            update.patch.display_name, None,
            "an unpopulated field stays untouched"
        );
    }

    #[test]
    fn mask_refuses_unknown_paths_and_ignores_output_only_ones() {
        let account = pb::Account {
            id: Uuid::now_v7().to_string(),
            display_name: "Acme".into(),
            tier: pb::Tier::Strategic as i32,
            ..Default::default()
        };
        let err = account_update(Some(account.clone()), mask(&["colour"]), "")
            .err()
            .unwrap();
        assert!(
            matches!(err, crate::platform::error::Error::InvalidArgument(ref v) if v[0].field == "update_mask")
        );
        let update = account_update(
            Some(account),
            mask(&["tier", "create_time", "etag", "display_name"]),
            "",
        )
        .unwrap();
        assert_eq!(update.paths, ["display_name"]);
        let contact = pb::Contact {
            id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        assert!(contact_update(Some(contact), mask(&["account_id"])).is_err());
    }

    #[test]
    fn an_enum_in_the_mask_must_be_set() {
        let account = pb::Account {
            id: Uuid::now_v7().to_string(),
            ..Default::default()
        };
        assert!(account_update(Some(account), mask(&["lifecycle"]), "").is_err());
    }

    #[test]
    fn unknown_enum_numbers_are_refused() {
        let err = new_account(Some(pb::Account {
            display_name: "Acme".into(),
            lifecycle: 99,
            ..Default::default()
        }))
        .err()
        .unwrap();
        assert!(
            matches!(err, crate::platform::error::Error::InvalidArgument(ref v) if v[0].field == "account.lifecycle")
        );
    }

    #[test]
    fn every_domain_enum_has_its_proto_number() {
        for v in Lifecycle::ALL {
            assert_ne!(v.to_wire(), 0);
        }
        for v in Tier::ALL {
            assert_ne!(v.to_wire(), 0);
        }
        for v in KeyDateKind::ALL {
            assert_ne!(v.to_wire(), 0);
        }
        for v in RelationshipStage::ALL {
            assert_ne!(v.to_wire(), 0);
        }
        for v in RadStatus::ALL {
            assert_ne!(v.to_wire(), 0);
        }
        // Only the domain's "not assessed" has no proto number of its own.
        for v in BuyingRole::ALL {
            assert_eq!(v.to_wire() == 0, *v == BuyingRole::Unassessed);
        }
        for v in Attitude::ALL {
            assert_eq!(v.to_wire() == 0, *v == Attitude::Unassessed);
        }
    }

    #[test]
    fn account_round_trips_through_proto() {
        let fields = new_account(Some(pb::Account {
            display_name: " Acme ".into(),
            lifecycle: pb::Lifecycle::Active as i32,
            ..Default::default()
        }))
        .unwrap();
        assert_eq!(fields.display_name, "Acme");
        assert_eq!(fields.lifecycle, Lifecycle::Active);
        assert_eq!(fields.rad_status, RadStatus::Acquire);
    }

    #[test]
    fn all_violations_are_reported_together() {
        let err = new_account(Some(pb::Account {
            display_name: String::new(),
            parent_account_id: "x".into(),
            ..Default::default()
        }))
        .err()
        .unwrap();
        let crate::platform::error::Error::InvalidArgument(violations) = err else {
            panic!()
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["account.display_name", "account.parent_account_id"]);
    }
}

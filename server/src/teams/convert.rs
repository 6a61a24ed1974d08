//! The wire edge of the teams area: proto messages in, validated domain values out, and back.

use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use super::{
    handover::{AreaHandover, Moved},
    model::{
        self, DEFAULT_MAX_ACCOUNTS, Department, MemberScope, Staff, StaffFields, StaffFilter, StaffLevel,
        StaffPatch, TeamMember, TeamRole,
    },
    rules::RuleBreak,
    store::{AccountCoverage, HandoverRequest, MemberPatch, NewMember, Workload},
};
use crate::platform::wire::{PatchFields, Update};
use crate::{
    accounts::model::Tier,
    platform::{
        error::{Error, FieldViolation, Result, Violations},
        etag,
        fields::{email, optional_id, required_id, text},
        wire::{WireEnum, bounded_list, required_enum, timestamp},
    },
};

crate::wire_enums!(StaffLevel => pb::StaffLevel, TeamRole => pb::TeamRole);

/// A person serves at most this many accounts, whatever they ask.
const MAX_ACCOUNTS_LIMIT: i32 = 10_000;

// ----- departments -----

pub fn new_department(department: Option<pb::Department>) -> Result<(String, String)> {
    let pb::Department {
        id: _,
        code,
        display_name,
        create_time: _,
    } = department.unwrap_or_default();
    let mut v = Violations::default();
    let code = v.take(model::code("department.code", &code));
    let name = v.take(text("department.display_name", &display_name, 200, true));
    v.into_result()?;
    Ok((code.expect("checked"), name.expect("checked")))
}

pub fn department_to_proto(department: Department) -> pb::Department {
    let Department {
        id,
        code,
        display_name,
        create_time,
    } = department;
    pb::Department {
        id: id.to_string(),
        code,
        display_name,
        create_time: Some(timestamp(create_time)),
    }
}

// ----- staff -----

fn max_accounts(field: &str, raw: i32, zero_means_default: bool) -> Result<i32, FieldViolation> {
    match raw {
        0 if zero_means_default => Ok(DEFAULT_MAX_ACCOUNTS),
        1..=MAX_ACCOUNTS_LIMIT => Ok(raw),
        _ => Err(FieldViolation::new(
            field,
            format!("must be 1..={MAX_ACCOUNTS_LIMIT}"),
        )),
    }
}

fn staff_email(raw: &str) -> Result<String, FieldViolation> {
    let value = email("staff.email", raw)?.to_lowercase();
    if value.is_empty() {
        return Err(FieldViolation::new("staff.email", "must not be empty"));
    }
    Ok(value)
}

pub fn new_staff(staff: Option<pb::Staff>) -> Result<StaffFields> {
    let pb::Staff {
        id: _,
        full_name,
        email: email_raw,
        department_id,
        level,
        title,
        active: _,
        max_accounts: max_raw,
        stage_specialties,
        create_time: _,
        update_time: _,
        etag: _,
    } = staff.unwrap_or_default();
    let mut v = Violations::default();
    let fields = StaffFields {
        full_name: v
            .take(text("staff.full_name", &full_name, 200, true))
            .unwrap_or_default(),
        email: v.take(staff_email(&email_raw)).unwrap_or_default(),
        department_id: v
            .take(required_id("staff.department_id", &department_id))
            .unwrap_or_default(),
        level: v
            .take(StaffLevel::from_wire("staff.level", level))
            .flatten()
            .unwrap_or(StaffLevel::Staff),
        title: v
            .take(text("staff.title", &title, 200, false))
            .unwrap_or_default(),
        max_accounts: v
            .take(max_accounts("staff.max_accounts", max_raw, true))
            .unwrap_or_default(),
        stage_specialties: v
            .take(model::stage_keys("staff.stage_specialties", &stage_specialties))
            .unwrap_or_default(),
    };
    v.into_result()?;
    Ok(fields)
}

const STAFF_OUTPUT_ONLY: &[&str] = &["id", "active", "create_time", "update_time", "etag"];

pub fn staff_update(staff: Option<pb::Staff>, mask: Option<FieldMask>) -> Result<Update<StaffPatch>> {
    let staff = staff.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("staff.id", &staff.id));
    let pb::Staff {
        id: _,
        full_name,
        email: email_raw,
        department_id,
        level,
        title,
        active: _,
        max_accounts: max_raw,
        stage_specialties,
        create_time: _,
        update_time: _,
        etag,
    } = staff;
    let (patch, paths) = PatchFields::new()
        .field("full_name", !full_name.is_empty(), |patch: &mut StaffPatch, v| {
            patch.full_name = v.take(text("staff.full_name", &full_name, 200, true))
        })
        .field("email", !email_raw.is_empty(), |patch, v| {
            patch.email = v.take(staff_email(&email_raw))
        })
        .field("department_id", !department_id.is_empty(), |patch, v| {
            patch.department_id = v.take(required_id("staff.department_id", &department_id))
        })
        .field("level", level != 0, |patch, v| {
            patch.level = v.take(required_enum(
                "staff.level",
                StaffLevel::from_wire("staff.level", level),
            ))
        })
        .field("title", !title.is_empty(), |patch, v| {
            patch.title = v.take(text("staff.title", &title, 200, false))
        })
        .field("max_accounts", max_raw != 0, |patch, v| {
            patch.max_accounts = v.take(max_accounts("staff.max_accounts", max_raw, false))
        })
        .field("stage_specialties", !stage_specialties.is_empty(), |patch, v| {
            patch.stage_specialties = v.take(model::stage_keys("staff.stage_specialties", &stage_specialties))
        })
        .read(mask, STAFF_OUTPUT_ONLY, &[], &mut v);
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked"),
        etag: (!etag.is_empty()).then_some(etag),
        patch,
        paths,
    })
}

pub fn staff_filter(request: &pb::ListStaffRequest) -> Result<StaffFilter> {
    let pb::ListStaffRequest {
        page_size: _,
        page_token: _,
        department_id,
        level,
        show_inactive,
        query,
    } = request;
    let mut v = Violations::default();
    let filter = StaffFilter {
        department_id: v.take(optional_id("department_id", department_id)).flatten(),
        level: v.take(StaffLevel::from_wire("level", *level)).flatten(),
        show_inactive: *show_inactive,
        query: v.take(text("query", query, 200, false)).filter(|q| !q.is_empty()),
    };
    v.into_result()?;
    Ok(filter)
}

pub fn staff_to_proto(staff: Staff) -> pb::Staff {
    let Staff {
        id,
        fields,
        active,
        create_time,
        update_time,
        revision,
    } = staff;
    let StaffFields {
        full_name,
        email,
        department_id,
        level,
        title,
        max_accounts,
        stage_specialties,
    } = fields;
    pb::Staff {
        id: id.to_string(),
        full_name,
        email,
        department_id: department_id.to_string(),
        level: level.to_wire(),
        title,
        active,
        max_accounts,
        stage_specialties,
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

// ----- team members -----

pub fn new_member(member: Option<pb::TeamMember>) -> Result<NewMember> {
    let pb::TeamMember {
        id: _,
        account_id,
        staff_id,
        role,
        is_department_liaison,
        department_id: _,
        start_time: _,
        end_time: _,
        end_reason: _,
        etag: _,
    } = member.unwrap_or_default();
    let mut v = Violations::default();
    let account_id = v.take(required_id("member.account_id", &account_id));
    let staff_id = v.take(required_id("member.staff_id", &staff_id));
    let role = v.take(required_enum(
        "member.role",
        TeamRole::from_wire("member.role", role),
    ));
    v.into_result()?;
    Ok(NewMember {
        account_id: account_id.expect("checked"),
        staff_id: staff_id.expect("checked"),
        role: role.expect("checked"),
        is_department_liaison,
    })
}

pub fn member_update(member: Option<pb::TeamMember>, mask: Option<FieldMask>) -> Result<Update<MemberPatch>> {
    let member = member.unwrap_or_default();
    let mut v = Violations::default();
    let id = v.take(required_id("member.id", &member.id));
    let (patch, paths) = PatchFields::new()
        .field("role", member.role != 0, |patch: &mut MemberPatch, v| {
            patch.role = v.take(required_enum(
                "member.role",
                TeamRole::from_wire("member.role", member.role),
            ))
        })
        .field(
            "is_department_liaison",
            member.is_department_liaison,
            |patch, _| patch.is_department_liaison = Some(member.is_department_liaison),
        )
        .read(
            mask,
            &[
                "id",
                "department_id",
                "start_time",
                "end_time",
                "end_reason",
                "etag",
            ],
            &["account_id", "staff_id"],
            &mut v,
        );
    v.into_result()?;
    Ok(Update {
        id: id.expect("checked"),
        etag: (!member.etag.is_empty()).then_some(member.etag),
        patch,
        paths,
    })
}

pub fn member_scope(account_id: &str, staff_id: &str) -> Result<MemberScope> {
    match (account_id.is_empty(), staff_id.is_empty()) {
        (false, true) => Ok(MemberScope::Account(required_id("account_id", account_id)?)),
        (true, false) => Ok(MemberScope::Staff(required_id("staff_id", staff_id)?)),
        _ => Err(Error::invalid(
            "account_id",
            "set exactly one of account_id and staff_id",
        )),
    }
}

pub fn member_to_proto(member: TeamMember) -> pb::TeamMember {
    let TeamMember {
        id,
        account_id,
        staff_id,
        role,
        is_department_liaison,
        department_id,
        start_time,
        end_time,
        end_reason,
        revision,
    } = member;
    pb::TeamMember {
        id: id.to_string(),
        account_id: account_id.to_string(),
        staff_id: staff_id.to_string(),
        role: role.to_wire(),
        is_department_liaison,
        department_id: department_id.to_string(),
        start_time: Some(timestamp(start_time)),
        end_time: end_time.map(timestamp),
        end_reason,
        etag: etag::of(revision),
    }
}

pub fn removal_reason(raw: &str) -> Result<String> {
    let reason = text("reason", raw, 500, false)?;
    Ok(if reason.is_empty() {
        "removed".to_owned()
    } else {
        reason
    })
}

// ----- reports and handover -----

/// The filter of GetCoverageReport: the tiers and the segments (each code, when set, well-formed;
/// whether it exists is the store's to check).
pub fn coverage_filter(
    tiers_raw: &[i32],
    segments: Option<&pb::SegmentFilter>,
) -> Result<(Vec<Tier>, crate::segments::model::SegmentFilter)> {
    let tiers = tiers(tiers_raw)?;
    let segments = crate::segments::convert::segment_filter("segments", segments)?;
    Ok((tiers, segments))
}

pub fn tiers(raw: &[i32]) -> Result<Vec<Tier>> {
    let mut v = Violations::default();
    let tiers = bounded_list("tiers", raw)?
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            v.take(required_enum(
                &format!("tiers[{i}]"),
                Tier::from_wire(&format!("tiers[{i}]"), *t),
            ))
        })
        .collect();
    v.into_result()?;
    Ok(tiers)
}

pub fn coverage_to_proto(coverage: AccountCoverage) -> pb::AccountCoverage {
    let AccountCoverage {
        account_id,
        display_name,
        tier,
        missing_roles,
        missing_liaisons,
    } = coverage;
    pb::AccountCoverage {
        account_id: account_id.to_string(),
        account_display_name: display_name,
        tier: tier.to_wire(),
        missing_roles: missing_roles.into_iter().map(TeamRole::to_wire).collect(),
        missing_liaisons,
    }
}

pub fn staff_ids(raw: &[String]) -> Result<Vec<Uuid>> {
    let mut v = Violations::default();
    let ids = bounded_list("staff_ids", raw)?
        .iter()
        .enumerate()
        .filter_map(|(i, id)| v.take(required_id(&format!("staff_ids[{i}]"), id)))
        .collect();
    v.into_result()?;
    Ok(ids)
}

pub fn workload_to_proto(workload: Workload) -> pb::Workload {
    let Workload {
        staff_id,
        full_name,
        active_accounts,
        max_accounts,
        open_items,
    } = workload;
    pb::Workload {
        staff_id: staff_id.to_string(),
        full_name,
        active_accounts: i32::try_from(active_accounts).unwrap_or(i32::MAX),
        max_accounts,
        open_items: open_items
            .into_iter()
            .map(|(area, n)| (area.to_owned(), n))
            .collect(),
    }
}

pub fn handover_request(request: pb::TransferResponsibilitiesRequest) -> Result<HandoverRequest> {
    let pb::TransferResponsibilitiesRequest {
        from_staff_id,
        to_staff_id,
        account_ids,
        reason,
        validate_only,
    } = request;
    let mut v = Violations::default();
    let from = v.take(required_id("from_staff_id", &from_staff_id));
    let to = v.take(required_id("to_staff_id", &to_staff_id));
    let reason = v.take(text("reason", &reason, 500, true));
    let accounts: Vec<Uuid> = v
        .take(bounded_list("account_ids", &account_ids))
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, id)| v.take(required_id(&format!("account_ids[{i}]"), id)))
        .collect();
    if from.is_some() && from == to {
        v.add("to_staff_id", "must differ from from_staff_id");
    }
    v.into_result()?;
    Ok(HandoverRequest {
        from: from.expect("checked"),
        to: to.expect("checked"),
        accounts,
        reason: reason.expect("checked"),
        validate_only,
    })
}

pub fn handover_to_proto(outcome: AreaHandover) -> pb::TransferResponsibilitiesResponse {
    let AreaHandover { moves, breaks } = outcome;
    pb::TransferResponsibilitiesResponse {
        moved: moves
            .into_iter()
            .map(
                |Moved {
                     area,
                     account_id,
                     item_id,
                     description,
                     new_item_id,
                 }| pb::MovedResponsibility {
                    area: area.to_owned(),
                    account_id: account_id.to_string(),
                    item_id: item_id.to_string(),
                    description,
                    new_item_id: new_item_id.map(|id| id.to_string()).unwrap_or_default(),
                },
            )
            .collect(),
        rule_breaks: breaks
            .into_iter()
            .map(
                |RuleBreak {
                     rule,
                     account_id,
                     description,
                 }| pb::RuleBreak {
                    rule: rule.to_owned(),
                    account_id: account_id.map(|id| id.to_string()).unwrap_or_default(),
                    description,
                },
            )
            .collect(),
    }
}

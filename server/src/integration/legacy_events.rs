//! Events stored before the public event contract (`payload_version` 0). Their payload is not a kam.v1
//! message but what `serde_json` made of the server's own structs at the time (snake_case names, UUIDs
//! and RFC 3339 times as strings, named enums by their text). Such rows stay in the outbox until it is
//! pruned, and the feed and the stream still serve them, so each is read back as the struct that wrote
//! it and converted to the message its event type now declares.
//!
//! The shapes read here are frozen history: a domain struct that is renamed or reshaped must still read
//! them (the tests hold one payload per shape, written out by hand as it was stored), and a payload
//! that does not read is answered with `None`, never guessed at.

use chrono::{DateTime, Utc};
use kam_proto::v1 as pb;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    accounts::convert::{account_to_proto, contact_to_proto},
    identity::{
        Role,
        convert::{api_key_to_proto, roles_to_proto},
    },
    opportunities::convert::{opportunity_to_proto, pipeline_to_proto},
    planning::{
        convert::{
            action_to_proto, interaction_to_proto, override_to_proto, plan_to_proto, tier_change_to_proto,
        },
        model::{TierOverrideRecord, UpsertOutcome},
    },
    platform::{
        events::Payload,
        wire::{WireEnum, timestamp},
    },
    service_levels::{
        convert::{calendar_to_proto, escalation_to_proto, policy_to_proto, request_to_proto},
        model::{Policy, Priority, SlaState, TargetKind},
    },
    teams::convert::{department_to_proto, member_to_proto, staff_to_proto},
};

/// The typed payload of an event stored before the public contract (payload_version 0), whose payload is
/// the server's own serialization of its structs at the time; `None` when it does not read as that.
/// `resource_id` is the event row's: `StaffRolesChanged` stored only the roles, not whose they are.
pub(super) fn convert(event_type: &str, resource_id: &str, payload: &Value) -> Option<Payload> {
    // One reading per struct that several event types serialized; each arm below names its own.
    let account = || read(payload).map(account_to_proto);
    let contact = || read(payload).map(contact_to_proto);
    let api_key = || read(payload).map(api_key_to_proto);
    let staff = || read(payload).map(staff_to_proto);
    let member = || read(payload).map(member_to_proto);
    let pipeline = || read(payload).map(pipeline_to_proto);
    let opportunity = || read(payload).map(opportunity_to_proto);
    let calendar = || read(payload).map(calendar_to_proto);
    let policy = || read(payload).map(policy_to_proto);
    let request = || read(payload).map(request_to_proto);
    let transition = || read(payload).map(transition_to_proto);
    let plan = || read(payload).map(plan_to_proto);
    let action = || read(payload).map(action_to_proto);
    let interaction = || read(payload).map(interaction_to_proto);

    let typed = match event_type {
        // Accounts.
        "AccountCreated" => Payload::AccountCreated(account()?),
        "AccountUpdated" => Payload::AccountUpdated(account()?),
        "AccountDeleted" => Payload::AccountDeleted(account()?),
        "AccountUndeleted" => Payload::AccountUndeleted(account()?),
        "ContactCreated" => Payload::ContactCreated(contact()?),
        "ContactUpdated" => Payload::ContactUpdated(contact()?),
        "ContactDeleted" => Payload::ContactDeleted(contact_tombstone(read(payload)?)),
        // Identity.
        "ApiKeyCreated" => Payload::ApiKeyCreated(api_key()?),
        "ApiKeyRevoked" => Payload::ApiKeyRevoked(api_key()?),
        "StaffRolesChanged" => Payload::StaffRolesChanged(staff_roles(resource_id, read(payload)?)),
        // Teams.
        "DepartmentCreated" => Payload::DepartmentCreated(department_to_proto(read(payload)?)),
        "StaffCreated" => Payload::StaffCreated(staff()?),
        "StaffUpdated" => Payload::StaffUpdated(staff()?),
        "StaffDeactivated" => Payload::StaffDeactivated(staff()?),
        "StaffReactivated" => Payload::StaffReactivated(staff()?),
        "TeamMemberAdded" => Payload::TeamMemberAdded(member()?),
        "TeamMemberUpdated" => Payload::TeamMemberUpdated(member()?),
        "TeamMemberRemoved" => Payload::TeamMemberRemoved(member()?),
        "ResponsibilitiesTransferred" => {
            Payload::ResponsibilitiesTransferred(transfer_to_proto(read(payload)?))
        }
        // Opportunities.
        "PipelineCreated" => Payload::PipelineCreated(pipeline()?),
        "PipelineUpdated" => Payload::PipelineUpdated(pipeline()?),
        "OpportunityCreated" => Payload::OpportunityCreated(opportunity()?),
        "OpportunityUpdated" => Payload::OpportunityUpdated(opportunity()?),
        "OpportunityStageChanged" => Payload::OpportunityStageChanged(opportunity()?),
        "OpportunityClosed" => Payload::OpportunityClosed(opportunity()?),
        "OpportunityReopened" => Payload::OpportunityReopened(opportunity()?),
        // Service levels.
        "BusinessCalendarCreated" => Payload::BusinessCalendarCreated(calendar()?),
        "BusinessCalendarUpdated" => Payload::BusinessCalendarUpdated(calendar()?),
        "SlaPolicyCreated" => Payload::SlaPolicyCreated(policy()?),
        "SlaPolicyUpdated" => Payload::SlaPolicyUpdated(policy()?),
        "SlaPolicyDeleted" => Payload::SlaPolicyDeleted(policy_tombstone(read(payload)?)),
        "ServiceRequestCreated" => Payload::ServiceRequestCreated(request()?),
        "ServiceRequestUpdated" => Payload::ServiceRequestUpdated(request()?),
        "ServiceRequestStatusChanged" => Payload::ServiceRequestStatusChanged(request()?),
        "ServiceRequestFirstResponseRecorded" => Payload::ServiceRequestFirstResponseRecorded(request()?),
        "ServiceRequestSlaRecalculated" => Payload::ServiceRequestSlaRecalculated(request()?),
        "SlaAtRisk" => Payload::SlaAtRisk(transition()?),
        "SlaBreached" => Payload::SlaBreached(transition()?),
        // The monitor's `EscalationEvent`: the escalation's fields flattened, beside the request's
        // `account_id`, which `Escalation` has no field for (serde leaves it unread).
        "SlaEscalated" => Payload::SlaEscalated(escalation_to_proto(read(payload)?)),
        // Planning.
        "RevenueRecordsUpserted" => Payload::RevenueRecordsUpserted(batch_to_proto(read(payload)?)),
        "TierChanged" => Payload::TierChanged(tier_change_to_proto(read(payload)?)),
        // The store's `OverrideEvent`: the record's fields flattened, beside the `tier_change` it made,
        // which was announced by its own `TierChanged` event and is left unread here.
        "TierOverrideSet" => Payload::TierOverrideSet(override_set(read(payload)?)),
        "TierOverrideCleared" => Payload::TierOverrideCleared(override_tombstone(read(payload)?)),
        "AccountPlanCreated" => Payload::AccountPlanCreated(plan()?),
        "AccountPlanUpdated" => Payload::AccountPlanUpdated(plan()?),
        "AccountPlanActivated" => Payload::AccountPlanActivated(plan()?),
        "AccountPlanClosed" => Payload::AccountPlanClosed(plan()?),
        "PlanActionCreated" => Payload::PlanActionCreated(action()?),
        "PlanActionUpdated" => Payload::PlanActionUpdated(action()?),
        "InteractionLogged" => Payload::InteractionLogged(interaction()?),
        "InteractionUpdated" => Payload::InteractionUpdated(interaction()?),
        _ => return None,
    };
    Some(typed)
}

/// `payload` read as the struct that was serialized into it; `None` when it has another shape. Why is
/// logged at debug level only: the caller warns about the event itself.
fn read<T: DeserializeOwned>(payload: &Value) -> Option<T> {
    T::deserialize(payload)
        .inspect_err(|error| tracing::debug!(%error, "a legacy event payload does not read as its struct"))
        .ok()
}

// ----- payloads that were ad-hoc shapes, mirrored as they were written -----

/// The payload of `ContactDeleted`: `json!({"id": …, "account_id": …})` in the contacts store.
#[derive(Deserialize)]
struct ContactDeletedEvent {
    id: Uuid,
    account_id: Uuid,
}

/// The payload of `ResponsibilitiesTransferred`: a `json!` in the teams store, naming the handover's
/// people and reason and listing what moved.
#[derive(Deserialize)]
struct TransferEvent {
    from_staff_id: Uuid,
    to_staff_id: Uuid,
    reason: String,
    moved: Vec<MovedItem>,
}

/// One `teams::handover::Moved` as serialized: its `area` is a `&'static str` there, which cannot be read
/// back into, hence this copy.
#[derive(Deserialize)]
struct MovedItem {
    area: String,
    account_id: Uuid,
    item_id: Uuid,
    description: String,
    new_item_id: Option<Uuid>,
}

/// The payload of `SlaAtRisk` and `SlaBreached`: the SLA monitor's `TransitionEvent`.
#[derive(Deserialize)]
struct TransitionEvent {
    service_request_id: Uuid,
    account_id: Uuid,
    target: TargetKind,
    state: SlaState,
    /// The request's stored priority text, which is the named enum's.
    priority: Priority,
    assignee_staff_id: Option<Uuid>,
    due_time: DateTime<Utc>,
    at_risk_time: DateTime<Utc>,
    record_time: DateTime<Utc>,
}

/// The payload of `RevenueRecordsUpserted`: the revenue store's `UpsertEvent`.
#[derive(Deserialize)]
struct UpsertEvent {
    #[serde(flatten)]
    outcome: UpsertOutcome,
    external_ids: Vec<String>,
}

// ----- conversions of what has no `*_to_proto` of its own -----

fn contact_tombstone(event: ContactDeletedEvent) -> pb::Tombstone {
    pb::Tombstone {
        id: event.id.to_string(),
        account_id: event.account_id.to_string(),
        delete_time: None,
    }
}

fn staff_roles(staff_id: &str, roles: Vec<Role>) -> pb::StaffRoles {
    pb::StaffRoles {
        staff_id: staff_id.to_owned(),
        roles: roles_to_proto(&roles),
    }
}

fn transfer_to_proto(event: TransferEvent) -> pb::ResponsibilitiesTransferred {
    let TransferEvent {
        from_staff_id,
        to_staff_id,
        reason,
        moved,
    } = event;
    pb::ResponsibilitiesTransferred {
        from_staff_id: from_staff_id.to_string(),
        to_staff_id: to_staff_id.to_string(),
        reason,
        moved: moved.into_iter().map(moved_to_proto).collect(),
    }
}

/// As `teams::convert::handover_to_proto` converts a `Moved`.
fn moved_to_proto(moved: MovedItem) -> pb::MovedResponsibility {
    let MovedItem {
        area,
        account_id,
        item_id,
        description,
        new_item_id,
    } = moved;
    pb::MovedResponsibility {
        area,
        account_id: account_id.to_string(),
        item_id: item_id.to_string(),
        description,
        new_item_id: new_item_id.map(|id| id.to_string()).unwrap_or_default(),
    }
}

/// A deleted policy's tombstone. Policies belong to no one account in the event stream (not even one
/// scoped to an account), so the tombstone names none.
fn policy_tombstone(policy: Policy) -> pb::Tombstone {
    pb::Tombstone {
        id: policy.id.to_string(),
        account_id: String::new(),
        delete_time: None,
    }
}

fn transition_to_proto(event: TransitionEvent) -> pb::SlaTransition {
    let TransitionEvent {
        service_request_id,
        account_id,
        target,
        state,
        priority,
        assignee_staff_id,
        due_time,
        at_risk_time,
        record_time,
    } = event;
    pb::SlaTransition {
        service_request_id: service_request_id.to_string(),
        account_id: account_id.to_string(),
        target: target.to_wire(),
        state: state.to_wire(),
        priority: priority.to_wire(),
        assignee_staff_id: assignee_staff_id.map(|id| id.to_string()).unwrap_or_default(),
        due_time: Some(timestamp(due_time)),
        at_risk_time: Some(timestamp(at_risk_time)),
        record_time: Some(timestamp(record_time)),
    }
}

fn batch_to_proto(event: UpsertEvent) -> pb::RevenueBatch {
    let UpsertEvent {
        outcome: UpsertOutcome {
            created,
            updated,
            unchanged,
        },
        external_ids,
    } = event;
    pb::RevenueBatch {
        created: i64::from(created),
        updated: i64::from(updated),
        unchanged: i64::from(unchanged),
        external_ids,
        // Older servers did not say which records changed account.
        moves: Vec::new(),
    }
}

/// The override as it stood when set: `active` is judged at its own set time, the moment the event
/// announced (a later reader would otherwise see an override that has since expired as never active).
fn override_set(record: TierOverrideRecord) -> pb::TierOverride {
    let set_time = record.set_time;
    override_to_proto(record, set_time)
}

/// A cleared override's tombstone: the override is the account's, so both ids are the account's.
fn override_tombstone(record: TierOverrideRecord) -> pb::Tombstone {
    let account_id = record.account_id.to_string();
    pb::Tombstone {
        id: account_id.clone(),
        account_id,
        delete_time: None,
    }
}

#[cfg(test)]
mod tests {
    //! Each fixture is a payload as the old code stored it, written out by hand (never produced by
    //! serializing today's structs): a field renamed in a domain struct breaks reading it, and fails here.

    use kam_proto::pbjson_types::Timestamp;
    use serde_json::json;

    use super::*;

    /// The stored event converted; panics when it does not convert.
    fn converted(event_type: &str, payload: Value) -> Payload {
        converted_for("", event_type, payload)
    }

    fn converted_for(resource_id: &str, event_type: &str, payload: Value) -> Payload {
        convert(event_type, resource_id, &payload)
            .unwrap_or_else(|| panic!("the legacy {event_type} payload does not convert"))
    }

    fn at(rfc3339: &str) -> Option<Timestamp> {
        Some(timestamp(rfc3339.parse().expect("an RFC 3339 time")))
    }

    fn money(currency: &str, units: i64, nanos: i32) -> Option<pb::Money> {
        Some(pb::Money {
            currency_code: currency.into(),
            units,
            nanos,
        })
    }

    fn date(year: i32, month: i32, day: i32) -> Option<pb::Date> {
        Some(pb::Date { year, month, day })
    }

    #[test]
    fn an_account_event_reads_as_the_account() {
        let payload = json!({
            "id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "external_id": "ERP-10042",
            "display_name": "Acme Logistics",
            "legal_name": "Acme Logistics GmbH",
            "industry": "Logistics",
            "region": "EU",
            "parent_account_id": null,
            "lifecycle": "ACTIVE",
            "tier": "KEY",
            "relationship_stage": "VALUE_ADDED",
            "rad_status": "DEVELOP",
            "create_time": "2024-06-03T09:15:27.482913Z",
            "update_time": "2024-06-20T16:45:00.120004Z",
            "delete_time": "2024-06-20T16:45:00.120004Z",
            "revision": 7
        });
        let Payload::AccountDeleted(account) = converted("AccountDeleted", payload) else {
            panic!("not AccountDeleted");
        };
        assert_eq!(account.id, "018fc52c-d200-7d26-9ef1-a02b78266c91");
        assert_eq!(account.external_id, "ERP-10042");
        assert_eq!(account.display_name, "Acme Logistics");
        assert_eq!(account.parent_account_id, "");
        assert_eq!(account.lifecycle, pb::Lifecycle::Active as i32);
        assert_eq!(account.tier, pb::Tier::Key as i32);
        assert_eq!(
            account.relationship_stage,
            pb::RelationshipStage::ValueAdded as i32
        );
        assert_eq!(account.rad_status, pb::RadStatus::Develop as i32);
        assert_eq!(account.create_time, at("2024-06-03T09:15:27.482913Z"));
        assert_eq!(account.delete_time, at("2024-06-20T16:45:00.120004Z"));
        assert_eq!(account.etag, "r7");
    }

    #[test]
    fn a_contact_event_reads_as_the_contact_with_its_nested_fields() {
        let payload = json!({
            "id": "018fc710-2860-7e1b-8877-7ba27d07d488",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "fields": {
                "external_id": null,
                "full_name": "Li Wei",
                "title": "Head of Procurement",
                "department": "Procurement",
                "buying_role": "DECISION_MAKER",
                "man": {"has_money": true, "has_authority": true, "has_need": false},
                "attitude": "SUPPORTER",
                "relationship_strength": 4,
                "reports_to_contact_id": "018fc788-fdf8-78f9-adf5-00387906ca88",
                "key_dates": [
                    {"kind": "BIRTHDAY", "label": "", "year": 0, "month": 2, "day": 29},
                    {"kind": "OTHER", "label": "Joined the board", "year": 2019, "month": 9, "day": 1}
                ],
                "email": "li.wei@acme.example",
                "phone": "+49 30 1234567",
                "notes": "Prefers calls before 10:00.",
                "active": true
            },
            "create_time": "2024-06-04T08:01:12.000331Z",
            "update_time": "2024-06-11T13:30:45.901276Z",
            "revision": 3
        });
        let Payload::ContactUpdated(contact) = converted("ContactUpdated", payload) else {
            panic!("not ContactUpdated");
        };
        assert_eq!(contact.id, "018fc710-2860-7e1b-8877-7ba27d07d488");
        assert_eq!(contact.account_id, "018fc52c-d200-7d26-9ef1-a02b78266c91");
        assert_eq!(contact.external_id, "");
        assert_eq!(contact.full_name, "Li Wei");
        assert_eq!(contact.buying_role, pb::BuyingRole::DecisionMaker as i32);
        assert_eq!(contact.attitude, pb::Attitude::Supporter as i32);
        assert_eq!(
            contact.man,
            Some(pb::Man {
                has_money: true,
                has_authority: true,
                has_need: false,
            })
        );
        assert_eq!(contact.relationship_strength, 4);
        assert_eq!(
            contact.reports_to_contact_id,
            "018fc788-fdf8-78f9-adf5-00387906ca88"
        );
        assert_eq!(
            contact.key_dates,
            [
                pb::KeyDate {
                    kind: pb::KeyDateKind::Birthday as i32,
                    label: String::new(),
                    date: date(0, 2, 29),
                    one_time: false,
                },
                pb::KeyDate {
                    kind: pb::KeyDateKind::Other as i32,
                    label: "Joined the board".into(),
                    date: date(2019, 9, 1),
                    one_time: false,
                },
            ]
        );
        assert_eq!(contact.email, "li.wei@acme.example");
        assert_eq!(contact.active, Some(true));
        assert_eq!(contact.update_time, at("2024-06-11T13:30:45.901276Z"));
        assert_eq!(contact.etag, "r3");
    }

    #[test]
    fn a_contact_deletion_reads_as_a_tombstone() {
        let payload = json!({
            "id": "018fc710-2860-7e1b-8877-7ba27d07d488",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91"
        });
        assert_eq!(
            converted("ContactDeleted", payload),
            Payload::ContactDeleted(pb::Tombstone {
                id: "018fc710-2860-7e1b-8877-7ba27d07d488".into(),
                account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                delete_time: None,
            })
        );
    }

    #[test]
    fn an_api_key_event_reads_as_the_key() {
        let payload = json!({
            "id": "018fc801-d390-7d21-953a-15e10da254b8",
            "staff_id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
            "display_name": "ERP nightly sync",
            "prefix": "kam_3fa91c07",
            "creator_id": "018fc87a-a928-7cd3-a486-559543e9e03a",
            "create_time": "2024-06-05T07:00:03.115200Z",
            "expire_time": null,
            "revoke_time": "2024-07-01T10:12:54.004410Z",
            "last_use_time": "2024-06-30T02:00:01.337000Z"
        });
        assert_eq!(
            converted("ApiKeyRevoked", payload),
            Payload::ApiKeyRevoked(pb::ApiKey {
                id: "018fc801-d390-7d21-953a-15e10da254b8".into(),
                staff_id: "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62".into(),
                display_name: "ERP nightly sync".into(),
                prefix: "kam_3fa91c07".into(),
                create_time: at("2024-06-05T07:00:03.115200Z"),
                expire_time: None,
                revoke_time: at("2024-07-01T10:12:54.004410Z"),
                last_use_time: at("2024-06-30T02:00:01.337000Z"),
                creator_id: "018fc87a-a928-7cd3-a486-559543e9e03a".into(),
            })
        );
    }

    #[test]
    fn a_roles_change_reads_as_the_staff_members_roles() {
        let staff_id = "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62";
        assert_eq!(
            converted_for(staff_id, "StaffRolesChanged", json!(["ADMIN", "SERVICE_AGENT"])),
            Payload::StaffRolesChanged(pb::StaffRoles {
                staff_id: staff_id.into(),
                roles: vec![pb::Role::Admin as i32, pb::Role::ServiceAgent as i32],
            })
        );
    }

    #[test]
    fn a_department_event_reads_as_the_department() {
        let payload = json!({
            "id": "018fc697-52c8-7591-8715-584f8549c4cc",
            "code": "CUSTOMER_SERVICE",
            "display_name": "Customer Service",
            "create_time": "2024-06-03T08:00:00.000001Z"
        });
        assert_eq!(
            converted("DepartmentCreated", payload),
            Payload::DepartmentCreated(pb::Department {
                id: "018fc697-52c8-7591-8715-584f8549c4cc".into(),
                code: "CUSTOMER_SERVICE".into(),
                display_name: "Customer Service".into(),
                create_time: at("2024-06-03T08:00:00.000001Z"),
            })
        );
    }

    #[test]
    fn a_staff_event_reads_as_the_person() {
        let payload = json!({
            "id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
            "fields": {
                "full_name": "Anna Becker",
                "email": "anna.becker@kam.example",
                "department_id": "018fc697-52c8-7591-8715-584f8549c4cc",
                "level": "MANAGER",
                "title": "Key Account Manager",
                "max_accounts": 25,
                "stage_specialties": ["QUALIFIED", "PROPOSAL"]
            },
            "active": false,
            "create_time": "2024-06-03T08:05:10.250000Z",
            "update_time": "2024-07-02T09:00:00.500000Z",
            "revision": 5
        });
        let Payload::StaffDeactivated(staff) = converted("StaffDeactivated", payload) else {
            panic!("not StaffDeactivated");
        };
        assert_eq!(staff.id, "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62");
        assert_eq!(staff.full_name, "Anna Becker");
        assert_eq!(staff.email, "anna.becker@kam.example");
        assert_eq!(staff.department_id, "018fc697-52c8-7591-8715-584f8549c4cc");
        assert_eq!(staff.level, pb::StaffLevel::Manager as i32);
        assert_eq!(staff.max_accounts, 25);
        assert_eq!(staff.stage_specialties, ["QUALIFIED", "PROPOSAL"]);
        assert!(!staff.active);
        assert_eq!(staff.update_time, at("2024-07-02T09:00:00.500000Z"));
        assert_eq!(staff.etag, "r5");
    }

    #[test]
    fn a_team_member_event_reads_as_the_seat() {
        let payload = json!({
            "id": "018fc8f3-7ec0-7694-a075-6b729447267c",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "staff_id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
            "role": "ACCOUNT_MANAGER",
            "is_department_liaison": false,
            "department_id": "018fc697-52c8-7591-8715-584f8549c4cc",
            "start_time": "2024-06-03T10:00:00.000100Z",
            "end_time": "2024-07-02T09:00:00.500000Z",
            "end_reason": "handed over: parental leave",
            "revision": 2
        });
        let Payload::TeamMemberRemoved(member) = converted("TeamMemberRemoved", payload) else {
            panic!("not TeamMemberRemoved");
        };
        assert_eq!(member.id, "018fc8f3-7ec0-7694-a075-6b729447267c");
        assert_eq!(member.account_id, "018fc52c-d200-7d26-9ef1-a02b78266c91");
        assert_eq!(member.staff_id, "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62");
        assert_eq!(member.role, pb::TeamRole::AccountManager as i32);
        assert_eq!(member.end_time, at("2024-07-02T09:00:00.500000Z"));
        assert_eq!(member.end_reason, "handed over: parental leave");
        assert_eq!(member.etag, "r2");
    }

    #[test]
    fn a_handover_reads_as_the_people_reason_and_moves() {
        let payload = json!({
            "from_staff_id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
            "to_staff_id": "018fc61e-7d30-796c-8750-237cd9a3ef9f",
            "reason": "parental leave",
            "moved": [
                {
                    "area": "team_roles",
                    "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
                    "item_id": "018fc8f3-7ec0-7694-a075-6b729447267c",
                    "description": "ACCOUNT_MANAGER",
                    "new_item_id": "018fc96c-5458-7aea-8943-50f2bb52476f"
                },
                {
                    "area": "opportunities",
                    "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
                    "item_id": "018fc9e5-29f0-7265-849d-8e04fb642c80",
                    "description": "Fleet renewal 2025",
                    "new_item_id": null
                }
            ]
        });
        assert_eq!(
            converted("ResponsibilitiesTransferred", payload),
            Payload::ResponsibilitiesTransferred(pb::ResponsibilitiesTransferred {
                from_staff_id: "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62".into(),
                to_staff_id: "018fc61e-7d30-796c-8750-237cd9a3ef9f".into(),
                reason: "parental leave".into(),
                moved: vec![
                    pb::MovedResponsibility {
                        area: "team_roles".into(),
                        account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                        item_id: "018fc8f3-7ec0-7694-a075-6b729447267c".into(),
                        description: "ACCOUNT_MANAGER".into(),
                        new_item_id: "018fc96c-5458-7aea-8943-50f2bb52476f".into(),
                    },
                    pb::MovedResponsibility {
                        area: "opportunities".into(),
                        account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                        item_id: "018fc9e5-29f0-7265-849d-8e04fb642c80".into(),
                        description: "Fleet renewal 2025".into(),
                        new_item_id: String::new(),
                    },
                ],
            })
        );
    }

    #[test]
    fn a_pipeline_event_reads_as_the_pipeline_and_its_stages() {
        let stage = |key: &str, probability: i32, category: &str, won: bool, lost: bool| {
            json!({
                "key": key,
                "display_name": key.to_lowercase(),
                "probability": probability,
                "forecast_category": category,
                "stall_after_days": 30,
                "closed_won": won,
                "closed_lost": lost
            })
        };
        let payload = json!({
            "id": "018fca5d-ff88-7778-b5ba-124d3ed3f642",
            "fields": {
                "display_name": "Enterprise deals",
                "stages": [
                    stage("LEAD", 10, "PIPELINE", false, false),
                    stage("QUALIFIED", 40, "BEST_CASE", false, false),
                    stage("WON", 100, "CLOSED", true, false),
                    stage("LOST", 0, "OMITTED", false, true)
                ],
                "qualification_stage_key": "QUALIFIED"
            },
            "is_default": false,
            "create_time": "2024-06-06T11:11:11.111111Z",
            "update_time": "2024-06-07T12:12:12.121212Z",
            "revision": 2
        });
        let Payload::PipelineUpdated(pipeline) = converted("PipelineUpdated", payload) else {
            panic!("not PipelineUpdated");
        };
        assert_eq!(pipeline.id, "018fca5d-ff88-7778-b5ba-124d3ed3f642");
        assert_eq!(pipeline.display_name, "Enterprise deals");
        assert_eq!(pipeline.qualification_stage_key, "QUALIFIED");
        assert!(!pipeline.is_default);
        let stages: Vec<_> = pipeline
            .stages
            .iter()
            .map(|s| {
                (
                    s.key.as_str(),
                    s.probability,
                    s.forecast_category,
                    s.closed_won,
                    s.closed_lost,
                )
            })
            .collect();
        assert_eq!(
            stages,
            [
                ("LEAD", 10, pb::ForecastCategory::Pipeline as i32, false, false),
                (
                    "QUALIFIED",
                    40,
                    pb::ForecastCategory::BestCase as i32,
                    false,
                    false
                ),
                ("WON", 100, pb::ForecastCategory::Closed as i32, true, false),
                ("LOST", 0, pb::ForecastCategory::Omitted as i32, false, true),
            ]
        );
        assert_eq!(pipeline.stages[0].stall_after_days, 30);
        assert_eq!(pipeline.etag, "r2");
    }

    #[test]
    fn an_opportunity_event_reads_as_the_deal_with_its_money_and_closing() {
        let payload = json!({
            "id": "018fc9e5-29f0-7265-849d-8e04fb642c80",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "pipeline_id": "00000000-0000-7000-8000-000000000100",
            "stage": "CLOSED_WON",
            "deal": {
                "external_id": "ERP-OPP-553",
                "display_name": "Fleet renewal 2025",
                "amount": {"currency": "EUR", "units": 125000, "nanos": 500000000},
                "expected_close_date": "2025-03-31",
                "probability_override": null,
                "forecast_category_override": null,
                "owner_staff_id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
                "stage_owner_staff_id": null,
                "competitors": ["Globex", "Initech"],
                "source": "referral",
                "next_step": "",
                "qualification": {"budget": true, "authority": true, "need": true}
            },
            "probability": 100,
            "forecast_category": "CLOSED",
            "closing": {
                "outcome": "WON",
                "reason": "best total cost",
                "note": "Three-year frame contract",
                "lost_to_competitor": "",
                "time": "2024-07-15T15:30:00.700000Z"
            },
            "stage_enter_time": "2024-07-15T15:30:00.700000Z",
            "create_time": "2024-06-08T09:00:00.000500Z",
            "update_time": "2024-07-15T15:30:00.700000Z",
            "revision": 9
        });
        let Payload::OpportunityClosed(deal) = converted("OpportunityClosed", payload) else {
            panic!("not OpportunityClosed");
        };
        assert_eq!(deal.id, "018fc9e5-29f0-7265-849d-8e04fb642c80");
        assert_eq!(deal.external_id, "ERP-OPP-553");
        assert_eq!(deal.pipeline_id, "00000000-0000-7000-8000-000000000100");
        assert_eq!(deal.stage, "CLOSED_WON");
        assert_eq!(deal.amount, money("EUR", 125_000, 500_000_000));
        assert_eq!(deal.expected_close_date, date(2025, 3, 31));
        assert_eq!(deal.probability, 100);
        assert_eq!(deal.probability_override, None);
        assert_eq!(deal.forecast_category, pb::ForecastCategory::Closed as i32);
        assert_eq!(deal.forecast_category_override, 0);
        assert_eq!(deal.owner_staff_id, "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62");
        assert_eq!(deal.stage_owner_staff_id, "");
        assert_eq!(deal.competitors, ["Globex", "Initech"]);
        assert_eq!(
            deal.qualification,
            Some(pb::Qualification {
                budget_confirmed: true,
                authority_confirmed: true,
                need_confirmed: true,
            })
        );
        assert_eq!(deal.outcome, pb::Outcome::Won as i32);
        assert_eq!(deal.close_reason, "best total cost");
        assert_eq!(deal.close_time, at("2024-07-15T15:30:00.700000Z"));
        assert_eq!(deal.etag, "r9");
    }

    #[test]
    fn a_calendar_event_reads_as_the_calendar() {
        let payload = json!({
            "id": "018fcad6-d520-7e12-bd5d-b6e71248254c",
            "fields": {
                "display_name": "Berlin office hours",
                "time_zone": "Europe/Berlin",
                "always_open": false,
                "windows": [
                    {"weekday": "Mon", "start_minute": 480, "end_minute": 1020},
                    {"weekday": "Fri", "start_minute": 480, "end_minute": 900}
                ],
                "holidays": [{"date": "2024-12-25", "display_name": "Christmas Day"}]
            },
            "create_time": "2024-06-09T10:00:00.000010Z",
            "update_time": "2024-06-09T10:00:00.000010Z",
            "revision": 1
        });
        let Payload::BusinessCalendarCreated(calendar) = converted("BusinessCalendarCreated", payload) else {
            panic!("not BusinessCalendarCreated");
        };
        assert_eq!(calendar.id, "018fcad6-d520-7e12-bd5d-b6e71248254c");
        assert_eq!(calendar.time_zone, "Europe/Berlin");
        assert!(!calendar.always_open);
        assert_eq!(
            calendar.windows,
            [
                pb::WorkingWindow {
                    day: pb::DayOfWeek::Monday as i32,
                    start_time: "08:00".into(),
                    end_time: "17:00".into(),
                },
                pb::WorkingWindow {
                    day: pb::DayOfWeek::Friday as i32,
                    start_time: "08:00".into(),
                    end_time: "15:00".into(),
                },
            ]
        );
        assert_eq!(
            calendar.holidays,
            [pb::Holiday {
                date: date(2024, 12, 25),
                display_name: "Christmas Day".into(),
            }]
        );
        assert_eq!(calendar.etag, "r1");
    }

    #[test]
    fn a_policy_event_reads_as_the_policy_with_its_scope_and_ladder() {
        let payload = json!({
            "id": "018fcb4f-aab8-7c15-931a-6d0d43e970e4",
            "fields": {
                "display_name": "Key accounts",
                "scope": {"Tier": "KEY"},
                "calendar_id": "018fcad6-d520-7e12-bd5d-b6e71248254c",
                "targets": [
                    {"priority": "P1", "first_response_minutes": 30, "resolution_minutes": 240},
                    {"priority": "P2", "first_response_minutes": 60, "resolution_minutes": 480}
                ],
                "warning_percent": 75,
                "pause_statuses": ["WAITING_ON_CUSTOMER"],
                "escalation_steps": [{
                    "trigger": "BREACHED",
                    "target": "RESOLUTION",
                    "delay_minutes": 0,
                    "notify_assignee": true,
                    "roles": ["ACCOUNT_MANAGER"],
                    "liaison_department_codes": ["CUSTOMER_SERVICE"]
                }]
            },
            "create_time": "2024-06-09T10:05:00.000020Z",
            "update_time": "2024-06-12T14:00:00.000030Z",
            "revision": 4
        });
        let Payload::SlaPolicyUpdated(policy) = converted("SlaPolicyUpdated", payload) else {
            panic!("not SlaPolicyUpdated");
        };
        assert_eq!(policy.id, "018fcb4f-aab8-7c15-931a-6d0d43e970e4");
        assert_eq!(policy.display_name, "Key accounts");
        assert_eq!(policy.account_id, "");
        assert_eq!(policy.tier, pb::Tier::Key as i32);
        assert!(!policy.is_default);
        assert_eq!(policy.calendar_id, "018fcad6-d520-7e12-bd5d-b6e71248254c");
        assert_eq!(
            policy.targets[0],
            pb::PriorityTargets {
                priority: pb::Priority::P1 as i32,
                first_response_minutes: 30,
                resolution_minutes: 240,
            }
        );
        assert_eq!(policy.warning_percent, 75);
        assert_eq!(
            policy.pause_statuses,
            Some(pb::PauseStatuses {
                statuses: vec![pb::service_request::Status::WaitingOnCustomer as i32],
            })
        );
        assert_eq!(
            policy.escalation_steps,
            [pb::EscalationStep {
                trigger: pb::escalation_step::Trigger::Breached as i32,
                target: pb::SlaTargetKind::Resolution as i32,
                delay_minutes: 0,
                notify_assignee: true,
                roles: vec![pb::TeamRole::AccountManager as i32],
                liaison_department_codes: vec!["CUSTOMER_SERVICE".into()],
            }]
        );
        assert_eq!(policy.etag, "r4");
    }

    #[test]
    fn a_policy_deletion_reads_as_a_tombstone_of_no_account() {
        let payload = json!({
            "id": "018fcb4f-aab8-7c15-931a-6d0d43e970e4",
            "fields": {
                "display_name": "Acme special terms",
                "scope": {"Account": "018fc52c-d200-7d26-9ef1-a02b78266c91"},
                "calendar_id": "00000000-0000-7000-8000-000000000300",
                "targets": [
                    {"priority": "P1", "first_response_minutes": 15, "resolution_minutes": 120}
                ],
                "warning_percent": 80,
                "pause_statuses": [],
                "escalation_steps": []
            },
            "create_time": "2024-06-09T10:05:00.000020Z",
            "update_time": "2024-06-09T10:05:00.000020Z",
            "revision": 1
        });
        assert_eq!(
            converted("SlaPolicyDeleted", payload),
            Payload::SlaPolicyDeleted(pb::Tombstone {
                id: "018fcb4f-aab8-7c15-931a-6d0d43e970e4".into(),
                account_id: String::new(),
                delete_time: None,
            })
        );
    }

    #[test]
    fn a_service_request_event_reads_as_the_request_with_its_sla() {
        let payload = json!({
            "id": "018fcbc8-8050-7b64-910c-4c1890a96f9d",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "priority": "P2",
            "status": "IN_PROGRESS",
            "fields": {
                "external_id": "TCK-88213",
                "contact_id": "018fc710-2860-7e1b-8877-7ba27d07d488",
                "title": "Forklift battery fails to charge",
                "description": "Unit 7 in the Hamburg depot.",
                "category": "REPAIR",
                "assignee_staff_id": "018fcf16-5778-7e14-87e0-a07e96d35d0c"
            },
            "sla": {
                "policy_id": "018fcb4f-aab8-7c15-931a-6d0d43e970e4",
                "policy_match": "MATCHED_TIER",
                "calendar_id": "018fcad6-d520-7e12-bd5d-b6e71248254c",
                "first_response_minutes": 60,
                "resolution_minutes": 480,
                "warning_percent": 75,
                "pause_statuses": ["WAITING_ON_CUSTOMER"],
                "apply_time": "2024-07-01T08:00:00.250000Z"
            },
            "first_response": {
                "state": "MET",
                "due_time": "2024-07-01T09:00:00.250000Z",
                "at_risk_time": "2024-07-01T08:45:00.250000Z",
                "elapsed_business_minutes": 35,
                "paused_business_minutes": 0,
                "target_minutes": 60,
                "fulfilled_time": "2024-07-01T08:35:10Z"
            },
            "resolution": {
                "state": "IN_PROGRESS",
                "due_time": "2024-07-01T16:00:00.250000Z",
                "at_risk_time": "2024-07-01T14:00:00.250000Z",
                "elapsed_business_minutes": 50,
                "paused_business_minutes": 0,
                "target_minutes": 480,
                "fulfilled_time": null
            },
            "first_response_time": "2024-07-01T08:35:10Z",
            "status_time": "2024-07-01T08:35:10Z",
            "resolve_time": null,
            "close_time": null,
            "create_time": "2024-07-01T08:00:00.250000Z",
            "update_time": "2024-07-01T08:35:10Z",
            "revision": 3
        });
        let Payload::ServiceRequestStatusChanged(request) = converted("ServiceRequestStatusChanged", payload)
        else {
            panic!("not ServiceRequestStatusChanged");
        };
        assert_eq!(request.id, "018fcbc8-8050-7b64-910c-4c1890a96f9d");
        assert_eq!(request.external_id, "TCK-88213");
        assert_eq!(request.contact_id, "018fc710-2860-7e1b-8877-7ba27d07d488");
        assert_eq!(request.priority, pb::Priority::P2 as i32);
        assert_eq!(request.status, pb::service_request::Status::InProgress as i32);
        assert_eq!(request.category, pb::service_request::Category::Repair as i32);
        assert_eq!(request.assignee_staff_id, "018fcf16-5778-7e14-87e0-a07e96d35d0c");
        let sla = request.sla.expect("the applied SLA");
        assert_eq!(sla.policy_id, "018fcb4f-aab8-7c15-931a-6d0d43e970e4");
        assert_eq!(sla.r#match, pb::SlaPolicyMatch::MatchedTier as i32);
        assert_eq!(sla.warning_percent, 75);
        let first = request.first_response.expect("the first-response target");
        assert_eq!(first.state, pb::sla_target::State::Met as i32);
        assert_eq!(first.fulfilled_time, at("2024-07-01T08:35:10Z"));
        let resolution = request.resolution.expect("the resolution target");
        assert_eq!(resolution.state, pb::sla_target::State::InProgress as i32);
        assert_eq!(resolution.due_time, at("2024-07-01T16:00:00.250000Z"));
        assert_eq!(resolution.target_minutes, 480);
        assert_eq!(request.first_response_time, at("2024-07-01T08:35:10Z"));
        assert_eq!(request.resolve_time, None);
        assert_eq!(request.etag, "r3");
    }

    #[test]
    fn an_sla_transition_reads_as_the_transition() {
        let payload = json!({
            "service_request_id": "018fcbc8-8050-7b64-910c-4c1890a96f9d",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "target": "RESOLUTION",
            "state": "BREACHED",
            "priority": "P1",
            "assignee_staff_id": null,
            "due_time": "2024-07-01T16:00:00.250000Z",
            "at_risk_time": "2024-07-01T14:00:00.250000Z",
            "record_time": "2024-07-01T16:00:30.018422Z"
        });
        assert_eq!(
            converted("SlaBreached", payload),
            Payload::SlaBreached(pb::SlaTransition {
                service_request_id: "018fcbc8-8050-7b64-910c-4c1890a96f9d".into(),
                account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                target: pb::SlaTargetKind::Resolution as i32,
                state: pb::sla_target::State::Breached as i32,
                priority: pb::Priority::P1 as i32,
                assignee_staff_id: String::new(),
                due_time: at("2024-07-01T16:00:00.250000Z"),
                at_risk_time: at("2024-07-01T14:00:00.250000Z"),
                record_time: at("2024-07-01T16:00:30.018422Z"),
            })
        );
    }

    #[test]
    fn an_escalation_reads_as_the_escalation_beside_its_account() {
        let payload = json!({
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "id": "018fcc41-55e8-77a9-b274-0f99c01fd6d1",
            "service_request_id": "018fcbc8-8050-7b64-910c-4c1890a96f9d",
            "target": "FIRST_RESPONSE",
            "trigger": "AT_RISK",
            "step_index": 0,
            "recipients": [
                {"staff_id": "018fcf16-5778-7e14-87e0-a07e96d35d0c", "reason": "ASSIGNEE"},
                {"staff_id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62", "reason": "ACCOUNT_MANAGER"}
            ],
            "escalate_time": "2024-07-01T08:45:30.500000Z"
        });
        assert_eq!(
            converted("SlaEscalated", payload),
            Payload::SlaEscalated(pb::Escalation {
                id: "018fcc41-55e8-77a9-b274-0f99c01fd6d1".into(),
                service_request_id: "018fcbc8-8050-7b64-910c-4c1890a96f9d".into(),
                target: pb::SlaTargetKind::FirstResponse as i32,
                trigger: pb::escalation_step::Trigger::AtRisk as i32,
                step_index: 0,
                recipients: vec![
                    pb::EscalationRecipient {
                        staff_id: "018fcf16-5778-7e14-87e0-a07e96d35d0c".into(),
                        reason: "ASSIGNEE".into(),
                    },
                    pb::EscalationRecipient {
                        staff_id: "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62".into(),
                        reason: "ACCOUNT_MANAGER".into(),
                    },
                ],
                escalate_time: at("2024-07-01T08:45:30.500000Z"),
            })
        );
    }

    #[test]
    fn a_revenue_batch_reads_as_its_counts_and_external_ids() {
        let payload = json!({
            "created": 2,
            "updated": 1,
            "unchanged": 4,
            "external_ids": [
                "INV-2024-0001", "INV-2024-0002", "INV-2024-0003", "INV-2024-0004",
                "INV-2024-0005", "INV-2024-0006", "INV-2024-0007"
            ]
        });
        let Payload::RevenueRecordsUpserted(batch) = converted("RevenueRecordsUpserted", payload) else {
            panic!("not RevenueRecordsUpserted");
        };
        assert_eq!((batch.created, batch.updated, batch.unchanged), (2, 1, 4));
        assert_eq!(batch.external_ids.len(), 7);
        assert_eq!(batch.external_ids[0], "INV-2024-0001");
    }

    #[test]
    fn a_tier_change_reads_as_the_change_with_its_ranking_facts() {
        let payload = json!({
            "id": "018fccba-2b80-7e96-b73b-f14dd4561dbb",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "old_tier": "GROWTH",
            "new_tier": "KEY",
            "source": "RANKING",
            "reason": "TIER_REASON_REVENUE_SHARE_KEY",
            "note": "",
            "as_of": "2024-07-01T00:00:00Z",
            "revenue": {"currency": "EUR", "units": 1843250, "nanos": 0},
            "cumulative_share_ppm": 612345,
            "change_time": "2024-07-01T06:00:02.781000Z",
            "changed_by": "018fc87a-a928-7cd3-a486-559543e9e03a"
        });
        assert_eq!(
            converted("TierChanged", payload),
            Payload::TierChanged(pb::TierChange {
                id: "018fccba-2b80-7e96-b73b-f14dd4561dbb".into(),
                account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                old_tier: pb::Tier::Growth as i32,
                new_tier: pb::Tier::Key as i32,
                source: "RANKING".into(),
                reason: pb::TierReason::RevenueShareKey as i32,
                note: String::new(),
                as_of: at("2024-07-01T00:00:00Z"),
                revenue: money("EUR", 1_843_250, 0),
                cumulative_share_ppm: 612_345,
                change_time: at("2024-07-01T06:00:02.781000Z"),
                changed_by_staff_id: "018fc87a-a928-7cd3-a486-559543e9e03a".into(),
            })
        );
    }

    #[test]
    fn an_override_set_reads_as_the_override_active_when_set() {
        let payload = json!({
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "tier": "STRATEGIC",
            "reason": "Board decision: flagship customer",
            "expire_time": "2024-09-30T00:00:00Z",
            "set_by": "018fc87a-a928-7cd3-a486-559543e9e03a",
            "set_time": "2024-07-03T12:00:00.450000Z",
            "tier_change": {
                "id": "018fcd33-0118-7419-ad8d-1d53d83352e7",
                "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
                "old_tier": "KEY",
                "new_tier": "STRATEGIC",
                "source": "OVERRIDE",
                "reason": "TIER_REASON_OVERRIDE",
                "note": "Board decision: flagship customer",
                "as_of": null,
                "revenue": null,
                "cumulative_share_ppm": null,
                "change_time": "2024-07-03T12:00:00.450000Z",
                "changed_by": "018fc87a-a928-7cd3-a486-559543e9e03a"
            }
        });
        // Active although it has expired by now: the event says how it stood when it was set.
        assert_eq!(
            converted("TierOverrideSet", payload),
            Payload::TierOverrideSet(pb::TierOverride {
                account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                tier: pb::Tier::Strategic as i32,
                reason: "Board decision: flagship customer".into(),
                expire_time: at("2024-09-30T00:00:00Z"),
                set_by_staff_id: "018fc87a-a928-7cd3-a486-559543e9e03a".into(),
                set_time: at("2024-07-03T12:00:00.450000Z"),
                active: true,
            })
        );
    }

    #[test]
    fn an_override_cleared_reads_as_a_tombstone_of_the_account() {
        let payload = json!({
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "tier": "STRATEGIC",
            "reason": "Board decision: flagship customer",
            "expire_time": null,
            "set_by": "018fc87a-a928-7cd3-a486-559543e9e03a",
            "set_time": "2024-07-03T12:00:00.450000Z"
        });
        assert_eq!(
            converted("TierOverrideCleared", payload),
            Payload::TierOverrideCleared(pb::Tombstone {
                id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                delete_time: None,
            })
        );
    }

    #[test]
    fn a_plan_event_reads_as_the_plan_with_its_flattened_fields() {
        let payload = json!({
            "id": "018fcdab-d6b0-7fd2-a450-3c089e70bcff",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "name": "FY2025 growth plan",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "vision": "Become Acme's sole fleet partner in the DACH region.",
            "revenue_target": {"currency": "EUR", "units": 2500000, "nanos": 0},
            "share_of_wallet_target_percent": 35,
            "objectives": [
                {"metric": "NPS", "target_value": 60, "current_value": 42, "due_date": "2025-06-30"}
            ],
            "swot": [{"kind": "STRENGTH", "text": "Service coverage in every depot"}],
            "competitors": [{
                "name": "Globex",
                "estimated_share_percent": 40,
                "strengths": "Price",
                "weaknesses": "No service network",
                "threat_level": "HIGH"
            }],
            "whitespace": [{
                "product_line": "Telematics",
                "status": "POTENTIAL",
                "estimated_value": {"currency": "EUR", "units": 300000, "nanos": 0}
            }],
            "status": "ACTIVE",
            "create_time": "2024-07-04T09:00:00.000700Z",
            "update_time": "2024-07-05T10:00:00.000800Z",
            "activate_time": "2024-07-05T10:00:00.000800Z",
            "close_time": null,
            "revision": 4
        });
        let Payload::AccountPlanActivated(plan) = converted("AccountPlanActivated", payload) else {
            panic!("not AccountPlanActivated");
        };
        assert_eq!(plan.id, "018fcdab-d6b0-7fd2-a450-3c089e70bcff");
        assert_eq!(plan.account_id, "018fc52c-d200-7d26-9ef1-a02b78266c91");
        assert_eq!(plan.name, "FY2025 growth plan");
        assert_eq!(plan.period_start, date(2025, 1, 1));
        assert_eq!(plan.period_end, date(2025, 12, 31));
        assert_eq!(plan.status, pb::account_plan::Status::Active as i32);
        assert_eq!(plan.revenue_target, money("EUR", 2_500_000, 0));
        assert_eq!(plan.share_of_wallet_target_percent, 35);
        assert_eq!(
            plan.objectives,
            [pb::PlanObjective {
                metric: "NPS".into(),
                target_value: 60,
                current_value: 42,
                due_date: date(2025, 6, 30),
            }]
        );
        assert_eq!(plan.swot[0].kind, pb::swot_item::Kind::Strength as i32);
        assert_eq!(
            plan.competitors[0].threat_level,
            pb::competitor_assessment::ThreatLevel::High as i32
        );
        assert_eq!(
            plan.whitespace[0].status,
            pb::whitespace_cell::Status::Potential as i32
        );
        assert_eq!(plan.whitespace[0].estimated_value, money("EUR", 300_000, 0));
        assert_eq!(plan.activate_time, at("2024-07-05T10:00:00.000800Z"));
        assert_eq!(plan.close_time, None);
        assert_eq!(plan.etag, "r4");
    }

    #[test]
    fn a_plan_action_event_reads_as_the_action() {
        let payload = json!({
            "id": "018fce24-ac48-7b15-b09b-aafe1db48a37",
            "plan_id": "018fcdab-d6b0-7fd2-a450-3c089e70bcff",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "title": "Telematics pilot in Hamburg",
            "description": "Ten trucks for three months.",
            "owner_staff_id": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
            "department_id": "018fc697-52c8-7591-8715-584f8549c4cc",
            "due_date": "2025-02-15",
            "status": "IN_PROGRESS",
            "complete_time": null,
            "create_time": "2024-07-05T11:00:00.000900Z",
            "update_time": "2024-07-10T08:30:00.001000Z",
            "revision": 2
        });
        assert_eq!(
            converted("PlanActionUpdated", payload),
            Payload::PlanActionUpdated(pb::PlanAction {
                id: "018fce24-ac48-7b15-b09b-aafe1db48a37".into(),
                plan_id: "018fcdab-d6b0-7fd2-a450-3c089e70bcff".into(),
                account_id: "018fc52c-d200-7d26-9ef1-a02b78266c91".into(),
                title: "Telematics pilot in Hamburg".into(),
                description: "Ten trucks for three months.".into(),
                owner_staff_id: "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62".into(),
                department_id: "018fc697-52c8-7591-8715-584f8549c4cc".into(),
                due_date: date(2025, 2, 15),
                status: pb::plan_action::Status::InProgress as i32,
                complete_time: None,
                create_time: at("2024-07-05T11:00:00.000900Z"),
                update_time: at("2024-07-10T08:30:00.001000Z"),
                etag: "r2".into(),
            })
        );
    }

    #[test]
    fn an_interaction_event_reads_as_the_interaction_with_its_flattened_fields() {
        let payload = json!({
            "id": "018fce9d-81e0-7cae-bdd6-f26b6790054b",
            "account_id": "018fc52c-d200-7d26-9ef1-a02b78266c91",
            "kind": "EXECUTIVE_VISIT",
            "occur_time": "2024-07-08T13:00:00Z",
            "staff_ids": ["018fc5a5-a798-7731-9ce7-b9b1a5e6ba62", "018fc87a-a928-7cd3-a486-559543e9e03a"],
            "contact_ids": ["018fc710-2860-7e1b-8877-7ba27d07d488"],
            "summary": "Quarterly review with the CFO.",
            "outcome": "Agreed to a telematics pilot.",
            "next_step": "Send the pilot offer by Friday.",
            "satisfaction": 4,
            "logged_by": "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
            "create_time": "2024-07-08T16:20:00.001100Z",
            "update_time": "2024-07-08T16:20:00.001100Z",
            "revision": 1
        });
        let Payload::InteractionLogged(interaction) = converted("InteractionLogged", payload) else {
            panic!("not InteractionLogged");
        };
        assert_eq!(interaction.id, "018fce9d-81e0-7cae-bdd6-f26b6790054b");
        assert_eq!(interaction.r#type, pb::interaction::Type::ExecutiveVisit as i32);
        assert_eq!(interaction.occur_time, at("2024-07-08T13:00:00Z"));
        assert_eq!(
            interaction.staff_ids,
            [
                "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62",
                "018fc87a-a928-7cd3-a486-559543e9e03a"
            ]
        );
        assert_eq!(interaction.contact_ids, ["018fc710-2860-7e1b-8877-7ba27d07d488"]);
        assert_eq!(interaction.outcome, "Agreed to a telematics pilot.");
        assert_eq!(interaction.satisfaction, 4);
        assert_eq!(
            interaction.logged_by_staff_id,
            "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62"
        );
        assert_eq!(interaction.etag, "r1");
    }

    #[test]
    fn unknown_types_and_payloads_of_another_shape_give_none() {
        let staff_id = "018fc5a5-a798-7731-9ce7-b9b1a5e6ba62";
        assert_eq!(convert("AccountTeleported", "", &json!({})), None);
        assert_eq!(convert("", "", &json!({})), None);
        // The public format's names are not the legacy ones.
        let public = json!({
            "id": "018fc710-2860-7e1b-8877-7ba27d07d488",
            "accountId": "018fc52c-d200-7d26-9ef1-a02b78266c91"
        });
        assert_eq!(convert("ContactDeleted", "", &public), None);
        assert_eq!(convert("AccountCreated", "", &json!({"id": "not-a-uuid"})), None);
        assert_eq!(convert("StaffRolesChanged", staff_id, &json!(["OWNER"])), None);
        assert_eq!(
            convert("StaffRolesChanged", staff_id, &json!({"roles": ["ADMIN"]})),
            None
        );
        assert_eq!(convert("TierChanged", "", &json!("TierChanged")), None);
        assert_eq!(convert("SlaBreached", "", &Value::Null), None);
    }
}

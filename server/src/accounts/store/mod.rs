//! The accounts area's database side. Other areas reach accounts only through these functions.

mod accounts;
mod contacts;
mod directory;
mod entity;
mod import;

pub use accounts::{
    AccountSummary, account_ids, accounts_by_ids, create_account, deletion_states,
    deletion_states_by_external_id, get_account, list_accounts, list_relationship_changes,
    live_accounts_in_tiers, require_live_account, require_live_accounts, set_account_deleted, set_tiers,
    update_account,
};
pub use contacts::{
    KeyContactAtRisk, OwnedKeyDate, contact_ids, contacts_by_ids, create_contact, delete_contact,
    get_contact, key_contacts_at_risk, key_dates, list_contacts, require_contacts_of_account, update_contact,
};
pub use directory::{
    AccountRef, REPORT_ROWS_SQL, account_of_contact, accounts_by_external_id, contacts_by_external_id,
    tier_of,
};
pub use directory::{GroupMember, MAX_GROUP_MEMBERS, group_members, live_top_accounts, top_account_id};
pub use directory::{
    checked_in_segments, in_regions_managed_by, in_regions_managed_by_sql, in_segments, in_segments_sql,
};
pub use directory::{classify_accounts, live_accounts_in_segment, release_segment};
pub use import::{import_accounts, import_contacts};

const ACCOUNT: &str = "account";
const CONTACT: &str = "contact";

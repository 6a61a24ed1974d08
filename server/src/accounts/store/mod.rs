//! The accounts area's database side. Other areas reach accounts only through these functions.

mod accounts;
mod contacts;

pub use accounts::{
    AccountSummary, create_account, get_account, list_accounts, live_accounts_in_tiers, require_live_account,
    set_account_deleted, update_account,
};
pub use contacts::{create_contact, delete_contact, get_contact, list_contacts, update_contact};

const ACCOUNT: &str = "account";
const CONTACT: &str = "contact";

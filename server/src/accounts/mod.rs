//! Accounts (the customer companies, in group hierarchies) and contacts (the key-person dossier of
//! seed 003): DESIGN 4.1.

pub mod api;
pub(crate) mod convert;
pub mod model;
pub mod store;

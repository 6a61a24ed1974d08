//! Accounts (the customer companies, in group hierarchies) and contacts (the key-person dossier: buying
//! role, MAN, attitude, relationship strength, key dates).

pub mod api;
pub(crate) mod convert;
pub mod model;
pub mod rules;
pub mod store;

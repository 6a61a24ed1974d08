//! Identity and access: API keys and SSO bearer tokens identify a staff member; roles and
//! the permission table decide what they may call; MEMBERs see only the accounts of their teams.

pub mod access;
pub mod api;
pub mod api_key;
pub mod authn;
pub mod bootstrap;
pub mod config;
pub(crate) mod convert;
pub mod gate;
pub mod jwt;
pub mod permissions;
pub mod principal;
pub mod rate_limit;
pub mod store;

pub use principal::{Credential, Principal, Role, Visibility};

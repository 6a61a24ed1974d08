//! Cross-department account teams: departments, staff, who serves which account in which
//! role, whether each key account has the team its tier needs, and the handover when someone leaves.

pub mod api;
pub mod config;
pub(crate) mod convert;
pub mod handover;
pub mod model;
pub mod rules;
pub mod store;

//! Account planning, KAP: revenue from the ERP, tiering by revenue share with manual
//! overrides and the tier history, account plans and their actions, interactions with their cadence,
//! key dates, and account health.

pub mod api;
pub mod config;
pub(crate) mod convert;
pub mod model;
pub mod rules;
pub mod store;

//! Account planning, KAP (DESIGN 4.5): revenue from the ERP, tiering by revenue share with manual
//! overrides and the tier history, account plans and their actions, interactions with their cadence,
//! key dates, and account health.

pub mod api;
pub mod cadence;
pub(crate) mod convert;
pub mod health;
pub mod model;
pub mod plans;
pub mod store;
pub mod tiering;

//! Account planning, KAP (DESIGN 4.5): revenue from the ERP, tiering by revenue share with manual
//! overrides and the tier history, account plans and their actions. (Interactions, cadence and health
//! are to come.)

pub mod api;
pub mod cadence;
mod convert;
pub mod model;
pub mod plans;
pub mod store;
pub mod tiering;

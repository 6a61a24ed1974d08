//! Account planning, KAP (DESIGN 4.5): revenue from the ERP and tiering by revenue share, with manual
//! overrides and the tier history. (Account plans, interactions, cadence and health are to come.)

pub mod api;
mod convert;
pub mod model;
pub mod store;
pub mod tiering;

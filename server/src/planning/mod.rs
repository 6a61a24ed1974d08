//! Account planning, KAP (DESIGN 4.5): revenue from the ERP, tiering by revenue share, the relationship
//! history, and (to come) account plans, interactions, cadence and account health.

pub mod tiering;

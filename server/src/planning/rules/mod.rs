//! The planning rules as pure functions over loaded facts: tiering by revenue share, account health
//! and its signals, the lifecycle of plans and their actions, and the calendar of keeping in touch.
//! The store loads the facts, these judge them; nothing here touches the database.

pub mod cadence;
pub mod health;
pub mod plans;
pub mod tiering;

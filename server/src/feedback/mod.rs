//! Customer feedback on the team: feedback rounds (what one respondent of an account said about the
//! people serving it for a period, each person rated 1–5 on responsiveness, expertise and
//! follow-through), entered by the account's team or imported; the report per person and per department
//! over months, quarters or years; and each account's latest round, which account health weighs
//! (`planning`'s LOW_TEAM_FEEDBACK).

pub mod api;
pub(crate) mod convert;
pub mod model;
pub mod rules;
pub mod store;

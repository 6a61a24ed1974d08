//! The opportunity funnel: pipelines, opportunities with MAN qualification and a stage
//! history, and the funnel analytics.

pub mod api;
pub(crate) mod convert;
pub mod model;
pub mod rules;
pub mod store;

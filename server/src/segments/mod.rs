//! Segments: the industries and regions key accounts are organised by, two trees of codes with names
//! in English and Chinese, aliases and managers. Accounts reference a segment of each kind; lists and
//! reports filter by a segment and everything below it, and group by segments rolled up to a level.

pub mod api;
pub(crate) mod convert;
pub mod model;
pub mod rules;
pub mod store;

//! Warnings that reach people: a watcher (one replica at a time) turns conditions the other areas
//! report (an account's health level, a key date coming, a cadence missed, a plan action overdue) into
//! events, each once per occurrence, naming the people to tell; and each person's list of them.

pub mod api;
pub mod config;
pub(crate) mod convert;
pub mod model;
pub mod rules;
pub mod store;
pub mod watcher;

//! The notifications area's database side: the watcher's claims and each person's notifications.

mod entity;
mod inbox;
mod watch;

pub use inbox::{list_notifications, mark_read};
pub use watch::watch_once;

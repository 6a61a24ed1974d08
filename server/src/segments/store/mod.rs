//! The segments area's database side. Other areas reach this data only through `directory`.

pub mod directory;
mod entity;
mod segments;

pub use segments::{create_segment, delete_segment, get_segment, list_segments, update_segment};

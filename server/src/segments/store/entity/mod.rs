//! The tables this area owns: sea-orm entities, one file per table. Private to the area: another area
//! reads these rows only through this area's store functions (`store::directory`).

pub mod segment;
pub mod segment_closure;
pub mod segment_manager;
pub mod segment_name;

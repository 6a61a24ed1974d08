use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segments")]
pub struct Model {
    /// `SegmentKind`'s name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub name_zh: String,
    /// The aliases as a JSON array of strings.
    pub aliases: Json,
    /// `RegionLevel`'s name, for regions that have one.
    pub level: Option<String>,
    /// 1 for a top-level segment.
    pub depth: i32,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    /// Bumped by every write; the etag is derived from it.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

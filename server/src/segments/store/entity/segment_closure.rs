use sea_orm::entity::prelude::*;

/// Every ancestor-descendant pair of a tree, each segment its own ancestor, with both depths.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "segment_closure")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub ancestor: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub descendant: String,
    pub ancestor_depth: i32,
    pub descendant_depth: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

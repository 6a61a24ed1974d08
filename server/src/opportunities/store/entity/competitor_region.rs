use sea_orm::entity::prelude::*;

/// A competitor's home region.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "competitor_regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub competitor_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub region_code: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

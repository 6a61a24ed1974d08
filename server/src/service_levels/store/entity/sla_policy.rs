use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub display_name: String,
    /// `ACCOUNT`, `TIER` or `DEFAULT`.
    pub scope_kind: String,
    pub account_id: Option<Uuid>,
    pub tier: Option<String>,
    /// `ACCOUNT:<uuid>`, `TIER:<tier>` or `DEFAULT`; unique.
    pub scope_key: String,
    pub calendar_id: Uuid,
    pub warning_percent: i32,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `kam_` and 8 hex digits, unique: how a presented key finds its row.
    pub prefix: String,
    /// SHA-256 of the whole key, lower-case hex.
    pub secret_hash: String,
    pub staff_id: Uuid,
    pub display_name: String,
    pub creator_id: Uuid,
    pub create_time: DateTimeUtc,
    pub expire_time: Option<DateTimeUtc>,
    pub revoke_time: Option<DateTimeUtc>,
    pub last_use_time: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

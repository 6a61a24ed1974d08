use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub account_id: Uuid,
    pub external_id: Option<String>,
    pub full_name: String,
    pub title: String,
    pub department: String,
    pub buying_role: String,
    pub has_money: bool,
    pub has_authority: bool,
    pub has_need: bool,
    pub attitude: String,
    pub relationship_strength: i16,
    pub reports_to_contact_id: Option<Uuid>,
    pub email: String,
    pub phone: String,
    pub notes: String,
    pub active: bool,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

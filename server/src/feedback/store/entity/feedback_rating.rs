use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback_ratings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub round_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub staff_id: Uuid,
    /// The rating's place in its round, from 0.
    pub position: i32,
    /// The person's department when first rated in the round.
    pub department_id: Uuid,
    /// 1..=5, 0 when not rated.
    pub responsiveness: i16,
    pub expertise: i16,
    pub follow_through: i16,
    pub comment: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

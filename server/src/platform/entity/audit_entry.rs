use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub occurred_at: DateTimeUtc,
    /// The staff id of the principal.
    pub principal: String,
    /// How the principal authenticated: `api_key/<id>` or `bearer`.
    pub credential: String,
    /// The full gRPC method, e.g. `/kam.v1.AccountService/UpdateAccount`.
    pub method: String,
    pub resource_type: String,
    pub resource_id: String,
    /// A JSON array of the field paths the mutation wrote.
    pub changed_fields: Json,
    pub request_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

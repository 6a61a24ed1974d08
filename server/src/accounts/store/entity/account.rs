use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub external_id: Option<String>,
    pub display_name: String,
    pub legal_name: String,
    pub industry: String,
    pub region: String,
    pub parent_account_id: Option<Uuid>,
    pub lifecycle: String,
    pub tier: String,
    pub relationship_stage: String,
    pub rad_status: String,
    pub create_time: DateTimeUtc,
    pub update_time: DateTimeUtc,
    pub delete_time: Option<DateTimeUtc>,
    /// The account's key dates as JSON (`accounts::model::KeyDate`s); see the migration that added it.
    pub key_dates: Json,
    /// Bumped by every write; the etag is derived from it.
    pub revision: i64,
    /// The industry the account is classified under (a segment code), if any.
    pub industry_code: Option<String>,
    /// The region the account is classified under (a segment code), if any.
    pub region_code: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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

/// Decoded by position for the hot reads (`GetAccount`, `ListAccounts`): `Entity::find()` selects the
/// columns in the order the model declares them, which is [`Column`]'s, so a column's position is its
/// discriminant.
impl crate::platform::db::positional::FromPositions for Model {
    fn from_positions(
        row: &impl crate::platform::db::positional::PositionalRow,
    ) -> crate::platform::error::Result<Self> {
        let at = |column: Column| column as usize;
        Ok(Self {
            id: row.uuid(at(Column::Id))?,
            external_id: row.optional_text(at(Column::ExternalId))?,
            display_name: row.text(at(Column::DisplayName))?,
            legal_name: row.text(at(Column::LegalName))?,
            industry: row.text(at(Column::Industry))?,
            region: row.text(at(Column::Region))?,
            parent_account_id: row.optional_uuid(at(Column::ParentAccountId))?,
            lifecycle: row.text(at(Column::Lifecycle))?,
            tier: row.text(at(Column::Tier))?,
            relationship_stage: row.text(at(Column::RelationshipStage))?,
            rad_status: row.text(at(Column::RadStatus))?,
            create_time: row.time(at(Column::CreateTime))?,
            update_time: row.time(at(Column::UpdateTime))?,
            delete_time: row.optional_time(at(Column::DeleteTime))?,
            key_dates: row.json(at(Column::KeyDates))?,
            revision: row.integer(at(Column::Revision))?,
            industry_code: row.optional_text(at(Column::IndustryCode))?,
            region_code: row.optional_text(at(Column::RegionCode))?,
        })
    }
}

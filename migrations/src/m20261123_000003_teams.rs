//! Departments (seeded with the default set), staff with their stage specialties, and account team
//! memberships with history.

use sea_orm::{ConnectionTrait, prelude::Uuid};
use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp, unique_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    Code,
    DisplayName,
    CreateTime,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
    FullName,
    Email,
    DepartmentId,
    Level,
    Title,
    Active,
    MaxAccounts,
    CreateTime,
    UpdateTime,
    Revision,
}

#[derive(DeriveIden)]
enum StaffStageSpecialties {
    Table,
    StaffId,
    StageKey,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    Id,
    AccountId,
    StaffId,
    Role,
    IsDepartmentLiaison,
    DepartmentId,
    StartTime,
    EndTime,
    EndReason,
    Revision,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

/// The departments every installation starts with; more can be created.
const DEFAULT_DEPARTMENTS: &[(&str, &str)] = &[
    ("SALES", "Sales"),
    ("MARKETING", "Marketing"),
    ("CUSTOMER_SERVICE", "Customer service"),
    ("TECHNICAL", "Technical"),
    ("RND", "Research and development"),
    ("LOGISTICS", "Logistics"),
    ("PRODUCTION", "Production"),
    ("FINANCE", "Finance"),
    ("EXECUTIVE", "Executive"),
];

/// Fixed ids for the seeded departments, so every installation agrees on them.
fn seeded_department_id(position: usize) -> Uuid {
    Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0000 + position as u128 + 1)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Departments::Table)
                    .col(ColumnDef::new(Departments::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Departments::Code).string_len(64).not_null())
                    .col(
                        ColumnDef::new(Departments::DisplayName)
                            .string_len(200)
                            .not_null(),
                    )
                    .col(timestamp(Departments::CreateTime).not_null())
                    .to_owned(),
            )
            .await?;
        unique_index(
            manager,
            Departments::Table,
            "ux_departments_code",
            [Departments::Code],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Staff::Table)
                    .col(ColumnDef::new(Staff::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Staff::FullName).string_len(200).not_null())
                    // Stored lower-cased, so uniqueness is case-insensitive on both backends.
                    .col(ColumnDef::new(Staff::Email).string_len(254).not_null())
                    .col(ColumnDef::new(Staff::DepartmentId).uuid().not_null())
                    .col(ColumnDef::new(Staff::Level).string_len(32).not_null())
                    .col(ColumnDef::new(Staff::Title).string_len(200).not_null())
                    .col(ColumnDef::new(Staff::Active).boolean().not_null())
                    .col(ColumnDef::new(Staff::MaxAccounts).integer().not_null())
                    .col(timestamp(Staff::CreateTime).not_null())
                    .col(timestamp(Staff::UpdateTime).not_null())
                    .col(ColumnDef::new(Staff::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Staff::Table, Staff::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        unique_index(manager, Staff::Table, "ux_staff_email", [Staff::Email]).await?;
        index(
            manager,
            Staff::Table,
            "ix_staff_full_name",
            [Staff::FullName, Staff::Id],
        )
        .await?;
        index(
            manager,
            Staff::Table,
            "ix_staff_department",
            [Staff::DepartmentId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(StaffStageSpecialties::Table)
                    .col(ColumnDef::new(StaffStageSpecialties::StaffId).uuid().not_null())
                    .col(
                        ColumnDef::new(StaffStageSpecialties::StageKey)
                            .string_len(64)
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(StaffStageSpecialties::StaffId)
                            .col(StaffStageSpecialties::StageKey),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffStageSpecialties::Table, StaffStageSpecialties::StaffId)
                            .to(Staff::Table, Staff::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            StaffStageSpecialties::Table,
            "ix_staff_stage_specialties_stage",
            [StaffStageSpecialties::StageKey],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(ColumnDef::new(TeamMembers::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(TeamMembers::AccountId).uuid().not_null())
                    .col(ColumnDef::new(TeamMembers::StaffId).uuid().not_null())
                    .col(ColumnDef::new(TeamMembers::Role).string_len(32).not_null())
                    .col(
                        ColumnDef::new(TeamMembers::IsDepartmentLiaison)
                            .boolean()
                            .not_null(),
                    )
                    .col(ColumnDef::new(TeamMembers::DepartmentId).uuid().not_null())
                    .col(timestamp(TeamMembers::StartTime).not_null())
                    .col(timestamp(TeamMembers::EndTime).null())
                    .col(ColumnDef::new(TeamMembers::EndReason).string_len(500).not_null())
                    .col(ColumnDef::new(TeamMembers::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(TeamMembers::Table, TeamMembers::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TeamMembers::Table, TeamMembers::StaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TeamMembers::Table, TeamMembers::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            TeamMembers::Table,
            "ix_team_members_account",
            [TeamMembers::AccountId, TeamMembers::StartTime],
        )
        .await?;
        index(
            manager,
            TeamMembers::Table,
            "ix_team_members_staff",
            [TeamMembers::StaffId, TeamMembers::StartTime],
        )
        .await?;

        // The single-holder rules also live in the schema, as partial unique indexes over the active
        // memberships: a second writer that slipped past the checks still cannot commit. sea-query has
        // no partial indexes; this SQL is the same on SQLite and PostgreSQL.
        let db = manager.get_connection();
        for sql in [
            "CREATE UNIQUE INDEX ux_team_members_one_account_manager ON team_members (account_id) \
             WHERE role = 'ACCOUNT_MANAGER' AND end_time IS NULL",
            "CREATE UNIQUE INDEX ux_team_members_one_liaison_per_department \
             ON team_members (account_id, department_id) WHERE is_department_liaison AND end_time IS NULL",
            "CREATE UNIQUE INDEX ux_team_members_once_per_account ON team_members (account_id, staff_id) \
             WHERE end_time IS NULL",
        ] {
            db.execute_unprepared(sql).await?;
        }

        for (position, (code, name)) in DEFAULT_DEPARTMENTS.iter().enumerate() {
            let insert = Query::insert()
                .into_table(Departments::Table)
                .columns([
                    Departments::Id,
                    Departments::Code,
                    Departments::DisplayName,
                    Departments::CreateTime,
                ])
                .values_panic([
                    seeded_department_id(position).into(),
                    (*code).into(),
                    (*name).into(),
                    chrono::Utc::now().into(),
                ])
                .to_owned();
            db.execute(&insert).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TeamMembers::Table.into_iden(),
            StaffStageSpecialties::Table.into_iden(),
            Staff::Table.into_iden(),
            Departments::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

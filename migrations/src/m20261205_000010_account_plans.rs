//! Account plans and their actions. A plan's objectives, SWOT items, competitor
//! assessments and whitespace are JSON documents of the plan row: always read and replaced with it.

use sea_orm_migration::prelude::*;

use crate::columns::{index, timestamp};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Staff {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AccountPlans {
    Table,
    Id,
    AccountId,
    Name,
    PeriodStart,
    PeriodEnd,
    Status,
    Vision,
    RevenueTargetCurrency,
    RevenueTargetUnits,
    RevenueTargetNanos,
    ShareOfWalletTargetPercent,
    Objectives,
    Swot,
    Competitors,
    Whitespace,
    CreateTime,
    UpdateTime,
    ActivateTime,
    CloseTime,
    Revision,
}

#[derive(DeriveIden)]
enum PlanActions {
    Table,
    Id,
    PlanId,
    AccountId,
    Title,
    Description,
    OwnerStaffId,
    DepartmentId,
    DueDate,
    Status,
    CompleteTime,
    CreateTime,
    UpdateTime,
    Revision,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use AccountPlans as P;
        manager
            .create_table(
                Table::create()
                    .table(P::Table)
                    .col(ColumnDef::new(P::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(P::AccountId).uuid().not_null())
                    .col(ColumnDef::new(P::Name).string_len(200).not_null())
                    .col(ColumnDef::new(P::PeriodStart).date().not_null())
                    .col(ColumnDef::new(P::PeriodEnd).date().not_null())
                    .col(ColumnDef::new(P::Status).string_len(16).not_null())
                    .col(ColumnDef::new(P::Vision).text().not_null())
                    .col(ColumnDef::new(P::RevenueTargetCurrency).string_len(3).null())
                    .col(ColumnDef::new(P::RevenueTargetUnits).big_integer().null())
                    .col(ColumnDef::new(P::RevenueTargetNanos).integer().null())
                    .col(ColumnDef::new(P::ShareOfWalletTargetPercent).integer().not_null())
                    .col(ColumnDef::new(P::Objectives).json().not_null())
                    .col(ColumnDef::new(P::Swot).json().not_null())
                    .col(ColumnDef::new(P::Competitors).json().not_null())
                    .col(ColumnDef::new(P::Whitespace).json().not_null())
                    .col(timestamp(P::CreateTime).not_null())
                    .col(timestamp(P::UpdateTime).not_null())
                    .col(timestamp(P::ActivateTime).null())
                    .col(timestamp(P::CloseTime).null())
                    .col(ColumnDef::new(P::Revision).big_integer().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(P::Table, P::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            P::Table,
            "ix_account_plans_account",
            [P::AccountId, P::Id],
        )
        .await?;

        use PlanActions as A;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(ColumnDef::new(A::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(A::PlanId).uuid().not_null())
                    .col(ColumnDef::new(A::AccountId).uuid().not_null())
                    .col(ColumnDef::new(A::Title).string_len(200).not_null())
                    .col(ColumnDef::new(A::Description).text().not_null())
                    .col(ColumnDef::new(A::OwnerStaffId).uuid().not_null())
                    .col(ColumnDef::new(A::DepartmentId).uuid().not_null())
                    .col(ColumnDef::new(A::DueDate).date().not_null())
                    .col(ColumnDef::new(A::Status).string_len(16).not_null())
                    .col(timestamp(A::CompleteTime).null())
                    .col(timestamp(A::CreateTime).not_null())
                    .col(timestamp(A::UpdateTime).not_null())
                    .col(ColumnDef::new(A::Revision).big_integer().not_null())
                    .foreign_key(ForeignKey::create().from(A::Table, A::PlanId).to(P::Table, P::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::AccountId)
                            .to(Accounts::Table, Accounts::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::OwnerStaffId)
                            .to(Staff::Table, Staff::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(A::Table, A::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, A::Table, "ix_plan_actions_plan", [A::PlanId, A::Id]).await?;
        // "My overdue actions": one owner's actions by due date.
        index(
            manager,
            A::Table,
            "ix_plan_actions_owner_due",
            [A::OwnerStaffId, A::DueDate],
        )
        .await?;
        index(
            manager,
            A::Table,
            "ix_plan_actions_account",
            [A::AccountId, A::Id],
        )
        .await?;

        // One ACTIVE plan per account, also in the schema: a second writer that slipped past the check
        // still cannot commit. The same SQL on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_account_plans_one_active ON account_plans (account_id) \
                 WHERE status = 'ACTIVE'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlanActions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AccountPlans::Table).to_owned())
            .await
    }
}

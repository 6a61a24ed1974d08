//! The KAM schema as ordered migrations. Every table is written with sea-query's schema builder only, so
//! the same migration runs on SQLite and PostgreSQL. A migration, once released, is never edited: add a
//! new one.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_accounts;
mod m20261123_000002_audit_outbox;
mod m20261123_000003_teams;
mod m20261123_000004_identity;
mod m20261123_000005_opportunities;
mod m20261123_000006_funnel_read_model;
mod m20261123_000007_service_levels;
mod m20261205_000008_planning_tiers;
mod m20261205_000009_relationship_changes;
mod m20261205_000010_account_plans;
mod m20261205_000011_interactions;
mod m20261205_000012_outbox_feed;
mod m20261205_000013_feed_horizon;
mod m20261206_000014_idempotency_per_principal;
mod m20261206_000015_job_leases;
mod m20261206_000016_public_events;
mod m20261206_000017_webhooks;
mod m20261207_000018_account_key_dates;
mod m20261207_000019_notifications;
mod m20261207_000020_feedback;
mod m20261208_000021_segments;
mod m20261208_000022_competitors;
mod m20261208_000023_server_replicas;
mod m20261209_000025_live_service_requests;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_accounts::Migration),
            Box::new(m20261123_000002_audit_outbox::Migration),
            Box::new(m20261123_000003_teams::Migration),
            Box::new(m20261123_000004_identity::Migration),
            Box::new(m20261123_000005_opportunities::Migration),
            Box::new(m20261123_000006_funnel_read_model::Migration),
            Box::new(m20261123_000007_service_levels::Migration),
            Box::new(m20261205_000008_planning_tiers::Migration),
            Box::new(m20261205_000009_relationship_changes::Migration),
            Box::new(m20261205_000010_account_plans::Migration),
            Box::new(m20261205_000011_interactions::Migration),
            Box::new(m20261205_000012_outbox_feed::Migration),
            Box::new(m20261205_000013_feed_horizon::Migration),
            Box::new(m20261206_000014_idempotency_per_principal::Migration),
            Box::new(m20261206_000015_job_leases::Migration),
            Box::new(m20261206_000016_public_events::Migration),
            Box::new(m20261206_000017_webhooks::Migration),
            Box::new(m20261207_000018_account_key_dates::Migration),
            Box::new(m20261207_000019_notifications::Migration),
            Box::new(m20261207_000020_feedback::Migration),
            Box::new(m20261208_000021_segments::Migration),
            Box::new(m20261208_000022_competitors::Migration),
            Box::new(m20261208_000023_server_replicas::Migration),
            Box::new(m20261209_000025_live_service_requests::Migration),
        ]
    }
}

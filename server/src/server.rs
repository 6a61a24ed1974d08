//! Wiring: the database, every gRPC service, health, reflection, gRPC-Web with CORS, the web app,
//! limits, and a graceful shutdown with a drain deadline.

use std::{future::Future, sync::Arc};

use http::HeaderName;
use kam_proto::v1::{
    account_service_server::AccountServiceServer, audit_service_server::AuditServiceServer,
    feedback_service_server::FeedbackServiceServer, identity_service_server::IdentityServiceServer,
    integration_service_server::IntegrationServiceServer,
    notification_service_server::NotificationServiceServer,
    opportunity_service_server::OpportunityServiceServer, planning_service_server::PlanningServiceServer,
    segment_service_server::SegmentServiceServer, service_level_service_server::ServiceLevelServiceServer,
    team_service_server::TeamServiceServer, webhook_service_server::WebhookServiceServer,
};
use tokio::{
    net::TcpListener,
    sync::{Notify, watch},
};
use tonic::transport::{Server, server::TcpIncoming};
use tonic_health::{ServingStatus, server::HealthReporter};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::{
    accounts::api::AccountApi,
    config::Config,
    feedback::api::FeedbackApi,
    identity::{
        api::{AuditApi, IdentityApi},
        authn::Authenticator,
        bootstrap::{BootstrapError, ensure_admin_key},
        gate::{Gate, GateLayer},
        jwt::JwtVerifier,
        rate_limit::RateLimiter,
    },
    integration::{api::IntegrationApi, retention::Pruner},
    notifications::{api::NotificationApi, watcher::Watcher},
    opportunities::{api::OpportunityApi, store::OpportunityOwnership},
    planning::{api::PlanningApi, store::PlanActionOwnership},
    platform::{
        db::Db,
        leases::{self, Lease},
        replicas::{Heartbeat, LiveReplicas},
        telemetry,
    },
    rest::{RestApi, RestLayer},
    segments::api::SegmentApi,
    service_levels::{api::ServiceLevelApi, monitor::Monitor, store::ServiceRequestAssignments},
    teams::{
        api::TeamApi,
        handover::{Responsibilities, ResponsibilityArea},
        store::{CoveragePolicy, TeamRoles},
    },
    web::{WebApp, WebAppLayer},
    webhooks::{api::WebhookApi, dispatcher::Dispatcher},
};

/// Why the server could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("configuration: {0}")]
    Config(String),
    #[error("listener: {0}")]
    Listener(#[from] std::io::Error),
    #[error("transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("first start: {0}")]
    Bootstrap(#[from] BootstrapError),
}

/// The jobs' names in `job_leases`.
pub const SLA_MONITOR_JOB: &str = "sla_monitor";
pub const OUTBOX_PRUNER_JOB: &str = "outbox_pruner";
pub const WEBHOOK_DISPATCHER_JOB: &str = "webhook_dispatcher";
pub const WATCHER_JOB: &str = "watcher";

/// The names health reports on, besides "" (the whole server).
const SERVICES: &[&str] = &[
    "kam.v1.AccountService",
    "kam.v1.TeamService",
    "kam.v1.IdentityService",
    "kam.v1.AuditService",
    "kam.v1.OpportunityService",
    "kam.v1.ServiceLevelService",
    "kam.v1.PlanningService",
    "kam.v1.FeedbackService",
    "kam.v1.SegmentService",
    "kam.v1.NotificationService",
    "kam.v1.IntegrationService",
    "kam.v1.WebhookService",
];

/// Serves KAM on `listener` until `shutdown` resolves; then health turns NOT_SERVING, new connections
/// are refused and in-flight calls get at most `config.drain_timeout` to finish.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let coverage = CoveragePolicy::from_config(&config.coverage).map_err(StartupError::Config)?;
    config.planning.validate().map_err(StartupError::Config)?;
    config.integration.validate().map_err(StartupError::Config)?;
    config.jobs.validate().map_err(StartupError::Config)?;
    config.webhooks.validate().map_err(StartupError::Config)?;
    config.notifications.validate().map_err(StartupError::Config)?;
    config.replicas.validate().map_err(StartupError::Config)?;
    config.validate_databases().map_err(StartupError::Config)?;
    let jwt = config
        .jwt
        .as_ref()
        .map(JwtVerifier::from_config)
        .transpose()
        .map_err(StartupError::Config)?;
    let db = Db::connect(&config).await?;
    tracing::info!(database = %config.redacted_database_url(), backend = ?db.backend(), "database connected");
    if let Some(standby) = config.redacted_database_read_url() {
        tracing::info!(standby = %standby, max_lag_s = config.database_read_max_lag.as_secs(), "reports may read from the standby");
    }
    if config.migrate {
        db.migrate().await?;
        tracing::info!("migrations applied");
    }
    ensure_admin_key(&db, &config.admin_key_path()).await?;
    // Both budgets are split among the replicas live on the database (counted by the heartbeat below).
    let replicas = LiveReplicas::alone();
    let gate = Arc::new(Gate::new(
        Authenticator::new(
            db.clone(),
            jwt,
            RateLimiter::new(config.failed_auth_limit, replicas.clone()),
        ),
        RateLimiter::new(config.rate_limit, replicas.clone()),
    ));

    let (health, health_service) = tonic_health::server::health_reporter();
    set_health(&health, ServingStatus::Serving).await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(kam_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let limit = config.max_message_bytes;
    // Every service answers and accepts messages up to the same size; tonic sets it per service.
    macro_rules! limited {
        ($service:expr) => {
            $service
                .max_decoding_message_size(limit)
                .max_encoding_message_size(limit)
        };
    }
    let accounts = limited!(AccountServiceServer::new(AccountApi::new(db.clone())));

    let teams = limited!(TeamServiceServer::new(TeamApi::new(
        db.clone(),
        responsibilities(),
        coverage.clone()
    )));
    let identity = limited!(IdentityServiceServer::new(IdentityApi::new(
        db.clone(),
        Arc::clone(&gate)
    )));
    let audit = limited!(AuditServiceServer::new(AuditApi::new(db.clone())));
    let opportunities = limited!(OpportunityServiceServer::new(OpportunityApi::new(db.clone())));
    let service_levels = limited!(ServiceLevelServiceServer::new(ServiceLevelApi::new(db.clone())));
    let planning = limited!(PlanningServiceServer::new(
        PlanningApi::new(db.clone(), config.planning.clone()).with_coverage(coverage)
    ));
    let feedback = limited!(FeedbackServiceServer::new(FeedbackApi::new(db.clone())));
    let segments = limited!(SegmentServiceServer::new(SegmentApi::new(db.clone())));
    let notifications = limited!(NotificationServiceServer::new(NotificationApi::new(db.clone())));

    // Open event streams end when shutdown begins; otherwise they would hold the drain to its deadline.
    let (stopping, stopping_seen) = watch::channel(false);
    let integration = limited!(IntegrationServiceServer::new(IntegrationApi::new(
        db.clone(),
        config.integration,
        config.planning.reporting_currency.clone(),
        stopping_seen,
        Arc::clone(&gate),
    )));
    let webhooks = limited!(WebhookServiceServer::new(WebhookApi::new(db.clone())));

    // The breach monitor runs beside the RPCs and stops before the database closes. Like the pruner,
    // it runs while this replica holds its lease (jobs.lease_seconds).
    let holder = leases::holder_id();
    tracing::info!(holder = %holder, "background jobs hold their leases as this replica");
    let lease = |job| Lease::new(job, holder.clone(), config.jobs.lease_period());
    let monitor = (config.sla.monitor_interval_seconds > 0).then(|| {
        Monitor::start(
            db.clone(),
            std::time::Duration::from_secs(config.sla.monitor_interval_seconds),
            config.sla.monitor_batch_size,
            lease(SLA_MONITOR_JOB),
        )
    });

    // So does the outbox pruner (integration.outbox_retention_days).
    let pruner = Pruner::start(
        db.clone(),
        std::time::Duration::from_secs(config.integration.prune_interval_secs),
        config.integration.outbox_retention(),
        crate::integration::retention::DEFAULT_BATCH,
        lease(OUTBOX_PRUNER_JOB),
    );

    // And the watcher that raises warnings (notifications.watch_interval_seconds).
    let watcher = (config.notifications.watch_interval_seconds > 0).then(|| {
        Watcher::start(
            db.clone(),
            config.planning.clone(),
            config.notifications,
            lease(WATCHER_JOB),
        )
    });

    // And the webhook dispatcher.
    let dispatcher = Dispatcher::start(db.clone(), &config.webhooks, lease(WEBHOOK_DISPATCHER_JOB))
        .map_err(StartupError::Config)?;

    // This replica's row in server_replicas, under its lease holder id: registered before it serves,
    // deleted when shutdown begins.
    let heartbeat = Heartbeat::start(
        db.clone(),
        config.replicas,
        holder.clone(),
        replicas,
        stopping.subscribe(),
    )
    .await;

    let draining = Arc::new(Notify::new());
    let signal = {
        let draining = Arc::clone(&draining);
        let health = health.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: draining in-flight requests");
            set_health(&health, ServingStatus::NotServing).await;
            let _ = stopping.send(true);
            draining.notify_one();
        }
    };

    let web = web_app(config.web_root.as_deref())?;
    let rest = RestApi::new(limit).map_err(StartupError::Config)?;

    let local_addr = listener.local_addr()?;
    // Small gRPC frames must not wait for Nagle's algorithm.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let serve = Server::builder()
        .accept_http1(true) // gRPC-Web from browsers arrives over HTTP/1.1
        .timeout(config.request_timeout)
        .concurrency_limit_per_connection(config.concurrency_per_connection)
        .trace_fn(telemetry::rpc_span)
        // Outermost: HTTP/JSON calls under /v1/ become gRPC calls to the stack below, as a gRPC
        // client's would arrive.
        .layer(RestLayer::new(rest))
        // Pages and files of the app (GET, HEAD) never reach the gRPC stack.
        .layer(WebAppLayer::new(web))
        .layer(cors())
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(tower::util::MapResponseLayer::new(telemetry::record_status))
        .layer(tower::util::MapResponseLayer::new(
            crate::platform::wire::decode_errors_as_invalid_argument,
        ))
        .layer(GateLayer(gate))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(accounts)
        .add_service(teams)
        .add_service(identity)
        .add_service(audit)
        .add_service(opportunities)
        .add_service(service_levels)
        .add_service(planning)
        .add_service(feedback)
        .add_service(segments)
        .add_service(notifications)
        .add_service(integration)
        .add_service(webhooks)
        .serve_with_incoming_shutdown(incoming, signal);
    tracing::info!(addr = %local_addr, "serving gRPC and gRPC-Web");

    let served = tokio::select! {
        served = serve => served,
        () = async {
            draining.notified().await;
            tokio::time::sleep(config.drain_timeout).await;
        } => {
            tracing::warn!(timeout = ?config.drain_timeout, "drain deadline passed; dropping the remaining requests");
            Ok(())
        }
    };
    // Also when serving failed: a detached monitor or pruner would outlive `run` and keep writing.
    if let Some(monitor) = monitor {
        monitor.stop().await;
    }
    if let Some(watcher) = watcher {
        watcher.stop().await;
    }
    pruner.stop().await;
    dispatcher.stop().await;
    heartbeat.stop().await;
    served?;
    db.close().await?;
    tracing::info!("stopped");
    Ok(())
}

/// The web app from `root`, else the build embedded in the binary; says in the log which it serves.
fn web_app(root: Option<&std::path::Path>) -> Result<WebApp, StartupError> {
    let Some(root) = root else {
        let web = WebApp::embedded();
        match web.is_empty() {
            true => tracing::warn!("this binary was built without the web app (clients/web/dist)"),
            false => tracing::info!(files = web.len(), "serving the web app built into the binary"),
        }
        return Ok(web);
    };
    let web = WebApp::from_dir(root)
        .map_err(|e| StartupError::Config(format!("web_root {}: {e}", root.display())))?;
    tracing::info!(root = %root.display(), files = web.len(), "serving the web app from a directory");
    Ok(web)
}

/// Every area that holds per-person responsibilities, for the handover, the workload report and the
/// deactivation guard. Each area that lands adds itself here.
fn responsibilities() -> Responsibilities {
    let areas: Vec<Arc<dyn ResponsibilityArea>> = vec![
        Arc::new(TeamRoles),
        Arc::new(OpportunityOwnership),
        Arc::new(ServiceRequestAssignments),
        Arc::new(PlanActionOwnership),
    ];
    Responsibilities::new(areas)
}

async fn set_health(health: &HealthReporter, status: ServingStatus) {
    health.set_service_status("", status).await;
    for service in SERVICES {
        health.set_service_status(*service, status).await;
    }
}

/// Browsers may call from any origin (credentials travel in headers, not cookies); they must be able
/// to read the gRPC status headers.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_headers(tower_http::cors::Any)
        .allow_methods([http::Method::POST, http::Method::OPTIONS])
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
        ])
        .max_age(std::time::Duration::from_secs(24 * 60 * 60))
}

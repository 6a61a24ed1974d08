//! The service-request generator (`kam_tests::sla_generator`) against the real server: what it writes
//! is what the server itself would store. After generating into a migrated database, a write through
//! the API (UpdateServiceRequest, which re-derives every stored SLA column at its own `now`) leaves the
//! stored columns of a request as they were, and the SQL state filters agree with the states the clock
//! computes on read.

use kam_tests::{
    TestServer, backend_tests,
    pb::{self, service_level_service_client::ServiceLevelServiceClient, sla_target::State},
    pbjson_types::FieldMask,
    sla_generator::{SlaGeneratorConfig, generate_requests},
};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

const STORED: &str = "first_response_due_time, first_response_at_risk_time, first_response_settled_state, \
     resolution_due_time, resolution_at_risk_time, resolution_settled_state, \
     first_response_business_minutes, resolution_business_minutes, first_response_sla_state, \
     resolution_sla_state, next_check_time";

/// The stored SLA columns of a request, rendered for comparison.
async fn stored(server: &TestServer, id: Uuid) -> String {
    let db = server.db().await;
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => format!("SELECT {STORED} FROM service_requests WHERE id = $1"),
        _ => format!("SELECT {STORED} FROM service_requests WHERE id = ?"),
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .expect("read the request")
        .expect("the request exists");
    let mut text = String::new();
    for index in 0..11 {
        let value: Option<String> = row
            .try_get_by_index::<Option<sea_orm::prelude::DateTimeUtc>>(index)
            .map(|t| t.map(|t| t.to_rfc3339()))
            .or_else(|_| row.try_get_by_index::<Option<String>>(index))
            .or_else(|_| {
                row.try_get_by_index::<Option<i64>>(index)
                    .map(|n| n.map(|n| n.to_string()))
            })
            .expect("a timestamp, text or number");
        text.push_str(&format!("{index}={value:?} "));
    }
    text
}

backend_tests! {
    async fn generated_requests_store_what_the_server_would(server: &TestServer) {
        let db = server.db().await;
        let config = SlaGeneratorConfig::new(3000, 600, 5);
        let generated = generate_requests(&db, &config).await.expect("generate");
        assert_eq!((generated.requests, generated.open), (3000, 600));
        assert!(generated.breached > 0 && generated.at_risk > 0 && generated.paused > 0, "{generated:?}");
        let rows = server
            .query_i64("SELECT COUNT(*) FROM service_request_status_changes", [])
            .await;
        assert_eq!(rows as usize, generated.status_changes);

        // Requests a write may touch (not CLOSED or CANCELLED) whose stored columns do not depend on
        // the instant of the write (not paused), and not about to change state.
        let backend = db.get_database_backend();
        let ids: Vec<Uuid> = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT id FROM service_requests WHERE status NOT IN ('CLOSED', 'CANCELLED') \
                 AND (resolution_settled_state IS NULL OR resolution_settled_state <> 'PAUSED') \
                 ORDER BY id",
            ))
            .await
            .expect("list requests")
            .into_iter()
            .map(|row| row.try_get_by_index(0).expect("an id"))
            .collect();
        assert!(ids.len() > 100, "{} requests to check", ids.len());
        let mut client = ServiceLevelServiceClient::new(server.channel());
        for &id in ids.iter().step_by(ids.len() / 40) {
            let before = stored(server, id).await;
            client
                .update_service_request(pb::UpdateServiceRequestRequest {
                    service_request: Some(pb::ServiceRequest {
                        id: id.to_string(),
                        description: "touched".into(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask { paths: vec!["description".into()] }),
                })
                .await
                .unwrap_or_else(|status| panic!("update {id}: {status:?}"));
            assert_eq!(stored(server, id).await, before, "request {id}");
        }

        // The SQL filter and the clock agree: every AT_RISK request listed has a target at risk.
        let listed = client
            .list_service_requests(pb::ListServiceRequestsRequest {
                sla_state: State::AtRisk as i32,
                page_size: 1000,
                ..Default::default()
            })
            .await
            .expect("list AT_RISK")
            .into_inner()
            .service_requests;
        assert!(!listed.is_empty());
        for request in &listed {
            let states = [request.first_response.as_ref(), request.resolution.as_ref()];
            assert!(
                states.iter().flatten().any(|t| t.state == State::AtRisk as i32),
                "{} listed as AT_RISK: {:?}",
                request.id,
                states
            );
        }
    }
}

//! Hostile input, on SQLite and on PostgreSQL (when `KAM_TEST_POSTGRES_URL` is set): every RPC of this
//! build gets each case of `kam_tests::hostile` (every field alone at the ends of its type) as a request
//! of that one field, from an ADMIN, while another client must be answered promptly throughout. Each
//! field alone on an otherwise empty request stops most requests at the first check; the same cases
//! appended to valid requests, which reach further, run with the authorization matrix's fixture
//! (`authorization.rs`), and the cases that need a particular request around the hostile value (a
//! forecast to the last instant, sums at the money bound) are in `hostile_input.rs`.

use std::time::Instant;

use kam_tests::{
    Backend, TestServer,
    hostile::{CALL_DEADLINE, Prober, Types, cases, finding},
    raw::{call, rpcs_of_this_build},
};

async fn no_request_makes_the_server_fail_or_stall(backend: Backend) {
    // Thousands of requests from one ADMIN: its request budget would answer most of them instead.
    let Some(server) =
        TestServer::start_with(backend, |config| config.rate_limit.requests_per_second = 0).await
    else {
        return;
    };
    {
        let server = &server;
        let started = Instant::now();
        let types = Types::of_this_build();
        let rpcs = rpcs_of_this_build();

        let prober = Prober::start(server).await;

        let mut findings = Vec::new();
        let mut sent = 0;
        for rpc in &rpcs {
            for case in cases(&types, rpc) {
                let asked = Instant::now();
                let answer = tokio::time::timeout(
                    CALL_DEADLINE * 2,
                    call(server.anonymous(), rpc, Some(server.admin()), case.bytes),
                )
                .await
                .unwrap_or_else(|_| Err(tonic::Status::deadline_exceeded("no answer at all")));
                sent += 1;
                if let Some(problem) = finding(&answer, asked.elapsed()) {
                    findings.push(format!("{} {} = {}: {problem}", rpc.path, case.field, case.value));
                }
            }
        }
        let answered = prober.assert_answered_promptly().await;
        eprintln!(
            "{sent} hostile requests to {} RPCs on {:?} in {:?}; the other client was answered {answered} \
             times, promptly",
            rpcs.len(),
            server.backend,
            started.elapsed()
        );
        assert!(
            sent > 1000,
            "only {sent} requests: the descriptors were not read as meant"
        );
        assert!(
            findings.is_empty(),
            "{} hostile requests were answered as no request may be:\n{}",
            findings.len(),
            findings.join("\n")
        );
    }
    server.stop().await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_request_makes_the_server_fail_or_stall() {
        super::no_request_makes_the_server_fail_or_stall(kam_tests::Backend::Sqlite).await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_request_makes_the_server_fail_or_stall() {
        super::no_request_makes_the_server_fail_or_stall(kam_tests::Backend::Postgres).await;
    }
}

//! Schemathesis, a property-based API tester, against the live server and the OpenAPI document it
//! serves, on both backends: generated requests for every operation (boundary values, then random
//! ones), and for each answer the checks that it is not a server error, that its status code, content
//! type, headers and body are the ones the document declares.
//!
//! Left out, and tested by `rest.rs` and `rest_parity.rs` instead: the NDJSON imports (Schemathesis
//! cannot write NDJSON) and the event stream (an answer that never ends); and the operations that can
//! take the tester's own credential away mid-run (revoking its key, changing its roles, deactivating
//! it), after which every answer would be 401.
//!
//! Needs the `st` (or `schemathesis`) command, e.g. `pip install schemathesis`; `KAM_SCHEMATHESIS`
//! names it elsewhere. Without it the test says so and passes, unless `KAM_TEST_SCHEMATHESIS=required`
//! (CI sets it, after installing it). `KAM_SCHEMATHESIS_EXAMPLES` (default 10) bounds the random
//! examples per operation; `KAM_SCHEMATHESIS_SEED` (default fixed) picks the run.

use std::process::Command;

use kam_tests::{Backend, TestServer};

/// The operations left out (regular expressions on the path), with the reasons above.
const EXCLUDED_PATHS: &str = r":(import|watch|revoke|deactivate)$|/roles$";
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_headers_conformance,response_schema_conformance";
const DEFAULT_EXAMPLES: &str = "10";
const DEFAULT_SEED: &str = "20261207";

/// The command to run, or why there is none.
fn schemathesis() -> Result<String, String> {
    let candidates = match std::env::var("KAM_SCHEMATHESIS") {
        Ok(named) if !named.is_empty() => vec![named],
        _ => vec!["st".to_owned(), "schemathesis".to_owned()],
    };
    candidates
        .into_iter()
        .find(|command| {
            Command::new(command)
                .arg("--version")
                .output()
                .is_ok_and(|out| out.status.success())
        })
        .ok_or_else(|| "no `st` or `schemathesis` command (pip install schemathesis)".to_owned())
}

async fn the_served_document_holds_for_generated_requests(backend: Backend) {
    let command = match schemathesis() {
        Ok(command) => command,
        Err(why) if std::env::var("KAM_TEST_SCHEMATHESIS").as_deref() == Ok("required") => {
            panic!("KAM_TEST_SCHEMATHESIS=required: {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    // The tester sends thousands of requests as one principal: the per-principal limit would answer
    // most of them 429 and leave the operations untested.
    let Some(server) =
        TestServer::start_with(backend, |config| config.rate_limit.requests_per_second = 0).await
    else {
        return;
    };
    let examples = std::env::var("KAM_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| DEFAULT_EXAMPLES.to_owned());
    let seed = std::env::var("KAM_SCHEMATHESIS_SEED").unwrap_or_else(|_| DEFAULT_SEED.to_owned());
    let schema = format!("http://{}/openapi.json", server.addr);
    let authorization = format!("Authorization: Bearer {}", server.admin().secret);
    let args: Vec<String> = [
        "run",
        &schema,
        "--header",
        &authorization,
        "--checks",
        CHECKS,
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        &examples,
        "--seed",
        &seed,
        "--workers",
        "2",
        "--exclude-path-regex",
        EXCLUDED_PATHS,
        "--no-color",
    ]
    .map(str::to_owned)
    .into();
    // The tester keeps a cache in its working directory: not in the repository.
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let workdir = scratch.path().to_owned();
    let output =
        tokio::task::spawn_blocking(move || Command::new(command).args(args).current_dir(workdir).output())
            .await
            .expect("the tester's thread")
            .expect("the tester runs");
    let report = String::from_utf8_lossy(&output.stdout);
    let summary = report
        .lines()
        .skip_while(|line| !line.contains("SUMMARY"))
        .collect::<Vec<_>>()
        .join("\n");
    println!("{backend:?}: {summary}");
    assert!(
        output.status.success(),
        "Schemathesis found answers the document does not allow:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_served_document_holds_for_generated_requests() {
    the_served_document_holds_for_generated_requests(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_served_document_holds_for_generated_requests() {
    the_served_document_holds_for_generated_requests(Backend::Postgres).await;
}

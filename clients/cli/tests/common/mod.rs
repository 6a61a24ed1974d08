//! What the end-to-end tests share: running the real kamctl binary against a test server and reading
//! what it printed.

use std::process::Output;

use kam_tests::TestServer;
use serde_json::Value as Json;

/// Runs kamctl against `server` as its ADMIN; the process runs off the async workers.
pub async fn kamctl(server: &TestServer, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kamctl"));
    command
        .arg("--addr")
        .arg(server.addr.to_string())
        .arg("--api-key-file")
        .arg(server.admin_key_path())
        .args(args)
        .env_remove("KAM_API_KEY")
        .env_remove("KAM_ADDR")
        .env_remove("COLUMNS");
    tokio::task::spawn_blocking(move || command.output().expect("kamctl runs"))
        .await
        .expect("the kamctl task")
}

/// Runs kamctl, expecting success, and returns its stdout.
pub async fn ok(server: &TestServer, args: &[&str]) -> String {
    let output = kamctl(server, args).await;
    assert!(
        output.status.success(),
        "kamctl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// Runs kamctl with `--json`, expecting success.
pub async fn json(server: &TestServer, args: &[&str]) -> Json {
    let text = ok(server, &[&["--json"], args].concat()).await;
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{args:?} printed no JSON ({err}): {text}"))
}

/// Runs kamctl expecting exit code `code` (2 for a usage error) and returns stderr.
pub async fn exits(server: &TestServer, code: i32, args: &[&str]) -> String {
    let output = kamctl(server, args).await;
    assert_eq!(
        output.status.code(),
        Some(code),
        "kamctl {args:?} should exit with {code}"
    );
    String::from_utf8(output.stderr).expect("UTF-8 output")
}

/// Runs kamctl expecting exit code 1 (the server refused, or something else failed) and returns stderr.
pub async fn fails(server: &TestServer, args: &[&str]) -> String {
    exits(server, 1, args).await
}

pub fn text(value: &Json) -> &str {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}"))
}

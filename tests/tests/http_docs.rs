//! The `curl` examples of `docs/http-api.md` work as written: each ```sh block runs in bash against the
//! live server, with `$KAM` its address and `$KAM_KEY` the ADMIN's key, and answers JSON that is not an
//! error. Needs `curl` (without it the test says so and passes).

use std::{path::Path, process::Command};

use kam_tests::{TestServer, backend_tests};

/// The ```sh blocks of the guide, in order.
fn examples() -> Vec<String> {
    let guide = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/http-api.md");
    let text = std::fs::read_to_string(guide).expect("docs/http-api.md");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), line) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn run(server: &TestServer, example: &str) -> std::process::Output {
    Command::new("bash")
        .args(["-euo", "pipefail", "-c", example])
        .env("KAM", format!("http://{}", server.addr))
        .env("KAM_KEY", &server.admin().secret)
        .output()
        .expect("bash runs")
}

backend_tests! {
    async fn every_curl_example_of_the_guide_works_as_written(server: &TestServer) {
        if Command::new("curl").arg("--version").output().is_err() {
            eprintln!("skipped: no curl");
            return;
        }
        let examples = examples();
        assert!(examples.len() >= 3, "the guide shows its calls");
        for example in &examples {
            // Twice: the examples are idempotent, as the guide says a retry is.
            for attempt in 1..=2 {
                let output = run(server, example);
                let stdout = String::from_utf8_lossy(&output.stdout);
                assert!(
                    output.status.success(),
                    "{example}\nattempt {attempt} failed: {stdout}{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                let answer: serde_json::Value = serde_json::from_str(&stdout)
                    .unwrap_or_else(|e| panic!("{example}\nanswers no JSON ({e}): {stdout}"));
                assert!(answer.get("error").is_none(), "{example}\nanswers an error: {answer}");
            }
        }
    }
}

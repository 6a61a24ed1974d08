//! The web app (`clients/web`) served by the real server:
//! - the build embedded in the binary is the committed one, answered with its security headers over
//!   plain HTTP/1.1 on the server's one port, beside gRPC (both backends);
//! - the app's unit tests (Vitest) pass;
//! - the browser tests (`clients/web/e2e`, `node --test` driving Debian's chromium through
//!   playwright-core) pass against the server on a fresh SQLite database, serving a build of the app's
//!   current sources.
//!
//! The last two need Node, `npm ci` in `clients` and `/usr/bin/chromium` (or `KAM_CHROMIUM`); without
//! them they say so and pass, unless `KAM_TEST_WEB=required` (CI sets it, after installing them).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    process::{Command, Output},
};

use kam_tests::{Backend, TestServer, backend_tests, pb};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/web")
}

/// A plain HTTP/1.1 answer: status, headers (lower-case names), body.
struct HttpAnswer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// `GET path` over a fresh HTTP/1.1 connection, as a browser without gzip would send it.
async fn get(server: &TestServer, path: &str, extra: &[(&str, &str)]) -> HttpAnswer {
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr
    );
    for (name, value) in extra {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");

    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = std::str::from_utf8(&raw[..split]).expect("ASCII headers");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .expect("a status line")
        .split(' ')
        .nth(1)
        .expect("a status code");
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    HttpAnswer {
        status: status.parse().expect("a numeric status"),
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn committed(path: &str) -> Vec<u8> {
    std::fs::read(web_dir().join("dist").join(path)).expect("the committed build")
}

backend_tests! {
    async fn the_app_is_served_beside_grpc_with_its_security_headers(server: &TestServer) {
        let page = get(server, "/", &[]).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.body, committed("index.html"), "the binary carries the committed build");
        assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
        let policy = &page.headers["content-security-policy"];
        for directive in ["default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"] {
            assert!(policy.contains(directive), "{directive} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "{policy}");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert_eq!(page.headers["cache-control"], "no-cache");
        let html = String::from_utf8(page.body).expect("UTF-8 page");
        assert!(!html.contains("<script>") && html.contains("<script type=\"module\""), "no inline script:\n{html}");

        // Every address of the app is the app; its files are kept for a year; a stale file is missing.
        let deep = get(server, "/accounts/0192f0c2-0000-7000-8000-000000000000", &[]).await;
        assert_eq!((deep.status, deep.body), (200, committed("index.html")));
        let script = html
            .split('"')
            .find(|part| part.starts_with("/assets/") && part.ends_with(".js"))
            .expect("the page loads its script from /assets/");
        let file = get(server, script, &[("accept-encoding", "gzip")]).await;
        assert_eq!(file.status, 200);
        assert_eq!(file.headers["content-encoding"], "gzip");
        assert_eq!(file.body, committed(&format!("{}.gz", script.trim_start_matches('/'))));
        assert!(file.headers["cache-control"].contains("immutable"));
        let etag = file.headers["etag"].clone();
        let again = get(server, script, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, 304);
        assert_eq!(get(server, "/assets/index-gone.js", &[]).await.status, 404);

        // gRPC on the same port is untouched.
        let me = server.identity().who_am_i(pb::WhoAmIRequest {}).await.expect("WhoAmI").into_inner();
        assert_eq!(me.staff_id, server.admin().staff_id);
    }
}

/// Why the web tests cannot run here, if they cannot: a missing tool. Panics instead when CI
/// requires them.
fn missing_tools() -> Option<String> {
    let reason = if !web_dir().join("../node_modules/.bin/vitest").exists() {
        "clients/node_modules is missing: run `npm ci` in clients".to_owned()
    } else if !Path::new(&chromium()).exists() {
        format!("{} is missing: apt-get install chromium", chromium())
    } else {
        return None;
    };
    if std::env::var("KAM_TEST_WEB").as_deref() == Ok("required") {
        panic!("the web app's tests cannot run: {reason}");
    }
    eprintln!("skipped: {reason}");
    Some(reason)
}

fn chromium() -> String {
    std::env::var("KAM_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned())
}

fn npx(tool: &str) -> Command {
    let mut command = Command::new(web_dir().join("../node_modules/.bin").join(tool));
    command.current_dir(web_dir());
    command
}

fn assert_succeeded(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_web_app_passes_its_unit_tests() {
    if missing_tools().is_some() {
        return;
    }
    let output = npx("vitest")
        .args(["run", "--reporter=dot"])
        .output()
        .expect("run vitest");
    assert_succeeded("vitest", &output);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_works_in_a_real_browser() {
    if missing_tools().is_some() {
        return;
    }
    // The app as its sources are now, so a change to them is tested before it is committed.
    let build = tempfile::tempdir().expect("a build directory");
    let out_dir = build.path().to_str().expect("a UTF-8 path").to_owned();
    let built = tokio::task::spawn_blocking(move || {
        npx("vite")
            .args([
                "build",
                "--logLevel",
                "warn",
                "--outDir",
                &out_dir,
                "--emptyOutDir",
            ])
            .output()
    })
    .await
    .expect("the build task")
    .expect("run vite");
    assert_succeeded("vite build", &built);

    // The tests drive the server through @kam/client compiled for Node (clients/ts/dist), compiled
    // here from its sources so that they never run against a stale build.
    let compiled = tokio::task::spawn_blocking(|| {
        Command::new(web_dir().join("../node_modules/.bin/tsc"))
            .current_dir(web_dir().join("../ts"))
            .args(["-p", "tsconfig.node.json"])
            .output()
    })
    .await
    .expect("the compile task")
    .expect("run tsc");
    assert_succeeded("tsc -p tsconfig.node.json (clients/ts)", &compiled);

    let root = build.path().to_owned();
    // The notification watcher looks every 2 seconds, so a warning the browser tests raise (a plan
    // action past its due date) is filed while they wait for it.
    let server = TestServer::start_with(Backend::Sqlite, |config| {
        config.web_root = Some(root);
        config.notifications.watch_interval_seconds = 2;
    })
    .await
    .expect("SQLite always starts");
    let mut node = Command::new("node");
    node.current_dir(web_dir())
        .args(["--test", "--test-concurrency=1", "e2e/"])
        .env("KAM_APP_URL", format!("http://{}", server.addr))
        .env("KAM_KEY", &server.admin().secret)
        .env("KAM_CHROMIUM", chromium());
    // Off the runtime's workers: the server under test runs on them.
    let output = tokio::task::spawn_blocking(move || node.output())
        .await
        .expect("the node task")
        .expect("run node");
    server.stop().await;
    assert_succeeded("the browser tests (node --test e2e/)", &output);
}

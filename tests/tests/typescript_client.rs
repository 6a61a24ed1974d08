//! The TypeScript client (`clients/ts`) against the real server, on SQLite and on PostgreSQL (when
//! `KAM_TEST_POSTGRES_URL` is set): `clients/ts/test/e2e.mjs` runs on Node with the client compiled from
//! its sources, over gRPC-Web through the server's one port.
//!
//! It needs Node and the client's packages (`npm ci` in `clients/ts`); without them it says so and
//! passes, unless `KAM_TEST_TYPESCRIPT=required` (CI sets it, after installing them).

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use kam_tests::backend_tests;

fn client_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../clients/ts")
}

/// The client compiled for Node (`npm run build:node` in clients/ts: `clients/ts/dist`), built once per
/// test run; `Err` with the reason when it cannot be built here.
fn compiled_client() -> &'static Result<PathBuf, String> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = client_dir();
        // `npm ci` in clients/ installs the workspace's packages there, for clients/ts and clients/web.
        let tsc = dir.join("../node_modules/.bin/tsc");
        if !tsc.exists() {
            return Err(format!("{} is missing: run `npm ci` in clients", tsc.display()));
        }
        let built = Command::new(&tsc)
            .current_dir(&dir)
            .args(["-p", "tsconfig.node.json"])
            .status()
            .map_err(|e| format!("cannot run tsc: {e}"))?;
        assert!(built.success(), "tsc failed to compile clients/ts");
        Ok(dir.join("dist/index.js"))
    })
}

backend_tests! {
    async fn the_typescript_client_calls_the_server_over_grpc_web(server: &TestServer) {
        let client = match compiled_client() {
            Ok(client) => client,
            Err(reason) if std::env::var("KAM_TEST_TYPESCRIPT").as_deref() == Ok("required") => {
                panic!("the TypeScript client test cannot run: {reason}")
            }
            Err(reason) => {
                eprintln!("skipped: {reason}");
                return;
            }
        };
        let script = client_dir().join("test/e2e.mjs");
        let mut node = Command::new("node");
        node.arg(&script)
            .env("KAM_CLIENT", client)
            .env("KAM_URL", format!("http://{}", server.addr))
            .env("KAM_KEY", &server.admin().secret);
        // Off the runtime's workers: the server under test runs on them.
        let output = tokio::task::spawn_blocking(move || node.output())
            .await
            .expect("the node task")
            .expect("run node");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
        assert!(output.status.success(), "{}\n{stdout}\n{stderr}", script.display());
        assert!(stdout.starts_with("ok: "), "{stdout}");
    }
}

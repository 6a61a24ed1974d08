//! The OpenAPI document of the HTTP/JSON API and its reference page:
//! - `docs/openapi.json` is the document the server generates (`KAM_BLESS=1` rewrites it);
//! - the real server answers it at `/openapi.json`, and the reference page at `/docs` with its stylesheet
//!   and a policy that allows nothing else (both backends);
//! - the document is whole: every route an operation, every `$ref` resolved, operationIds unique, path
//!   parameters those of the path;
//! - an independent validator (Python's `openapi-spec-validator`) accepts it. Without the module the test
//!   says so and passes, unless `KAM_TEST_OPENAPI=required` (CI sets it, after installing it).

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
};

use kam_server::rest::{docs, openapi, pool, routes::RouteTable};
use kam_tests::backend_tests;
use serde_json::Value;

const REGENERATE: &str = "KAM_BLESS=1 cargo test -p kam-tests --test openapi";

fn committed_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json")
}

fn routes() -> RouteTable {
    RouteTable::from_pool(pool()).unwrap_or_else(|e| panic!("the routes: {e}"))
}

fn generated() -> Value {
    openapi::document(&routes())
}

fn blessing() -> bool {
    std::env::var("KAM_BLESS").as_deref() == Ok("1")
}

/// What the server must serve: the committed file (while blessing, the text about to be committed, so
/// the other tests do not race the rewrite).
fn expected_text() -> String {
    match blessing() {
        true => openapi::to_text(&generated()),
        false => std::fs::read_to_string(committed_path()).unwrap_or_else(|e| {
            panic!(
                "read {}: {e}; generate it with `{REGENERATE}`",
                committed_path().display()
            )
        }),
    }
}

#[test]
fn the_committed_document_is_the_generated_one() {
    let generated = openapi::to_text(&generated());
    if blessing() {
        std::fs::write(committed_path(), &generated).expect("write docs/openapi.json");
        eprintln!("KAM_BLESS=1: rewrote {}", committed_path().display());
        return;
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/openapi.json is not the document the server generates (first difference at line {}:\n  \
             committed: {}\n  generated: {}\n); regenerate it with `{REGENERATE}` and commit it",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end of file>"),
            generated.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

backend_tests! {
    async fn the_server_answers_the_document_and_its_reference_page(server: &TestServer) {
        // Without credentials: the description of the API is public, like the app's pages.
        let http = server.http_anonymous();
        let answer = http.get("/openapi.json").await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-type"), Some("application/json"));
        assert!(answer.body == expected_text().as_bytes(), "/openapi.json is not docs/openapi.json");

        let page = http.get("/docs").await;
        assert_eq!(page.status, 200);
        assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(page.header("content-security-policy"), Some(docs::CONTENT_SECURITY_POLICY));
        let html = String::from_utf8(page.body.to_vec()).expect("a UTF-8 page");
        let document: Value = serde_json::from_str(&expected_text()).expect("the document is JSON");
        for (path, method, operation) in operations(&document) {
            let id = operation["operationId"].as_str().expect("an operationId");
            assert!(html.contains(&format!(">{id}</code>")), "{id} is not on the page");
            assert!(html.contains(&format!(">{path}</code>")), "{method} {path} is not on the page");
        }
        assert_only_own_resources(&html);

        let style = http.get(docs::STYLESHEET_PATH).await;
        assert_eq!(style.status, 200);
        assert_eq!(style.header("content-type"), Some("text/css; charset=utf-8"));
        assert_eq!(style.body, docs::STYLESHEET.as_bytes());
        for foreign in ["url(", "@import", "@font-face"] {
            assert!(!docs::STYLESHEET.contains(foreign), "the stylesheet loads something: {foreign}");
        }
    }
}

/// The page loads nothing from elsewhere and runs nothing: no script, no inline style (the policy would
/// block them anyway), and every link and resource an address of this server.
fn assert_only_own_resources(html: &str) {
    for forbidden in [
        "<script", "<style", " style=", "<img", "<iframe", "<object", "<embed", " src=", "url(", "@import",
    ] {
        assert!(!html.contains(forbidden), "the page has {forbidden}");
    }
    for attribute in ["href=\"", "action=\""] {
        for target in html
            .split(attribute)
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            let own = target.starts_with('#') || (target.starts_with('/') && !target.starts_with("//"));
            assert!(own, "the page refers to {target}");
        }
    }
    assert!(html.contains(&format!(
        "<link rel=\"stylesheet\" href=\"{}\">",
        docs::STYLESHEET_PATH
    )));
}

/// Every operation of the document: path, method, operation.
fn operations(document: &Value) -> Vec<(&str, &str, &Value)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.iter()
                .map(move |(method, operation)| (path.as_str(), method.as_str(), operation))
        })
        .collect()
}

#[test]
fn every_route_is_an_operation_of_a_declared_tag() {
    let document = generated();
    let tags: BTreeSet<&str> = document["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .map(|tag| tag["name"].as_str().expect("a tag name"))
        .collect();
    let routes = routes();
    for route in routes.routes() {
        let path = route.template.openapi_path();
        let method = route.method.as_str().to_ascii_lowercase();
        let operation = &document["paths"][&path][&method];
        assert!(
            operation.is_object(),
            "{method} {path} ({}) is missing",
            route.rpc.full_name()
        );
        let id = operation["operationId"].as_str().expect("an operationId");
        assert!(
            id == route.rpc.name()
                || id
                    .strip_prefix(route.rpc.name())
                    .is_some_and(|n| n.starts_with('_')),
            "{method} {path} is {id}, not {}",
            route.rpc.name()
        );
        assert_eq!(
            operation["tags"],
            serde_json::json!([route.rpc.parent_service().name()])
        );
        assert!(tags.contains(route.rpc.parent_service().name()));
        assert!(operation["responses"]["200"].is_object() && operation["responses"]["default"].is_object());
    }
    assert_eq!(
        operations(&document).len(),
        routes.routes().len(),
        "an operation no route serves"
    );
}

#[test]
fn operation_ids_are_unique() {
    let document = generated();
    let mut seen = BTreeSet::new();
    for (path, method, operation) in operations(&document) {
        let id = operation["operationId"].as_str().expect("an operationId");
        assert!(seen.insert(id), "{id} twice (again at {method} {path})");
    }
}

#[test]
fn every_reference_resolves() {
    let document = generated();
    let mut references = Vec::new();
    collect_references(&document, &mut references);
    assert!(references.len() > 100, "the document refers to its components");
    for reference in references {
        let pointer = reference
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("{reference} is not within the document"));
        let pointer = pointer.replace("~1", "/").replace("~0", "~");
        assert!(
            document.pointer(&pointer).is_some(),
            "{reference} does not resolve"
        );
    }
}

fn collect_references<'d>(value: &'d Value, into: &mut Vec<&'d str>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                into.push(reference);
            }
            object.values().for_each(|v| collect_references(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_references(v, into)),
        _ => {}
    }
}

#[test]
fn path_parameters_are_those_of_the_path() {
    let document = generated();
    for (path, method, operation) in operations(&document) {
        let in_path: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .map(|rest| rest.split('}').next().expect("a closed variable"))
            .collect();
        let parameters = operation["parameters"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let declared: BTreeSet<&str> = parameters
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(
                    p["required"], true,
                    "{method} {path}: path parameters are required"
                );
                p["name"].as_str().expect("a parameter name")
            })
            .collect();
        assert_eq!(in_path, declared, "{method} {path}");
        let mut names = BTreeSet::new();
        for parameter in parameters {
            let key = (parameter["in"].as_str(), parameter["name"].as_str());
            assert!(names.insert(key), "{method} {path}: {key:?} twice");
        }
    }
}

/// Why the validator cannot run here, if it cannot. Panics instead when CI requires it.
fn missing_validator() -> Option<String> {
    let importable = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|output| output.status.success());
    if importable {
        return None;
    }
    let reason = "python3 cannot import openapi_spec_validator: pip install openapi-spec-validator";
    if std::env::var("KAM_TEST_OPENAPI").as_deref() == Ok("required") {
        panic!("the OpenAPI document cannot be validated: {reason}");
    }
    eprintln!("skipped: {reason}");
    Some(reason.to_owned())
}

#[test]
fn an_independent_validator_accepts_the_document() {
    if missing_validator().is_some() {
        return;
    }
    // The generated text, which the first test holds equal to the committed file.
    let file = tempfile::Builder::new()
        .suffix(".json")
        .tempfile()
        .expect("a temporary file");
    std::fs::write(file.path(), openapi::to_text(&generated())).expect("write the document");
    let output = Command::new("python3")
        .args([
            "-m",
            "openapi_spec_validator",
            "--schema",
            "3.1",
            "--validation-errors",
            "all",
        ])
        .arg(file.path())
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "openapi-spec-validator refused the document\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

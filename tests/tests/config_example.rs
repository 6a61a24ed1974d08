//! `kam.example.toml` at the repository root documents every setting of the server's config file. These
//! tests fail when the example and `kam_server::Config` drift apart: the example must load through
//! `Config::load` exactly as `--config` would load it, show the defaults, name every field of `Config`
//! and of the tables nested in it (a field that is unset by default as a commented-out `# key = value`
//! line), spell every key, live or commented out, as the server does, and with every setting uncommented
//! still start a server.
//!
//! The fields come from the server's own deserializer, not from a list kept here: every table of the
//! configuration refuses unknown keys, and the refusal names the keys it knows. Asking each table in turn
//! for a key it cannot have lists its fields; asking each field for one tells a nested table (or a table
//! of tables, like `coverage`) from a plain value.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

use kam_server::{Config, Flags};
use kam_tests::{Backend, TestServer};

/// The key the probes ask for; no table of the configuration has it.
const PROBE_KEY: &str = "kam_probe_no_such_key";
/// The key a probe uses for an entry of a map (a tier name in `coverage`, …).
const PROBE_ENTRY: &str = "KAM_PROBE_ENTRY";
/// In a field path, any key of a map whose values are tables.
const ANY: &str = "*";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the repository")
        .to_owned()
}

fn example_path() -> PathBuf {
    repo_root().join("kam.example.toml")
}

fn example_text() -> String {
    std::fs::read_to_string(example_path()).expect("read kam.example.toml")
}

/// Loads `path` the way `kam-server --config PATH` does.
fn load(path: &Path) -> Result<Config, kam_server::config::ConfigError> {
    Config::load(Flags {
        config: Some(path.to_owned()),
        ..Flags::default()
    })
}

/// Whether `line`, without its leading `# `, is a commented-out setting: `key = value` or `[table]`.
fn is_setting(line: &str) -> bool {
    if let Some(header) = line.strip_prefix('[') {
        return header.strip_suffix(']').is_some_and(|name| {
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        });
    }
    line.split_once(" = ").is_some_and(|(key, _)| {
        !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    })
}

/// The example with its commented-out settings made live.
fn uncommented(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(setting) if is_setting(setting) => setting,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A TOML document that puts `PROBE_KEY` into the table at `path`.
fn probe_document(path: &[&str]) -> String {
    if path.is_empty() {
        return format!("{PROBE_KEY} = 1\n");
    }
    let header: Vec<&str> = path
        .iter()
        .map(|segment| if *segment == ANY { PROBE_ENTRY } else { segment })
        .collect();
    format!("[{}]\n{PROBE_KEY} = 1\n", header.join("."))
}

/// What the configuration's deserializer makes of a table at `path`.
enum Probe {
    /// A table that refuses unknown keys, with the keys it knows.
    Table(Vec<String>),
    /// Not a table of settings (a plain value, a list, a map of plain values …).
    Value,
    /// A table that took the unknown key: a misspelt key there would go unnoticed.
    AcceptsAnything,
}

fn probe(path: &[&str]) -> Probe {
    let document = probe_document(path);
    let error = match toml::from_str::<Config>(&document) {
        Ok(_) => return Probe::AcceptsAnything,
        Err(error) => error,
    };
    // serde's refusal: "unknown field `x`, expected one of `a`, `b`", "… expected `a`" or
    // "… there are no fields".
    let message = error.message();
    let Some(known) = message.strip_prefix(&format!("unknown field `{PROBE_KEY}`, ")) else {
        return Probe::Value;
    };
    Probe::Table(known.split('`').skip(1).step_by(2).map(str::to_owned).collect())
}

/// Every field of `Config` and of the tables nested in it, as key paths (`ANY` for any key of a map of
/// tables), the tables themselves included.
fn config_fields() -> Vec<Vec<String>> {
    fn walk(path: &[&str], keys: Vec<String>, out: &mut Vec<Vec<String>>) {
        for key in &keys {
            let mut field: Vec<&str> = path.to_vec();
            field.push(key);
            out.push(field.iter().map(|s| s.to_string()).collect());
            match probe(&field) {
                Probe::Table(nested) => walk(&field, nested, out),
                Probe::AcceptsAnything => panic!(
                    "{}: the table accepts unknown keys (no deny_unknown_fields?), so a misspelt key in \
                     kam.example.toml would go unnoticed",
                    field.join(".")
                ),
                Probe::Value => {
                    let mut entry = field.clone();
                    entry.push(ANY);
                    match probe(&entry) {
                        Probe::Table(nested) => {
                            out.push(entry.iter().map(|s| s.to_string()).collect());
                            walk(&entry, nested, out);
                        }
                        Probe::AcceptsAnything => {
                            panic!("{}: the entries of this map accept unknown keys", field.join("."))
                        }
                        Probe::Value => {}
                    }
                }
            }
        }
    }
    let Probe::Table(top) = probe(&[]) else {
        panic!("Config must refuse unknown keys (deny_unknown_fields)");
    };
    let mut out = Vec::new();
    walk(&[], top, &mut out);
    out
}

/// Whether the document `table` holds the field at `path` (for `ANY`, in at least one entry).
fn holds(table: &toml::Table, path: &[String]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    let within =
        |value: &toml::Value| rest.is_empty() || value.as_table().is_some_and(|nested| holds(nested, rest));
    if first == ANY {
        table.values().any(within)
    } else {
        table.get(first).is_some_and(within)
    }
}

/// Every key path in the document `table`, tables included.
fn key_paths(table: &toml::Table, prefix: &[String], out: &mut Vec<Vec<String>>) {
    for (key, value) in table {
        let mut path = prefix.to_vec();
        path.push(key.clone());
        if let Some(nested) = value.as_table() {
            key_paths(nested, &path, out);
        }
        out.push(path);
    }
}

/// Whether the key path `path` of the example is the field path `field` (`ANY` matches any key).
fn is_field(field: &[String], path: &[String]) -> bool {
    field.len() == path.len() && field.iter().zip(path).all(|(f, p)| f == ANY || f == p)
}

#[test]
fn the_example_loads_as_the_default_configuration() {
    let config = load(&example_path()).unwrap_or_else(|e| panic!("kam.example.toml: {e}"));
    let defaults = Config::default();
    if config != defaults {
        // The two trees have the same shape unless a table is missing: show the lines that differ.
        let (shown, default) = (format!("{config:#?}"), format!("{defaults:#?}"));
        let differing: Vec<String> = shown
            .lines()
            .zip(default.lines())
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("{} (default: {})", a.trim(), b.trim()))
            .collect();
        panic!(
            "the live values of kam.example.toml must be the defaults of kam_server::Config: {differing:#?}"
        );
    }
}

#[test]
fn the_example_names_every_setting_and_comments_out_only_the_unset_ones() {
    let fields = config_fields();
    assert!(
        fields.len() > 20,
        "the probes found too few fields to be believed: {fields:?}"
    );
    let text = example_text();
    let live: toml::Table = toml::from_str(&text).expect("kam.example.toml is TOML");
    let all: toml::Table =
        toml::from_str(&uncommented(&text)).expect("kam.example.toml, uncommented, is TOML");

    let missing: Vec<String> = fields
        .iter()
        .filter(|field| !holds(&all, field))
        .map(|field| field.join("."))
        .collect();
    assert!(
        missing.is_empty(),
        "kam.example.toml does not show these settings, live or as `# key = value`: {missing:?}"
    );

    let mut paths = Vec::new();
    key_paths(&all, &[], &mut paths);
    let unknown: Vec<String> = paths
        .iter()
        .filter(|path| !fields.iter().any(|field| is_field(field, path)))
        .map(|path| path.join("."))
        .collect();
    assert!(
        unknown.is_empty(),
        "kam.example.toml names settings the server does not have: {unknown:?}"
    );

    // A commented-out setting must be one that is unset by default (an `Option`): the first table or
    // key on its path that the live example lacks is `None` in `Config::default()`.
    let defaults = format!("{:?}", Config::default());
    let mut commented_out = BTreeSet::new();
    for path in paths.iter().filter(|path| !holds(&live, path)) {
        let absent = (1..=path.len())
            .map(|n| &path[..n])
            .find(|prefix| !holds(&live, prefix))
            .expect("the whole path is absent");
        commented_out.insert(absent.join("."));
    }
    for setting in &commented_out {
        let name = setting.rsplit('.').next().unwrap_or(setting);
        assert!(
            defaults.contains(&format!("{name}: None")),
            "{setting} is commented out in kam.example.toml, but it is not unset by default: show it \
             live, with its default value"
        );
    }
    assert!(
        !commented_out.is_empty(),
        "no commented-out settings found: the unset-by-default ones (jwt, admin_key_file, …) must be \
         shown as `# key = value`"
    );
}

#[test]
fn every_key_of_the_example_is_spelt_as_the_server_spells_it() {
    let text = example_text();
    let all = uncommented(&text);
    toml::from_str::<Config>(&all)
        .unwrap_or_else(|e| panic!("kam.example.toml with its commented-out settings uncommented: {e}"));
    // The check above relies on the server refusing unknown keys in every table: make sure a misspelt
    // key on each line, live or commented out, would indeed be refused.
    let lines: Vec<&str> = all.lines().collect();
    let mut checked = 0;
    for (index, line) in lines.iter().enumerate() {
        let Some((key, value)) = line.split_once(" = ") else {
            continue;
        };
        if line.starts_with('#') || key.contains(' ') {
            continue;
        }
        let mut misspelt = lines.clone();
        let replaced = format!("{key}_misspelt = {value}");
        misspelt[index] = &replaced;
        assert!(
            toml::from_str::<Config>(&misspelt.join("\n")).is_err(),
            "line {}: a misspelt `{key}` would be accepted",
            index + 1
        );
        checked += 1;
    }
    assert!(checked > 20, "only {checked} settings found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_with_every_setting_uncommented_starts_a_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kam.toml");
    std::fs::write(&path, uncommented(&example_text())).unwrap();
    let mut config = load(&path).unwrap_or_else(|e| panic!("kam.example.toml, uncommented: {e}"));

    // Inside the optional [jwt] table, the keys that have a default show it (the live settings' values
    // are checked by the_example_loads_as_the_default_configuration).
    let jwt = config.jwt.clone().expect("the example shows [jwt]");
    let jwt_defaults = kam_server::config::JwtConfig::default();
    assert_eq!(
        (jwt.algorithm, jwt.staff_claim, jwt.leeway_seconds),
        (
            jwt_defaults.algorithm,
            jwt_defaults.staff_claim,
            jwt_defaults.leeway_seconds
        ),
        "the [jwt] keys that have a default must show it"
    );
    assert!(config.admin_key_file.is_some() && config.web_root.is_some());
    assert!(config.integration.outbox_retention_days.is_some());

    // Paths of this machine: the web app as built in this repository (the example's web_root is
    // relative to the repository root, where the header's `cargo run` runs), the test SSO key.
    let web_root = config.web_root.take().unwrap();
    assert!(web_root.is_relative(), "{}", web_root.display());
    config.web_root = Some(repo_root().join(web_root));
    config.jwt.as_mut().unwrap().public_key_pem_file =
        Some(repo_root().join("tests/fixtures/jwt-test-public.pem"));

    // A standby stands beside PostgreSQL only, and the example's is another host: this server, on
    // SQLite, starts without it (tests/tests/standby_reports.rs starts one with a standby).
    let standby = config.database_read_url.take();
    assert!(standby.is_some_and(|url| url.starts_with("postgres://")));

    // `run` checks the rest: tiers, roles, currency, ranges, the JWT settings.
    let server = TestServer::start_with(Backend::Sqlite, |c| *c = config)
        .await
        .expect("SQLite always runs");
    server.stop().await;
}

#[test]
fn the_probes_tell_tables_from_values() {
    assert!(
        matches!(probe(&["sla"]), Probe::Table(fields) if fields.contains(&"monitor_batch_size".to_owned()))
    );
    assert!(matches!(probe(&["jwt"]), Probe::Table(_)));
    assert!(matches!(probe(&["coverage"]), Probe::Value));
    assert!(matches!(probe(&["coverage", ANY]), Probe::Table(fields) if fields == ["roles", "liaisons"]));
    assert!(matches!(probe(&["listen_addr"]), Probe::Value));
    assert!(matches!(probe(&["webhooks", "allowed_networks"]), Probe::Value));
    assert!(is_setting("[planning.cadence.KEY]") && is_setting("outbox_retention_days = 90"));
    assert!(!is_setting("[jwt] table") && !is_setting("e.g. a = b") && !is_setting("Flag --x"));
}

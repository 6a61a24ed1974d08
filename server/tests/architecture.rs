//! The house rule, checked on the source: an area's tables are its own. Each area keeps its sea-orm
//! entities in a private `entity` module of its store, so the compiler already refuses another area's
//! `use`; this test guards what the compiler cannot see:
//! - an `entity` module made public (which would reopen the wall);
//! - a path naming another area's entity module;
//! - hand-written SQL in one area that reads another area's table by name.
//!
//! Shared tables (the platform's: audit, idempotency, outbox, leases) may be read by any area.

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

/// The areas: each a folder of `server/src` that owns tables.
const AREAS: &[&str] = &[
    "accounts",
    "feedback",
    "identity",
    "integration",
    "notifications",
    "opportunities",
    "planning",
    "segments",
    "service_levels",
    "teams",
    "webhooks",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The area a file belongs to, if any.
fn area_of(path: &Path) -> Option<&'static str> {
    let relative = path.strip_prefix(src()).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    AREAS.iter().copied().find(|area| *area == first)
}

/// Table name → owning area, read off the `table_name` of each area's entities.
fn table_owners() -> BTreeMap<String, &'static str> {
    let mut owners = BTreeMap::new();
    for path in rust_files(&src()) {
        let (Some(area), true) = (
            area_of(&path),
            path.components().any(|c| c.as_os_str() == "entity"),
        ) else {
            continue;
        };
        let text = read(&path);
        if let Some(table) = quoted_after(&text, "table_name = \"") {
            owners.insert(table, area);
        }
    }
    owners
}

fn quoted_after(text: &str, marker: &str) -> Option<String> {
    let start = text.find(marker)? + marker.len();
    let end = text[start..].find('"')?;
    Some(text[start..start + end].to_owned())
}

/// The tables of other areas that `text`, a file of `area`, reads or writes by name in SQL: a table
/// name right after FROM, JOIN, INTO or UPDATE.
fn foreign_tables_in_sql(text: &str, area: &str, owners: &BTreeMap<String, &'static str>) -> Vec<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
        .collect();
    words
        .windows(2)
        .filter(|pair| matches!(pair[0], "FROM" | "JOIN" | "INTO" | "UPDATE"))
        .filter_map(|pair| {
            let owner = owners.get(pair[1])?;
            (*owner != area).then(|| format!("{} (owned by {owner})", pair[1]))
        })
        .collect()
}

/// The paths in `text` that name the entity module of an area other than `area`.
fn foreign_entity_paths(text: &str, area: &str) -> Vec<String> {
    AREAS
        .iter()
        .filter(|other| **other != area)
        .flat_map(|other| [format!("{other}::store::entity"), format!("{other}::entity")])
        .filter(|path| text.contains(path.as_str()))
        .collect()
}

#[test]
fn every_table_has_one_owning_area() {
    let owners = table_owners();
    for table in [
        "accounts",
        "team_members",
        "opportunities",
        "service_requests",
        "revenue_records",
    ] {
        assert!(owners.contains_key(table), "no area owns {table}: {owners:?}");
    }
    assert_eq!(owners["team_members"], "teams");
    assert_eq!(owners["accounts"], "accounts");
}

#[test]
fn entity_modules_are_private_to_their_area() {
    let mut public = Vec::new();
    for path in rust_files(&src()) {
        if area_of(&path).is_none() {
            continue;
        }
        for line in read(&path).lines() {
            let line = line.trim();
            if line.starts_with("pub") && line.ends_with("mod entity;") {
                public.push(format!("{}: {line}", path.display()));
            }
        }
    }
    assert!(public.is_empty(), "entity modules must stay private: {public:#?}");
}

#[test]
fn no_area_names_another_areas_entities() {
    let mut found = Vec::new();
    for path in rust_files(&src()) {
        let Some(area) = area_of(&path) else { continue };
        for path_named in foreign_entity_paths(&read(&path), area) {
            found.push(format!("{}: {path_named}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "ask the owning area's store instead: {found:#?}"
    );
}

#[test]
fn no_area_reads_another_areas_tables_in_sql() {
    let owners = table_owners();
    let mut found = Vec::new();
    for path in rust_files(&src()) {
        let Some(area) = area_of(&path) else { continue };
        for table in foreign_tables_in_sql(&read(&path), area, &owners) {
            found.push(format!("{}: {table}", path.display()));
        }
    }
    assert!(
        found.is_empty(),
        "ask the owning area's store instead: {found:#?}"
    );
}

#[test]
fn the_platform_names_no_area_but_the_callers_identity() {
    let mut found = Vec::new();
    for path in rust_files(&src().join("platform")) {
        let text = read(&path).replace("identity::{Principal, Visibility}", "");
        for area in AREAS {
            if text.contains(&format!("crate::{area}")) || text.contains(&format!("    {area}::")) {
                found.push(format!("{}: {area}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the shared platform must not depend on an area: {found:#?}"
    );
}

/// The checks above would pass on an empty tree too: these show they catch what they look for.
#[test]
fn the_checks_catch_a_crossing() {
    let owners = table_owners();
    let sql = r#"let q = "SELECT account_id FROM team_members WHERE staff_id = $1";"#;
    assert_eq!(
        foreign_tables_in_sql(sql, "opportunities", &owners),
        ["team_members (owned by teams)"]
    );
    assert!(foreign_tables_in_sql(sql, "teams", &owners).is_empty());
    let import = "use crate::teams::store::entity::staff;";
    assert_eq!(foreign_entity_paths(import, "identity"), ["teams::store::entity"]);
    assert!(foreign_entity_paths(import, "teams").is_empty());
}

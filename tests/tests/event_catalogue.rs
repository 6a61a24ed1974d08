//! The event catalogue in the docs says what the proto declares: every event type of `Event.payload`,
//! once, with its payload message, and nothing else.

use std::collections::HashSet;

use kam_tests::catalogue::{declared_events, documented_events};

#[test]
fn the_catalogue_lists_every_declared_event_with_its_payload_and_nothing_else() {
    let declared = declared_events();
    assert!(
        declared.len() >= 40,
        "the proto declares {} event types",
        declared.len()
    );
    let documented: Vec<(String, String)> = documented_events()
        .into_iter()
        .map(|row| (row.event_type, row.payload))
        .collect();
    let missing: Vec<_> = declared.iter().filter(|e| !documented.contains(e)).collect();
    let unknown: Vec<_> = documented.iter().filter(|e| !declared.contains(e)).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "docs/events.md is out of step with proto/kam/v1/integration.proto: \
         not documented (or with another payload): {missing:?}; documented but not declared: {unknown:?}"
    );
    let mut seen = HashSet::new();
    let twice: Vec<_> = documented.iter().filter(|e| !seen.insert(&e.0)).collect();
    assert!(twice.is_empty(), "documented twice: {twice:?}");
}

#[test]
fn every_documented_event_names_a_resource_type() {
    for row in documented_events() {
        assert!(
            !row.resource_type.is_empty()
                && row
                    .resource_type
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{row:?}"
        );
    }
}

//! The wire edge of the segments area: Industry and Region in, one validated segment model out, and
//! back. Both messages are destructured in full into [`Wire`], so a field added to either fails to
//! compile here until it is handled; everything after that is one implementation over `SegmentKind`.

use std::collections::HashSet;

use kam_proto::{pbjson_types::FieldMask, v1 as pb};
use uuid::Uuid;

use super::{
    model::{
        MAX_ALIASES, MAX_DEPTH, MAX_MANAGERS, MAX_NAME, NewSegment, RegionLevel, Segment, SegmentFields,
        SegmentFilter, SegmentGrouping, SegmentKind, SegmentPatch, SegmentQuery, SegmentUpdate, code_problem,
    },
    rules::match_key,
};
use crate::platform::{
    error::{FieldViolation, Result, Violations},
    etag,
    events::Payload,
    fields::{optional_id, optional_text, required_id, text},
    wire::{PatchFields, WireEnum, timestamp},
};

crate::wire_enums!(RegionLevel => pb::RegionLevel);

const OUTPUT_ONLY: &[&str] = &["ancestor_codes", "depth", "create_time", "update_time", "etag"];
const IMMUTABLE: &[&str] = &["code"];

/// The fields Industry and Region share, as the client sent them (`level` is 0 for an industry).
#[derive(Default)]
pub struct Wire {
    pub code: String,
    pub parent_code: String,
    pub name: String,
    pub name_zh: String,
    pub aliases: Vec<String>,
    pub manager_staff_ids: Vec<String>,
    pub etag: String,
    pub level: i32,
}

pub fn industry_in(industry: Option<pb::Industry>) -> Wire {
    let pb::Industry {
        code,
        parent_code,
        name,
        name_zh,
        aliases,
        manager_staff_ids,
        ancestor_codes: _,
        depth: _,
        create_time: _,
        update_time: _,
        etag,
    } = industry.unwrap_or_default();
    Wire {
        code,
        parent_code,
        name,
        name_zh,
        aliases,
        manager_staff_ids,
        etag,
        level: 0,
    }
}

pub fn region_in(region: Option<pb::Region>) -> Wire {
    let pb::Region {
        code,
        parent_code,
        name,
        name_zh,
        aliases,
        manager_staff_ids,
        ancestor_codes: _,
        depth: _,
        create_time: _,
        update_time: _,
        etag,
        level,
    } = region.unwrap_or_default();
    Wire {
        code,
        parent_code,
        name,
        name_zh,
        aliases,
        manager_staff_ids,
        etag,
        level,
    }
}

/// The field that carries a segment of `kind` in its requests: `industry` or `region`.
fn message_field(kind: SegmentKind) -> &'static str {
    kind.resource()
}

/// A segment code, required.
pub fn code(field: &str, raw: &str) -> Result<String, FieldViolation> {
    match code_problem(raw) {
        Some(problem) => Err(FieldViolation::new(field, problem)),
        None => Ok(raw.to_owned()),
    }
}

/// A segment code that may be empty (none).
pub fn optional_code(field: &str, raw: &str) -> Result<Option<String>, FieldViolation> {
    if raw.is_empty() {
        Ok(None)
    } else {
        code(field, raw).map(Some)
    }
}

/// A list's or a report's `segments`: each code, when set, well-formed (whether it exists is the
/// store's to check, `directory::require_filter`).
pub fn segment_filter(field: &str, raw: Option<&pb::SegmentFilter>) -> Result<SegmentFilter, FieldViolation> {
    let Some(pb::SegmentFilter {
        industry_code,
        region_code,
    }) = raw
    else {
        return Ok(SegmentFilter::default());
    };
    Ok(SegmentFilter {
        industry: optional_code(&format!("{field}.industry_code"), industry_code)?,
        region: optional_code(&format!("{field}.region_code"), region_code)?,
    })
}

/// A report's grouping by segment: `None` when the kind is unspecified (not grouped); the rollup depth
/// within 0..=MAX_DEPTH either way.
pub fn segment_grouping(
    field: &str,
    raw: Option<&pb::SegmentGrouping>,
) -> Result<Option<SegmentGrouping>, FieldViolation> {
    let Some(pb::SegmentGrouping { kind, rollup_depth }) = raw else {
        return Ok(None);
    };
    if !(0..=MAX_DEPTH).contains(rollup_depth) {
        return Err(FieldViolation::new(
            format!("{field}.rollup_depth"),
            format!("must be within 0..={MAX_DEPTH}"),
        ));
    }
    let kind = match pb::segment_grouping::Kind::try_from(*kind) {
        Ok(pb::segment_grouping::Kind::Unspecified) => return Ok(None),
        Ok(pb::segment_grouping::Kind::Industry) => SegmentKind::Industry,
        Ok(pb::segment_grouping::Kind::Region) => SegmentKind::Region,
        Err(_) => return Err(FieldViolation::new(format!("{field}.kind"), "unknown kind")),
    };
    Ok(Some(SegmentGrouping {
        kind,
        rollup_depth: *rollup_depth,
    }))
}

fn aliases(field: &str, raw: &[String]) -> Result<Vec<String>, FieldViolation> {
    if raw.len() > MAX_ALIASES {
        return Err(FieldViolation::new(
            field,
            format!("at most {MAX_ALIASES} aliases (got {})", raw.len()),
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, alias)| text(&format!("{field}[{i}]"), alias, MAX_NAME, true))
        .collect()
}

fn managers(field: &str, raw: &[String]) -> Result<Vec<Uuid>, FieldViolation> {
    if raw.len() > MAX_MANAGERS {
        return Err(FieldViolation::new(
            field,
            format!("at most {MAX_MANAGERS} managers (got {})", raw.len()),
        ));
    }
    let mut seen = HashSet::new();
    raw.iter()
        .enumerate()
        .map(|(i, id)| {
            let at = format!("{field}[{i}]");
            let id = required_id(&at, id)?;
            if !seen.insert(id) {
                return Err(FieldViolation::new(at, "listed twice"));
            }
            Ok(id)
        })
        .collect()
}

fn level(kind: SegmentKind, field: &str, raw: i32) -> Result<Option<RegionLevel>, FieldViolation> {
    match kind {
        SegmentKind::Region => RegionLevel::from_wire(field, raw),
        SegmentKind::Industry => Ok(None),
    }
}

/// The segment of a Create request.
pub fn new_segment(kind: SegmentKind, wire: Wire) -> Result<NewSegment> {
    let Wire {
        code: code_raw,
        parent_code,
        name,
        name_zh,
        aliases: aliases_raw,
        manager_staff_ids,
        etag: _,
        level: level_raw,
    } = wire;
    let at = message_field(kind);
    let mut v = Violations::default();
    let code = v.take(code(&format!("{at}.code"), &code_raw));
    let fields = SegmentFields {
        parent_code: v
            .take(optional_code(&format!("{at}.parent_code"), &parent_code))
            .flatten(),
        name: v
            .take(text(&format!("{at}.name"), &name, MAX_NAME, true))
            .unwrap_or_default(),
        name_zh: v
            .take(text(&format!("{at}.name_zh"), &name_zh, MAX_NAME, false))
            .unwrap_or_default(),
        aliases: v
            .take(aliases(&format!("{at}.aliases"), &aliases_raw))
            .unwrap_or_default(),
        manager_staff_ids: v
            .take(managers(&format!("{at}.manager_staff_ids"), &manager_staff_ids))
            .unwrap_or_default(),
        level: v.take(level(kind, &format!("{at}.level"), level_raw)).flatten(),
    };
    v.into_result()?;
    Ok(NewSegment {
        kind,
        code: code.expect("checked above"),
        fields,
    })
}

/// The update of an Update request: `code` names the segment, the mask (or the fields set) what changes.
pub fn segment_update(kind: SegmentKind, wire: Wire, mask: Option<FieldMask>) -> Result<SegmentUpdate> {
    let Wire {
        code: code_raw,
        parent_code,
        name,
        name_zh,
        aliases: aliases_raw,
        manager_staff_ids,
        etag: etag_raw,
        level: level_raw,
    } = wire;
    let at = message_field(kind);
    let mut v = Violations::default();
    let code = v.take(code(&format!("{at}.code"), &code_raw));
    let mut fields = PatchFields::new()
        .field(
            "parent_code",
            !parent_code.is_empty(),
            |patch: &mut SegmentPatch, v| {
                patch.parent_code = v.take(optional_code(&format!("{at}.parent_code"), &parent_code))
            },
        )
        .field("name", !name.is_empty(), |patch, v| {
            patch.name = v.take(text(&format!("{at}.name"), &name, MAX_NAME, true))
        })
        .field("name_zh", !name_zh.is_empty(), |patch, v| {
            patch.name_zh = v.take(text(&format!("{at}.name_zh"), &name_zh, MAX_NAME, false))
        })
        .field("aliases", !aliases_raw.is_empty(), |patch, v| {
            patch.aliases = v.take(aliases(&format!("{at}.aliases"), &aliases_raw))
        })
        .field("manager_staff_ids", !manager_staff_ids.is_empty(), |patch, v| {
            patch.manager_staff_ids = v.take(managers(&format!("{at}.manager_staff_ids"), &manager_staff_ids))
        });
    if kind == SegmentKind::Region {
        fields = fields.field("level", level_raw != 0, move |patch, v| {
            patch.level = v.take(level(kind, &format!("{at}.level"), level_raw))
        });
    }
    let (patch, paths) = fields.read(mask, OUTPUT_ONLY, IMMUTABLE, &mut v);
    v.into_result()?;
    Ok(SegmentUpdate {
        kind,
        code: code.expect("checked above"),
        etag: etag::sent(&etag_raw).map(str::to_owned),
        patch,
        paths,
    })
}

/// The filter of a List request (`level` is 0 for industries).
pub fn segment_query(
    kind: SegmentKind,
    parent_code: &str,
    descendants: bool,
    query: &str,
    manager_staff_id: &str,
    level_raw: i32,
) -> Result<SegmentQuery> {
    let mut v = Violations::default();
    let filter = SegmentQuery {
        parent_code: v.take(optional_code("parent_code", parent_code)).flatten(),
        descendants,
        query: v
            .take(optional_text("query", query, MAX_NAME))
            .flatten()
            .map(|q| match_key(&q)),
        manager_staff_id: v
            .take(optional_id("manager_staff_id", manager_staff_id))
            .flatten(),
        level: v.take(level(kind, "level", level_raw)).flatten(),
    };
    v.into_result()?;
    Ok(filter)
}

pub fn industry_to_proto(segment: Segment) -> pb::Industry {
    let Segment {
        kind: _,
        code,
        fields,
        ancestor_codes,
        depth,
        create_time,
        update_time,
        revision,
    } = segment;
    let SegmentFields {
        parent_code,
        name,
        name_zh,
        aliases,
        manager_staff_ids,
        level: _,
    } = fields;
    pb::Industry {
        code,
        parent_code: parent_code.unwrap_or_default(),
        name,
        name_zh,
        aliases,
        manager_staff_ids: manager_staff_ids.iter().map(Uuid::to_string).collect(),
        ancestor_codes,
        depth,
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
    }
}

pub fn region_to_proto(segment: Segment) -> pb::Region {
    let Segment {
        kind: _,
        code,
        fields,
        ancestor_codes,
        depth,
        create_time,
        update_time,
        revision,
    } = segment;
    let SegmentFields {
        parent_code,
        name,
        name_zh,
        aliases,
        manager_staff_ids,
        level,
    } = fields;
    pb::Region {
        code,
        parent_code: parent_code.unwrap_or_default(),
        name,
        name_zh,
        aliases,
        manager_staff_ids: manager_staff_ids.iter().map(Uuid::to_string).collect(),
        ancestor_codes,
        depth,
        create_time: Some(timestamp(create_time)),
        update_time: Some(timestamp(update_time)),
        etag: etag::of(revision),
        level: level.map(WireEnum::to_wire).unwrap_or(0),
    }
}

/// What happened to a segment, for its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Created,
    Updated,
}

/// The event announcing `segment`, carrying it as Get returns it.
pub fn segment_event(action: Action, segment: Segment) -> Payload {
    match (segment.kind, action) {
        (SegmentKind::Industry, Action::Created) => Payload::IndustryCreated(industry_to_proto(segment)),
        (SegmentKind::Industry, Action::Updated) => Payload::IndustryUpdated(industry_to_proto(segment)),
        (SegmentKind::Region, Action::Created) => Payload::RegionCreated(region_to_proto(segment)),
        (SegmentKind::Region, Action::Updated) => Payload::RegionUpdated(region_to_proto(segment)),
    }
}

/// The event announcing that segment `code` of `kind` was deleted.
pub fn deleted_event(kind: SegmentKind, code: &str, delete_time: chrono::DateTime<chrono::Utc>) -> Payload {
    let tombstone = pb::Tombstone {
        id: code.to_owned(),
        account_id: String::new(),
        delete_time: Some(timestamp(delete_time)),
    };
    match kind {
        SegmentKind::Industry => Payload::IndustryDeleted(tombstone),
        SegmentKind::Region => Payload::RegionDeleted(tombstone),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_short_and_plain() {
        assert!(code("code", "C").is_ok());
        assert!(code("code", "cn.east-1_a").is_ok());
        assert!(code("code", "").is_err());
        assert!(code("code", &"x".repeat(33)).is_err());
        assert!(code("code", "a b").is_err());
        assert!(code("code", "华东").is_err());
        assert_eq!(optional_code("code", ""), Ok(None));
        assert_eq!(optional_code("code", "C"), Ok(Some("C".into())));
        assert!(optional_code("code", "a b").is_err());
    }

    #[test]
    fn every_bad_field_is_named() {
        let wire = Wire {
            code: "a/b".into(),
            parent_code: "?".into(),
            name: String::new(),
            name_zh: "x".repeat(201),
            aliases: vec![String::new()],
            manager_staff_ids: vec!["nope".into()],
            etag: String::new(),
            level: 99,
        };
        let Err(crate::platform::error::Error::InvalidArgument(violations)) =
            new_segment(SegmentKind::Region, wire)
        else {
            panic!("a bad region must be refused");
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "region.code",
                "region.parent_code",
                "region.name",
                "region.name_zh",
                "region.aliases[0]",
                "region.manager_staff_ids[0]",
                "region.level"
            ]
        );
    }
}

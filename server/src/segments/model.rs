//! The segments as the rest of the server sees them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

crate::named_enum!(
    /// Which tree a segment belongs to.
    SegmentKind {
        Industry = "INDUSTRY",
        Region = "REGION",
    }
);

impl SegmentKind {
    /// The resource name events, audit rows and errors use.
    pub fn resource(self) -> &'static str {
        match self {
            Self::Industry => "industry",
            Self::Region => "region",
        }
    }
}

/// Keeps a list or a report to the accounts of a segment and everything below it, per kind: both set,
/// the accounts in both.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentFilter {
    pub industry: Option<String>,
    pub region: Option<String>,
}

impl SegmentFilter {
    pub fn is_empty(&self) -> bool {
        self.industry.is_none() && self.region.is_none()
    }

    /// The codes asked for, with their kinds.
    pub fn codes(&self) -> impl Iterator<Item = (SegmentKind, &str)> {
        [
            (SegmentKind::Industry, self.industry.as_deref()),
            (SegmentKind::Region, self.region.as_deref()),
        ]
        .into_iter()
        .filter_map(|(kind, code)| Some((kind, code?)))
    }
}

/// How a report groups its accounts by segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentGrouping {
    pub kind: SegmentKind,
    /// 0: each account's own segment; N ≥ 1: rolled up to its ancestor at depth N (a segment at depth
    /// N or above stays itself).
    pub rollup_depth: i32,
}

/// The deepest a segment tree goes.
pub const MAX_DEPTH: i32 = 8;

crate::named_enum!(
    /// How far down the region tree a region lies, as the business names it.
    RegionLevel {
        SalesRegion = "SALES_REGION",
        Country = "COUNTRY",
        Province = "PROVINCE",
        City = "CITY",
    }
);

/// The longest code.
pub const MAX_CODE: usize = 32;
/// The longest name, Chinese name or alias.
pub const MAX_NAME: usize = 200;
/// The most aliases a segment has.
pub const MAX_ALIASES: usize = 20;
/// The most managers a segment has.
pub const MAX_MANAGERS: usize = 20;

/// Why `raw` is not a segment code (1..=32 of A-Z, a-z, 0-9, '.', '_', '-'), if it is not.
pub fn code_problem(raw: &str) -> Option<String> {
    let length = raw.chars().count();
    if length == 0 {
        return Some("required".to_owned());
    }
    if length > MAX_CODE {
        return Some(format!("must be at most {MAX_CODE} characters (got {length})"));
    }
    if !raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Some("only A-Z, a-z, 0-9, '.', '_' and '-'".to_owned());
    }
    None
}

/// The writable fields of a segment, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentFields {
    /// `None` for a top-level segment.
    pub parent_code: Option<String>,
    pub name: String,
    pub name_zh: String,
    pub aliases: Vec<String>,
    pub manager_staff_ids: Vec<Uuid>,
    /// Regions only.
    pub level: Option<RegionLevel>,
}

impl SegmentFields {
    /// Every text the segment answers to besides its code: name, Chinese name, aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        [self.name.as_str(), self.name_zh.as_str()]
            .into_iter()
            .chain(self.aliases.iter().map(String::as_str))
            .filter(|name| !name.is_empty())
    }
}

/// A segment to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSegment {
    pub kind: SegmentKind,
    pub code: String,
    pub fields: SegmentFields,
}

/// A segment as stored, with its place in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    pub kind: SegmentKind,
    pub code: String,
    pub fields: SegmentFields,
    /// The codes above it, the top level first.
    pub ancestor_codes: Vec<String>,
    /// 1 for a top-level segment.
    pub depth: i32,
    pub create_time: DateTime<Utc>,
    pub update_time: DateTime<Utc>,
    pub revision: i64,
}

/// The fields an update writes: `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentPatch {
    pub parent_code: Option<Option<String>>,
    pub name: Option<String>,
    pub name_zh: Option<String>,
    pub aliases: Option<Vec<String>>,
    pub manager_staff_ids: Option<Vec<Uuid>>,
    pub level: Option<Option<RegionLevel>>,
}

impl SegmentPatch {
    pub fn apply_to(&self, fields: &mut SegmentFields) {
        let Self {
            parent_code,
            name,
            name_zh,
            aliases,
            manager_staff_ids,
            level,
        } = self.clone();
        if let Some(v) = parent_code {
            fields.parent_code = v;
        }
        if let Some(v) = name {
            fields.name = v;
        }
        if let Some(v) = name_zh {
            fields.name_zh = v;
        }
        if let Some(v) = aliases {
            fields.aliases = v;
        }
        if let Some(v) = manager_staff_ids {
            fields.manager_staff_ids = v;
        }
        if let Some(v) = level {
            fields.level = v;
        }
    }
}

/// An update of a segment, validated: like `wire::Update`, named by its code.
#[derive(Clone, Debug)]
pub struct SegmentUpdate {
    pub kind: SegmentKind,
    pub code: String,
    pub etag: Option<String>,
    pub patch: SegmentPatch,
    pub paths: Vec<String>,
}

/// What ListIndustries and ListRegions keep.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SegmentQuery {
    /// Only the segments directly below it (with `descendants`: at any depth).
    pub parent_code: Option<String>,
    pub descendants: bool,
    /// Lower-cased (by [`super::rules::match_key`]) substring of the code, a name or an alias.
    pub query: Option<String>,
    pub manager_staff_id: Option<Uuid>,
    pub level: Option<RegionLevel>,
}

//! What other areas ask of the segments: whether a code exists, which segment a free text names, a
//! segment with everything below it, the rollup of every segment to a level, the names to show, and
//! the regions a staff member manages. Small values, subqueries and SQL row sources; the tables stay
//! this area's own.

use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use super::entity::{segment, segment_closure, segment_manager, segment_name};
use crate::{
    platform::error::{Error, Result},
    segments::{
        model::{SegmentFilter, SegmentGrouping, SegmentKind},
        rules::match_key,
    },
};

/// The rule an unknown segment code breaks wherever one is named.
pub const SEGMENT_NOT_FOUND: &str = "SEGMENT_NOT_FOUND";

/// FAILED_PRECONDITION (rule SEGMENT_NOT_FOUND) unless `code` is a segment of `kind`.
pub async fn require_exists(conn: &impl ConnectionTrait, kind: SegmentKind, code: &str) -> Result<()> {
    let found = segment::Entity::find_by_id((kind.as_str().to_owned(), code.to_owned()))
        .count(conn)
        .await?;
    if found > 0 {
        return Ok(());
    }
    Err(Error::rule(
        SEGMENT_NOT_FOUND,
        format!("{}/{code}", kind.resource()),
        format!("there is no {} with code {code:?}", kind.resource()),
    ))
}

/// FAILED_PRECONDITION (rule SEGMENT_NOT_FOUND) unless every code `filter` names exists.
pub async fn require_filter(conn: &impl ConnectionTrait, filter: &SegmentFilter) -> Result<()> {
    for (kind, code) in filter.codes() {
        require_exists(conn, kind, code).await?;
    }
    Ok(())
}

/// The code of the segment of `kind` that `text` names (its code, a name or an alias, ignoring case and
/// surrounding space), if one does.
pub async fn classify(conn: &impl ConnectionTrait, kind: SegmentKind, text: &str) -> Result<Option<String>> {
    let key = match_key(text);
    if key.is_empty() {
        return Ok(None);
    }
    let found = segment_name::Entity::find_by_id((kind.as_str().to_owned(), key))
        .one(conn)
        .await?;
    Ok(found.map(|name| name.code))
}

/// `code` and every segment below it, as a subquery of codes.
pub fn subtree(kind: SegmentKind, code: &str) -> SelectStatement {
    Query::select()
        .column(segment_closure::Column::Descendant)
        .from(segment_closure::Entity)
        .and_where(segment_closure::Column::Kind.eq(kind.as_str()))
        .and_where(segment_closure::Column::Ancestor.eq(code))
        .to_owned()
}

/// [`subtree`] for hand-written SQL: `code` is the placeholder the caller binds the code to.
pub fn subtree_sql(kind: SegmentKind, code: &str) -> String {
    format!(
        "SELECT descendant FROM segment_closure WHERE kind = '{}' AND ancestor = {code}",
        kind.as_str()
    )
}

/// A row source `(code, group_code)` for hand-written reports: every segment of the grouping's kind
/// with the segment it is reported under (itself at rollup depth 0, else its ancestor at that depth, or
/// itself when it lies at that depth or above). Join it on the account's code; accounts without one
/// find no row and are reported under their free text.
pub fn rollup_sql(grouping: SegmentGrouping) -> String {
    let kind = grouping.kind.as_str();
    let depth = grouping.rollup_depth;
    if depth <= 0 {
        return format!(
            "SELECT descendant AS code, ancestor AS group_code FROM segment_closure \
             WHERE kind = '{kind}' AND ancestor = descendant"
        );
    }
    format!(
        "SELECT descendant AS code, ancestor AS group_code FROM segment_closure \
         WHERE kind = '{kind}' AND ancestor_depth = \
         CASE WHEN descendant_depth < {depth} THEN descendant_depth ELSE {depth} END"
    )
}

/// The (English) names of the segments of `kind` among `codes`, by code.
pub async fn names_of(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    codes: &[String],
) -> Result<HashMap<String, String>> {
    if codes.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, String)> = segment::Entity::find()
        .select_only()
        .columns([segment::Column::Code, segment::Column::Name])
        .filter(segment::Column::Kind.eq(kind.as_str()))
        .filter(segment::Column::Code.is_in(codes.iter().map(String::as_str)))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The codes of the regions `staff_id` manages and of every region below them, as a subquery.
pub fn regions_managed_by(staff_id: Uuid) -> SelectStatement {
    let managed = Query::select()
        .column(segment_manager::Column::Code)
        .from(segment_manager::Entity)
        .and_where(segment_manager::Column::Kind.eq(SegmentKind::Region.as_str()))
        .and_where(segment_manager::Column::StaffId.eq(staff_id))
        .to_owned();
    Query::select()
        .column(segment_closure::Column::Descendant)
        .from(segment_closure::Entity)
        .and_where(segment_closure::Column::Kind.eq(SegmentKind::Region.as_str()))
        .and_where(segment_closure::Column::Ancestor.in_subquery(managed))
        .to_owned()
}

/// [`regions_managed_by`] for hand-written SQL: `staff` is the placeholder bound to the staff id.
pub fn regions_managed_by_sql(staff: &str) -> String {
    format!(
        "SELECT c.descendant FROM segment_closure c JOIN segment_managers m \
         ON m.kind = c.kind AND m.code = c.ancestor \
         WHERE c.kind = 'REGION' AND m.staff_id = {staff}"
    )
}

/// Whether region `code` is one `staff_id` manages, or lies below one.
pub async fn manages_region(conn: &impl ConnectionTrait, staff_id: Uuid, code: &str) -> Result<bool> {
    let found = segment_closure::Entity::find()
        .filter(segment_closure::Column::Kind.eq(SegmentKind::Region.as_str()))
        .filter(segment_closure::Column::Descendant.eq(code))
        .filter(
            segment_closure::Column::Ancestor.in_subquery(
                Query::select()
                    .column(segment_manager::Column::Code)
                    .from(segment_manager::Entity)
                    .and_where(segment_manager::Column::Kind.eq(SegmentKind::Region.as_str()))
                    .and_where(segment_manager::Column::StaffId.eq(staff_id))
                    .to_owned(),
            ),
        )
        .count(conn)
        .await?;
    Ok(found > 0)
}

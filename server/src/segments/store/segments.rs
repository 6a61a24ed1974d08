//! Industries and regions one at a time: create, read, list, change and delete them, one implementation
//! for both kinds. Each write keeps the three tables beside `segments` in step in its transaction: the
//! names by match key (`segment_names`, unique per kind), the closure (`segment_closure`, rewritten for
//! the whole subtree when a segment moves) and the managers.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::entity::{segment, segment_closure, segment_manager, segment_name};
use crate::{
    accounts::store::{classify_accounts, live_accounts_in_segment, release_segment},
    opportunities::store::competitors_at_home_in,
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result, RuleViolation},
        etag,
        paging::{Cursor, Page},
        request::RequestContext,
    },
    segments::{
        convert::{Action, deleted_event, segment_event},
        model::{NewSegment, RegionLevel, Segment, SegmentFields, SegmentKind, SegmentQuery, SegmentUpdate},
        rules::{self, match_key, placement},
    },
    teams::store::is_active_staff,
};

pub async fn create_segment(db: &Db, ctx: &RequestContext, new: NewSegment) -> Result<Segment> {
    let new = &new;
    db.write(|txn| async move {
        let txn = &*txn;
        let NewSegment { kind, code, fields } = new;
        let (kind, code) = (*kind, code.as_str());
        if segment_row(txn, kind, code).await?.is_some() {
            return Err(Error::AlreadyExists {
                resource: kind.resource(),
                field: "code",
                value: code.to_owned(),
            });
        }
        let subject = subject(kind, code);
        let parent = parent_of(txn, kind, &subject, fields.parent_code.as_deref()).await?;
        let depth = placement(&subject, parent_ref(&parent), &[code.to_owned()], 0).map_err(refused)?;
        let time = now();
        segment::Entity::insert(segment::ActiveModel {
            kind: Set(kind.as_str().to_owned()),
            code: Set(code.to_owned()),
            parent_code: Set(fields.parent_code.clone()),
            name: Set(fields.name.clone()),
            name_zh: Set(fields.name_zh.clone()),
            aliases: Set(aliases_column(&fields.aliases)),
            level: Set(fields.level.map(|l| l.as_str().to_owned())),
            depth: Set(depth),
            create_time: Set(time),
            update_time: Set(time),
            revision: Set(1),
        })
        .exec_without_returning(txn)
        .await?;
        let mut closure: Vec<(String, i32)> = match &parent {
            Some((_, _, ancestors)) => ancestors.clone(),
            None => Vec::new(),
        };
        closure.push((code.to_owned(), depth));
        insert_closure(txn, kind, &closure, &[(code.to_owned(), depth)]).await?;
        let keys = write_names(txn, kind, code, fields).await?;
        write_managers(txn, kind, code, &fields.manager_staff_ids).await?;
        classify_accounts(txn, kind, code, &keys).await?;
        let created = load(txn, kind, code).await?;
        audit::record(
            txn,
            ctx,
            segment_change(&created, Action::Created, created_fields(fields)),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub async fn get_segment(conn: &impl ConnectionTrait, kind: SegmentKind, code: &str) -> Result<Segment> {
    load(conn, kind, code).await
}

/// One page of segments of `kind` by code, as `query` keeps them.
pub async fn list_segments(
    db: &Db,
    kind: SegmentKind,
    query: &SegmentQuery,
    page_size: u64,
    after: Option<Cursor>,
) -> Result<Page<Segment>> {
    use segment::Column as C;
    let conn = db.conn();
    let mut select = segment::Entity::find().filter(C::Kind.eq(kind.as_str()));
    if let Some(parent) = &query.parent_code {
        if query.descendants {
            select = select
                .filter(C::Code.in_subquery(super::directory::subtree(kind, parent)))
                .filter(C::Code.ne(parent.as_str()));
        } else {
            select = select.filter(C::ParentCode.eq(parent.as_str()));
        }
    }
    if let Some(text) = &query.query {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        // The names are stored by match key (lower case, as Rust lowers it), so the lowered needle
        // matches them alike on both backends.
        let named = Query::select()
            .column(segment_name::Column::Code)
            .from(segment_name::Entity)
            .and_where(segment_name::Column::Kind.eq(kind.as_str()))
            .and_where(
                Expr::col(segment_name::Column::NameKey)
                    .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')),
            )
            .to_owned();
        select = select.filter(C::Code.in_subquery(named));
    }
    if let Some(staff) = query.manager_staff_id {
        let managed = Query::select()
            .column(segment_manager::Column::Code)
            .from(segment_manager::Entity)
            .and_where(segment_manager::Column::Kind.eq(kind.as_str()))
            .and_where(segment_manager::Column::StaffId.eq(staff))
            .to_owned();
        select = select.filter(C::Code.in_subquery(managed));
    }
    if let Some(level) = query.level {
        select = select.filter(C::Level.eq(level.as_str()));
    }
    if let Some(after) = after.as_ref().and_then(|cursor| cursor.key.as_deref()) {
        select = select.filter(C::Code.gt(after));
    }
    let mut rows = select
        .order_by_asc(C::Code)
        .limit(page_size + 1)
        .all(conn)
        .await?;
    let next = if rows.len() as u64 > page_size {
        rows.truncate(page_size as usize);
        rows.last().map(|row| Cursor {
            key: Some(row.code.clone()),
            id: Uuid::nil(),
        })
    } else {
        None
    };
    Ok(Page {
        items: with_relations(conn, kind, rows).await?,
        next,
    })
}

pub async fn update_segment(db: &Db, ctx: &RequestContext, update: SegmentUpdate) -> Result<Segment> {
    let update = &update;
    db.write(|txn| async move {
        let txn = &*txn;
        let SegmentUpdate {
            kind,
            code,
            etag: sent,
            patch,
            paths,
        } = update;
        let (kind, code) = (*kind, code.as_str());
        let current = load(txn, kind, code).await?;
        check_etag(kind, code, current.revision, sent.as_deref())?;
        let mut fields = current.fields.clone();
        patch.apply_to(&mut fields);
        let subject = subject(kind, code);
        let mut moved = Vec::new();
        if fields.parent_code != current.fields.parent_code {
            moved = move_subtree(txn, kind, &subject, &current, fields.parent_code.as_deref()).await?;
        }
        let mut keys = Vec::new();
        let renamed = fields.name != current.fields.name
            || fields.name_zh != current.fields.name_zh
            || fields.aliases != current.fields.aliases;
        if renamed {
            keys = write_names(txn, kind, code, &fields).await?;
        }
        if fields.manager_staff_ids != current.fields.manager_staff_ids {
            write_managers(txn, kind, code, &fields.manager_staff_ids).await?;
        }
        let mut row = row_of(txn, kind, code).await?.into_active_model();
        row.parent_code = Set(fields.parent_code.clone());
        row.name = Set(fields.name.clone());
        row.name_zh = Set(fields.name_zh.clone());
        row.aliases = Set(aliases_column(&fields.aliases));
        row.level = Set(fields.level.map(|l| l.as_str().to_owned()));
        row.revision = Set(current.revision + 1);
        row.update_time = Set(now());
        segment::Entity::update(row).exec(txn).await?;
        if renamed {
            classify_accounts(txn, kind, code, &keys).await?;
        }
        let updated = load(txn, kind, code).await?;
        audit::record(txn, ctx, segment_change(&updated, Action::Updated, paths.clone())).await?;
        // The segments below it moved with it: their depth and ancestors changed.
        for below in moved.iter().filter(|below| below.as_str() != code) {
            let below = load(txn, kind, below).await?;
            let fields = vec!["ancestor_codes".to_owned(), "depth".to_owned()];
            audit::record(txn, ctx, segment_change(&below, Action::Updated, fields)).await?;
        }
        Ok(updated)
    })
    .await
}

pub async fn delete_segment(
    db: &Db,
    ctx: &RequestContext,
    kind: SegmentKind,
    code: &str,
    sent: Option<&str>,
) -> Result<()> {
    db.write(|txn| async move {
        let txn = &*txn;
        let row = row_of(txn, kind, code).await?;
        check_etag(kind, code, row.revision, sent)?;
        let subject = subject(kind, code);
        let children = segment::Entity::find()
            .filter(segment::Column::Kind.eq(kind.as_str()))
            .filter(segment::Column::ParentCode.eq(code))
            .count(txn)
            .await?;
        if children > 0 {
            return Err(Error::rule(
                rules::SEGMENT_HAS_CHILDREN,
                subject,
                format!("{children} segment(s) lie below it: move or delete them first"),
            ));
        }
        let in_use = live_accounts_in_segment(txn, kind, code).await?;
        if in_use > 0 {
            return Err(Error::rule(
                rules::SEGMENT_IN_USE,
                subject,
                format!("{in_use} live account(s) name it: reclassify them first"),
            ));
        }
        if kind == SegmentKind::Region {
            let at_home = competitors_at_home_in(txn, code).await?;
            if at_home > 0 {
                return Err(Error::rule(
                    rules::SEGMENT_IN_USE,
                    subject,
                    format!("{at_home} competitor(s) are at home in it: change their home regions first"),
                ));
            }
        }
        release_segment(txn, kind, code).await?;
        segment_name::Entity::delete_many()
            .filter(segment_name::Column::Kind.eq(kind.as_str()))
            .filter(segment_name::Column::Code.eq(code))
            .exec(txn)
            .await?;
        segment_manager::Entity::delete_many()
            .filter(segment_manager::Column::Kind.eq(kind.as_str()))
            .filter(segment_manager::Column::Code.eq(code))
            .exec(txn)
            .await?;
        segment_closure::Entity::delete_many()
            .filter(segment_closure::Column::Kind.eq(kind.as_str()))
            .filter(segment_closure::Column::Descendant.eq(code))
            .exec(txn)
            .await?;
        segment::Entity::delete_by_id((kind.as_str().to_owned(), code.to_owned()))
            .exec(txn)
            .await?;
        let change = Change::keyed(
            kind.resource(),
            code,
            None,
            deleted_event(kind, code, now()),
            Vec::new(),
        );
        audit::record(txn, ctx, change).await
    })
    .await
}

// ----- the tree -----

/// The parent a segment is placed under, when it names one: its code, depth and own ancestors (itself
/// included) with their depths, the top first. FAILED_PRECONDITION (SEGMENT_PARENT_NOT_FOUND) for an
/// unknown code.
type Parent = Option<(String, i32, Vec<(String, i32)>)>;

async fn parent_of(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    subject: &str,
    parent: Option<&str>,
) -> Result<Parent> {
    let Some(parent) = parent else {
        return Ok(None);
    };
    let Some(row) = segment_row(conn, kind, parent).await? else {
        return Err(Error::rule(
            rules::SEGMENT_PARENT_NOT_FOUND,
            subject,
            format!("there is no {} with code {parent:?}", kind.resource()),
        ));
    };
    let ancestors = segment_closure::Entity::find()
        .filter(segment_closure::Column::Kind.eq(kind.as_str()))
        .filter(segment_closure::Column::Descendant.eq(parent))
        .order_by_asc(segment_closure::Column::AncestorDepth)
        .all(conn)
        .await?
        .into_iter()
        .map(|row| (row.ancestor, row.ancestor_depth))
        .collect();
    Ok(Some((row.code, row.depth, ancestors)))
}

fn parent_ref(parent: &Parent) -> Option<(&str, i32)> {
    parent.as_ref().map(|(code, depth, _)| (code.as_str(), *depth))
}

fn refused(violation: RuleViolation) -> Error {
    Error::FailedPrecondition(vec![violation])
}

/// Moves `current` with everything below it under `new_parent` (or to the top level): checks the
/// cycle and the depth of the whole subtree, then rewrites the subtree's closure rows and depths.
/// Answers the codes moved.
async fn move_subtree(
    txn: &impl ConnectionTrait,
    kind: SegmentKind,
    subject: &str,
    current: &Segment,
    new_parent: Option<&str>,
) -> Result<Vec<String>> {
    let below: Vec<(String, i32)> = segment_closure::Entity::find()
        .filter(segment_closure::Column::Kind.eq(kind.as_str()))
        .filter(segment_closure::Column::Ancestor.eq(current.code.as_str()))
        .all(txn)
        .await?
        .into_iter()
        .map(|row| (row.descendant, row.descendant_depth))
        .collect();
    let codes: Vec<String> = below.iter().map(|(code, _)| code.clone()).collect();
    let height = below
        .iter()
        .map(|(_, depth)| depth - current.depth)
        .max()
        .unwrap_or(0);
    let parent = parent_of(txn, kind, subject, new_parent).await?;
    let depth = placement(subject, parent_ref(&parent), &codes, height).map_err(refused)?;
    let shift = depth - current.depth;
    // The links from outside the subtree into it go; those inside it stay, shifted.
    segment_closure::Entity::delete_many()
        .filter(segment_closure::Column::Kind.eq(kind.as_str()))
        .filter(segment_closure::Column::Descendant.is_in(codes.iter().map(String::as_str)))
        .filter(segment_closure::Column::Ancestor.is_not_in(codes.iter().map(String::as_str)))
        .exec(txn)
        .await?;
    if shift != 0 {
        segment_closure::Entity::update_many()
            .col_expr(
                segment_closure::Column::AncestorDepth,
                Expr::col(segment_closure::Column::AncestorDepth).add(shift),
            )
            .col_expr(
                segment_closure::Column::DescendantDepth,
                Expr::col(segment_closure::Column::DescendantDepth).add(shift),
            )
            .filter(segment_closure::Column::Kind.eq(kind.as_str()))
            .filter(segment_closure::Column::Descendant.is_in(codes.iter().map(String::as_str)))
            .exec(txn)
            .await?;
    }
    let time = now();
    segment::Entity::update_many()
        .col_expr(
            segment::Column::Depth,
            Expr::col(segment::Column::Depth).add(shift),
        )
        .col_expr(
            segment::Column::Revision,
            Expr::col(segment::Column::Revision).add(1),
        )
        .col_expr(segment::Column::UpdateTime, Expr::value(time))
        .filter(segment::Column::Kind.eq(kind.as_str()))
        .filter(segment::Column::Code.is_in(codes.iter().map(String::as_str)))
        .filter(segment::Column::Code.ne(current.code.as_str()))
        .exec(txn)
        .await?;
    segment::Entity::update_many()
        .col_expr(segment::Column::Depth, Expr::value(depth))
        .filter(segment::Column::Kind.eq(kind.as_str()))
        .filter(segment::Column::Code.eq(current.code.as_str()))
        .exec(txn)
        .await?;
    if let Some((_, _, ancestors)) = &parent {
        let moved: Vec<(String, i32)> = below
            .iter()
            .map(|(code, old)| (code.clone(), old + shift))
            .collect();
        insert_closure(txn, kind, ancestors, &moved).await?;
    }
    Ok(codes)
}

/// A closure row for every pair of `ancestors` × `descendants` (each with its depth).
async fn insert_closure(
    txn: &impl ConnectionTrait,
    kind: SegmentKind,
    ancestors: &[(String, i32)],
    descendants: &[(String, i32)],
) -> Result<()> {
    let rows: Vec<segment_closure::ActiveModel> = ancestors
        .iter()
        .flat_map(|(ancestor, ancestor_depth)| {
            descendants.iter().map(
                move |(descendant, descendant_depth)| segment_closure::ActiveModel {
                    kind: Set(kind.as_str().to_owned()),
                    ancestor: Set(ancestor.clone()),
                    descendant: Set(descendant.clone()),
                    ancestor_depth: Set(*ancestor_depth),
                    descendant_depth: Set(*descendant_depth),
                },
            )
        })
        .collect();
    // A tree is at most 8 deep, but a subtree may be wide: a few hundred rows per statement.
    for chunk in rows.chunks(200) {
        segment_closure::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

// ----- names and managers -----

/// Replaces the names segment `code` answers to with its code's and `fields`' match keys; ALREADY_EXISTS
/// when another segment of the kind answers to one of them. Answers the keys.
async fn write_names(
    txn: &impl ConnectionTrait,
    kind: SegmentKind,
    code: &str,
    fields: &SegmentFields,
) -> Result<Vec<String>> {
    let mut by_key: BTreeMap<String, &'static str> = BTreeMap::new();
    by_key.insert(match_key(code), "code");
    let named = [
        ("name", fields.name.as_str()),
        ("name_zh", fields.name_zh.as_str()),
    ]
    .into_iter()
    .chain(fields.aliases.iter().map(|alias| ("aliases", alias.as_str())));
    for (field, name) in named {
        let key = match_key(name);
        if !key.is_empty() {
            by_key.entry(key).or_insert(field);
        }
    }
    let keys: Vec<String> = by_key.keys().cloned().collect();
    let taken = segment_name::Entity::find()
        .filter(segment_name::Column::Kind.eq(kind.as_str()))
        .filter(segment_name::Column::NameKey.is_in(keys.iter().map(String::as_str)))
        .filter(segment_name::Column::Code.ne(code))
        .one(txn)
        .await?;
    if let Some(taken) = taken {
        return Err(Error::AlreadyExists {
            resource: kind.resource(),
            field: by_key.get(&taken.name_key).copied().unwrap_or("name"),
            value: taken.name_key,
        });
    }
    segment_name::Entity::delete_many()
        .filter(segment_name::Column::Kind.eq(kind.as_str()))
        .filter(segment_name::Column::Code.eq(code))
        .exec(txn)
        .await?;
    let rows = keys.iter().map(|key| segment_name::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        name_key: Set(key.clone()),
        code: Set(code.to_owned()),
    });
    segment_name::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(|e| Error::unique_violation(e, kind.resource(), "name", None))?;
    Ok(keys)
}

/// Replaces the managers of segment `code`; FAILED_PRECONDITION (STAFF_NOT_FOUND) for anyone who is
/// not active staff.
async fn write_managers(
    txn: &impl ConnectionTrait,
    kind: SegmentKind,
    code: &str,
    managers: &[Uuid],
) -> Result<()> {
    let mut refused = Vec::new();
    for (i, staff) in managers.iter().enumerate() {
        let active = match is_active_staff(txn, *staff).await {
            Ok(active) => active,
            Err(Error::NotFound { .. }) => false,
            Err(other) => return Err(other),
        };
        if !active {
            refused.push(RuleViolation {
                rule: rules::STAFF_NOT_FOUND,
                subject: format!("staff/{staff}"),
                description: format!("manager_staff_ids[{i}] is not an active staff member"),
            });
        }
    }
    if !refused.is_empty() {
        return Err(Error::FailedPrecondition(refused));
    }
    segment_manager::Entity::delete_many()
        .filter(segment_manager::Column::Kind.eq(kind.as_str()))
        .filter(segment_manager::Column::Code.eq(code))
        .exec(txn)
        .await?;
    if managers.is_empty() {
        return Ok(());
    }
    let rows = managers.iter().map(|staff| segment_manager::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        code: Set(code.to_owned()),
        staff_id: Set(*staff),
    });
    segment_manager::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

// ----- reading -----

async fn segment_row(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    code: &str,
) -> Result<Option<segment::Model>> {
    Ok(
        segment::Entity::find_by_id((kind.as_str().to_owned(), code.to_owned()))
            .one(conn)
            .await?,
    )
}

async fn row_of(conn: &impl ConnectionTrait, kind: SegmentKind, code: &str) -> Result<segment::Model> {
    segment_row(conn, kind, code)
        .await?
        .ok_or_else(|| Error::not_found(kind.resource(), code))
}

async fn load(conn: &impl ConnectionTrait, kind: SegmentKind, code: &str) -> Result<Segment> {
    let row = row_of(conn, kind, code).await?;
    Ok(with_relations(conn, kind, vec![row])
        .await?
        .pop()
        .expect("one row in, one segment out"))
}

/// The segments of `rows` with their managers and ancestors, read in one query each.
async fn with_relations(
    conn: &impl ConnectionTrait,
    kind: SegmentKind,
    rows: Vec<segment::Model>,
) -> Result<Vec<Segment>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let codes: Vec<&str> = rows.iter().map(|row| row.code.as_str()).collect();
    let mut managers: HashMap<String, Vec<Uuid>> = HashMap::new();
    for row in segment_manager::Entity::find()
        .filter(segment_manager::Column::Kind.eq(kind.as_str()))
        .filter(segment_manager::Column::Code.is_in(codes.iter().copied()))
        .order_by_asc(segment_manager::Column::StaffId)
        .all(conn)
        .await?
    {
        managers.entry(row.code).or_default().push(row.staff_id);
    }
    let mut ancestors: HashMap<String, Vec<String>> = HashMap::new();
    for row in segment_closure::Entity::find()
        .filter(segment_closure::Column::Kind.eq(kind.as_str()))
        .filter(segment_closure::Column::Descendant.is_in(codes.iter().copied()))
        .filter(Condition::all().add(
            Expr::col(segment_closure::Column::Ancestor).ne(Expr::col(segment_closure::Column::Descendant)),
        ))
        .order_by_asc(segment_closure::Column::AncestorDepth)
        .all(conn)
        .await?
    {
        ancestors.entry(row.descendant).or_default().push(row.ancestor);
    }
    rows.into_iter()
        .map(|row| {
            let aliases: Vec<String> = serde_json::from_value(row.aliases)
                .map_err(|e| Error::unknown_stored_value("segments.aliases", &e.to_string()))?;
            let level = row
                .level
                .as_deref()
                .map(|raw| {
                    RegionLevel::from_name(raw).ok_or_else(|| Error::unknown_stored_value("level", raw))
                })
                .transpose()?;
            Ok(Segment {
                kind,
                fields: SegmentFields {
                    parent_code: row.parent_code,
                    name: row.name,
                    name_zh: row.name_zh,
                    aliases,
                    manager_staff_ids: managers.remove(&row.code).unwrap_or_default(),
                    level,
                },
                ancestor_codes: ancestors.remove(&row.code).unwrap_or_default(),
                depth: row.depth,
                create_time: row.create_time,
                update_time: row.update_time,
                revision: row.revision,
                code: row.code,
            })
        })
        .collect()
}

// ----- helpers -----

fn subject(kind: SegmentKind, code: &str) -> String {
    format!("{}/{code}", kind.resource())
}

/// Passes when the client sent no etag or the one of `revision` (`etag::check`, for a resource named
/// by its code).
fn check_etag(kind: SegmentKind, code: &str, revision: i64, sent: Option<&str>) -> Result<()> {
    match sent {
        Some(sent) if sent != etag::of(revision) => Err(Error::EtagMismatch {
            resource: kind.resource(),
            id: code.to_owned(),
        }),
        _ => Ok(()),
    }
}

fn aliases_column(aliases: &[String]) -> serde_json::Value {
    serde_json::to_value(aliases).expect("strings serialize")
}

/// The change of `segment` announced as `action`; the resource id is the code.
fn segment_change(segment: &Segment, action: Action, changed_fields: Vec<String>) -> Change {
    Change::keyed(
        segment.kind.resource(),
        segment.code.clone(),
        None,
        segment_event(action, segment.clone()),
        changed_fields,
    )
}

/// The field paths a new segment writes: every field it was given.
fn created_fields(fields: &SegmentFields) -> Vec<String> {
    let mut names = vec!["code", "name"];
    let given = [
        ("parent_code", fields.parent_code.is_some()),
        ("name_zh", !fields.name_zh.is_empty()),
        ("aliases", !fields.aliases.is_empty()),
        ("manager_staff_ids", !fields.manager_staff_ids.is_empty()),
        ("level", fields.level.is_some()),
    ];
    names.extend(given.into_iter().filter(|(_, set)| *set).map(|(name, _)| name));
    names.into_iter().map(str::to_owned).collect()
}

//! Departments: the seeded default set and the ones an installation adds.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder};
use uuid::Uuid;

use super::DEPARTMENT;
use crate::{
    platform::{
        audit::{self, Change},
        db::{Db, now},
        error::{Error, Result},
        events::Payload,
        idempotency::IdempotencyKey,
        request::RequestContext,
    },
    teams::store::entity::department,
    teams::{convert::department_to_proto, model::Department},
};

pub async fn list_departments(conn: &impl ConnectionTrait) -> Result<Vec<Department>> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .map(department_from_row)
        .collect())
}

pub async fn create_department(
    db: &Db,
    ctx: &RequestContext,
    code: String,
    display_name: String,
    key: Option<IdempotencyKey>,
) -> Result<Department> {
    let (code, display_name, key) = (&code, &display_name, &key);
    db.write(|txn| async move {
        let txn = &*txn;
        if let Some(key) = key
            && let Some(id) = key.previous_result(txn).await?
        {
            return department_by_id(txn, id).await;
        }
        let id = Uuid::now_v7();
        department::Entity::insert(department::ActiveModel {
            id: Set(id),
            code: Set(code.clone()),
            display_name: Set(display_name.clone()),
            create_time: Set(now()),
        })
        .exec_without_returning(txn)
        .await
        .map_err(|e| Error::unique_violation(e, DEPARTMENT, "code", Some(code)))?;
        if let Some(key) = key {
            key.remember(txn, id).await?;
        }
        let created = department_by_id(txn, id).await?;
        audit::record(
            txn,
            ctx,
            Change::new(
                DEPARTMENT,
                id,
                None,
                Payload::DepartmentCreated(department_to_proto(created.clone())),
                vec!["code".into(), "display_name".into()],
            ),
        )
        .await?;
        Ok(created)
    })
    .await
}

pub(super) async fn department_by_id(conn: &impl ConnectionTrait, id: Uuid) -> Result<Department> {
    department::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(department_from_row)
        .ok_or_else(|| Error::not_found(DEPARTMENT, id))
}

/// A department a person or requirement names must exist.
pub(super) async fn require_department(conn: &impl ConnectionTrait, id: Uuid) -> Result<()> {
    match department::Entity::find_by_id(id).one(conn).await? {
        Some(_) => Ok(()),
        None => Err(Error::rule(
            "DEPARTMENT_NOT_FOUND",
            format!("departments/{id}"),
            "no such department",
        )),
    }
}

fn department_from_row(row: department::Model) -> Department {
    Department {
        id: row.id,
        code: row.code,
        display_name: row.display_name,
        create_time: row.create_time,
    }
}

//! Bulk writes for imports: thousands of rows in a handful of statements instead of one each.
//!
//! PostgreSQL gets one statement per call whatever the row count: each column travels as one array
//! parameter and `UNNEST` turns the arrays back into rows, so the statement text (and its plan) is the
//! same for every batch and there is no bind limit to chunk under. SQLite, which has no arrays, gets
//! multi-row `VALUES` lists of a few fixed sizes (see [`sqlite_chunk_sizes`]), so that the connection's
//! statement cache holds them prepared. Both run inside the caller's transaction.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, IdenStatic, QueryFilter, Statement,
    TryGetableMany, Value, sea_query::ArrayType,
};

/// How a column's values are bound.
///
/// PostgreSQL array parameters cannot hold NULLs, so a nullable column travels there as text, '' for
/// NULL, and is cast back in the statement; the empty string must then not be a value of its own (true
/// of ids, numbers, dates and external ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Uuid,
    NullableUuid,
    Text,
    NullableText,
    SmallInt,
    Int,
    NullableInt,
    BigInt,
    NullableBigInt,
    Bool,
    /// `timestamp with time zone`, bound as `DateTime<Utc>`.
    Time,
    NullableTime,
    NullableDate,
    /// `jsonb` on PostgreSQL.
    Json,
}

impl Kind {
    /// The array type PostgreSQL receives the column in, and its SQL name.
    fn pg_array(self) -> (ArrayType, &'static str) {
        match self {
            Self::Uuid => (ArrayType::Uuid, "uuid[]"),
            Self::SmallInt => (ArrayType::SmallInt, "int2[]"),
            Self::Int => (ArrayType::Int, "int4[]"),
            Self::BigInt => (ArrayType::BigInt, "int8[]"),
            Self::Bool => (ArrayType::Bool, "bool[]"),
            Self::Time => (ArrayType::ChronoDateTimeUtc, "timestamptz[]"),
            Self::Text
            | Self::NullableText
            | Self::NullableUuid
            | Self::NullableInt
            | Self::NullableBigInt
            | Self::NullableTime
            | Self::NullableDate
            | Self::Json => (ArrayType::String, "text[]"),
        }
    }

    /// The SQL reading the unnested element `u."name"` back as the column's value.
    fn pg_element(self, name: &str) -> String {
        let element = format!(r#"u."{name}""#);
        match self {
            Self::NullableText => format!("NULLIF({element}, '')"),
            Self::NullableUuid => format!("NULLIF({element}, '')::uuid"),
            Self::NullableInt => format!("NULLIF({element}, '')::int4"),
            Self::NullableBigInt => format!("NULLIF({element}, '')::int8"),
            Self::NullableTime => format!("NULLIF({element}, '')::timestamptz"),
            Self::NullableDate => format!("NULLIF({element}, '')::date"),
            Self::Json => format!("{element}::jsonb"),
            _ => element,
        }
    }

    /// `value` as an element of the column's PostgreSQL array.
    fn pg_value(self, value: Value) -> Value {
        let text = |text: Option<String>| Value::String(Some(text.unwrap_or_default()));
        match (self, value) {
            (Self::NullableText, Value::String(value)) => text(value),
            (Self::NullableUuid, Value::Uuid(value)) => text(value.map(|v| v.to_string())),
            (Self::NullableInt, Value::Int(value)) => text(value.map(|v| v.to_string())),
            (Self::NullableBigInt, Value::BigInt(value)) => text(value.map(|v| v.to_string())),
            (Self::NullableTime, Value::ChronoDateTimeUtc(value)) => text(value.map(|v| v.to_rfc3339())),
            (Self::NullableDate, Value::ChronoDate(value)) => text(value.map(|v| v.to_string())),
            (Self::Json, Value::Json(value)) => text(value.map(|v| v.to_string())),
            (_, value) => value,
        }
    }
}

/// `SELECT {columns}` of the rows of `table` whose text column `key` is one of the array `$1`, on
/// PostgreSQL: one index probe per key. The planner, left to choose, scans: an `IN` list of thousands
/// or a join against the array became a hash or merge join over the whole table (a merge join walks the
/// index from its first key to the largest one asked for), so a lookup slowed as the table grew. A
/// lateral subquery with `OFFSET 0` cannot be flattened into a join, which keeps it a nested loop.
fn pg_select_by_keys(columns: &str, table: &str, key: &str) -> String {
    format!(
        r#"SELECT {columns} FROM UNNEST($1::text[]) AS k(key) CROSS JOIN LATERAL (SELECT * FROM "{table}" r WHERE r."{key}" = k.key OFFSET 0) t"#
    )
}

/// The rows of `E` whose text column `key` is one of `keys` (duplicates allowed), for an import batch
/// to find what it updates: on PostgreSQL one probe per key (`pg_select_by_keys`); on SQLite `IN`
/// lists, chunked under its parameter limit.
pub async fn find_by_keys<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    key: E::Column,
    keys: &[&str],
) -> Result<Vec<E::Model>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    match backend {
        DatabaseBackend::Postgres => {
            let sql = pg_select_by_keys("t.*", E::default().table_name(), key.as_str());
            let array = keys.iter().map(|key| Value::from(*key)).collect();
            let keys = Value::Array(ArrayType::String, Some(Box::new(array)));
            E::find()
                .from_raw_sql(Statement::from_sql_and_values(backend, sql, [keys]))
                .all(conn)
                .await
        }
        _ => {
            let mut rows = Vec::new();
            for chunk in keys.chunks(SQLITE_MAX_PARAMETERS) {
                rows.extend(
                    E::find()
                        .filter(key.is_in(chunk.iter().copied()))
                        .all(conn)
                        .await?,
                );
            }
            Ok(rows)
        }
    }
}

/// [`find_by_keys`] for a few `columns` of `table`, decoded by position into `T` (a tuple): for lookups
/// of thousands of rows a batch, where whole rows decoded by column name cost more than the query.
pub async fn find_columns_by_keys<T: TryGetableMany>(
    conn: &impl ConnectionTrait,
    table: &str,
    key: &str,
    columns: &[&str],
    keys: &[&str],
) -> Result<Vec<T>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let backend = conn.get_database_backend();
    let list = |prefix: &str| {
        let names: Vec<String> = columns.iter().map(|c| format!(r#"{prefix}"{c}""#)).collect();
        names.join(", ")
    };
    let statements = match backend {
        DatabaseBackend::Postgres => {
            let sql = pg_select_by_keys(&list("t."), table, key);
            let array = keys.iter().map(|key| Value::from(*key)).collect();
            let keys = Value::Array(ArrayType::String, Some(Box::new(array)));
            vec![Statement::from_sql_and_values(backend, sql, [keys])]
        }
        _ => keys
            .chunks(SQLITE_MAX_PARAMETERS)
            .map(|chunk| {
                let sql = format!(
                    r#"SELECT {} FROM "{table}" WHERE "{key}" IN ({})"#,
                    list(""),
                    vec!["?"; chunk.len()].join(", ")
                );
                let values: Vec<Value> = chunk.iter().map(|key| Value::from(*key)).collect();
                Statement::from_sql_and_values(backend, sql, values)
            })
            .collect(),
    };
    let mut found = Vec::new();
    for statement in statements {
        for row in conn.query_all_raw(statement).await? {
            found.push(T::try_get_many_by_index(&row)?);
        }
    }
    Ok(found)
}

/// The columns one bulk write fills, in the order each row gives its values.
pub struct Columns {
    pub table: &'static str,
    pub columns: &'static [(&'static str, Kind)],
}

/// SQLite's default limit on the parameters of one statement.
const SQLITE_MAX_PARAMETERS: usize = 32_766;

/// The most rows one SQLite `VALUES` statement carries. Chunks were as large as the parameter limit
/// allowed, and their sizes followed each batch's row count: every statement was parsed and planned
/// anew (a 2047-row insert of accounts is a program of ~100,000 steps), 4 % of an accounts import's
/// CPU and much of its allocator churn. Chunks of this size and of the powers of two below it come
/// back to the same few statement texts, which sqlx keeps prepared per connection.
const SQLITE_ROWS_PER_STATEMENT: usize = 512;

impl Columns {
    /// Inserts `rows`, each holding one value per column in order.
    pub async fn insert(&self, conn: &impl ConnectionTrait, rows: Vec<Vec<Value>>) -> Result<(), DbErr> {
        self.insert_then(conn, rows, "").await.map(drop)
    }

    /// Inserts the `rows` whose unique column `key` holds a value not stored yet, and skips the others
    /// (`ON CONFLICT DO NOTHING`, which waits for a concurrent writer of the same key): how many were
    /// inserted. An upsert that expects new rows inserts first and looks up only when some were not.
    pub async fn insert_new(
        &self,
        conn: &impl ConnectionTrait,
        key: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<u64, DbErr> {
        self.insert_then(conn, rows, &format!(r#" ON CONFLICT ("{key}") DO NOTHING"#))
            .await
    }

    /// Inserts `rows` with `on_conflict` after the rows; how many were inserted.
    async fn insert_then(
        &self,
        conn: &impl ConnectionTrait,
        rows: Vec<Vec<Value>>,
        on_conflict: &str,
    ) -> Result<u64, DbErr> {
        if rows.is_empty() {
            return Ok(0);
        }
        let backend = conn.get_database_backend();
        let mut inserted = 0;
        match backend {
            DatabaseBackend::Postgres => {
                let sql = format!(
                    "INSERT INTO \"{}\" ({}) {}{on_conflict}",
                    self.table,
                    self.column_list(),
                    self.pg_select()
                );
                inserted += conn
                    .execute_raw(Statement::from_sql_and_values(backend, sql, self.pg_arrays(rows)))
                    .await?
                    .rows_affected();
            }
            _ => {
                for chunk in self.sqlite_chunks(rows) {
                    let sql = format!(
                        "INSERT INTO \"{}\" ({}) VALUES {}{on_conflict}",
                        self.table,
                        self.column_list(),
                        self.sqlite_placeholders(chunk.len())
                    );
                    let values: Vec<Value> = chunk.into_iter().flatten().collect();
                    inserted += conn
                        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
                        .await?
                        .rows_affected();
                }
            }
        }
        Ok(inserted)
    }

    /// Rewrites, in the rows whose `key` column matches a row of `rows`, every other column.
    pub async fn update(
        &self,
        conn: &impl ConnectionTrait,
        key: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<(), DbErr> {
        self.update_if(conn, key, "TRUE", rows).await.map(drop)
    }

    /// [`Columns::update`] of the stored rows for which `condition` holds as well, an SQL condition on
    /// the table's row and the new one, `v` (e.g. that the stored revision is the one the new row was
    /// made from): how many rows were rewritten.
    pub async fn update_if(
        &self,
        conn: &impl ConnectionTrait,
        key: &str,
        condition: &str,
        rows: Vec<Vec<Value>>,
    ) -> Result<u64, DbErr> {
        if rows.is_empty() {
            return Ok(0);
        }
        let backend = conn.get_database_backend();
        let table = self.table;
        let assignments = self.assignments(key);
        let matched = format!("\"{table}\".\"{key}\" = v.\"{key}\" AND ({condition})");
        let mut updated = 0;
        match backend {
            DatabaseBackend::Postgres => {
                let sql = format!(
                    "UPDATE \"{table}\" SET {assignments} FROM ({}) AS v WHERE {matched}",
                    self.pg_select()
                );
                updated += conn
                    .execute_raw(Statement::from_sql_and_values(backend, sql, self.pg_arrays(rows)))
                    .await?
                    .rows_affected();
            }
            _ => {
                for chunk in self.sqlite_chunks(rows) {
                    let sql = format!(
                        "WITH v({}) AS (VALUES {}) UPDATE \"{table}\" SET {assignments} FROM v WHERE {matched}",
                        self.column_list(),
                        self.sqlite_placeholders(chunk.len())
                    );
                    let values: Vec<Value> = chunk.into_iter().flatten().collect();
                    updated += conn
                        .execute_raw(Statement::from_sql_and_values(backend, sql, values))
                        .await?
                        .rows_affected();
                }
            }
        }
        Ok(updated)
    }

    fn column_list(&self) -> String {
        let names: Vec<String> = self
            .columns
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect();
        names.join(", ")
    }

    /// `"a" = v."a", …` for every column but `key`.
    fn assignments(&self, key: &str) -> String {
        let sets: Vec<String> = self
            .columns
            .iter()
            .filter(|(name, _)| *name != key)
            .map(|(name, _)| format!("\"{name}\" = v.\"{name}\""))
            .collect();
        sets.join(", ")
    }

    /// The rows on PostgreSQL: `SELECT … FROM UNNEST($1::uuid[], …) AS u(…)`.
    fn pg_select(&self) -> String {
        let elements: Vec<String> = self
            .columns
            .iter()
            .map(|(name, kind)| format!("{} AS \"{name}\"", kind.pg_element(name)))
            .collect();
        let arrays: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| format!("${}::{}", i + 1, kind.pg_array().1))
            .collect();
        format!(
            "SELECT {} FROM UNNEST({}) AS u({})",
            elements.join(", "),
            arrays.join(", "),
            self.column_list()
        )
    }

    /// `rows` turned into one array parameter per column.
    fn pg_arrays(&self, rows: Vec<Vec<Value>>) -> Vec<Value> {
        let mut columns: Vec<Vec<Value>> = self
            .columns
            .iter()
            .map(|_| Vec::with_capacity(rows.len()))
            .collect();
        for row in rows {
            debug_assert_eq!(row.len(), self.columns.len(), "one value per column");
            for ((column, (_, kind)), value) in columns.iter_mut().zip(self.columns).zip(row) {
                column.push(kind.pg_value(value));
            }
        }
        columns
            .into_iter()
            .zip(self.columns)
            .map(|(values, (_, kind))| Value::Array(kind.pg_array().0, Some(Box::new(values))))
            .collect()
    }

    /// `rows` in the chunks of [`sqlite_chunk_sizes`], each under the parameter limit.
    fn sqlite_chunks(&self, rows: Vec<Vec<Value>>) -> Vec<Vec<Vec<Value>>> {
        let largest = (SQLITE_MAX_PARAMETERS / self.columns.len()).clamp(1, SQLITE_ROWS_PER_STATEMENT);
        let mut rows = rows.into_iter();
        sqlite_chunk_sizes(rows.len(), largest)
            .into_iter()
            .map(|size| rows.by_ref().take(size).collect())
            .collect()
    }

    /// `(?, ?), (?, ?)` for `rows` rows.
    fn sqlite_placeholders(&self, rows: usize) -> String {
        let row = format!("({})", vec!["?"; self.columns.len()].join(", "));
        vec![row; rows].join(", ")
    }
}

/// How `rows` rows are split into statements: as many of `largest` rows as fit, then the rest in
/// powers of two, largest first; at most a dozen different sizes, whatever the batches' row counts.
fn sqlite_chunk_sizes(rows: usize, largest: usize) -> Vec<usize> {
    let mut sizes = vec![largest; rows / largest];
    let mut rest = rows % largest;
    while rest > 0 {
        let size = 1 << rest.ilog2();
        sizes.push(size);
        rest -= size;
    }
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEOPLE: Columns = Columns {
        table: "people",
        columns: &[
            ("id", Kind::Uuid),
            ("boss", Kind::NullableUuid),
            ("name", Kind::Text),
        ],
    };

    #[test]
    fn postgres_reads_one_array_per_column_and_restores_nulls() {
        assert_eq!(
            PEOPLE.pg_select(),
            r#"SELECT u."id" AS "id", NULLIF(u."boss", '')::uuid AS "boss", u."name" AS "name" FROM UNNEST($1::uuid[], $2::text[], $3::text[]) AS u("id", "boss", "name")"#
        );
        let boss = uuid::Uuid::now_v7();
        let arrays = PEOPLE.pg_arrays(vec![
            vec![Value::Uuid(Some(boss)), Value::Uuid(None), "Ada".into()],
            vec![
                Value::Uuid(Some(uuid::Uuid::nil())),
                Value::Uuid(Some(boss)),
                "Bo".into(),
            ],
        ]);
        assert_eq!(arrays.len(), 3);
        let Value::Array(ArrayType::String, Some(bosses)) = &arrays[1] else {
            panic!("bosses travel as text: {:?}", arrays[1]);
        };
        assert_eq!(**bosses, vec![Value::from(""), Value::from(boss.to_string())]);
    }

    #[test]
    fn updates_set_every_column_but_the_key() {
        assert_eq!(
            PEOPLE.assignments("id"),
            r#""boss" = v."boss", "name" = v."name""#
        );
    }

    #[test]
    fn sqlite_chunks_stay_under_the_parameter_limit_in_a_few_sizes() {
        let row = || vec![Value::Uuid(None), Value::Uuid(None), "x".into()];
        let rows: Vec<_> = (0..5000).map(|_| row()).collect();
        let chunks = PEOPLE.sqlite_chunks(rows);
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 5000);
        assert!(
            chunks
                .iter()
                .all(|chunk| chunk.len() * 3 <= SQLITE_MAX_PARAMETERS)
        );
        assert_eq!(
            chunks.iter().map(Vec::len).collect::<Vec<_>>(),
            [[512; 9].as_slice(), &[256, 128, 8]].concat()
        );
        assert_eq!(PEOPLE.sqlite_placeholders(2), "(?, ?, ?), (?, ?, ?)");
    }

    #[test]
    fn chunk_sizes_are_the_largest_then_powers_of_two() {
        assert_eq!(sqlite_chunk_sizes(0, 512), Vec::<usize>::new());
        assert_eq!(sqlite_chunk_sizes(1, 512), [1]);
        assert_eq!(sqlite_chunk_sizes(1030, 512), [512, 512, 4, 2]);
        assert_eq!(sqlite_chunk_sizes(7, 3), [3, 3, 1]);
    }
}

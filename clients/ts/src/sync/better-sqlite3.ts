/**
 * The sync module's SQL adapter over better-sqlite3 (Node 20, Electron): kept out of `index.ts` so a
 * browser or React Native bundle of `@kam/client` never sees it. Node code imports it by its own path
 * (`dist/sync/better-sqlite3.js`, or `src/sync/better-sqlite3.ts` through a bundler).
 *
 * ```ts
 * import Database from "better-sqlite3";
 * import { betterSqlite3Adapter } from "@kam/client/src/sync/better-sqlite3.ts";
 *
 * const db = betterSqlite3Adapter(new Database("kam-sync.db"));
 * ```
 *
 * Only the type is imported: the caller opens the database with the better-sqlite3 it installed, so
 * this file loads nothing native by itself.
 */
import type { Database, Statement } from "better-sqlite3";

import type { SqlAdapter, SqlRow, SqlValue } from "./adapter.js";

/**
 * Wraps an open better-sqlite3 database. Turns on WAL (a reader, e.g. the app's UI, never waits for a
 * sync's write) unless the database is in memory.
 */
export function betterSqlite3Adapter(db: Database): SqlAdapter {
  if (!db.memory) {
    db.pragma("journal_mode = WAL");
  }
  // The module sends a handful of distinct statements, many times each (a row per change).
  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    exec(sql) {
      db.exec(sql);
    },
    run(sql, params = []) {
      const { changes } = prepare(sql).run(...params.map(bind));
      return { changes };
    },
    all<Row extends SqlRow = SqlRow>(sql: string, params: readonly SqlValue[] = []): Row[] {
      return prepare(sql).all(...params.map(bind)) as Row[];
    },
    transaction(fn) {
      return db.transaction(fn)();
    },
  };
}

/** better-sqlite3 binds Buffers as BLOBs; a plain Uint8Array is viewed as one without copying. */
function bind(value: SqlValue): unknown {
  if (value instanceof Uint8Array && !(value instanceof Buffer)) {
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return value;
}

/**
 * The local database as the sync module sees it: a small synchronous SQL interface over SQLite.
 *
 * Synchronous on purpose: every change the module makes (one ListChanges page, one replayed write and
 * its consequences) happens inside `transaction`, and a synchronous transaction cannot interleave with
 * another piece of the app's code awaiting something in between, so the local store never shows half
 * of a page. better-sqlite3 (Node, Electron) is synchronous by nature; in React Native, expo-sqlite's
 * `openDatabaseSync` offers `execSync`, `runSync`, `getAllSync` and `withTransactionSync`, which map
 * one to one (see the README).
 *
 * The SQL the module sends is plain SQLite: `?` placeholders, `INTEGER PRIMARY KEY AUTOINCREMENT`,
 * `ON CONFLICT ... DO UPDATE`.
 */

/** A value bound to a `?` placeholder, or read back from a column. */
export type SqlValue = string | number | bigint | Uint8Array | null;

/** One row as an object keyed by column name. */
export type SqlRow = Record<string, SqlValue>;

export interface SqlAdapter {
  /** Runs one or more statements without parameters (the schema). */
  exec(sql: string): void;
  /** Runs one statement with positional parameters; answers how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): { changes: number };
  /** Runs one query and answers every row. */
  all<Row extends SqlRow = SqlRow>(sql: string, params?: readonly SqlValue[]): Row[];
  /**
   * Runs `fn` in one transaction: committed when it returns, rolled back when it throws (and the
   * error thrown again). The module never nests transactions.
   */
  transaction<T>(fn: () => T): T;
}

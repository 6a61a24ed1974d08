/**
 * The local tables, all prefixed `kam_` so they can share a database file with the app's own:
 *
 * - `kam_records`: the server's resources as last synced (never the app's unsent edits: those stay in
 *   the queue and are laid over on read), one row per (resource type, id), the resource as canonical
 *   proto3 JSON (`toJson`: money and int64 as exact strings, enums by name).
 * - `kam_sync_state`: each resource type's `ListChanges` sync token, and the generation of the full
 *   sync in progress (see `replica.ts`).
 * - `kam_pending_writes`: the writes made offline, in the order they were made, each with the exact
 *   bytes to send (`toBinary` of the request, `request_id` included).
 * - `kam_conflicts`: the queued updates the server refused for a stale etag, waiting for the app to
 *   choose (see `conflicts.ts`).
 *
 * The schema is versioned in `kam_meta`; `migrate` brings any older local database up to date, so an
 * app update never needs a fresh full sync only because a column was added.
 */
import type { SqlAdapter } from "./adapter.js";

/** Each step takes the schema from the version before it to its index + 1. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE kam_records (
    -- A ResourceName: "accounts", "contacts", "plan_actions", ...
    resource_type TEXT NOT NULL,
    id TEXT NOT NULL,
    -- The account it belongs to (an account's own id for accounts); "" for staff.
    account_id TEXT NOT NULL DEFAULT '',
    etag TEXT NOT NULL DEFAULT '',
    -- Canonical proto3 JSON of the resource.
    resource TEXT NOT NULL,
    -- When it last changed on the server, in microseconds since the epoch.
    change_time INTEGER NOT NULL DEFAULT 0,
    -- The full sync that last saw it: rows a full sync does not see again are gone (replica.ts).
    generation INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (resource_type, id)
  );
  CREATE INDEX kam_records_by_account ON kam_records (resource_type, account_id);

  CREATE TABLE kam_sync_state (
    resource_type TEXT PRIMARY KEY,
    -- The last next_sync_token received; "" before the first full sync.
    sync_token TEXT NOT NULL DEFAULT '',
    -- The number of the latest full sync, counted up by each one that starts.
    generation INTEGER NOT NULL DEFAULT 0,
    -- 1 while that full sync is under way (its end sweeps the rows it did not see), else 0.
    full_sync INTEGER NOT NULL DEFAULT 0,
    -- When a pull last reached the end of the feed, in milliseconds since the epoch.
    synced_time INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE kam_pending_writes (
    -- The replay order: the order the app made the writes in.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "kam.v1.AccountService/CreateContact"
    method TEXT NOT NULL,
    -- "create", "update" or "delete"
    kind TEXT NOT NULL,
    -- toBinary of the request: what every attempt sends, byte for byte.
    request BLOB NOT NULL,
    -- toJson of the same request, for reading (field comparisons, debugging).
    request_json TEXT NOT NULL,
    -- A create's request_id, given when it was queued.
    request_id TEXT NOT NULL DEFAULT '',
    resource_type TEXT NOT NULL,
    -- The resource an update or delete writes; "" for a create.
    resource_id TEXT NOT NULL DEFAULT '',
    -- The resource as the app saw it when it queued an update (JSON), for a conflict's "base".
    base TEXT,
    -- "pending", "conflict" (see kam_conflicts) or "rejected" (the server refused it for good).
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    -- The last refusal, as "<code> <reason>: <message>".
    last_error TEXT NOT NULL DEFAULT '',
    enqueue_time INTEGER NOT NULL
  );
  CREATE INDEX kam_pending_writes_by_resource ON kam_pending_writes (resource_type, resource_id);

  CREATE TABLE kam_conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    write_seq INTEGER NOT NULL UNIQUE,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    -- The field-mask paths the queued write sets (JSON array of strings).
    fields TEXT NOT NULL,
    -- The resource as the app saw it, as it wanted it, and as the server holds it now (JSON).
    base TEXT,
    mine TEXT NOT NULL,
    server TEXT NOT NULL,
    server_etag TEXT NOT NULL,
    detect_time INTEGER NOT NULL
  );
  `,
];

/** Creates the tables, or brings an older local database up to date; idempotent. */
export function migrate(db: SqlAdapter): void {
  db.exec("CREATE TABLE IF NOT EXISTS kam_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const latest = MIGRATIONS.length;
  db.transaction(() => {
    const [row] = db.all<{ value: string }>("SELECT value FROM kam_meta WHERE key = 'schema_version'");
    const current = row === undefined ? 0 : Number(row.value);
    if (current > latest) {
      // A newer app wrote this database; an older one must not guess at its tables.
      throw new Error(
        `the local sync database has schema version ${current}, newer than this client's ${latest}`,
      );
    }
    for (const step of MIGRATIONS.slice(current)) {
      db.exec(step);
    }
    db.run(
      "INSERT INTO kam_meta (key, value) VALUES ('schema_version', ?) " +
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      [String(latest)],
    );
  });
}

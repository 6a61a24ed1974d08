/**
 * Rows of `kam_records`: the server's resources as last synced. Internal to the module: the app reads
 * through `LocalStore`, and only a pull or a write the server confirmed changes a row.
 */
import { type DescMessage, type JsonObject, type Message, toJson } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";

import type { SqlAdapter } from "./adapter.js";
import { resources, type ResourceName, accountIdOf } from "./resources.js";

/** A row of `kam_records`, as read. */
export interface RecordRow {
  resource_type: string;
  id: string;
  account_id: string;
  etag: string;
  resource: string;
  change_time: number;
  generation: number;
  [column: string]: string | number;
}

/** A resource ready to be stored. */
export interface StoredResource {
  id: string;
  accountId: string;
  etag: string;
  json: JsonObject;
}

/** A resource message as it is stored: canonical proto3 JSON and the columns read from it. */
export function storedResource(name: ResourceName, message: Message): StoredResource {
  const json = toJson(resources()[name].schema as DescMessage, message) as JsonObject;
  return {
    id: typeof json["id"] === "string" ? json["id"] : "",
    accountId: accountIdOf(name, json),
    etag: typeof json["etag"] === "string" ? json["etag"] : "",
    json,
  };
}

/** Microseconds since the epoch (the server keeps microseconds); 0 for unset. */
export function micros(time: Timestamp | undefined): number {
  return time === undefined ? 0 : Number(time.seconds) * 1_000_000 + Math.floor(time.nanos / 1000);
}

/** When a resource message last changed, from its `update_time` when it has one. */
export function updateMicros(message: Message): number {
  const { updateTime } = message as { updateTime?: Timestamp };
  return micros(updateTime);
}

/** Inserts or replaces a resource. */
export function putRecord(
  db: SqlAdapter,
  name: ResourceName,
  resource: StoredResource,
  changeTime: number,
  generation: number,
): void {
  db.run(
    "INSERT INTO kam_records (resource_type, id, account_id, etag, resource, change_time, generation) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?) " +
      "ON CONFLICT (resource_type, id) DO UPDATE SET account_id = excluded.account_id, etag = excluded.etag, " +
      "resource = excluded.resource, change_time = excluded.change_time, generation = excluded.generation",
    [name, resource.id, resource.accountId, resource.etag, JSON.stringify(resource.json), changeTime, generation],
  );
}

/**
 * Stores what a write answered, unless the row already holds a later version: a pull that ran while
 * the write was on its way may have brought a newer one, and the feed would not bring it again.
 */
export function putWriteResult(db: SqlAdapter, name: ResourceName, message: Message): void {
  const resource = storedResource(name, message);
  const changeTime = updateMicros(message);
  const [current] = db.all<{ change_time: number }>(
    "SELECT change_time FROM kam_records WHERE resource_type = ? AND id = ?",
    [name, resource.id],
  );
  if (current !== undefined && Number(current.change_time) > changeTime) {
    return;
  }
  putRecord(db, name, resource, changeTime, generationOf(db, name));
}

export function removeRecord(db: SqlAdapter, name: ResourceName, id: string): boolean {
  return db.run("DELETE FROM kam_records WHERE resource_type = ? AND id = ?", [name, id]).changes > 0;
}

export function readRecord(db: SqlAdapter, name: ResourceName, id: string): RecordRow | undefined {
  return db.all<RecordRow>("SELECT * FROM kam_records WHERE resource_type = ? AND id = ?", [name, id])[0];
}

/** A type's rows, of one account when `accountId` is given, in id order (UUIDv7: creation order). */
export function readRecords(db: SqlAdapter, name: ResourceName, accountId?: string): RecordRow[] {
  return accountId === undefined
    ? db.all<RecordRow>("SELECT * FROM kam_records WHERE resource_type = ? ORDER BY id", [name])
    : db.all<RecordRow>("SELECT * FROM kam_records WHERE resource_type = ? AND account_id = ? ORDER BY id", [
        name,
        accountId,
      ]);
}

/** The generation a row written now belongs to: that of the type's latest full sync. */
export function generationOf(db: SqlAdapter, name: ResourceName): number {
  const [state] = db.all<{ generation: number }>("SELECT generation FROM kam_sync_state WHERE resource_type = ?", [
    name,
  ]);
  return state === undefined ? 0 : Number(state.generation);
}

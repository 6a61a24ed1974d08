/**
 * Rows of `kam_pending_writes` and what they hold, decoded: internal to the module, shared by the
 * queue (which sends them), the conflicts (which rewrite them) and the store (which lays the app's
 * unsent edits over the server's resources).
 */
import { type JsonObject, type Message, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import type { FieldMask } from "@bufbuild/protobuf/wkt";

import type { SqlAdapter } from "./adapter.js";
import { writtenPaths } from "./fields.js";
import { type WriteKind, type WriteMethod, writeMethodById } from "./methods.js";
import type { ResourceName } from "./resources.js";

/** Where a queued write stands. Sent writes leave the table. */
export type WriteState = "pending" | "conflict" | "rejected";

/** A row of `kam_pending_writes`, as read. */
export interface PendingRow {
  seq: number;
  method: string;
  kind: WriteKind;
  request: Uint8Array;
  request_json: string;
  request_id: string;
  resource_type: ResourceName;
  resource_id: string;
  base: string | null;
  state: WriteState;
  attempts: number;
  last_error: string;
  enqueue_time: number;
  [column: string]: string | number | Uint8Array | null;
}

/** A queued write with its request decoded. */
export interface DecodedWrite {
  row: PendingRow;
  write: WriteMethod;
  request: Message;
  /** Create and update: the resource the request holds, as proto3 JSON. */
  resource: JsonObject | undefined;
  /** Update: the paths it writes (the mask, or the populated fields when the mask is empty). */
  paths: string[];
  /** Update and delete: the etag it was queued with. */
  etag: string;
}

/** The queued writes in replay order, only those in `states` when given, of one type when named. */
export function readPending(
  db: SqlAdapter,
  filter: { states?: readonly WriteState[]; resourceName?: ResourceName } = {},
): PendingRow[] {
  const rows = db.all<PendingRow>(
    filter.resourceName === undefined
      ? "SELECT * FROM kam_pending_writes ORDER BY seq"
      : "SELECT * FROM kam_pending_writes WHERE resource_type = ? ORDER BY seq",
    filter.resourceName === undefined ? [] : [filter.resourceName],
  );
  return filter.states === undefined ? rows : rows.filter((row) => filter.states?.includes(row.state));
}

export function readPendingRow(db: SqlAdapter, seq: number): PendingRow | undefined {
  return db.all<PendingRow>("SELECT * FROM kam_pending_writes WHERE seq = ?", [seq])[0];
}

/** The write a row holds, or `undefined` when this version of the client cannot read it. */
export function tryDecodeWrite(row: PendingRow): DecodedWrite | undefined {
  try {
    return decodeWrite(row);
  } catch {
    return undefined;
  }
}

/** The write a row holds; throws for a method this client does not have or bytes it cannot read. */
export function decodeWrite(row: PendingRow): DecodedWrite {
  const write = writeMethodById(row.method);
  const request = fromBinary(write.method.input, row.request);
  const fields = request as unknown as Record<string, unknown>;
  const resourceMessage =
    write.resourceField === undefined ? undefined : (fields[write.resourceField.localName] as Message | undefined);
  const resource =
    resourceMessage === undefined ? undefined : (toJson(write.resourceSchema, resourceMessage) as JsonObject);
  const mask = (fields["updateMask"] as FieldMask | undefined)?.paths ?? [];
  const etag = resource === undefined ? fields["etag"] : resource["etag"];
  return {
    row,
    write,
    request,
    resource,
    paths: write.kind === "update" && resource !== undefined ? writtenPaths(write.resourceSchema, resource, mask) : [],
    etag: typeof etag === "string" ? etag : "",
  };
}

/** Replaces a queued write's request (its bytes and JSON together). */
export function rewriteRequest(db: SqlAdapter, seq: number, write: WriteMethod, request: Message): void {
  db.run("UPDATE kam_pending_writes SET request = ?, request_json = ? WHERE seq = ?", [
    toBinary(write.method.input, request),
    JSON.stringify(toJson(write.method.input, request)),
    seq,
  ]);
}

/** Sets the etag an update or delete carries: on its resource, or on the request itself. */
export function withEtag(decoded: DecodedWrite, etag: string): Message {
  const request = decoded.request as unknown as Record<string, unknown>;
  const field = decoded.write.resourceField;
  if (field === undefined) {
    request["etag"] = etag;
  } else {
    (request[field.localName] as Record<string, unknown>)["etag"] = etag;
  }
  return decoded.request;
}

/**
 * After a queued write on a resource succeeded, the later writes on it that carry the etag it was
 * sent with were made on top of it (the app saw its own edit laid over the resource): they now carry
 * the etag the server answered, so they are not refused as stale because of the app's own edit.
 */
export function rebaseLater(db: SqlAdapter, after: PendingRow, fromEtag: string, toEtag: string): void {
  if (fromEtag === "" || fromEtag === toEtag || after.resource_id === "") {
    return;
  }
  const later = db.all<PendingRow>(
    "SELECT * FROM kam_pending_writes " +
      "WHERE resource_type = ? AND resource_id = ? AND seq > ? AND state = 'pending' ORDER BY seq",
    [after.resource_type, after.resource_id, after.seq],
  );
  for (const row of later) {
    const decoded = tryDecodeWrite(row);
    if (decoded?.etag === fromEtag) {
      rewriteRequest(db, row.seq, decoded.write, withEtag(decoded, toEtag));
    }
  }
}

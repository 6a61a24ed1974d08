/**
 * Conflicts: queued updates (or deletes) the server refused because the resource changed since the
 * app read it (ABORTED, reason ETAG_MISMATCH), and whose values the server does not already hold. Each
 * keeps three versions of the resource: `base` (what the app saw when it queued the write), `mine`
 * (what it wanted) and `server` (what the server holds now, also stored locally meanwhile), so the app
 * can show them side by side and decide:
 *
 * - `serverWins`: the queued write is dropped; the local copy is the server's already.
 * - `mineWins`: the queued write is sent again with the server's current etag, overwriting the fields
 *   it writes (and only those).
 * - `merge`: per field, a field mask of the fields to keep the app's value for; the server's value
 *   stays for the others. Merging with every field is `mineWins`, with none `serverWins`.
 *
 * A resolution only rewrites the queue; the next replay sends it (`KamSync.sync()` or
 * `queue.replay()`). Should the server change the resource again before that, the write becomes a
 * conflict again rather than overwriting a version nobody looked at. The later writes on the same
 * resource wait behind a conflict and go out after it.
 */
import { type DescMessage, type JsonObject, type JsonValue, type Message, create, fromJson } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";

import type { SqlAdapter } from "./adapter.js";
import { sameValue, setValueAt, valueAt } from "./fields.js";
import type { WriteKind } from "./methods.js";
import { decodeWrite, readPendingRow, rebaseLater, rewriteRequest, withEtag } from "./pending.js";
import { resources, type ResourceName } from "./resources.js";
import type { LocalStore } from "./store.js";

/** One field a conflicting write sets, in its three versions (proto3 JSON; `undefined`: unset). */
export interface FieldConflict {
  /** The field-mask path, e.g. `title` or `man.has_money`. */
  path: string;
  base: JsonValue | undefined;
  mine: JsonValue | undefined;
  server: JsonValue | undefined;
  /** The server changed this field since the app read it: the two edits overlap here. */
  changedOnServer: boolean;
}

export interface Conflict {
  id: number;
  /** The queued write (`QueuedWrite.seq`). */
  writeSeq: number;
  kind: Exclude<WriteKind, "create">;
  resourceName: ResourceName;
  resourceId: string;
  /** The fields the write sets; empty for a delete. */
  fields: FieldConflict[];
  /** The resource as the app saw it when it queued the write (undefined when it held no copy). */
  base: Message | undefined;
  /** As the app wanted it: the base with the write's fields (undefined for a delete). */
  mine: Message | undefined;
  /** As the server holds it now. */
  server: Message;
  detectTime: Date;
}

interface ConflictRow {
  id: number;
  write_seq: number;
  resource_type: ResourceName;
  resource_id: string;
  fields: string;
  base: string | null;
  mine: string;
  server: string;
  server_etag: string;
  detect_time: number;
  [column: string]: string | number | null;
}

export class Conflicts {
  constructor(
    private readonly db: SqlAdapter,
    private readonly store: LocalStore,
  ) {}

  /** The open conflicts, oldest first. */
  list(): Conflict[] {
    return this.db.all<ConflictRow>("SELECT * FROM kam_conflicts ORDER BY id").map((row) => this.describe(row));
  }

  get(id: number): Conflict | undefined {
    const row = this.row(id);
    return row === undefined ? undefined : this.describe(row);
  }

  /** Keeps the server's version: the queued write is dropped. */
  serverWins(id: number): void {
    const row = this.required(id);
    this.db.transaction(() => {
      this.db.run("DELETE FROM kam_conflicts WHERE id = ?", [id]);
      this.db.run("DELETE FROM kam_pending_writes WHERE seq = ?", [row.write_seq]);
    });
    this.store.changed([row.resource_type]);
  }

  /** Keeps the app's version: the queued write goes again, over the server's current version. */
  mineWins(id: number): void {
    const row = this.required(id);
    this.requeue(row, (decoded) => withEtag(decoded, row.server_etag));
  }

  /**
   * Keeps the app's value for the fields in `keepMine` (paths of the write's own fields, as in
   * `Conflict.fields`) and the server's for the rest: the write goes again with only those fields.
   */
  merge(id: number, keepMine: readonly string[]): void {
    const row = this.required(id);
    const written = JSON.parse(row.fields) as string[];
    const unknown = keepMine.filter((path) => !written.includes(path));
    if (unknown.length > 0) {
      throw new TypeError(`the conflicting write does not set ${unknown.join(", ")}; it sets ${written.join(", ")}`);
    }
    if (keepMine.length === 0) {
      this.serverWins(id);
      return;
    }
    this.requeue(row, (decoded) => {
      const { write } = decoded;
      if (write.kind !== "update" || write.resourceField === undefined || decoded.resource === undefined) {
        throw new TypeError(`a ${write.kind} cannot be merged: choose serverWins or mineWins`);
      }
      const schema = write.resourceSchema;
      const resource: JsonObject = { id: row.resource_id, etag: row.server_etag };
      for (const path of keepMine) {
        setValueAt(schema, resource, path, valueAt(schema, decoded.resource, path));
      }
      const request = decoded.request as unknown as Record<string, unknown>;
      request[write.resourceField.localName] = fromJson(schema, resource);
      request["updateMask"] = create(FieldMaskSchema, { paths: [...keepMine] });
      return decoded.request;
    });
  }

  /** Rewrites the conflicting write and puts it back in line, with the later writes it held. */
  private requeue(row: ConflictRow, rewrite: (decoded: ReturnType<typeof decodeWrite>) => Message): void {
    const pending = readPendingRow(this.db, row.write_seq);
    if (pending === undefined) {
      throw new Error(`conflict ${row.id} has lost its write ${row.write_seq}`);
    }
    const decoded = decodeWrite(pending);
    const queuedEtag = decoded.etag;
    const request = rewrite(decoded);
    this.db.transaction(() => {
      rewriteRequest(this.db, pending.seq, decoded.write, request);
      this.db.run("UPDATE kam_pending_writes SET state = 'pending' WHERE seq = ?", [pending.seq]);
      this.db.run("DELETE FROM kam_conflicts WHERE id = ?", [row.id]);
      // The app's later edits of the resource were made on top of this one: they follow it.
      rebaseLater(this.db, pending, queuedEtag, row.server_etag);
    });
    this.store.changed([row.resource_type]);
  }

  private row(id: number): ConflictRow | undefined {
    return this.db.all<ConflictRow>("SELECT * FROM kam_conflicts WHERE id = ?", [id])[0];
  }

  private required(id: number): ConflictRow {
    const row = this.row(id);
    if (row === undefined) {
      throw new Error(`no conflict ${id}: it was resolved already`);
    }
    return row;
  }

  private describe(row: ConflictRow): Conflict {
    const schema = resources()[row.resource_type].schema as DescMessage;
    const pending = readPendingRow(this.db, row.write_seq);
    const kind = pending?.kind === "delete" ? "delete" : "update";
    const base = row.base === null ? undefined : (JSON.parse(row.base) as JsonObject);
    const mine = JSON.parse(row.mine) as JsonObject;
    const server = JSON.parse(row.server) as JsonObject;
    const message = (json: JsonObject) => fromJson(schema, json, { ignoreUnknownFields: true });
    const fields = (JSON.parse(row.fields) as string[]).map((path): FieldConflict => {
      const baseValue = base === undefined ? undefined : valueAt(schema, base, path);
      const serverValue = valueAt(schema, server, path);
      return {
        path,
        base: baseValue,
        mine: valueAt(schema, mine, path),
        server: serverValue,
        changedOnServer: base === undefined || !sameValue(baseValue, serverValue),
      };
    });
    let wanted: Message | undefined;
    if (kind === "update") {
      const merged = JSON.parse(JSON.stringify(base ?? server)) as JsonObject;
      for (const field of fields) {
        setValueAt(schema, merged, field.path, field.mine);
      }
      wanted = message(merged);
    }
    return {
      id: Number(row.id),
      writeSeq: Number(row.write_seq),
      kind,
      resourceName: row.resource_type,
      resourceId: row.resource_id,
      fields,
      base: base === undefined ? undefined : message(base),
      mine: wanted,
      server: message(server),
      detectTime: new Date(Number(row.detect_time)),
    };
  }
}

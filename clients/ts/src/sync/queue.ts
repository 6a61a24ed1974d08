/**
 * Writes made offline: queued in the local database in the order the app made them, and replayed in
 * that order when the server can be reached, each applied by the server exactly once.
 *
 * Exactly once, here, means: however often a write is sent (a response lost on the way back, the app
 * killed between sending and recording the answer, two replays at once), the server holds its effect
 * once. A create carries a `request_id` given when it was queued, stored in the request's bytes, so a
 * second send answers the resource the first one created and creates nothing. An update carries the
 * etag the app saw: sent again after it was applied, the server refuses it as stale (ABORTED), and the
 * queue then finds the server's version already holding the queued values and counts it as done. A
 * delete sent again finds nothing to delete (NOT_FOUND), which is done too.
 *
 * A replay stops at the first write the server could not be asked about (offline, UNAVAILABLE, a
 * timeout, a rate limit, a credential to renew) and keeps it and the rest for the next one. An update
 * the server refuses as stale becomes a conflict (`conflicts.ts`) for the app to resolve; a write it
 * refuses for good (INVALID_ARGUMENT, FAILED_PRECONDITION, PERMISSION_DENIED, ...) stays in the queue
 * as `rejected`, with the reason, until the app dismisses it. Neither stops the writes after it, except
 * the later writes on the same resource, which wait behind a conflict.
 */
import {
  type DescMessage,
  type DescMethodUnary,
  type JsonObject,
  type Message,
  type MessageInitShape,
  create,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { Code, type Transport } from "@connectrpc/connect";

import { type KamError, describeError } from "../errors.js";
import type { SqlAdapter } from "./adapter.js";
import { sameAt } from "./fields.js";
import { type WriteKind, writeMethodOf } from "./methods.js";
import {
  type DecodedWrite,
  type PendingRow,
  type WriteState,
  decodeWrite,
  readPending,
  readPendingRow,
  rebaseLater,
  tryDecodeWrite,
} from "./pending.js";
import { putWriteResult, readRecord, removeRecord } from "./records.js";
import type { ResourceName } from "./resources.js";
import type { LocalStore } from "./store.js";

/** A write in the queue. */
export interface QueuedWrite {
  /** Its place in the queue: writes are replayed in this order. */
  seq: number;
  /** "kam.v1.AccountService/UpdateContact" */
  method: string;
  kind: WriteKind;
  resourceName: ResourceName;
  /** The resource an update or delete writes; "" for a create. */
  resourceId: string;
  /** A create's request_id. */
  requestId: string;
  state: WriteState;
  attempts: number;
  /** The last refusal, as "<code> <reason>: <message>" (e.g. "Unavailable: fetch failed"); "" before any. */
  lastError: string;
  enqueueTime: Date;
  /** The request as it will be sent; undefined when this version of the client cannot read it. */
  request: Message | undefined;
}

/** What one replay did. */
export interface ReplayReport {
  /** Writes the server now holds (sent, or found already applied). */
  applied: number;
  /** Writes that became conflicts. */
  conflicts: number;
  /** Writes the server refused for good. */
  rejected: number;
  /** Writes still waiting: not reached, or behind a conflict on their resource. */
  remaining: number;
  /** Why the replay stopped before the end (e.g. UNAVAILABLE while offline). */
  stoppedBy?: KamError;
}

export interface QueueOptions {
  /** Per-call timeout in milliseconds; 30 s by default. */
  timeoutMs?: number;
  /**
   * Makes a create's request_id (a UUID). `crypto.randomUUID` by default; a React Native app without
   * Web Crypto passes one (e.g. expo-crypto's `randomUUID`).
   */
  newRequestId?: () => string;
}

/** A write the replay sends, with what happened to it. */
type Outcome =
  | { kind: "applied"; response: Message | undefined }
  | { kind: "conflict"; server: Message }
  | { kind: "rejected"; error: KamError }
  | { kind: "stop"; error: KamError };

export class WriteQueue {
  private replaying: Promise<ReplayReport> | undefined;

  constructor(
    private readonly db: SqlAdapter,
    private readonly store: LocalStore,
    private readonly transport: Transport,
    private readonly options: QueueOptions = {},
  ) {}

  /**
   * Queues a create (CreateContact, LogInteraction, CreatePlanAction, CreateOpportunity, ...). Its
   * request_id is set now, unless the request has one, so that every send is the same request.
   */
  create<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
  ): QueuedWrite {
    return this.enqueue(method, request, "create");
  }

  /**
   * Queues an update (UpdateContact, ...): the resource's id, the fields in `update_mask` (or every
   * populated field when it is empty), and the etag the app saw. Without an etag, the one of the local
   * copy is taken: the version the app was shown.
   */
  update<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
  ): QueuedWrite {
    return this.enqueue(method, request, "update");
  }

  /** Queues a delete (DeleteContact, ...), with the etag of the local copy unless one is given. */
  delete<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
  ): QueuedWrite {
    return this.enqueue(method, request, "delete");
  }

  /** The writes in the queue, in replay order; only those in `states` when given. */
  list(states?: readonly WriteState[]): QueuedWrite[] {
    return readPending(this.db, states === undefined ? {} : { states }).map(queuedWrite);
  }

  /** Drops a write the app no longer wants sent (a rejected one, or an edit taken back). */
  dismiss(seq: number): void {
    const row = readPendingRow(this.db, seq);
    if (row === undefined) {
      return;
    }
    if (row.state === "conflict") {
      throw new Error(`write ${seq} is a conflict: resolve it (serverWins drops it)`);
    }
    this.db.run("DELETE FROM kam_pending_writes WHERE seq = ?", [seq]);
    this.store.changed([row.resource_type]);
  }

  /**
   * Sends the queued writes in order. One replay runs at a time: a call made while one runs shares it
   * (the running one also sends what was queued after it began).
   */
  replay(): Promise<ReplayReport> {
    if (this.replaying === undefined) {
      this.replaying = this.replayAll().finally(() => {
        this.replaying = undefined;
      });
    }
    return this.replaying;
  }

  private enqueue<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    init: MessageInitShape<I>,
    expected: WriteKind,
  ): QueuedWrite {
    const write = writeMethodOf(method);
    if (write.kind !== expected) {
      throw new TypeError(`${write.id} is a ${write.kind}, not a ${expected}`);
    }
    const request = create(method.input, init);
    const fields = request as unknown as Record<string, unknown>;
    let resourceId = "";
    let base: JsonObject | undefined;
    if (write.kind === "create") {
      if (fields["requestId"] === "") {
        fields["requestId"] = (this.options.newRequestId ?? randomUuid)();
      }
    } else {
      // An update names its resource inside the resource it sends; a delete in the request itself.
      const target =
        write.resourceField === undefined
          ? fields
          : (fields[write.resourceField.localName] as Record<string, unknown> | undefined);
      resourceId = typeof target?.["id"] === "string" ? target["id"] : "";
      if (target === undefined || resourceId === "") {
        throw new TypeError(`${write.id} needs the id of the resource it writes`);
      }
      const local = readRecord(this.db, write.resourceName, resourceId);
      if (target["etag"] === "" && local !== undefined) {
        target["etag"] = local.etag;
      }
      const seen = this.store.entry(write.resourceName, resourceId);
      base = seen === undefined ? undefined : (toJson(write.resourceSchema, seen.resource as Message) as JsonObject);
    }
    const seq = this.db.transaction(() => {
      this.db.run(
        "INSERT INTO kam_pending_writes " +
          "(method, kind, request, request_json, request_id, resource_type, resource_id, base, enqueue_time) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
          write.id,
          write.kind,
          toBinary(method.input, request),
          JSON.stringify(toJson(method.input, request)),
          typeof fields["requestId"] === "string" ? fields["requestId"] : "",
          write.resourceName,
          resourceId,
          base === undefined ? null : JSON.stringify(base),
          Date.now(),
        ],
      );
      const [row] = this.db.all<{ seq: number }>("SELECT MAX(seq) AS seq FROM kam_pending_writes");
      return Number(row?.seq);
    });
    this.store.changed([write.resourceName]);
    return queuedWrite(readPendingRow(this.db, seq) as PendingRow);
  }

  private async replayAll(): Promise<ReplayReport> {
    const report: ReplayReport = { applied: 0, conflicts: 0, rejected: 0, remaining: 0 };
    // Resources with a conflict earlier in the queue: their later writes wait for its resolution.
    const held = new Set<string>();
    let after = 0;
    for (;;) {
      // Read one at a time: a write queued or rewritten while the replay runs is sent as it is now.
      const [row] = this.db.all<PendingRow>(
        "SELECT * FROM kam_pending_writes WHERE seq > ? AND state IN ('pending', 'conflict') ORDER BY seq LIMIT 1",
        [after],
      );
      if (row === undefined) {
        return report;
      }
      after = row.seq;
      const resourceKey = `${row.resource_type}/${row.resource_id}`;
      if (row.state === "conflict" || (row.resource_id !== "" && held.has(resourceKey))) {
        held.add(resourceKey);
        report.remaining += row.state === "pending" ? 1 : 0;
        continue;
      }
      let decoded: DecodedWrite;
      try {
        decoded = decodeWrite(row);
      } catch (error) {
        // Queued by another version of the app, for a method this one does not have: it cannot be
        // sent, and must not hold up the rest.
        this.refused(row, "rejected", describeError(error));
        report.rejected += 1;
        continue;
      }
      const outcome = await this.send(decoded);
      switch (outcome.kind) {
        case "applied":
          this.applied(decoded, outcome.response);
          report.applied += 1;
          break;
        case "conflict":
          this.conflict(decoded, outcome.server);
          held.add(resourceKey);
          report.conflicts += 1;
          break;
        case "rejected":
          this.refused(row, "rejected", outcome.error);
          report.rejected += 1;
          break;
        case "stop":
          this.refused(row, "pending", outcome.error);
          report.stoppedBy = outcome.error;
          report.remaining += this.db.all<{ n: number }>(
            "SELECT COUNT(*) AS n FROM kam_pending_writes WHERE seq >= ? AND state = 'pending'",
            [row.seq],
          ).map((count) => Number(count.n))[0] ?? 0;
          return report;
      }
    }
  }

  /** Sends one write and reads the answer as what the queue does next. */
  private async send(decoded: DecodedWrite): Promise<Outcome> {
    const { write } = decoded;
    let error: KamError;
    try {
      const response = await this.call(write.method, decoded.request);
      return { kind: "applied", response };
    } catch (thrown) {
      error = describeError(thrown);
    }
    if (isTransient(error)) {
      return { kind: "stop", error };
    }
    if (write.kind === "delete" && error.code === Code.NotFound) {
      // Already gone: deleted by this write, whose answer was lost, or by someone else.
      return { kind: "applied", response: undefined };
    }
    if (error.code !== Code.Aborted || error.reason !== "ETAG_MISMATCH" || write.get === undefined) {
      return { kind: "rejected", error };
    }
    // Stale: either someone else changed the resource since the app read it, or this very write was
    // applied before and only its answer was lost. The server's version tells which.
    let server: Message;
    try {
      server = await this.call(write.get, { id: decoded.row.resource_id });
    } catch (thrown) {
      const refusal = describeError(thrown);
      return isTransient(refusal) ? { kind: "stop", error: refusal } : { kind: "rejected", error: refusal };
    }
    const serverJson = toJson(write.resourceSchema, server) as JsonObject;
    const mine = decoded.resource;
    const alreadyHeld = mine !== undefined && sameAt(write.resourceSchema, serverJson, mine, decoded.paths);
    if (write.kind === "update" && alreadyHeld) {
      return { kind: "applied", response: server };
    }
    return { kind: "conflict", server };
  }

  private async call(method: DescMethodUnary, request: MessageInitShape<DescMessage>): Promise<Message> {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const response = await this.transport.unary(method, undefined, timeoutMs, undefined, request);
    return response.message;
  }

  /** The server holds the write: it leaves the queue, and the local copy takes the server's answer. */
  private applied(decoded: DecodedWrite, response: Message | undefined): void {
    const { row, write } = decoded;
    this.db.transaction(() => {
      this.db.run("DELETE FROM kam_pending_writes WHERE seq = ?", [row.seq]);
      if (write.kind === "delete") {
        removeRecord(this.db, write.resourceName, row.resource_id);
      } else if (response !== undefined && response.$typeName === write.resourceSchema.typeName) {
        putWriteResult(this.db, write.resourceName, response);
        const etag = (response as unknown as { etag?: unknown }).etag;
        rebaseLater(this.db, row, decoded.etag, typeof etag === "string" ? etag : "");
      }
    });
    this.store.changed([write.resourceName]);
  }

  /** The write stays queued as a conflict; the local copy takes the server's version. */
  private conflict(decoded: DecodedWrite, server: Message): void {
    const { row, write } = decoded;
    const serverJson = toJson(write.resourceSchema, server) as JsonObject;
    this.db.transaction(() => {
      this.db.run(
        "UPDATE kam_pending_writes SET state = 'conflict', attempts = attempts + 1, last_error = ? WHERE seq = ?",
        ["ABORTED ETAG_MISMATCH: the server's version changed since this write was queued", row.seq],
      );
      this.db.run(
        "INSERT INTO kam_conflicts " +
          "(write_seq, resource_type, resource_id, fields, base, mine, server, server_etag, detect_time) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (write_seq) DO UPDATE SET fields = excluded.fields, mine = excluded.mine, " +
          "server = excluded.server, server_etag = excluded.server_etag, detect_time = excluded.detect_time",
        [
          row.seq,
          row.resource_type,
          row.resource_id,
          JSON.stringify(decoded.paths),
          row.base,
          JSON.stringify(decoded.resource ?? {}),
          JSON.stringify(serverJson),
          typeof serverJson["etag"] === "string" ? serverJson["etag"] : "",
          Date.now(),
        ],
      );
      putWriteResult(this.db, write.resourceName, server);
    });
    this.store.changed([write.resourceName]);
  }

  private refused(row: PendingRow, state: WriteState, error: KamError): void {
    this.db.run("UPDATE kam_pending_writes SET state = ?, attempts = attempts + 1, last_error = ? WHERE seq = ?", [
      state,
      `${[Code[error.code], error.reason].filter((part) => part !== "").join(" ")}: ${error.message}`,
      row.seq,
    ]);
    if (state === "rejected") {
      this.store.changed([row.resource_type]);
    }
  }
}

/**
 * Refusals that say nothing about the write itself: the server could not be reached or asked (a
 * network failure reads as UNKNOWN), asks to wait (RESOURCE_EXHAUSTED, ABORTED CONTENTION), or does
 * not know the caller right now. Sending the write again later is safe: that is what the request_id
 * and the etag are for.
 */
function isTransient(error: KamError): boolean {
  switch (error.code) {
    case Code.Unavailable:
    case Code.Unknown:
    case Code.DeadlineExceeded:
    case Code.Canceled:
    case Code.ResourceExhausted:
    case Code.Internal:
    case Code.Unauthenticated:
      return true;
    case Code.Aborted:
      return error.reason !== "ETAG_MISMATCH";
    default:
      return false;
  }
}

function queuedWrite(row: PendingRow): QueuedWrite {
  return {
    seq: Number(row.seq),
    method: row.method,
    kind: row.kind,
    resourceName: row.resource_type,
    resourceId: row.resource_id,
    requestId: row.request_id,
    state: row.state,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    enqueueTime: new Date(Number(row.enqueue_time)),
    request: tryDecodeWrite(row)?.request,
  };
}

/** A random (version 4) UUID from Web Crypto. */
function randomUuid(): string {
  const crypto = globalThis.crypto as Crypto | undefined;
  if (typeof crypto?.randomUUID === "function") {
    return crypto.randomUUID();
  }
  if (typeof crypto?.getRandomValues !== "function") {
    throw new Error("no Web Crypto here to make a request_id: pass the queue's newRequestId option");
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * What the app reads: the local copy of the server's resources, with the app's own unsent writes laid
 * over them (by default), so a screen shows an edit made offline at once and keeps showing it until
 * the server has it. Reads are synchronous, straight from the local database: they work offline, and
 * suit React's `useSyncExternalStore` together with `subscribe`.
 */
import { type DescMessage, type JsonObject, fromJson } from "@bufbuild/protobuf";

import type { SqlAdapter } from "./adapter.js";
import { overlay } from "./fields.js";
import { type WriteKind } from "./methods.js";
import { type WriteState, readPending, tryDecodeWrite } from "./pending.js";
import { type RecordRow, readRecord, readRecords } from "./records.js";
import { resources, type ResourceName, type ResourceOf, accountIdOf } from "./resources.js";

/** How to read. */
export interface ReadOptions {
  /** Lay the app's queued writes over the server's version (the default); false: the server's only. */
  withPending?: boolean;
}

export interface ListOptions extends ReadOptions {
  /** Only the resources of this account. */
  accountId?: string;
}

/** A queued write that shapes an entry. */
export interface PendingMark {
  /** The write's place in the queue (`QueuedWrite.seq`). */
  seq: number;
  kind: WriteKind;
  state: WriteState;
}

/** One resource as the local store holds it. */
export interface LocalEntry<T> {
  /** A stable key for lists: the id, or `pending-<request_id>` for a create not yet sent. */
  key: string;
  /** The server's id; "" for a create not yet sent. */
  id: string;
  accountId: string;
  /** The etag of the server's version this entry is based on; "" for a create not yet sent. */
  etag: string;
  resource: T;
  /** The queued writes laid over the server's version, oldest first; empty when there are none. */
  pending: PendingMark[];
}

/** An entry while it is assembled: the resource still as JSON. */
interface Assembled {
  id: string;
  accountId: string;
  etag: string;
  json: JsonObject;
  pending: PendingMark[];
}

/** Called with the resource types whose local data changed. */
export type ChangeListener = (names: readonly ResourceName[]) => void;

export class LocalStore {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly db: SqlAdapter) {}

  /** The resource with `id`, or undefined when the store does not hold it (or a queued delete hides it). */
  get<N extends ResourceName>(name: N, id: string, options: ReadOptions = {}): ResourceOf<N> | undefined {
    return this.entry(name, id, options)?.resource;
  }

  entry<N extends ResourceName>(name: N, id: string, options: ReadOptions = {}): LocalEntry<ResourceOf<N>> | undefined {
    const row = readRecord(this.db, name, id);
    const entries = this.assemble(name, row === undefined ? [] : [row], options, id);
    return entries.find((entry) => entry.id === id);
  }

  /** The resources of a type (of one account when asked), in creation order, unsent creates last. */
  list<N extends ResourceName>(name: N, options: ListOptions = {}): ResourceOf<N>[] {
    return this.entries(name, options).map((entry) => entry.resource);
  }

  entries<N extends ResourceName>(name: N, options: ListOptions = {}): LocalEntry<ResourceOf<N>>[] {
    const entries = this.assemble(name, readRecords(this.db, name, options.accountId), options);
    return options.accountId === undefined ? entries : entries.filter((entry) => entry.accountId === options.accountId);
  }

  /** How many resources of a type the store holds from the server (of one account when given). */
  count(name: ResourceName, accountId?: string): number {
    return readRecords(this.db, name, accountId).length;
  }

  /** Calls `listener` after each change of local data (a pull, a write sent or queued, a conflict). */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Tells the listeners; used by the rest of the module after each transaction. */
  changed(names: Iterable<ResourceName>): void {
    const unique = [...new Set(names)];
    if (unique.length === 0) {
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(unique);
      } catch (error) {
        // A listener's bug must not undo a sync that has been committed; surface it asynchronously.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Rows as entries, with the queued writes of the type laid over them when asked. */
  private assemble<N extends ResourceName>(
    name: N,
    rows: RecordRow[],
    options: ReadOptions,
    onlyId?: string,
  ): LocalEntry<ResourceOf<N>>[] {
    const schema = resources()[name].schema as DescMessage;
    const byKey = new Map<string, Assembled>();
    for (const row of rows) {
      byKey.set(row.id, {
        id: row.id,
        accountId: row.account_id,
        etag: row.etag,
        json: JSON.parse(row.resource) as JsonObject,
        pending: [],
      });
    }
    if (options.withPending ?? true) {
      for (const row of readPending(this.db, { resourceName: name, states: ["pending", "conflict"] })) {
        if (onlyId !== undefined && row.resource_id !== onlyId) {
          continue;
        }
        const decoded = tryDecodeWrite(row);
        if (decoded === undefined) {
          // Queued by another version of the app: the replay rejects it; reads go on without it.
          continue;
        }
        const mark: PendingMark = { seq: row.seq, kind: row.kind, state: row.state };
        if (row.kind === "create" && decoded.resource !== undefined) {
          byKey.set(`pending-${row.request_id}`, {
            id: "",
            accountId: accountIdOf(name, decoded.resource),
            etag: "",
            json: decoded.resource,
            pending: [mark],
          });
          continue;
        }
        const entry = byKey.get(row.resource_id);
        if (entry === undefined) {
          // An edit of something the store does not hold (yet): nothing to lay it over.
          continue;
        }
        if (row.kind === "delete") {
          byKey.delete(row.resource_id);
        } else if (decoded.resource !== undefined) {
          entry.json = overlay(schema, entry.json, decoded.resource, decoded.paths);
          entry.pending.push(mark);
        }
      }
    }
    return [...byKey].map(([key, entry]) => ({
      key,
      id: entry.id,
      accountId: entry.accountId,
      etag: entry.etag,
      resource: fromJson(schema, entry.json, { ignoreUnknownFields: true }) as ResourceOf<N>,
      pending: entry.pending,
    }));
  }
}

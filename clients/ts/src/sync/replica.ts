/**
 * The pull: keeps `kam_records` current through `ListChanges`, one resource type after the other.
 *
 * Each response is applied in one local transaction together with its `next_sync_token`, so a pull cut
 * off anywhere (the app killed, the network gone) resumes where the last applied response left off,
 * and applying a response twice does no harm (a change is an upsert by id, a tombstone a delete).
 *
 * A full sync (the first one, or after the server answered SYNC_TOKEN_EXPIRED) must also forget what
 * the server no longer has: a tombstone older than the outbox's retention will never come. Rather than
 * emptying the type first (the app would show nothing until the full sync ends), every row the full
 * sync brings is stamped with its generation, and when it has caught up the rows of older generations,
 * the ones it did not see, are deleted.
 */
import { type Client, Code, type Transport, createClient } from "@connectrpc/connect";

import { type KamError, describeError } from "../errors.js";
import { IntegrationService, type ListChangesResponse } from "../gen/kam/v1/integration_pb.js";
import type { SqlAdapter } from "./adapter.js";
import { micros, putRecord, removeRecord, storedResource } from "./records.js";
import { resources, RESOURCE_NAMES, type ResourceName } from "./resources.js";
import type { LocalStore } from "./store.js";

/** What one pull did to one resource type. */
export interface PullResult {
  /** Resources stored or replaced. */
  upserted: number;
  /** Resources removed: tombstones, and after a full sync the rows it did not see. */
  removed: number;
  /** The pull was (or finished) a full sync. */
  fullSync: boolean;
  /** The server refused the sync token as expired (SYNC_TOKEN_EXPIRED), so a full sync was made. */
  tokenExpired: boolean;
}

export type PullReport = Partial<Record<ResourceName, PullResult>>;

export interface ReplicaOptions {
  /** The resource types to keep; every type the change feed follows by default. */
  resources?: readonly ResourceName[];
  /** Changes read per ListChanges call, 1..=500 (the server's default, 100, when unset). */
  pageSize?: number;
  /** Per-call timeout in milliseconds; 30 s by default. */
  timeoutMs?: number;
}

interface SyncState {
  token: string;
  generation: number;
  fullSync: boolean;
}

/** How many times one pull starts a type over before it gives up (a pruner racing a slow full sync). */
const MAX_RESTARTS = 3;

export class Replica {
  readonly resources: readonly ResourceName[];
  private readonly client: Client<typeof IntegrationService>;
  private running: Promise<PullReport> | undefined;
  private again: { names: Set<ResourceName>; promise: Promise<PullReport> } | undefined;

  constructor(
    private readonly db: SqlAdapter,
    private readonly store: LocalStore,
    transport: Transport,
    private readonly options: ReplicaOptions = {},
  ) {
    this.client = createClient(IntegrationService, transport);
    this.resources = options.resources ?? RESOURCE_NAMES;
  }

  /**
   * Brings the local copy of `names` (the replica's types by default) up to date with the server.
   * One pull runs at a time: a call made meanwhile runs once more after it (changes may have come in
   * after the running one read past them), and calls made while that one waits share it.
   */
  pull(names: readonly ResourceName[] = this.resources): Promise<PullReport> {
    if (this.running === undefined) {
      return this.start(names);
    }
    if (this.again === undefined) {
      const wanted = new Set(names);
      const promise = this.running
        .catch(() => undefined)
        .then(() => {
          this.again = undefined;
          return this.start([...wanted]);
        });
      this.again = { names: wanted, promise };
    } else {
      for (const name of names) {
        this.again.names.add(name);
      }
    }
    return this.again.promise;
  }

  /** Where each type's sync stands: its token ("" before the first full sync) and whether a full sync runs. */
  state(name: ResourceName): { syncToken: string; fullSync: boolean; syncedTime: Date | undefined } {
    const [row] = this.db.all<{ sync_token: string; full_sync: number; synced_time: number }>(
      "SELECT sync_token, full_sync, synced_time FROM kam_sync_state WHERE resource_type = ?",
      [name],
    );
    return {
      syncToken: row?.sync_token ?? "",
      fullSync: Number(row?.full_sync ?? 0) === 1,
      syncedTime: row === undefined || Number(row.synced_time) === 0 ? undefined : new Date(Number(row.synced_time)),
    };
  }

  private start(names: readonly ResourceName[]): Promise<PullReport> {
    const running = this.pullAll(names).finally(() => {
      this.running = undefined;
    });
    this.running = running;
    return running;
  }

  private async pullAll(names: readonly ResourceName[]): Promise<PullReport> {
    const report: PullReport = {};
    // Accounts first: what belongs to an account arrives after the account itself.
    for (const name of RESOURCE_NAMES.filter((candidate) => names.includes(candidate))) {
      report[name] = await this.pullType(name);
    }
    return report;
  }

  private async pullType(name: ResourceName): Promise<PullResult> {
    const result: PullResult = { upserted: 0, removed: 0, fullSync: false, tokenExpired: false };
    let state = this.readState(name);
    let restarts = 0;
    if (state.token === "" && !state.fullSync) {
      state = this.beginFullSync(name, state);
    }
    for (;;) {
      result.fullSync ||= state.fullSync;
      let response: ListChangesResponse;
      try {
        response = await this.client.listChanges(
          {
            resourceType: resources()[name].syncResource,
            syncToken: state.token,
            pageSize: this.options.pageSize ?? 0,
          },
          { timeoutMs: this.options.timeoutMs ?? 30_000 },
        );
      } catch (error) {
        const refusal = describeError(error);
        if (!startsOver(refusal) || restarts >= MAX_RESTARTS) {
          throw error;
        }
        restarts += 1;
        result.tokenExpired ||= refusal.reason === "SYNC_TOKEN_EXPIRED";
        state = this.beginFullSync(name, state);
        continue;
      }
      state = this.apply(name, state, response, result);
      if (!response.more) {
        return result;
      }
    }
  }

  /** One response in one transaction: its changes, its token, and the sweep that ends a full sync. */
  private apply(name: ResourceName, state: SyncState, response: ListChangesResponse, result: PullResult): SyncState {
    const next: SyncState = { ...state, token: response.nextSyncToken };
    const { schema } = resources()[name];
    let changed = false;
    this.db.transaction(() => {
      for (const change of response.changes) {
        const { resource } = change;
        if (change.deleted || resource.case === undefined) {
          // A tombstone; a deleted account comes with its last state, and goes all the same.
          changed = removeRecord(this.db, name, change.id) || changed;
          result.removed += 1;
          continue;
        }
        if (resource.value.$typeName !== schema.typeName) {
          throw new Error(`ListChanges for ${name} answered a ${resource.value.$typeName}`);
        }
        putRecord(this.db, name, storedResource(name, resource.value), micros(change.changeTime), state.generation);
        result.upserted += 1;
        changed = true;
      }
      if (!response.more && state.fullSync) {
        const swept = this.db.run("DELETE FROM kam_records WHERE resource_type = ? AND generation < ?", [
          name,
          state.generation,
        ]).changes;
        result.removed += swept;
        changed ||= swept > 0;
        next.fullSync = false;
      }
      this.writeState(name, next, !response.more);
    });
    if (changed) {
      this.store.changed([name]);
    }
    return next;
  }

  /** Starts a full sync of a type: no token, a new generation. Its rows stay until it has caught up. */
  private beginFullSync(name: ResourceName, state: SyncState): SyncState {
    const next: SyncState = { token: "", generation: state.generation + 1, fullSync: true };
    this.db.transaction(() => this.writeState(name, next, false));
    return next;
  }

  private readState(name: ResourceName): SyncState {
    const [row] = this.db.all<{ sync_token: string; generation: number; full_sync: number }>(
      "SELECT sync_token, generation, full_sync FROM kam_sync_state WHERE resource_type = ?",
      [name],
    );
    return row === undefined
      ? { token: "", generation: 0, fullSync: false }
      : { token: row.sync_token, generation: Number(row.generation), fullSync: Number(row.full_sync) === 1 };
  }

  private writeState(name: ResourceName, state: SyncState, caughtUp: boolean): void {
    this.db.run(
      "INSERT INTO kam_sync_state (resource_type, sync_token, generation, full_sync, synced_time) " +
        "VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (resource_type) DO UPDATE SET sync_token = excluded.sync_token, " +
        "generation = excluded.generation, full_sync = excluded.full_sync, " +
        "synced_time = CASE WHEN ? THEN excluded.synced_time ELSE synced_time END",
      [name, state.token, state.generation, state.fullSync ? 1 : 0, caughtUp ? Date.now() : 0, caughtUp ? 1 : 0],
    );
  }
}

/**
 * Whether a refusal of ListChanges means "start this type over with a full sync": the token expired
 * (older than the server keeps tokens, or the changes after it were pruned), or it is not a token of
 * this server (the local database outlived the server's, e.g. after a restore).
 */
function startsOver(refusal: KamError): boolean {
  return (
    (refusal.code === Code.FailedPrecondition && refusal.reason === "SYNC_TOKEN_EXPIRED") ||
    (refusal.code === Code.InvalidArgument && refusal.fields.some((field) => field.field === "sync_token"))
  );
}

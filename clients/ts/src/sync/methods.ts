/**
 * Which RPCs the write queue can hold, read off their descriptors rather than listed by hand, so every
 * create, update and delete of the generated services can be queued, today's and tomorrow's:
 *
 * - a **create** has a `request_id` and a field holding the resource it answers (CreateContact,
 *   LogInteraction, CreatePlanAction, CreateOpportunity, ...): replayed with the same `request_id`, the
 *   server answers the first result and creates nothing more;
 * - an **update** has an `update_mask` and a field holding the resource it answers (UpdateContact,
 *   ...): the resource's `etag` makes it refuse to overwrite what it did not see (ABORTED);
 * - a **delete** is `Delete<Resource>` with an `id` and an `etag`.
 *
 * The resource must be one the change feed follows (`resources.ts`), so the local store can show it.
 * A queued write names its method as "kam.v1.AccountService/UpdateContact" in the local database.
 */
import type { DescField, DescFile, DescMessage, DescMethod, DescMethodUnary, DescService } from "@bufbuild/protobuf";

import { file_kam_v1_integration } from "../gen/kam/v1/integration_pb.js";
import { resources, type ResourceName, resourceNameOf } from "./resources.js";

export type WriteKind = "create" | "update" | "delete";

/** A method the queue can hold, and where its request keeps what the queue needs. */
export interface WriteMethod {
  /** "kam.v1.AccountService/UpdateContact" */
  readonly id: string;
  readonly method: DescMethodUnary;
  readonly kind: WriteKind;
  /** The resource type it writes. */
  readonly resourceName: ResourceName;
  readonly resourceSchema: DescMessage;
  /** Create and update: the request's field holding the resource (e.g. `contact`). */
  readonly resourceField: DescField | undefined;
  /** The `Get<Resource>` of the same service, to read the server's version in a conflict. */
  readonly get: DescMethodUnary | undefined;
}

/**
 * Every service of the client: those of the files integration.proto imports, which are all of kam.v1
 * (it carries every resource and event), so a new service needs no change here. A function, not a
 * constant, so that bundles that never sync drop it.
 */
function services(): DescService[] {
  const seen = new Set<DescFile>();
  const found: DescService[] = [];
  const visit = (file: DescFile): void => {
    if (!seen.has(file)) {
      seen.add(file);
      found.push(...file.services);
      file.dependencies.forEach(visit);
    }
  };
  visit(file_kam_v1_integration);
  return found;
}

/** The methods described so far, by id. */
let cache: Map<string, WriteMethod> | undefined;

function known(): Map<string, WriteMethod> {
  cache ??= new Map();
  return cache;
}

/** The method's name in the local database. */
export function methodId(method: DescMethod): string {
  return `${method.parent.typeName}/${method.name}`;
}

/** What the queue knows of `method`; a TypeError for a method it cannot hold, saying why. */
export function writeMethodOf(method: DescMethod): WriteMethod {
  const id = methodId(method);
  const found = known().get(id);
  if (found !== undefined) {
    return found;
  }
  const described = describe(method);
  if (typeof described === "string") {
    throw new TypeError(`${id} cannot be queued: ${described}`);
  }
  known().set(id, described);
  return described;
}

/** The method a queued write names; a TypeError when this client has no such method (any more). */
export function writeMethodById(id: string): WriteMethod {
  const found = known().get(id);
  if (found !== undefined) {
    return found;
  }
  const [service, name] = id.split("/");
  const method = services().find((candidate) => candidate.typeName === service)?.methods.find(
    (candidate) => candidate.name === name,
  );
  if (method === undefined) {
    throw new TypeError(`${id} is not a method of this client`);
  }
  return writeMethodOf(method);
}

/** The write `method` is, or why it is none. */
function describe(method: DescMethod): WriteMethod | string {
  if (method.methodKind !== "unary") {
    return "only unary methods can be queued";
  }
  const unary = method as DescMethodUnary;
  const field = (name: string) => method.input.fields.find((candidate) => candidate.name === name);
  const deleted = method.name.startsWith("Delete")
    ? Object.values(resources()).find(({ schema }) => schema.name === method.name.slice("Delete".length))
    : undefined;
  if (deleted !== undefined && field("id") !== undefined && field("etag") !== undefined) {
    const resourceName = resourceNameOf(deleted.schema) as ResourceName;
    return write(unary, "delete", resourceName, deleted.schema, undefined);
  }
  const resourceName = resourceNameOf(method.output);
  if (resourceName === undefined) {
    return `it answers ${method.output.typeName}, which the change feed does not follow`;
  }
  const resourceField = method.input.fields.find(
    (candidate) => candidate.fieldKind === "message" && candidate.message.typeName === method.output.typeName,
  );
  if (resourceField === undefined) {
    return `its request holds no ${method.output.typeName}`;
  }
  if (field("request_id") !== undefined) {
    return write(unary, "create", resourceName, method.output, resourceField);
  }
  if (field("update_mask") !== undefined) {
    return write(unary, "update", resourceName, method.output, resourceField);
  }
  return "it is neither a create (request_id), an update (update_mask) nor a delete (id and etag)";
}

function write(
  method: DescMethodUnary,
  kind: WriteKind,
  resourceName: ResourceName,
  resourceSchema: DescMessage,
  resourceField: DescField | undefined,
): WriteMethod {
  const get = method.parent.methods.find(
    (candidate) =>
      candidate.name === `Get${resourceSchema.name}` &&
      candidate.methodKind === "unary" &&
      candidate.input.fields.some((field) => field.name === "id"),
  ) as DescMethodUnary | undefined;
  return { id: methodId(method), method, kind, resourceName, resourceSchema, resourceField, get };
}

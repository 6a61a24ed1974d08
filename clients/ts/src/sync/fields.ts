/**
 * Field-mask paths over resources held as canonical proto3 JSON: which fields a queued update writes,
 * whether another version of the resource holds the same values there, and laying those values over
 * another version. Paths are spelled as in `update_mask` (proto names: `man.has_money`); the JSON
 * spells them with json names (`man.hasMoney`), found through the message's schema, so this works for
 * every resource without knowing any of them.
 */
import type { DescField, DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";

/** The fields an update names by themselves rather than writes (AIP-154, AIP-134). */
const IDENTIFYING_FIELDS: readonly string[] = ["id", "etag"];

/** The JSON names along a mask path, or `undefined` when the message has no such path. */
export function jsonPath(schema: DescMessage, path: string): string[] | undefined {
  const names: string[] = [];
  let message: DescMessage | undefined = schema;
  for (const segment of path.split(".")) {
    const field: DescField | undefined = message?.fields.find((candidate) => candidate.name === segment);
    if (field === undefined) {
      return undefined;
    }
    names.push(field.jsonName);
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  return names;
}

/**
 * The paths an update writes, as the server reads them: the mask's, or when the mask is empty every
 * top-level field the resource populates (proto3 JSON leaves defaults out), its id and etag aside.
 */
export function writtenPaths(schema: DescMessage, resource: JsonObject, mask: readonly string[]): string[] {
  if (mask.length > 0) {
    return [...mask];
  }
  return schema.fields
    .filter((field) => !IDENTIFYING_FIELDS.includes(field.name) && resource[field.jsonName] !== undefined)
    .map((field) => field.name);
}

/** The value at a mask path, `undefined` when unset (or the path unknown). */
export function valueAt(schema: DescMessage, json: JsonObject, path: string): JsonValue | undefined {
  const names = jsonPath(schema, path);
  let value: JsonValue | undefined = json;
  for (const name of names ?? []) {
    value = isObject(value) ? value[name] : undefined;
  }
  return names === undefined ? undefined : value;
}

/** Sets (or, with `undefined`, clears) the value at a mask path, making the messages on the way. */
export function setValueAt(schema: DescMessage, json: JsonObject, path: string, value: JsonValue | undefined): void {
  const names = jsonPath(schema, path);
  if (names === undefined) {
    throw new Error(`${schema.typeName} has no field ${path}`);
  }
  let parent = json;
  for (const name of names.slice(0, -1)) {
    const next = parent[name];
    if (!isObject(next)) {
      if (value === undefined) {
        return;
      }
      parent[name] = {};
    }
    parent = parent[name] as JsonObject;
  }
  const last = names[names.length - 1] as string;
  if (value === undefined) {
    delete parent[last];
  } else {
    parent[last] = copy(value);
  }
}

/** A copy of `target` with the values `source` holds at `paths`. */
export function overlay(
  schema: DescMessage,
  target: JsonObject,
  source: JsonObject,
  paths: readonly string[],
): JsonObject {
  const result = copy(target) as JsonObject;
  for (const path of paths) {
    setValueAt(schema, result, path, valueAt(schema, source, path));
  }
  return result;
}

/** Whether `a` and `b` hold the same values at every one of `paths`. */
export function sameAt(schema: DescMessage, a: JsonObject, b: JsonObject, paths: readonly string[]): boolean {
  return paths.every((path) => sameValue(valueAt(schema, a, path), valueAt(schema, b, path)));
}

/**
 * Equal as values: key order aside, and an empty message or list counting as unset (proto3 JSON
 * writes a present but empty sub-message as `{}`, which the server may answer as unset).
 */
export function sameValue(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: JsonValue | undefined): string {
  const normal = normalize(value);
  return normal === undefined ? "" : JSON.stringify(normal);
}

function normalize(value: JsonValue | undefined): JsonValue | undefined {
  if (Array.isArray(value)) {
    return value.length === 0 ? undefined : value.map((item) => normalize(item) ?? null);
  }
  if (isObject(value)) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => [key, normalize(value[key])] as const)
      .filter(([, item]) => item !== undefined);
    return entries.length === 0 ? undefined : (Object.fromEntries(entries) as JsonObject);
  }
  return value;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function copy(value: JsonValue): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

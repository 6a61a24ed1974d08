/**
 * What a refusal from kam-server says, read from the `google.rpc` details every KAM status carries:
 * `ErrorInfo` (a stable reason), `BadRequest` (the fields at fault) and `PreconditionFailure` (the
 * business rules the request would break). The details arrive as bytes; they are decoded here with
 * protobuf's wire reader, so no copy of `google/rpc/error_details.proto` is needed.
 */
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";

/** One invalid field of a request, e.g. `account.display_name`. */
export interface FieldViolation {
  field: string;
  description: string;
}

/** One business rule the request would break, e.g. `PARENT_CYCLE` on `accounts/0192…`. */
export interface RuleViolation {
  rule: string;
  subject: string;
  description: string;
}

/** A refusal, ready to be shown: the status, the server's message and what it names. */
export interface KamError {
  code: Code;
  /** The server's message, without the `[code]` prefix connect adds. */
  message: string;
  /** `ErrorInfo.reason` in UPPER_SNAKE_CASE (e.g. `FAILED_PRECONDITION`), or "" when absent. */
  reason: string;
  /** `ErrorInfo.metadata`, e.g. `resource` and `id` of an etag mismatch. */
  metadata: Record<string, string>;
  fields: FieldViolation[];
  rules: RuleViolation[];
  /** How long the server asks the caller to wait before retrying (`RetryInfo`), in milliseconds. */
  retryAfterMs: number | undefined;
}

/** Reads any thrown value as a KamError: network failures and bugs become UNKNOWN with their text. */
export function describeError(thrown: unknown): KamError {
  const error = ConnectError.from(thrown);
  const described: KamError = {
    code: error.code,
    message: error.rawMessage,
    reason: "",
    metadata: {},
    fields: [],
    rules: [],
    retryAfterMs: undefined,
  };
  for (const detail of error.details) {
    // Details this process attached itself (`desc`) are not the server's.
    if (!("type" in detail) || !(detail.value instanceof Uint8Array)) {
      continue;
    }
    switch (detail.type) {
      case "google.rpc.ErrorInfo":
        readErrorInfo(detail.value, described);
        break;
      case "google.rpc.BadRequest":
        described.fields.push(...readRepeated(detail.value, readFieldViolation));
        break;
      case "google.rpc.PreconditionFailure":
        described.rules.push(...readRepeated(detail.value, readRuleViolation));
        break;
      case "google.rpc.RetryInfo":
        described.retryAfterMs = readRetryDelay(detail.value);
        break;
    }
  }
  return described;
}

/** Every field 1 of a message, each read by `read` (BadRequest and PreconditionFailure have one list). */
function readRepeated<T>(bytes: Uint8Array, read: (bytes: Uint8Array) => T): T[] {
  const items: T[] = [];
  eachField(bytes, (reader, number, wireType) => {
    if (number === 1 && wireType === WireType.LengthDelimited) {
      items.push(read(reader.bytes()));
      return true;
    }
    return false;
  });
  return items;
}

function readFieldViolation(bytes: Uint8Array): FieldViolation {
  const strings = readStrings(bytes);
  return { field: strings[1] ?? "", description: strings[2] ?? "" };
}

function readRuleViolation(bytes: Uint8Array): RuleViolation {
  const strings = readStrings(bytes);
  return { rule: strings[1] ?? "", subject: strings[2] ?? "", description: strings[3] ?? "" };
}

function readErrorInfo(bytes: Uint8Array, into: KamError): void {
  eachField(bytes, (reader, number, wireType) => {
    if (wireType !== WireType.LengthDelimited) {
      return false;
    }
    if (number === 1) {
      into.reason = reader.string();
    } else if (number === 3) {
      const entry = readStrings(reader.bytes());
      into.metadata[entry[1] ?? ""] = entry[2] ?? "";
    } else {
      reader.bytes();
    }
    return true;
  });
}

/** `RetryInfo.retry_delay` (a google.protobuf.Duration) in milliseconds. */
function readRetryDelay(bytes: Uint8Array): number | undefined {
  let delay: number | undefined;
  eachField(bytes, (reader, number, wireType) => {
    if (number !== 1 || wireType !== WireType.LengthDelimited) {
      return false;
    }
    let seconds = 0;
    let nanos = 0;
    eachField(reader.bytes(), (duration, field, type) => {
      if (type !== WireType.Varint) {
        return false;
      }
      if (field === 1) {
        seconds = Number(duration.int64());
      } else {
        nanos = duration.int32();
      }
      return true;
    });
    delay = seconds * 1000 + Math.round(nanos / 1e6);
    return true;
  });
  return delay;
}

/** The string fields of a flat message, by field number. */
function readStrings(bytes: Uint8Array): Record<number, string> {
  const strings: Record<number, string> = {};
  eachField(bytes, (reader, number, wireType) => {
    if (wireType !== WireType.LengthDelimited) {
      return false;
    }
    strings[number] = reader.string();
    return true;
  });
  return strings;
}

/**
 * Walks a message's fields; `visit` reads the value and returns true, or returns false to have it
 * skipped. Unknown and malformed input ends the walk instead of throwing: a refusal must still show.
 */
function eachField(
  bytes: Uint8Array,
  visit: (reader: BinaryReader, number: number, wireType: WireType) => boolean,
): void {
  const reader = new BinaryReader(bytes);
  try {
    while (reader.pos < reader.len) {
      const [number, wireType] = reader.tag();
      if (!visit(reader, number, wireType)) {
        reader.skip(wireType);
      }
    }
  } catch {
    // A truncated detail: keep what was read.
  }
}

/**
 * KAM's client for TypeScript: the kam.v1 messages and services generated from `proto/`
 * (`npm run generate`), and a transport that speaks gRPC-Web to kam-server with the caller's
 * credential. It runs wherever `fetch` does: browsers (the web app), React Native, Node 20.
 *
 * ```ts
 * import { AccountService, createClient, kamTransport } from "@kam/client";
 *
 * const transport = kamTransport({ baseUrl: "http://127.0.0.1:50051", credential: () => apiKey });
 * const accounts = createClient(AccountService, transport);
 * const { accounts: found } = await accounts.listAccounts({ query: "pump" });
 * ```
 */
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

export { Code, ConnectError, createClient } from "@connectrpc/connect";
export type { Client, Interceptor } from "@connectrpc/connect";

export * from "./gen/kam/v1/common_pb.js";
export * from "./gen/kam/v1/accounts_pb.js";
export * from "./gen/kam/v1/teams_pb.js";
export * from "./gen/kam/v1/identity_pb.js";
export * from "./gen/kam/v1/opportunities_pb.js";
export * from "./gen/kam/v1/service_levels_pb.js";
export * from "./gen/kam/v1/planning_pb.js";
export * from "./gen/kam/v1/integration_pb.js";
export * from "./gen/kam/v1/webhooks_pb.js";
export * from "./gen/kam/v1/notifications_pb.js";
export * from "./gen/kam/v1/segments_pb.js";
export * from "./gen/kam/v1/segments_pb.js";

/** Where kam-server is and who calls it. */
export interface KamConnection {
  /** kam-server's address, e.g. `http://127.0.0.1:50051`; gRPC-Web shares its one port. */
  baseUrl: string;
  /**
   * The API key (`kam_…`) or SSO bearer token to call with, asked for on every call: a session that
   * signs out (returns `undefined`) stops sending it at once, and a renewed token is used as soon
   * as it is there.
   */
  credential: () => string | undefined;
  /** Run around every call after the credential is attached, e.g. to notice a revoked key. */
  interceptors?: Interceptor[];
}

/** A gRPC-Web transport that sends `authorization: Bearer <credential>` with every call. */
export function kamTransport({ baseUrl, credential, interceptors = [] }: KamConnection): Transport {
  const authenticate: Interceptor = (next) => async (request) => {
    const secret = credential();
    if (secret !== undefined && secret !== "") {
      request.header.set("authorization", `Bearer ${secret}`);
    }
    return next(request);
  };
  return createGrpcWebTransport({ baseUrl, interceptors: [authenticate, ...interceptors] });
}

export { describeError } from "./errors.js";
export type { FieldViolation, KamError, RuleViolation } from "./errors.js";
export * from "./sync/index.js";

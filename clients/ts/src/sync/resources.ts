/**
 * The resource types the change feed follows (`kam.v1.SyncResource`), each with the message it holds,
 * under the names the local store uses for them ("contacts", "plan_actions", ...).
 */
import type { DescMessage, JsonObject, MessageShape } from "@bufbuild/protobuf";

import { AccountSchema, ContactSchema } from "../gen/kam/v1/accounts_pb.js";
import { SyncResource } from "../gen/kam/v1/integration_pb.js";
import { OpportunitySchema } from "../gen/kam/v1/opportunities_pb.js";
import {
  AccountPlanSchema,
  InteractionSchema,
  PlanActionSchema,
  RevenueRecordSchema,
  TierChangeSchema,
} from "../gen/kam/v1/planning_pb.js";
import { ServiceRequestSchema } from "../gen/kam/v1/service_levels_pb.js";
import { StaffSchema, TeamMemberSchema } from "../gen/kam/v1/teams_pb.js";

/** What the module knows about one resource type. */
interface ResourceKind<Schema extends DescMessage> {
  /** The `resource_type` of ListChanges. */
  readonly syncResource: SyncResource;
  /** The message a ResourceChange carries for it. */
  readonly schema: Schema;
}

function kind<Schema extends DescMessage>(syncResource: SyncResource, schema: Schema): ResourceKind<Schema> {
  return { syncResource, schema };
}

/**
 * Every resource type the change feed follows, by its local name. Built on first use rather than at
 * load: a bundle that imports `@kam/client` without syncing (the web app) then drops it all.
 */
function describeResources() {
  return {
    accounts: kind(SyncResource.ACCOUNTS, AccountSchema),
    contacts: kind(SyncResource.CONTACTS, ContactSchema),
    opportunities: kind(SyncResource.OPPORTUNITIES, OpportunitySchema),
    service_requests: kind(SyncResource.SERVICE_REQUESTS, ServiceRequestSchema),
    plan_actions: kind(SyncResource.PLAN_ACTIONS, PlanActionSchema),
    interactions: kind(SyncResource.INTERACTIONS, InteractionSchema),
    account_plans: kind(SyncResource.ACCOUNT_PLANS, AccountPlanSchema),
    team_members: kind(SyncResource.TEAM_MEMBERS, TeamMemberSchema),
    staff: kind(SyncResource.STAFF, StaffSchema),
    revenue_records: kind(SyncResource.REVENUE_RECORDS, RevenueRecordSchema),
    tier_changes: kind(SyncResource.TIER_CHANGES, TierChangeSchema),
  } as const;
}

type Resources = ReturnType<typeof describeResources>;

let described: Resources | undefined;

/** What the module knows about each resource type. */
export function resources(): Resources {
  described ??= describeResources();
  return described;
}

/** A resource type's local name: "accounts", "contacts", ... */
export type ResourceName = keyof Resources;

/** The message of a resource type: `ResourceOf<"contacts">` is `Contact`. */
export type ResourceOf<Name extends ResourceName> = MessageShape<Resources[Name]["schema"]>;

/** Every resource name, in the order a pull syncs them (accounts before what belongs to them). */
export const RESOURCE_NAMES: readonly ResourceName[] = [
  "accounts",
  "contacts",
  "opportunities",
  "service_requests",
  "plan_actions",
  "interactions",
  "account_plans",
  "team_members",
  "staff",
  "revenue_records",
  "tier_changes",
];

/** The resource type whose message is `schema` (e.g. the output of UpdateContact), if one is synced. */
export function resourceNameOf(schema: DescMessage): ResourceName | undefined {
  return RESOURCE_NAMES.find((name) => resources()[name].schema.typeName === schema.typeName);
}

/** The account a resource belongs to, from its JSON: an account's own id, else its `account_id`. */
export function accountIdOf(name: ResourceName, json: JsonObject): string {
  const id = name === "accounts" ? json["id"] : json["accountId"];
  return typeof id === "string" ? id : "";
}

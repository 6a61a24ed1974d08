/**
 * One typed client per kam.v1 service, all over one gRPC-Web transport to the server that served the
 * page (same origin; in `npm run dev` Vite passes the calls on). The credential is read on every call,
 * so signing out stops sending it at once.
 */
import {
  AccountService,
  AuditService,
  createClient,
  IdentityService,
  IntegrationService,
  kamTransport,
  OpportunityService,
  PlanningService,
  ServiceLevelService,
  TeamService,
  type Client,
} from "@kam/client";

export interface Api {
  accounts: Client<typeof AccountService>;
  audit: Client<typeof AuditService>;
  identity: Client<typeof IdentityService>;
  integration: Client<typeof IntegrationService>;
  opportunities: Client<typeof OpportunityService>;
  planning: Client<typeof PlanningService>;
  serviceLevels: Client<typeof ServiceLevelService>;
  teams: Client<typeof TeamService>;
}

export function createApi(baseUrl: string, credential: () => string | undefined): Api {
  const transport = kamTransport({ baseUrl, credential });
  return {
    accounts: createClient(AccountService, transport),
    audit: createClient(AuditService, transport),
    identity: createClient(IdentityService, transport),
    integration: createClient(IntegrationService, transport),
    opportunities: createClient(OpportunityService, transport),
    planning: createClient(PlanningService, transport),
    serviceLevels: createClient(ServiceLevelService, transport),
    teams: createClient(TeamService, transport),
  };
}

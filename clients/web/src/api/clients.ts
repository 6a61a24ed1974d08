/**
 * One typed client per kam.v1 service, all over one gRPC-Web transport to the server that served the
 * page (same origin; in `npm run dev` Vite passes the calls on). The credential is read on every call,
 * so signing out stops sending it at once.
 */
import {
  AccountService,
  AuditService,
  Code,
  ConnectError,
  createClient,
  describeError,
  IdentityService,
  IntegrationService,
  kamTransport,
  NotificationService,
  OpportunityService,
  PlanningService,
  SegmentService,
  ServiceLevelService,
  TeamService,
  type Client,
  type Interceptor,
  type KamError,
} from "@kam/client";

export interface Api {
  accounts: Client<typeof AccountService>;
  audit: Client<typeof AuditService>;
  identity: Client<typeof IdentityService>;
  integration: Client<typeof IntegrationService>;
  notifications: Client<typeof NotificationService>;
  opportunities: Client<typeof OpportunityService>;
  planning: Client<typeof PlanningService>;
  segments: Client<typeof SegmentService>;
  serviceLevels: Client<typeof ServiceLevelService>;
  teams: Client<typeof TeamService>;
}

/**
 * `onUnauthenticated` hears of every call the server refused as UNAUTHENTICATED: the key was revoked
 * or expired, or its holder deactivated, while the tab was open.
 */
export function createApi(
  baseUrl: string,
  credential: () => string | undefined,
  onUnauthenticated: (refusal: KamError) => void = () => undefined,
): Api {
  const noticeRevoked: Interceptor = (next) => async (request) => {
    try {
      return await next(request);
    } catch (thrown) {
      if (thrown instanceof ConnectError && thrown.code === Code.Unauthenticated) {
        onUnauthenticated(describeError(thrown));
      }
      throw thrown;
    }
  };
  const transport = kamTransport({ baseUrl, credential, interceptors: [noticeRevoked] });
  return {
    accounts: createClient(AccountService, transport),
    audit: createClient(AuditService, transport),
    identity: createClient(IdentityService, transport),
    integration: createClient(IntegrationService, transport),
    notifications: createClient(NotificationService, transport),
    opportunities: createClient(OpportunityService, transport),
    planning: createClient(PlanningService, transport),
    segments: createClient(SegmentService, transport),
    serviceLevels: createClient(ServiceLevelService, transport),
    teams: createClient(TeamService, transport),
  };
}

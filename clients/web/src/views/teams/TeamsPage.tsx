/**
 * Teams: the accounts whose tier requires roles or liaisons they lack, everyone's workload,
 * and, for managers and administrators, the handover wizard that moves a person's responsibilities to
 * another in one transaction.
 */
import { useMemo, useState } from "react";
import { Role } from "@kam/client";
import { canManage, hasRole, useApi, useSession } from "../../app/session";
import { useLoad } from "../../api/useLoad";
import { useMessages } from "../../i18n/i18n";
import { Page } from "../../ui/Page";
import { Coverage } from "./Coverage";
import { HandoverWizard } from "./HandoverWizard";
import { messages } from "./messages";
import { Workload } from "./Workload";
import "./teams.css";

export function TeamsPage() {
  const t = useMessages(messages);
  const api = useApi();
  const { me } = useSession();
  const manage = canManage(me);
  // The reports are for those who oversee (ADMIN, EXECUTIVE, MANAGER); no one else is asked for them.
  const readsReports = hasRole(me, Role.ADMIN, Role.EXECUTIVE, Role.MANAGER);
  const [gapsOnly, setGapsOnly] = useState(true);
  const [industryCode, setIndustryCode] = useState("");
  const [regionCode, setRegionCode] = useState("");
  // Bumped by a handover, so both reports load again.
  const [version, setVersion] = useState(0);
  const coverage = useLoad(
    (signal) =>
      readsReports
        ? api.teams.getCoverageReport({ gapsOnly, segments: { industryCode, regionCode } }, { signal })
        : Promise.resolve(undefined),
    [api, readsReports, gapsOnly, industryCode, regionCode, version],
  );
  const workload = useLoad(
    (signal) => (readsReports ? api.teams.getWorkload({}, { signal }) : Promise.resolve(undefined)),
    [api, readsReports, version],
  );
  const knownAccounts = useMemo(
    () => new Map((coverage.data?.accounts ?? []).map((a) => [a.accountId, a.accountDisplayName])),
    [coverage.data],
  );

  return (
    <Page title={t.title} loading={coverage.loading || workload.loading}>
      {manage ? (
        <HandoverWizard knownAccounts={knownAccounts} onHandedOver={() => setVersion((n) => n + 1)} />
      ) : (
        readsReports && <p className="muted">{t.reportsOnly}</p>
      )}
      {readsReports ? (
        <div className="teams-reports">
          <Coverage
            report={coverage.data}
            error={coverage.error}
            loading={coverage.loading}
            gapsOnly={gapsOnly}
            onGapsOnly={setGapsOnly}
            industryCode={industryCode}
            regionCode={regionCode}
            onIndustryCode={setIndustryCode}
            onRegionCode={setRegionCode}
          />
          <Workload workload={workload.data} error={workload.error} loading={workload.loading} />
        </div>
      ) : (
        <p className="muted">{t.noReports}</p>
      )}
    </Page>
  );
}

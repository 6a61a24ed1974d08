/**
 * One account: its header (tier and history, relationship, lifecycle, parent), its team and coverage,
 * its key people and their reporting lines, then the sections of the other areas (health, plan,
 * opportunities, service, revenue, interactions), reached through the in-page contents.
 */
import { Role, type Account } from "@kam/client";
import { useState, type ReactNode } from "react";
import { useLoad } from "../../api/useLoad";
import { Link } from "../../app/router";
import { canManage, hasRole, useApi, useSession } from "../../app/session";
import { useMessages } from "../../i18n/i18n";
import { Page } from "../../ui/Page";
import { AccountHeader } from "./AccountHeader";
import { KeyPeople } from "./KeyPeople";
import { messages } from "./messages";
import { HealthSection } from "./sections/HealthSection";
import { InteractionsSection } from "./sections/InteractionsSection";
import { OpportunitiesSection } from "./sections/OpportunitiesSection";
import { PlanSection } from "./sections/PlanSection";
import { RevenueSection } from "./sections/RevenueSection";
import { ServiceRequestsSection } from "./sections/ServiceRequestsSection";
import { TeamPanel } from "./TeamPanel";
import "./account.css";

type Anchor = { id: string; title: (t: typeof messages.en) => string; render: (account: Account) => ReactNode };

/** The page's parts in order; each is a target of the contents list. */
const PARTS: Anchor[] = [
  { id: "team", title: (t) => t.team, render: (account) => <TeamPanel account={account} /> },
  { id: "people", title: (t) => t.keyPeople, render: (account) => <KeyPeople accountId={account.id} /> },
  { id: "health", title: (t) => t.health, render: (account) => <HealthSection account={account} /> },
  { id: "plan", title: (t) => t.plan, render: (account) => <PlanSection account={account} /> },
  { id: "opportunities", title: (t) => t.opportunities, render: (account) => <OpportunitiesSection account={account} /> },
  { id: "service", title: (t) => t.serviceRequests, render: (account) => <ServiceRequestsSection account={account} /> },
  { id: "revenue", title: (t) => t.revenue, render: (account) => <RevenueSection account={account} /> },
  { id: "interactions", title: (t) => t.interactions, render: (account) => <InteractionsSection account={account} /> },
];

export function AccountPage({ id }: { id: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const { me } = useSession();
  const loaded = useLoad((signal) => api.accounts.getAccount({ id }, { signal }), [api, id]);
  // A saved edit replaces the shown account at once (with its new etag), without a reload.
  const [saved, setSaved] = useState<Account | undefined>(undefined);
  const account = saved && loaded.data && saved.id === loaded.data.id ? saved : loaded.data;
  // EDIT_ACCOUNTS: ADMIN, MANAGER, INTEGRATION, and a MEMBER on the accounts of its teams (the only
  // ones it can open); the server decides.
  const canEdit = canManage(me) || hasRole(me, Role.MEMBER, Role.INTEGRATION);

  if (!account) {
    return <Page title={loaded.error ? id : t.loading} loading={loaded.loading} error={loaded.error} />;
  }
  return (
    <Page
      title={account.displayName}
      loading={loaded.loading}
      error={loaded.error}
      actions={
        <>
          <GroupLink account={account} />
          <Link to={{ page: "brief", id: account.id }} className="button-link" data-testid="visit-brief-link">
            {t.visitBrief}
          </Link>
        </>
      }
    >
      <nav className="account-contents" aria-label={t.onThisPage}>
        <ul>
          <li>
            <a href="#overview">{t.overview}</a>
          </li>
          {PARTS.map((part) => (
            <li key={part.id}>
              <a href={`#${part.id}`}>{part.title(t)}</a>
            </li>
          ))}
        </ul>
      </nav>
      <div id="overview" className="anchor-target" tabIndex={-1}>
        <AccountHeader account={account} canEdit={canEdit} onSaved={setSaved} />
      </div>
      {PARTS.map((part) => (
        <div key={part.id} id={part.id} className="anchor-target" tabIndex={-1}>
          {part.render(account)}
        </div>
      ))}
    </Page>
  );
}

/** The way to the account's group page, when it belongs to one: it has a parent or subsidiaries. */
function GroupLink({ account }: { account: Account }) {
  const t = useMessages(messages);
  const api = useApi();
  const hasParent = account.parentAccountId !== "";
  const subsidiaries = useLoad(
    (signal) =>
      hasParent
        ? Promise.resolve(undefined)
        : api.accounts.listAccounts({ parentAccountId: account.id, pageSize: 1 }, { signal }),
    [api, account.id, hasParent],
  );
  if (!hasParent && (subsidiaries.data?.accounts.length ?? 0) === 0) return null;
  return (
    <Link to={{ page: "group", id: account.id }} className="button-link" data-testid="group-link">
      {t.group}
    </Link>
  );
}

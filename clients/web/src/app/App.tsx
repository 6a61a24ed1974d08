/**
 * The app: sign-in, then the page the address names. Each page is a chunk of its own, fetched the
 * first time it is shown, so signing in and the first page do not wait for the others.
 */
import { lazy, Suspense } from "react";
import { defineMessages, LocaleProvider, useMessages } from "../i18n/i18n";
import { SignIn } from "../views/signin/SignIn";
import { NotFoundPage } from "../views/NotFoundPage";
import { Layout } from "./Layout";
import { useRoute, type Route } from "./router";
import { SessionGate } from "./session";

const AccountsPage = lazy(() => import("../views/accounts/AccountsPage").then((m) => ({ default: m.AccountsPage })));
const AccountPage = lazy(() => import("../views/account/AccountPage").then((m) => ({ default: m.AccountPage })));
const FunnelPage = lazy(() => import("../views/funnel/FunnelPage").then((m) => ({ default: m.FunnelPage })));
const ServiceBoardPage = lazy(() =>
  import("../views/service/ServiceBoardPage").then((m) => ({ default: m.ServiceBoardPage })),
);
const RequestPage = lazy(() => import("../views/service/RequestPage").then((m) => ({ default: m.RequestPage })));
const TiersPage = lazy(() => import("../views/tiers/TiersPage").then((m) => ({ default: m.TiersPage })));
const TeamsPage = lazy(() => import("../views/teams/TeamsPage").then((m) => ({ default: m.TeamsPage })));
const BriefPage = lazy(() => import("../views/brief/BriefPage").then((m) => ({ default: m.BriefPage })));
const GroupPage = lazy(() => import("../views/group/GroupPage").then((m) => ({ default: m.GroupPage })));
const CompetitorsPage = lazy(() =>
  import("../views/competitors/CompetitorsPage").then((m) => ({ default: m.CompetitorsPage })),
);
const NotificationsPage = lazy(() =>
  import("../views/notifications/NotificationsPage").then((m) => ({ default: m.NotificationsPage })),
);

const messages = defineMessages({
  en: { loading: "Loading…" },
  "zh-CN": { loading: "加载中…" },
});

export function App() {
  return (
    <LocaleProvider>
      <SessionGate signIn={(props) => <SignIn {...props} />}>
        <Pages />
      </SessionGate>
    </LocaleProvider>
  );
}

function Pages() {
  const route = useRoute();
  const t = useMessages(messages);
  return (
    <Layout route={route}>
      <Suspense fallback={<p className="muted">{t.loading}</p>}>
        <PageFor route={route} />
      </Suspense>
    </Layout>
  );
}

function PageFor({ route }: { route: Route }) {
  switch (route.page) {
    case "accounts":
      return <AccountsPage />;
    case "account":
      return <AccountPage key={route.id} id={route.id} />;
    case "funnel":
      return <FunnelPage />;
    case "service":
      return <ServiceBoardPage />;
    case "request":
      return <RequestPage key={route.id} id={route.id} />;
    case "tiers":
      return <TiersPage />;
    case "teams":
      return <TeamsPage />;
    case "brief":
      return <BriefPage key={route.id} id={route.id} />;
    case "group":
      return <GroupPage key={route.id} id={route.id} />;
    case "competitors":
      return <CompetitorsPage />;
    case "notifications":
      return <NotificationsPage />;
    case "not_found":
      return <NotFoundPage path={route.path} />;
  }
}

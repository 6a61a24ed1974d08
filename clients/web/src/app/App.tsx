/** The app: sign-in, then the page the address names. */
import { LocaleProvider } from "../i18n/i18n";
import { AccountPage } from "../views/account/AccountPage";
import { AccountsPage } from "../views/accounts/AccountsPage";
import { FunnelPage } from "../views/funnel/FunnelPage";
import { RequestPage } from "../views/service/RequestPage";
import { ServiceBoardPage } from "../views/service/ServiceBoardPage";
import { SignIn } from "../views/signin/SignIn";
import { TeamsPage } from "../views/teams/TeamsPage";
import { TiersPage } from "../views/tiers/TiersPage";
import { NotFoundPage } from "../views/NotFoundPage";
import { Layout } from "./Layout";
import { useRoute, type Route } from "./router";
import { SessionGate } from "./session";

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
  return (
    <Layout route={route}>
      <PageFor route={route} />
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
    case "not_found":
      return <NotFoundPage path={route.path} />;
  }
}

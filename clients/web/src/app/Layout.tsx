/**
 * The frame around every page: the navigation, the notification bell, who is signed in, the language and
 * sign-out.
 */
import type { ReactNode } from "react";
import { defineMessages, useLocale, useMessages } from "../i18n/i18n";
import { label, ROLE } from "../i18n/labels";
import { LocaleSwitch } from "../ui/LocaleSwitch";
import { NotificationBell } from "../views/notifications/NotificationBell";
import { Link, type Route } from "./router";
import { useSession } from "./session";

export const navMessages = defineMessages({
  en: {
    skip: "Skip to content",
    nav: "Main",
    accounts: "My accounts",
    funnel: "Funnel",
    service: "SLA board",
    tiers: "Tiers",
    teams: "Teams",
    competitors: "Competitors",
    signOut: "Sign out",
  },
  "zh-CN": {
    skip: "跳到正文",
    nav: "主导航",
    accounts: "我的客户",
    funnel: "商机漏斗",
    service: "服务看板",
    tiers: "客户分级",
    teams: "团队",
    competitors: "竞争对手",
    signOut: "退出登录",
  },
});

const SECTIONS = [
  { key: "accounts", to: { page: "accounts" }, pages: ["accounts", "account", "brief", "group"] },
  { key: "funnel", to: { page: "funnel" }, pages: ["funnel"] },
  { key: "service", to: { page: "service" }, pages: ["service", "request"] },
  { key: "tiers", to: { page: "tiers" }, pages: ["tiers"] },
  { key: "teams", to: { page: "teams" }, pages: ["teams"] },
  { key: "competitors", to: { page: "competitors" }, pages: ["competitors"] },
] as const satisfies readonly { key: string; to: Route; pages: readonly Route["page"][] }[];

export function Layout({ route, children }: { route: Route; children: ReactNode }) {
  const t = useMessages(navMessages);
  const { locale } = useLocale();
  const { me, signOut } = useSession();
  return (
    <div className="app">
      <a className="skip-link" href="#content">
        {t.skip}
      </a>
      <header className="top-bar">
        <span className="brand">KAM</span>
        <nav aria-label={t.nav}>
          <ul>
            {SECTIONS.map((section) => (
              <li key={section.key} aria-current={(section.pages as readonly string[]).includes(route.page) ? "page" : undefined}>
                <Link to={section.to}>{t[section.key]}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <NotificationBell current={route.page === "notifications"} />
          <span className="who-name">{me.fullName || me.email}</span>
          <span className="who-roles">{me.roles.map((role) => label(ROLE, locale, role)).join(", ")}</span>
          <LocaleSwitch />
          <button type="button" onClick={signOut}>
            {t.signOut}
          </button>
        </div>
      </header>
      <main id="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

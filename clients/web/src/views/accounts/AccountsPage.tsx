/**
 * My accounts: the accounts the caller may see (a MEMBER's are scoped by the server), searched and
 * filtered by the server, a page of 100 at a time, with each row's health, SLA, cadence and key-date
 * figures joined from portfolio reports read once. ADMIN and MANAGER create accounts here.
 */
import { Lifecycle, Tier } from "@kam/client";
import { useEffect, useId, useMemo, useState } from "react";
import { canManage, useApi, useSession } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { LIFECYCLE, TIER, label } from "../../i18n/labels";
import { SegmentPicker } from "../../segments/SegmentPicker";
import { useSegments } from "../../segments/useSegments";
import { Page } from "../../ui/Page";
import { AccountTable } from "./AccountTable";
import { messages } from "./messages";
import { ACCOUNT_ORDERS, industriesOf, joinRows, NO_FILTERS, type AccountFilters, type AccountOrder } from "./model";
import { NewAccountForm } from "./NewAccountForm";
import { useAccountPages } from "./useAccountPages";
import { usePortfolioReports } from "./usePortfolioReports";
import "./accounts.css";

const TIERS = [Tier.STRATEGIC, Tier.KEY, Tier.GROWTH, Tier.STANDARD];
const LIFECYCLES = [Lifecycle.PROSPECT, Lifecycle.ACTIVE, Lifecycle.DORMANT, Lifecycle.CHURNED];
/** Typing settles for this long before the server is asked. */
const TYPING_PAUSE_MS = 300;

export function AccountsPage() {
  const t = useMessages(messages);
  const api = useApi();
  const { me } = useSession();
  const [filters, setFilters] = useState<AccountFilters>(NO_FILTERS);
  const serverFilters = useSettled(filters);
  const pages = useAccountPages(api, serverFilters);
  const portfolio = usePortfolioReports(api);
  const [creating, setCreating] = useState(false);

  const rows = useMemo(() => joinRows(pages.accounts, portfolio.reports), [pages.accounts, portfolio.reports]);

  return (
    <Page
      title={t.title}
      loading={pages.loading}
      error={pages.error}
      actions={
        canManage(me) &&
        !creating && (
          <button type="button" onClick={() => setCreating(true)}>
            {t.newAccount}
          </button>
        )
      }
    >
      {creating && <NewAccountForm onCancel={() => setCreating(false)} />}
      <Filters filters={filters} onChange={setFilters} industries={industriesOf(pages.accounts)} />
      {portfolio.pending > 0 && <p className="muted small">{t.figuresLoading}</p>}
      {portfolio.pending === 0 && portfolio.failed > 0 && <p className="muted small">{t.figuresPartial}</p>}
      <AccountTable rows={rows} />
      {rows.length === 0 && !pages.loading && <p className="muted">{t.empty}</p>}
      <div className="list-footer" aria-live="polite">
        <span className="muted">
          {t.loaded(pages.accounts.length)} {pages.hasMore ? t.moreAvailable : t.allLoaded}
        </span>
        {pages.hasMore && (
          <button type="button" className="secondary" onClick={pages.loadMore} disabled={pages.loading}>
            {pages.loading ? t.loading : t.loadMore}
          </button>
        )}
      </div>
    </Page>
  );
}

/** The filters once typing has paused: the server is not asked on every key. */
function useSettled(filters: AccountFilters): AccountFilters {
  const [settled, setSettled] = useState(filters);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(filters), TYPING_PAUSE_MS);
    return () => window.clearTimeout(timer);
  }, [filters]);
  return settled;
}

function Filters({
  filters,
  onChange,
  industries,
}: {
  filters: AccountFilters;
  onChange: (filters: AccountFilters) => void;
  industries: string[];
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const industryList = useId();
  const segments = useSegments();
  const set = <K extends keyof AccountFilters>(key: K, value: AccountFilters[K]) =>
    onChange({ ...filters, [key]: value });
  return (
    <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
      <label>
        {t.search}
        <input
          type="search"
          name="query"
          placeholder={t.searchHint}
          value={filters.query}
          onChange={(event) => set("query", event.target.value)}
        />
      </label>
      <label>
        {t.tier}
        <select name="tier" value={filters.tier} onChange={(event) => set("tier", Number(event.target.value) as Tier)}>
          <option value={Tier.TIER_UNSPECIFIED}>{t.any}</option>
          {TIERS.map((tier) => (
            <option key={tier} value={tier}>
              {label(TIER, locale, tier)}
            </option>
          ))}
        </select>
      </label>
      <SegmentPicker
        label={t.industry}
        name="industry_code"
        segments={segments.data?.industries}
        value={filters.industryCode}
        onChange={(code) => set("industryCode", code)}
        emptyLabel={t.any}
      />
      <SegmentPicker
        label={t.region}
        name="region_code"
        segments={segments.data?.regions}
        value={filters.regionCode}
        onChange={(code) => set("regionCode", code)}
        emptyLabel={t.any}
      />
      <label>
        {t.lifecycle}
        <select
          name="lifecycle"
          value={filters.lifecycle}
          onChange={(event) => set("lifecycle", Number(event.target.value) as Lifecycle)}
        >
          <option value={Lifecycle.LIFECYCLE_UNSPECIFIED}>{t.any}</option>
          {LIFECYCLES.map((lifecycle) => (
            <option key={lifecycle} value={lifecycle}>
              {label(LIFECYCLE, locale, lifecycle)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.industryText}
        <input
          name="industry"
          list={industryList}
          value={filters.industry}
          onChange={(event) => set("industry", event.target.value)}
        />
        <datalist id={industryList}>
          {industries.map((industry) => (
            <option key={industry} value={industry} />
          ))}
        </datalist>
      </label>
      <label>
        {t.regionText}
        <input
          name="region"
          placeholder={t.regionHint}
          value={filters.region}
          onChange={(event) => set("region", event.target.value)}
        />
      </label>
      <label>
        {t.order}
        <select
          name="order"
          value={filters.orderBy}
          onChange={(event) => set("orderBy", event.target.value as AccountOrder)}
        >
          {ACCOUNT_ORDERS.map((order) => (
            <option key={order} value={order}>
              {t[`order_${order}`]}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

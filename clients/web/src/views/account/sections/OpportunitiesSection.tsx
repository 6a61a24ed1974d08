/**
 * The account's opportunities: stage, exact amount, expected close, probability, owner and MAN
 * qualification (Money/budget, Authority, Need), open deals first, with the open pipeline summed per
 * currency (never converted). The funnel page shows them among all accounts.
 */
import { Outcome, type Account, type Money, type Opportunity, type Pipeline } from "@kam/client";
import { useMemo } from "react";
import { Link } from "../../../app/router";
import { useApi } from "../../../app/session";
import { useLoad } from "../../../api/useLoad";
import { addMoney, formatMoney } from "../../../format/money";
import { formatDate } from "../../../format/time";
import { defineMessages, useLocale, useMessages } from "../../../i18n/i18n";
import { nameOf, useStaffNames } from "./staff";
import { Loading, SectionFrame } from "./SectionFrame";

const messages = defineMessages({
  en: {
    title: "Opportunities",
    loading: "Loading opportunities…",
    none: "No opportunities yet.",
    funnel: "Funnel",
    name: "Opportunity",
    stage: "Stage",
    amount: "Amount",
    close: "Expected close",
    probability: "Probability",
    owner: "Owner",
    man: "MAN",
    openPipeline: "Open pipeline",
    won: "Won",
    lost: "Lost",
    budget: "Money (budget)",
    authority: "Authority",
    need: "Need",
    confirmed: "confirmed",
    open: "open",
    manSummary: (count: number) => `${count} of 3 confirmed`,
    percent: (value: number) => `${value} %`,
    more: "Showing the first 100; see the funnel for all.",
  },
  "zh-CN": {
    title: "商机",
    loading: "正在加载商机…",
    none: "暂无商机。",
    funnel: "销售漏斗",
    name: "商机",
    stage: "阶段",
    amount: "金额",
    close: "预计成交日期",
    probability: "赢率",
    owner: "负责人",
    man: "MAN 资格",
    openPipeline: "在途商机金额",
    won: "赢单",
    lost: "丢单",
    budget: "预算（M）",
    authority: "决策权（A）",
    need: "需求（N）",
    confirmed: "已确认",
    open: "待确认",
    manSummary: (count: number) => `已确认 ${count}/3`,
    percent: (value: number) => `${value}%`,
    more: "仅显示前 100 条，全部请见销售漏斗。",
  },
});

export function OpportunitiesSection({ account }: { account: Account }) {
  const api = useApi();
  const t = useMessages(messages);
  const { locale } = useLocale();
  const staff = useStaffNames(api);
  const opportunities = useLoad(
    (signal) =>
      api.opportunities.listOpportunities(
        { accountId: account.id, orderBy: "create_time desc", pageSize: 100 },
        { signal },
      ),
    [api, account.id],
  );
  // Stage names come from the pipelines (a handful), not one request per opportunity.
  const pipelines = useLoad((signal) => api.opportunities.listPipelines({ pageSize: 100 }, { signal }), [api]);
  const stageName = useMemo(() => stageNames(pipelines.data?.pipelines ?? []), [pipelines.data]);

  const list = useMemo(() => {
    const all = opportunities.data?.opportunities ?? [];
    // Open deals first; the server's order (newest first) within each group.
    return [...all.filter(isOpen), ...all.filter((o) => !isOpen(o))];
  }, [opportunities.data]);
  const pipelineTotals = useMemo(() => openTotals(list), [list]);

  return (
    <SectionFrame
      title={t.title}
      testId="opportunities-section"
      error={opportunities.error}
      loading={opportunities.loading}
      actions={<Link to={{ page: "funnel" }}>{t.funnel}</Link>}
    >
      {!opportunities.data && opportunities.loading && <Loading text={t.loading} />}
      {opportunities.data && list.length === 0 && <p className="muted">{t.none}</p>}
      {pipelineTotals.length > 0 && (
        <ul className="figures">
          {pipelineTotals.map((total) => (
            <li key={total.currencyCode}>
              <span className="figure-label">{t.openPipeline}</span>
              <span className="figure-value" data-testid={`open-pipeline-${total.currencyCode}`}>
                {formatMoney(total, locale)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.name}</th>
              <th scope="col">{t.stage}</th>
              <th scope="col" className="number">
                {t.amount}
              </th>
              <th scope="col">{t.close}</th>
              <th scope="col" className="number">
                {t.probability}
              </th>
              <th scope="col">{t.owner}</th>
              <th scope="col">{t.man}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((opportunity) => (
              <tr key={opportunity.id} data-testid={`opportunity-${opportunity.id}`}>
                <td>{opportunity.displayName}</td>
                <td>
                  {opportunity.outcome === Outcome.WON && <span className="badge good">{t.won}</span>}
                  {opportunity.outcome === Outcome.LOST && <span className="badge bad">{t.lost}</span>}
                  {isOpen(opportunity) && (stageName.get(`${opportunity.pipelineId}/${opportunity.stage}`) ?? opportunity.stage)}
                </td>
                <td className="number">{opportunity.amount ? formatMoney(opportunity.amount, locale) : "—"}</td>
                <td>{formatDate(opportunity.expectedCloseDate, locale) || "—"}</td>
                <td className="number">{t.percent(opportunity.probability)}</td>
                <td>{nameOf(staff, opportunity.ownerStaffId)}</td>
                <td>
                  <ManFlags opportunity={opportunity} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {opportunities.data?.nextPageToken && <p className="muted">{t.more}</p>}
    </SectionFrame>
  );
}

/** The three MAN flags as ✓/○ with their words for screen readers and a count. */
function ManFlags({ opportunity }: { opportunity: Opportunity }) {
  const t = useMessages(messages);
  const q = opportunity.qualification;
  const flags = [
    { key: "M", name: t.budget, on: q?.budgetConfirmed ?? false },
    { key: "A", name: t.authority, on: q?.authorityConfirmed ?? false },
    { key: "N", name: t.need, on: q?.needConfirmed ?? false },
  ];
  const confirmed = flags.filter((flag) => flag.on).length;
  return (
    <span className="sections-man-flags" data-testid="man-flags" data-confirmed={confirmed}>
      {flags.map((flag) => (
        <span
          key={flag.key}
          className={`badge ${flag.on ? "good" : ""}`}
          title={`${flag.name}: ${flag.on ? t.confirmed : t.open}`}
        >
          {flag.key}
          {flag.on ? " ✓" : " ○"}
          <span className="visually-hidden">{` ${flag.name}: ${flag.on ? t.confirmed : t.open}`}</span>
        </span>
      ))}{" "}
      <span className="muted">{t.manSummary(confirmed)}</span>
    </span>
  );
}

function isOpen(opportunity: Opportunity): boolean {
  return opportunity.outcome === Outcome.OUTCOME_UNSPECIFIED;
}

function stageNames(pipelines: readonly Pipeline[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) names.set(`${pipeline.id}/${stage.key}`, stage.displayName);
  }
  return names;
}

/** The open deals' amounts summed exactly, one sum per currency. */
function openTotals(opportunities: readonly Opportunity[]): Money[] {
  const totals = new Map<string, Money>();
  for (const opportunity of opportunities) {
    const amount = opportunity.amount;
    if (!isOpen(opportunity) || !amount || amount.currencyCode === "") continue;
    const known = totals.get(amount.currencyCode);
    totals.set(amount.currencyCode, known ? addMoney(known, amount) : amount);
  }
  return [...totals.values()].sort((a, b) => a.currencyCode.localeCompare(b.currencyCode));
}

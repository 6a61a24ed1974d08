/**
 * A group company as one customer (GetGroupSummary): the account with every account below it, as a
 * tree with each member's tier, revenue, health and coverage gaps, and the group's totals — revenue
 * against the year before, open and weighted pipeline per currency, SLA compliance, the group's health
 * with each signal naming the member it comes from, the members lacking coverage and the members per
 * tier. Reached from the account page of any account with a parent or subsidiaries.
 */
import { AccountHealth_Level, type GroupSummary, type GroupSummary_Member } from "@kam/client";
import { useId, useMemo, type ReactNode } from "react";
import { useLoad } from "../../api/useLoad";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { amountsText, changePercent, formatMoney } from "../../format/money";
import { formatTime } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { HEALTH_LEVEL, HEALTH_SIGNAL, LIFECYCLE, TEAM_ROLE, TIER, label } from "../../i18n/labels";
import { nameOfCode } from "../../segments/model";
import { useSegments } from "../../segments/useSegments";
import { Page } from "../../ui/Page";
import { signedPercent } from "../brief/model";
import { messages } from "./messages";
import { childCounts, memberOfSignal, orderGroupSignals, treeLevel } from "./model";
import "./group.css";

const LEVEL_TONE: Partial<Record<AccountHealth_Level, string>> = {
  [AccountHealth_Level.HEALTHY]: "good",
  [AccountHealth_Level.WATCH]: "warn",
  [AccountHealth_Level.AT_RISK]: "bad",
};

export function GroupPage({ id }: { id: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const loaded = useLoad((signal) => api.planning.getGroupSummary({ accountId: id }, { signal }), [api, id]);
  const group = loaded.data;
  const actions = (
    <div className="group-links">
      <Link to={{ page: "account", id }}>{t.backToAccount}</Link>
      {group && group.topAccountId !== "" && group.topAccountId !== id && (
        <Link to={{ page: "group", id: group.topAccountId }} data-testid="whole-group-link">
          {t.wholeGroup}
        </Link>
      )}
    </div>
  );
  return (
    <Page
      title={group ? t.title(group.accountDisplayName) : loaded.error ? id : t.loading}
      loading={loaded.loading}
      error={loaded.error}
      actions={actions}
    >
      {group && <Group group={group} />}
    </Page>
  );
}

function Group({ group }: { group: GroupSummary }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <div className="group-page" data-testid="group">
      {group.computeTime && <p className="muted">{t.computed(formatTime(group.computeTime, locale))}</p>}
      <Totals group={group} />
      <Members group={group} />
      <Signals group={group} />
    </div>
  );
}

function Part({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="card group-section" aria-labelledby={headingId} data-testid={testId}>
      <h2 id={headingId}>{title}</h2>
      {children}
    </section>
  );
}

function Figure({ term, testId, children }: { term: string; testId: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

function Totals({ group }: { group: GroupSummary }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const change = group.revenue && group.previousRevenue ? changePercent(group.revenue, group.previousRevenue) : undefined;
  const sla = group.slaCompliance;
  const concluded = sla ? sla.met + sla.breached : 0n;
  return (
    <Part title={t.totals} testId="group-totals">
      <dl className="group-figures">
        <Figure term={t.revenue} testId="group-revenue">
          {group.revenue ? formatMoney(group.revenue, locale) : t.none}
        </Figure>
        <Figure term={t.previousRevenue} testId="group-previous-revenue">
          {group.previousRevenue ? formatMoney(group.previousRevenue, locale) : t.none}
        </Figure>
        <Figure term={t.change} testId="group-revenue-change">
          {change === undefined ? (
            <span className="muted">{t.noComparison}</span>
          ) : (
            <span className={change < 0 ? "group-down" : change > 0 ? "group-up" : undefined}>{signedPercent(change, locale)}</span>
          )}
        </Figure>
        <Figure term={t.openPipeline} testId="group-open-pipeline">
          {amountsText(group.openPipeline, locale, t.none)}
        </Figure>
        <Figure term={t.weightedPipeline} testId="group-weighted-pipeline">
          {amountsText(group.weightedPipeline, locale, t.none)}
        </Figure>
        <Figure term={t.slaCompliance} testId="group-sla">
          {sla && concluded > 0n ? (
            t.compliance(sla.percentMet.toFixed(1), String(sla.met), String(sla.breached))
          ) : (
            <span className="muted">{t.noTargets}</span>
          )}
        </Figure>
        <Figure term={t.healthScore} testId="group-health">
          <span aria-label={`${t.healthScore}: ${t.outOf(group.healthScore)}`}>{group.healthScore}</span>{" "}
          <span className={`badge ${LEVEL_TONE[group.healthLevel] ?? ""}`} data-testid="group-health-level">
            {label(HEALTH_LEVEL, locale, group.healthLevel)}
          </span>
        </Figure>
        <Figure term={t.missingCoverage} testId="group-missing-coverage">
          {t.membersCount(group.membersMissingCoverage)}
        </Figure>
        <Figure term={t.tiers} testId="group-tiers">
          {group.tiers.length === 0 ? (
            t.none
          ) : (
            <ul className="group-tier-counts">
              {group.tiers.map((count) => (
                <li key={count.tier}>
                  {label(TIER, locale, count.tier)}: {count.accountCount}
                </li>
              ))}
            </ul>
          )}
        </Figure>
      </dl>
    </Part>
  );
}

function Members({ group }: { group: GroupSummary }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const segments = useSegments();
  const children = useMemo(() => childCounts(group.members), [group.members]);
  const segmentText = (member: GroupSummary_Member) =>
    [
      member.industryCode === "" ? "" : nameOfCode(segments.data?.industries, member.industryCode, locale),
      member.regionCode === "" ? "" : nameOfCode(segments.data?.regions, member.regionCode, locale),
    ]
      .filter((part) => part !== "")
      .join(" / ") || t.none;
  return (
    <Part title={t.members} testId="group-members">
      <table className="group-tree">
        <caption className="visually-hidden">{t.membersCaption}</caption>
        <thead>
          <tr>
            <th scope="col">{t.account}</th>
            <th scope="col">{t.tier}</th>
            <th scope="col" className="number">
              {t.revenue}
            </th>
            <th scope="col">{t.health}</th>
            <th scope="col">{t.gaps}</th>
            <th scope="col">{t.lifecycle}</th>
            <th scope="col">{t.segment}</th>
          </tr>
        </thead>
        <tbody>
          {group.members.map((member) => {
            const level = treeLevel(member);
            const subsidiaries = children.get(member.accountId) ?? 0;
            return (
              <tr key={member.accountId} data-testid={`group-member-${member.accountId}`} data-depth={level}>
                <th scope="row" className="group-tree-name">
                  <span className="group-tree-indent" style={{ paddingLeft: `${level * 1.5}em` }}>
                    {level > 0 && (
                      <span aria-hidden="true" className="group-tree-branch">
                        └{" "}
                      </span>
                    )}
                    <Link to={{ page: "account", id: member.accountId }}>{member.displayName}</Link>
                  </span>
                  {subsidiaries > 0 && <div className="muted small group-tree-count">{t.subsidiaries(subsidiaries)}</div>}
                </th>
                <td>{label(TIER, locale, member.tier)}</td>
                <td className="number">{member.revenue ? formatMoney(member.revenue, locale) : t.none}</td>
                <td>
                  {member.healthScore}{" "}
                  <span className={`badge ${LEVEL_TONE[member.healthLevel] ?? ""}`}>{label(HEALTH_LEVEL, locale, member.healthLevel)}</span>
                </td>
                <td>
                  {member.missingRoles.length === 0 && member.missingLiaisons.length === 0 ? (
                    <span className="muted">{t.covered}</span>
                  ) : (
                    <ul className="group-gaps">
                      {member.missingRoles.map((role) => (
                        <li key={role}>{label(TEAM_ROLE, locale, role)}</li>
                      ))}
                      {member.missingLiaisons.map((department) => (
                        <li key={`liaison-${department}`}>{t.liaison(department)}</li>
                      ))}
                    </ul>
                  )}
                </td>
                <td>{label(LIFECYCLE, locale, member.lifecycle)}</td>
                <td>{segmentText(member)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {group.truncated && <p className="muted small">{t.truncated}</p>}
    </Part>
  );
}

function Signals({ group }: { group: GroupSummary }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const signals = orderGroupSignals(group.healthSignals);
  return (
    <Part title={t.signals} testId="group-signals">
      {signals.length === 0 ? (
        <p className="muted">{t.noSignals}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.signal}</th>
              <th scope="col">{t.member}</th>
              <th scope="col">{t.state}</th>
              <th scope="col" className="number">
                {t.pointsOff}
              </th>
              <th scope="col">{t.evidence}</th>
            </tr>
          </thead>
          <tbody>
            {signals.map((signal) => {
              const member = memberOfSignal(signal, group.members);
              return (
                <tr key={signal.kind} data-testid={`group-signal-${signal.kind}`} className={signal.triggered ? "group-triggered" : undefined}>
                  <th scope="row">{label(HEALTH_SIGNAL, locale, signal.kind)}</th>
                  <td>{member ? <Link to={{ page: "account", id: member.accountId }}>{member.displayName}</Link> : t.none}</td>
                  <td>
                    <span className={`badge ${signal.triggered ? "bad" : "good"}`}>{signal.triggered ? t.triggered : t.clear}</span>
                  </td>
                  <td className="number">
                    {signal.penalty} / {signal.weight}
                  </td>
                  <td>{signal.evidence}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Part>
  );
}

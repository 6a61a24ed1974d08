/**
 * The visit brief of one account (GetAccountBrief): everything to read before a visit, on one page
 * laid out for the screen and for paper. The account and when the brief was read; its health and
 * revenue trend; our team; the key people and the dates coming up; the deals and service requests in
 * play; the active plan and the actions due; the last interactions and their next steps; the contact
 * cadences missed. The horizon (30, 60 or 90 days) is kept in the address (`?horizon=`), so a brief
 * can be bookmarked or sent; "Print" prints it (see brief.css for the paper layout).
 */
import {
  AccountHealth_Level,
  SlaTarget_State,
  type AccountBrief,
  type Contact,
  type Pipeline,
  type ServiceRequest,
  type SlaTarget,
  type UpcomingKeyDate,
} from "@kam/client";
import { useId, useMemo, useState, type ReactNode } from "react";
import { useLoad } from "../../api/useLoad";
import { Link, pathOf } from "../../app/router";
import { useApi } from "../../app/session";
import { formatMoney } from "../../format/money";
import { formatDate, formatTime } from "../../format/time";
import { useLocale, useMessages, type Locale } from "../../i18n/i18n";
import {
  CADENCE_KIND,
  HEALTH_LEVEL,
  HEALTH_SIGNAL,
  KEY_DATE_KIND,
  LIFECYCLE,
  RAD_STATUS,
  RELATIONSHIP_STAGE,
  TEAM_ROLE,
  TIER,
  label,
} from "../../i18n/labels";
import { Page } from "../../ui/Page";
import { ATTITUDE, BUYING_ROLE } from "../account/messages";
import { INTERACTION_TYPE } from "../account/sections/interactionLabels";
import { nameOf, useStaffNames } from "../account/sections/staff";
import { PRIORITY, SLA_STATE, STATUS } from "../service/labels";
import { ACTION_STATUS, messages } from "./messages";
import {
  HORIZONS,
  formatDay,
  formatMonth,
  isOverdue,
  objectivePercent,
  orderSignals,
  parseHorizon,
  probabilityOf,
  readDay,
  signedPercent,
  staffNamesOf,
  truncatedLists,
  type Horizon,
} from "./model";
import "./brief.css";

type T = typeof messages.en;

export function BriefPage({ id }: { id: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const horizonId = useId();
  const [horizon, setHorizonState] = useState<Horizon>(() => parseHorizon(window.location.search));
  const setHorizon = (next: Horizon) => {
    setHorizonState(next);
    // In the address too (replacing it: the back button still leaves the brief).
    const path = pathOf({ page: "brief", id });
    window.history.replaceState(null, "", next === HORIZONS[0] ? path : `${path}?horizon=${next}`);
  };
  const loaded = useLoad(
    (signal) => api.planning.getAccountBrief({ accountId: id, horizonDays: horizon }, { signal }),
    [api, id, horizon],
  );
  const brief = loaded.data;
  const name = brief?.account?.displayName ?? id;

  const controls = (
    <div className="brief-controls">
      <Link to={{ page: "account", id }}>{t.backToAccount}</Link>
      <label htmlFor={horizonId}>{t.horizon}</label>
      <select
        id={horizonId}
        name="horizon"
        value={horizon}
        onChange={(event) => setHorizon(Number(event.target.value) as Horizon)}
      >
        {HORIZONS.map((days) => (
          <option key={days} value={days}>
            {t.horizonDays(days)}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => window.print()}>
        {t.print}
      </button>
    </div>
  );

  return (
    <Page title={brief ? t.title(name) : t.loading} loading={loaded.loading} error={loaded.error} actions={controls}>
      {brief && <Brief brief={brief} />}
    </Page>
  );
}

function Brief({ brief }: { brief: AccountBrief }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const directory = useStaffNames(api);
  const names = useMemo(() => staffNamesOf(brief, directory), [brief, directory]);
  // Stage names come from the pipelines (a handful); a stage key shows as itself until they arrive.
  const pipelines = useLoad((signal) => api.opportunities.listPipelines({ pageSize: 100 }, { signal }), [api]);
  const stageName = useMemo(() => stageNames(pipelines.data?.pipelines ?? []), [pipelines.data]);
  const truncated = truncatedLists(brief);
  const account = brief.account;
  const deleted = account?.deleteTime !== undefined;

  return (
    <div className="brief-page" data-testid="brief">
      <p className="muted brief-as-of">{t.asOf(formatTime(brief.readTime, locale), brief.horizonDays)}</p>
      {account && (
        <dl className="brief-facts">
          <Fact term={t.tier}>{label(TIER, locale, account.tier)}</Fact>
          <Fact term={t.lifecycle}>{label(LIFECYCLE, locale, account.lifecycle)}</Fact>
          <Fact term={t.relationshipStage}>{label(RELATIONSHIP_STAGE, locale, account.relationshipStage)}</Fact>
          <Fact term={t.radStatus}>{label(RAD_STATUS, locale, account.radStatus)}</Fact>
          {account.region !== "" && <Fact term={t.region}>{account.region}</Fact>}
          {account.industry !== "" && <Fact term={t.industry}>{account.industry}</Fact>}
          {account.legalName !== "" && <Fact term={t.legalName}>{account.legalName}</Fact>}
        </dl>
      )}
      {deleted && <p className="badge bad">{t.deleted}</p>}

      <div className="brief-columns">
        <HealthPart brief={brief} />
        <RevenuePart brief={brief} />
      </div>
      <TeamPart brief={brief} />
      <KeyPeoplePart people={brief.keyPeople} more={truncated.has("key_people")} />
      <KeyDatesPart keyDates={brief.keyDates} horizon={brief.horizonDays} more={truncated.has("key_dates")} />
      <Part title={t.opportunities} testId="brief-opportunities" more={truncated.has("open_opportunities")}>
        {brief.openOpportunities.length === 0 ? (
          <p className="muted">{t.noOpportunities}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t.opportunity}</th>
                <th scope="col">{t.stage}</th>
                <th scope="col" className="number">
                  {t.amount}
                </th>
                <th scope="col" className="number">
                  {t.probability}
                </th>
                <th scope="col">{t.close}</th>
                <th scope="col">{t.owner}</th>
                <th scope="col">{t.nextStep}</th>
              </tr>
            </thead>
            <tbody>
              {brief.openOpportunities.map((opportunity) => (
                <tr key={opportunity.id} data-testid={`brief-opportunity-${opportunity.id}`}>
                  <th scope="row">{opportunity.displayName}</th>
                  <td>{stageName.get(`${opportunity.pipelineId}/${opportunity.stage}`) ?? opportunity.stage}</td>
                  <td className="number">{opportunity.amount ? formatMoney(opportunity.amount, locale) : "—"}</td>
                  <td className="number">{t.percent(probabilityOf(opportunity))}</td>
                  <td>{formatDate(opportunity.expectedCloseDate, locale) || "—"}</td>
                  <td>{nameOf(names, opportunity.ownerStaffId)}</td>
                  <td>{opportunity.nextStep}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Part>
      <ServicePart requests={brief.openServiceRequests} names={names} more={truncated.has("open_service_requests")} />
      <PlanPart brief={brief} />
      <Part title={t.actionsDue} testId="brief-actions" more={truncated.has("actions_due")}>
        {brief.actionsDue.length === 0 ? (
          <p className="muted">{t.noActions(brief.horizonDays)}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t.date}</th>
                <th scope="col">{t.action}</th>
                <th scope="col">{t.status}</th>
                <th scope="col">{t.owner}</th>
              </tr>
            </thead>
            <tbody>
              {brief.actionsDue.map((action) => {
                const overdue = isOverdue(action, readDay(brief));
                return (
                  <tr key={action.id} data-testid={`brief-action-${action.id}`} data-overdue={overdue ? "true" : "false"}>
                    <td>
                      {formatDate(action.dueDate, locale)}
                      {overdue && <span className="badge bad brief-overdue">{t.overdue}</span>}
                    </td>
                    <th scope="row">{action.title}</th>
                    <td>{label(ACTION_STATUS, locale, action.status)}</td>
                    <td>{action.ownerStaffId === "" ? "—" : nameOf(names, action.ownerStaffId)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Part>
      <Part title={t.interactions} testId="brief-interactions">
        {brief.recentInteractions.length === 0 ? (
          <p className="muted">{t.noInteractions}</p>
        ) : (
          <ol className="brief-interactions">
            {brief.recentInteractions.map((interaction) => (
              <li key={interaction.id} data-testid={`brief-interaction-${interaction.id}`}>
                <p className="brief-interaction-head">
                  <strong>{label(INTERACTION_TYPE, locale, interaction.type)}</strong>{" "}
                  <span className="muted">
                    {formatTime(interaction.occurTime, locale)}
                    {interaction.staffIds.length > 0 &&
                      ` · ${t.with(interaction.staffIds.map((staffId) => nameOf(names, staffId)).join(", "))}`}
                    {interaction.satisfaction > 0 && ` · ${t.satisfaction(interaction.satisfaction)}`}
                  </span>
                </p>
                {interaction.summary !== "" && <p>{interaction.summary}</p>}
                {interaction.outcome !== "" && (
                  <p>
                    <span className="brief-term">{t.outcome}:</span> {interaction.outcome}
                  </p>
                )}
                {interaction.nextStep !== "" && (
                  <p className="brief-next-step">
                    <span className="brief-term">{t.nextStep}:</span> {interaction.nextStep}
                  </p>
                )}
              </li>
            ))}
          </ol>
        )}
      </Part>
      <Part title={t.cadence} testId="brief-cadence">
        {brief.overdueCadence.length === 0 ? (
          <p className="muted">{t.noCadence}</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">{t.kind}</th>
                <th scope="col">{t.interval}</th>
                <th scope="col">{t.dueSince}</th>
                <th scope="col" className="number">
                  {t.daysOverdue}
                </th>
                <th scope="col">{t.lastTime}</th>
              </tr>
            </thead>
            <tbody>
              {brief.overdueCadence.map((overdue) => (
                <tr key={overdue.kind}>
                  <th scope="row">{label(CADENCE_KIND, locale, overdue.kind)}</th>
                  <td>{t.every(overdue.intervalDays)}</td>
                  <td>{formatDay(overdue.dueTime, locale)}</td>
                  <td className="number">{t.days(overdue.daysOverdue)}</td>
                  <td>{overdue.lastTime ? formatDay(overdue.lastTime, locale) : t.never}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Part>
    </div>
  );
}

/** One section of the brief: a region named by its heading, kept on one sheet of paper when it fits. */
function Part({
  title,
  testId,
  more = false,
  className,
  children,
}: {
  title: string;
  testId: string;
  more?: boolean;
  className?: string;
  children: ReactNode;
}) {
  const t = useMessages(messages);
  const headingId = useId();
  return (
    <section className={`card brief-section${className ? ` ${className}` : ""}`} aria-labelledby={headingId} data-testid={testId}>
      <h2 id={headingId}>{title}</h2>
      {children}
      {more && <p className="muted small">{t.more}</p>}
    </section>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const LEVEL_TONE: Partial<Record<AccountHealth_Level, string>> = {
  [AccountHealth_Level.HEALTHY]: "good",
  [AccountHealth_Level.WATCH]: "warn",
  [AccountHealth_Level.AT_RISK]: "bad",
};

function HealthPart({ brief }: { brief: AccountBrief }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const health = brief.health;
  return (
    <Part title={t.health} testId="brief-health">
      {!health ? (
        <p className="muted">{t.noHealth}</p>
      ) : (
        <>
          <p className="brief-score">
            <span className="brief-score-value" aria-label={`${t.score}: ${t.outOf(health.score)}`}>
              {health.score}
            </span>
            <span className={`badge ${LEVEL_TONE[health.level] ?? ""}`} data-testid="brief-health-level">
              {label(HEALTH_LEVEL, locale, health.level)}
            </span>
          </p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.signal}</th>
                <th scope="col">{t.state}</th>
                <th scope="col" className="number">
                  {t.pointsOff}
                </th>
                <th scope="col">{t.evidence}</th>
              </tr>
            </thead>
            <tbody>
              {orderSignals(health.signals).map((signal) => (
                <tr key={signal.kind} className={signal.triggered ? "brief-triggered" : undefined}>
                  <th scope="row">{label(HEALTH_SIGNAL, locale, signal.kind)}</th>
                  <td>
                    <span className={`badge ${signal.triggered ? "bad" : "good"}`}>
                      {signal.triggered ? t.triggered : t.clear}
                    </span>
                  </td>
                  <td className="number">
                    {signal.penalty} / {signal.weight}
                  </td>
                  <td>{signal.evidence}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </Part>
  );
}

function RevenuePart({ brief }: { brief: AccountBrief }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const revenue = brief.revenue;
  return (
    <Part title={t.revenue} testId="brief-revenue">
      {!revenue ? (
        <p className="muted">{t.none}</p>
      ) : (
        <dl className="brief-figures">
          <div>
            <dt>
              {t.trailingYear}{" "}
              <span className="muted small">
                ({t.period(formatMonth(revenue.fromPeriod, locale), formatMonth(revenue.toPeriod, locale))})
              </span>
            </dt>
            <dd data-testid="brief-revenue-trailing">{revenue.trailingYear ? formatMoney(revenue.trailingYear, locale) : "—"}</dd>
          </div>
          <div>
            <dt>{t.yearBefore}</dt>
            <dd data-testid="brief-revenue-before">{revenue.yearBefore ? formatMoney(revenue.yearBefore, locale) : "—"}</dd>
          </div>
          <div>
            <dt>{t.change}</dt>
            <dd data-testid="brief-revenue-change">
              {revenue.changePercent === undefined ? (
                <span className="muted">{t.noComparison}</span>
              ) : (
                <span className={revenue.changePercent < 0 ? "brief-down" : revenue.changePercent > 0 ? "brief-up" : undefined}>
                  {signedPercent(revenue.changePercent, locale)}
                </span>
              )}
            </dd>
          </div>
        </dl>
      )}
    </Part>
  );
}

function TeamPart({ brief }: { brief: AccountBrief }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <Part title={t.team} testId="brief-team">
      {brief.team.length === 0 ? (
        <p className="muted">{t.noTeam}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.role}</th>
              <th scope="col">{t.name}</th>
              <th scope="col">{t.liaison}</th>
              <th scope="col">{t.since}</th>
            </tr>
          </thead>
          <tbody>
            {brief.team.map((seat) => (
              <tr key={seat.member?.id ?? seat.fullName}>
                <td>{seat.member ? label(TEAM_ROLE, locale, seat.member.role) : ""}</td>
                <th scope="row">{seat.fullName || seat.member?.staffId}</th>
                <td>{seat.member?.isDepartmentLiaison ? t.yes : ""}</td>
                <td>{formatDay(seat.member?.startTime, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Part>
  );
}

function KeyPeoplePart({ people, more }: { people: Contact[]; more: boolean }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <Part title={t.keyPeople} testId="brief-people" more={more}>
      {people.length === 0 ? (
        <p className="muted">{t.noPeople}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.person}</th>
              <th scope="col">{t.buyingRole}</th>
              <th scope="col">{t.man}</th>
              <th scope="col">{t.attitude}</th>
              <th scope="col">{t.strength}</th>
            </tr>
          </thead>
          <tbody>
            {people.map((contact) => (
              <tr key={contact.id} data-testid={`brief-person-${contact.id}`}>
                <th scope="row">
                  {contact.fullName}
                  {(contact.title !== "" || contact.department !== "") && (
                    <div className="muted small">{[contact.title, contact.department].filter((part) => part !== "").join(" · ")}</div>
                  )}
                </th>
                <td>{contact.buyingRole ? label(BUYING_ROLE, locale, contact.buyingRole) : ""}</td>
                <td>
                  <ManFlags contact={contact} t={t} />
                </td>
                <td>{contact.attitude ? label(ATTITUDE, locale, contact.attitude) : ""}</td>
                <td>{t.strengthOf(contact.relationshipStrength)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Part>
  );
}

function ManFlags({ contact, t }: { contact: Contact; t: T }) {
  const held = [
    { on: contact.man?.hasMoney ?? false, name: t.money },
    { on: contact.man?.hasAuthority ?? false, name: t.authority },
    { on: contact.man?.hasNeed ?? false, name: t.need },
  ].filter((flag) => flag.on);
  return <>{held.map((flag) => flag.name).join(", ")}</>;
}

function KeyDatesPart({ keyDates, horizon, more }: { keyDates: UpcomingKeyDate[]; horizon: number; more: boolean }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <Part title={t.keyDates} testId="brief-key-dates" more={more}>
      {keyDates.length === 0 ? (
        <p className="muted">{t.noKeyDates(horizon)}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.date}</th>
              <th scope="col">{t.when}</th>
              <th scope="col">{t.whose}</th>
              <th scope="col">{t.kind}</th>
              <th scope="col">{t.label}</th>
            </tr>
          </thead>
          <tbody>
            {keyDates.map((keyDate, index) => (
              <tr key={`${keyDate.contactId}/${keyDate.kind}/${keyDate.label}/${index}`}>
                <td>{formatDate(keyDate.nextOccurrence, locale)}</td>
                <td>{keyDate.daysUntil === 0 ? t.today : keyDate.daysUntil === 1 ? t.tomorrow : t.inDays(keyDate.daysUntil)}</td>
                <th scope="row">{keyDate.contactId === "" ? t.account : keyDate.contactFullName}</th>
                <td>
                  {label(KEY_DATE_KIND, locale, keyDate.kind)}
                  {keyDate.oneTime ? (
                    <span className="muted"> · {t.once}</span>
                  ) : (
                    keyDate.years > 0 && <span className="muted"> · {t.years(keyDate.years)}</span>
                  )}
                </td>
                <td>{keyDate.label}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Part>
  );
}

function ServicePart({ requests, names, more }: { requests: ServiceRequest[]; names: Map<string, string>; more: boolean }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <Part title={t.serviceRequests} testId="brief-service" more={more}>
      {requests.length === 0 ? (
        <p className="muted">{t.noRequests}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.request}</th>
              <th scope="col">{t.priority}</th>
              <th scope="col">{t.status}</th>
              <th scope="col">{t.firstResponse}</th>
              <th scope="col">{t.resolution}</th>
              <th scope="col">{t.assignee}</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((request) => (
              <tr key={request.id} data-testid={`brief-request-${request.id}`}>
                <th scope="row">
                  <Link to={{ page: "request", id: request.id }}>{request.title}</Link>
                </th>
                <td>{label(PRIORITY, locale, request.priority)}</td>
                <td>{label(STATUS, locale, request.status)}</td>
                <td>
                  <Target target={request.firstResponse} locale={locale} t={t} />
                </td>
                <td>
                  <Target target={request.resolution} locale={locale} t={t} />
                </td>
                <td>{request.assigneeStaffId === "" ? "—" : nameOf(names, request.assigneeStaffId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Part>
  );
}

const STATE_TONE: Partial<Record<SlaTarget_State, string>> = {
  [SlaTarget_State.AT_RISK]: "warn",
  [SlaTarget_State.MET]: "good",
  [SlaTarget_State.BREACHED]: "bad",
};

/** An SLA target as the brief read it: its state, and when it is due. */
function Target({ target, locale, t }: { target: SlaTarget | undefined; locale: Locale; t: T }) {
  if (!target || target.state === SlaTarget_State.STATE_UNSPECIFIED) return <>—</>;
  return (
    <>
      <span className={`badge ${STATE_TONE[target.state] ?? ""}`}>{label(SLA_STATE, locale, target.state)}</span>
      {target.dueTime && <div className="muted small">{t.due(formatTime(target.dueTime, locale))}</div>}
    </>
  );
}

function PlanPart({ brief }: { brief: AccountBrief }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <Part title={t.plan} testId="brief-plan">
      {brief.activePlans.length === 0 && <p className="muted">{t.noPlan}</p>}
      {brief.activePlans.map((plan) => (
        <div key={plan.id} className="brief-plan">
          <h3>{plan.name}</h3>
          <p className="muted">
            {t.planPeriod(formatDate(plan.periodStart, locale), formatDate(plan.periodEnd, locale))}
            {plan.revenueTarget && ` · ${t.revenueTarget}: ${formatMoney(plan.revenueTarget, locale)}`}
          </p>
          {plan.vision !== "" && (
            <p>
              <span className="brief-term">{t.vision}:</span> {plan.vision}
            </p>
          )}
          {plan.objectives.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th scope="col">{t.objective}</th>
                  <th scope="col">{t.progress}</th>
                  <th scope="col">{t.date}</th>
                </tr>
              </thead>
              <tbody>
                {plan.objectives.map((objective) => (
                  <tr key={objective.metric}>
                    <th scope="row">{objective.metric}</th>
                    <td>
                      {t.progressOf(
                        objective.currentValue.toString(),
                        objective.targetValue.toString(),
                        objectivePercent(objective.currentValue, objective.targetValue),
                      )}
                    </td>
                    <td>{formatDate(objective.dueDate, locale) || "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}
    </Part>
  );
}

function stageNames(pipelines: readonly Pipeline[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const pipeline of pipelines) {
    for (const stage of pipeline.stages) names.set(`${pipeline.id}/${stage.key}`, stage.displayName);
  }
  return names;
}

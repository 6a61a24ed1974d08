/**
 * The account's current plan (the active one, else the newest draft, else the last closed): its
 * scorecard, objectives with their progress, SWOT, competitors, whitespace, and the actions to tick
 * off. Without a plan, a manager can start one here.
 */
import {
  AccountPlan_Status,
  CompetitorAssessment_ThreatLevel,
  PlanAction_Status,
  Role,
  SwotItem_Kind,
  WhitespaceCell_Status,
  type Account,
  type AccountPlan,
  type PlanAction,
  type PlanScorecard,
  type SwotItem,
} from "@kam/client";
import { useState } from "react";
import { Link } from "../../../app/router";
import { canManage, hasRole, useApi, useSession } from "../../../app/session";
import { useAction, useLoad } from "../../../api/useLoad";
import { formatMoney } from "../../../format/money";
import { formatDate } from "../../../format/time";
import { defineMessages, useLocale, useMessages, type Locale } from "../../../i18n/i18n";
import { label, type Labels } from "../../../i18n/labels";
import { ErrorNotice } from "../../../ui/ErrorNotice";
import { CreatePlanForm } from "./CreatePlanForm";
import { currentPlan, objectiveProgress } from "./model";
import { Loading, SectionFrame } from "./SectionFrame";
import { nameOf, useStaffNames } from "./staff";

const messages = defineMessages({
  en: {
    title: "Account plan",
    loading: "Loading the plan…",
    none: "This account has no plan yet.",
    noneAskManager: "This account has no plan yet; a manager can start one.",
    period: (from: string, to: string) => `${from} – ${to}`,
    vision: "Vision",
    scorecard: "Scorecard",
    actionsDone: "Actions done",
    actionsDoneOf: (done: number, total: number, percent: number) => `${done} of ${total} (${percent} %)`,
    actionsOverdue: "Actions overdue",
    objectivesProgress: "Objectives progress",
    revenueAttainment: "Revenue against target",
    revenueOf: (actual: string, target: string, percent: number) => `${actual} of ${target} (${percent} %)`,
    walletTarget: "Share of wallet target",
    percent: (value: number) => `${value} %`,
    objectives: "Objectives",
    noObjectives: "No objectives.",
    objectiveValue: (current: string, target: string) => `${current} / ${target}`,
    dueOn: (date: string) => `due ${date}`,
    overdue: "overdue",
    reached: "reached",
    swot: "SWOT",
    noItems: "—",
    competitors: "Competitors",
    noCompetitors: "No competitors assessed.",
    competitor: "Competitor",
    unrecorded: "not a recorded competitor",
    share: "Est. share",
    threat: "Threat",
    strengths: "Strengths",
    weaknesses: "Weaknesses",
    whitespace: "Whitespace",
    noWhitespace: "No product lines mapped.",
    actions: "Actions",
    noActions: "No actions yet.",
    owner: "Owner",
    readOnly: "Your role reads the plan but does not change its actions.",
  },
  "zh-CN": {
    title: "客户计划",
    loading: "正在加载客户计划…",
    none: "该客户尚无客户计划。",
    noneAskManager: "该客户尚无客户计划，可由经理创建。",
    period: (from: string, to: string) => `${from} 至 ${to}`,
    vision: "愿景",
    scorecard: "计划记分卡",
    actionsDone: "已完成行动",
    actionsDoneOf: (done: number, total: number, percent: number) => `${done}/${total}（${percent}%）`,
    actionsOverdue: "逾期行动",
    objectivesProgress: "目标完成度",
    revenueAttainment: "营收目标达成",
    revenueOf: (actual: string, target: string, percent: number) => `${actual} / ${target}（${percent}%）`,
    walletTarget: "钱包份额目标",
    percent: (value: number) => `${value}%`,
    objectives: "计划目标",
    noObjectives: "暂无目标。",
    objectiveValue: (current: string, target: string) => `${current} / ${target}`,
    dueOn: (date: string) => `截止 ${date}`,
    overdue: "已逾期",
    reached: "已达成",
    swot: "SWOT 分析",
    noItems: "—",
    competitors: "竞争对手",
    noCompetitors: "尚未评估竞争对手。",
    competitor: "竞争对手",
    unrecorded: "未登记的竞争对手",
    share: "估计份额",
    threat: "威胁程度",
    strengths: "优势",
    weaknesses: "劣势",
    whitespace: "空白市场",
    noWhitespace: "尚未梳理产品线。",
    actions: "行动计划",
    noActions: "暂无行动。",
    owner: "负责人",
    readOnly: "您的角色可查看计划，但不能修改行动。",
  },
});

const STATUS: Labels<AccountPlan_Status> = {
  en: { [AccountPlan_Status.DRAFT]: "Draft", [AccountPlan_Status.ACTIVE]: "Active", [AccountPlan_Status.CLOSED]: "Closed" },
  "zh-CN": { [AccountPlan_Status.DRAFT]: "草稿", [AccountPlan_Status.ACTIVE]: "执行中", [AccountPlan_Status.CLOSED]: "已关闭" },
};

const SWOT: Record<Locale, Record<Exclude<SwotItem_Kind, SwotItem_Kind.KIND_UNSPECIFIED>, string>> = {
  en: {
    [SwotItem_Kind.STRENGTH]: "Strengths",
    [SwotItem_Kind.WEAKNESS]: "Weaknesses",
    [SwotItem_Kind.OPPORTUNITY]: "Opportunities",
    [SwotItem_Kind.THREAT]: "Threats",
  },
  "zh-CN": {
    [SwotItem_Kind.STRENGTH]: "优势（S）",
    [SwotItem_Kind.WEAKNESS]: "劣势（W）",
    [SwotItem_Kind.OPPORTUNITY]: "机会（O）",
    [SwotItem_Kind.THREAT]: "威胁（T）",
  },
};

const THREAT: Labels<CompetitorAssessment_ThreatLevel> = {
  en: {
    [CompetitorAssessment_ThreatLevel.LOW]: "Low",
    [CompetitorAssessment_ThreatLevel.MEDIUM]: "Medium",
    [CompetitorAssessment_ThreatLevel.HIGH]: "High",
  },
  "zh-CN": {
    [CompetitorAssessment_ThreatLevel.LOW]: "低",
    [CompetitorAssessment_ThreatLevel.MEDIUM]: "中",
    [CompetitorAssessment_ThreatLevel.HIGH]: "高",
  },
};

const WHITESPACE: Labels<WhitespaceCell_Status> = {
  en: {
    [WhitespaceCell_Status.CURRENT]: "Sold today",
    [WhitespaceCell_Status.POTENTIAL]: "Potential",
    [WhitespaceCell_Status.NONE]: "No use",
  },
  "zh-CN": {
    [WhitespaceCell_Status.CURRENT]: "已供货",
    [WhitespaceCell_Status.POTENTIAL]: "潜在机会",
    [WhitespaceCell_Status.NONE]: "无需求",
  },
};

const ACTION_STATUS: Labels<PlanAction_Status> = {
  en: {
    [PlanAction_Status.OPEN]: "Open",
    [PlanAction_Status.IN_PROGRESS]: "In progress",
    [PlanAction_Status.DONE]: "Done",
    [PlanAction_Status.CANCELLED]: "Cancelled",
  },
  "zh-CN": {
    [PlanAction_Status.OPEN]: "未开始",
    [PlanAction_Status.IN_PROGRESS]: "进行中",
    [PlanAction_Status.DONE]: "已完成",
    [PlanAction_Status.CANCELLED]: "已取消",
  },
};

export function PlanSection({ account }: { account: Account }) {
  const api = useApi();
  const { me } = useSession();
  const t = useMessages(messages);
  const plans = useLoad(
    (signal) => api.planning.listAccountPlans({ accountId: account.id, pageSize: 100 }, { signal }),
    [api, account.id],
  );
  const plan = plans.data ? currentPlan(plans.data.plans) : undefined;

  return (
    <SectionFrame title={t.title} testId="plan-section" error={plans.error} loading={plans.loading}>
      {!plans.data && plans.loading && <Loading text={t.loading} />}
      {plans.data && !plan && (
        <>
          <p className="muted">{canManage(me) ? t.none : t.noneAskManager}</p>
          {canManage(me) && <CreatePlanForm account={account} onCreated={plans.reload} />}
        </>
      )}
      {plan && <PlanDetails key={plan.id} plan={plan} />}
    </SectionFrame>
  );
}

function PlanDetails({ plan }: { plan: AccountPlan }) {
  const api = useApi();
  const t = useMessages(messages);
  const { locale } = useLocale();
  const scorecard = useLoad((signal) => api.planning.getPlanScorecard({ planId: plan.id }, { signal }), [api, plan.id]);
  return (
    <div className="plan" data-testid="plan">
      <h3>
        {plan.name}{" "}
        <span className={`badge ${plan.status === AccountPlan_Status.ACTIVE ? "good" : ""}`}>
          {label(STATUS, locale, plan.status)}
        </span>
      </h3>
      <p className="muted">{t.period(formatDate(plan.periodStart, locale), formatDate(plan.periodEnd, locale))}</p>
      {plan.vision && (
        <p>
          <strong>{t.vision}:</strong> {plan.vision}
        </p>
      )}
      <ErrorNotice error={scorecard.error} />
      {scorecard.data && <Scorecard scorecard={scorecard.data} plan={plan} />}
      <Objectives plan={plan} />
      <Swot items={plan.swot} />
      <Competitors plan={plan} />
      <Whitespace plan={plan} />
      <Actions plan={plan} onChanged={scorecard.reload} />
    </div>
  );
}

function Scorecard({ scorecard, plan }: { scorecard: PlanScorecard; plan: AccountPlan }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <>
      <h4 className="visually-hidden">{t.scorecard}</h4>
      <ul className="figures" data-testid="plan-scorecard">
        <li>
          <span className="figure-label">{t.actionsDone}</span>
          <span className="figure-value" data-testid="scorecard-actions">
            {t.actionsDoneOf(scorecard.actionsDone, scorecard.actionsTotal - scorecard.actionsCancelled, scorecard.actionsDonePercent)}
          </span>
        </li>
        <li>
          <span className="figure-label">{t.actionsOverdue}</span>
          <span className={`figure-value ${scorecard.actionsOverdue > 0 ? "overdue" : ""}`}>{scorecard.actionsOverdue}</span>
        </li>
        <li>
          <span className="figure-label">{t.objectivesProgress}</span>
          <span className="figure-value" data-testid="scorecard-objectives">
            {t.percent(scorecard.objectivesProgressPercent)}
          </span>
        </li>
        {scorecard.revenueTarget && scorecard.revenueActual && (
          <li>
            <span className="figure-label">{t.revenueAttainment}</span>
            <span className="figure-value" data-testid="scorecard-revenue">
              {t.revenueOf(
                formatMoney(scorecard.revenueActual, locale),
                formatMoney(scorecard.revenueTarget, locale),
                scorecard.revenueAttainmentPercent,
              )}
            </span>
          </li>
        )}
        {plan.shareOfWalletTargetPercent > 0 && (
          <li>
            <span className="figure-label">{t.walletTarget}</span>
            <span className="figure-value">{t.percent(plan.shareOfWalletTargetPercent)}</span>
          </li>
        )}
      </ul>
    </>
  );
}

function Objectives({ plan }: { plan: AccountPlan }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const now = new Date();
  const number = new Intl.NumberFormat(locale);
  return (
    <>
      <h3>{t.objectives}</h3>
      {plan.objectives.length === 0 && <p className="muted">{t.noObjectives}</p>}
      {plan.objectives.map((objective, index) => {
        const progress = objectiveProgress(objective, now);
        return (
          <div key={`${index}-${objective.metric}`} className={`objective ${progress.overdue ? "overdue" : ""}`}>
            <div className="objective-head">
              <span>
                {objective.metric}{" "}
                {progress.overdue && <span className="badge bad">{t.overdue}</span>}
                {progress.reached && <span className="badge good">{t.reached}</span>}
              </span>
              <span className="muted">
                {t.objectiveValue(number.format(objective.currentValue), number.format(objective.targetValue))}
                {objective.dueDate && objective.dueDate.year > 0 && ` · ${t.dueOn(formatDate(objective.dueDate, locale))}`}
              </span>
            </div>
            <div
              className="progress"
              role="progressbar"
              aria-label={objective.metric}
              aria-valuemin={0}
              aria-valuemax={100}
              aria-valuenow={progress.percent}
              aria-valuetext={t.percent(progress.percent)}
            >
              <span style={{ width: `${progress.percent}%` }} />
            </div>
          </div>
        );
      })}
    </>
  );
}

const QUADRANTS = [
  { kind: SwotItem_Kind.STRENGTH, className: "swot-strength" },
  { kind: SwotItem_Kind.WEAKNESS, className: "swot-weakness" },
  { kind: SwotItem_Kind.OPPORTUNITY, className: "swot-opportunity" },
  { kind: SwotItem_Kind.THREAT, className: "swot-threat" },
] as const;

/** The SWOT as the classic 2×2: strengths and weaknesses above, opportunities and threats below. */
function Swot({ items }: { items: readonly SwotItem[] }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <>
      <h3>{t.swot}</h3>
      <div className="swot-grid">
        {QUADRANTS.map(({ kind, className }) => {
          const texts = items.filter((item) => item.kind === kind);
          return (
            <div key={kind} className={`swot-quadrant ${className}`} data-testid={`swot-${kind}`}>
              <h4>{SWOT[locale][kind]}</h4>
              {texts.length === 0 ? (
                <p className="muted">{t.noItems}</p>
              ) : (
                <ul>
                  {texts.map((item, index) => (
                    <li key={index}>{item.text}</li>
                  ))}
                </ul>
              )}
            </div>
          );
        })}
      </div>
    </>
  );
}

function Competitors({ plan }: { plan: AccountPlan }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <>
      <h3>{t.competitors}</h3>
      {plan.competitors.length === 0 ? (
        <p className="muted">{t.noCompetitors}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.competitor}</th>
              <th scope="col" className="number">
                {t.share}
              </th>
              <th scope="col">{t.threat}</th>
              <th scope="col">{t.strengths}</th>
              <th scope="col">{t.weaknesses}</th>
            </tr>
          </thead>
          <tbody>
            {plan.competitors.map((competitor) => (
              <tr key={competitor.name}>
                <td>
                  {competitor.competitorId === "" ? (
                    <>
                      {competitor.name} <span className="muted">({t.unrecorded})</span>
                    </>
                  ) : (
                    <Link to={{ page: "competitors" }}>{competitor.name}</Link>
                  )}
                </td>
                <td className="number">{t.percent(competitor.estimatedSharePercent)}</td>
                <td>
                  <span
                    className={`badge ${competitor.threatLevel === CompetitorAssessment_ThreatLevel.HIGH ? "bad" : competitor.threatLevel === CompetitorAssessment_ThreatLevel.MEDIUM ? "warn" : "good"}`}
                  >
                    {label(THREAT, locale, competitor.threatLevel)}
                  </span>
                </td>
                <td>{competitor.strengths}</td>
                <td>{competitor.weaknesses}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const WHITESPACE_CLASS: Partial<Record<WhitespaceCell_Status, string>> = {
  [WhitespaceCell_Status.CURRENT]: "whitespace-current",
  [WhitespaceCell_Status.POTENTIAL]: "whitespace-potential",
  [WhitespaceCell_Status.NONE]: "whitespace-none",
};

/** The product lines at the account, one cell each, by status (the proto models lines, not sites). */
function Whitespace({ plan }: { plan: AccountPlan }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <>
      <h3>{t.whitespace}</h3>
      {plan.whitespace.length === 0 ? (
        <p className="muted">{t.noWhitespace}</p>
      ) : (
        <ul className="whitespace-grid">
          {plan.whitespace.map((cell) => (
            <li key={cell.productLine} className={`whitespace-cell ${WHITESPACE_CLASS[cell.status] ?? ""}`}>
              <strong>{cell.productLine}</strong>
              <span>{label(WHITESPACE, locale, cell.status)}</span>
              {cell.estimatedValue && <span className="whitespace-value">{formatMoney(cell.estimatedValue, locale)}</span>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The plan's to-do list; ticking one off sets it DONE (and unticking reopens it), with its etag. */
function Actions({ plan, onChanged }: { plan: AccountPlan; onChanged: () => void }) {
  const api = useApi();
  const { me } = useSession();
  const t = useMessages(messages);
  const { locale } = useLocale();
  const staff = useStaffNames(api);
  const mayWork = hasRole(me, Role.ADMIN, Role.MANAGER, Role.MEMBER);
  const actions = useLoad(
    (signal) => api.planning.listPlanActions({ planId: plan.id, orderBy: "due_date", pageSize: 200 }, { signal }),
    [api, plan.id],
  );
  // Answers to this page's own updates, shown at once over the loaded list.
  const [updated, setUpdated] = useState<ReadonlyMap<string, PlanAction>>(new Map());
  const update = useAction((action: PlanAction, done: boolean) =>
    api.planning.updatePlanAction({
      action: { id: action.id, status: done ? PlanAction_Status.DONE : PlanAction_Status.OPEN, etag: action.etag },
      updateMask: { paths: ["status"] },
    }),
  );
  // The box follows the click at once; it falls back to the stored status if the server refuses.
  const [ticking, setTicking] = useState<ReadonlyMap<string, boolean>>(new Map());
  const toggle = async (action: PlanAction, done: boolean) => {
    setTicking((previous) => new Map(previous).set(action.id, done));
    const answer = await update.run(action, done);
    if (answer) setUpdated((previous) => new Map(previous).set(answer.id, answer));
    setTicking((previous) => {
      const next = new Map(previous);
      next.delete(action.id);
      return next;
    });
    if (answer) onChanged();
  };
  const list = (actions.data?.actions ?? []).map((action) => updated.get(action.id) ?? action);

  return (
    <>
      <h3>{t.actions}</h3>
      <ErrorNotice error={actions.error} />
      <ErrorNotice error={update.error} />
      {!mayWork && list.length > 0 && <p className="muted">{t.readOnly}</p>}
      {actions.data && list.length === 0 && <p className="muted">{t.noActions}</p>}
      <ul className="plan-actions">
        {list.map((action) => {
          const done = ticking.get(action.id) ?? action.status === PlanAction_Status.DONE;
          return (
            <li key={action.id} className={done ? "done" : undefined} data-testid={`plan-action-${action.id}`}>
              <label>
                <input
                  type="checkbox"
                  checked={done}
                  disabled={!mayWork || ticking.has(action.id) || action.status === PlanAction_Status.CANCELLED}
                  onChange={(event) => void toggle(action, event.target.checked)}
                />
                <span className="action-title">{action.title}</span>
              </label>
              <span className={`badge ${action.status === PlanAction_Status.DONE ? "good" : ""}`}>
                {label(ACTION_STATUS, locale, action.status)}
              </span>
              <span className="muted">{t.dueOn(formatDate(action.dueDate, locale))}</span>
              <span className="muted">
                {t.owner}: {nameOf(staff, action.ownerStaffId)}
              </span>
            </li>
          );
        })}
      </ul>
    </>
  );
}

/**
 * One service request (/service/:id): what it is, its SLA clocks, its first response, its status
 * history and escalations, and the status change for those who work requests. The page follows the
 * live stream, so what others do to the request shows at once.
 */
import {
  Role,
  SlaTargetKind,
  ServiceRequest_Status,
  SlaTarget_State,
  type Escalation,
  type ServiceRequest,
  type SlaTarget,
  type StatusChange,
} from "@kam/client";
import { useId, useState, type FormEvent } from "react";
import { Link } from "../../app/router";
import { hasRole, useApi, useSession } from "../../app/session";
import { useAction, useLoad } from "../../api/useLoad";
import { formatMinutes, formatTime, minutesUntil } from "../../format/time";
import { defineMessages, useLocale, useMessages } from "../../i18n/i18n";
import { label } from "../../i18n/labels";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { Page } from "../../ui/Page";
import { useDirectory, useLiveEvents, useNow, type Directory } from "./hooks";
import { CATEGORY, PRIORITY, SLA_STATE, stateTone, STATUS, TARGET_KIND, TRIGGER } from "./labels";
import { LiveIndicator } from "./LiveIndicator";
import { isFinal, nextStatuses, stateAt, TICK_MS, type EventRef } from "./model";
import "./service.css";

const messages = defineMessages({
  en: {
    loadingTitle: "Service request",
    board: "SLA board",
    details: "Details",
    account: "Account",
    status: "Status",
    priority: "Priority",
    category: "Category",
    assignee: "Assignee",
    unassigned: "Unassigned",
    created: "Opened",
    externalId: "External id",
    description: "Description",
    clocks: "SLA clocks",
    target: "Target",
    state: "State",
    due: "Due",
    remaining: "Time left",
    allowed: "Allowed",
    elapsed: "Elapsed",
    paused: "Paused",
    fulfilled: "Fulfilled",
    left: (time: string) => `${time} left`,
    overdue: (time: string) => `overdue by ${time}`,
    pausedLeft: (time: string) => `${time} left when it resumes`,
    none: "—",
    businessNote: "Allowed, elapsed and paused times are business minutes of the policy's calendar.",
    firstResponse: "First response",
    respondedAt: (time: string) => `Responded ${time}.`,
    notResponded: "No first response recorded yet.",
    recordFirstResponse: "Record first response",
    recording: "Recording…",
    changeStatus: "Change status",
    newStatus: "New status",
    note: "Note (kept in the history)",
    submitStatus: "Change status",
    changing: "Changing…",
    noTransitions: "This request is closed; its status no longer changes.",
    history: "Status history",
    when: "When",
    from: "From",
    to: "To",
    by: "By",
    noteColumn: "Note",
    escalations: "Escalations",
    noEscalations: "No escalations.",
    trigger: "Trigger",
    step: "Step",
    recipients: "Notified",
    nobody: "Nobody found",
  },
  "zh-CN": {
    loadingTitle: "服务工单",
    board: "服务看板",
    details: "基本信息",
    account: "客户",
    status: "状态",
    priority: "优先级",
    category: "类别",
    assignee: "处理人",
    unassigned: "未分配",
    created: "创建时间",
    externalId: "外部编号",
    description: "问题描述",
    clocks: "SLA 计时",
    target: "目标",
    state: "状态",
    due: "到期时间",
    remaining: "剩余时间",
    allowed: "时限",
    elapsed: "已用",
    paused: "暂停",
    fulfilled: "完成时间",
    left: (time: string) => `剩余 ${time}`,
    overdue: (time: string) => `已超时 ${time}`,
    pausedLeft: (time: string) => `恢复计时后剩余 ${time}`,
    none: "—",
    businessNote: "时限、已用和暂停时间均按该 SLA 策略日历的工作时间计算。",
    firstResponse: "首次响应",
    respondedAt: (time: string) => `已于 ${time} 响应。`,
    notResponded: "尚未记录首次响应。",
    recordFirstResponse: "记录首次响应",
    recording: "正在记录…",
    changeStatus: "变更状态",
    newStatus: "新状态",
    note: "备注（记入状态历史）",
    submitStatus: "变更状态",
    changing: "正在变更…",
    noTransitions: "该工单已结束，状态不再变更。",
    history: "状态历史",
    when: "时间",
    from: "原状态",
    to: "新状态",
    by: "操作人",
    noteColumn: "备注",
    escalations: "升级记录",
    noEscalations: "暂无升级。",
    trigger: "触发条件",
    step: "步骤",
    recipients: "通知对象",
    nobody: "未找到通知对象",
  },
});

/** Whose roles may work service requests (a MEMBER only on its own accounts: the server decides). */
const WORKERS = [Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.SERVICE_AGENT];

export function RequestPage({ id }: { id: string }) {
  const t = useMessages(messages);
  const api = useApi();
  const { me } = useSession();
  const request = useLoad((signal) => api.serviceLevels.getServiceRequest({ id }, { signal }), [api, id]);
  const history = useLoad(
    (signal) => api.serviceLevels.listStatusHistory({ serviceRequestId: id, pageSize: 1000 }, { signal }),
    [api, id],
  );
  const escalations = useLoad(
    (signal) => api.serviceLevels.listEscalations({ serviceRequestId: id, pageSize: 1000 }, { signal }),
    [api, id],
  );
  const reloadAll = () => {
    request.reload();
    history.reload();
    escalations.reload();
  };
  const live = useLiveEvents(["service_request"], {
    onEvents: (events: readonly EventRef[]) => {
      if (events.some((event) => event.resourceId === id)) reloadAll();
    },
    onFresh: () => undefined,
  });
  const data = request.data;
  const directory = useDirectory(data ? [data.accountId] : []);
  const canWork = hasRole(me, ...WORKERS);

  return (
    <Page
      title={data?.title ?? t.loadingTitle}
      actions={
        <>
          <LiveIndicator status={live} />
          <Link to={{ page: "service" }}>{t.board}</Link>
        </>
      }
      error={request.error}
      loading={request.loading}
    >
      {data && (
        <>
          <RequestFacts request={data} directory={directory} />
          <SlaClocks request={data} />
          <FirstResponse request={data} canWork={canWork} onChanged={reloadAll} />
          {canWork && <StatusChangeForm request={data} onChanged={reloadAll} />}
          {/* Without the request (refused, not found) its history would only repeat the refusal. */}
          <section className="card" aria-labelledby="history-heading">
            <h2 id="history-heading">{t.history}</h2>
            <ErrorNotice error={history.error} />
            {history.data && <HistoryTable changes={history.data.changes} directory={directory} />}
          </section>
          <section className="card" aria-labelledby="escalations-heading">
            <h2 id="escalations-heading">{t.escalations}</h2>
            <ErrorNotice error={escalations.error} />
            {escalations.data && (
              <EscalationsTable escalations={escalations.data.escalations} directory={directory} />
            )}
          </section>
        </>
      )}
    </Page>
  );
}

function RequestFacts({ request, directory }: { request: ServiceRequest; directory: Directory }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <section className="card" aria-labelledby="details-heading">
      <h2 id="details-heading">{t.details}</h2>
      <dl className="request-facts">
        <dt>{t.account}</dt>
        <dd>
          <Link to={{ page: "account", id: request.accountId }}>{directory.accountName(request.accountId)}</Link>
        </dd>
        <dt>{t.status}</dt>
        <dd>
          <span className="badge" data-testid="request-status">
            {label(STATUS, locale, request.status)}
          </span>
        </dd>
        <dt>{t.priority}</dt>
        <dd>{label(PRIORITY, locale, request.priority)}</dd>
        <dt>{t.category}</dt>
        <dd>{label(CATEGORY, locale, request.category)}</dd>
        <dt>{t.assignee}</dt>
        <dd>{request.assigneeStaffId ? directory.staffName(request.assigneeStaffId) : t.unassigned}</dd>
        <dt>{t.created}</dt>
        <dd>{formatTime(request.createTime, locale)}</dd>
        {request.externalId && (
          <>
            <dt>{t.externalId}</dt>
            <dd>{request.externalId}</dd>
          </>
        )}
      </dl>
      {request.description && (
        <>
          <h3>{t.description}</h3>
          <p className="request-description">{request.description}</p>
        </>
      )}
    </section>
  );
}

/** Both targets as the clock computed them at the read, moved on client-side as time passes. */
function SlaClocks({ request }: { request: ServiceRequest }) {
  const t = useMessages(messages);
  const now = useNow(TICK_MS);
  const rows: [SlaTargetKind, SlaTarget | undefined][] = [
    [SlaTargetKind.FIRST_RESPONSE, request.firstResponse],
    [SlaTargetKind.RESOLUTION, request.resolution],
  ];
  return (
    <section className="card" aria-labelledby="clocks-heading">
      <h2 id="clocks-heading">{t.clocks}</h2>
      <table data-testid="sla-clocks">
        <thead>
          <tr>
            <th scope="col">{t.target}</th>
            <th scope="col">{t.state}</th>
            <th scope="col">{t.due}</th>
            <th scope="col">{t.remaining}</th>
            <th scope="col" className="number">
              {t.allowed}
            </th>
            <th scope="col" className="number">
              {t.elapsed}
            </th>
            <th scope="col" className="number">
              {t.paused}
            </th>
            <th scope="col">{t.fulfilled}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([kind, target]) => (
            <ClockRow key={kind} kind={kind} target={target} now={now} />
          ))}
        </tbody>
      </table>
      <p className="muted">{t.businessNote}</p>
    </section>
  );
}

function ClockRow({ kind, target, now }: { kind: SlaTargetKind; target: SlaTarget | undefined; now: Date }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  if (!target) return null;
  const state = stateAt(target, now);
  const running = target.fulfilledTime === undefined && state !== SlaTarget_State.CANCELLED;
  let remaining: string = t.none;
  if (running && target.dueTime) {
    const left = minutesUntil(target.dueTime, now);
    // While paused, the due time is as if the clock resumed now: it moves on with the pause.
    if (left < 0) remaining = t.overdue(formatMinutes(-left, locale));
    else if (state === SlaTarget_State.PAUSED) remaining = t.pausedLeft(formatMinutes(left, locale));
    else remaining = t.left(formatMinutes(left, locale));
  }
  return (
    <tr data-target={kind === SlaTargetKind.FIRST_RESPONSE ? "first_response" : "resolution"}>
      <th scope="row">{label(TARGET_KIND, locale, kind)}</th>
      <td>
        <span className={`badge ${stateTone(state)}`}>{label(SLA_STATE, locale, state)}</span>
      </td>
      <td>{formatTime(target.dueTime, locale)}</td>
      <td>{remaining}</td>
      <td className="number">{formatMinutes(target.targetMinutes, locale)}</td>
      <td className="number">{formatMinutes(Number(target.elapsedBusinessMinutes), locale)}</td>
      <td className="number">{formatMinutes(Number(target.pausedBusinessMinutes), locale)}</td>
      <td>{target.fulfilledTime ? formatTime(target.fulfilledTime, locale) : t.none}</td>
    </tr>
  );
}

function FirstResponse({
  request,
  canWork,
  onChanged,
}: {
  request: ServiceRequest;
  canWork: boolean;
  onChanged: () => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const record = useAction(() => api.serviceLevels.recordFirstResponse({ id: request.id, etag: request.etag }));
  const onRecord = async () => {
    if (await record.run()) onChanged();
  };
  return (
    <section className="card" aria-labelledby="first-response-heading">
      <h2 id="first-response-heading">{t.firstResponse}</h2>
      {request.firstResponseTime ? (
        <p data-testid="first-response">{t.respondedAt(formatTime(request.firstResponseTime, locale))}</p>
      ) : (
        <div className="section-actions">
          <p data-testid="first-response">{t.notResponded}</p>
          {canWork && !isFinal(request.status) && (
            <button type="button" onClick={onRecord} disabled={record.pending}>
              {record.pending ? t.recording : t.recordFirstResponse}
            </button>
          )}
        </div>
      )}
      <ErrorNotice error={record.error} />
    </section>
  );
}

function StatusChangeForm({ request, onChanged }: { request: ServiceRequest; onChanged: () => void }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const choices = nextStatuses(request.status);
  const [chosen, setChosen] = useState<ServiceRequest_Status>(ServiceRequest_Status.STATUS_UNSPECIFIED);
  const [note, setNote] = useState("");
  const noteId = useId();
  const statusId = useId();
  // A choice no longer possible (the status moved on) falls back to the first one possible.
  const status = choices.includes(chosen) ? chosen : (choices[0] ?? ServiceRequest_Status.STATUS_UNSPECIFIED);
  const change = useAction(() =>
    api.serviceLevels.changeServiceRequestStatus({ id: request.id, status, note, etag: request.etag }),
  );
  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (await change.run()) {
      setNote("");
      onChanged();
    }
  };
  return (
    <section className="card" aria-labelledby="status-heading">
      <h2 id="status-heading">{t.changeStatus}</h2>
      {choices.length === 0 ? (
        <p className="muted">{t.noTransitions}</p>
      ) : (
        <form className="status-form" onSubmit={onSubmit}>
          <label htmlFor={statusId}>{t.newStatus}</label>
          <select
            id={statusId}
            value={status}
            onChange={(event) => setChosen(Number(event.target.value))}
          >
            {choices.map((choice) => (
              <option key={choice} value={choice}>
                {label(STATUS, locale, choice)}
              </option>
            ))}
          </select>
          <label htmlFor={noteId}>{t.note}</label>
          <textarea id={noteId} value={note} maxLength={2000} rows={3} onChange={(event) => setNote(event.target.value)} />
          <div>
            <button type="submit" disabled={change.pending}>
              {change.pending ? t.changing : t.submitStatus}
            </button>
          </div>
        </form>
      )}
      <ErrorNotice error={change.error} />
    </section>
  );
}

function HistoryTable({ changes, directory }: { changes: StatusChange[]; directory: Directory }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <table data-testid="status-history">
      <thead>
        <tr>
          <th scope="col">{t.when}</th>
          <th scope="col">{t.from}</th>
          <th scope="col">{t.to}</th>
          <th scope="col">{t.by}</th>
          <th scope="col">{t.noteColumn}</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((change) => (
          <tr key={change.id}>
            <td>{formatTime(change.changeTime, locale)}</td>
            <td>{change.fromStatus ? label(STATUS, locale, change.fromStatus) : t.none}</td>
            <td>{label(STATUS, locale, change.toStatus)}</td>
            <td>{change.changedBy ? directory.staffName(change.changedBy) : t.none}</td>
            <td>{change.note}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EscalationsTable({ escalations, directory }: { escalations: Escalation[]; directory: Directory }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  if (escalations.length === 0) return <p className="muted">{t.noEscalations}</p>;
  return (
    <table data-testid="escalations">
      <thead>
        <tr>
          <th scope="col">{t.when}</th>
          <th scope="col">{t.target}</th>
          <th scope="col">{t.trigger}</th>
          <th scope="col" className="number">
            {t.step}
          </th>
          <th scope="col">{t.recipients}</th>
        </tr>
      </thead>
      <tbody>
        {escalations.map((escalation) => (
          <tr key={escalation.id}>
            <td>{formatTime(escalation.escalateTime, locale)}</td>
            <td>{label(TARGET_KIND, locale, escalation.target)}</td>
            <td>{label(TRIGGER, locale, escalation.trigger)}</td>
            <td className="number">{escalation.stepIndex + 1}</td>
            <td>
              {escalation.recipients.length === 0
                ? t.nobody
                : escalation.recipients
                    .map((recipient) => `${directory.staffName(recipient.staffId)} (${recipient.reason})`)
                    .join(", ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

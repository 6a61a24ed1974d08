/**
 * The account's open service requests with their SLA clocks: when the first response and the
 * resolution are due, the time left (or how long overdue), and the state of each target. The clock
 * counts down in the page; the server's state is moved on when an at-risk or due time passes.
 */
import type { Account, ServiceRequest, SlaTarget } from "@kam/client";
import { Link } from "../../../app/router";
import { useApi } from "../../../app/session";
import { useLoad } from "../../../api/useLoad";
import { formatMinutes, formatTime } from "../../../format/time";
import { defineMessages, useLocale, useMessages, type Locale } from "../../../i18n/i18n";
import { label } from "../../../i18n/labels";
import { PRIORITY, STATUS } from "../../service/labels";
import { badgeTone, slaClock, worstBadge, type SlaBadge } from "./model";
import { Loading, SectionFrame } from "./SectionFrame";
import { useNow } from "./useNow";

const messages = defineMessages({
  en: {
    title: "Open service requests",
    loading: "Loading service requests…",
    none: "No open service requests.",
    board: "Service board",
    request: "Request",
    priority: "Priority",
    status: "Status",
    firstResponse: "First response",
    resolution: "Resolution",
    sla: "SLA",
    due: (time: string) => `due ${time}`,
    left: (duration: string) => `${duration} left`,
    overdue: (duration: string) => `${duration} overdue`,
    fulfilled: (time: string) => `done ${time}`,
    more: (count: number) => `Showing the first ${count}; see the service board for all.`,
  },
  "zh-CN": {
    title: "未结服务请求",
    loading: "正在加载服务请求…",
    none: "暂无未结服务请求。",
    board: "服务看板",
    request: "服务请求",
    priority: "优先级",
    status: "状态",
    firstResponse: "首次响应",
    resolution: "解决",
    sla: "SLA",
    due: (time: string) => `截止 ${time}`,
    left: (duration: string) => `剩余 ${duration}`,
    overdue: (duration: string) => `已超时 ${duration}`,
    fulfilled: (time: string) => `完成于 ${time}`,
    more: (count: number) => `仅显示前 ${count} 条，全部请见服务看板。`,
  },
});

const BADGE: Record<Locale, Record<SlaBadge, string>> = {
  en: {
    on_track: "On track",
    at_risk: "At risk",
    breached: "Breached",
    paused: "Paused",
    met: "Met",
    cancelled: "Cancelled",
    none: "—",
  },
  "zh-CN": {
    on_track: "正常",
    at_risk: "即将超时",
    breached: "已超时",
    paused: "已暂停",
    met: "已达成",
    cancelled: "已取消",
    none: "—",
  },
};

const PAGE_SIZE = 50;

export function ServiceRequestsSection({ account }: { account: Account }) {
  const api = useApi();
  const t = useMessages(messages);
  const now = useNow();
  const requests = useLoad(
    (signal) =>
      api.serviceLevels.listServiceRequests(
        { accountId: account.id, openOnly: true, orderBy: "resolution_due_time", pageSize: PAGE_SIZE },
        { signal },
      ),
    [api, account.id],
  );
  const list = requests.data?.serviceRequests;

  return (
    <SectionFrame
      title={t.title}
      testId="service-requests-section"
      error={requests.error}
      loading={requests.loading}
      actions={<Link to={{ page: "service" }}>{t.board}</Link>}
    >
      {!list && requests.loading && <Loading text={t.loading} />}
      {list && list.length === 0 && <p className="muted">{t.none}</p>}
      {list && list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.request}</th>
              <th scope="col">{t.priority}</th>
              <th scope="col">{t.status}</th>
              <th scope="col">{t.firstResponse}</th>
              <th scope="col">{t.resolution}</th>
              <th scope="col">{t.sla}</th>
            </tr>
          </thead>
          <tbody>
            {list.map((request) => (
              <RequestRow key={request.id} request={request} now={now} />
            ))}
          </tbody>
        </table>
      )}
      {requests.data?.nextPageToken && <p className="muted">{t.more(PAGE_SIZE)}</p>}
    </SectionFrame>
  );
}

function RequestRow({ request, now }: { request: ServiceRequest; now: Date }) {
  const { locale } = useLocale();
  const firstResponse = slaClock(request.firstResponse, now);
  const resolution = slaClock(request.resolution, now);
  const overall = worstBadge(firstResponse.badge, resolution.badge);
  return (
    <tr data-testid={`service-request-${request.id}`}>
      <td>
        <Link to={{ page: "request", id: request.id }}>{request.title}</Link>
      </td>
      <td>{label(PRIORITY, locale, request.priority)}</td>
      <td>{label(STATUS, locale, request.status)}</td>
      <td>
        <TargetClock target={request.firstResponse} now={now} />
      </td>
      <td>
        <TargetClock target={request.resolution} now={now} />
      </td>
      <td>
        <SlaBadgeText badge={overall} />
      </td>
    </tr>
  );
}

function SlaBadgeText({ badge }: { badge: SlaBadge }) {
  const { locale } = useLocale();
  return <span className={`badge ${badgeTone(badge)}`}>{BADGE[locale][badge]}</span>;
}

/** One target: its badge, when it is due, and the time left or overdue. */
function TargetClock({ target, now }: { target: SlaTarget | undefined; now: Date }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const clock = slaClock(target, now);
  if (clock.badge === "none") return <span className="muted">—</span>;
  return (
    <div className="sla-clock">
      <SlaBadgeText badge={clock.badge} />{" "}
      {clock.minutesLeft !== undefined && (
        <strong className={clock.minutesLeft < 0 ? "overdue" : undefined}>
          {clock.minutesLeft < 0
            ? t.overdue(formatMinutes(-clock.minutesLeft, locale))
            : t.left(formatMinutes(clock.minutesLeft, locale))}
        </strong>
      )}
      <div className="muted">
        {target?.fulfilledTime
          ? t.fulfilled(formatTime(target.fulfilledTime, locale))
          : clock.due && target?.dueTime && t.due(formatTime(target.dueTime, locale))}
      </div>
    </div>
  );
}

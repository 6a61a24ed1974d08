/**
 * The SLA board (/service): open service requests that need attention, in three columns — due soon,
 * at risk, breached — kept current by the live event stream, their clocks ticking every 30 s.
 */
import { Priority, SlaTargetKind } from "@kam/client";
import { useId, useState } from "react";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Link } from "../../app/router";
import { seesAllAccounts, useSession } from "../../app/session";
import { defineMessages, useLocale, useMessages } from "../../i18n/i18n";
import { label } from "../../i18n/labels";
import { formatMinutes, formatTime } from "../../format/time";
import { Page } from "../../ui/Page";
import { useDirectory, useNow, type Directory } from "./hooks";
import { PRIORITY, TARGET_KIND } from "./labels";
import { LiveIndicator } from "./LiveIndicator";
import {
  buildBoard,
  COLUMNS,
  minutesLeft,
  NO_FILTERS,
  TICK_MS,
  WITHIN_CHOICES,
  type BoardFilters,
  type Card,
  type Column,
} from "./model";
import { COLUMN_LIMIT, useLiveBoard } from "./useLiveBoard";
import "./service.css";

const messages = defineMessages({
  en: {
    title: "SLA board",
    filters: "Filter the board",
    assignee: "Assignee",
    everyone: "Everyone",
    priority: "Priority",
    allPriorities: "All priorities",
    within: "Due soon within",
    dueSoon: "Due soon",
    atRisk: "At risk",
    breached: "Breached",
    count: (n: number) => (n === 1 ? "1 request" : `${n} requests`),
    empty: "Nothing here.",
    unassigned: "Unassigned",
    left: (kind: string, time: string) => `${kind}: ${time} left`,
    overdue: (kind: string, time: string) => `${kind}: overdue by ${time}`,
    late: (kind: string, time: string) => `${kind}: met ${time} late`,
    due: (time: string) => `(due ${time})`,
    account: "Account",
    limit: (n: number) => `Showing the first ${n} of each list.`,
    loading: "Loading the board…",
  },
  "zh-CN": {
    title: "服务看板",
    filters: "筛选看板",
    assignee: "处理人",
    everyone: "全部人员",
    priority: "优先级",
    allPriorities: "全部优先级",
    within: "即将到期范围",
    dueSoon: "即将到期",
    atRisk: "临近超时",
    breached: "已超时",
    count: (n: number) => `${n} 个工单`,
    empty: "暂无工单。",
    unassigned: "未分配",
    left: (kind: string, time: string) => `${kind}：剩余 ${time}`,
    overdue: (kind: string, time: string) => `${kind}：已超时 ${time}`,
    late: (kind: string, time: string) => `${kind}：延迟 ${time} 完成`,
    due: (time: string) => `（${time} 到期）`,
    account: "客户",
    limit: (n: number) => `每列最多显示前 ${n} 个。`,
    loading: "正在加载看板…",
  },
});

export function ServiceBoardPage() {
  const t = useMessages(messages);
  const { me } = useSession();
  const [filters, setFilters] = useState<BoardFilters>(NO_FILTERS);
  const now = useNow(TICK_MS);
  // Names are read for the accounts on the board; events about them refresh them.
  const [accountIds, setAccountIds] = useState<readonly string[]>([]);
  const directory = useDirectory(accountIds);
  const board = useLiveBoard(filters, {
    teamScoped: !seesAllAccounts(me),
    onAccountsChanged: directory.refreshAccounts,
    onStaffChanged: directory.refreshStaff,
  });
  const columns = buildBoard(board.tracked.values(), filters, now);
  const shownAccounts = [...new Set(COLUMNS.flatMap((column) => columns[column].map((card) => card.request.accountId)))];
  if (shownAccounts.join() !== accountIds.join()) setAccountIds(shownAccounts);

  return (
    <Page title={t.title} actions={<LiveIndicator status={board.live} />} error={board.error} loading={!board.loaded}>
      <FilterBar filters={filters} onChange={setFilters} directory={directory} />
      {!board.loaded && !board.error && <p className="muted">{t.loading}</p>}
      <div className="sla-board">
        {COLUMNS.map((column) => (
          <BoardColumn key={column} column={column} cards={columns[column]} now={now} directory={directory} />
        ))}
      </div>
      {COLUMNS.some((column) => columns[column].length >= COLUMN_LIMIT) && (
        <p className="muted">{t.limit(COLUMN_LIMIT)}</p>
      )}
    </Page>
  );
}

function FilterBar({
  filters,
  onChange,
  directory,
}: {
  filters: BoardFilters;
  onChange: (filters: BoardFilters) => void;
  directory: Directory;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const priorities = [Priority.P1, Priority.P2, Priority.P3, Priority.P4];
  return (
    <form className="filters" aria-label={t.filters} onSubmit={(event) => event.preventDefault()}>
      <label>
        {t.assignee}
        <select
          value={filters.assigneeStaffId}
          onChange={(event) => onChange({ ...filters, assigneeStaffId: event.target.value })}
        >
          <option value="">{t.everyone}</option>
          {directory.activeStaff.map((person) => (
            <option key={person.id} value={person.id}>
              {person.fullName}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.priority}
        <select
          value={filters.priority}
          onChange={(event) => onChange({ ...filters, priority: Number(event.target.value) })}
        >
          <option value={Priority.PRIORITY_UNSPECIFIED}>{t.allPriorities}</option>
          {priorities.map((priority) => (
            <option key={priority} value={priority}>
              {label(PRIORITY, locale, priority)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.within}
        <select
          value={filters.withinMinutes}
          onChange={(event) => onChange({ ...filters, withinMinutes: Number(event.target.value) })}
        >
          {WITHIN_CHOICES.map((minutes) => (
            <option key={minutes} value={minutes}>
              {formatMinutes(minutes, locale)}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

function BoardColumn({
  column,
  cards,
  now,
  directory,
}: {
  column: Column;
  cards: Card[];
  now: Date;
  directory: Directory;
}) {
  const t = useMessages(messages);
  const headingId = useId();
  return (
    <section className={`sla-column sla-${column}`} aria-labelledby={headingId} data-testid={`column-${column}`}>
      <h2 id={headingId}>
        {t[column]} <span className="sla-count">({t.count(cards.length)})</span>
      </h2>
      {cards.length === 0 ? (
        <p className="muted">{t.empty}</p>
      ) : (
        <ul className="sla-cards">
          {cards.map((card) => (
            <BoardCard key={card.request.id} card={card} now={now} directory={directory} />
          ))}
        </ul>
      )}
    </section>
  );
}

function BoardCard({ card, now, directory }: { card: Card; now: Date; directory: Directory }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const { request } = card;
  return (
    <li className="sla-card" data-testid="sla-card" data-request-id={request.id}>
      <div className="sla-card-head">
        <span className={`badge priority-${request.priority}`}>{label(PRIORITY, locale, request.priority)}</span>
        <Link to={{ page: "request", id: request.id }} className="sla-card-title">
          {request.title}
        </Link>
      </div>
      <div className="sla-card-meta">
        <Link to={{ page: "account", id: request.accountId }}>{directory.accountName(request.accountId)}</Link>
        <span aria-hidden="true"> · </span>
        <span>{request.assigneeStaffId ? directory.staffName(request.assigneeStaffId) : t.unassigned}</span>
      </div>
      <CardClock card={card} now={now} />
    </li>
  );
}

/** The clock of the target that put the card in its column: time left, or how far overdue. */
function CardClock({ card, now }: { card: Card; now: Date }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const kind = label(TARGET_KIND, locale, card.target);
  const target = card.target === SlaTargetKind.FIRST_RESPONSE ? card.request.firstResponse : card.request.resolution;
  const left = minutesLeft(card, now);
  let text: string;
  if (target?.fulfilledTime) {
    // Met late (a first response after its due time): the lateness no longer grows.
    const late = (timestampDate(target.fulfilledTime).getTime() - card.due.getTime()) / 60_000;
    text = t.late(kind, formatMinutes(late, locale));
  } else if (left < 0) {
    text = t.overdue(kind, formatMinutes(-left, locale));
  } else {
    text = t.left(kind, formatMinutes(left, locale));
  }
  return (
    <div className="sla-clock">
      <strong>{text}</strong>{" "}
      <span className="muted">{t.due(formatTime(timestampFromDate(card.due), locale))}</span>
    </div>
  );
}

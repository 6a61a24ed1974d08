/**
 * The signed-in person's notifications, newest first: each in words from its payload, unread ones
 * highlighted, with the way to the account and its visit brief. One at a time or all at once they are
 * marked read (or unread again); the filter shows the unread only.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Recipient_Reason, type ListNotificationsResponse, type Notification } from "@kam/client";
import { useId, useMemo, useState } from "react";
import type { Api } from "../../api/clients";
import { useAction, useLoad } from "../../api/useLoad";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { formatTime } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label } from "../../i18n/labels";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { Page } from "../../ui/Page";
import { REASON, messages } from "./messages";
import { notificationsChanged } from "./NotificationBell";
import { useNow } from "../account/sections/useNow";
import { notificationText } from "./text";
import "./notifications.css";

const PAGE_SIZE = 50;

/** MarkNotificationsRead takes at most this many ids a call. */
const MARK_BATCH = 1000;

/**
 * Marks every unread notification read: the unread ones a batch at a time (each batch read leaves the
 * unread list), bounded so that a server that keeps filing cannot keep it going.
 */
async function markAllRead(api: Api): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const { notifications } = await api.notifications.listNotifications({ unreadOnly: true, pageSize: MARK_BATCH });
    if (notifications.length === 0) return;
    await api.notifications.markNotificationsRead({ ids: notifications.map((n) => n.id), unread: false });
    if (notifications.length < MARK_BATCH) return;
  }
}

export function NotificationsPage() {
  const api = useApi();
  const t = useMessages(messages);
  const [unreadOnly, setUnreadOnly] = useState(false);
  const filterId = useId();
  const first = useLoad(
    (signal) => api.notifications.listNotifications({ unreadOnly, pageSize: PAGE_SIZE }, { signal }),
    [api, unreadOnly],
  );
  // Pages after the first, fetched with "Show more"; a reload of the first page starts over.
  const [more, setMore] = useState<{ after: ListNotificationsResponse; pages: ListNotificationsResponse[] }>();
  const pages = useMemo(() => {
    if (!first.data) return [];
    return more && more.after === first.data ? [first.data, ...more.pages] : [first.data];
  }, [first.data, more]);
  const notifications = pages.flatMap((page) => page.notifications);
  const nextPageToken = pages.at(-1)?.nextPageToken ?? "";
  const unreadCount = first.data?.unreadCount ?? 0;

  const loadMore = useAction(async () => {
    const page = await api.notifications.listNotifications({ unreadOnly, pageSize: PAGE_SIZE, pageToken: nextPageToken });
    if (first.data) setMore({ after: first.data, pages: [...pages.slice(1), page] });
  });
  const markAll = useAction(async () => {
    await markAllRead(api);
    notificationsChanged();
    first.reload();
  });
  const mark = useAction(async (notification: Notification, read: boolean) => {
    await api.notifications.markNotificationsRead({ ids: [notification.id], unread: !read });
    notificationsChanged();
    first.reload();
  });

  const now = useNow();
  return (
    <Page
      title={t.title}
      loading={first.loading}
      error={first.error}
      actions={
        <button type="button" onClick={() => void markAll.run()} disabled={markAll.pending || unreadCount === 0}>
          {markAll.pending ? t.marking : t.markAllRead}
        </button>
      }
    >
      <p className="muted">{t.intro}</p>
      <div className="notification-filters">
        <label className="checkbox" htmlFor={filterId}>
          <input
            id={filterId}
            type="checkbox"
            checked={unreadOnly}
            onChange={(event) => setUnreadOnly(event.target.checked)}
          />
          {t.unreadOnly}
        </label>
        {first.data && (
          <span className="badge" data-testid="unread-total" role="status">
            {t.unreadCount(unreadCount)}
          </span>
        )}
      </div>
      <ErrorNotice error={markAll.error ?? mark.error ?? loadMore.error} />
      {!first.data && first.loading && <p className="muted">{t.loading}</p>}
      {first.data && notifications.length === 0 && <p className="muted">{unreadOnly ? t.noneUnread : t.none}</p>}
      {notifications.length > 0 && (
        <ul className="notification-list" aria-label={t.title} data-testid="notifications">
          {notifications.map((notification) => (
            <NotificationItem
              key={notification.id}
              notification={notification}
              now={now}
              busy={mark.pending}
              onMark={(read) => void mark.run(notification, read)}
            />
          ))}
        </ul>
      )}
      {nextPageToken !== "" && (
        <button type="button" className="secondary" onClick={() => void loadMore.run()} disabled={loadMore.pending}>
          {t.more}
        </button>
      )}
    </Page>
  );
}

function NotificationItem({
  notification,
  now,
  busy,
  onMark,
}: {
  notification: Notification;
  now: Date;
  busy: boolean;
  onMark: (read: boolean) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const unread = notification.readTime === undefined;
  const text = notificationText(notification, locale, now);
  const reason = label(REASON, locale, notification.reason);
  return (
    <li
      className={`notification${unread ? " unread" : ""}`}
      data-testid={`notification-${notification.id}`}
      data-unread={unread ? "true" : "false"}
      data-kind={notification.payload.case ?? notification.eventType}
    >
      <div className="notification-main">
        <p className="notification-text">
          {unread && <span className="visually-hidden">{t.unread}: </span>}
          {text}
        </p>
        <p className="notification-meta muted small">
          {notification.createTime && (
            <time dateTime={timestampDate(notification.createTime).toISOString()}>
              {formatTime(notification.createTime, locale)}
            </time>
          )}
          {notification.reason !== Recipient_Reason.REASON_UNSPECIFIED && ` · ${t.whyTold(reason)}`}
        </p>
      </div>
      <div className="notification-actions">
        {notification.accountId !== "" && (
          <>
            <Link to={{ page: "account", id: notification.accountId }}>
              {notification.accountDisplayName || t.account}
            </Link>
            <Link to={{ page: "brief", id: notification.accountId }}>{t.brief}</Link>
          </>
        )}
        <button type="button" className="secondary" disabled={busy} onClick={() => onMark(unread)}>
          {unread ? t.markRead : t.markUnread}
        </button>
      </div>
    </li>
  );
}

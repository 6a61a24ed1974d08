/**
 * The bell in the top bar: a link to the notifications page carrying the signed-in person's unread
 * count. It asks for the count once a minute, when the tab comes back into view, and whenever the
 * notifications page marks some read or unread (`notificationsChanged`).
 */
import { useEffect } from "react";
import { useLoad } from "../../api/useLoad";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { useMessages } from "../../i18n/i18n";
import { messages } from "./messages";
import "./notifications.css";

const CHANGED = "kam:notifications-changed";
const POLL_MILLIS = 60_000;

/** Tells the bell that notifications were marked read or unread. */
export function notificationsChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

export function NotificationBell({ current }: { current: boolean }) {
  const api = useApi();
  const t = useMessages(messages);
  const unread = useLoad(
    (signal) => api.notifications.listNotifications({ unreadOnly: true, pageSize: 1 }, { signal }),
    [api],
  );
  const { reload } = unread;
  useEffect(() => {
    const timer = window.setInterval(reload, POLL_MILLIS);
    const visible = () => {
      if (document.visibilityState === "visible") reload();
    };
    window.addEventListener(CHANGED, reload);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.clearInterval(timer);
      window.removeEventListener(CHANGED, reload);
      document.removeEventListener("visibilitychange", visible);
    };
  }, [reload]);

  // A server that cannot say (an older one, a principal without notifications) shows the bell alone.
  const count = unread.data?.unreadCount ?? 0;
  return (
    <Link
      to={{ page: "notifications" }}
      className={`bell${count > 0 ? " has-unread" : ""}`}
      aria-label={t.bell(count)}
      aria-current={current ? "page" : undefined}
      data-testid="notification-bell"
      data-unread={count}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      {count > 0 && (
        <span className="bell-count" aria-hidden="true">
          {count > 99 ? "99+" : count}
        </span>
      )}
    </Link>
  );
}

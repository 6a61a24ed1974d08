/** A small status of the live stream: live, connecting, reconnecting (and why), or stopped. */
import { defineMessages, useLocale, useMessages } from "../../i18n/i18n";
import type { LiveStatus } from "./model";

const messages = defineMessages({
  en: {
    connecting: "Connecting…",
    live: "Live",
    reconnecting: (time: string) => `Reconnecting at ${time}…`,
    stopped: "Live updates stopped: reload the page",
    why: (message: string) => `(${message})`,
  },
  "zh-CN": {
    connecting: "正在连接…",
    live: "实时",
    reconnecting: (time: string) => `将于 ${time} 重新连接…`,
    stopped: "实时更新已停止：请刷新页面",
    why: (message: string) => `（${message}）`,
  },
});

export function LiveIndicator({ status }: { status: LiveStatus }) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  let text: string;
  switch (status.state) {
    case "connecting":
      text = t.connecting;
      break;
    case "live":
      text = t.live;
      break;
    case "reconnecting":
      text = t.reconnecting(
        new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(new Date(status.retryAt)),
      );
      break;
    case "stopped":
      text = t.stopped;
      break;
  }
  const error = status.state === "reconnecting" || status.state === "stopped" ? status.error : undefined;
  return (
    <p className="live-indicator" role="status" aria-live="polite" data-state={status.state} data-testid="live-status">
      <span className="live-dot" aria-hidden="true" />
      {text}
      {error && error.message !== "" && <span className="muted"> {t.why(error.message)}</span>}
    </p>
  );
}

import { Link } from "../app/router";
import { defineMessages, useMessages } from "../i18n/i18n";
import { Page } from "../ui/Page";

const messages = defineMessages({
  en: { title: "Page not found", body: (path: string) => `There is no page at ${path}.`, back: "Back to my accounts" },
  "zh-CN": { title: "页面不存在", body: (path: string) => `${path} 没有对应的页面。`, back: "返回我的客户" },
});

export function NotFoundPage({ path }: { path: string }) {
  const t = useMessages(messages);
  return (
    <Page title={t.title}>
      <p>{t.body(path)}</p>
      <Link to={{ page: "accounts" }}>{t.back}</Link>
    </Page>
  );
}

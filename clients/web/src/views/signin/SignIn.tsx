/** Sign-in with an API key (`kam_…`) or an SSO bearer token, kept for this browser tab only. */
import type { KamError } from "@kam/client";
import { useId, useState, type FormEvent } from "react";
import { defineMessages, useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { LocaleSwitch } from "../../ui/LocaleSwitch";

const messages = defineMessages({
  en: {
    title: "Sign in to KAM",
    intro: "Key-account management: plans, teams, funnel and service for the accounts that matter most.",
    credential: "API key or SSO token",
    hint: "Kept for this browser tab only; closing the tab signs you out.",
    submit: "Sign in",
    checking: "Signing in…",
  },
  "zh-CN": {
    title: "登录 KAM",
    intro: "大客户管理：为最重要的客户做好规划、团队、商机漏斗与服务。",
    credential: "API 密钥或单点登录令牌",
    hint: "仅保存在当前浏览器标签页中；关闭标签页即退出登录。",
    submit: "登录",
    checking: "正在登录…",
  },
});

export function SignIn({
  submit,
  checking,
  error,
}: {
  submit: (credential: string) => void;
  checking: boolean;
  error?: KamError | undefined;
}) {
  const t = useMessages(messages);
  const [credential, setCredential] = useState("");
  const inputId = useId();
  const hintId = useId();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (credential.trim() !== "") submit(credential);
  };
  return (
    <main className="sign-in">
      <div className="sign-in-locale">
        <LocaleSwitch />
      </div>
      <form onSubmit={onSubmit} className="sign-in-card">
        <h1>{t.title}</h1>
        <p>{t.intro}</p>
        <label htmlFor={inputId}>{t.credential}</label>
        <input
          id={inputId}
          name="credential"
          type="password"
          autoComplete="off"
          aria-describedby={hintId}
          value={credential}
          onChange={(event) => setCredential(event.target.value)}
          required
        />
        <p id={hintId} className="hint">
          {t.hint}
        </p>
        <ErrorNotice error={error} />
        <button type="submit" disabled={checking}>
          {checking ? t.checking : t.submit}
        </button>
      </form>
    </main>
  );
}

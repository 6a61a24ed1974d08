/**
 * A refusal as the server gave it: its message, and each field or rule it names. Forms put it next to
 * the action that failed; it is announced to screen readers as an alert.
 */
import { Code, type KamError } from "@kam/client";
import { defineMessages, useMessages } from "../i18n/i18n";

const messages = defineMessages({
  en: {
    [Code.InvalidArgument]: "Please check the input",
    [Code.FailedPrecondition]: "Not allowed by a business rule",
    [Code.PermissionDenied]: "You may not do this, or it does not exist",
    [Code.NotFound]: "Not found",
    [Code.AlreadyExists]: "Already exists",
    [Code.Aborted]: "Someone else changed this first: reload and try again",
    [Code.Unauthenticated]: "Your sign-in is no longer valid",
    [Code.Unavailable]: "The server is unavailable: try again shortly",
    [Code.ResourceExhausted]: "Too many requests: try again shortly",
    other: "The request failed",
    field: "Field",
    rule: "Rule",
  },
  "zh-CN": {
    [Code.InvalidArgument]: "请检查输入",
    [Code.FailedPrecondition]: "业务规则不允许",
    [Code.PermissionDenied]: "无权执行此操作，或对象不存在",
    [Code.NotFound]: "未找到",
    [Code.AlreadyExists]: "已存在",
    [Code.Aborted]: "已被他人修改：请刷新后重试",
    [Code.Unauthenticated]: "登录已失效",
    [Code.Unavailable]: "服务器暂不可用：请稍后重试",
    [Code.ResourceExhausted]: "请求过多：请稍后重试",
    other: "请求失败",
    field: "字段",
    rule: "规则",
  },
});

export function ErrorNotice({ error }: { error: KamError | undefined }) {
  const t = useMessages(messages);
  if (!error) return null;
  const title = (t as Record<string, string>)[String(error.code)] ?? t.other;
  return (
    <div role="alert" className="error-notice" data-code={Code[error.code]} data-reason={error.reason}>
      <strong>{title}</strong>
      <p className="error-message">{error.message}</p>
      {error.fields.length > 0 && (
        <ul>
          {error.fields.map((violation) => (
            <li key={violation.field} data-field={violation.field}>
              {t.field} <code>{violation.field}</code>: {violation.description}
            </li>
          ))}
        </ul>
      )}
      {error.rules.length > 0 && (
        <ul>
          {error.rules.map((violation) => (
            <li key={`${violation.rule}/${violation.subject}`} data-rule={violation.rule}>
              {t.rule} <code>{violation.rule}</code>
              {/* A single rule often is the message itself: say it once. */}
              {!error.message.includes(violation.description) && `: ${violation.description}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

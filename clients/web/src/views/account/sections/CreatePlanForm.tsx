/**
 * A minimal form to start an account plan (a DRAFT): name, period, revenue target and vision. The rest
 * (objectives, SWOT, competitors, whitespace) is filled in later. Refusals show the field or rule the
 * server names; an amount that is not one is caught here first.
 */
import type { Account } from "@kam/client";
import { useState, type FormEvent } from "react";
import { useApi } from "../../../app/session";
import { useAction, useLoad } from "../../../api/useLoad";
import { parseMoney, type MoneyInputError } from "../../../format/money";
import { defineMessages, useMessages } from "../../../i18n/i18n";
import { ErrorNotice } from "../../../ui/ErrorNotice";
import { currentMonth, parseDateInput } from "./model";

const messages = defineMessages({
  en: {
    heading: "Start a plan",
    name: "Plan name",
    start: "Period start",
    end: "Period end",
    target: (currency: string) => `Revenue target (${currency}, optional)`,
    vision: "Vision (optional)",
    create: "Create plan",
    creating: "Creating…",
    empty: "Enter an amount",
    malformed: "Not an amount, e.g. 250000 or 250000.50",
    too_precise: "At most nine decimals",
    too_large: "Too large",
  },
  "zh-CN": {
    heading: "新建客户计划",
    name: "计划名称",
    start: "计划开始日期",
    end: "计划结束日期",
    target: (currency: string) => `营收目标（${currency}，可选）`,
    vision: "愿景（可选）",
    create: "创建计划",
    creating: "正在创建…",
    empty: "请输入金额",
    malformed: "金额格式不正确，例如 250000 或 250000.50",
    too_precise: "最多九位小数",
    too_large: "金额过大",
  },
});

export function CreatePlanForm({ account, onCreated }: { account: Account; onCreated: () => void }) {
  const api = useApi();
  const t = useMessages(messages);
  // The reporting currency, as the server states it on any revenue answer (one month suffices).
  const currency = useLoad((signal) => {
    const month = currentMonth(new Date());
    return api.planning
      .getMonthlyRevenue({ accountId: account.id, fromPeriod: month, toPeriod: month }, { signal })
      .then((revenue) => revenue.total?.currencyCode ?? "EUR");
  }, [api, account.id]);
  const currencyCode = currency.data ?? "EUR";

  const year = new Date().getFullYear();
  const [name, setName] = useState("");
  const [start, setStart] = useState(`${year}-01-01`);
  const [end, setEnd] = useState(`${year}-12-31`);
  const [target, setTarget] = useState("");
  const [vision, setVision] = useState("");
  const [targetError, setTargetError] = useState<MoneyInputError | undefined>(undefined);
  const create = useAction((plan: Parameters<typeof api.planning.createAccountPlan>[0]) =>
    api.planning.createAccountPlan(plan),
  );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const revenueTarget = target.trim() === "" ? undefined : parseMoney(target, currencyCode);
    if (typeof revenueTarget === "string") {
      setTargetError(revenueTarget);
      return;
    }
    setTargetError(undefined);
    const created = await create.run({
      plan: {
        accountId: account.id,
        name: name.trim(),
        periodStart: parseDateInput(start),
        periodEnd: parseDateInput(end),
        revenueTarget,
        vision: vision.trim(),
      },
      requestId: crypto.randomUUID(),
    });
    if (created) onCreated();
  };

  return (
    <form className="plan-form" onSubmit={(event) => void submit(event)} aria-label={t.heading}>
      <h3 className="wide">{t.heading}</h3>
      <label>
        {t.name}
        <input name="plan-name" value={name} onChange={(event) => setName(event.target.value)} />
      </label>
      <label>
        {t.start}
        <input type="date" name="plan-start" value={start} onChange={(event) => setStart(event.target.value)} />
      </label>
      <label>
        {t.end}
        <input type="date" name="plan-end" value={end} onChange={(event) => setEnd(event.target.value)} />
      </label>
      <label>
        {t.target(currencyCode)}
        <input
          name="plan-revenue-target"
          inputMode="decimal"
          value={target}
          onChange={(event) => setTarget(event.target.value)}
          aria-invalid={targetError ? "true" : undefined}
          aria-describedby={targetError ? "plan-target-error" : undefined}
        />
        {targetError && (
          <span id="plan-target-error" className="field-error">
            {t[targetError]}
          </span>
        )}
      </label>
      <label className="wide">
        {t.vision}
        <textarea name="plan-vision" rows={2} value={vision} onChange={(event) => setVision(event.target.value)} />
      </label>
      <div>
        <button type="submit" disabled={create.pending}>
          {create.pending ? t.creating : t.create}
        </button>
      </div>
      <div className="wide">
        <ErrorNotice error={create.error} />
      </div>
    </form>
  );
}

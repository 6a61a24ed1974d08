/**
 * Logging an interaction: what kind, when, who took part on both sides, what was discussed, what came
 * of it and what happens next. The caller is preselected among our people; the account's team is
 * offered besides. Refusals show the field the server names (e.g. `interaction.summary`).
 */
import { Interaction_Type, type Account, type Contact, type Interaction } from "@kam/client";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { useId, useMemo, useState, type FormEvent } from "react";
import { useApi, useSession } from "../../../app/session";
import { useAction, useLoad } from "../../../api/useLoad";
import { defineMessages, useLocale, useMessages } from "../../../i18n/i18n";
import { label } from "../../../i18n/labels";
import { ErrorNotice } from "../../../ui/ErrorNotice";
import { INTERACTION_TYPE, INTERACTION_TYPES } from "./interactionLabels";
import { localInputValue } from "./model";
import { nameOf, useStaffNames } from "./staff";

const messages = defineMessages({
  en: {
    heading: "Log an interaction",
    type: "Kind",
    when: "When",
    badTime: "Enter the date and time it took place",
    ourPeople: "Our people",
    contacts: "Contacts met",
    noContacts: "The account has no contacts on file.",
    summary: "Summary",
    outcome: "Outcome (optional)",
    nextStep: "Next step (optional)",
    satisfaction: "Customer satisfaction",
    notRated: "Not rated",
    rating: (value: number) => `${value} of 5`,
    save: "Log it",
    saving: "Saving…",
  },
  "zh-CN": {
    heading: "记录客户互动",
    type: "类型",
    when: "时间",
    badTime: "请填写发生的日期和时间",
    ourPeople: "我方人员",
    contacts: "会见的客户联系人",
    noContacts: "该客户暂无联系人档案。",
    summary: "沟通纪要",
    outcome: "结果（可选）",
    nextStep: "下一步（可选）",
    satisfaction: "客户满意度",
    notRated: "未评价",
    rating: (value: number) => `${value} 分（满分 5）`,
    save: "保存记录",
    saving: "正在保存…",
  },
});

export function LogInteractionForm({
  account,
  contacts,
  onLogged,
}: {
  account: Account;
  contacts: readonly Contact[];
  onLogged: (interaction: Interaction) => void;
}) {
  const api = useApi();
  const { me } = useSession();
  const t = useMessages(messages);
  const { locale } = useLocale();
  const ids = useId();
  const staffNames = useStaffNames(api);
  const team = useLoad(
    (signal) => api.teams.listTeamMembers({ accountId: account.id, pageSize: 100 }, { signal }),
    [api, account.id],
  );
  // The caller first, then the account's team, each once.
  const people = useMemo(() => {
    const list = [me.staffId, ...(team.data?.members ?? []).map((member) => member.staffId)];
    return [...new Set(list.filter((id) => id !== ""))];
  }, [me.staffId, team.data]);

  const [type, setType] = useState<Interaction_Type>(Interaction_Type.SALES_VISIT);
  const [when, setWhen] = useState(() => localInputValue(new Date()));
  const [staffIds, setStaffIds] = useState<string[]>(me.staffId ? [me.staffId] : []);
  const [contactIds, setContactIds] = useState<string[]>([]);
  const [summary, setSummary] = useState("");
  const [outcome, setOutcome] = useState("");
  const [nextStep, setNextStep] = useState("");
  const [satisfaction, setSatisfaction] = useState(0);
  const [timeInvalid, setTimeInvalid] = useState(false);
  const log = useAction((interaction: Parameters<typeof api.planning.logInteraction>[0]) =>
    api.planning.logInteraction(interaction),
  );

  const toggle = (list: string[], id: string, on: boolean) => (on ? [...list, id] : list.filter((x) => x !== id));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    // datetime-local is the browser's zone; Date reads it so.
    const occur = new Date(when);
    if (when === "" || Number.isNaN(occur.getTime())) {
      setTimeInvalid(true);
      return;
    }
    setTimeInvalid(false);
    const logged = await log.run({
      interaction: {
        accountId: account.id,
        type,
        occurTime: timestampFromDate(occur),
        staffIds,
        contactIds,
        summary: summary.trim(),
        outcome: outcome.trim(),
        nextStep: nextStep.trim(),
        satisfaction,
      },
      requestId: crypto.randomUUID(),
    });
    if (logged) onLogged(logged);
  };

  return (
    <form className="interaction-form" onSubmit={(event) => void submit(event)} aria-label={t.heading}>
      <label>
        {t.type}
        <select name="interaction-type" value={type} onChange={(event) => setType(Number(event.target.value))}>
          {INTERACTION_TYPES.map((value) => (
            <option key={value} value={value}>
              {label(INTERACTION_TYPE, locale, value)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t.when}
        <input
          type="datetime-local"
          name="interaction-time"
          value={when}
          onChange={(event) => setWhen(event.target.value)}
          aria-invalid={timeInvalid ? "true" : undefined}
          aria-describedby={timeInvalid ? `${ids}-time` : undefined}
        />
        {timeInvalid && (
          <span id={`${ids}-time`} className="field-error">
            {t.badTime}
          </span>
        )}
      </label>
      <label>
        {t.satisfaction}
        <select
          name="interaction-satisfaction"
          value={satisfaction}
          onChange={(event) => setSatisfaction(Number(event.target.value))}
        >
          <option value={0}>{t.notRated}</option>
          {[1, 2, 3, 4, 5].map((value) => (
            <option key={value} value={value}>
              {t.rating(value)}
            </option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>{t.ourPeople}</legend>
        {people.map((id) => (
          <label key={id}>
            <input
              type="checkbox"
              checked={staffIds.includes(id)}
              onChange={(event) => setStaffIds((list) => toggle(list, id, event.target.checked))}
            />
            {id === me.staffId ? me.fullName || nameOf(staffNames, id) : nameOf(staffNames, id)}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>{t.contacts}</legend>
        {contacts.length === 0 && <p className="muted">{t.noContacts}</p>}
        {contacts.map((contact) => (
          <label key={contact.id}>
            <input
              type="checkbox"
              checked={contactIds.includes(contact.id)}
              onChange={(event) => setContactIds((list) => toggle(list, contact.id, event.target.checked))}
            />
            {contact.fullName}
            {contact.title && <span className="muted"> · {contact.title}</span>}
          </label>
        ))}
      </fieldset>
      <label className="wide">
        {t.summary}
        <textarea name="interaction-summary" rows={3} value={summary} onChange={(event) => setSummary(event.target.value)} />
      </label>
      <label>
        {t.outcome}
        <textarea name="interaction-outcome" rows={2} value={outcome} onChange={(event) => setOutcome(event.target.value)} />
      </label>
      <label>
        {t.nextStep}
        <textarea name="interaction-next-step" rows={2} value={nextStep} onChange={(event) => setNextStep(event.target.value)} />
      </label>
      <div className="wide">
        <button type="submit" disabled={log.pending}>
          {log.pending ? t.saving : t.save}
        </button>
        <ErrorNotice error={log.error} />
      </div>
    </form>
  );
}

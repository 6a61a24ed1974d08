/**
 * The interaction timeline (newest first, a page at a time) and a form to log a visit or any other
 * contact. A logged interaction appears on the timeline at once, from the server's answer.
 */
import { Role, type Account, type Interaction } from "@kam/client";
import { useMemo, useState } from "react";
import { hasRole, useApi, useSession } from "../../../app/session";
import { useAction, useLoad } from "../../../api/useLoad";
import { formatTime } from "../../../format/time";
import { defineMessages, useLocale, useMessages } from "../../../i18n/i18n";
import { label } from "../../../i18n/labels";
import { ErrorNotice } from "../../../ui/ErrorNotice";
import { INTERACTION_TYPE } from "./interactionLabels";
import { LogInteractionForm } from "./LogInteractionForm";
import { timeline } from "./model";
import { Loading, SectionFrame } from "./SectionFrame";
import { nameOf, useStaffNames } from "./staff";

const messages = defineMessages({
  en: {
    title: "Interactions",
    loading: "Loading interactions…",
    none: "No interactions logged yet.",
    log: "Log a visit",
    closeForm: "Close the form",
    more: "Show older",
    loadingMore: "Loading…",
    ourPeople: "Our people",
    theirPeople: "Contacts met",
    outcome: "Outcome",
    nextStep: "Next step",
    satisfaction: (value: number) => `Satisfaction ${value}/5`,
  },
  "zh-CN": {
    title: "客户互动",
    loading: "正在加载互动记录…",
    none: "暂无互动记录。",
    log: "记录拜访",
    closeForm: "收起表单",
    more: "加载更早的记录",
    loadingMore: "正在加载…",
    ourPeople: "我方人员",
    theirPeople: "客户联系人",
    outcome: "结果",
    nextStep: "下一步",
    satisfaction: (value: number) => `满意度 ${value}/5`,
  },
});

const PAGE_SIZE = 10;

export function InteractionsSection({ account }: { account: Account }) {
  const api = useApi();
  const { me } = useSession();
  const t = useMessages(messages);
  const staff = useStaffNames(api);
  const mayLog = hasRole(me, Role.ADMIN, Role.MANAGER, Role.MEMBER);
  const firstPage = useLoad(
    (signal) => api.planning.listInteractions({ accountId: account.id, pageSize: PAGE_SIZE }, { signal }),
    [api, account.id],
  );
  const contacts = useLoad(
    (signal) =>
      api.accounts.listContacts(
        { accountId: account.id, pageSize: 200, orderBy: "full_name", showInactive: true },
        { signal },
      ),
    [api, account.id],
  );
  const contactNames = useMemo(
    () => new Map((contacts.data?.contacts ?? []).map((contact) => [contact.id, contact.fullName])),
    [contacts.data],
  );

  // Older pages fetched with "Show older", and what was logged here since the first page came.
  const [older, setOlder] = useState<{ items: Interaction[]; nextPageToken: string } | undefined>(undefined);
  const [logged, setLogged] = useState<Interaction[]>([]);
  const [formOpen, setFormOpen] = useState(false);
  const nextPageToken = older ? older.nextPageToken : (firstPage.data?.nextPageToken ?? "");
  const loadOlder = useAction(async () => {
    const answer = await api.planning.listInteractions({ accountId: account.id, pageSize: PAGE_SIZE, pageToken: nextPageToken });
    setOlder((previous) => ({
      items: [...(previous?.items ?? []), ...answer.interactions],
      nextPageToken: answer.nextPageToken,
    }));
  });
  const entries = timeline(firstPage.data?.interactions ?? [], older?.items ?? [], logged);

  return (
    <SectionFrame
      title={t.title}
      testId="interactions-section"
      error={firstPage.error}
      loading={firstPage.loading}
      actions={
        mayLog && (
          <button type="button" aria-expanded={formOpen} onClick={() => setFormOpen((open) => !open)}>
            {formOpen ? t.closeForm : t.log}
          </button>
        )
      }
    >
      {formOpen && (
        <LogInteractionForm
          account={account}
          contacts={contacts.data?.contacts ?? []}
          onLogged={(interaction) => {
            setLogged((previous) => [...previous, interaction]);
            setFormOpen(false);
          }}
        />
      )}
      {!firstPage.data && firstPage.loading && <Loading text={t.loading} />}
      {firstPage.data && entries.length === 0 && <p className="muted">{t.none}</p>}
      <ol className="timeline" data-testid="interaction-timeline">
        {entries.map((interaction) => (
          <TimelineEntry key={interaction.id} interaction={interaction} staff={staff} contacts={contactNames} />
        ))}
      </ol>
      <ErrorNotice error={loadOlder.error} />
      {nextPageToken !== "" && (
        <button type="button" className="secondary" disabled={loadOlder.pending} onClick={() => void loadOlder.run()}>
          {loadOlder.pending ? t.loadingMore : t.more}
        </button>
      )}
    </SectionFrame>
  );
}

function TimelineEntry({
  interaction,
  staff,
  contacts,
}: {
  interaction: Interaction;
  staff: Map<string, string>;
  contacts: Map<string, string>;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <li data-testid={`interaction-${interaction.id}`}>
      <div className="entry-head">
        <strong>{label(INTERACTION_TYPE, locale, interaction.type)}</strong>
        <time dateTime={interaction.occurTime ? new Date(Number(interaction.occurTime.seconds) * 1000).toISOString() : undefined}>
          {formatTime(interaction.occurTime, locale)}
        </time>
        {interaction.satisfaction > 0 && <span className="badge">{t.satisfaction(interaction.satisfaction)}</span>}
      </div>
      <p>{interaction.summary}</p>
      {interaction.outcome && (
        <p>
          <strong>{t.outcome}:</strong> {interaction.outcome}
        </p>
      )}
      {interaction.nextStep && (
        <p>
          <strong>{t.nextStep}:</strong> {interaction.nextStep}
        </p>
      )}
      <p className="muted">
        {t.ourPeople}: {interaction.staffIds.map((id) => nameOf(staff, id)).join(", ")}
        {interaction.contactIds.length > 0 &&
          ` · ${t.theirPeople}: ${interaction.contactIds.map((id) => contacts.get(id) ?? id).join(", ")}`}
      </p>
    </li>
  );
}

/**
 * The account's own key dates (its founding anniversary, contract renewals, its events): shown in the
 * header, and edited as a whole by those who may edit accounts. The list is replaced in one
 * UpdateAccount guarded by the etag, so a change someone else saved first is refused (ABORTED), not
 * overwritten.
 */
import type { Account } from "@kam/client";
import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../api/useLoad";
import { useApi } from "../../app/session";
import { formatDate } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { KEY_DATE_KIND, label } from "../../i18n/labels";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { messages } from "./messages";
import {
  ACCOUNT_KEY_DATE_KINDS,
  MAX_KEY_DATES,
  emptyKeyDateDraft,
  keyDateDraftsOf,
  keyDateIndexOf,
  keyDatesOf,
  keyDatesUpdateRequest,
  labelRequired,
  type KeyDateDraft,
} from "./model";

export function KeyDates({
  account,
  canEdit,
  onSaved,
}: {
  account: Account;
  canEdit: boolean;
  onSaved: (account: Account) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const headingId = useId();
  const [editing, setEditing] = useState(false);
  return (
    <section className="key-dates" aria-labelledby={headingId} data-testid="account-key-dates">
      <h3 id={headingId}>{t.keyDates}</h3>
      {account.keyDates.length === 0 ? (
        <p className="muted small">{t.noKeyDates}</p>
      ) : (
        <ul className="key-date-list">
          {account.keyDates.map((keyDate, index) => (
            <li key={index}>
              <strong>{label(KEY_DATE_KIND, locale, keyDate.kind)}</strong>
              {keyDate.label !== "" && <> · {keyDate.label}</>} · {formatDate(keyDate.date, locale)}
              {keyDate.oneTime && <span className="badge">{t.keyDateOnceShort}</span>}
            </li>
          ))}
        </ul>
      )}
      {canEdit && !editing && (
        <button type="button" className="secondary" onClick={() => setEditing(true)}>
          {t.editKeyDates}
        </button>
      )}
      {editing && (
        <KeyDatesForm
          account={account}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            onSaved(saved);
          }}
        />
      )}
    </section>
  );
}

function KeyDatesForm({
  account,
  onCancel,
  onSaved,
}: {
  account: Account;
  onCancel: () => void;
  onSaved: (account: Account) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const titleId = useId();
  const rowId = useId();
  const [drafts, setDrafts] = useState<KeyDateDraft[]>(() => keyDateDraftsOf(account.keyDates));
  const [missing, setMissing] = useState<number[]>([]);
  const save = useAction((keyDates: ReturnType<typeof keyDatesOf>["keyDates"]) =>
    api.accounts.updateAccount(keyDatesUpdateRequest(account, keyDates)),
  );

  const update = (index: number, change: Partial<KeyDateDraft>) =>
    setDrafts((previous) => previous.map((draft, i) => (i === index ? { ...draft, ...change } : draft)));
  const remove = (index: number) => setDrafts((previous) => previous.filter((_, i) => i !== index));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const { keyDates, missingDates } = keyDatesOf(drafts);
    setMissing(missingDates);
    if (missingDates.length > 0) return;
    const saved = await save.run(keyDates);
    if (saved) onSaved(saved);
  };
  // The server names a refused row by its index among the dates sent: every row is sent (a form with a
  // row lacking its date is not), so that is the row's index here.
  const rowErrors = (index: number) =>
    (save.error?.fields ?? [])
      .filter((violation) => keyDateIndexOf(violation.field) === index)
      .map((violation) => violation.description)
      .join("; ");

  return (
    <form className="key-dates-edit" aria-labelledby={titleId} onSubmit={(event) => void submit(event)}>
      <h4 id={titleId}>{t.keyDatesTitle}</h4>
      {drafts.map((draft, index) => {
        const id = `${rowId}-${index}`;
        const error = rowErrors(index);
        return (
          <fieldset key={index} className="key-date-row" data-testid={`key-date-row-${index}`}>
            <legend>{t.keyDateN(index + 1)}</legend>
            <label htmlFor={`${id}-kind`}>
              {t.keyDateKind}
              <select
                id={`${id}-kind`}
                name="kind"
                value={draft.kind}
                onChange={(event) => update(index, { kind: Number(event.target.value) })}
              >
                {/* A kind this form does not offer (set elsewhere) stays choosable, so saving keeps it. */}
                {!ACCOUNT_KEY_DATE_KINDS.includes(draft.kind) && (
                  <option value={draft.kind}>{label(KEY_DATE_KIND, locale, draft.kind)}</option>
                )}
                {ACCOUNT_KEY_DATE_KINDS.map((kind) => (
                  <option key={kind} value={kind}>
                    {label(KEY_DATE_KIND, locale, kind)}
                  </option>
                ))}
              </select>
            </label>
            <label htmlFor={`${id}-date`}>
              {t.keyDateDate}
              <input
                id={`${id}-date`}
                name="date"
                type="date"
                value={draft.date}
                aria-invalid={missing.includes(index) ? "true" : undefined}
                onChange={(event) => update(index, { date: event.target.value })}
              />
              {missing.includes(index) && <span className="field-error">{t.keyDateMissingDate}</span>}
            </label>
            <label htmlFor={`${id}-label`}>
              {labelRequired(draft.kind) ? t.keyDateLabelRequired : t.keyDateLabel}
              <input
                id={`${id}-label`}
                name="label"
                maxLength={100}
                value={draft.label}
                onChange={(event) => update(index, { label: event.target.value })}
              />
            </label>
            <label className="checkbox" htmlFor={`${id}-once`}>
              <input
                id={`${id}-once`}
                name="one_time"
                type="checkbox"
                checked={draft.oneTime}
                onChange={(event) => update(index, { oneTime: event.target.checked })}
              />
              {t.keyDateOnce}
            </label>
            <label className="checkbox" htmlFor={`${id}-year`}>
              <input
                id={`${id}-year`}
                name="year_unknown"
                type="checkbox"
                checked={draft.yearUnknown && !draft.oneTime}
                disabled={draft.oneTime}
                onChange={(event) => update(index, { yearUnknown: event.target.checked })}
              />
              {t.keyDateYearUnknown}
            </label>
            <button type="button" className="secondary" aria-label={t.removeKeyDate(index + 1)} onClick={() => remove(index)}>
              {t.remove}
            </button>
            {error !== "" && <span className="field-error key-date-error">{error}</span>}
          </fieldset>
        );
      })}
      <p>
        <button
          type="button"
          className="secondary"
          disabled={drafts.length >= MAX_KEY_DATES}
          onClick={() => setDrafts((previous) => [...previous, emptyKeyDateDraft()])}
        >
          {t.addKeyDate}
        </button>
        {drafts.length >= MAX_KEY_DATES && <span className="muted small"> {t.keyDatesLimit(MAX_KEY_DATES)}</span>}
      </p>
      <ErrorNotice error={save.error} />
      <div className="form-actions">
        <button type="submit" disabled={save.pending}>
          {save.pending ? t.saving : t.saveKeyDates}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t.cancel}
        </button>
      </div>
    </form>
  );
}

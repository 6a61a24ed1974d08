/**
 * The competitors on record, with their aliases, home regions and website; ADMIN and MANAGER create,
 * edit and delete them here (the etag read guards an edit against another's).
 */
import type { Competitor } from "@kam/client";
import { useId, useState, type FormEvent } from "react";
import { useAction } from "../../api/useLoad";
import { useApi } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { nameOfCode, segmentName, treeOrder } from "../../segments/model";
import { useSegments } from "../../segments/useSegments";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { messages } from "./messages";
import {
  competitorDraftOf,
  competitorOf,
  competitorUpdate,
  EMPTY_COMPETITOR,
  type CompetitorDraft,
} from "./model";

export function CompetitorList({
  competitors,
  canEdit,
  onChanged,
}: {
  competitors: readonly Competitor[] | undefined;
  canEdit: boolean;
  onChanged: () => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const segments = useSegments();
  const headingId = useId();
  const [editing, setEditing] = useState<string | undefined>(undefined);
  const [query, setQuery] = useState("");
  const remove = useAction((competitor: Competitor) => api.opportunities.deleteCompetitor({ id: competitor.id, etag: competitor.etag }));
  const needle = query.trim().toLowerCase();
  const shown = (competitors ?? []).filter(
    (competitor) =>
      needle === "" ||
      competitor.name.toLowerCase().includes(needle) ||
      competitor.aliases.some((alias) => alias.toLowerCase().includes(needle)),
  );
  const confirmAndRemove = async (competitor: Competitor) => {
    if (!window.confirm(t.confirmRemove(competitor.name))) return;
    if ((await remove.run(competitor)) !== undefined) onChanged();
  };
  return (
    <section className="card" aria-labelledby={headingId} data-testid="competitor-list">
      <h2 id={headingId}>{t.list}</h2>
      <div className="filters">
        <label>
          {t.search}
          <input type="search" name="competitor_query" value={query} onChange={(event) => setQuery(event.target.value)} />
        </label>
      </div>
      <ErrorNotice error={remove.error} />
      {competitors && competitors.length === 0 && <p className="muted">{t.noCompetitors}</p>}
      {shown.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.name}</th>
              <th scope="col">{t.aliases}</th>
              <th scope="col">{t.homeRegions}</th>
              <th scope="col">{t.strengths}</th>
              <th scope="col">{t.weaknesses}</th>
              <th scope="col">{t.website}</th>
              {canEdit && (
                <th scope="col">
                  <span className="visually-hidden">{t.edit}</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {shown.map((competitor) =>
              editing === competitor.id ? (
                <tr key={competitor.id}>
                  <td colSpan={canEdit ? 7 : 6}>
                    <CompetitorForm
                      competitor={competitor}
                      onCancel={() => setEditing(undefined)}
                      onSaved={() => {
                        setEditing(undefined);
                        onChanged();
                      }}
                    />
                  </td>
                </tr>
              ) : (
                <tr key={competitor.id} data-testid={`competitor-${competitor.id}`}>
                  <th scope="row">{competitor.name}</th>
                  <td>
                    <ul className="competitor-aliases">
                      {competitor.aliases.map((alias) => (
                        <li key={alias}>{alias}</li>
                      ))}
                    </ul>
                  </td>
                  <td>{competitor.homeRegionCodes.map((code) => nameOfCode(segments.data?.regions, code, locale)).join(", ")}</td>
                  <td>{competitor.strengths}</td>
                  <td>{competitor.weaknesses}</td>
                  <td>{competitor.website}</td>
                  {canEdit && (
                    <td>
                      <div className="row-actions">
                        <button type="button" className="secondary" aria-label={t.editOf(competitor.name)} onClick={() => setEditing(competitor.id)}>
                          {t.edit}
                        </button>
                        <button
                          type="button"
                          className="secondary"
                          aria-label={t.removeOf(competitor.name)}
                          disabled={remove.pending}
                          onClick={() => void confirmAndRemove(competitor)}
                        >
                          {t.remove}
                        </button>
                      </div>
                    </td>
                  )}
                </tr>
              ),
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A competitor's fields: a new one (optionally named already) or an edit of one on record. */
export function CompetitorForm({
  competitor,
  initialName = "",
  onCancel,
  onSaved,
}: {
  competitor?: Competitor;
  initialName?: string;
  onCancel: () => void;
  onSaved: (competitor: Competitor) => void;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  const api = useApi();
  const segments = useSegments();
  const titleId = useId();
  const [draft, setDraft] = useState<CompetitorDraft>(() =>
    competitor ? competitorDraftOf(competitor) : { ...EMPTY_COMPETITOR, name: initialName },
  );
  const set = <K extends keyof CompetitorDraft>(key: K, value: CompetitorDraft[K]) =>
    setDraft((previous) => ({ ...previous, [key]: value }));
  const update = competitor ? competitorUpdate(competitor, draft) : undefined;
  const save = useAction(() =>
    competitor && update
      ? api.opportunities.updateCompetitor(update)
      : api.opportunities.createCompetitor({ competitor: competitorOf(draft), requestId: crypto.randomUUID() }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (update && update.updateMask.paths.length === 0) return onCancel();
    const saved = await save.run();
    if (saved) onSaved(saved);
  };
  const fieldErrors = (field: string) =>
    (save.error?.fields ?? [])
      .filter((violation) => violation.field === field || violation.field.endsWith(`.${field}`) || violation.field.includes(`.${field}[`))
      .map((violation) => violation.description)
      .join("; ");
  const error = (field: string) => fieldErrors(field) !== "" && <span className="field-error">{fieldErrors(field)}</span>;
  const regions = treeOrder(segments.data?.regions ?? []);
  const title = competitor ? t.formEdit(competitor.name) : t.formNew;
  return (
    <form className="card competitor-form" aria-labelledby={titleId} onSubmit={(event) => void submit(event)}>
      <h3 id={titleId}>{title}</h3>
      <div className="form-grid">
        <label>
          {t.name}
          <input name="name" required maxLength={200} value={draft.name} onChange={(event) => set("name", event.target.value)} />
          {error("name")}
        </label>
        <label>
          {t.aliases} <span className="muted small">({t.aliasesHint})</span>
          <textarea name="aliases" rows={3} value={draft.aliases} onChange={(event) => set("aliases", event.target.value)} />
          {error("aliases")}
        </label>
        <label>
          {t.website}
          <input name="website" maxLength={500} value={draft.website} onChange={(event) => set("website", event.target.value)} />
          {error("website")}
        </label>
        <label>
          {t.homeRegions}
          <select
            name="home_region_codes"
            multiple
            value={draft.homeRegionCodes}
            onChange={(event) =>
              set(
                "homeRegionCodes",
                Array.from(event.target.selectedOptions, (option) => option.value),
              )
            }
          >
            {regions.map(({ segment, level }) => (
              <option key={segment.code} value={segment.code}>
                {`${"\u00a0\u00a0".repeat(level)}${segmentName(segment, locale)} (${segment.code})`}
              </option>
            ))}
          </select>
          {error("home_region_codes")}
        </label>
        <label>
          {t.strengths}
          <textarea name="strengths" rows={3} maxLength={2000} value={draft.strengths} onChange={(event) => set("strengths", event.target.value)} />
          {error("strengths")}
        </label>
        <label>
          {t.weaknesses}
          <textarea name="weaknesses" rows={3} maxLength={2000} value={draft.weaknesses} onChange={(event) => set("weaknesses", event.target.value)} />
          {error("weaknesses")}
        </label>
      </div>
      <ErrorNotice error={save.error} />
      <div className="form-actions">
        <button type="submit" disabled={save.pending}>
          {competitor ? (save.pending ? t.saving : t.save) : save.pending ? t.creating : t.create}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t.cancel}
        </button>
        {update && update.updateMask.paths.length === 0 && <span className="muted small">{t.nothingChanged}</span>}
      </div>
    </form>
  );
}

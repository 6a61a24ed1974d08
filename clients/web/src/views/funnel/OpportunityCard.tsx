/**
 * One opportunity on the board: what it is worth and when, whose it is, its MAN qualification, and the
 * ways to change it. Dragging and the "Move to…" control both call `onMove`, so a keyboard user moves
 * a card through exactly the same path as a mouse user. A refusal is shown on the card itself.
 */
import type { PipelineStage } from "@kam/client";
import { useId, useState, type DragEvent } from "react";
import { formatMoney } from "../../format/money";
import { formatDate } from "../../format/time";
import { useLocale, useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { funnelMessages, type FunnelMessages } from "./messages";
import { isQualified, MAN_FLAGS, type BoardCard, type ManFlag } from "./model";

/** The type of the drag data the board understands: the opportunity's id. */
export const DRAG_TYPE = "application/x-kam-opportunity";

export type ManFlags = Record<ManFlag, boolean>;

function flagLabel(t: FunnelMessages, flag: ManFlag): string {
  switch (flag) {
    case "budgetConfirmed":
      return t.budget;
    case "authorityConfirmed":
      return t.authority;
    case "needConfirmed":
      return t.need;
  }
}

export function OpportunityCard({
  card,
  stages,
  accountName,
  ownerName,
  canEdit,
  onMove,
  onQualify,
  onDismiss,
}: {
  card: BoardCard;
  /** The open stages, for "Move to…". */
  stages: readonly PipelineStage[];
  accountName: string;
  ownerName: string;
  canEdit: boolean;
  onMove: (stage: string) => void;
  onQualify: (flags: ManFlags) => void;
  onDismiss: () => void;
}) {
  const t = useMessages(funnelMessages);
  const { locale } = useLocale();
  const titleId = useId();
  const { opportunity, pending, error } = card;
  const qualified = isQualified(opportunity.qualification);

  const startDrag = (event: DragEvent<HTMLElement>) => {
    event.dataTransfer.setData(DRAG_TYPE, opportunity.id);
    event.dataTransfer.setData("text/plain", opportunity.id);
    event.dataTransfer.effectAllowed = "move";
  };

  return (
    <article
      className={`funnel-card${pending ? " pending" : ""}${error ? " refused" : ""}`}
      aria-labelledby={titleId}
      aria-busy={pending ? "true" : "false"}
      data-testid={`opportunity-${opportunity.id}`}
      data-stage={card.column}
      draggable={canEdit && !pending}
      onDragStart={startDrag}
    >
      <h4 id={titleId} className="funnel-card-title">
        {opportunity.displayName}
      </h4>
      <dl className="funnel-card-facts">
        <dt>{t.account}</dt>
        <dd>{accountName}</dd>
        <dt>{t.amount}</dt>
        <dd className="number">{opportunity.amount ? formatMoney(opportunity.amount, locale) : t.noAmount}</dd>
        <dt>{t.closeDate}</dt>
        <dd>{opportunity.expectedCloseDate ? formatDate(opportunity.expectedCloseDate, locale) : t.noCloseDate}</dd>
        <dt>{t.owner}</dt>
        <dd>{ownerName}</dd>
        <dt>{t.man}</dt>
        <dd>
          <ul className="funnel-man-flags" aria-label={qualified ? t.qualified : t.notQualified}>
            {MAN_FLAGS.map((flag) => {
              const confirmed = opportunity.qualification?.[flag] === true;
              return (
                <li key={flag} className={`badge ${confirmed ? "good" : "warn"}`} data-flag={flag} data-confirmed={confirmed}>
                  {flagLabel(t, flag)}: {confirmed ? t.confirmed : t.notConfirmed}
                </li>
              );
            })}
          </ul>
        </dd>
      </dl>
      {pending && (
        <p className="funnel-card-pending" role="status">
          {card.column !== opportunity.stage ? t.moving : t.saving}
        </p>
      )}
      {error && (
        <div className="funnel-card-error">
          <ErrorNotice error={error} />
          <button type="button" className="secondary" onClick={onDismiss}>
            {t.dismiss}
          </button>
        </div>
      )}
      {canEdit && (
        <>
          <MoveControl current={opportunity.stage} stages={stages} disabled={pending} onMove={onMove} />
          <QualifyForm
            // A fresh form for each version of the opportunity: it starts from what the server has.
            key={opportunity.etag}
            initial={{
              budgetConfirmed: opportunity.qualification?.budgetConfirmed ?? false,
              authorityConfirmed: opportunity.qualification?.authorityConfirmed ?? false,
              needConfirmed: opportunity.qualification?.needConfirmed ?? false,
            }}
            disabled={pending}
            onSave={onQualify}
          />
        </>
      )}
    </article>
  );
}

/** The keyboard way to move: pick a stage, press Move. */
function MoveControl({
  current,
  stages,
  disabled,
  onMove,
}: {
  current: string;
  stages: readonly PipelineStage[];
  disabled: boolean;
  onMove: (stage: string) => void;
}) {
  const t = useMessages(funnelMessages);
  const selectId = useId();
  const [target, setTarget] = useState("");
  const others = stages.filter((stage) => stage.key !== current);
  const chosen = others.some((stage) => stage.key === target) ? target : "";
  return (
    <div className="funnel-card-move">
      <label htmlFor={selectId}>{t.moveTo}</label>
      <select id={selectId} value={chosen} onChange={(event) => setTarget(event.target.value)} disabled={disabled}>
        <option value="">{t.chooseStage}</option>
        {others.map((stage) => (
          <option key={stage.key} value={stage.key}>
            {stage.displayName}
          </option>
        ))}
      </select>
      <button type="button" disabled={disabled || chosen === ""} onClick={() => onMove(chosen)}>
        {t.move}
      </button>
    </div>
  );
}

/** Confirms (or clears) Money, Authority and Need. */
function QualifyForm({
  initial,
  disabled,
  onSave,
}: {
  initial: ManFlags;
  disabled: boolean;
  onSave: (flags: ManFlags) => void;
}) {
  const t = useMessages(funnelMessages);
  const [flags, setFlags] = useState(initial);
  const changed = MAN_FLAGS.some((flag) => flags[flag] !== initial[flag]);
  return (
    <details className="funnel-card-qualify">
      <summary>{t.qualify}</summary>
      <fieldset>
        <legend className="visually-hidden">{t.qualify}</legend>
        {MAN_FLAGS.map((flag) => (
          <label key={flag} className="funnel-check">
            <input
              type="checkbox"
              checked={flags[flag]}
              disabled={disabled}
              onChange={(event) => setFlags({ ...flags, [flag]: event.target.checked })}
            />
            {flagLabel(t, flag)}
          </label>
        ))}
        <button type="button" disabled={disabled || !changed} onClick={() => onSave(flags)}>
          {t.saveQualification}
        </button>
      </fieldset>
    </details>
  );
}

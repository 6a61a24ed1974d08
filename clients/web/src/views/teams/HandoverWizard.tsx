/**
 * The handover wizard (TransferResponsibilities), for managers and administrators: step 1 who leaves,
 * who takes over and why; step 2 the server's validate_only answer (what would move, per area, and
 * which rules would break); step 3 the handover itself and what it moved. Changing a choice sends the
 * wizard back to step 1, since the preview no longer says what would move.
 */
import type { Staff } from "@kam/client";
import { useEffect, useId, useMemo, useReducer, useRef, type FormEvent } from "react";
import { Link } from "../../app/router";
import { useApi } from "../../app/session";
import { useAction, useLoad } from "../../api/useLoad";
import { useLocale, useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { areaLabel, messages } from "./messages";
import {
  canGoBack,
  canGoForward,
  canPreview,
  currentPreview,
  groupMoves,
  initialWizard,
  STEPS,
  wizardReducer,
  type HandoverAnswer,
  type HandoverInput,
  type Step,
} from "./model";
import { useAccountNames } from "./useAccountNames";

export function HandoverWizard({
  knownAccounts,
  onHandedOver,
}: {
  /** Account names the page already has (the coverage report). */
  knownAccounts: ReadonlyMap<string, string>;
  onHandedOver: () => void;
}) {
  const t = useMessages(messages);
  const api = useApi();
  const [state, dispatch] = useReducer(wizardReducer, initialWizard);
  const staff = useLoad((signal) => api.teams.listStaff({ pageSize: 1000 }, { signal }), [api]);
  const people = useMemo(
    () => [...(staff.data?.staff ?? [])].sort((a, b) => a.fullName.localeCompare(b.fullName)),
    [staff.data],
  );
  const nameOf = (id: string) => people.find((person) => person.id === id)?.fullName ?? id;
  const preview = currentPreview(state);
  const shown = state.result ?? preview;
  const accountIds = useMemo(
    () => [...(shown?.moved ?? []), ...(shown?.ruleBreaks ?? [])].map((item) => item.accountId),
    [shown],
  );
  const accountNames = useAccountNames(accountIds, knownAccounts);

  const previewAction = useAction((input: HandoverInput) =>
    api.teams.transferResponsibilities({ ...input, reason: input.reason.trim(), validateOnly: true }),
  );
  const applyAction = useAction((input: HandoverInput) =>
    api.teams.transferResponsibilities({ ...input, reason: input.reason.trim(), validateOnly: false }),
  );

  const askPreview = async () => {
    const input = state.input;
    const answer = await previewAction.run(input);
    if (answer) dispatch({ type: "previewed", input, answer });
  };
  const apply = async () => {
    const answer = await applyAction.run(state.input);
    if (answer) {
      dispatch({ type: "applied", answer });
      onHandedOver();
    }
  };

  // Each step's heading takes the focus, so keyboard and screen-reader users land on the new step.
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [state.step, state.result]);

  const stepIndex = STEPS.indexOf(state.step);
  const stepTitle = { choose: t.stepChoose, preview: t.stepPreview, apply: t.stepApply }[state.step];

  return (
    <section className="card teams-wizard" aria-labelledby="wizard-title" data-testid="handover-wizard">
      <h2 id="wizard-title">{t.wizardTitle}</h2>
      <p className="muted">{t.wizardIntro}</p>
      <StepList current={state.step} />
      <h3 ref={headingRef} tabIndex={-1} className="teams-step-title">
        {t.stepOf(stepIndex + 1, STEPS.length)}: {stepTitle}
      </h3>
      <ErrorNotice error={staff.error} />

      {state.step === "choose" && (
        <ChooseStep
          people={people}
          input={state.input}
          onEdit={(change) => {
            previewAction.clear();
            dispatch({ type: "edit", change });
          }}
          onPreview={() => void askPreview()}
          pending={previewAction.pending}
          canPreview={canPreview(state.input)}
        />
      )}
      {state.step === "choose" && <ErrorNotice error={previewAction.error} />}

      {state.step === "preview" && preview && (
        <PreviewStep answer={preview} accountNames={accountNames} />
      )}

      {state.step === "apply" && preview && (
        <div className="teams-apply">
          {!state.result && (
            <>
              <p>{t.applyText(preview.moved.length, nameOf(state.input.fromStaffId), nameOf(state.input.toStaffId))}</p>
              {applyAction.pending ? (
                <div role="status" className="teams-running">
                  <div className="progress teams-indeterminate" aria-hidden="true">
                    <span />
                  </div>
                  {t.applying}
                </div>
              ) : (
                <button type="button" onClick={() => void apply()}>
                  {t.apply}
                </button>
              )}
              <ErrorNotice error={applyAction.error} />
            </>
          )}
          {state.result && (
            <DoneStep answer={state.result} to={nameOf(state.input.toStaffId)} accountNames={accountNames} />
          )}
        </div>
      )}

      <div className="teams-nav">
        {canGoBack(state) && (
          <button type="button" className="secondary" disabled={applyAction.pending} onClick={() => dispatch({ type: "back" })}>
            {t.back}
          </button>
        )}
        {(state.step === "preview" || (state.step === "choose" && canGoForward(state))) && (
          <button type="button" onClick={() => dispatch({ type: "forward" })} disabled={!canGoForward(state)}>
            {t.next}
          </button>
        )}
        {state.result && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              previewAction.clear();
              applyAction.clear();
              dispatch({ type: "reset" });
            }}
          >
            {t.startOver}
          </button>
        )}
      </div>
    </section>
  );
}

function StepList({ current }: { current: Step }) {
  const t = useMessages(messages);
  const titles = { choose: t.stepChoose, preview: t.stepPreview, apply: t.stepApply };
  const currentIndex = STEPS.indexOf(current);
  return (
    <ol className="teams-steps">
      {STEPS.map((step, index) => (
        <li
          key={step}
          aria-current={step === current ? "step" : undefined}
          className={index < currentIndex ? "teams-step-done" : undefined}
        >
          {titles[step]}
        </li>
      ))}
    </ol>
  );
}

function ChooseStep({
  people,
  input,
  onEdit,
  onPreview,
  pending,
  canPreview,
}: {
  people: readonly Staff[];
  input: HandoverInput;
  onEdit: (change: Partial<HandoverInput>) => void;
  onPreview: () => void;
  pending: boolean;
  canPreview: boolean;
}) {
  const t = useMessages(messages);
  const ids = { from: useId(), to: useId(), reason: useId() };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canPreview && !pending) onPreview();
  };
  return (
    <form onSubmit={submit} className="teams-form">
      <div className="teams-form-grid">
        <label htmlFor={ids.from}>{t.from}</label>
        <PersonSelect id={ids.from} people={people} value={input.fromStaffId} onChange={(fromStaffId) => onEdit({ fromStaffId })} />
        <label htmlFor={ids.to}>{t.to}</label>
        <PersonSelect id={ids.to} people={people} value={input.toStaffId} onChange={(toStaffId) => onEdit({ toStaffId })} />
        <label htmlFor={ids.reason}>{t.reason}</label>
        <textarea id={ids.reason} rows={2} value={input.reason} onChange={(event) => onEdit({ reason: event.target.value })} />
      </div>
      {pending ? (
        <div role="status" className="teams-running">
          <div className="progress teams-indeterminate" aria-hidden="true">
            <span />
          </div>
          {t.previewing}
        </div>
      ) : (
        <button type="submit" disabled={!canPreview}>
          {t.preview}
        </button>
      )}
    </form>
  );
}

function PersonSelect({
  id,
  people,
  value,
  onChange,
}: {
  id: string;
  people: readonly Staff[];
  value: string;
  onChange: (id: string) => void;
}) {
  const t = useMessages(messages);
  return (
    <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>
      <option value="">{t.choosePerson}</option>
      {people.map((person) => (
        <option key={person.id} value={person.id}>
          {person.email ? `${person.fullName} (${person.email})` : person.fullName}
        </option>
      ))}
    </select>
  );
}

function PreviewStep({ answer, accountNames }: { answer: HandoverAnswer; accountNames: ReadonlyMap<string, string> }) {
  const t = useMessages(messages);
  const accounts = new Set(answer.moved.map((item) => item.accountId)).size;
  return (
    <div data-testid="handover-preview">
      <p>{answer.moved.length === 0 ? t.nothingMoves : t.wouldMove(answer.moved.length, accounts)}</p>
      <MovedByArea answer={answer} accountNames={accountNames} />
      {answer.ruleBreaks.length > 0 ? (
        <div className="teams-breaks" data-testid="rule-breaks">
          <h4>{t.rulesBroken}</h4>
          <p>{t.rulesBrokenHint}</p>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.rule}</th>
                <th scope="col">{t.account}</th>
                <th scope="col">{t.description}</th>
              </tr>
            </thead>
            <tbody>
              {answer.ruleBreaks.map((rule, index) => (
                <tr key={`${rule.rule}/${rule.accountId}/${index}`} data-rule={rule.rule}>
                  <td>
                    <code>{rule.rule}</code>
                  </td>
                  <td>{rule.accountId && <AccountLink id={rule.accountId} names={accountNames} />}</td>
                  <td>{rule.description}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        answer.moved.length > 0 && <p className="teams-ok">{t.noRulesBroken}</p>
      )}
    </div>
  );
}

function MovedByArea({
  answer,
  accountNames,
  showNew = false,
}: {
  answer: HandoverAnswer;
  accountNames: ReadonlyMap<string, string>;
  showNew?: boolean;
}) {
  const t = useMessages(messages);
  const { locale } = useLocale();
  return (
    <>
      {groupMoves(answer.moved).map((group) => (
        <div key={group.area} className="teams-area" data-area={group.area}>
          <h4>
            {areaLabel(locale, group.area)}{" "}
            <span className="muted">({t.areaCount(group.count, group.accounts)})</span>
          </h4>
          <table>
            <thead>
              <tr>
                <th scope="col">{t.account}</th>
                <th scope="col">{t.item}</th>
                {showNew && <th scope="col">{t.newItem}</th>}
              </tr>
            </thead>
            <tbody>
              {group.items.map((item) => (
                <tr key={item.itemId}>
                  <td>
                    <AccountLink id={item.accountId} names={accountNames} />
                  </td>
                  <td>{item.description}</td>
                  {showNew && (
                    <td>
                      <code>{item.newItemId || item.itemId}</code>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </>
  );
}

function DoneStep({
  answer,
  to,
  accountNames,
}: {
  answer: HandoverAnswer;
  to: string;
  accountNames: ReadonlyMap<string, string>;
}) {
  const t = useMessages(messages);
  return (
    <div role="status" className="teams-done" data-testid="handover-result">
      <h4>{t.doneTitle}</h4>
      <p>{t.doneText(answer.moved.length, to)}</p>
      <MovedByArea answer={answer} accountNames={accountNames} showNew />
    </div>
  );
}

function AccountLink({ id, names }: { id: string; names: ReadonlyMap<string, string> }) {
  return <Link to={{ page: "account", id }}>{names.get(id) ?? id}</Link>;
}

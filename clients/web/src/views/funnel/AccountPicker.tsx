/**
 * The account filter: a search-as-you-type combobox (WAI-ARIA combobox with a listbox popup). The
 * server searches (ListAccounts with `query`, 20 matches) once typing has settled, so it works with any
 * number of accounts. Choosing a match sets the filter; "Clear account" resets it. While the user types,
 * the filter keeps the account chosen before; leaving the field without choosing shows it again.
 */
import { describeError, type Account, type KamError } from "@kam/client";
import { useEffect, useId, useState, type KeyboardEvent } from "react";
import { useApi } from "../../app/session";
import { useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import type { FoundAccount } from "./accountNames";
import { funnelMessages } from "./messages";
import { nextActiveOption } from "./model";

/** How long typing must pause before the server is asked. */
const SEARCH_DELAY_MS = 300;
const SEARCH_SIZE = 20;

export function foundAccount(account: Account): FoundAccount {
  return { id: account.id, name: account.displayName, facts: { tier: account.tier, region: account.region } };
}

interface Matches {
  /** The query these matches answer. */
  query: string;
  accounts: FoundAccount[];
}

export function AccountPicker({
  label,
  value,
  onChange,
}: {
  label: string;
  value: FoundAccount | undefined;
  onChange: (account: FoundAccount | undefined) => void;
}) {
  const t = useMessages(funnelMessages);
  const api = useApi();
  const id = useId();
  const inputId = `${id}-input`;
  const listId = `${id}-list`;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState("");
  const [matches, setMatches] = useState<Matches | undefined>(undefined);
  const [error, setError] = useState<KamError | undefined>(undefined);
  const [active, setActive] = useState(-1);
  const query = text.trim();

  useEffect(() => {
    if (!editing || query === "") return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.accounts.listAccounts({ query, pageSize: SEARCH_SIZE }, { signal: controller.signal }).then(
        (page) => {
          if (controller.signal.aborted) return;
          setMatches({ query, accounts: page.accounts.map(foundAccount) });
          setError(undefined);
        },
        (thrown: unknown) => {
          if (controller.signal.aborted) return;
          setMatches({ query, accounts: [] });
          setError(describeError(thrown));
        },
      );
    }, SEARCH_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, editing, query]);

  const searching = editing && query !== "" && matches?.query !== query;
  const options = editing && query !== "" ? (matches?.accounts ?? []) : [];
  const open = editing && query !== "" && (options.length > 0 || !searching);
  const status = !editing || query === "" ? "" : searching ? t.searching : options.length === 0 ? t.noMatches : t.matches(options.length, SEARCH_SIZE);

  const stopEditing = () => {
    setEditing(false);
    setText("");
    setActive(-1);
  };
  const choose = (account: FoundAccount) => {
    stopEditing();
    onChange(account);
  };
  const clear = () => {
    stopEditing();
    setMatches(undefined);
    onChange(undefined);
    document.getElementById(inputId)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      setActive((current) => nextActiveOption(current, options.length, event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Enter" && open && options[active]) {
      event.preventDefault();
      choose(options[active]);
    } else if (event.key === "Escape" && editing) {
      event.preventDefault();
      stopEditing();
    }
  };

  return (
    <div className="funnel-field funnel-picker">
      <label htmlFor={inputId}>{label}</label>
      <div className="funnel-picker-row">
        <input
          id={inputId}
          type="text"
          role="combobox"
          autoComplete="off"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && options[active] ? `${id}-option-${active}` : undefined}
          aria-describedby={`${id}-status`}
          value={editing ? text : (value?.name ?? "")}
          onChange={(event) => {
            setEditing(true);
            setText(event.target.value);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onBlur={stopEditing}
        />
        {(value !== undefined || (editing && text !== "")) && (
          <button type="button" className="secondary" onClick={clear}>
            {t.clearAccount}
          </button>
        )}
      </div>
      <span id={`${id}-status`} role="status" className="visually-hidden">
        {status}
      </span>
      {/* The listbox is always in the page, so the combobox's aria-controls always names an element. */}
      <div className="funnel-picker-popup" hidden={!open}>
        {open && options.length === 0 && <p className="muted">{status}</p>}
        <ul id={listId} role="listbox" aria-label={label} hidden={options.length === 0}>
          {options.map((account, index) => (
            <li
              key={account.id}
              id={`${id}-option-${index}`}
              role="option"
              aria-selected={index === active}
              data-account-id={account.id}
              // Keep the focus in the input, so blurring does not close the list before the click.
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => choose(account)}
            >
              {account.name}
              {account.facts.region !== "" && <span className="muted"> · {account.facts.region}</span>}
            </li>
          ))}
        </ul>
      </div>
      <ErrorNotice error={error} />
    </div>
  );
}

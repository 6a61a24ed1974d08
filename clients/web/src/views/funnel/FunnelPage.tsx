/**
 * The opportunity funnel (/funnel): pick a pipeline, narrow it by owner, account and tier, work the
 * board, and read the reports for the same selection.
 */
import { Role, Tier, type Pipeline } from "@kam/client";
import { useCallback, useId, useMemo, useState } from "react";
import type { Api } from "../../api/clients";
import { useLoad } from "../../api/useLoad";
import { useApi, useSession } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label, TIER } from "../../i18n/labels";
import { Page } from "../../ui/Page";
import { Field } from "./Field";
import { Board } from "./Board";
import { funnelMessages } from "./messages";
import type { AccountFacts } from "./model";
import { Reports } from "./Reports";
import "./funnel.css";

/** How many accounts and staff the name lookups load (one request each, not one per card). */
const DIRECTORY_SIZE = 1000;

const TIERS = [Tier.STRATEGIC, Tier.KEY, Tier.GROWTH, Tier.STANDARD] as const;

async function listPipelines(api: Api, signal: AbortSignal): Promise<Pipeline[]> {
  const pipelines: Pipeline[] = [];
  let pageToken = "";
  do {
    const page = await api.opportunities.listPipelines({ pageSize: 100, pageToken }, { signal });
    pipelines.push(...page.pipelines);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return pipelines;
}

interface Directory {
  accounts: { id: string; name: string; facts: AccountFacts }[];
  staff: { id: string; name: string }[];
}

/** The names the cards and filters show: the accounts the caller sees and the staff. */
async function loadDirectory(api: Api, signal: AbortSignal): Promise<Directory> {
  const [accounts, staff] = await Promise.all([
    api.accounts.listAccounts({ pageSize: DIRECTORY_SIZE, orderBy: "display_name" }, { signal }),
    api.teams.listStaff({ pageSize: DIRECTORY_SIZE }, { signal }),
  ]);
  return {
    accounts: accounts.accounts.map((account) => ({
      id: account.id,
      name: account.displayName,
      facts: { tier: account.tier, region: account.region },
    })),
    staff: staff.staff.map((person) => ({ id: person.id, name: person.fullName })),
  };
}

/** Who may move and qualify: the roles with EditAccounts (a staff member without roles acts as a MEMBER). */
function canEditOpportunities(roles: readonly Role[]): boolean {
  return roles.length === 0 || roles.some((role) => [Role.ADMIN, Role.MANAGER, Role.MEMBER, Role.INTEGRATION].includes(role));
}

export function FunnelPage() {
  const t = useMessages(funnelMessages);
  const { locale } = useLocale();
  const api = useApi();
  const { me } = useSession();
  const id = useId();

  const pipelines = useLoad((signal) => listPipelines(api, signal), [api]);
  const directory = useLoad((signal) => loadDirectory(api, signal), [api]);

  const [chosenPipeline, setChosenPipeline] = useState("");
  const [ownerStaffId, setOwnerStaffId] = useState("");
  const [accountId, setAccountId] = useState("");
  const [tier, setTier] = useState<Tier | undefined>(undefined);
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [version, setVersion] = useState(0);
  const bumpVersion = useCallback(() => setVersion((n) => n + 1), []);

  const pipeline =
    pipelines.data?.find((candidate) => candidate.id === chosenPipeline) ??
    pipelines.data?.find((candidate) => candidate.isDefault) ??
    pipelines.data?.[0];

  const accountFacts = useMemo(
    () => new Map((directory.data?.accounts ?? []).map((account) => [account.id, account.facts])),
    [directory.data],
  );
  const accountNames = useMemo(
    () => new Map((directory.data?.accounts ?? []).map((account) => [account.id, account.name])),
    [directory.data],
  );
  const staffNames = useMemo(
    () => new Map((directory.data?.staff ?? []).map((person) => [person.id, person.name])),
    [directory.data],
  );
  const accountName = useCallback((key: string) => accountNames.get(key) ?? t.unknownAccount, [accountNames, t]);
  const ownerName = useCallback((key: string) => staffNames.get(key) ?? t.unknownOwner, [staffNames, t]);
  const stageName = useCallback(
    (key: string) => pipeline?.stages.find((stage) => stage.key === key)?.displayName ?? key,
    [pipeline],
  );

  const clear = () => {
    setOwnerStaffId("");
    setAccountId("");
    setTier(undefined);
    setSince("");
    setUntil("");
  };

  const pipelineSelect = pipelines.data && pipelines.data.length > 0 && (
    <label htmlFor={`${id}-pipeline`} className="funnel-inline-label">
      {t.pipeline}
      <select id={`${id}-pipeline`} value={pipeline?.id ?? ""} onChange={(event) => setChosenPipeline(event.target.value)}>
        {pipelines.data.map((candidate) => (
          <option key={candidate.id} value={candidate.id}>
            {candidate.isDefault ? t.defaultPipeline(candidate.displayName) : candidate.displayName}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <Page
      title={t.title}
      actions={pipelineSelect}
      error={pipelines.error ?? directory.error}
      loading={pipelines.loading || directory.loading}
    >
      <div className="filters" role="group" aria-label={t.filters}>
        <Field label={t.owner}>
          {(id) => (
            <select id={id} value={ownerStaffId} onChange={(event) => setOwnerStaffId(event.target.value)}>
              <option value="">{t.any}</option>
              {(directory.data?.staff ?? []).map((person) => (
                <option key={person.id} value={person.id}>
                  {person.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t.account}>
          {(id) => (
            <select id={id} value={accountId} onChange={(event) => setAccountId(event.target.value)}>
              <option value="">{t.any}</option>
              {(directory.data?.accounts ?? []).map((account) => (
                <option key={account.id} value={account.id}>
                  {account.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t.tier}>
          {(id) => (
            <select
              id={id}
              value={tier === undefined ? "" : String(tier)}
              onChange={(event) => setTier(event.target.value === "" ? undefined : Number(event.target.value))}
            >
              <option value="">{t.any}</option>
              {TIERS.map((option) => (
                <option key={option} value={String(option)}>
                  {label(TIER, locale, option)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="button" className="secondary" onClick={clear}>
          {t.clearFilters}
        </button>
      </div>

      {pipelines.data && !pipeline && <p className="muted">{t.noPipelines}</p>}
      {pipeline && (
        <>
          <section className="funnel-section" aria-labelledby={`${id}-board`}>
            <h2 id={`${id}-board`}>{t.board}</h2>
            <Board
              key={pipeline.id}
              pipeline={pipeline}
              query={{ pipelineId: pipeline.id, ownerStaffId, accountId }}
              tier={tier}
              accounts={accountFacts}
              accountName={accountName}
              ownerName={ownerName}
              canEdit={canEditOpportunities(me.roles)}
              onChanged={bumpVersion}
            />
          </section>
          <section className="funnel-section" aria-labelledby={`${id}-reports`}>
            <h2 id={`${id}-reports`}>{t.charts}</h2>
            <div className="filters" role="group" aria-label={t.charts}>
              <Field label={t.since}>
                {(id) => (
                  <input id={id} type="date" value={since} max={until || undefined} onChange={(event) => setSince(event.target.value)} />
                )}
              </Field>
              <Field label={t.until}>
                {(id) => (
                  <input id={id} type="date" value={until} min={since || undefined} onChange={(event) => setUntil(event.target.value)} />
                )}
              </Field>
            </div>
            <Reports
              inputs={{ pipelineId: pipeline.id, ownerStaffId, accountId, tier, since, until }}
              version={version}
              stageName={stageName}
            />
          </section>
        </>
      )}
    </Page>
  );
}

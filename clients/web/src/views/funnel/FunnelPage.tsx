/**
 * The opportunity funnel (/funnel): pick a pipeline, narrow it by owner, account and tier, work the
 * board, and read the reports for the same selection.
 */
import { Role, Tier, type Pipeline } from "@kam/client";
import { useCallback, useId, useMemo, useState, useSyncExternalStore } from "react";
import type { Api } from "../../api/clients";
import { useLoad } from "../../api/useLoad";
import { useApi, useSession } from "../../app/session";
import { useLocale, useMessages } from "../../i18n/i18n";
import { label, TIER } from "../../i18n/labels";
import { maxDepth } from "../../segments/model";
import { segmentMessages } from "../../segments/messages";
import { SegmentPicker } from "../../segments/SegmentPicker";
import { useSegments } from "../../segments/useSegments";
import { Page } from "../../ui/Page";
import { AccountNames, factsOf, type FoundAccount } from "./accountNames";
import { AccountPicker, foundAccount } from "./AccountPicker";
import { Field } from "./Field";
import { Board } from "./Board";
import { funnelMessages } from "./messages";
import { Reports } from "./Reports";
import "./funnel.css";

/** How many staff the owner filter and the cards' owner names load (one request, not one per card). */
const STAFF_SIZE = 1000;

/** At most this many account lookups (GetAccount) run at a time. */
const ACCOUNT_LOOKUPS_IN_FLIGHT = 8;

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

/** The staff the owner filter offers and the cards name. Accounts are not listed: there are far too
 *  many; the account filter searches and the cards look up the accounts they name (accountNames.ts). */
async function loadStaff(api: Api, signal: AbortSignal): Promise<{ id: string; name: string }[]> {
  const page = await api.teams.listStaff({ pageSize: STAFF_SIZE }, { signal });
  return page.staff.map((person) => ({ id: person.id, name: person.fullName }));
}

/** The names of the accounts the board shows, looked up as cards arrive and kept for the session. */
function useAccountNames(api: Api) {
  const names = useMemo(
    () =>
      new AccountNames(
        (id) => api.accounts.getAccount({ id }).then(foundAccount),
        ACCOUNT_LOOKUPS_IN_FLIGHT,
      ),
    [api],
  );
  const lookups = useSyncExternalStore(names.subscribe, names.snapshot);
  return { names, lookups };
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
  const staff = useLoad((signal) => loadStaff(api, signal), [api]);
  const { names: accountNames, lookups: accountLookups } = useAccountNames(api);

  const [chosenPipeline, setChosenPipeline] = useState("");
  const [ownerStaffId, setOwnerStaffId] = useState("");
  const [account, setAccount] = useState<FoundAccount | undefined>(undefined);
  const accountId = account?.id ?? "";
  const [tier, setTier] = useState<Tier | undefined>(undefined);
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const [industryCode, setIndustryCode] = useState("");
  const [regionCode, setRegionCode] = useState("");
  const segments = useSegments();
  const st = useMessages(segmentMessages);
  const [version, setVersion] = useState(0);
  const bumpVersion = useCallback(() => setVersion((n) => n + 1), []);

  const pipeline =
    pipelines.data?.find((candidate) => candidate.id === chosenPipeline) ??
    pipelines.data?.find((candidate) => candidate.isDefault) ??
    pipelines.data?.[0];

  const accountFacts = useMemo(() => factsOf(accountLookups), [accountLookups]);
  const staffNames = useMemo(() => new Map((staff.data ?? []).map((person) => [person.id, person.name])), [staff.data]);
  const accountName = useCallback(
    (key: string) => {
      const lookup = accountLookups.get(key);
      if (lookup?.status === "found") return lookup.name;
      if (key === "" || lookup?.status === "refused") return t.unknownAccount;
      // A neutral placeholder while the name is on its way (or about to be asked for).
      return t.pendingName;
    },
    [accountLookups, t],
  );
  const requestAccounts = useCallback((ids: Iterable<string>) => accountNames.request(ids), [accountNames]);
  const chooseAccount = (chosen: FoundAccount | undefined) => {
    if (chosen) accountNames.remember([chosen]);
    setAccount(chosen);
  };
  const ownerName = useCallback((key: string) => staffNames.get(key) ?? t.unknownOwner, [staffNames, t]);
  const stageName = useCallback(
    (key: string) => pipeline?.stages.find((stage) => stage.key === key)?.displayName ?? key,
    [pipeline],
  );

  const clear = () => {
    setOwnerStaffId("");
    setAccount(undefined);
    setTier(undefined);
    setSince("");
    setUntil("");
    setIndustryCode("");
    setRegionCode("");
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
      error={pipelines.error ?? staff.error}
      loading={pipelines.loading || staff.loading}
    >
      <div className="filters" role="group" aria-label={t.filters}>
        <Field label={t.owner}>
          {(id) => (
            <select id={id} value={ownerStaffId} onChange={(event) => setOwnerStaffId(event.target.value)}>
              <option value="">{t.any}</option>
              {(staff.data ?? []).map((person) => (
                <option key={person.id} value={person.id}>
                  {person.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <AccountPicker label={t.account} value={account} onChange={chooseAccount} />
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
        <SegmentPicker
          className="funnel-field"
          label={st.industry}
          name="industry_code"
          segments={segments.data?.industries}
          value={industryCode}
          onChange={setIndustryCode}
          emptyLabel={t.any}
        />
        <SegmentPicker
          className="funnel-field"
          label={st.region}
          name="region_code"
          segments={segments.data?.regions}
          value={regionCode}
          onChange={setRegionCode}
          emptyLabel={t.any}
        />
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
              query={{ pipelineId: pipeline.id, ownerStaffId, accountId, segments: { industryCode, regionCode } }}
              tier={tier}
              accounts={accountFacts}
              accountName={accountName}
              requestAccounts={requestAccounts}
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
              inputs={{ pipelineId: pipeline.id, ownerStaffId, accountId, tier, since, until, industryCode, regionCode }}
              segmentDepth={Math.max(
                maxDepth(segments.data?.industries ?? []),
                maxDepth(segments.data?.regions ?? []),
              )}
              version={version}
              stageName={stageName}
            />
          </section>
        </>
      )}
    </Page>
  );
}

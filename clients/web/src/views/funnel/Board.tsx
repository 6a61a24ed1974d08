/**
 * The funnel board: a column per open stage of the pipeline, a card per open opportunity. A move is
 * optimistic (the card goes at once, marked pending) and the server decides: its answer replaces the
 * card, its refusal puts the card back and shows why on it.
 */
import { describeError, type KamError, type Opportunity, type Pipeline, type Tier } from "@kam/client";
import { useCallback, useEffect, useId, useReducer, useState, type DragEvent, type ReactNode } from "react";
import type { Api } from "../../api/clients";
import { useApi } from "../../app/session";
import { useMessages } from "../../i18n/i18n";
import { ErrorNotice } from "../../ui/ErrorNotice";
import { funnelMessages } from "./messages";
import { CardFilters } from "./CardFilters";
import {
  boardReducer,
  canMove,
  cardCurrencies,
  emptyBoard,
  emptyCardFilterForm,
  filterCards,
  groupIntoColumns,
  openStages,
  readCardFilter,
  regionsOf,
  type AccountFacts,
  type BoardColumn,
  type CardFilterForm,
} from "./model";
import { DRAG_TYPE, OpportunityCard, type ManFlags } from "./OpportunityCard";

const PAGE_SIZE = 200;

/** What the server narrows the list to. */
export interface BoardQuery {
  pipelineId: string;
  ownerStaffId: string;
  accountId: string;
  /** The accounts' industry and region (codes; "" for any). */
  segments?: { industryCode: string; regionCode: string };
}

interface Paging {
  /** The query the cards on the board belong to; while it differs from the current one, a load runs. */
  loadedKey: string;
  nextPageToken: string;
  error: KamError | undefined;
  loadingMore: boolean;
}

function listPage(api: Api, query: BoardQuery, pageToken: string, signal?: AbortSignal) {
  return api.opportunities.listOpportunities(
    { ...query, openOnly: true, pageSize: PAGE_SIZE, pageToken },
    signal ? { signal } : {},
  );
}

/** The open opportunities of a query, page by page, kept in the board's state. */
function useBoardData(query: BoardQuery) {
  const api = useApi();
  const [board, dispatch] = useReducer(boardReducer, emptyBoard);
  const key = JSON.stringify(query);
  const [paging, setPaging] = useState<Paging>({ loadedKey: "", nextPageToken: "", error: undefined, loadingMore: false });

  useEffect(() => {
    const controller = new AbortController();
    const current: BoardQuery = JSON.parse(key) as BoardQuery;
    listPage(api, current, "", controller.signal).then(
      (page) => {
        if (controller.signal.aborted) return;
        dispatch({ type: "loaded", opportunities: page.opportunities });
        setPaging({ loadedKey: key, nextPageToken: page.nextPageToken, error: undefined, loadingMore: false });
      },
      (thrown: unknown) => {
        if (controller.signal.aborted) return;
        dispatch({ type: "loaded", opportunities: [] });
        setPaging({ loadedKey: key, nextPageToken: "", error: describeError(thrown), loadingMore: false });
      },
    );
    return () => controller.abort();
  }, [api, key]);

  const loadMore = useCallback(async () => {
    if (paging.nextPageToken === "" || paging.loadedKey !== key) return;
    setPaging((previous) => ({ ...previous, loadingMore: true }));
    try {
      const page = await listPage(api, query, paging.nextPageToken);
      dispatch({ type: "appended", opportunities: page.opportunities });
      setPaging({ loadedKey: key, nextPageToken: page.nextPageToken, error: undefined, loadingMore: false });
    } catch (thrown) {
      setPaging((previous) => ({ ...previous, error: describeError(thrown), loadingMore: false }));
    }
  }, [api, key, paging.loadedKey, paging.nextPageToken, query]);

  return { board, dispatch, paging, loading: paging.loadedKey !== key, loadMore };
}

export function Board({
  pipeline,
  query,
  tier,
  accounts,
  accountName,
  requestAccounts,
  ownerName,
  canEdit,
  onChanged,
}: {
  pipeline: Pipeline;
  query: BoardQuery;
  /** The account tier to narrow the loaded cards to (the list API has no tier filter). */
  tier: Tier | undefined;
  accounts: ReadonlyMap<string, AccountFacts>;
  /** The account's name, or a placeholder while it is looked up. */
  accountName: (id: string) => string;
  /** Asks for the names of these accounts (those already known or asked for are skipped). */
  requestAccounts: (ids: Iterable<string>) => void;
  ownerName: (id: string) => string;
  canEdit: boolean;
  /** Called after the server accepted a change, so the reports follow. */
  onChanged: () => void;
}) {
  const t = useMessages(funnelMessages);
  const api = useApi();
  const { board, dispatch, paging, loading, loadMore } = useBoardData(query);
  const [dropTarget, setDropTarget] = useState<string | undefined>(undefined);
  const [filterForm, setFilterForm] = useState<CardFilterForm>(emptyCardFilterForm);
  const readFilter = readCardFilter(filterForm, tier);

  // The names of the accounts on the loaded cards, and only those: looked up as pages arrive.
  useEffect(() => {
    requestAccounts(board.cards.map((card) => card.opportunity.accountId));
  }, [board.cards, requestAccounts]);

  /** The one path every move takes, whether dragged or chosen with "Move to…". */
  const move = useCallback(
    async (id: string, stage: string) => {
      const card = board.cards.find((candidate) => candidate.opportunity.id === id);
      if (!card || !canMove(card, stage)) return;
      dispatch({ type: "move_started", id, stage });
      try {
        const moved = await api.opportunities.moveOpportunityStage({ id, stage, etag: card.opportunity.etag });
        dispatch({ type: "write_succeeded", opportunity: moved });
        onChanged();
      } catch (thrown) {
        dispatch({ type: "write_refused", id, error: describeError(thrown) });
      }
    },
    [api, board.cards, dispatch, onChanged],
  );

  const qualify = useCallback(
    async (opportunity: Opportunity, flags: ManFlags) => {
      dispatch({ type: "write_started", id: opportunity.id });
      try {
        const updated = await api.opportunities.updateOpportunity({
          opportunity: { id: opportunity.id, qualification: flags, etag: opportunity.etag },
          updateMask: { paths: ["qualification"] },
        });
        dispatch({ type: "write_succeeded", opportunity: updated });
        onChanged();
      } catch (thrown) {
        dispatch({ type: "write_refused", id: opportunity.id, error: describeError(thrown) });
      }
    },
    [api, dispatch, onChanged],
  );

  const shown = filterCards(board.cards, readFilter.filter, accounts);
  const columns = groupIntoColumns(pipeline, shown);
  const stages = openStages(pipeline);

  const dropOn = (stage: string) => (event: DragEvent<HTMLElement>) => {
    event.preventDefault();
    setDropTarget(undefined);
    const id = event.dataTransfer.getData(DRAG_TYPE) || event.dataTransfer.getData("text/plain");
    if (id) void move(id, stage);
  };
  const dragOver = (stage: string) => (event: DragEvent<HTMLElement>) => {
    if (!canEdit) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (dropTarget !== stage) setDropTarget(stage);
  };

  return (
    <div className="funnel-board-wrap" data-testid="funnel-board" aria-busy={loading ? "true" : "false"}>
      <CardFilters
        form={filterForm}
        read={readFilter}
        regions={regionsOf(accounts)}
        currencies={cardCurrencies(board.cards)}
        onChange={setFilterForm}
      />
      <ErrorNotice error={paging.error} />
      <p className="muted">{canEdit ? t.dragHint : t.readOnly}</p>
      <div className="funnel-board" role="group" aria-label={t.boardLabel(pipeline.displayName)} onDragEnd={() => setDropTarget(undefined)}>
        {columns.map((column) => (
          <StageColumn
            key={column.stage.key}
            column={column}
            active={dropTarget === column.stage.key}
            onDragOver={dragOver(column.stage.key)}
            onDrop={dropOn(column.stage.key)}
          >
            {column.cards.map((card) => (
              <li key={card.opportunity.id}>
                <OpportunityCard
                  card={card}
                  stages={stages}
                  accountName={accountName(card.opportunity.accountId)}
                  ownerName={ownerName(card.opportunity.ownerStaffId)}
                  canEdit={canEdit}
                  onMove={(stage) => void move(card.opportunity.id, stage)}
                  onQualify={(flags) => void qualify(card.opportunity, flags)}
                  onDismiss={() => dispatch({ type: "error_dismissed", id: card.opportunity.id })}
                />
              </li>
            ))}
          </StageColumn>
        ))}
      </div>
      <p className="muted" role="status">
        {t.loaded(shown.length, board.cards.length)}
      </p>
      {paging.nextPageToken !== "" && (
        <button type="button" className="secondary" disabled={paging.loadingMore} onClick={() => void loadMore()}>
          {t.loadMore}
        </button>
      )}
    </div>
  );
}

function StageColumn({
  column,
  active,
  onDragOver,
  onDrop,
  children,
}: {
  column: BoardColumn;
  active: boolean;
  onDragOver: (event: DragEvent<HTMLElement>) => void;
  onDrop: (event: DragEvent<HTMLElement>) => void;
  children: ReactNode;
}) {
  const t = useMessages(funnelMessages);
  const headingId = useId();
  return (
    <section
      className={`funnel-column${active ? " drop-target" : ""}`}
      aria-labelledby={headingId}
      data-testid={`column-${column.stage.key}`}
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <header className="funnel-column-head">
        <h3 id={headingId}>{column.stage.displayName}</h3>
        <span className="muted">
          {t.cardsInStage(column.cards.length)} · {column.stage.probability}%
        </span>
        {column.gated && (
          <span className="badge warn" title={t.needsManHint}>
            {t.needsMan}
          </span>
        )}
      </header>
      {column.cards.length === 0 ? <p className="muted">{t.emptyColumn}</p> : <ul className="funnel-cards">{children}</ul>}
    </section>
  );
}

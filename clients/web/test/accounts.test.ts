/**
 * The account list's and account page's models: the join of portfolio figures onto rows, the
 * industry filter and list request, paging a report to its end, the reports-to tree (missing managers
 * and cycles included), the header's update and the coverage row.
 */
import { create } from "@bufbuild/protobuf";
import {
  AccountCoverageSchema,
  AccountHealth_Level,
  AccountHealthSchema,
  AccountSchema,
  ContactSchema,
  Lifecycle,
  OverdueCadenceSchema,
  RadStatus,
  ServiceRequestSchema,
  TeamRole,
  Tier,
  UpcomingKeyDateSchema,
  type Contact,
} from "@kam/client";
import { describe, expect, it } from "vitest";
import {
  buildReportsToTree,
  changedPaths,
  countNodes,
  coverageOf,
  draftOf,
  needsReason,
  updateRequest,
  type ContactNode,
} from "../src/views/account/model";
import {
  accountFromDraft,
  cadenceByAccount,
  collectPages,
  emptyReport,
  figureOf,
  healthByAccount,
  healthTone,
  industriesOf,
  joinRows,
  listRequest,
  nextKeyDateByAccount,
  NO_FILTERS,
  PAGE_SIZE,
  slaByAccount,
  violationsOf,
  type PortfolioReports,
} from "../src/views/accounts/model";

const account = (id: string, industry = "", extra = {}) =>
  create(AccountSchema, { id, displayName: `Account ${id}`, industry, etag: `e-${id}`, ...extra });

describe("list request and industry filter", () => {
  it("sends the server filters trimmed, with the page size and token", () => {
    const request = listRequest(
      {
        ...NO_FILTERS,
        query: "  pump ",
        region: " EMEA ",
        tier: Tier.KEY,
        lifecycle: Lifecycle.ACTIVE,
        industry: " Chemicals",
        industryCode: "C",
        regionCode: "CN-E",
      },
      "token-2",
    );
    expect(request).toEqual({
      pageSize: PAGE_SIZE,
      pageToken: "token-2",
      query: "pump",
      tier: Tier.KEY,
      region: "EMEA",
      industry: "Chemicals",
      industryCode: "C",
      regionCode: "CN-E",
      lifecycle: Lifecycle.ACTIVE,
      orderBy: "display_name",
    });
  });

  it("suggests the distinct industries of the loaded rows, sorted", () => {
    const accounts = [account("a", "Chemicals"), account("b", "Mining"), account("c", "Chemicals "), account("d")];
    expect(industriesOf(accounts)).toEqual(["Chemicals", "Mining"]);
  });
});

describe("portfolio figures", () => {
  const request = (id: string, accountId: string) => create(ServiceRequestSchema, { id, accountId });

  it("counts a request at risk and breached once, as breached", () => {
    const sla = slaByAccount(
      [request("r1", "a"), request("r2", "a"), request("r3", "b")],
      [request("r2", "a"), request("r4", "b"), request("r4", "b")],
    );
    expect(sla.get("a")).toEqual({ atRisk: 1, breached: 1 });
    expect(sla.get("b")).toEqual({ atRisk: 1, breached: 1 });
    expect(sla.has("c")).toBe(false);
  });

  it("keeps the worst overdue cadence and the soonest key date per account", () => {
    const cadence = cadenceByAccount([
      create(OverdueCadenceSchema, { accountId: "a", daysOverdue: 3 }),
      create(OverdueCadenceSchema, { accountId: "a", daysOverdue: 12 }),
    ]);
    expect(cadence.get("a")).toEqual({ daysOverdue: 12, count: 2 });
    const dates = nextKeyDateByAccount([
      create(UpcomingKeyDateSchema, { accountId: "a", contactFullName: "Li", daysUntil: 9 }),
      create(UpcomingKeyDateSchema, { accountId: "a", contactFullName: "Wu", daysUntil: 2 }),
      create(UpcomingKeyDateSchema, { accountId: "a", contactFullName: "Ma", daysUntil: 2 }),
    ]);
    expect(dates.get("a")?.contactName).toBe("Wu");
  });

  it("joins by account id: known, none from a complete report, unknown otherwise", () => {
    const reports: PortfolioReports = {
      health: {
        byAccount: healthByAccount([
          create(AccountHealthSchema, { accountId: "a", score: 55, level: AccountHealth_Level.AT_RISK }),
        ]),
        complete: true,
      },
      sla: { byAccount: new Map([["a", { atRisk: 2, breached: 0 }]]), complete: true },
      cadence: { byAccount: new Map([["a", { daysOverdue: 4, count: 1 }]]), complete: false },
      keyDates: emptyReport(),
    };
    const [a, b] = joinRows([account("a"), account("b")], reports);
    expect(a!.health).toEqual({ known: true, value: { score: 55, level: AccountHealth_Level.AT_RISK } });
    expect(a!.sla).toEqual({ known: true, value: { atRisk: 2, breached: 0 } });
    expect(a!.cadence).toEqual({ known: true, value: { daysOverdue: 4, count: 1 } });
    // A health report lists every account: a missing score is unknown, never "none".
    expect(b!.health).toEqual({ known: false });
    // A complete SLA report without the account: zero tickets.
    expect(b!.sla).toEqual({ known: true, value: { atRisk: 0, breached: 0 } });
    // An incomplete cadence report without the account: unknown.
    expect(b!.cadence).toEqual({ known: false });
    expect(b!.nextKeyDate).toEqual({ known: false });
    expect(figureOf({ byAccount: new Map(), complete: true }, "x")).toEqual({ known: true, value: null });
  });

  it("reads the tone from the server's level, else from the default thresholds", () => {
    expect(healthTone({ score: 90, level: AccountHealth_Level.AT_RISK })).toBe("bad");
    expect(healthTone({ score: 59, level: AccountHealth_Level.LEVEL_UNSPECIFIED })).toBe("bad");
    expect(healthTone({ score: 79, level: AccountHealth_Level.LEVEL_UNSPECIFIED })).toBe("warn");
    expect(healthTone({ score: 80, level: AccountHealth_Level.LEVEL_UNSPECIFIED })).toBe("good");
  });

  it("reads pages to the end, or stops at the limit as incomplete", async () => {
    const pages: Record<string, { items: number[]; next: string }> = {
      "": { items: [1, 2], next: "p2" },
      p2: { items: [3], next: "p3" },
      p3: { items: [4], next: "" },
    };
    const seen: number[] = [];
    const all = await collectPages((token) => Promise.resolve(pages[token]!), 10, (items) => seen.push(items.length));
    expect(all).toEqual({ items: [1, 2, 3, 4], complete: true });
    expect(seen).toEqual([2, 3, 4]);
    expect(await collectPages((token) => Promise.resolve(pages[token]!), 2)).toEqual({
      items: [1, 2, 3],
      complete: false,
    });
  });
});

describe("new account form", () => {
  it("trims the draft and finds the server's violations by field", () => {
    expect(
      accountFromDraft({
        displayName: " Acme ",
        legalName: "",
        industry: " Steel",
        region: "",
        industryCode: "C",
        regionCode: "",
        lifecycle: Lifecycle.ACTIVE,
      }),
    ).toEqual({
      displayName: "Acme",
      legalName: "",
      industry: "Steel",
      region: "",
      industryCode: "C",
      regionCode: "",
      lifecycle: Lifecycle.ACTIVE,
    });
    const fields = [
      { field: "account.display_name", description: "required" },
      { field: "account.legal_name", description: "too long" },
    ];
    expect(violationsOf(fields, "display_name")).toEqual(["required"]);
    expect(violationsOf(fields, "name")).toEqual([]);
  });
});

describe("reports-to tree", () => {
  const contact = (id: string, reportsTo = "") =>
    create(ContactSchema, { id, fullName: id.toUpperCase(), reportsToContactId: reportsTo });
  const shape = (nodes: ContactNode[]): unknown =>
    nodes.map((node) => (node.children.length ? { [node.contact.id]: shape(node.children) } : node.contact.id));

  it("nests each contact under its manager", () => {
    const forest = buildReportsToTree([contact("eng", "mgr"), contact("ceo"), contact("mgr", "ceo"), contact("cfo", "ceo")]);
    expect(shape(forest)).toEqual([{ ceo: [{ mgr: ["eng"] }, "cfo"] }]);
  });

  it("makes a contact whose manager is not listed a marked root", () => {
    const forest = buildReportsToTree([contact("a", "gone"), contact("b", "a")]);
    expect(shape(forest)).toEqual([{ a: ["b"] }]);
    expect(forest[0]!.managerMissing).toBe(true);
  });

  it("cuts a cycle so every contact appears once and the tree ends", () => {
    const contacts: Contact[] = [contact("x", "z"), contact("y", "x"), contact("z", "y"), contact("self", "self"), contact("r")];
    const forest = buildReportsToTree(contacts);
    expect(countNodes(forest)).toBe(contacts.length);
    expect(shape(forest)).toEqual(["self", "r", { x: [{ y: ["z"] }] }]);
    expect(forest.filter((node) => node.cycleBroken).map((node) => node.contact.id)).toEqual(["self", "x"]);
  });

  it("draws a long chain without recursion limits", () => {
    const chain = Array.from({ length: 5000 }, (_, i) => contact(`c${i}`, i === 0 ? "" : `c${i - 1}`));
    expect(countNodes(buildReportsToTree(chain))).toBe(5000);
  });
});

describe("account header edit", () => {
  const stored = account("a", "Steel", { radStatus: RadStatus.ACQUIRE, region: "North" });

  it("sends only the changed paths with the etag, and a reason only for relationship changes", () => {
    const draft = { ...draftOf(stored), region: "", industry: " Steel " };
    expect(changedPaths(stored, draft)).toEqual(["region"]);
    const request = updateRequest(stored, { ...draft, changeReason: "ignored" });
    expect(request.account.etag).toBe("e-a");
    expect(request.updateMask.paths).toEqual(["region"]);
    expect(request.changeReason).toBe("");

    const classified = { ...draftOf(stored), industryCode: "C", regionCode: "" };
    expect(changedPaths(stored, classified)).toEqual(["industry_code"]);
    expect(updateRequest(stored, classified).account.industryCode).toBe("C");

    const rad = { ...draftOf(stored), radStatus: RadStatus.DEVELOP, changeReason: " won a tender " };
    expect(needsReason(changedPaths(stored, rad))).toBe(true);
    expect(updateRequest(stored, rad).changeReason).toBe("won a tender");
  });
});

describe("coverage of one account", () => {
  it("picks the account's row; absent from a gaps-only report means covered", () => {
    const report = [
      create(AccountCoverageSchema, { accountId: "a", missingRoles: [TeamRole.ACCOUNT_MANAGER], missingLiaisons: ["TECHNICAL"] }),
      create(AccountCoverageSchema, { accountId: "b" }),
    ];
    expect(coverageOf(report, "a")).toEqual({
      kind: "gaps",
      missingRoles: [TeamRole.ACCOUNT_MANAGER],
      missingLiaisons: ["TECHNICAL"],
    });
    expect(coverageOf(report, "b")).toEqual({ kind: "covered" });
    expect(coverageOf(report, "c")).toEqual({ kind: "covered" });
  });
});

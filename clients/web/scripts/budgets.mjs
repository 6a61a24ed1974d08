/**
 * The web app's performance budgets (`npm run budgets`), each printed with its measured figure beside
 * the limit; exits 1 when one is exceeded or could not be measured.
 *
 *   (a) the app's JavaScript, gzipped: under 300 KB. Builds the app into a temporary directory first
 *       (so a dist/ that kam-server embeds is left alone) and sums dist/assets/*.js gzipped.
 *   (b) the account list with 10 000 accounts renders in under 1 s: from the navigation start of "/"
 *       to the first rows of `table[data-testid="account-list"]`, median of 3 loads, in chromium.
 *       Needs a server: KAM_APP_URL (where the app is served; best kam-server serving the built app,
 *       as Vite's dev server loads hundreds of unbundled modules) and KAM_KEY (an ADMIN key). Seeds
 *       10 000 accounts once, when the server has fewer.
 *
 *   KAM_APP_URL=http://127.0.0.1:50051 KAM_KEY=$(cat admin.key) npm run budgets
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { build } from "vite";

const JS_BUDGET_BYTES = 300 * 1024;
const LIST_BUDGET_MS = 1000;
const ACCOUNTS = 10_000;
const RUNS = 3;
const ROWS = 'table[data-testid="account-list"] tbody tr';

const webRoot = fileURLToPath(new URL("..", import.meta.url));

/** One line per budget: name, figure, limit, verdict. */
function report(name, figure, limit, within) {
  console.log(`${within ? "ok  " : "OVER"} ${name}: ${figure} (budget ${limit})`);
  return within;
}

async function javascriptBudget() {
  const outDir = await mkdtemp(join(tmpdir(), "kam-budget-"));
  try {
    await build({ root: webRoot, logLevel: "warn", build: { outDir, emptyOutDir: true } });
    const assets = join(outDir, "assets");
    let gzipped = 0;
    for (const file of (await readdir(assets)).filter((name) => name.endsWith(".js"))) {
      gzipped += gzipSync(await readFile(join(assets, file)), { level: 9 }).length;
    }
    return report(
      "the app's JavaScript, gzipped",
      `${(gzipped / 1024).toFixed(1)} KB`,
      `${JS_BUDGET_BYTES / 1024} KB`,
      gzipped <= JS_BUDGET_BYTES,
    );
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** Counts live accounts, stopping once there are `enough`. */
async function countAccounts(client, enough) {
  let count = 0;
  let pageToken = "";
  do {
    const page = await client.accounts.listAccounts({ pageSize: 1000, pageToken });
    count += page.accounts.length;
    pageToken = page.nextPageToken;
  } while (pageToken !== "" && count < enough);
  return count;
}

/**
 * IntegrationService.ImportAccounts is client-streaming, which connect-web's gRPC-Web transport cannot
 * send (fetch has no streaming request bodies). A gRPC-Web body may hold several messages, though, so
 * this writes the whole stream as one POST: each batch (≤ 5000 records) an envelope of its own.
 */
async function importAccounts(kam, appUrl, key, batches) {
  const envelopes = batches.map((accounts) => {
    const bytes = toBinary(kam.ImportAccountsRequestSchema, { $typeName: "kam.v1.ImportAccountsRequest", accounts });
    const envelope = new Uint8Array(5 + bytes.length);
    new DataView(envelope.buffer).setUint32(1, bytes.length);
    envelope.set(bytes, 5);
    return envelope;
  });
  const response = await fetch(`${appUrl}/kam.v1.IntegrationService/ImportAccounts`, {
    method: "POST",
    headers: {
      "content-type": "application/grpc-web+proto",
      "x-grpc-web": "1",
      authorization: `Bearer ${key}`,
    },
    body: Buffer.concat(envelopes),
  });
  const body = new Uint8Array(await response.arrayBuffer());
  let summary;
  let status = response.headers.get("grpc-status");
  let message = response.headers.get("grpc-message");
  for (let at = 0; at + 5 <= body.length; ) {
    const flags = body[at];
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    const data = body.subarray(at + 5, at + 5 + length);
    if (flags & 0x80) {
      const trailer = Object.fromEntries(
        new TextDecoder()
          .decode(data)
          .split("\r\n")
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf(":")).trim().toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
      );
      status = trailer["grpc-status"] ?? status;
      message = trailer["grpc-message"] ?? message;
    } else {
      summary = fromBinary(kam.ImportSummarySchema, data);
    }
    at += 5 + length;
  }
  if (!response.ok || status !== "0" || !summary) {
    throw new Error(`ImportAccounts failed: HTTP ${response.status}, grpc-status ${status}: ${decodeURIComponent(message ?? "")}`);
  }
  return summary;
}

async function seed(harness) {
  const { api, env, kam } = harness;
  const existing = await countAccounts(api(), ACCOUNTS);
  if (existing >= ACCOUNTS) {
    console.log(`     (the server has ${ACCOUNTS}+ accounts already: not seeding)`);
    return;
  }
  const records = Array.from({ length: ACCOUNTS }, (_, index) => {
    const n = String(index + 1).padStart(5, "0");
    return {
      $typeName: "kam.v1.AccountRecord",
      externalId: `budget-${n}`,
      displayName: `Budget Account ${n}`,
      legalName: `Budget Account ${n} GmbH`,
      industry: "Machinery",
      region: ["DACH", "Nordics", "East China", "South China"][index % 4],
      parentExternalId: "",
      lifecycle: kam.Lifecycle.ACTIVE,
    };
  });
  const batches = [];
  for (let start = 0; start < records.length; start += 5000) batches.push(records.slice(start, start + 5000));
  const started = performance.now();
  const summary = await importAccounts(kam, env.appUrl, env.adminKey, batches);
  console.log(
    `     (seeded through ImportAccounts, one gRPC-Web stream of ${batches.length} messages, in ` +
      `${Math.round(performance.now() - started)} ms: ${summary.created} created, ${summary.updated} updated, ` +
      `${summary.unchanged} unchanged, ${summary.failed} failed)`,
  );
  if (summary.failed > 0n) throw new Error(`seeding failed for ${summary.failed} records: ${summary.errors[0]?.description}`);
}

async function accountListBudget() {
  if (!process.env.KAM_APP_URL || !process.env.KAM_KEY) {
    return report(`account list with ${ACCOUNTS} accounts`, "not measured: set KAM_APP_URL and KAM_KEY", `${LIST_BUDGET_MS} ms`, false);
  }
  const harness = await import("../e2e/harness.mjs");
  await seed(harness);
  const browser = await harness.launch();
  try {
    const page = await harness.openPage(browser);
    // Stamps the first moment the list shows a row, on the page's own clock (0 = navigation start).
    await page.context().addInitScript((selector) => {
      const stamp = () => {
        if (window.kamFirstRows === undefined && document.querySelector(selector)) {
          window.kamFirstRows = performance.now();
          observer.disconnect();
        }
      };
      const observer = new MutationObserver(stamp);
      observer.observe(document, { childList: true, subtree: true });
    }, ROWS);
    const times = [];
    for (let run = 0; run < RUNS; run += 1) {
      await page.goto(`${harness.env.appUrl}/`);
      await page.locator(ROWS).first().waitFor({ timeout: 30_000 });
      times.push(await page.evaluate(() => window.kamFirstRows));
    }
    times.sort((a, b) => a - b);
    const median = Math.round(times[Math.floor(RUNS / 2)]);
    return report(
      `account list with ${ACCOUNTS} accounts`,
      `${median} ms (median of ${times.map(Math.round).join(", ")} ms at ${harness.env.appUrl})`,
      `${LIST_BUDGET_MS} ms`,
      median < LIST_BUDGET_MS,
    );
  } finally {
    await browser.close();
  }
}

async function measure(budget) {
  try {
    return await budget();
  } catch (error) {
    console.log(`FAIL ${budget.name}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

const results = [await measure(javascriptBudget), await measure(accountListBudget)];
process.exit(results.every(Boolean) ? 0 : 1);

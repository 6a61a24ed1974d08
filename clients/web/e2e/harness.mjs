/**
 * The shared harness of the browser tests: a kam-server to seed through, Debian's chromium driven by
 * playwright-core, sign-in, accessibility checks and screenshots.
 *
 * Run (from clients/web), against a kam-server and the app it serves, or Vite passing gRPC-Web on:
 *   (cd .. && npm run build:node -w @kam/client)          # once: @kam/client compiled for Node
 *   KAM_APP_URL=http://127.0.0.1:5173 KAM_KEY=$(cat /tmp/kam/admin.key) node --test e2e/
 * KAM_APP_URL is where the app is served (gRPC-Web goes to the same origin); KAM_KEY is an ADMIN API
 * key; KAM_CHROMIUM overrides the browser (default /usr/bin/chromium). Screenshots land in
 * test-results/screenshots/.
 *
 * Tests share one server, so each test seeds its own data under `unique` names and depends on no other
 * test's data or order.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const clientUrl = new URL("../../ts/dist/index.js", import.meta.url);
if (!existsSync(fileURLToPath(clientUrl))) {
  throw new Error(
    `${fileURLToPath(clientUrl)} is missing: build @kam/client for Node first ` +
      "(cd clients && npm run build:node -w @kam/client)",
  );
}

/** The @kam/client module for Node: services, messages, enums (`Role`, `Tier`, …), `Code`, `describeError`. */
export const kam = await import(clientUrl.href);

/** Where the app is and the ADMIN key to seed with. */
export const env = {
  appUrl: (process.env.KAM_APP_URL ?? "").replace(/\/+$/, ""),
  adminKey: process.env.KAM_KEY ?? "",
};

function requireEnv() {
  if (env.appUrl === "" || env.adminKey === "") {
    throw new Error(
      "Set KAM_APP_URL (where the app is served, e.g. http://127.0.0.1:5173) and KAM_KEY (an ADMIN API key)",
    );
  }
}

/** Service clients calling as `key` (default: the ADMIN key), over gRPC-Web to the app's origin. */
export function api(key = env.adminKey) {
  requireEnv();
  const transport = kam.kamTransport({ baseUrl: env.appUrl, credential: () => key });
  const client = (service) => kam.createClient(service, transport);
  return {
    accounts: client(kam.AccountService),
    audit: client(kam.AuditService),
    identity: client(kam.IdentityService),
    integration: client(kam.IntegrationService),
    opportunities: client(kam.OpportunityService),
    planning: client(kam.PlanningService),
    segments: client(kam.SegmentService),
    serviceLevels: client(kam.ServiceLevelService),
    teams: client(kam.TeamService),
  };
}

let counter = 0;
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`;

/** A name no other test (nor an earlier run against the same server) uses, e.g. "Pump Co e2e-lx3k9a-4". */
export function unique(prefix) {
  counter += 1;
  return `${prefix} e2e-${run}-${counter}`;
}

const E2E_DEPARTMENT = "E2E_TESTS";

/** The department the test staff belong to, created on first use (test files may race to do so). */
async function e2eDepartment(client) {
  const find = async () =>
    (await client.teams.listDepartments({})).departments.find((department) => department.code === E2E_DEPARTMENT);
  const found = await find();
  if (found) return found;
  try {
    return await client.teams.createDepartment({
      department: { code: E2E_DEPARTMENT, displayName: "End-to-end tests" },
    });
  } catch (error) {
    const raced = await find();
    if (raced) return raced;
    throw error;
  }
}

/**
 * A new staff member with `roles` (kam.Role values, e.g. [kam.Role.MANAGER]) and an API key of theirs.
 * `api` is a harness `api()` able to do it (an ADMIN's).
 */
export async function newStaff(client, { name, roles = [kam.Role.MEMBER], ...staff } = {}) {
  const fullName = name ?? unique("Test Person");
  const department = await e2eDepartment(client);
  const slug = unique("staff").replace(/[^a-z0-9]+/gi, ".").toLowerCase();
  const created = await client.teams.createStaff({
    staff: { fullName, email: `${slug}@e2e.example`, departmentId: department.id, ...staff },
  });
  await client.identity.setStaffRoles({ staffId: created.id, roles });
  const { secret } = await client.identity.createApiKey({ staffId: created.id, displayName: "e2e test" });
  return { staff: created, key: secret };
}

/** Chromium, headless; one per test file, closed in `after`. We run as root, hence --no-sandbox. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.KAM_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox"],
    headless: true,
  });
}

const BROWSER_LOCALE = { en: "en-US", "zh-CN": "zh-CN" };

/**
 * The app's start page in a fresh context, NOT signed in (the sign-in form), in `locale` ("en" or
 * "zh-CN"). `page.kamErrors` collects console errors, uncaught exceptions and Content-Security-Policy
 * violations, for tests to assert it stays empty.
 */
export async function openSignIn(browser, { locale = "en" } = {}) {
  requireEnv();
  const context = await browser.newContext({
    locale: BROWSER_LOCALE[locale] ?? locale,
    viewport: { width: 1366, height: 900 },
  });
  // The app's language comes from localStorage first; set it once, so a switch in the app survives a reload.
  await context.addInitScript((chosen) => {
    if (localStorage.getItem("kam.locale") === null) localStorage.setItem("kam.locale", chosen);
  }, locale);
  const errors = [];
  // Chromium also logs CSP violations to the console; this names the directive and the blocked URI.
  await context.exposeFunction("__kamCspViolation", (text) => errors.push(`CSP: ${text}`));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      void window.__kamCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  const page = await context.newPage();
  page.kamErrors = errors;
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  await page.goto(`${env.appUrl}/`);
  try {
    await page.locator('input[name="credential"]').waitFor();
  } catch (error) {
    // Usually the app did not start: say why, if the page said.
    throw new Error(`the sign-in form did not appear at ${env.appUrl}/; page errors: ${JSON.stringify(errors)}`, {
      cause: error,
    });
  }
  return page;
}

/** The app signed in as `key` (default: the ADMIN key), in `locale`, with its navigation shown. */
export async function openPage(browser, { key = env.adminKey, locale = "en" } = {}) {
  const page = await openSignIn(browser, { locale });
  await signIn(page, key);
  const navigation = page.locator("header nav");
  await navigation.or(page.locator(".error-notice")).first().waitFor();
  if (!(await navigation.isVisible())) {
    throw new Error(`sign-in refused: ${await page.locator(".error-notice").innerText()}`);
  }
  return page;
}

/** Fills the sign-in form with `credential` and submits it. */
export async function signIn(page, credential) {
  await page.locator('input[name="credential"]').fill(credential);
  await page.locator('form button[type="submit"]').click();
}

let axeSource;

/** Fails when axe-core finds a serious or critical violation on the page, listing each. */
export async function checkA11y(page, name) {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  // Evaluated through the DevTools protocol, which the page's CSP (no inline scripts) does not govern.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      targets: nodes.map((node) => node.target.join(" ")),
    }));
  });
  const blocking = violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical");
  if (blocking.length > 0) {
    const lines = blocking.map((v) => `  ${v.id} (${v.impact}): ${v.help}\n    at ${v.targets.join("\n    at ")}`);
    throw new Error(`axe-core on "${name}": ${blocking.length} serious or critical violation(s)\n${lines.join("\n")}`);
  }
}

const screenshots = new URL("../test-results/screenshots/", import.meta.url);

/** Saves a full-page PNG as test-results/screenshots/<name>.png and returns its path. */
export async function screenshot(page, name) {
  await mkdir(screenshots, { recursive: true });
  const path = fileURLToPath(new URL(`${name}.png`, screenshots));
  await page.screenshot({ path, fullPage: true });
  return path;
}

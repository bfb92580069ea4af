// The world of the end-to-end tests: the Graph sandbox and the licensing server (the real
// binaries), an OpenID provider stand-in (our RSA key, as Entra ID would sign), the task
// pane's static files, and Debian's Chromium driven by playwright-core.
import { execFileSync, spawn } from "node:child_process";
import { createHmac, generateKeyPairSync, sign as rsaSign } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const dist = join(root, "addin/dist");
export const AUDIENCE = "api://localmerge-e2e";
const PADDLE_SECRET = "pdl_e2e_secret";

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Whether the browser tests can run here; in CI they must. */
export function skipReason() {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium)`;
  if (!existsSync(join(dist, "taskpane.js"))) return "the pane is not built (npm run build)";
  return undefined;
}

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));
}

async function waitFor(url, what) {
  for (let i = 0; i < 300; i++) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start (${url})`);
}

async function freePort() {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

let built = false;
function buildBinaries() {
  if (built) return;
  execFileSync("cargo", ["build", "--locked", "-q", "-p", "localmerge-graph-sandbox", "-p", "localmerge-licensing-server"], { cwd: root, stdio: "inherit" });
  built = true;
}

function spawnQuiet(bin, args, env) {
  const target = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");
  const child = spawn(join(target, "debug", bin), args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log = (log + d).slice(-20000)));
  child.log = () => log;
  return child;
}

/**
 * The Graph sandbox, `perMinute` messages a minute; `files` (name → bytes) are the user's
 * OneDrive files, `contacts` (Graph contact resources) the user's Outlook contacts; a message
 * to a `bounce` address comes back as a non-delivery report.
 */
export async function sandbox({ perMinute = 600, files = {}, contacts = [], bounce = [] } = {}) {
  buildBinaries();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "localmerge-e2e-drive-"));
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
  writeFileSync(join(dir, ".contacts.json"), JSON.stringify(contacts));
  const args = ["--listen", `127.0.0.1:${port}`, "--messages-per-window", String(perMinute), "--files", dir, "--contacts", join(dir, ".contacts.json"), ...bounce.flatMap((a) => ["--bounce", a])];
  const child = spawnQuiet("localmerge-graph-sandbox", args, {});
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/_sandbox/stats`, "the Graph sandbox");
  return {
    host: `127.0.0.1:${port}`,
    url: `${base}/v1.0`,
    deliveries: async () => (await (await fetch(`${base}/_sandbox/deliveries`)).json()),
    stats: async () => (await (await fetch(`${base}/_sandbox/stats`)).json()),
    /** A message arrives in the user's Inbox: `{ from, subject, body, replyTo, class }`. */
    receive: async (m) => {
      const r = await fetch(`${base}/_sandbox/inbox`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(m) });
      if (r.status !== 201) throw new Error(`the sandbox refused the message: ${r.status}`);
    },
    stop: () => child.kill("SIGKILL"),
  };
}

/** An OpenID provider stand-in: metadata, keys, and tokens it signs. */
export async function identityProvider() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "e2e", use: "sig", alg: "RS256" };
  let base = "";
  const server = createServer((req, res) => {
    const body = req.url.endsWith("/.well-known/openid-configuration")
      ? { issuer: `${base}/{tenantid}/v2.0`, jwks_uri: `${base}/keys`, authorization_endpoint: `${base}/authorize`, token_endpoint: `${base}/token` }
      : req.url === "/keys"
        ? { keys: [jwk] }
        : undefined;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? {}));
  });
  base = `http://127.0.0.1:${await listen(server)}`;
  const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  return {
    authority: `${base}/common/v2.0`,
    token(tid, oid) {
      const now = Math.floor(Date.now() / 1000);
      const head = b64({ alg: "RS256", typ: "JWT", kid: "e2e" });
      const claims = b64({ aud: AUDIENCE, iss: `${base}/${tid}/v2.0`, tid, oid, name: `User ${oid}`, preferred_username: `${oid}@${tid}.example`, iat: now, nbf: now, exp: now + 3600 });
      return `${head}.${claims}.${rsaSign("sha256", Buffer.from(`${head}.${claims}`), privateKey).toString("base64url")}`;
    },
    stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** The licensing server on a fresh SQLite file. */
export async function licensing(idp) {
  buildBinaries();
  const dir = mkdtempSync(join(tmpdir(), "localmerge-e2e-"));
  const port = await freePort();
  const child = spawnQuiet("localmerge-licensing-server", [], {
    LICENSING_DATABASE_URL: `sqlite://${join(dir, "licensing.db")}`,
    LICENSING_LISTEN: `127.0.0.1:${port}`,
    LICENSING_OIDC_AUTHORITY: idp.authority,
    LICENSING_API_AUDIENCE: AUDIENCE,
    LICENSING_PADDLE_WEBHOOK_SECRET: PADDLE_SECRET,
    // Only a configured price sells a plan.
    LICENSING_PADDLE_PRICES: "pri_pro=pro",
    RUST_LOG: "warn",
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/healthz`, "the licensing server");
  return {
    host: `127.0.0.1:${port}`,
    url: base,
    /** A Paddle purchase of one seat by tid/oid, signed as Paddle signs. */
    async buy(tid, oid) {
      const body = JSON.stringify({
        event_id: `evt_${tid}_${oid}`,
        event_type: "transaction.completed",
        occurred_at: new Date().toISOString(),
        data: {
          id: `txn_${oid}`, subscription_id: `sub_${oid}`, customer_id: "ctm_e2e", status: "completed",
          custom_data: { tenant_id: tid, user_id: oid },
          items: [{ price: { id: "pri_pro" }, quantity: 1 }],
          billing_period: { starts_at: new Date().toISOString(), ends_at: "2099-01-01T00:00:00Z" },
        },
      });
      const ts = Math.floor(Date.now() / 1000);
      const h1 = createHmac("sha256", PADDLE_SECRET).update(`${ts}:${body}`).digest("hex");
      const r = await fetch(`${base}/v1/webhooks/paddle`, { method: "POST", headers: { "content-type": "application/json", "paddle-signature": `ts=${ts};h1=${h1}` }, body });
      if (!r.ok) throw new Error(`purchase refused: ${r.status} ${await r.text()}`);
    },
    stop() {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png", ".map": "application/json" };

/** Serves addin/dist, with `config` as config.json. */
export async function pane(config) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      return res.end(JSON.stringify(config));
    }
    const file = join(dist, path === "/" ? "taskpane.html" : path.replace(/^\/+/, ""));
    if (!file.startsWith(dist) || !existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  const port = await listen(server);
  // localhost is a secure context, as https is in production.
  return {
    host: `localhost:${port}`,
    url: `http://localhost:${port}/taskpane.html`,
    stop() {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Chromium with a fresh profile. */
export async function browser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    // The preview is a sandboxed frame; Chromium would give it a renderer process of its
    // own, which paints after the page's (blank in a screenshot taken meanwhile).
    args: ["--no-sandbox", "--disable-gpu", "--disable-features=IsolateSandboxedIframes", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

const OFFICE_JS = readFileSync(join(root, "tests/e2e/office-stub.js"), "utf8");

/**
 * A page in a fresh browser context: Office.js from Microsoft's CDN is answered by the
 * stand-in (or refused: a plain browser), and every request the page makes is recorded;
 * `init` runs in the page before its own scripts.
 */
export async function openPane(b, url, { office, viewport = { width: 420, height: 2000 }, init } = {}) {
  const context = await b.newContext({ viewport, locale: office?.language ?? "en-US" });
  const requests = [];
  context.on("request", (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers(), body: r.postDataBuffer() }));
  await context.route("https://appsforoffice.microsoft.com/**", (route) =>
    office ? route.fulfill({ status: 200, contentType: "text/javascript", body: OFFICE_JS }) : route.abort(),
  );
  if (office) await context.addInitScript((s) => (window.__officeStub = s), office);
  if (init) await context.addInitScript(init);
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(url);
  await page.waitForSelector("body[data-ready]");
  const ready = await page.getAttribute("body", "data-ready");
  if (ready !== "true") throw new Error(`the pane failed to start: ${await page.textContent("body")}`);
  return { context, page, requests, errors };
}

/**
 * The privacy check: no request to a host other than `allowedHost` (Graph) carries any of
 * `secrets` — in its URL, its headers or its body.
 */
export function leaks(requests, allowedHost, secrets) {
  const found = [];
  for (const r of requests) {
    const host = new URL(r.url).host;
    if (host === allowedHost) continue;
    const text = [r.url, JSON.stringify(r.headers), r.body ? r.body.toString("latin1") : "", r.body ? r.body.toString("utf8") : ""].join("\n");
    for (const s of secrets) if (text.includes(s)) found.push(`${r.method} ${r.url} carries ${JSON.stringify(s)}`);
  }
  return found;
}

/** The roles of docs/network.md's table: the only hosts the pane may contact. */
export function networkRoles() {
  const doc = readFileSync(join(root, "docs/network.md"), "utf8");
  return doc
    .split("\n")
    .filter((l) => l.startsWith("| ") && !l.startsWith("| Role") && !l.startsWith("|---"))
    .map((l) => l.split("|")[1].trim());
}

/**
 * The requests to a host that plays none of docs/network.md's roles: `hosts` maps each role
 * to the hosts playing it in the test (an unknown role is a mistake in the test).
 */
export function offList(requests, hosts) {
  const roles = networkRoles();
  for (const role of Object.keys(hosts)) if (!roles.includes(role)) throw new Error(`docs/network.md has no role "${role}"`);
  const allowed = new Set(Object.values(hosts).flat());
  return [...new Set(requests.map((r) => new URL(r.url)).filter((u) => u.protocol !== "data:" && u.protocol !== "blob:" && !allowed.has(u.host)).map((u) => u.host))];
}

/**
 * The usage reports among `requests` (POST /v1/telemetry to `base`), each checked to carry
 * no token and no cookie, and only a report's fields; returns their bodies.
 */
export function telemetryReports(requests, base) {
  const posts = requests.filter((r) => r.url === `${base}/v1/telemetry` && r.method === "POST");
  return posts.map((r) => {
    const headers = Object.keys(r.headers).map((h) => h.toLowerCase());
    if (headers.includes("authorization") || headers.includes("cookie")) throw new Error(`a usage report carried ${headers.join(", ")}`);
    const body = JSON.parse(r.body.toString("utf8"));
    for (const key of Object.keys(body)) if (!["day", "version", "platform", "counts", "errors"].includes(key)) throw new Error(`a usage report carried ${key}`);
    return body;
  });
}

const shots = join(root, "tests/e2e/screenshots");

/**
 * A picture of the pane down to its footer, in tests/e2e/screenshots/; with
 * LOCALMERGE_DOCS_SCREENSHOTS=1 also as the README's docs/addin-NAME.png (the e2e run is
 * what refreshes them).
 */
export async function screenshot(page, name) {
  mkdirSync(shots, { recursive: true });
  await new Promise((r) => setTimeout(r, 300));
  const height = await page.evaluate(() => Math.ceil(document.querySelector("footer").getBoundingClientRect().bottom + window.scrollY + 16));
  const path = join(shots, `${name}.png`);
  await page.screenshot({ path, fullPage: true, clip: { x: 0, y: 0, width: page.viewportSize().width, height } });
  if (process.env.LOCALMERGE_DOCS_SCREENSHOTS === "1") copyFileSync(path, join(root, "docs", `addin-${name}.png`));
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axe(page) {
  await page.addScriptTag({ path: join(root, "node_modules/axe-core/axe.min.js") });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

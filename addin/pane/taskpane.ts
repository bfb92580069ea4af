// The task pane's controller: it starts the pane (host, core, sign-in, licence), keeps the
// pane's one state, and turns the user's actions into core calls and state changes. Every
// check and every message comes from the WebAssembly core; what the page shows is drawn by
// view/*.ts from the state; a campaign's phase changes only through state.ts.

import { addressProblem, brokenTokens, repairTokens, type CampaignOptions, type CampaignRow, type PlanResult, type Spreadsheet, type Template } from "../pkg/localmerge_addin.js";
import {
  baseLayerLuminance,
  fluentBadge,
  fluentButton,
  fluentCheckbox,
  fluentDesignSystemProvider,
  fluentProgress,
  fluentRadio,
  fluentRadioGroup,
  provideFluentDesignSystem,
  StandardLuminance,
} from "@fluentui/web-components";
import { signIn, type Config, type Tokens } from "./auth.js";
import { storedHost, testHost, withCampaign } from "./campaign.js";
import { reportCsv, reportRows } from "./csv.js";
import { detectHost, type TemplateSource } from "./host.js";
import { issueText, language, setLanguage, t, translatePage } from "./i18n.js";
import { checkPlan, type Plan } from "./license.js";
import { platformOf, recordError, recordEvent, recordFinish, setUserTurnedOff, Telemetry, userTurnedOff, type Location } from "./telemetry.js";
import { type CampaignPhase, canStart, idle, next, type PhaseEvent, storedState } from "./state.js";
import { Store, type StoredCampaign } from "./store.js";
import { $, dropZone } from "./view/dom.js";
import { renderMessage } from "./view/message.js";
import { renderPreview, type Shown } from "./view/preview.js";
import { bindSources } from "./sources.js";
import { renderFile, renderReadError, renderRecipients } from "./view/recipients.js";
import { download, mode, offerDownload, renderForecast, renderSend } from "./view/send.js";
import { answeredRows, type Campaign, followupRows, loadCore, openContacts, openForSending, openSpreadsheet, reportWorkbook, sendingSoon, tenantDomains, trackCampaign, type Region } from "./wasm.js";

provideFluentDesignSystem().register(fluentDesignSystemProvider(), fluentButton(), fluentCheckbox(), fluentProgress(), fluentBadge(), fluentRadioGroup(), fluentRadio());

interface Data {
  fileName: string;
  /** A workbook's bytes, or the contacts' JSON (UTF-8). */
  bytes: Uint8Array;
  /** Where the rows came from: a workbook (absent) or Outlook contacts. */
  source?: "contacts";
  /** Where the list is in the workbook, as the user chose. */
  region: Region;
  sheet: Spreadsheet;
}

/** The pane's state, complete once the pane has started. */
interface App {
  config: Config;
  tokens: Tokens;
  template: TemplateSource;
  store: Store;
  plan: Plan;
  /** The signed-in mailbox ("" when Graph did not say). */
  me: string;
  data?: Data;
  result?: PlanResult;
  /** The message previewed. */
  index: number;
  exclude: Set<number>;
  attachments: Map<string, File>;
  phase: CampaignPhase;
  /** The running campaign (while `phase` is running), for pause. */
  live?: Campaign;
  /** The subject of a campaign resumed when the pane opened. */
  resumed?: string;
  /** The tenant's verified domains, asked once (`tenantDomainsOf`). */
  domains?: Promise<string[]>;
  /** The anonymous usage counts (off when the user or the organisation said so). */
  telemetry: Telemetry;
}

/** The add-in's version: the manifest's, set by the build. */
declare const LOCALMERGE_VERSION: string;

/** Sends the kept usage counts: no token, no cookie, nothing but the reports. */
function flushTelemetry(app: App): Promise<void> {
  const base = app.config.licensingUrl?.replace(/\/$/, "");
  if (!base) return Promise.resolve();
  return app.telemetry.flush(async (report) => {
    const r = await fetch(`${base}/v1/telemetry`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(report), credentials: "omit", keepalive: true });
    return r.status;
  });
}

/** Counts an error caught at `location` (its kind, never its text). */
function failed(app: App, location: Location, error: unknown): void {
  recordError(app.telemetry, location, error);
}

function graphUrl(config: Config): string {
  return (config.graphUrl ?? "https://graph.microsoft.com/v1.0").replace(/\/$/, "");
}

async function template(app: App): Promise<Template> {
  const pick = (id: string) => $<HTMLSelectElement>(id).value || undefined;
  return {
    subject: await app.template.subject(),
    body: await app.template.body(),
    locale: language(),
    columns: { to: pick("to"), cc: pick("cc"), bcc: pick("bcc") },
    exclude: [...app.exclude],
    footer: !app.plan.licensed,
    attachments: Object.fromEntries([...app.attachments].map(([name, f]) => [name, f.size])),
    groupBy: pick("group-by"),
    suppress: localStorage.getItem(SUPPRESS) ?? "",
    // {{unsubscribe}} writes to the mailbox that sends: the shared one named, else the user's.
    mailbox: $<HTMLInputElement>("from").value.trim() || app.me || undefined,
  };
}

/** The do-not-contact list, kept in this browser. */
const SUPPRESS = "localmerge.suppress";

const LIMIT = "localmerge.dailyRecipients:";

/** The lower daily recipient limit the user entered for this mailbox (remembered in this browser). */
function dailyLimit(): number | undefined {
  const n = Number($<HTMLInputElement>("daily-limit").value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The tenant's verified domains, which tell colleagues from external recipients (User.Read
 *  allows it): asked of Graph once, when a plan is first weighed, by the send module (fetched
 *  then, ahead of the send). Empty when Graph did not say: every recipient counts as external. */
function tenantDomainsOf(app: App): Promise<string[]> {
  app.domains ??= app.tokens
    .graph(false)
    .then((token) => tenantDomains(graphUrl(app.config), token))
    .catch(() => [] as string[]);
  return app.domains;
}

/** How a campaign started now would send: the pace, the budgets and the tenant's domains. */
async function sendOptions(app: App, id: string, from: string): Promise<CampaignOptions> {
  const m = mode();
  const schedule = m === "schedule" ? new Date($<HTMLInputElement>("when").value).getTime() : undefined;
  return {
    id,
    graphUrl: graphUrl(app.config),
    seed: crypto.getRandomValues(new Uint32Array(1))[0],
    draftsOnly: m === "drafts",
    schedule: schedule !== undefined && Number.isFinite(schedule) ? schedule : undefined,
    perMinute: app.config.perMinute,
    dailyRecipients: dailyLimit(),
    domains: await tenantDomainsOf(app),
    tenantExternal: app.config.tenantExternal,
    from: from || undefined,
  };
}

/** The plan against every daily budget, for the campaign the send button would start. */
async function forecast(app: App): Promise<void> {
  const sheet = app.data?.sheet;
  if (!sheet || !app.result || app.result.error || app.result.messages === 0) return renderForecast(undefined);
  try {
    const options = await sendOptions(app, "00000000-0000-4000-8000-000000000000", "");
    renderForecast(sheet.forecast(await template(app), options, options.schedule ?? Date.now()));
  } catch {
    renderForecast(undefined);
  }
}

function messages(app: App): number {
  return app.result?.messages ?? 0;
}

/** The message previewed, and its HTML body, from the spreadsheet's last plan (the module keeps them). */
function shown(app: App): Shown | undefined {
  const sheet = app.data?.sheet;
  const m = sheet?.message(app.index);
  return sheet && m ? { message: m, html: sheet.messageHtml(app.index) ?? "" } : undefined;
}

function render(app: App): void {
  renderRecipients(Boolean(app.data), app.result);
  app.index = Math.min(app.index, Math.max(0, messages(app) - 1));
  renderPreview(messages(app), app.index, shown(app));
  renderSend(app.phase, messages(app), Date.now());
  void forecast(app);
}

/** Moves the campaign to its next phase, shows it, and keeps IndexedDB's record in step. */
async function dispatch(app: App, event: PhaseEvent): Promise<void> {
  const before = storedState(app.phase);
  app.phase = next(app.phase, event);
  renderSend(app.phase, messages(app), Date.now());
  const after = storedState(app.phase);
  if (after && after !== before && "id" in app.phase) await app.store.setState(app.phase.id, after);
}

// ---- the template and the data, checked together ------------------------------------------

let refreshing = Promise.resolve();
function refresh(app: App): Promise<void> {
  refreshing = refreshing.then(() => check(app), () => check(app));
  return refreshing;
}

async function check(app: App): Promise<void> {
  const tpl = await template(app);
  app.result = app.data?.sheet.plan(tpl);
  renderMessage(brokenTokens(tpl.body), app.result?.error, {
    fixTokens: async () => {
      await app.template.setBody(repairTokens(await app.template.body()));
      await refresh(app);
    },
    useSuggestion: (name, suggestion) => void replaceColumn(app, name, suggestion),
  });
  render(app);
}

/** Writes the column `name` as `suggestion` wherever the subject and body read it (core's parser finds it). */
async function replaceColumn(app: App, name: string, suggestion: string): Promise<void> {
  const sheet = app.data?.sheet;
  if (!sheet) return;
  const fixed = (s: string) => sheet.renameColumn(s, name, suggestion);
  if (!app.template.inOutlook) {
    const subject = $<HTMLInputElement>("subject");
    subject.value = fixed(subject.value);
  }
  await app.template.setBody(fixed(await app.template.body()));
  await refresh(app);
}

async function loadData(app: App, fileName: string, bytes: Uint8Array, region: Region, source?: "contacts"): Promise<void> {
  try {
    const sheet = source === "contacts" ? await openContacts(new TextDecoder().decode(bytes)) : await openSpreadsheet(bytes, region);
    app.data?.sheet.free();
    app.data = { fileName, bytes, source, region, sheet };
    app.exclude.clear();
    app.index = 0;
    renderFile(fileName, sheet, region, source === "contacts");
  } catch (e) {
    failed(app, "read", e);
    renderReadError(fileName, (e as Error).message);
  }
  await refresh(app);
  // With a list open (and its preview drawn), the module that sends is fetched ahead of the send.
  if (app.data) sendingSoon();
}

// ---- the send ------------------------------------------------------------------------------

async function startCampaign(app: App): Promise<void> {
  const error = $("send-error");
  error.textContent = "";
  const data = app.data;
  const r = app.result;
  const tpl = await template(app);
  if (!tpl.subject.trim() || !tpl.body.trim()) return void (error.textContent = t("needTemplate"));
  if (!data || !r || r.error || r.messages === 0) return void (error.textContent = t("needData"));
  if (r.problems.length > 0 && !$<HTMLInputElement>("skip-problems").checked) return void (error.textContent = t("needAck"));
  const from = $<HTMLInputElement>("from").value.trim();
  if (from && addressProblem(from) !== undefined) return void (error.textContent = t("badFrom", from));
  if (!canStart(app.phase)) return;
  const id = crypto.randomUUID();
  const options = await sendOptions(app, id, from);
  const stored: StoredCampaign = {
    id,
    created: Date.now(),
    fileName: data.fileName,
    bytes: data.bytes.slice().buffer,
    sheet: data.sheet.sheet,
    source: data.source,
    headerRow: data.region.headerRow,
    table: data.region.table,
    template: tpl,
    options,
    state: "running",
    skipped: [
      ...r.problems.map((p) => ({ row: p.row, reason: p.issues.map((i) => `${i.column}: ${issueText(i)}`).join("; ") })),
      ...r.suppressed.map((s) => ({ row: s.row, reason: t("suppressedReason", s.address, s.entry) })),
    ].sort((a, b) => a.row - b.row),
    excluded: r.excluded,
    files: Object.fromEntries(app.attachments),
  };
  await app.store.save(stored);
  app.telemetry.count("campaigns_started");
  await run(app, stored);
}

function leftOut(stored: StoredCampaign): number {
  return stored.skipped.length + (stored.excluded?.length ?? 0);
}

/** Runs (or resumes) a stored campaign until it ends, stops or is paused. */
async function run(app: App, stored: StoredCampaign): Promise<void> {
  if (!canStart(app.phase)) return;
  await dispatch(app, { type: "start", id: stored.id });
  $("send-error").textContent = "";
  try {
    await withCampaign(stored, await app.store.journal(stored.id), async (campaign) => {
      await dispatch(app, { type: "running", drafts: Boolean(stored.options.draftsOnly), leftOut: leftOut(stored), summary: campaign.summary, now: Date.now() });
      if (app.resumed !== undefined) showBanner(t("resumeBanner", app.resumed, campaign.summary.sent, campaign.summary.total));
      app.live = campaign;
      try {
        const token = () => app.tokens.graph(Boolean(stored.options.from));
        const finish = await campaign.run(
          storedHost(app.store, stored, token, (event) => {
            recordEvent(app.telemetry, event);
            void dispatch(app, { type: "progress", event });
          }),
        );
        recordFinish(app.telemetry, finish);
        await dispatch(app, { type: "finished", finish, rows: campaign.report() });
      } finally {
        app.live = undefined;
      }
    });
  } catch (e) {
    failed(app, "send", e);
    await dispatch(app, { type: "failed", reason: (e as Error).message });
    await app.store.setState(stored.id, "stopped");
  }
  await ended(app, stored);
  void flushTelemetry(app);
}

/** Once a campaign ended (done or canceled): its report, and the banner of a resumed one. */
async function ended(app: App, stored: StoredCampaign): Promise<void> {
  const phase = app.phase;
  if (phase.kind !== "done" && phase.kind !== "canceled") return;
  if (app.resumed !== undefined) showBanner(t("resumedDone", app.resumed));
  app.resumed = undefined;
  offerDownload(await reportOf(app, stored, phase.rows), stored.created);
  $("download-xlsx").onclick = reportDownload(app, async () => download(await workbookOf(app, stored), stored.created));
  await renderAfter(app);
}

/** A report's download button: a failure (the workbook module not fetched, say) is said and counted. */
function reportDownload(app: App, make: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await make();
    } catch (e) {
      failed(app, "report", e);
      showBanner(t("reportFailed", (e as Error).message));
    }
  };
}

/** A campaign's report as CSV: each row's outcome, or what came back for it. */
async function reportOf(app: App, stored: StoredCampaign, rows?: CampaignRow[]): Promise<string> {
  const journal = await app.store.journal(stored.id);
  const outcome = rows ?? (await withCampaign(stored, journal, (c) => c.report()));
  return reportCsv(reportRows(outcome, stored.skipped, stored.excluded ?? [], await answeredRows(journal)));
}

/** A campaign's report as a workbook: its list with each row's outcome (the report's module). */
async function workbookOf(app: App, stored: StoredCampaign): Promise<Uint8Array> {
  return reportWorkbook(stored, await app.store.journal(stored.id), stored.skipped, stored.excluded ?? []);
}

// ---- after the send ------------------------------------------------------------------------

/** The newest campaign that ended and sent (drafts are not sent): where replies are checked. */
async function lastEnded(app: App): Promise<StoredCampaign | undefined> {
  return (await app.store.campaigns()).find((c) => (c.state === "done" || c.state === "canceled") && !c.options.draftsOnly);
}

async function renderAfter(app: App): Promise<void> {
  const stored = await lastEnded(app);
  $("step-after").hidden = !stored;
  if (!stored) return;
  const when = new Date(stored.created).toLocaleString(language(), { dateStyle: "medium", timeStyle: "short" });
  $("after-text").textContent = t("afterText", stored.template.subject, when);
  document.body.dataset.after = stored.id;
  $("after-download").onclick = reportDownload(app, async () => download(await reportOf(app, stored), stored.created));
  $("after-download-xlsx").onclick = reportDownload(app, async () => download(await workbookOf(app, stored), stored.created));
}

/** Reads what came back for the last campaign from the Inbox: the journal records each
 *  row's response, the do-not-contact list gains those who unsubscribed. Whether it could. */
async function checkReplies(app: App): Promise<boolean> {
  const stored = await lastEnded(app);
  if (!stored) return false;
  const status = $("replies-text");
  status.textContent = t("checking");
  try {
    const token = stored.options.from ? await app.tokens.reading("sharedMail") : await app.tokens.graph(false);
    const list = localStorage.getItem(SUPPRESS) ?? "";
    const found = await trackCampaign(stored.options.graphUrl, token, await app.store.journal(stored.id), list);
    await app.store.append(stored.id, found.entries);
    if (found.listed > 0) {
      localStorage.setItem(SUPPRESS, found.suppress);
      $<HTMLTextAreaElement>("suppress-list").value = found.suppress;
      void refresh(app);
    }
    const listed = found.listed > 0 ? " " + t("repliesListed", found.listed) : "";
    status.textContent = t("repliesFound", found.sent, found.replied, found.bounced, found.unsubscribed) + listed;
    const body = document.body.dataset;
    body.replied = String(found.replied);
    body.bounced = String(found.bounced);
    body.unsubscribed = String(found.unsubscribed);
    return true;
  } catch (e) {
    failed(app, "track", e);
    status.textContent = t("checkFailed", (e as Error).message);
    return false;
  }
}

/** A follow-up to the last campaign: the message being written is sent as a reply in each
 *  conversation that got no answer, from the same mailbox, exactly once like any campaign.
 *  What came back is read first: if the Inbox cannot be read, nothing is sent. */
async function followUp(app: App): Promise<void> {
  const first = await lastEnded(app);
  const status = $("followup-text");
  status.textContent = "";
  if (!first || !canStart(app.phase)) return;
  const tpl = await template(app);
  if (!tpl.subject.trim() || !tpl.body.trim()) return void (status.textContent = t("needTemplate"));
  if (!(await checkReplies(app))) return;
  const days = Math.max(0, Math.floor(Number($<HTMLInputElement>("followup-days").value) || 0));
  const due = await followupRows(await app.store.journal(first.id), Date.now(), days);
  if (due.rows.length === 0) return void (status.textContent = t("followupNone", due.answered, due.later));
  status.textContent = t("followupStarting", due.rows.length, due.answered, due.later);
  const id = crypto.randomUUID();
  const from = first.options.from ?? "";
  const options: CampaignOptions = { ...(await sendOptions(app, id, from)), draftsOnly: false, schedule: undefined, replies: due.rows };
  // The first campaign's rows and choices; the follow-up's own words, and its mailbox for {{unsubscribe}}.
  const stored: StoredCampaign = {
    ...first,
    id,
    created: Date.now(),
    template: { ...first.template, subject: tpl.subject, body: tpl.body, footer: tpl.footer, suppress: tpl.suppress, mailbox: from || app.me || undefined, exclude: [] },
    options,
    state: "running",
    skipped: [],
    excluded: [],
    followupOf: first.id,
  };
  await app.store.save(stored);
  app.telemetry.count("campaigns_started");
  await run(app, stored);
}

async function cancel(app: App): Promise<void> {
  const phase = app.phase;
  if (phase.kind === "running") {
    await dispatch(app, { type: "cancel" });
    app.live?.pause();
    return;
  }
  const stored = await app.store.unfinished();
  if (!stored) return;
  await dispatch(app, { type: "cancel" });
  // A stopped campaign the pane did not see (closed since) is canceled in the store alone.
  if (storedState(app.phase) !== "canceled") await app.store.setState(stored.id, "canceled");
  await ended(app, stored);
}

async function sendTest(app: App): Promise<void> {
  const status = $("test-status");
  const position = app.index + 1;
  const data = app.data;
  const m = data?.sheet.message(app.index);
  if (!data || !m || !app.me) return;
  status.textContent = "";
  try {
    // The list read again by the module that sends (the previewed one only checks and renders).
    const sheet = await openForSending({ bytes: data.bytes, source: data.source, region: { ...data.region, sheet: data.sheet.sheet } });
    let campaign: Campaign;
    try {
      campaign = sheet.testCampaign(await template(app), m.row, app.me, {
        id: `test-${crypto.randomUUID()}`,
        graphUrl: graphUrl(app.config),
        seed: 1,
        perMinute: app.config.perMinute,
      });
    } finally {
      sheet.free();
    }
    try {
      const finish = await campaign.run(testHost(app.attachments, () => app.tokens.graph(false)));
      status.textContent = finish.done && finish.summary.sent === 1 ? t("testSent", position, m.row, app.me) : t("stopped", finish.stopped ?? finish.summary.failed[0]?.reason ?? "");
    } finally {
      campaign.free();
    }
  } catch (e) {
    failed(app, "test_send", e);
    status.textContent = (e as Error).message;
  }
}

function showBanner(text: string): void {
  const banner = $("banner");
  banner.hidden = false;
  banner.textContent = text;
}

// ---- start ---------------------------------------------------------------------------------

/** An unfinished campaign found when the pane opens: a paused one waits; any other resumes. */
async function resumeOnOpen(app: App): Promise<void> {
  const stored = await app.store.unfinished();
  if (!stored) return;
  const subject = stored.template.subject;
  if (stored.state === "paused") {
    // The counts come from the campaign as its journal rebuilds it (excluded rows left out).
    try {
      const summary = await withCampaign(stored, await app.store.journal(stored.id), (c) => c.summary);
      await dispatch(app, { type: "restored", id: stored.id, drafts: Boolean(stored.options.draftsOnly), leftOut: leftOut(stored), summary });
      showBanner(t("resumeBannerPaused", subject, summary.sent, summary.total));
    } catch (e) {
      failed(app, "resume", e);
      $("send-error").textContent = (e as Error).message;
    }
    return;
  }
  // The workbook is read once, by the campaign that resumes.
  app.resumed = subject;
  await run(app, stored);
}

/** The setting: on unless the user turned it off; fixed off when the organisation did. */
function bindTelemetrySetting(hasServer: boolean, orgOff: boolean, telemetry: Telemetry): void {
  // Without a licensing server there is nowhere to send counts, and nothing to set.
  $("settings").hidden = !hasServer;
  const box = $<HTMLInputElement>("telemetry-setting");
  box.checked = !orgOff && !userTurnedOff(localStorage);
  box.disabled = orgOff;
  if (orgOff) $("telemetry-note").textContent = t("telemetryOffByOrg");
  // Off stops counting at once and forgets what was kept; on counts from the next opening.
  box.addEventListener("change", () => {
    setUserTurnedOff(localStorage, !box.checked);
    if (!box.checked) telemetry.stop();
  });
}

function bind(app: App): void {
  app.template.onChange(() => void refresh(app));
  const showAccount = () => {
    const from = $<HTMLInputElement>("from").value.trim();
    $("account").textContent = !app.me ? t("notSignedIn") : from ? t("sendingAs", from, app.me) : t("signedInAs", app.me);
  };
  showAccount();
  $("from").addEventListener("input", showAccount);
  $("insert").addEventListener("click", async () => {
    const column = $<HTMLSelectElement>("column-pick").value;
    if (column) await app.template.insert(`{{${column}}}`);
    await refresh(app);
  });
  const open = async (f: File) => loadData(app, f.name, new Uint8Array(await f.arrayBuffer()), {});
  bindSources({
    graphUrl: graphUrl(app.config),
    tokens: app.tokens,
    openBytes: (name, bytes) => loadData(app, name, bytes, {}),
    openContacts: (json, name) => loadData(app, name, new TextEncoder().encode(json), {}, "contacts"),
  });
  dropZone($("drop"), $("pick"), $<HTMLInputElement>("file"), (files) => {
    if (files[0]) void open(files[0]);
  });
  dropZone($("attachments-drop"), $("attachments-pick"), $<HTMLInputElement>("attachments"), (files) => {
    app.attachments = new Map(files.map((f) => [f.name, f]));
    $("attachments-names").textContent = files.length > 0 ? t("attachmentsChosen", files.length, files.map((f) => f.name).join(", ")) : "";
    void refresh(app);
  });
  // Where the list is: another sheet, an Excel table, or a header below title rows.
  const reread = (region: Region) => {
    const d = app.data;
    if (d && !d.source) void loadData(app, d.fileName, d.bytes, region);
  };
  $("sheet").addEventListener("change", () => reread({ sheet: $<HTMLSelectElement>("sheet").value }));
  $("table").addEventListener("change", () => reread({ table: $<HTMLSelectElement>("table").value || undefined }));
  $("header-row").addEventListener("change", () => {
    const row = Number($<HTMLInputElement>("header-row").value);
    reread({ sheet: app.data?.sheet.sheet, headerRow: Number.isInteger(row) && row > 0 ? row : undefined });
  });
  $("group-by").addEventListener("change", () => void refresh(app));
  const suppress = $<HTMLTextAreaElement>("suppress-list");
  suppress.value = localStorage.getItem(SUPPRESS) ?? "";
  suppress.addEventListener("change", () => {
    localStorage.setItem(SUPPRESS, suppress.value);
    void refresh(app);
  });
  const limit = $<HTMLInputElement>("daily-limit");
  limit.value = localStorage.getItem(LIMIT + app.me) ?? "";
  limit.addEventListener("change", () => {
    const n = dailyLimit();
    if (n === undefined) localStorage.removeItem(LIMIT + app.me);
    else localStorage.setItem(LIMIT + app.me, String(n));
    void forecast(app);
  });
  $("when").addEventListener("change", () => void forecast(app));
  for (const id of ["to", "cc", "bcc"]) $(id).addEventListener("change", () => void refresh(app));
  const move = (by: number) => {
    app.index = Math.max(0, Math.min(messages(app) - 1, app.index + by));
    renderPreview(messages(app), app.index, shown(app));
  };
  $("prev").addEventListener("click", () => move(-1));
  $("next").addEventListener("click", () => move(1));
  $("exclude-row").addEventListener("click", () => {
    const m = app.data?.sheet.message(app.index);
    if (m) app.exclude.add(m.row);
    void refresh(app);
  });
  $("skip-problems").addEventListener("change", () => ($("send-error").textContent = ""));
  $("test").addEventListener("click", () => void sendTest(app));
  $("mode").addEventListener("change", () => {
    renderSend(app.phase, messages(app), Date.now());
    void forecast(app);
  });
  $("send").addEventListener("click", () => void startCampaign(app));
  $("pause").addEventListener("click", () => app.live?.pause());
  $("resume").addEventListener("click", async () => {
    const stored = await app.store.unfinished();
    if (stored) await run(app, stored);
  });
  $("cancel").addEventListener("click", () => void cancel(app));
  $("check-replies").addEventListener("click", () => void checkReplies(app));
  $("follow-up").addEventListener("click", () => void followUp(app));
}

async function main(): Promise<void> {
  const config = (await (await fetch("config.json")).json()) as Config;
  const host = await detectHost($<HTMLInputElement>("subject"), $("editor"));
  setLanguage(host.language);
  baseLayerLuminance.setValueFor($("provider"), host.dark ? StandardLuminance.DarkMode : StandardLuminance.LightMode);
  document.documentElement.style.colorScheme = host.dark ? "dark" : "light";
  document.body.classList.toggle("dark", host.dark);
  translatePage();
  $("editor-fields").hidden = host.template.inOutlook;
  $("from-item").hidden = !host.template.inOutlook && !host.olderOutlook;
  if (host.olderOutlook) $("from-item").textContent = t("olderOutlook");
  await loadCore();
  const store = await Store.open();
  const tokens = await signIn(config, host.nestedAuth);
  let me = "";
  try {
    const r = await fetch(`${graphUrl(config)}/me`, { headers: { Authorization: `Bearer ${await tokens.graph(false)}` } });
    const who = (await r.json()) as { mail?: string; userPrincipalName?: string };
    me = who.mail ?? who.userPrincipalName ?? "";
  } catch {
    me = "";
  }
  const plan = await checkPlan(config.licensingUrl?.replace(/\/$/, ""), () => tokens.licensing());
  $("plan").textContent = plan.licensed ? t("planLicensed") : t("planFree");
  $("plan-footer").textContent = plan.licensed ? t("licensedFooter") : t("freeFooter");
  // Usage counts: only with a licensing server to send them to, the organisation's leave
  // (the license check just now) and the user's (this browser's setting).
  // (When the server did not answer, nothing is counted this time; the setting stays.)
  const telemetry = new Telemetry(localStorage, LOCALMERGE_VERSION, platformOf(host.platform), Boolean(config.licensingUrl) && plan.telemetry === true && !userTurnedOff(localStorage));
  if (plan.telemetry === false || userTurnedOff(localStorage)) telemetry.stop();
  const app: App = { config, tokens, template: host.template, store, plan, me, index: 0, exclude: new Set(), attachments: new Map(), phase: idle, telemetry };
  bindTelemetrySetting(Boolean(config.licensingUrl), plan.telemetry === false, telemetry);
  bind(app);
  await refresh(app);
  await renderAfter(app);
  document.body.dataset.ready = "true";
  void flushTelemetry(app);
  await resumeOnOpen(app);
}

main().catch((e: unknown) => {
  document.body.dataset.ready = "error";
  const p = document.createElement("p");
  p.className = "problem";
  p.setAttribute("role", "alert");
  p.textContent = (e as Error).message ?? String(e);
  document.body.prepend(p);
});

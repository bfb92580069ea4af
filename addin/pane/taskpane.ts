// The task pane: message, recipients, preview, send. Every check and every message comes
// from the WebAssembly core; this file only shows them and wires the browser's adapters
// (tokens, IndexedDB, files) into a campaign.

import {
  brokenTokens,
  repairTokens,
  type Campaign,
  type CampaignEvent,
  type CampaignFinish,
  type CampaignHost,
  type CampaignOptions,
  type CampaignSummary,
  type PlanResult,
  type Spreadsheet,
  type Template,
} from "../pkg/localmerge_addin.js";
import {
  baseLayerLuminance,
  fluentBadge,
  fluentButton,
  fluentCheckbox,
  fluentDesignSystemProvider,
  fluentProgress,
  provideFluentDesignSystem,
  StandardLuminance,
} from "@fluentui/web-components";
import { signIn, type Config, type Tokens } from "./auth.js";
import { detectHost, type TemplateSource } from "./host.js";
import { issueText, language, setLanguage, t, translatePage } from "./i18n.js";
import { checkPlan, type Plan } from "./license.js";
import { reportCsv, type ReportRow } from "./report.js";
import { Store, type StoredCampaign } from "./store.js";
import { loadCore, openSpreadsheet } from "./wasm.js";

provideFluentDesignSystem().register(fluentDesignSystemProvider(), fluentButton(), fluentCheckbox(), fluentProgress(), fluentBadge());

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from taskpane.html`);
  return el as T;
};

interface Data {
  fileName: string;
  bytes: Uint8Array;
  sheet: Spreadsheet;
}

const state = {
  config: { mode: "sandbox" } as Config,
  tokens: undefined as Tokens | undefined,
  template: undefined as TemplateSource | undefined,
  store: undefined as Store | undefined,
  plan: { licensed: false, plan: "free" } as Plan,
  me: "",
  data: undefined as Data | undefined,
  result: undefined as PlanResult | undefined,
  index: 0,
  exclude: new Set<number>(),
  attachments: new Map<string, File>(),
  running: undefined as { campaign: Campaign; stored: StoredCampaign; started: number; sentAtStart: number } | undefined,
};

function graphUrl(): string {
  return (state.config.graphUrl ?? "https://graph.microsoft.com/v1.0").replace(/\/$/, "");
}

async function template(): Promise<Template> {
  const source = state.template as TemplateSource;
  const pick = (id: string) => $<HTMLSelectElement>(id).value || undefined;
  return {
    subject: await source.subject(),
    body: await source.body(),
    locale: language(),
    columns: { to: pick("to"), cc: pick("cc"), bcc: pick("bcc") },
    exclude: [...state.exclude],
    footer: !state.plan.licensed,
    attachments: Object.fromEntries([...state.attachments].map(([name, f]) => [name, f.size])),
  };
}

function options(select: HTMLSelectElement, values: string[], empty: string, keep = true): void {
  const before = select.value;
  select.replaceChildren(
    ...[empty ? new Option(empty, "") : null, ...values.map((v) => new Option(v, v))].filter((o): o is HTMLOptionElement => o !== null),
  );
  if (keep && values.includes(before)) select.value = before;
}

// ---- step 1 and 2: the template and the data, checked together -------------------------

let refreshing = Promise.resolve();
function refresh(): Promise<void> {
  refreshing = refreshing.then(check, check);
  return refreshing;
}

async function check(): Promise<void> {
  const tpl = await template();
  const problems = $("template-problems");
  problems.replaceChildren();
  const broken = brokenTokens(tpl.body);
  if (broken.length > 0) {
    const p = document.createElement("p");
    p.className = "problem";
    p.textContent = t("brokenTokens", broken.length, broken[0].text);
    const fix = document.createElement("fluent-button");
    fix.id = "fix-tokens";
    fix.textContent = t("fixTokens");
    fix.addEventListener("click", async () => {
      await state.template?.setBody(repairTokens(await state.template.body()));
      await refresh();
    });
    problems.append(p, fix);
  }
  const data = state.data;
  if (!data) {
    state.result = undefined;
    renderData();
    renderPreview();
    return;
  }
  options($("column-pick"), data.sheet.columns, "");
  state.result = data.sheet.plan(tpl);
  const error = state.result.error;
  if (error) {
    const p = document.createElement("p");
    p.className = "problem";
    p.textContent = t("templateError", error.message);
    problems.append(p);
    if (error.name && error.suggestion) {
      const fix = document.createElement("fluent-button");
      fix.id = "fix-column";
      fix.textContent = t("useSuggestion", error.suggestion);
      const { name, suggestion } = error;
      fix.addEventListener("click", () => replaceColumn(name, suggestion));
      problems.append(fix);
    }
  }
  renderData();
  renderPreview();
}

/** Writes the column `name` as `suggestion` wherever the subject and body read it (core's parser finds it). */
async function replaceColumn(name: string, suggestion: string): Promise<void> {
  const source = state.template as TemplateSource;
  const sheet = (state.data as Data).sheet;
  const fixed = (s: string) => sheet.renameColumn(s, name, suggestion);
  if (!source.inOutlook) {
    const subject = $<HTMLInputElement>("subject");
    subject.value = fixed(subject.value);
  }
  await source.setBody(fixed(await source.body()));
  await refresh();
}

function renderData(): void {
  const r = state.result;
  // Each step appears once the one before it has something to show.
  $("data-details").hidden = !state.data;
  $("column-row").hidden = !state.data;
  $("step-preview").hidden = !r?.messages.length;
  const campaignShown = Boolean(state.running) || !$("progress-box").hidden || !$("report").hidden;
  $("step-send").hidden = !r?.messages.length && !campaignShown;
  $("send-controls").hidden = !r?.messages.length;
  const summary = $("data-summary");
  const table = $<HTMLTableElement>("problems");
  const tbody = table.tBodies[0];
  tbody.replaceChildren();
  summary.replaceChildren();
  const skip = $("skip-problems");
  if (!r || r.error) {
    table.hidden = true;
    skip.hidden = true;
    updateSendButton();
    return;
  }
  const line = (text: string, cls = "") => {
    const p = document.createElement("p");
    p.textContent = text;
    p.className = cls;
    summary.append(p);
  };
  line(t("ready", r.messages.length));
  if (r.excluded.length > 0) line(t("excludedCount", r.excluded.length));
  if (r.problems.length > 0) line(t("problemsCount", r.problems.length), "problem");
  for (const p of r.problems) {
    for (const issue of p.issues) {
      const tr = tbody.insertRow();
      tr.insertCell().textContent = String(p.row);
      tr.insertCell().textContent = `${issue.column} (${issue.letters})`;
      tr.insertCell().textContent = issueText(issue);
    }
  }
  table.hidden = r.problems.length === 0;
  skip.hidden = r.problems.length === 0;
  updateSendButton();
}

async function openFile(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  await loadData(file.name, bytes, undefined);
}

async function loadData(fileName: string, bytes: Uint8Array, sheetName: string | undefined): Promise<void> {
  const status = $("file-name");
  try {
    const sheet = await openSpreadsheet(bytes, sheetName);
    state.data?.sheet.free();
    state.data = { fileName, bytes, sheet };
    state.exclude.clear();
    state.index = 0;
    status.textContent = `${fileName} · ${sheet.sheet} · ${sheet.rowCount}`;
    status.className = "muted";
    options($("sheet"), sheet.sheets, "", false);
    $<HTMLSelectElement>("sheet").value = sheet.sheet;
    for (const id of ["to", "cc", "bcc"]) options($(id), sheet.columns, t(id === "to" ? "detect" : "none"));
  } catch (e) {
    status.textContent = t("readError", fileName, (e as Error).message);
    status.className = "problem";
  }
  await refresh();
}

// ---- step 3: preview ----------------------------------------------------------------------

function renderPreview(): void {
  const messages = state.result?.messages ?? [];
  state.index = Math.min(state.index, Math.max(0, messages.length - 1));
  const m = messages[state.index];
  $("position").textContent = m ? t("position", state.index + 1, messages.length) : "";
  const dl = $("envelope");
  dl.replaceChildren();
  const frame = $<HTMLIFrameElement>("preview");
  if (!m) {
    frame.srcdoc = "";
    return;
  }
  const field = (label: string, value: string) => {
    if (!value) return;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dl.append(dt, dd);
  };
  field(t("to"), m.to.join(", "));
  field(t("cc"), m.cc.join(", "));
  field(t("bcc"), m.bcc.join(", "));
  field(t("subject"), m.subject);
  // The message exactly as it will be sent, in a frame that runs no script.
  const doc = `<!doctype html><meta charset="utf-8"><body style="font-family:Segoe UI,sans-serif;font-size:14px">${m.html}`;
  // The pane re-checks whenever it regains focus: an unchanged message is not reloaded (no flicker).
  if (frame.srcdoc !== doc) frame.srcdoc = doc;
}

// ---- step 4: send -------------------------------------------------------------------------

function mode(): "now" | "schedule" | "drafts" {
  return (document.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? "now") as "now" | "schedule" | "drafts";
}

function updateSendButton(): void {
  const n = state.result?.messages.length ?? 0;
  $("send").textContent = mode() === "drafts" ? t("createDrafts", n) : t("send", n);
  $("when-row").hidden = mode() !== "schedule";
}

function campaignHost(stored: StoredCampaign, onEvent: (e: CampaignEvent) => void): CampaignHost {
  const store = state.store as Store;
  return {
    token: () => (state.tokens as Tokens).graph(Boolean(stored.options.from)),
    append: (lines) => store.append(stored.id, lines),
    readFile: async (name, start, end) => {
      const file = stored.files?.[name];
      if (!file) throw new Error(`${name}: pick the attachment files again`);
      return new Uint8Array(await file.slice(start, Number.isFinite(end) ? end : undefined).arrayBuffer());
    },
    event: onEvent,
  };
}

function duration(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  return min < 60 ? t("minutes", min) : t("hours", Math.floor(min / 60), min % 60);
}

function showProgress(summary: CampaignFinish["summary"], drafts: boolean): void {
  const ended = summary.sent + summary.failed.length + (drafts ? summary.drafted : 0);
  const progress = $("progress");
  progress.setAttribute("max", String(Math.max(1, summary.total)));
  progress.setAttribute("value", String(ended));
  const parts = [drafts ? t("progressDrafts", summary.drafted, summary.total) : t("progress", summary.sent, summary.total)];
  const run = state.running;
  if (run && !drafts) {
    const minutes = (Date.now() - run.started) / 60_000;
    const done = summary.sent - run.sentAtStart;
    if (done > 0 && minutes > 0) {
      const rate = done / minutes;
      parts.push(t("rate", Math.round(rate)));
      const left = summary.total - summary.sent - summary.failed.length;
      if (left > 0) parts.push(t("eta", duration((left / rate) * 60_000)));
    }
  }
  $("progress-text").textContent = parts.join(" · ");
}

async function startCampaign(): Promise<void> {
  const error = $("send-error");
  error.textContent = "";
  const data = state.data;
  const r = state.result;
  const tpl = await template();
  if (!tpl.subject.trim() || !tpl.body.trim()) return void (error.textContent = t("needTemplate"));
  if (!data || !r || r.error || r.messages.length === 0) return void (error.textContent = t("needData"));
  if (r.problems.length > 0 && !$<HTMLInputElement>("skip-problems").checked) return void (error.textContent = t("needAck"));
  const from = $<HTMLInputElement>("from").value.trim();
  if (from && !/^[^\s@]+@[^\s@]+$/.test(from)) return void (error.textContent = t("badFrom", from));
  const m = mode();
  const schedule = m === "schedule" ? new Date($<HTMLInputElement>("when").value).getTime() : undefined;
  const id = crypto.randomUUID();
  const opts: CampaignOptions = {
    id,
    graphUrl: graphUrl(),
    seed: crypto.getRandomValues(new Uint32Array(1))[0],
    draftsOnly: m === "drafts",
    schedule: schedule !== undefined && Number.isFinite(schedule) ? schedule : undefined,
    perMinute: state.config.perMinute,
    from: from || undefined,
  };
  const stored: StoredCampaign = {
    id,
    created: Date.now(),
    fileName: data.fileName,
    bytes: data.bytes.slice().buffer,
    sheet: data.sheet.sheet,
    template: tpl,
    options: opts,
    state: "running",
    skipped: r.problems.map((p) => ({ row: p.row, reason: p.issues.map((i) => `${i.column}: ${issueText(i)}`).join("; ") })),
    excluded: r.excluded,
    files: Object.fromEntries(state.attachments),
  };
  await (state.store as Store).save(stored);
  await run(stored);
}

/** Set while a campaign is being made from its journal: one runs at a time, ever. */
let starting = false;

/** Runs a stored campaign; `onStart` sees it once it is rebuilt from its journal. */
async function run(stored: StoredCampaign, onStart?: (campaign: Campaign) => void): Promise<void> {
  // Two campaigns over one journal would both send the rows it leaves pending.
  if (state.running || starting) return;
  starting = true;
  const store = state.store as Store;
  let campaign: Campaign;
  try {
    const sheet = await openSpreadsheet(new Uint8Array(stored.bytes), stored.sheet);
    try {
      campaign = sheet.campaign(stored.template, stored.options, await store.journal(stored.id));
    } finally {
      sheet.free();
    }
  } catch (e) {
    starting = false;
    $("send-error").textContent = (e as Error).message;
    await store.setState(stored.id, "stopped");
    return;
  }
  const drafts = Boolean(stored.options.draftsOnly);
  state.running = { campaign, stored, started: Date.now(), sentAtStart: campaign.summary.sent };
  starting = false;
  onStart?.(campaign);
  await store.setState(stored.id, "running");
  $("step-send").hidden = false;
  $("progress-box").hidden = false;
  $("report").hidden = true;
  $("pause").hidden = false;
  $("resume").hidden = true;
  $("send").setAttribute("disabled", "");
  showProgress(campaign.summary, drafts);
  const note = $("progress-note");
  note.textContent = "";
  const finish = await campaign.run(
    campaignHost(stored, (e) => {
      showProgress(e.summary, drafts);
      if (e.kind === "throttled") note.textContent = t("throttled", new Date(e.until).toLocaleTimeString(language()));
      else if (e.kind === "retrying") note.textContent = t("retrying", e.reason);
      else if (e.kind === "row" && e.step === "sent") note.textContent = "";
    }),
  );
  state.running = undefined;
  campaign.free();
  await finished(stored, finish);
}

async function finished(stored: StoredCampaign, finish: CampaignFinish): Promise<void> {
  const store = state.store as Store;
  const drafts = Boolean(stored.options.draftsOnly);
  showProgress(finish.summary, drafts);
  $("send").removeAttribute("disabled");
  const current = (await store.campaigns()).find((c) => c.id === stored.id);
  if (current?.state === "canceled") {
    $("progress-note").textContent = t("canceled");
    await showReport(stored, finish);
    return;
  }
  if (finish.paused) {
    await store.setState(stored.id, "paused");
    $("progress-note").textContent = t("paused");
    $("pause").hidden = true;
    $("resume").hidden = false;
    return;
  }
  if (!finish.done) {
    await store.setState(stored.id, "stopped");
    $("progress-note").textContent = t("stopped", finish.stopped ?? "");
    $("pause").hidden = true;
    $("resume").hidden = false;
    return;
  }
  await store.setState(stored.id, "done");
  await showReport(stored, finish);
}

async function reportRows(stored: StoredCampaign): Promise<ReportRow[]> {
  const rows = new Map<number, ReportRow>();
  for (const line of await (state.store as Store).journal(stored.id)) {
    const e = JSON.parse(line) as { event: string; row?: number; reason?: string };
    if (e.row === undefined) continue;
    if (e.event === "sent") rows.set(e.row, { row: e.row, status: "sent", reason: "" });
    else if (e.event === "failed") rows.set(e.row, { row: e.row, status: "failed", reason: e.reason ?? "" });
    else if (e.event === "drafted" && !rows.has(e.row)) rows.set(e.row, { row: e.row, status: "drafted", reason: "" });
  }
  for (const s of stored.skipped) rows.set(s.row, { row: s.row, status: "skipped", reason: s.reason });
  for (const row of stored.excluded ?? []) rows.set(row, { row, status: "excluded", reason: "" });
  return [...rows.values()];
}

async function showReport(stored: StoredCampaign, finish: CampaignFinish): Promise<void> {
  const banner = $("banner");
  if (!banner.hidden) banner.textContent = t("resumedDone", stored.template.subject);
  $("progress-box").hidden = true;
  $("report").hidden = false;
  const s = finish.summary;
  const skipped = stored.skipped.length + (stored.excluded?.length ?? 0);
  $("report-text").textContent = stored.options.draftsOnly
    ? t("finishedDrafts", s.drafted, s.failed.length, skipped)
    : t("finished", s.sent, s.failed.length, skipped);
  const ul = $("report-failed");
  ul.replaceChildren(
    ...s.failed.map((f) => {
      const li = document.createElement("li");
      li.textContent = t("failedRow", f.row, f.reason);
      return li;
    }),
  );
  const csv = reportCsv(await reportRows(stored));
  $("download").onclick = () => {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
    a.download = `localmerge-report-${new Date(stored.created).toISOString().slice(0, 10)}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  };
}

async function sendTest(): Promise<void> {
  const status = $("test-status");
  const position = state.index + 1;
  const m = state.result?.messages[state.index];
  if (!state.data || !m || !state.me) return;
  status.textContent = "";
  const journal: string[] = [];
  try {
    const campaign = state.data.sheet.testCampaign(await template(), m.row, state.me, {
      id: `test-${crypto.randomUUID()}`,
      graphUrl: graphUrl(),
      seed: 1,
      perMinute: state.config.perMinute,
    });
    const finish = await campaign.run({
      token: () => (state.tokens as Tokens).graph(false),
      append: async (lines) => void journal.push(...lines),
      readFile: async (name, start, end) => {
        const f = state.attachments.get(name);
        if (!f) throw new Error(name);
        return new Uint8Array(await f.slice(start, Number.isFinite(end) ? end : undefined).arrayBuffer());
      },
      event: () => {},
    });
    campaign.free();
    status.textContent = finish.done && finish.summary.sent === 1 ? t("testSent", position, m.row, state.me) : t("stopped", finish.stopped ?? finish.summary.failed[0]?.reason ?? "");
  } catch (e) {
    status.textContent = (e as Error).message;
  }
}

// ---- start --------------------------------------------------------------------------------

async function resumeOnOpen(): Promise<void> {
  const store = state.store as Store;
  const unfinished = await store.unfinished();
  if (!unfinished) return;
  const banner = $("banner");
  const subject = unfinished.template.subject;
  $("step-send").hidden = false;
  if (unfinished.state === "paused") {
    // The counts come from the campaign as its journal rebuilds it (excluded rows left out).
    const lines = await store.journal(unfinished.id);
    let summary: CampaignSummary;
    try {
      const sheet = await openSpreadsheet(new Uint8Array(unfinished.bytes), unfinished.sheet);
      try {
        const campaign = sheet.campaign(unfinished.template, unfinished.options, lines);
        summary = campaign.summary;
        campaign.free();
      } finally {
        sheet.free();
      }
    } catch (e) {
      $("send-error").textContent = (e as Error).message;
      return;
    }
    banner.hidden = false;
    banner.textContent = t("resumeBannerPaused", subject, summary.sent, summary.total);
    $("progress-box").hidden = false;
    $("pause").hidden = true;
    $("resume").hidden = false;
    return;
  }
  // The workbook is read once, by the campaign that resumes.
  await run(unfinished, (campaign) => {
    banner.hidden = false;
    banner.textContent = t("resumeBanner", subject, campaign.summary.sent, campaign.summary.total);
  });
}

async function main(): Promise<void> {
  state.config = (await (await fetch("config.json")).json()) as Config;
  const host = await detectHost($<HTMLInputElement>("subject"), $("editor"));
  state.template = host.template;
  setLanguage(host.language);
  baseLayerLuminance.setValueFor($("provider"), host.dark ? StandardLuminance.DarkMode : StandardLuminance.LightMode);
  document.documentElement.style.colorScheme = host.dark ? "dark" : "light";
  document.body.classList.toggle("dark", host.dark);
  translatePage();
  $("editor-fields").hidden = host.template.inOutlook;
  $("from-item").hidden = !host.template.inOutlook;
  await loadCore();
  state.store = await Store.open();

  state.tokens = await signIn(state.config, host.nestedAuth);
  try {
    const r = await fetch(`${graphUrl()}/me`, { headers: { Authorization: `Bearer ${await state.tokens.graph(false)}` } });
    const me = (await r.json()) as { mail?: string; userPrincipalName?: string };
    state.me = me.mail ?? me.userPrincipalName ?? "";
  } catch {
    state.me = "";
  }
  // Which mailbox will send: the user's, or the shared one they name.
  const showAccount = () => {
    const from = $<HTMLInputElement>("from").value.trim();
    $("account").textContent = !state.me ? t("notSignedIn") : from ? t("sendingAs", from, state.me) : t("signedInAs", state.me);
  };
  showAccount();
  $("from").addEventListener("input", showAccount);
  state.plan = await checkPlan(state.config.licensingUrl?.replace(/\/$/, ""), () => (state.tokens as Tokens).licensing());
  $("plan").textContent = state.plan.licensed ? t("planLicensed") : t("planFree");
  $("plan-footer").textContent = state.plan.licensed ? t("licensedFooter") : t("freeFooter");

  host.template.onChange(() => void refresh());
  $("insert").addEventListener("click", async () => {
    const column = $<HTMLSelectElement>("column-pick").value;
    if (column) await state.template?.insert(`{{${column}}}`);
    await refresh();
  });
  const file = $<HTMLInputElement>("file");
  file.addEventListener("change", () => {
    const f = file.files?.[0];
    if (f) void openFile(f);
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const f = e.dataTransfer?.files[0];
    if (f) void openFile(f);
  });
  const attachments = $<HTMLInputElement>("attachments");
  attachments.addEventListener("change", () => {
    state.attachments = new Map([...(attachments.files ?? [])].map((f) => [f.name, f]));
    void refresh();
  });
  $("sheet").addEventListener("change", () => {
    const d = state.data;
    if (d) void loadData(d.fileName, d.bytes, $<HTMLSelectElement>("sheet").value);
  });
  for (const id of ["to", "cc", "bcc"]) $(id).addEventListener("change", () => void refresh());
  $("prev").addEventListener("click", () => {
    state.index = Math.max(0, state.index - 1);
    renderPreview();
  });
  $("next").addEventListener("click", () => {
    state.index = Math.min((state.result?.messages.length ?? 1) - 1, state.index + 1);
    renderPreview();
  });
  $("exclude-row").addEventListener("click", () => {
    const m = state.result?.messages[state.index];
    if (m) state.exclude.add(m.row);
    void refresh();
  });
  $("skip-problems").addEventListener("change", () => ($("send-error").textContent = ""));
  $("test").addEventListener("click", () => void sendTest());
  for (const radio of document.querySelectorAll('input[name="mode"]')) radio.addEventListener("change", updateSendButton);
  $("send").addEventListener("click", () => void startCampaign());
  $("pause").addEventListener("click", () => state.running?.campaign.pause());
  $("resume").addEventListener("click", async () => {
    const c = await (state.store as Store).unfinished();
    if (c) await run(c);
  });
  $("cancel").addEventListener("click", async () => {
    const run = state.running;
    const c = run?.stored ?? (await (state.store as Store).unfinished());
    if (!c) return;
    await (state.store as Store).setState(c.id, "canceled");
    if (run) run.campaign.pause();
    else {
      $("progress-note").textContent = t("canceled");
      $("resume").hidden = true;
    }
  });
  await refresh();
  document.body.dataset.ready = "true";
  await resumeOnOpen();
}

main().catch((e: unknown) => {
  document.body.dataset.ready = "error";
  const p = document.createElement("p");
  p.className = "problem";
  p.setAttribute("role", "alert");
  p.textContent = (e as Error).message ?? String(e);
  document.body.prepend(p);
});

// Step 4, the send: the mode, the progress of the campaign and its report — all rendered
// from the campaign's phase (state.ts), never read back from the page. The body carries the
// phase as attributes (`data-phase`, `data-campaign`, `data-sent`, `data-total`, and
// `data-messages` ready) for
// assistive tooling and the end-to-end tests.

import type { Forecast } from "../../pkg/localmerge_addin.js";
import { language, t } from "../i18n.js";
import { type CampaignPhase, ended, pace, sendView } from "../state.js";
import { $ } from "./dom.js";

export type Mode = "now" | "schedule" | "drafts";

export function mode(): Mode {
  return (($("mode") as HTMLElement & { value?: string }).value || "now") as Mode;
}

function duration(ms: number): string {
  const min = Math.max(1, Math.round(ms / 60_000));
  return min < 60 ? t("minutes", min) : t("hours", Math.floor(min / 60), min % 60);
}

function note(phase: CampaignPhase): string {
  switch (phase.kind) {
    case "running":
      if (phase.note?.kind === "throttled") return t("throttled", new Date(phase.note.until).toLocaleTimeString(language()));
      if (phase.note?.kind === "retrying") return t("retrying", phase.note.reason);
      return "";
    case "paused":
      return t("paused");
    case "stopped":
      return t("stopped", phase.reason);
    case "canceled":
      return t("canceled");
    default:
      return "";
  }
}

/** The send step for `messages` ready and the campaign's phase. */
export function renderSend(phase: CampaignPhase, messages: number, now: number): void {
  const view = sendView(phase);
  const m = mode();
  const send = $("send");
  send.textContent = m === "drafts" ? t("createDrafts", messages) : t("send", messages);
  send.toggleAttribute("disabled", view.busy);
  $("when-row").hidden = m !== "schedule";
  $("step-send").hidden = messages === 0 && phase.kind === "idle";
  $("send-controls").hidden = messages === 0;
  $("progress-box").hidden = !view.progress;
  $("pause").hidden = !view.pause;
  $("resume").hidden = !view.resume;
  $("report").hidden = !view.report;
  $("progress-note").textContent = note(phase);
  if (phase.kind === "idle" && phase.error) $("send-error").textContent = phase.error;
  const body = document.body.dataset;
  body.phase = phase.kind;
  body.messages = String(messages);
  if (phase.kind === "idle" || phase.kind === "starting") {
    delete body.sent;
    delete body.total;
    if (phase.kind === "starting") body.campaign = phase.id;
    return;
  }
  body.campaign = phase.id;
  const s = phase.summary;
  body.sent = String(phase.drafts ? s.drafted : s.sent);
  body.total = String(s.total);
  const progress = $("progress");
  progress.setAttribute("max", String(Math.max(1, s.total)));
  progress.setAttribute("value", String(ended(s, phase.drafts)));
  const parts = [phase.drafts ? t("progressDrafts", s.drafted, s.total) : t("progress", s.sent, s.total)];
  const rate = pace(phase, now);
  if (rate) {
    parts.push(t("rate", Math.round(rate.perMinute)));
    if (rate.leftMs !== undefined) parts.push(t("eta", duration(rate.leftMs)));
  }
  $("progress-text").textContent = parts.join(" · ");
  if (phase.kind === "done" || phase.kind === "canceled") {
    $("report-text").textContent = phase.drafts ? t("finishedDrafts", s.drafted, s.failed.length, phase.leftOut) : t("finished", s.sent, s.failed.length, phase.leftOut);
    $("report-failed").replaceChildren(
      ...s.failed.map((f) => {
        const li = document.createElement("li");
        li.textContent = t("failedRow", f.row, f.reason);
        return li;
      }),
    );
  }
}

/** Offers the report as a CSV download. */
export function offerDownload(csv: string, created: number): void {
  $("download").onclick = () => download(csv, created);
}

/** Downloads a campaign's report: CSV text, or a workbook's bytes. */
export function download(report: string | Uint8Array, created: number): void {
  const xlsx = typeof report !== "string";
  const type = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv";
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([report as BlobPart], { type }));
  a.download = `localmerge-report-${new Date(created).toISOString().slice(0, 10)}.${xlsx ? "xlsx" : "csv"}`;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** The plan against every daily budget (or nothing while there is nothing to send). */
export function renderForecast(f: Forecast | undefined): void {
  const text = $("plan-figures");
  const body = document.body.dataset;
  if (!f) {
    text.textContent = "";
    delete body.days;
    delete body.external;
    return;
  }
  const n = (v: number) => v.toLocaleString(language());
  const when = new Date(f.finishAt).toLocaleString(language(), { weekday: "long", hour: "2-digit", minute: "2-digit" });
  const days = f.days > 1 ? t("planDays", f.days, when) : t("planOneDay");
  text.textContent = t("planFigures", n(f.messages), n(f.recipients), n(f.external), n(f.mailboxBudget), n(f.tenantExternalBudget), days);
  body.days = String(f.days);
  body.external = String(f.external);
}

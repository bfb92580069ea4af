// A campaign's phase in the pane, and its transitions: pure functions of the phase and what
// happened, so what the send step shows, what IndexedDB keeps and what the buttons do are
// decided in one place (and tested in Node without a browser).

import type { CampaignEvent, CampaignFinish, CampaignRow, CampaignSummary } from "../pkg/localmerge_addin.js";
import type { CampaignState } from "./store.js";

/** What the progress line adds while a campaign runs. */
export type RunNote = { kind: "throttled"; until: number } | { kind: "retrying"; reason: string };

interface Known {
  /** The campaign's id (IndexedDB's key). */
  id: string;
  /** Drafts for review, not sent. */
  drafts: boolean;
  summary: CampaignSummary;
  /** Rows of the sheet left out of the campaign (problems, exclusions). */
  leftOut: number;
}

export type CampaignPhase =
  /** No campaign; `error` when the last one could not be made from its workbook and journal. */
  | { kind: "idle"; error?: string }
  /** Being made from its workbook and journal: nothing else may start. */
  | { kind: "starting"; id: string }
  | (Known & { kind: "running"; started: number; sentAtStart: number; note?: RunNote; canceling: boolean })
  | (Known & { kind: "paused" })
  | (Known & { kind: "stopped"; reason: string })
  | (Known & { kind: "canceled"; rows?: CampaignRow[] })
  | (Known & { kind: "done"; rows: CampaignRow[] });

export type PhaseEvent =
  | { type: "start"; id: string }
  | { type: "failed"; reason: string }
  | { type: "running"; drafts: boolean; leftOut: number; summary: CampaignSummary; now: number }
  | { type: "progress"; event: CampaignEvent }
  | { type: "cancel" }
  | { type: "finished"; finish: CampaignFinish; rows: CampaignRow[] }
  /** A paused campaign found when the pane opens. */
  | { type: "restored"; id: string; drafts: boolean; leftOut: number; summary: CampaignSummary };

export const idle: CampaignPhase = { kind: "idle" };

/** Whether a campaign may start (or resume) now: one runs at a time, ever — two campaigns
 *  over one journal would both send the rows it leaves pending. */
export function canStart(phase: CampaignPhase): boolean {
  return phase.kind !== "starting" && phase.kind !== "running";
}

/** The phase after `event`; an event that does not apply leaves the phase as it is. */
export function next(phase: CampaignPhase, event: PhaseEvent): CampaignPhase {
  switch (event.type) {
    case "start":
      return canStart(phase) ? { kind: "starting", id: event.id } : phase;
    case "failed":
      // Not made (its workbook or journal is unreadable), or its journal could not be written.
      if (phase.kind === "starting") return { kind: "idle", error: event.reason };
      if (phase.kind === "running") return { kind: "stopped", id: phase.id, drafts: phase.drafts, leftOut: phase.leftOut, summary: phase.summary, reason: event.reason };
      return phase;
    case "running":
      if (phase.kind !== "starting") return phase;
      return { kind: "running", id: phase.id, drafts: event.drafts, leftOut: event.leftOut, summary: event.summary, started: event.now, sentAtStart: event.summary.sent, canceling: false };
    case "progress": {
      if (phase.kind !== "running") return phase;
      const e = event.event;
      const note: RunNote | undefined =
        e.kind === "throttled" ? { kind: "throttled", until: e.until } : e.kind === "retrying" ? { kind: "retrying", reason: e.reason } : e.kind === "row" && e.step === "sent" ? undefined : phase.note;
      return { ...phase, summary: e.summary, note };
    }
    case "cancel":
      if (phase.kind === "running") return { ...phase, canceling: true };
      if (phase.kind === "paused" || phase.kind === "stopped") return { kind: "canceled", id: phase.id, drafts: phase.drafts, leftOut: phase.leftOut, summary: phase.summary };
      return phase;
    case "finished": {
      if (phase.kind !== "running") return phase;
      const { id, drafts, leftOut } = phase;
      const { finish, rows } = event;
      const summary = finish.summary;
      if (phase.canceling) return { kind: "canceled", id, drafts, leftOut, summary, rows };
      if (finish.paused) return { kind: "paused", id, drafts, leftOut, summary };
      if (!finish.done) return { kind: "stopped", id, drafts, leftOut, summary, reason: finish.stopped ?? "" };
      return { kind: "done", id, drafts, leftOut, summary, rows };
    }
    case "restored":
      return phase.kind === "idle" ? { kind: "paused", id: event.id, drafts: event.drafts, leftOut: event.leftOut, summary: event.summary } : phase;
  }
}

/** What IndexedDB keeps for the phase's campaign (a reopened pane resumes from it). */
export function storedState(phase: CampaignPhase): CampaignState | undefined {
  switch (phase.kind) {
    case "idle":
      return undefined;
    case "starting":
      return "running";
    case "running":
      // Canceled at once: a pane closed before the campaign paused must not resume it.
      return phase.canceling ? "canceled" : "running";
    default:
      return phase.kind;
  }
}

/** What the send step shows for a phase. */
export interface SendView {
  progress: boolean;
  report: boolean;
  pause: boolean;
  resume: boolean;
  /** The send button is disabled (a campaign is starting or running). */
  busy: boolean;
}

export function sendView(phase: CampaignPhase): SendView {
  const k = phase.kind;
  const ended = k === "done" || k === "canceled";
  return {
    progress: k === "running" || k === "paused" || k === "stopped",
    report: ended,
    pause: k === "running",
    resume: k === "paused" || k === "stopped",
    busy: k === "starting" || k === "running",
  };
}

/** Rows ended so far (sent or failed; drafted too when drafting for review). */
export function ended(summary: CampaignSummary, drafts: boolean): number {
  return summary.sent + summary.failed.length + (drafts ? summary.drafted : 0);
}

/** Messages per minute since this run started, and the milliseconds left at that rate. */
export function pace(phase: CampaignPhase, now: number): { perMinute: number; leftMs?: number } | undefined {
  if (phase.kind !== "running" || phase.drafts) return undefined;
  const minutes = (now - phase.started) / 60_000;
  const done = phase.summary.sent - phase.sentAtStart;
  if (done <= 0 || minutes <= 0) return undefined;
  const perMinute = done / minutes;
  const left = phase.summary.total - phase.summary.sent - phase.summary.failed.length;
  return { perMinute, leftMs: left > 0 ? (left / perMinute) * 60_000 : undefined };
}

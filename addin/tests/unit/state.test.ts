// The campaign's phases: which transitions apply, what IndexedDB keeps, what the send step shows.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CampaignFinish, CampaignSummary } from "../../pkg/localmerge_addin.js";
import { canStart, type CampaignPhase, idle, next, pace, sendView, storedState } from "../../pane/state";

const summary = (sent: number, total = 10, failed: { row: number; reason: string }[] = []): CampaignSummary => ({ total, sent, drafted: 0, failed });
const finish = (over: Partial<CampaignFinish>): CampaignFinish => ({ done: false, paused: false, signIn: false, summary: summary(10), ...over });

function running(at = 0): CampaignPhase {
  const starting = next(idle, { type: "start", id: "c1" });
  return next(starting, { type: "running", drafts: false, leftOut: 2, summary: summary(3), now: at });
}

test("one campaign at a time: a start while one starts or runs changes nothing", () => {
  const starting = next(idle, { type: "start", id: "c1" });
  assert.equal(starting.kind, "starting");
  assert.equal(canStart(starting), false);
  assert.equal(next(starting, { type: "start", id: "c2" }), starting);
  const run = running();
  assert.equal(next(run, { type: "start", id: "c2" }), run);
  assert.equal(canStart(run), false);
});

test("a campaign that cannot be made leaves the pane idle with the reason; one that fails while running stops", () => {
  const failed = next(next(idle, { type: "start", id: "c1" }), { type: "failed", reason: "row 3 changed" });
  assert.deepEqual(failed, { kind: "idle", error: "row 3 changed" });
  assert.equal(storedState(failed), undefined);
  const stopped = next(running(), { type: "failed", reason: "journal" });
  assert.equal(stopped.kind, "stopped");
  assert.equal(storedState(stopped), "stopped");
});

test("progress updates the counts; a throttle or retry note lasts until the next sent row", () => {
  let p = running();
  p = next(p, { type: "progress", event: { kind: "throttled", status: 429, until: 5, summary: summary(3) } });
  assert.deepEqual(p.kind === "running" && p.note, { kind: "throttled", until: 5 });
  p = next(p, { type: "progress", event: { kind: "row", row: 5, step: "sending", summary: summary(3) } });
  assert.deepEqual(p.kind === "running" && p.note, { kind: "throttled", until: 5 });
  p = next(p, { type: "progress", event: { kind: "row", row: 5, step: "sent", summary: summary(4) } });
  assert.equal(p.kind === "running" && p.note, undefined);
  assert.equal(p.kind === "running" && p.summary.sent, 4);
  assert.equal(next(idle, { type: "progress", event: { kind: "row", row: 5, step: "sent", summary: summary(4) } }), idle);
});

test("a run ends done, paused, stopped, or canceled when the user canceled it", () => {
  const rows = [{ row: 2, status: "sent" as const }];
  assert.equal(next(running(), { type: "finished", finish: finish({ done: true }), rows }).kind, "done");
  assert.equal(next(running(), { type: "finished", finish: finish({ paused: true }), rows }).kind, "paused");
  const stopped = next(running(), { type: "finished", finish: finish({ stopped: "budget spent" }), rows });
  assert.deepEqual(stopped.kind === "stopped" && stopped.reason, "budget spent");
  const canceling = next(running(), { type: "cancel" });
  assert.equal(storedState(canceling), "canceled", "kept as canceled at once: a closed pane must not resume it");
  const canceled = next(canceling, { type: "finished", finish: finish({ paused: true }), rows });
  assert.equal(canceled.kind, "canceled");
  assert.deepEqual(canceled.kind === "canceled" && canceled.rows, rows);
});

test("a paused or stopped campaign cancels at once; a restored one is paused", () => {
  const paused = next(idle, { type: "restored", id: "c1", drafts: false, leftOut: 0, summary: summary(4) });
  assert.equal(paused.kind, "paused");
  assert.equal(storedState(paused), "paused");
  const canceled = next(paused, { type: "cancel" });
  assert.equal(canceled.kind, "canceled");
  assert.equal(canceled.kind === "canceled" && canceled.rows, undefined);
  assert.equal(next(idle, { type: "cancel" }), idle);
  assert.equal(next(running(), { type: "restored", id: "c2", drafts: false, leftOut: 0, summary: summary(0) }).kind, "running");
});

test("the send step shows what the phase allows", () => {
  const view = (p: CampaignPhase) => sendView(p);
  assert.deepEqual(view(idle), { progress: false, report: false, pause: false, resume: false, busy: false });
  assert.deepEqual(view(next(idle, { type: "start", id: "c1" })), { progress: false, report: false, pause: false, resume: false, busy: true });
  assert.deepEqual(view(running()), { progress: true, report: false, pause: true, resume: false, busy: true });
  const paused = next(running(), { type: "finished", finish: finish({ paused: true }), rows: [] });
  assert.deepEqual(view(paused), { progress: true, report: false, pause: false, resume: true, busy: false });
  const done = next(running(), { type: "finished", finish: finish({ done: true }), rows: [] });
  assert.deepEqual(view(done), { progress: false, report: true, pause: false, resume: false, busy: false });
});

test("the pace counts only this run's messages", () => {
  const p = running(0);
  assert.equal(pace(p, 60_000), undefined, "nothing sent yet in this run");
  const later = next(p, { type: "progress", event: { kind: "row", row: 9, step: "sent", summary: summary(6) } });
  const r = pace(later, 60_000);
  assert.equal(r?.perMinute, 3);
  assert.equal(r?.leftMs, (4 / 3) * 60_000);
});

// The anonymous usage counts: what they count, when they are sent, and — a property test —
// that spreadsheets full of names and addresses, through campaigns that succeed, fail and
// stop, and errors that quote them, never put any of that text in a report.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import type { CampaignEvent, CampaignFinish } from "../../pkg/localmerge_addin.js";
import { COUNTERS, KINDS, LOCATIONS, PLATFORMS, platformOf, recordError, recordEvent, recordFinish, setUserTurnedOff, Telemetry, userTurnedOff, type KeyValue, type Location, type Report } from "../../pane/telemetry";

class Memory implements KeyValue {
  readonly map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

const DAY = Date.UTC(2026, 11, 7, 15, 30);

function finish(summary: Partial<CampaignFinish["summary"]>, more: Partial<CampaignFinish> = {}): CampaignFinish {
  return { done: true, paused: false, signIn: false, summary: { total: 0, sent: 0, drafted: 0, failed: [], ...summary }, ...more } as CampaignFinish;
}

const SUMMARY = { total: 5, sent: 0, drafted: 0, failed: [] };
function row(row: number, step: "sending" | "sent" | "failed"): CampaignEvent {
  return { kind: "row", row, step, summary: SUMMARY };
}

async function sent(t: Telemetry, status = 204): Promise<Report[]> {
  const out: Report[] = [];
  await t.flush(async (r) => {
    out.push(JSON.parse(JSON.stringify(r)) as Report);
    return status;
  });
  return out;
}

test("a day's campaigns become one report of sums, sent once", async () => {
  const store = new Memory();
  let now = DAY;
  const t = new Telemetry(store, "0.1.0", "OfficeOnline", true, () => now);
  t.count("campaigns_started");
  for (const r of [2, 3, 5]) recordEvent(t, row(r, "sent"));
  recordEvent(t, row(4, "sending"));
  recordEvent(t, row(4, "failed"));
  recordFinish(t, finish({ total: 5, sent: 3, failed: [{ row: 4, reason: "Invalid recipient ana@example.org" }] }));
  t.count("campaigns_started");
  for (const r of [2, 3]) recordEvent(t, row(r, "sent"));
  recordEvent(t, { kind: "throttled", status: 429, until: 0, summary: SUMMARY });
  recordFinish(t, finish({ total: 5, sent: 5 }, { done: false, stopped: "Graph unreachable at x", stopCode: "unavailable" }));
  now += 86_400_000;
  t.count("campaigns_started");
  const reports = await sent(t);
  assert.deepEqual(reports, [
    {
      day: "2026-12-07",
      version: "0.1.0",
      platform: "OfficeOnline",
      counts: { campaigns_started: 2, campaigns_finished: 1, messages_sent: 5 },
      errors: [
        { kind: "graph_rejected", location: "send", count: 1 },
        { kind: "graph_unreachable", location: "send", count: 1 },
      ],
    },
    { day: "2026-12-08", version: "0.1.0", platform: "OfficeOnline", counts: { campaigns_started: 1 }, errors: [] },
  ]);
  assert.deepEqual(await sent(t), [], "sent days are forgotten");
});

test("what is counted while a report is on its way is sent next time, not forgotten with the day", async () => {
  const store = new Memory();
  const t = new Telemetry(store, "0.1.0", "OfficeOnline", true, () => DAY);
  t.count("messages_sent", 40);
  // A campaign resumed as the pane opened sends on while the day's report is posted.
  await t.flush(async () => {
    t.count("messages_sent", 2);
    recordEvent(t, row(9, "failed"));
    return 204;
  });
  const next = await sent(t);
  assert.deepEqual(
    next.map((r) => [r.counts, r.errors]),
    [[{ messages_sent: 2 }, [{ kind: "graph_rejected", location: "send", count: 1 }]]],
  );
  assert.deepEqual(await sent(t), [], "then nothing is left");
});

test("a failed send keeps the day for next time; a refused report is not retried; a week is the limit", async () => {
  const store = new Memory();
  let now = DAY;
  const t = new Telemetry(store, "0.1.0", "PC", true, () => now);
  t.count("messages_sent", 2);
  await t.flush(async () => {
    throw new Error("offline");
  });
  await t.flush(async () => 503);
  assert.equal((await sent(t, 400)).length, 1, "kept through a network failure and a 503");
  assert.deepEqual(await sent(t), [], "a 400 is not sent again");
  t.count("messages_sent", 2);
  now += 8 * 86_400_000;
  assert.deepEqual(await sent(t), [], "older than a week: dropped, the server would refuse it");
});

test("off — by the user or the organisation — nothing is counted or sent, and what was kept is dropped", async () => {
  const store = new Memory();
  const on = new Telemetry(store, "0.1.0", "Mac", true, () => DAY);
  on.count("campaigns_started");
  assert.equal(store.map.size, 1);
  // Not allowed this time (the server did not answer): nothing counted, what was kept stays.
  const unknown = new Telemetry(store, "0.1.0", "Mac", false, () => DAY);
  unknown.count("campaigns_started");
  assert.equal(store.map.size, 1, "kept counts stay while nobody said off");
  // Turned off: dropped.
  const off = new Telemetry(store, "0.1.0", "Mac", false, () => DAY);
  off.stop();
  assert.equal(store.map.size, 0, "kept counts dropped when off");
  off.count("campaigns_started");
  recordError(off, "send", new Error("x"));
  let calls = 0;
  await off.flush(async () => ++calls);
  assert.equal(calls, 0);
  // The user's switch, kept in this browser; stop() takes effect at once.
  const again = new Telemetry(store, "0.1.0", "Mac", true, () => DAY);
  again.count("campaigns_started");
  setUserTurnedOff(store, true);
  again.stop();
  assert.ok(userTurnedOff(store));
  again.count("campaigns_started");
  assert.deepEqual(await sent(again), []);
  setUserTurnedOff(store, false);
  assert.ok(!userTurnedOff(store));
});

test("the words are the server's: its API description lists exactly these", () => {
  const spec = JSON.parse(readFileSync("licensing-server/openapi.json", "utf8"));
  const body = spec.paths["/v1/telemetry"].post.requestBody.content["application/json"].schema;
  assert.deepEqual(Object.keys(body.properties.counts.properties).sort(), [...COUNTERS].sort());
  assert.deepEqual(body.properties.errors.items.properties.kind.enum, [...KINDS]);
  assert.deepEqual(body.properties.errors.items.properties.location.enum, [...LOCATIONS]);
  assert.deepEqual(body.properties.platform.enum, [...PLATFORMS]);
  assert.equal(platformOf("OfficeOnline"), "OfficeOnline");
  assert.equal(platformOf("Ana's laptop"), "Browser");
  assert.equal(platformOf(undefined), "Browser");
});

// ---- the property ------------------------------------------------------------------------

const letters = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzéøß"), minLength: 4, maxLength: 10 });
const person = fc.record({ first: letters, last: letters, domain: letters, city: letters });
/** A spreadsheet's rows: a name, an address and a city each. */
const sheet = fc.array(person, { minLength: 1, maxLength: 12 }).map((people) =>
  people.map((p, i) => ({ row: i + 2, first: `Q${p.first}`, last: `X${p.last}`, email: `${p.first}.${p.last}@${p.domain}.example`, city: `Z${p.city}` })),
);
type Row = { row: number; first: string; last: string; email: string; city: string };

/** What a campaign over the rows can do, each quoting the rows as Graph or core would. */
const step = (rows: Row[]) =>
  fc.oneof(
    fc.record({ type: fc.constant("finish" as const), sent: fc.nat({ max: rows.length }), failing: fc.subarray(rows), stop: fc.option(fc.constantFrom("budget", "unauthorized", "forbidden", "unavailable", "quota") as fc.Arbitrary<NonNullable<CampaignFinish["stopCode"]>>) }),
    fc.record({ type: fc.constant("error" as const), location: fc.constantFrom(...LOCATIONS), about: fc.constantFrom(...rows), dom: fc.boolean() }),
    fc.record({ type: fc.constant("start" as const) }),
  );

test("property: no name, address or cell of any spreadsheet reaches a report, whatever the campaigns did", async () => {
  await fc.assert(
    fc.asyncProperty(
      sheet.chain((rows) => fc.tuple(fc.constant(rows), fc.array(step(rows), { minLength: 1, maxLength: 20 }), fc.constantFrom(...PLATFORMS))),
      async ([rows, steps, platform]) => {
        const store = new Memory();
        let now = DAY;
        const t = new Telemetry(store, "0.1.0", platform, true, () => now);
        let sentMessages = 0;
        for (const s of steps) {
          now += 3_600_000 * 7;
          if (s.type === "start") t.count("campaigns_started");
          else if (s.type === "finish") {
            const failed = s.failing.map((r) => ({ row: r.row, reason: `Invalid recipient ${r.email} (${r.first} ${r.last}, ${r.city})` }));
            const summary = { total: rows.length, sent: s.sent, drafted: 0, failed };
            for (const r of rows.slice(0, s.sent)) recordEvent(t, { kind: "row", row: r.row, step: "sent", summary });
            for (const r of s.failing) recordEvent(t, { kind: "row", row: r.row, step: "failed", summary });
            const stopped = s.stop ? `Graph refused the mailbox ${rows[0].email}: ${rows[0].first}` : undefined;
            recordFinish(t, finish(summary, { done: !s.stop, stopped, stopCode: s.stop ?? undefined }));
            sentMessages += s.sent;
          } else {
            const text = `Sheet "${s.about.city}", row ${s.about.row}, column Email: "${s.about.email}" is not an address (${s.about.first})`;
            recordError(t, s.location as Location, s.dom ? new DOMException(text, "QuotaExceededError") : new Error(text));
          }
        }
        const reports = await sent(t);
        const wire = JSON.stringify(reports).toLowerCase();
        for (const r of rows) {
          for (const secret of [r.first, r.last, r.email, r.city, r.email.split("@")[1]]) {
            assert.ok(!wire.includes(secret.toLowerCase()), `${secret} reached a report: ${wire}`);
          }
        }
        // Every word is one of the lists, and the counts add up.
        for (const report of reports) {
          assert.ok(PLATFORMS.includes(report.platform));
          assert.ok(Object.keys(report.counts).every((c) => (COUNTERS as readonly string[]).includes(c)));
          assert.ok(report.errors.every((e) => (KINDS as readonly string[]).includes(e.kind) && (LOCATIONS as readonly string[]).includes(e.location)));
        }
        assert.equal(reports.reduce((n, r) => n + (r.counts.messages_sent ?? 0), 0), sentMessages);
      },
    ),
    { numRuns: 300, seed: process.env.PROPTEST_RNG_SEED ? Number(process.env.PROPTEST_RNG_SEED) : undefined },
  );
});

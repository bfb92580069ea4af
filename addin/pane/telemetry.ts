// Anonymous usage counts: how many campaigns started and finished, how many messages were
// sent, which kinds of error happened where — summed per day in this browser, and sent to
// the licensing server's POST /v1/telemetry with no token, no cookie and nothing else.
// Every word of a report comes from the lists below (the server's own, in its OpenAPI
// description: a unit test holds them equal), every other value is a number: no text a
// user, a spreadsheet or Graph wrote can reach a report, whatever an error says.
// The user's setting turns it off, and so does the organisation's administrator (the
// license check says so); off, nothing is counted and what was kept is dropped.
import type { CampaignEvent, CampaignFinish } from "../pkg/localmerge_addin.js";

export const COUNTERS = ["campaigns_started", "campaigns_finished", "messages_sent"] as const;
export const KINDS = ["read", "template", "graph_throttled", "graph_auth", "graph_rejected", "graph_unreachable", "storage", "license", "internal"] as const;
export const LOCATIONS = ["start", "source", "read", "template", "preview", "test_send", "send", "resume", "track", "followup", "report"] as const;
export const PLATFORMS = ["OfficeOnline", "PC", "Mac", "iOS", "Android", "Universal", "Browser"] as const;

export type Counter = (typeof COUNTERS)[number];
export type Kind = (typeof KINDS)[number];
export type Location = (typeof LOCATIONS)[number];
export type Platform = (typeof PLATFORMS)[number];

/** One day's report, as POST /v1/telemetry takes it. */
export interface Report {
  day: string;
  version: string;
  platform: Platform;
  counts: Partial<Record<Counter, number>>;
  errors: { kind: Kind; location: Location; count: number }[];
}

interface Day {
  counts: Partial<Record<Counter, number>>;
  errors: Record<string, number>;
}

/** Where the tallies are kept between openings of the pane (localStorage in the pane). */
export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const KEY = "localmerge.telemetry";
const SETTING = "localmerge.telemetry-off";
/** How many days of tallies are kept unsent (the server takes a week). */
const KEEP_DAYS = 7;

/** The UTC day of a time, `YYYY-MM-DD`, as reports and the server name days. */
function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The platform as Office.js names it, or a plain browser. */
export function platformOf(name: string | undefined): Platform {
  return (PLATFORMS as readonly string[]).includes(name ?? "") ? (name as Platform) : "Browser";
}

/** Whether the user turned usage counts off in this browser. */
export function userTurnedOff(store: KeyValue): boolean {
  return store.getItem(SETTING) === "1";
}

export function setUserTurnedOff(store: KeyValue, off: boolean): void {
  if (off) {
    store.setItem(SETTING, "1");
    store.removeItem(KEY);
  } else {
    store.removeItem(SETTING);
  }
}

export class Telemetry {
  /**
   * `allowed`: the user's setting and the organisation's, and a server that answered;
   * when not, nothing is counted or sent (what was kept stays for a later opening, unless
   * `stop` says the user or the organisation turned the counts off).
   */
  constructor(
    private readonly store: KeyValue,
    private readonly version: string,
    private readonly platform: Platform,
    private allowed: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** Turned off now: nothing more is counted or sent, and what was kept is dropped. */
  stop(): void {
    this.allowed = false;
    this.store.removeItem(KEY);
  }

  private read(): Record<string, Day> {
    try {
      const days = JSON.parse(this.store.getItem(KEY) ?? "{}") as Record<string, Day>;
      return typeof days === "object" && days !== null ? days : {};
    } catch {
      return {};
    }
  }

  private update(f: (day: Day) => void): void {
    if (!this.allowed) return;
    const days = this.read();
    const today = dayOf(this.now());
    const day = (days[today] ??= { counts: {}, errors: {} });
    f(day);
    this.store.setItem(KEY, JSON.stringify(days));
  }

  count(counter: Counter, n = 1): void {
    if (!Number.isInteger(n) || n <= 0) return;
    this.update((d) => (d.counts[counter] = (d.counts[counter] ?? 0) + n));
  }

  error(kind: Kind, location: Location, n = 1): void {
    if (!Number.isInteger(n) || n <= 0) return;
    this.update((d) => (d.errors[`${kind} ${location}`] = (d.errors[`${kind} ${location}`] ?? 0) + n));
  }

  /** The oldest day still kept: a week back, as far as the server takes. */
  private oldest(): string {
    return dayOf(this.now() - KEEP_DAYS * 86_400_000);
  }

  /** The days kept, as reports (within the last week; older ones are dropped). */
  pending(): Report[] {
    const oldest = this.oldest();
    return Object.entries(this.read())
      .filter(([day]) => /^\d{4}-\d{2}-\d{2}$/.test(day) && day >= oldest)
      .map(([day, d]) => ({
        day,
        version: this.version,
        platform: this.platform,
        counts: Object.fromEntries(COUNTERS.filter((c) => (d.counts[c] ?? 0) > 0).map((c) => [c, d.counts[c]])),
        errors: Object.entries(d.errors).flatMap(([key, count]) => {
          const [kind, location] = key.split(" ");
          return (KINDS as readonly string[]).includes(kind) && (LOCATIONS as readonly string[]).includes(location) && count > 0
            ? [{ kind: kind as Kind, location: location as Location, count }]
            : [];
        }),
      }))
      .filter((r) => Object.keys(r.counts).length > 0 || r.errors.length > 0);
  }

  /**
   * Sends what was kept, day by day, and forgets what the server took (or refused: a
   * refused report is not retried forever). A network failure keeps it for next time; what
   * was counted while a report was on its way (a campaign resumed as the pane opened) is
   * kept for the next report, never forgotten with the day.
   */
  async flush(send: (report: Report) => Promise<number>): Promise<void> {
    if (!this.allowed) return;
    const taken: Report[] = [];
    for (const report of this.pending()) {
      try {
        const status = await send(report);
        if (status < 500 && status !== 429) taken.push(report);
      } catch {
        // offline: kept
      }
    }
    const days = this.read();
    for (const report of taken) {
      const day = days[report.day];
      if (!day) continue;
      const less = (sums: Record<string, number>, key: string, n: number) => {
        const left = (sums[key] ?? 0) - n;
        if (left > 0) sums[key] = left;
        else delete sums[key];
      };
      for (const [counter, n] of Object.entries(report.counts)) less(day.counts, counter, n ?? 0);
      for (const e of report.errors) less(day.errors, `${e.kind} ${e.location}`, e.count);
      if (Object.keys(day.counts).length === 0 && Object.keys(day.errors).length === 0) delete days[report.day];
    }
    const oldest = this.oldest();
    for (const day of Object.keys(days)) if (day < oldest) delete days[day];
    this.store.setItem(KEY, JSON.stringify(days));
  }
}

/**
 * A campaign's row step: each message sent, each row Graph refused. Counted as they happen,
 * so a campaign closed midway and resumed counts each row once.
 */
export function recordEvent(t: Telemetry, event: CampaignEvent): void {
  if (event.kind !== "row") return;
  if (event.step === "sent") t.count("messages_sent");
  if (event.step === "failed") t.error("graph_rejected", "send");
}

/** How a run ended: finished, or stopped by kind (the stop's text is never read). */
export function recordFinish(t: Telemetry, finish: CampaignFinish): void {
  if (finish.done) t.count("campaigns_finished");
  const stop: Partial<Record<NonNullable<CampaignFinish["stopCode"]>, Kind>> = {
    unauthorized: "graph_auth",
    forbidden: "graph_auth",
    unavailable: "graph_unreachable",
    quota: "graph_throttled",
  };
  const kind = finish.stopCode ? stop[finish.stopCode] : undefined;
  if (kind) t.error(kind, "send");
}

/**
 * An error caught at `location`: its kind comes from where it happened and from the
 * error's class, never from its message.
 */
export function recordError(t: Telemetry, location: Location, error: unknown): void {
  const byPlace: Partial<Record<Location, Kind>> = { read: "read", source: "read", template: "template" };
  const storage = error instanceof DOMException && ["QuotaExceededError", "InvalidStateError", "UnknownError", "DataError", "AbortError"].includes(error.name);
  t.error(storage ? "storage" : (byPlace[location] ?? "internal"), location);
}

// Campaign state in the browser's IndexedDB: each campaign's settings and spreadsheet (so
// a reopened pane can resume it; the file stays on this computer) and its journal, one
// record per line in the order the engine wrote them. A journal append resolves only once
// its transaction is committed ("strict" durability), before the request it announces.

import type { CampaignOptions, Template } from "../pkg/localmerge_addin.js";

export type CampaignState = "running" | "paused" | "stopped" | "done" | "canceled";

export interface StoredCampaign {
  id: string;
  created: number;
  fileName: string;
  /** The workbook's bytes, or the contacts' JSON (UTF-8) when `source` is "contacts". */
  bytes: ArrayBuffer;
  sheet: string;
  /** Where the rows came from: a workbook (absent, older records too) or Outlook contacts. */
  source?: "contacts";
  /** A header row below title rows, or an Excel table, as the user chose. */
  headerRow?: number;
  table?: string;
  template: Template;
  options: CampaignOptions;
  state: CampaignState;
  /** Rows with problems, left out when the campaign started (for the report). */
  skipped: { row: number; reason: string }[];
  /** Rows the user excluded. */
  excluded?: number[];
  /** The attachment files the user picked (kept here, on this computer, for a resume). */
  files?: Record<string, File>;
  /** A follow-up's first campaign. */
  followupOf?: string;
}

const DB = "localmerge";

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error("IndexedDB request failed"));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
    tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
  });
}

export class Store {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(): Promise<Store> {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore("campaigns", { keyPath: "id" });
      const journal = db.createObjectStore("journal", { autoIncrement: true });
      journal.createIndex("campaign", "campaign");
    };
    return new Store(await request(open));
  }

  private tx(stores: string[], mode: IDBTransactionMode): IDBTransaction {
    return this.db.transaction(stores, mode, { durability: "strict" });
  }

  async save(c: StoredCampaign): Promise<void> {
    const tx = this.tx(["campaigns"], "readwrite");
    tx.objectStore("campaigns").put(c);
    await done(tx);
  }

  async setState(id: string, state: CampaignState): Promise<void> {
    const tx = this.tx(["campaigns"], "readwrite");
    const store = tx.objectStore("campaigns");
    const c = (await request(store.get(id))) as StoredCampaign | undefined;
    if (c) store.put({ ...c, state });
    await done(tx);
  }

  async campaigns(): Promise<StoredCampaign[]> {
    const tx = this.tx(["campaigns"], "readonly");
    const all = (await request(tx.objectStore("campaigns").getAll())) as StoredCampaign[];
    return all.sort((a, b) => b.created - a.created);
  }

  /** The campaign to resume when the pane opens: the newest one not ended. */
  async unfinished(): Promise<StoredCampaign | undefined> {
    return (await this.campaigns()).find((c) => c.state === "running" || c.state === "paused" || c.state === "stopped");
  }

  async append(campaign: string, lines: string[]): Promise<void> {
    const tx = this.tx(["journal"], "readwrite");
    const store = tx.objectStore("journal");
    for (const line of lines) store.add({ campaign, line });
    await done(tx);
  }

  async journal(campaign: string): Promise<string[]> {
    const tx = this.tx(["journal"], "readonly");
    // Keys grow with each add, so the index returns lines in the order they were written.
    const records = (await request(tx.objectStore("journal").index("campaign").getAll(campaign))) as { line: string }[];
    return records.map((r) => r.line);
  }
}

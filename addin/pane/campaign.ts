// A campaign's lifetime in the pane: made from its stored workbook and journal, used, and
// always freed (WebAssembly memory is not garbage-collected); and the one CampaignHost that
// lends it tokens, IndexedDB and the files the user picked.

import type { CampaignEvent, CampaignHost } from "../pkg/localmerge_addin.js";
import type { Store, StoredCampaign } from "./store.js";
import { type Campaign, openForSending } from "./wasm.js";

/** The rows of a stored campaign, read again as they were when it started, by a module that sends. */
export function openStored(stored: StoredCampaign) {
  return openForSending({ bytes: new Uint8Array(stored.bytes), source: stored.source, region: { sheet: stored.sheet, headerRow: stored.headerRow, table: stored.table } });
}

/** Makes the stored campaign from its workbook and journal, runs `use`, and frees both the
 *  workbook and the campaign whatever happens. */
export async function withCampaign<T>(stored: StoredCampaign, journal: string[], use: (campaign: Campaign) => Promise<T> | T): Promise<T> {
  const sheet = await openStored(stored);
  let campaign: Campaign;
  try {
    campaign = sheet.campaign(stored.template, stored.options, journal);
  } finally {
    sheet.free();
  }
  try {
    return await use(campaign);
  } finally {
    campaign.free();
  }
}

type Files = Map<string, File> | Record<string, File> | undefined;

/** Reads bytes `start..end` of a picked attachment (`end` = Infinity: to the end). */
export function fileReader(files: Files): CampaignHost["readFile"] {
  return async (name, start, end) => {
    const file = files instanceof Map ? files.get(name) : files?.[name];
    if (!file) throw new Error(`${name}: pick the attachment files again`);
    return new Uint8Array(await file.slice(start, Number.isFinite(end) ? end : undefined).arrayBuffer());
  };
}

/** The host of a stored campaign: its journal goes to IndexedDB. */
export function storedHost(store: Store, stored: StoredCampaign, token: () => Promise<string>, event: (e: CampaignEvent) => void): CampaignHost {
  return { token, append: (lines) => store.append(stored.id, lines), readFile: fileReader(stored.files), event };
}

/** The host of a one-message test: its journal lives as long as the test. */
export function testHost(files: Files, token: () => Promise<string>): CampaignHost {
  const journal: string[] = [];
  return { token, append: async (lines) => void journal.push(...lines), readFile: fileReader(files), event: () => {} };
}

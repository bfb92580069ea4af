// The WebAssembly core, as two modules built from one crate (build.mjs) with one API: the
// first reads xlsx and CSV and loads with the pane; the second reads every format and is
// fetched the first time an xls, xlsb or ods file is opened, so most users never download
// it. Which formats a module reads is the core's to say (`readsFormatOf`), not this file's.

import init, * as first from "../pkg/localmerge_addin.js";
import type { ContactQuery, Followups, Spreadsheet, TrackResult } from "../pkg/localmerge_addin.js";
import type * as second from "../pkg/localmerge_addin_full.js";
import type * as third from "../pkg/localmerge_addin_report.js";

type Core = typeof first;
type Full = typeof second;

let full: Promise<Full> | undefined;
let report: Promise<typeof third> | undefined;

/** Loads the first module; its free functions (brokenTokens, repairTokens) work from then on. */
export async function loadCore(): Promise<void> {
  await init({ module_or_path: new URL("localmerge_addin_bg.wasm", import.meta.url) });
}

/** The second module (every format, Outlook contacts), fetched once. */
function loadFull(): Promise<Full> {
  full ??= import("../pkg/localmerge_addin_full.js").then(
    async (m) => {
      await m.default({ module_or_path: new URL("localmerge_addin_full_bg.wasm", import.meta.url) });
      return m;
    },
    (e: unknown) => {
      full = undefined; // a failed download is tried again on the next file
      throw e;
    },
  );
  return full;
}

/** The third module (every format and the xlsx writer), fetched once, for the workbook report. */
function loadReport(): Promise<typeof third> {
  report ??= import("../pkg/localmerge_addin_report.js").then(
    async (m) => {
      await m.default({ module_or_path: new URL("localmerge_addin_report_bg.wasm", import.meta.url) });
      return m;
    },
    (e: unknown) => {
      report = undefined;
      throw e;
    },
  );
  return report;
}

/** The module that reads these bytes: the first one, or the full one. */
async function coreFor(bytes: Uint8Array): Promise<Core> {
  if (first.readsFormatOf(bytes)) return first;
  // The same API; TypeScript sees the classes of two declaration files as distinct.
  return (await loadFull()) as unknown as Core;
}

/** Where the list is in a workbook: a sheet by name, a header row below title rows, an Excel table by name. */
export interface Region {
  sheet?: string;
  headerRow?: number;
  table?: string;
}

/** Reads a spreadsheet with the module that reads its format. */
export async function openSpreadsheet(bytes: Uint8Array, region: Region = {}): Promise<Spreadsheet> {
  const core = await coreFor(bytes);
  return new core.Spreadsheet(bytes, region.sheet, region.headerRow, region.table);
}

/** The contacts `query` names, read from Graph by the second module (JSON to keep). */
export async function readContacts(graphUrl: string, token: string, query: ContactQuery): Promise<string> {
  return (await loadFull()).readContacts(graphUrl, token, query);
}

/** Outlook contacts as `readContacts` gave them (JSON), as a table (in the second module). */
export async function openContacts(json: string): Promise<Spreadsheet> {
  return (await loadFull()).Spreadsheet.fromContacts(json) as unknown as Spreadsheet;
}

/** What came back for the campaign of `journal`, read from the Inbox by the second module. */
export async function trackCampaign(graphUrl: string, token: string, journal: string[], suppress: string): Promise<TrackResult> {
  return (await loadFull()).trackCampaign(graphUrl, token, journal, suppress);
}

/** The rows a follow-up answers now, by the first campaign's journal (the second module). */
export async function followupRows(journal: string[], now: number, delayDays: number): Promise<Followups> {
  return (await loadFull()).followupRows(journal, now, delayDays);
}

/** Where a campaign's rows came from, as stored: a workbook and where its list is, or contacts' JSON. */
export interface StoredSource {
  bytes: ArrayBuffer;
  source?: "contacts";
  sheet: string;
  headerRow?: number;
  table?: string;
}

/** A campaign's report as a workbook (xlsx), made by the third module from the stored rows:
 *  the list with each row's Status, Sent at, Message id and Reason. */
export async function reportWorkbook(stored: StoredSource, journal: string[], skipped: { row: number; reason: string }[], excluded: number[]): Promise<Uint8Array> {
  const full = await loadReport();
  const bytes = new Uint8Array(stored.bytes);
  const sheet =
    stored.source === "contacts"
      ? full.Spreadsheet.fromContacts(new TextDecoder().decode(bytes))
      : new full.Spreadsheet(bytes, stored.sheet, stored.headerRow, stored.table);
  try {
    return sheet.reportWorkbook(journal, skipped, excluded);
  } finally {
    sheet.free();
  }
}

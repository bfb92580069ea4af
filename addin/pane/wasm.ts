// The WebAssembly core, as modules built from one crate (build.mjs) with one API:
// - the first reads xlsx, XML 2003 and CSV, checks and previews, and weighs the plan against
//   the daily budgets; it loads with the pane and never sends or talks to Graph;
// - the send module is the first and sending, the journal and every Graph request (OneDrive
//   and SharePoint files, the tenant's domains): fetched when a list is opened (or a drive
//   searched), ahead of the send;
// - the full module reads every format and holds Outlook contacts and what comes back after a
//   campaign, and sends too: fetched the first time an xls, xlsb or ods file or contacts are
//   opened, so most users never download it;
// - the report's adds the xlsx writer, fetched only for that download.
// Which formats a module reads is the core's to say (`readsFormatOf`), not this file's.

import init, * as first from "../pkg/localmerge_addin.js";
import type { ContactQuery, Followups, Spreadsheet, TrackResult } from "../pkg/localmerge_addin.js";
import type * as sending from "../pkg/localmerge_addin_send.js";
import type { Campaign, Spreadsheet as SendingSheet } from "../pkg/localmerge_addin_send.js";
import type * as full from "../pkg/localmerge_addin_full.js";

type Core = typeof first;
type Send = typeof sending;
export type { Campaign, SendingSheet };

/** A module fetched and instantiated once, on first use; a failed download is tried again on
 *  the next use. */
function lazy<M extends { default: (init: { module_or_path: URL }) => Promise<unknown> }>(load: () => Promise<M>, wasm: string): () => Promise<M> {
  let pending: Promise<M> | undefined;
  return () =>
    (pending ??= (async () => {
      const m = await load();
      await m.default({ module_or_path: new URL(wasm, import.meta.url) });
      return m;
    })().catch((e: unknown) => {
      pending = undefined;
      throw e;
    }));
}

const loadSend = lazy(() => import("../pkg/localmerge_addin_send.js"), "localmerge_addin_send_bg.wasm");
const loadFullModule = lazy(() => import("../pkg/localmerge_addin_full.js"), "localmerge_addin_full_bg.wasm");
const loadReport = lazy(() => import("../pkg/localmerge_addin_report.js"), "localmerge_addin_report_bg.wasm");
/** Whether the full module was asked for: it then makes the Graph requests too. */
let fullAsked = false;

/** Loads the first module; its free functions (brokenTokens, repairTokens) work from then on. */
export async function loadCore(): Promise<void> {
  await init({ module_or_path: new URL("localmerge_addin_bg.wasm", import.meta.url) });
}

/** The full module (every format, Outlook contacts, what came back), fetched once. */
function loadFull(): Promise<typeof full> {
  fullAsked = true;
  return loadFullModule();
}

/** The module that sends and asks Graph: the full one when it is here already (an xls list,
 *  contacts), else the send module. The same API; TypeScript sees two declaration files. */
async function sender(): Promise<Send> {
  return fullAsked ? ((await loadFull()) as unknown as Send) : loadSend();
}

/** Starts fetching the module that sends, without waiting: the user has a list (or is
 *  looking for one) and the send is the next step. A failed download is tried again then. */
export function sendingSoon(): void {
  sender().catch(() => undefined);
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

/** Reads a spreadsheet with the module that reads its format: the first, or the full one. */
export async function openSpreadsheet(bytes: Uint8Array, region: Region = {}): Promise<Spreadsheet> {
  const core = await coreFor(bytes);
  return new core.Spreadsheet(bytes, region.sheet, region.headerRow, region.table);
}

/** The contacts `query` names, read from Graph by the full module (JSON to keep). */
export async function readContacts(graphUrl: string, token: string, query: ContactQuery): Promise<string> {
  return (await loadFull()).readContacts(graphUrl, token, query);
}

/** Outlook contacts as `readContacts` gave them (JSON), as a table (in the full module). */
export async function openContacts(json: string): Promise<Spreadsheet> {
  return (await loadFull()).Spreadsheet.fromContacts(json) as unknown as Spreadsheet;
}

/** What came back for the campaign of `journal`, read from the Inbox by the full module. */
export async function trackCampaign(graphUrl: string, token: string, journal: string[], suppress: string): Promise<TrackResult> {
  return (await loadFull()).trackCampaign(graphUrl, token, journal, suppress);
}

/** The rows a follow-up answers now, by the first campaign's journal (the full module). */
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

/** A campaign's report as a workbook (xlsx), made by the report's module from the stored rows:
 *  the list with each row's Status, Sent at, Message id and Reason. */
export async function reportWorkbook(stored: StoredSource, journal: string[], skipped: { row: number; reason: string }[], excluded: number[]): Promise<Uint8Array> {
  const module = await loadReport();
  const bytes = new Uint8Array(stored.bytes);
  const sheet =
    stored.source === "contacts"
      ? module.Spreadsheet.fromContacts(new TextDecoder().decode(bytes))
      : new module.Spreadsheet(bytes, stored.sheet, stored.headerRow, stored.table);
  try {
    return sheet.reportWorkbook(journal, skipped, excluded);
  } finally {
    sheet.free();
  }
}

/** A list to send to: a workbook's bytes and where its list is, or contacts' JSON (UTF-8). */
export interface SendList {
  bytes: Uint8Array;
  source?: "contacts";
  region: Region;
}

/** The list read again by a module that sends: the send module reads what the first one
 *  reads (they are built with the same formats); the full one every other format, and contacts. */
export async function openForSending(list: SendList): Promise<SendingSheet> {
  if (list.source === "contacts") return (await loadFull()).Spreadsheet.fromContacts(new TextDecoder().decode(list.bytes)) as unknown as SendingSheet;
  const module = first.readsFormatOf(list.bytes) ? await sender() : ((await loadFull()) as unknown as Send);
  return new module.Spreadsheet(list.bytes, list.region.sheet, list.region.headerRow, list.region.table);
}

/** The spreadsheets in the user's drive (and shared with them) that match `text`. */
export async function searchDrive(...args: Parameters<Send["searchDrive"]>): ReturnType<Send["searchDrive"]> {
  return (await sender()).searchDrive(...args);
}

/** A drive's file, by its drive and item ids: its name and bytes. */
export async function driveFile(...args: Parameters<Send["driveFile"]>): ReturnType<Send["driveFile"]> {
  return (await sender()).driveFile(...args);
}

/** The file a OneDrive or SharePoint sharing URL names: its name and bytes. */
export async function sharedFile(...args: Parameters<Send["sharedFile"]>): ReturnType<Send["sharedFile"]> {
  return (await sender()).sharedFile(...args);
}

/** The tenant's verified domains. */
export async function tenantDomains(...args: Parameters<Send["tenantDomains"]>): ReturnType<Send["tenantDomains"]> {
  return (await sender()).tenantDomains(...args);
}

/** Each row's response recorded in a campaign's journal, for its report. */
export async function answeredRows(journal: string[]): Promise<ReturnType<Send["answeredRows"]>> {
  return (await sender()).answeredRows(journal);
}

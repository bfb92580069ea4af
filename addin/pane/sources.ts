// Rows from elsewhere than a picked file: OneDrive and SharePoint (a search of the user's
// files, a pasted sharing link, and the files opened here recently) and Outlook contacts.
// Every request is core's, made by the WebAssembly modules that talk to Graph (searchDrive,
// driveFile, sharedFile in the send module, fetched when the user first looks; readContacts in
// the full module), so workbook bytes and contacts only ever come from Microsoft.
// Graph's own "recent files" (GET /me/drive/recent) stopped returning data in November 2026;
// the recent list is the files this pane opened, kept in this browser (names and ids only).

import type { DriveFile } from "../pkg/localmerge_addin.js";
import type { Tokens } from "./auth.js";
import { t } from "./i18n.js";
import { $ } from "./view/dom.js";
import { renderFiles } from "./view/sources.js";
import { driveFile, readContacts, searchDrive, sendingSoon, sharedFile } from "./wasm.js";

const RECENT = "localmerge.recentFiles";
const KEEP = 8;

function isFile(v: unknown): v is DriveFile {
  const f = v as DriveFile;
  return typeof f?.driveId === "string" && typeof f.itemId === "string" && typeof f.name === "string";
}

/** The drive files this pane opened, most recent first. */
export function recentFiles(): DriveFile[] {
  try {
    const list: unknown = JSON.parse(localStorage.getItem(RECENT) ?? "[]");
    return Array.isArray(list) ? list.filter(isFile) : [];
  } catch {
    return [];
  }
}

function remember(file: DriveFile): void {
  const others = recentFiles().filter((f) => f.driveId !== file.driveId || f.itemId !== file.itemId);
  localStorage.setItem(RECENT, JSON.stringify([{ driveId: file.driveId, itemId: file.itemId, name: file.name, modified: file.modified }, ...others].slice(0, KEEP)));
}

export interface Sources {
  graphUrl: string;
  tokens: Tokens;
  /** Reads a workbook's bytes as a picked file's. */
  openBytes(name: string, bytes: Uint8Array): Promise<void>;
  /** Reads contacts (readContacts's JSON) as the rows. */
  openContacts(json: string, name: string): Promise<void>;
}

export function bindSources(s: Sources): void {
  const error = $("source-error");
  const fail = (e: unknown) => (error.textContent = (e as Error).message ?? String(e));
  const showRecent = () => {
    const recent = recentFiles();
    renderFiles(recent.length ? t("recentFiles") : "", recent, open);
  };
  async function open(file: DriveFile): Promise<void> {
    error.textContent = "";
    try {
      const got = await driveFile(s.graphUrl, await s.tokens.reading("files"), file.driveId, file.itemId);
      remember({ ...file, name: got.name });
      await s.openBytes(got.name, got.bytes);
    } catch (e) {
      fail(e);
    }
  }
  showRecent();
  // The module that asks Graph is fetched while the user types.
  $("drive-query").addEventListener("focus", sendingSoon, { once: true });
  $("drive-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const query = $<HTMLInputElement>("drive-query").value.trim();
    if (!query) return showRecent();
    try {
      const token = await s.tokens.reading("files");
      if (/^https:\/\//i.test(query)) {
        const got = await sharedFile(s.graphUrl, token, query);
        return await s.openBytes(got.name, got.bytes);
      }
      const found = await searchDrive(s.graphUrl, token, query);
      renderFiles(found.length ? t("foundFiles", found.length) : t("noFiles"), found, open);
    } catch (e) {
      fail(e);
    }
  });
  $("contacts-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const category = $<HTMLInputElement>("contacts-category").value.trim();
    try {
      const json = await readContacts(s.graphUrl, await s.tokens.reading("contacts"), { categories: category ? [category] : [] });
      await s.openContacts(json, category ? `${t("contactsName")} · ${category}` : t("contactsName"));
    } catch (e) {
      fail(e);
    }
  });
}

// The WebAssembly core, as two modules built from one crate (build.mjs) with one API: the
// first reads xlsx and CSV and loads with the pane; the second reads every format and is
// fetched the first time an xls, xlsb or ods file is opened, so most users never download
// it. Which formats a module reads is the core's to say (`readsFormatOf`), not this file's.

import init, * as first from "../pkg/localmerge_addin.js";
import type { Spreadsheet } from "../pkg/localmerge_addin.js";

type Core = typeof first;

let full: Promise<Core> | undefined;

/** Loads the first module; its free functions (brokenTokens, repairTokens) work from then on. */
export async function loadCore(): Promise<void> {
  await init({ module_or_path: new URL("localmerge_addin_bg.wasm", import.meta.url) });
}

/** The module that reads these bytes: the first one, or the full one (fetched once). */
function coreFor(bytes: Uint8Array): Promise<Core> {
  if (first.readsFormatOf(bytes)) return Promise.resolve(first);
  full ??= import("../pkg/localmerge_addin_full.js").then(
    async (m) => {
      await m.default({ module_or_path: new URL("localmerge_addin_full_bg.wasm", import.meta.url) });
      // The same API; TypeScript sees the classes of two declaration files as distinct.
      return m as unknown as Core;
    },
    (e: unknown) => {
      full = undefined; // a failed download is tried again on the next file
      throw e;
    },
  );
  return full;
}

/** Reads a spreadsheet with the module that reads its format; `sheet` picks a sheet by name. */
export async function openSpreadsheet(bytes: Uint8Array, sheet?: string): Promise<Spreadsheet> {
  const core = await coreFor(bytes);
  return new core.Spreadsheet(bytes, sheet);
}

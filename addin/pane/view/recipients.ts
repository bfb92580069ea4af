// Step 2, the recipients: the file read, how many messages are ready, and each problem by
// row and column.

import type { PlanResult } from "../../pkg/localmerge_addin.js";
import { issueText, t } from "../i18n.js";
import type { Region } from "../wasm.js";
import { $, options, paragraph } from "./dom.js";

/** The file as read: its name, sheet and rows, and the choices of sheet, table, header row,
 *  grouping and columns (contacts have no sheets, tables nor title rows). */
export function renderFile(
  fileName: string,
  sheet: { sheet: string; sheets: string[]; tables: string[]; columns: string[]; rowCount: number },
  region: Region,
  contacts: boolean,
): void {
  const status = $("file-name");
  status.textContent = contacts ? `${fileName} · ${sheet.rowCount}` : `${fileName} · ${sheet.sheet} · ${sheet.rowCount}`;
  status.className = "muted";
  options($("sheet"), sheet.sheets, "", false);
  $<HTMLSelectElement>("sheet").value = sheet.sheet;
  options($("table"), sheet.tables, t("wholeSheet"), false);
  $<HTMLSelectElement>("table").value = region.table ?? "";
  $<HTMLInputElement>("header-row").value = region.headerRow ? String(region.headerRow) : "";
  for (const id of ["sheet", "header-row"]) {
    $(id).hidden = contacts;
    $(id).previousElementSibling?.toggleAttribute("hidden", contacts);
  }
  for (const id of ["table"]) {
    $(id).hidden = contacts || sheet.tables.length === 0;
    $(id).previousElementSibling?.toggleAttribute("hidden", contacts || sheet.tables.length === 0);
  }
  options($("group-by"), sheet.columns, t("eachRow"), false);
  for (const id of ["to", "cc", "bcc"]) options($(id), sheet.columns, t(id === "to" ? "detect" : "none"));
  options($("column-pick"), sheet.columns, "");
}

export function renderReadError(fileName: string, message: string): void {
  const status = $("file-name");
  status.textContent = t("readError", fileName, message);
  status.className = "problem";
}

export function renderRecipients(hasData: boolean, r: PlanResult | undefined): void {
  $("data-details").hidden = !hasData;
  $("column-row").hidden = !hasData;
  const summary = $("data-summary");
  const table = $<HTMLTableElement>("problems");
  const tbody = table.tBodies[0];
  tbody.replaceChildren();
  summary.replaceChildren();
  const ok = r && !r.error ? r : undefined;
  table.hidden = !ok?.problems.length;
  $("suppress-errors").textContent = ok?.suppressErrors.join("; ") ?? "";
  $("skip-problems").hidden = !ok?.problems.length;
  if (!ok) return;
  summary.append(paragraph(t("ready", ok.messages)));
  if (ok.excluded.length > 0) summary.append(paragraph(t("excludedCount", ok.excluded.length)));
  if (ok.suppressed.length > 0) summary.append(paragraph(t("suppressedCount", ok.suppressed.length)));
  if (ok.problems.length > 0) summary.append(paragraph(t("problemsCount", ok.problems.length), "problem"));
  for (const p of ok.problems) {
    for (const issue of p.issues) {
      const tr = tbody.insertRow();
      tr.insertCell().textContent = String(p.row);
      tr.insertCell().textContent = `${issue.column} (${issue.letters})`;
      tr.insertCell().textContent = issueText(issue);
    }
  }
}

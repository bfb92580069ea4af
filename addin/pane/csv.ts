// The final report as CSV: one line per row of the sheet that was planned, sent or not.

import type { AnsweredRow, CampaignRow } from "../pkg/localmerge_addin.js";

export interface ReportRow {
  row: number;
  status: "sent" | "drafted" | "failed" | "skipped" | "excluded" | "pending" | AnsweredRow["status"];
  reason: string;
}

/** Every row of the sheet the campaign was made from: the campaign's own rows as its
 *  engine reports them (or what came back for them, once the Inbox was checked), the rows
 *  left out for problems, and the rows the user excluded. */
export function reportRows(campaign: CampaignRow[], skipped: { row: number; reason: string }[], excluded: number[], answered: AnsweredRow[] = []): ReportRow[] {
  const came = new Map(answered.map((a) => [a.row, a.status]));
  return [
    ...campaign.map((r) => ({ row: r.row, status: came.get(r.row) ?? r.status, reason: r.reason ?? "" })),
    ...skipped.map((s) => ({ row: s.row, status: "skipped" as const, reason: s.reason })),
    ...excluded.map((row) => ({ row, status: "excluded" as const, reason: "" })),
  ];
}

/** A CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(rows: ReportRow[]): string {
  const lines = ["row,status,reason", ...[...rows].sort((a, b) => a.row - b.row).map((r) => [String(r.row), r.status, r.reason].map(csvField).join(","))];
  return lines.join("\r\n") + "\r\n";
}

// The final report as CSV: one line per row of the sheet that was planned, sent or not.

export interface ReportRow {
  row: number;
  status: "sent" | "drafted" | "failed" | "skipped" | "excluded" | "pending";
  reason: string;
}

/** A CSV field: quoted when needed, and never read as a formula by a spreadsheet. */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function reportCsv(rows: ReportRow[]): string {
  const lines = ["row,status,reason", ...rows.sort((a, b) => a.row - b.row).map((r) => [String(r.row), r.status, r.reason].map(csvField).join(","))];
  return lines.join("\r\n") + "\r\n";
}

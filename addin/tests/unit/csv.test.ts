// The report's CSV: quoted where CSV needs it, and never a formula when a spreadsheet opens it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { csvField, reportCsv, reportRows } from "../../pane/csv";

test("a field a spreadsheet would run as a formula is kept as text", () => {
  for (const danger of ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"]) {
    assert.ok(csvField(danger).replace(/^"/, "").startsWith("'"), danger);
  }
  assert.equal(csvField("=HYPERLINK(\"http://x\")"), `"'=HYPERLINK(""http://x"")"`);
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
});

test("the report lists rows in sheet order, CRLF-terminated", () => {
  const csv = reportCsv([
    { row: 9, status: "failed", reason: "=evil()" },
    { row: 2, status: "sent", reason: "" },
  ]);
  assert.equal(csv, "row,status,reason\r\n2,sent,\r\n9,failed,'=evil()\r\n");
});

test("the report names every row: the campaign's, the skipped and the excluded", () => {
  const rows = reportRows(
    [
      { row: 2, status: "sent" },
      { row: 3, status: "failed", reason: "refused" },
      { row: 6, status: "pending" },
    ],
    [{ row: 4, reason: "Email: empty" }],
    [5],
  );
  assert.equal(reportCsv(rows), "row,status,reason\r\n2,sent,\r\n3,failed,refused\r\n4,skipped,Email: empty\r\n5,excluded,\r\n6,pending,\r\n");
});

test("what came back for a sent row is its status once the Inbox was checked", () => {
  const rows = reportRows(
    [
      { row: 2, status: "sent" },
      { row: 3, status: "sent" },
      { row: 4, status: "failed", reason: "refused" },
    ],
    [],
    [],
    [{ row: 3, status: "bounced" }],
  );
  assert.equal(reportCsv(rows), "row,status,reason\r\n2,sent,\r\n3,bounced,\r\n4,failed,refused\r\n");
});

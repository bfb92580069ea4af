// `npm run bench:pane`: the task pane in Chromium, as a user meets it. From picking a
// 50,000-row xlsx to the first message previewed (the file read in the page, the table
// checked, every message planned, the first one drawn in the preview), beside SheetJS
// reading the same file into rows in the same page (File.arrayBuffer, xlsx.read dense,
// sheet_to_json). Each run opens a fresh page and alternates which goes first.
// Prints `pane-first-preview-ms: N` (the median) and `pane-vs-sheetjs-read: R` (the median
// of the per-run ratios SheetJS ÷ pane, > 1 when the pane's whole path is faster than
// SheetJS's read alone), with each one's min–max.
// Options: --rows N (default 50000), --runs N (default 7). Needs `npm run build` first.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { browser, openPane, pane, root, sandbox, skipReason } from "../tests/e2e/harness.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rows = arg("--rows", 50_000);
const runs = arg("--runs", 7);
const skip = skipReason();
if (skip) {
  console.error(`bench:pane cannot run: ${skip}`);
  process.exit(2);
}

const file = execFileSync("cargo", ["run", "-q", "--locked", "-p", "xtask", "--", "bench-data", "--rows", String(rows)], { cwd: root, encoding: "utf8" }).trim();
const bytes = readFileSync(file);
const office = {
  language: "en-US",
  subject: readFileSync(join(root, "bench/templates/subject.hbs"), "utf8").trimEnd(),
  body: readFileSync(join(root, "bench/templates/body.html"), "utf8"),
};

// In the page, before its scripts: the time the file is picked, and the time the first
// message's preview has loaded once the plan holds every row.
function probe(expected) {
  document.addEventListener("change", (e) => {
    if (e.target?.id === "file") window.__picked = performance.now();
  }, true);
  new MutationObserver(() => {
    if (window.__rendered === undefined && document.body?.dataset.messages === String(expected)) {
      window.__rendered = performance.now();
      document.querySelector("#preview").addEventListener("load", () => (window.__previewed = performance.now()), { once: true });
    }
  }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-messages"] });
}

async function sheetjs(page) {
  return page.evaluate(async (n) => {
    const file = new File([window.__bytes], "contacts.xlsx");
    const t = performance.now();
    const wb = XLSX.read(await file.arrayBuffer(), { type: "array", dense: true });
    const objects = XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]]);
    const ms = performance.now() - t;
    if (objects.length !== n) throw new Error(`SheetJS read ${objects.length} rows`);
    return ms;
  }, rows);
}

async function localmerge(page) {
  await page.setInputFiles("#file", file);
  await page.waitForFunction(() => window.__previewed !== undefined, undefined, { timeout: 120_000, polling: 50 });
  return page.evaluate(() => window.__previewed - window.__picked);
}

const graph = await sandbox();
const site = await pane({ mode: "sandbox", graphUrl: graph.url });
const b = await browser();
const median = (xs) => xs.slice().sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const ours = [];
const theirs = [];
const ratios = [];
try {
  for (let run = -1; run < runs; run++) {
    const { page, context, errors } = await openPane(b, site.url, { office, viewport: { width: 420, height: 1200 }, init: `(${probe})(${rows})` });
    await page.addScriptTag({ path: join(root, "node_modules/xlsx/dist/xlsx.full.min.js") });
    await page.evaluate((b64) => (window.__bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))), bytes.toString("base64"));
    let pane, peer;
    if (run % 2 === 0) {
      pane = await localmerge(page);
      peer = await sheetjs(page);
    } else {
      peer = await sheetjs(page);
      pane = await localmerge(page);
    }
    if (errors.length > 0) throw errors[0];
    await context.close();
    // The first run warms the browser's caches (the modules compiled, the file read once).
    if (run < 0) continue;
    ours.push(pane);
    theirs.push(peer);
    ratios.push(peer / pane);
    console.log(`run ${run + 1}: pane ${pane.toFixed(0)} ms, SheetJS ${peer.toFixed(0)} ms, ratio ${(peer / pane).toFixed(2)} (${run % 2 === 0 ? "pane first" : "SheetJS first"})`);
  }
} finally {
  await b.close();
  graph.stop();
  site.stop();
}
const version = execFileSync(process.env.CHROMIUM ?? "/usr/bin/chromium", ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
console.log(`workbook: ${rows} rows x 10 columns, ${(bytes.length / 1e6).toFixed(1)} MB xlsx; ${runs} runs alternated; ${version}`);
console.log(`pane pick-to-first-preview ms: median ${median(ours).toFixed(0)} (${range(ours)}); SheetJS read ms: median ${median(theirs).toFixed(0)} (${range(theirs)})`);
console.log(`pane-first-preview-ms: ${Math.round(median(ours))}`);
console.log(`pane-vs-sheetjs-read: ${median(ratios).toFixed(2)} (per-run ${range(ratios)})`);

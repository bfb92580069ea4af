// `npm run bench`: the add-in's WebAssembly API against the peers a web add-in would use
// otherwise, in this one Node process on the same workbook and templates:
// SheetJS (xlsx.read + sheet_to_json) and handlebars.js (templates compiled once).
// Prints `parse-vs-sheetjs: R`, `render-vs-handlebarsjs: R` (speed-ups, > 1 means
// localmerge is faster), `wasm-gzip-bytes: N` (the .wasm the pane loads, gzipped; it reads
// xlsx and CSV, checks and previews), `wasm-send-gzip-bytes: N` (the one fetched when a list is
// opened, which sends) and `wasm-full-gzip-bytes: N` (the one fetched for xls, xlsb and ods).
// Each ratio is the median of per-pair ratios, the sides alternated pair by pair, with its
// min–max. Options: --rows N (default 50000), --runs N (pairs, default 7). Needs `npm run build` first.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import Handlebars from "handlebars";
import XLSX from "xlsx";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const rows = arg("--rows", 50_000);
const runs = arg("--runs", 7);

const wasmPath = join(root, "addin/pkg/localmerge_addin_bg.wasm");
if (!existsSync(wasmPath)) {
  console.error("The add-in is not built: run `npm run build` first.");
  process.exit(2);
}
const { initSync, Spreadsheet } = await import(join(root, "addin/pkg/localmerge_addin.js"));
const wasm = readFileSync(wasmPath);
initSync({ module: wasm });

// The same generated workbook as `cargo xtask bench` (10 columns: text, numbers, dates).
const file = execFileSync("cargo", ["run", "-q", "--locked", "-p", "xtask", "--", "bench-data", "--rows", String(rows)], {
  cwd: root,
  encoding: "utf8",
}).trim();
const bytes = readFileSync(file);
const subjectSrc = readFileSync(join(root, "bench/templates/subject.hbs"), "utf8").trimEnd();
const bodySrc = readFileSync(join(root, "bench/templates/body.html"), "utf8");

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Milliseconds of one call; `dispose` frees the result outside the timing. */
function once(f, dispose) {
  const t = performance.now();
  const result = f();
  const ms = performance.now() - t;
  dispose(result);
  return { ms, result };
}
/**
 * Both sides warmed up, then `runs` pairs, which side goes first alternating pair by pair
 * (this machine's noise moves a ratio up to 2x between runs): the median of each side's
 * times, and the median of the per-pair ratios (theirs / ours) with its min and max.
 */
function pairs(ours, theirs, disposeOurs = () => {}) {
  const first = { ours: once(ours, disposeOurs), theirs: once(theirs, () => {}) };
  const times = { ours: [], theirs: [] };
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    let o, t;
    if (i % 2 === 0) {
      o = once(ours, disposeOurs);
      t = once(theirs, () => {});
    } else {
      t = once(theirs, () => {});
      o = once(ours, disposeOurs);
    }
    times.ours.push(o.ms);
    times.theirs.push(t.ms);
    ratios.push(t.ms / o.ms);
  }
  return { ours: median(times.ours), theirs: median(times.theirs), ratio: median(ratios), lo: Math.min(...ratios), hi: Math.max(...ratios), first };
}
const ratio = (p) => `${p.ratio.toFixed(2)} (${p.lo.toFixed(2)}–${p.hi.toFixed(2)})`;

// Parse: bytes → rows the page can use.
const read = pairs(
  () => new Spreadsheet(new Uint8Array(bytes), undefined),
  () => {
    const wb = XLSX.read(bytes, { type: "buffer", dense: true });
    return XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]]);
  },
  (s) => s.free(),
);
const sheet = new Spreadsheet(new Uint8Array(bytes), undefined);
if (sheet.rowCount !== rows) throw new Error(`localmerge read ${sheet.rowCount} rows`);
const wb = XLSX.read(bytes, { type: "buffer", dense: true });
const objects = XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]]);
if (objects.length !== rows) throw new Error(`SheetJS read ${objects.length} rows`);

// Render: every row's subject and HTML body (localmerge also checks every address and value).
const template = { subject: subjectSrc, body: bodySrc };
const subject = Handlebars.compile(subjectSrc);
const body = Handlebars.compile(bodySrc);
const render = pairs(
  () => sheet.renderCount(template),
  () => {
    let n = 0;
    for (const row of objects) n += subject(row).length + body(row).length;
    return n;
  },
);

console.log(`workbook: ${rows} rows x 10 columns, ${(bytes.length / 1e6).toFixed(1)} MB xlsx; ${runs} pairs, alternated; Node ${process.version}`);
console.log(`localmerge (WebAssembly) read: ${read.ours.toFixed(1)} ms`);
console.log(`SheetJS read (xlsx.read dense + sheet_to_json): ${read.theirs.toFixed(1)} ms`);
console.log(`localmerge (WebAssembly) render (checks + subject + HTML, ${render.first.ours.result} bytes): ${render.ours.toFixed(1)} ms`);
console.log(`handlebars.js render (subject + HTML, ${render.first.theirs.result} chars): ${render.theirs.toFixed(1)} ms`);
console.log(`parse-vs-sheetjs: ${ratio(read)}`);
console.log(`render-vs-handlebarsjs: ${ratio(render)}`);
console.log(`wasm-gzip-bytes: ${gzipSync(wasm, { level: 9 }).length}`);
for (const [label, name] of [["wasm-send", "localmerge_addin_send"], ["wasm-full", "localmerge_addin_full"]]) {
  console.log(`${label}-gzip-bytes: ${gzipSync(readFileSync(join(root, `addin/pkg/${name}_bg.wasm`)), { level: 9 }).length}`);
}

// Times the peers on the same workbook and templates as `cargo xtask bench`:
// SheetJS (xlsx.read + sheet_to_json) and handlebars.js (templates compiled once).
// Usage: node peers.mjs FILE.xlsx RUNS — prints one JSON object.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import XLSX from "xlsx";
import Handlebars from "handlebars";

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
const bytes = readFileSync(file);
const here = new URL(".", import.meta.url);
const subjectSrc = readFileSync(new URL("templates/subject.hbs", here), "utf8");
const bodySrc = readFileSync(new URL("templates/body.html", here), "utf8");

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function parse() {
  const wb = XLSX.read(bytes, { type: "buffer", dense: true });
  return XLSX.utils.sheet_to_json(wb.Sheets[wb.SheetNames[0]]);
}

let rows = parse(); // warm-up
const parseMs = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  rows = parse();
  parseMs.push(performance.now() - t);
}

const subject = Handlebars.compile(subjectSrc);
const body = Handlebars.compile(bodySrc);
function render() {
  let bytesOut = 0;
  for (const row of rows) {
    bytesOut += subject(row).length + body(row).length;
  }
  return bytesOut;
}
render(); // warm-up: compiles the templates to functions
const renderMs = [];
let outLen = 0;
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  outLen = render();
  renderMs.push(performance.now() - t);
}

console.log(JSON.stringify({ rows: rows.length, parse_ms: median(parseMs), render_ms: median(renderMs), output_chars: outLen }));

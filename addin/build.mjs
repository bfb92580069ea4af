// Builds the task pane into addin/dist: the WebAssembly core (cargo, wasm-bindgen,
// wasm-opt), the TypeScript bundle (esbuild) and the static files. Prints the gzipped size
// of the .wasm the pane loads. `--skip-wasm` rebuilds only the TypeScript.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const addin = join(root, "addin");
const pkg = join(addin, "pkg");
const dist = join(addin, "dist");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });
// Cargo's build folder: CARGO_TARGET_DIR when set (relative to the repository), else target/.
const target = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");

/** The version of `cmd --version` (its second word), or "" when it is not there. */
function version(cmd) {
  try {
    return execFileSync(cmd, ["--version"], { encoding: "utf8" }).trim().split(" ")[1] ?? "";
  } catch {
    return "";
  }
}

/**
 * wasm-bindgen's CLI at exactly the crate's version (Cargo.lock): the one on PATH if it
 * matches, else one installed once into target/tools by cargo.
 */
function wasmBindgen() {
  const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
  const want = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];
  if (!want) throw new Error("Cargo.lock has no wasm-bindgen");
  if (version("wasm-bindgen") === want) return "wasm-bindgen";
  const local = join(target, "tools/bin/wasm-bindgen");
  if (version(local) !== want) {
    console.log(`installing wasm-bindgen-cli ${want} into target/tools (once)`);
    run("cargo", ["install", "--quiet", "wasm-bindgen-cli", "--version", want, "--root", join(target, "tools")]);
  }
  return local;
}

/** Each module's name and its cargo features. */
const MODULES = [
  ["localmerge_addin", []],
  ["localmerge_addin_send", ["--features", "send"]],
  ["localmerge_addin_full", ["--features", "all-formats"]],
  ["localmerge_addin_report", ["--features", "report-workbook"]],
];

if (!process.argv.includes("--skip-wasm")) {
  if (!execFileSync("rustup", ["target", "list", "--installed"], { encoding: "utf8" }).includes("wasm32-unknown-unknown")) {
    run("rustup", ["target", "add", "wasm32-unknown-unknown"]);
  }
  const bindgen = wasmBindgen();
  rmSync(pkg, { recursive: true, force: true });
  // Four modules from one crate (pane/wasm.ts says which is loaded when): the pane loads the
  // first (xlsx and CSV; it checks and previews, and never sends); it fetches the send module
  // (the first and sending, and every Graph request) when a list is opened, the full one
  // (every format, contacts, what came back) when an xls, xlsb or ods file or contacts are
  // picked, and the report's (the full one and an xlsx writer) only for that download.
  for (const [name, features] of MODULES) {
    run("cargo", ["build", "--locked", "-p", "localmerge-addin", "--target", "wasm32-unknown-unknown", "--profile", "wasm", ...features]);
    run(bindgen, ["--target", "web", "--out-dir", pkg, "--out-name", name, join(target, "wasm32-unknown-unknown/wasm/localmerge_addin.wasm")]);
    const wasm = join(pkg, `${name}_bg.wasm`);
    run(join(root, "node_modules/.bin/wasm-opt"), [
      "-Oz", "--strip-debug", "--strip-producers",
      // What rustc's wasm32 target emits, and no newer proposal browsers may not have.
      "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
      "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
      "-o", wasm, wasm,
    ]);
  }
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await esbuild.build({
  entryPoints: [join(addin, "pane/taskpane.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  // Each fetched module's JavaScript glue becomes its own file, imported when first needed.
  splitting: true,
  outdir: dist,
  // The add-in's version, for its usage counts: the unified manifest's.
  define: { LOCALMERGE_VERSION: JSON.stringify(JSON.parse(readFileSync(join(root, "manifest.json"), "utf8")).version) },
  logLevel: "warning",
});
for (const [name] of MODULES) {
  cpSync(join(pkg, `${name}_bg.wasm`), join(dist, `${name}_bg.wasm`));
}
for (const f of ["taskpane.html", "taskpane.css", "commands.html", "support.html", "privacy.html", "terms.html", "assets"]) {
  cpSync(join(addin, "pane", f), join(dist, f), { recursive: true });
}
writeFileSync(join(dist, "config.json"), JSON.stringify({ mode: "office" }, null, 2));
// The module the pane loads, the one it fetches to send, the one for xls, xlsb and ods, and the report's.
for (const [label, name] of [["wasm", "localmerge_addin"], ["wasm-send", "localmerge_addin_send"], ["wasm-full", "localmerge_addin_full"], ["wasm-report", "localmerge_addin_report"]]) {
  const wasm = readFileSync(join(dist, `${name}_bg.wasm`));
  console.log(`${label}-bytes: ${statSync(join(dist, `${name}_bg.wasm`)).size}`);
  console.log(`${label}-gzip-bytes: ${gzipSync(wasm, { level: 9 }).length}`);
}

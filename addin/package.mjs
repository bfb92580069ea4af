// `npm run package [-- --base https://mail.example.com]`: the app package for sideloading
// and for the store — manifest.json, its translations and its two icons in one zip — and
// manifest.xml beside it, both pointing at `--base` (https://localhost:3000, where
// `cargo xtask demo` serves the pane, by default). Written into target/app-package/.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { zipSync } from "fflate";
import { DEV_BASE, packageIcons, root, translations, unified, xmlText } from "./manifests.mjs";

const at = process.argv.indexOf("--base");
const base = at >= 0 ? process.argv[at + 1] : DEV_BASE;
if (!base || !/^https:\/\/[a-z0-9.-]+(:\d+)?$/i.test(base)) {
  console.error(`--base takes an https origin without a path, like https://mail.example.com (got ${JSON.stringify(base)})`);
  process.exit(2);
}
const rebase = (text) => text.replaceAll(DEV_BASE, base).replaceAll(`api://${DEV_BASE.slice("https://".length)}/`, `api://${base.slice("https://".length)}/`);

const manifest = unified();
const files = { "manifest.json": new TextEncoder().encode(rebase(JSON.stringify(manifest, null, 2))) };
for (const { file, strings } of translations(manifest)) files[file] = new TextEncoder().encode(rebase(JSON.stringify(strings, null, 2)));
for (const { inPackage, source } of packageIcons(manifest)) files[inPackage] = readFileSync(source);

const target = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, "target");
const out = join(target, "app-package");
mkdirSync(out, { recursive: true });
// A fixed time for every entry, so the same sources make the same bytes.
const zip = zipSync(Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, [bytes, { mtime: new Date("2026-01-01T00:00:00Z") }]])), { level: 9 });
const zipPath = join(out, `localmerge-${manifest.version}.zip`);
writeFileSync(zipPath, zip);
writeFileSync(join(out, "manifest.xml"), rebase(xmlText()));
console.log(`app package: ${zipPath} (${zip.length} bytes: ${Object.keys(files).join(", ")})`);
console.log(`add-in-only manifest: ${join(out, "manifest.xml")} (Outlook on Mac and mobile)`);
console.log(`both point at ${base}`);

// The add-in's two manifests, read once for every tool that needs them: `npm run package`
// (addin/package.mjs) and the store-readiness checks (addin/tests/store/). manifest.xml is
// the add-in-only manifest (Outlook on Mac and mobile still need it); manifest.json the
// unified manifest, linked to it as an alternate so a tenant with both sees one add-in.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { XMLParser } from "fast-xml-parser";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
/** Where the manifests point in development; `npm run package -- --base URL` replaces it. */
export const DEV_BASE = "https://localhost:3000";

export function unified() {
  return JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
}

/** The unified manifest's translations: `[{ languageTag, file, strings }]`. */
export function translations(manifest = unified()) {
  return (manifest.localizationInfo?.additionalLanguages ?? []).map(({ languageTag, file }) => ({
    languageTag,
    file,
    strings: JSON.parse(readFileSync(join(root, file), "utf8")),
  }));
}

export function xmlText() {
  return readFileSync(join(root, "manifest.xml"), "utf8");
}

/** manifest.xml as a tree (attributes under `@_`, repeated elements always arrays). */
export function xml() {
  const parser = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, isArray: (name) => ["Override", "Set", "Image", "Url", "String", "Scope", "Form", "Rule", "ExtensionPoint", "Control", "AppDomain"].includes(name) });
  return parser.parse(xmlText()).OfficeApp;
}

/**
 * The JSON schemas of the unified manifest's release, from the npm package Microsoft
 * publishes them in (@microsoft/app-manifest), never fetched: `{ manifest, localization }`.
 */
export function schemas(version) {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("@microsoft/app-manifest/package.json")), "build/json-schemas/teams", `v${version}`);
  const read = (name) => JSON.parse(readFileSync(join(dir, name), "utf8"));
  return { manifest: read("MicrosoftTeams.schema.json"), localization: read("MicrosoftTeams.Localization.schema.json") };
}

/** Every absolute URL in a manifest's text. */
export function urls(text) {
  return [...new Set(text.match(/https?:\/\/[^"'<>\s]+/g) ?? [])];
}

/** The icons the unified package carries (paths relative to the repository). */
export function packageIcons(manifest = unified()) {
  return [manifest.icons.color, manifest.icons.outline].map((p) => ({ inPackage: p, source: join(root, "addin/pane", p) }));
}

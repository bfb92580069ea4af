// Store readiness, the checks a machine can make without a network (docs/store.md names
// the policy behind each): the unified manifest against Microsoft's released schema, the
// two manifests describing the same add-in, the icons, the pages the store asks for,
// Office.js from Microsoft's CDN, and the requirement sets declared equal to those used.
// The URLs answering over the served pane is tests/e2e/store.test.mjs.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ManifestUtil } from "@microsoft/app-manifest";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { PNG } from "pngjs";
import { DEV_BASE, root, schemas, translations, unified, urls, xml, xmlText } from "../../manifests.mjs";

const pane = join(root, "addin/pane");
const manifest = unified();
const officeApp = xml();
const overrides = officeApp.VersionOverrides.VersionOverrides;
const resources = overrides.Resources;
const extension = manifest.extensions[0];

/**
 * Validation with fetch refused: the schema comes from the npm package, never the network.
 * A manifest goes through the package's own validator; a translation through the same
 * draft-04 ajv with JavaScript's non-unicode regular expressions, because one pattern of the
 * localization schema (`\\b]`) is not valid as a unicode one.
 */
async function validateOffline(document, schema) {
  const fetch = globalThis.fetch;
  globalThis.fetch = () => {
    throw new Error("the manifest check tried to use the network");
  };
  try {
    if (schema.properties?.manifestVersion) return await ManifestUtil.validateManifestAgainstSchema(document, schema);
    const ajv = new Ajv04({ allErrors: true, strictTypes: false, unicodeRegExp: false });
    addFormats(ajv, ["uri", "email", "regex"]);
    const validate = ajv.compile(schema);
    return validate(document) ? [] : validate.errors.map((e) => `${e.instancePath} ${e.message}`);
  } finally {
    globalThis.fetch = fetch;
  }
}

/** The value at a localization key's path (`extensions[0].ribbons[1].tabs[0].label`). */
function at(document, path) {
  return path.split(/\.|(?=\[)/).reduce((v, part) => {
    const index = /^\[(\d+)\]$/.exec(part);
    return v?.[index ? Number(index[1]) : part];
  }, document);
}

const resource = (kind, id) => resources[kind].String.find((s) => s["@_id"] === id);
const french = (node) => node.Override.find((o) => o["@_Locale"] === "fr-FR")["@_Value"];
const image = (id) => resources.Images.Image.find((i) => i["@_id"] === id)["@_DefaultValue"];
const ribbon = (context) => extension.ribbons.find((r) => r.contexts.includes(context)).tabs[0].groups[0];

test("manifest.json is a released unified manifest, valid against its schema from @microsoft/app-manifest", async () => {
  assert.match(manifest.manifestVersion, /^1\.\d+$/, "a released schema version, not devPreview");
  assert.equal(manifest.$schema, `https://developer.microsoft.com/json-schemas/teams/v${manifest.manifestVersion}/MicrosoftTeams.schema.json`);
  const { manifest: schema, localization } = schemas(manifest.manifestVersion);
  assert.deepEqual(await validateOffline(manifest, schema), []);
  for (const { file, strings } of translations()) {
    assert.deepEqual(await validateOffline(strings, localization), [], file);
    for (const key of Object.keys(strings).filter((k) => k.startsWith("extensions"))) {
      assert.equal(typeof at(manifest, key), "string", `${file}: ${key} names no string of manifest.json`);
    }
  }
  // The validator does reject: a manifest without its accent colour, and a name too long.
  const { accentColor, ...noColour } = manifest;
  assert.ok(accentColor);
  assert.notDeepEqual(await validateOffline(noColour, schema), []);
  assert.notDeepEqual(await validateOffline({ ...manifest, name: { short: "x".repeat(31) } }, schema), []);
});

test("both manifests describe the same add-in, and the unified one hides the other", () => {
  assert.notEqual(manifest.id, officeApp.Id, "the unified add-in has its own id (Microsoft's conversion rule)");
  assert.deepEqual(extension.alternates, [{ hide: { customOfficeAddin: { officeAddinId: officeApp.Id } } }]);
  assert.equal(`${manifest.version}.0`, officeApp.Version);
  // Names and descriptions, in English and French.
  assert.equal(manifest.name.short, officeApp.DisplayName["@_DefaultValue"]);
  assert.equal(manifest.description.full, officeApp.Description["@_DefaultValue"]);
  const [fr] = translations().filter((t) => t.languageTag === "fr-fr").map((t) => t.strings);
  assert.ok(fr, "a French translation");
  assert.equal(fr["name.short"], french(officeApp.DisplayName));
  assert.equal(fr["description.full"], french(officeApp.Description));
  // The ribbon: the same buttons, labels and tips, on compose and on read.
  const xmlPoints = overrides.Hosts.Host.DesktopFormFactor.ExtensionPoint;
  for (const [context, surface] of [["mailCompose", "MessageComposeCommandSurface"], ["mailRead", "MessageReadCommandSurface"]]) {
    const group = ribbon(context);
    const xmlGroup = xmlPoints.find((p) => p["@_type"] === surface).OfficeTab.Group;
    const xmlControl = xmlGroup.Control[0];
    const control = group.controls[0];
    const index = extension.ribbons.findIndex((r) => r.contexts.includes(context));
    assert.equal(group.id, xmlGroup["@_id"]);
    assert.equal(control.id, xmlControl["@_id"]);
    assert.equal(group.label, resource("ShortStrings", xmlGroup.Label["@_resid"])["@_DefaultValue"]);
    assert.equal(control.label, resource("ShortStrings", xmlControl.Label["@_resid"])["@_DefaultValue"]);
    const tip = resource("LongStrings", xmlControl.Supertip.Description["@_resid"]);
    assert.equal(control.supertip.description, tip["@_DefaultValue"]);
    const key = `extensions[0].ribbons[${index}].tabs[0].groups[0].controls[0]`;
    assert.equal(fr[`${key}.label`], french(resource("ShortStrings", xmlControl.Label["@_resid"])));
    assert.equal(fr[`${key}.supertip.description`], french(tip));
    // Icons by size, and the page the button opens.
    const xmlIcons = Object.fromEntries(xmlControl.Icon.Image.map((i) => [Number(i["@_size"]), image(i["@_resid"])]));
    assert.deepEqual(Object.fromEntries(control.icons.map((i) => [i.size, i.url])), xmlIcons);
    assert.equal(xmlControl.Action.SupportsPinning, true);
    const runtime = extension.runtimes.find((r) => r.actions.some((a) => a.id === control.actionId));
    assert.equal(runtime.code.page, resources.Urls.Url.find((u) => u["@_id"] === xmlControl.Action.SourceLocation["@_resid"])["@_DefaultValue"]);
    assert.equal(runtime.actions.find((a) => a.id === control.actionId).pinnable, true);
  }
  // What it may do: the item read and written, sign-in with the same app, the same domains.
  assert.equal(officeApp.Permissions, "ReadWriteItem");
  assert.deepEqual(manifest.authorization.permissions.resourceSpecific, [{ name: "MailboxItem.ReadWrite.User", type: "Delegated" }]);
  assert.equal(manifest.webApplicationInfo.id, overrides.WebApplicationInfo.Id);
  assert.equal(manifest.webApplicationInfo.resource, overrides.WebApplicationInfo.Resource);
  assert.deepEqual(manifest.validDomains, officeApp.AppDomains.AppDomain.map((d) => new URL(d).host));
  assert.equal(manifest.developer.websiteUrl, officeApp.SupportUrl["@_DefaultValue"]);
});

/** A PNG's size and whether it has an alpha channel (the signature and IHDR checked). */
function png(file) {
  const bytes = readFileSync(file);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${file} is a PNG`);
  return PNG.sync.read(bytes);
}

/** Where a manifest URL on the pane's host is in the sources (the build copies them). */
function source(url) {
  assert.ok(url.startsWith(`${DEV_BASE}/`), `${url} is served by the pane's host`);
  return join(pane, new URL(url).pathname.slice(1));
}

test("every icon is a PNG of the size its manifest declares; the outline is white on transparent", () => {
  const declared = [
    [officeApp.IconUrl["@_DefaultValue"], 64],
    [officeApp.HighResolutionIconUrl["@_DefaultValue"], 128],
    ...resources.Images.Image.map((i) => [i["@_DefaultValue"], Number(/\d+$/.exec(i["@_id"])[0])]),
    ...extension.ribbons.flatMap((r) => r.tabs[0].groups.flatMap((g) => [...g.icons, ...g.controls.flatMap((c) => c.icons)]).map((i) => [i.url, i.size])),
  ];
  for (const [url, size] of declared) {
    const image = png(source(url));
    assert.deepEqual([image.width, image.height], [size, size], url);
  }
  const color = png(join(pane, manifest.icons.color));
  assert.deepEqual([color.width, color.height], [192, 192], "the colour icon is 192 × 192");
  for (let i = 3; i < color.data.length; i += 4) assert.equal(color.data[i], 255, "the colour icon is opaque");
  const outline = png(join(pane, manifest.icons.outline));
  assert.deepEqual([outline.width, outline.height], [32, 32], "the outline icon is 32 × 32");
  let drawn = 0;
  let transparent = 0;
  for (let i = 0; i < outline.data.length; i += 4) {
    const [r, g, b, a] = outline.data.subarray(i, i + 4);
    if (a === 0) transparent++;
    else {
      drawn++;
      assert.ok(r === 255 && g === 255 && b === 255, `the outline's pixel ${i / 4} is white, not rgb(${r}, ${g}, ${b})`);
    }
  }
  assert.ok(drawn > 0 && transparent > drawn, "the outline draws white lines on a transparent background");
});

test("every URL is https; the pages it names ship with the pane, support, privacy and terms included", () => {
  const all = [...urls(xmlText()), ...urls(JSON.stringify(manifest))].filter((u) => !u.includes("schemas.microsoft.com") && !u.includes("www.w3.org") && !u.includes("developer.microsoft.com/json-schemas"));
  assert.ok(all.length > 10);
  for (const url of all) {
    assert.match(url, /^https:\/\//, `${url} is https`);
    if (url.startsWith(DEV_BASE)) assert.ok(existsSync(source(url)), `${url} is one of the pane's files`);
  }
  for (const page of [manifest.developer.websiteUrl, manifest.developer.privacyUrl, manifest.developer.termsOfUseUrl]) {
    const html = readFileSync(source(page), "utf8");
    assert.match(html, /<h1>[^<]+<\/h1>/, `${page} is a page with a title`);
  }
  const build = readFileSync(join(root, "addin/build.mjs"), "utf8");
  for (const page of ["support.html", "privacy.html", "terms.html", "taskpane.html", "commands.html"]) assert.ok(build.includes(`"${page}"`), `the build copies ${page}`);
});

test("Office.js comes from Microsoft's CDN, and no page loads another site's script", () => {
  const officeJs = "https://appsforoffice.microsoft.com/lib/1/hosted/office.js";
  for (const page of readdirSync(pane).filter((f) => f.endsWith(".html"))) {
    const html = readFileSync(join(pane, page), "utf8");
    const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
    for (const src of scripts.filter((s) => /^(https?:)?\/\//.test(s))) assert.equal(src, officeJs, `${page} loads ${src}`);
    if (page === "taskpane.html" || page === "commands.html") assert.ok(scripts.includes(officeJs), `${page} loads Office.js`);
  }
});

// The Outlook APIs the pane calls, with the Mailbox requirement set each needs (Microsoft's
// Outlook API reference, requirement sets 1.1–1.14), and the manifest's own features.
const MAILBOX_SETS = {
  "context.displayLanguage": "1.1",
  "context.requirements.isSetSupported": "1.1",
  "context.mailbox.item": "1.1",
  "item.subject.getAsync": "1.1",
  "item.body.setSelectedDataAsync": "1.1",
  "item.body.getAsync": "1.3",
  "item.body.setAsync": "1.3",
  "context.officeTheme": "1.14",
};
// Add-in commands need 1.3; a pinnable task pane 1.5.
const MANIFEST_FEATURES = { "add-in commands": "1.3", "SupportsPinning / pinnable": "1.5" };
const newer = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split(".").map(Number));
  return x[0] !== y[0] ? x[0] > y[0] : x[1] > y[1];
};

test("the requirement sets declared are those the pane uses; anything newer is checked before use", () => {
  const host = readFileSync(join(pane, "host.ts"), "utf8");
  // Only host.ts talks to Office.js.
  for (const file of readdirSync(pane, { recursive: true }).filter((f) => f.endsWith(".ts") && f !== "host.ts")) {
    assert.doesNotMatch(readFileSync(join(pane, file), "utf8"), /\bOffice\.(context|onReady)|office\.context/, `${file} calls Office.js (only host.ts may)`);
  }
  const used = new Set();
  for (const m of host.matchAll(/\b(?:office|Office)\.(context(?:\.\w+){1,2})/g)) used.add(m[1].replace(/\.(bodyBackgroundColor|isDarkTheme|themeId)$/, ""));
  for (const m of host.matchAll(/\bthis\.item\.(\w+)\.(\w+)/g)) used.add(`item.${m[1]}.${m[2]}`);
  for (const member of used) assert.ok(member in MAILBOX_SETS, `host.ts uses ${member}: add it with its requirement set to MAILBOX_SETS`);
  const declared = overrides.Requirements.Sets["@_DefaultMinVersion"];
  assert.equal(overrides.Requirements.Sets.Set.map((s) => s["@_Name"]).join(), "Mailbox");
  assert.equal(extension.requirements.capabilities.find((c) => c.name === "Mailbox").minVersion, declared);
  // The declared set is the newest that is needed without a check...
  const needed = [...Object.values(MANIFEST_FEATURES), ...[...used].map((m) => MAILBOX_SETS[m]).filter((v) => !newer(v, declared))];
  assert.equal(needed.reduce((a, b) => (newer(a, b) ? a : b)), declared);
  // ...and every API newer than the base set is checked first, or read as optional.
  const base = officeApp.Requirements.Sets.Set[0]["@_MinVersion"];
  for (const member of used) {
    const set = MAILBOX_SETS[member];
    if (!newer(set, base)) continue;
    const last = member.split(".").pop();
    const guarded = host.includes(`isSetSupported("Mailbox", "${set}")`) || host.includes(`${last}?.`);
    assert.ok(guarded, `${member} needs Mailbox ${set}, newer than the base ${base}: host.ts must check before using it`);
  }
});

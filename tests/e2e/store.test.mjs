// Store readiness against the built pane (docs/store.md): every URL both manifests name
// answers from the served files with the right type; an Outlook without the requirement set
// the template needs is no dead end; the pane fits Outlook's narrowest task pane (320 px).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import XLSX from "xlsx";
import { DEV_BASE, unified, urls, xmlText } from "../../addin/manifests.mjs";
import { axe, browser, leaks, offList, openPane, pane, sandbox, screenshot, skipReason } from "./harness.mjs";

const skip = skipReason();
if (skip && process.env.CI) throw new Error(`the add-in's end-to-end tests cannot run: ${skip}`);

const TYPES = { ".html": /^text\/html/, ".png": /^image\/png/, ".js": /javascript/ };

describe("store readiness of the built pane", { skip }, () => {
  let b, graph;
  const dir = join(tmpdir(), `localmerge-e2e-store-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  before(async () => {
    graph = await sandbox();
    b = await browser();
  });
  after(async () => {
    await b?.close();
    graph?.stop();
  });

  test("every URL of both manifests answers, with its type", async () => {
    const site = await pane({ mode: "sandbox", graphUrl: graph.url });
    const origin = new URL(site.url).origin;
    const named = [...urls(xmlText()), ...urls(JSON.stringify(unified()))].filter((u) => u.startsWith(`${DEV_BASE}/`));
    assert.ok(named.length >= 8, named.join(" "));
    for (const url of named) {
      const path = new URL(url).pathname;
      const r = await fetch(origin + path);
      assert.equal(r.status, 200, url);
      const ext = path.slice(path.lastIndexOf("."));
      assert.match(r.headers.get("content-type") ?? "", TYPES[ext] ?? /./, url);
      assert.ok((await r.arrayBuffer()).byteLength > 0, url);
    }
    site.stop();
  });

  test("an Outlook without Mailbox 1.3 gets the pane's own editor, and still previews", async () => {
    const rows = [["Email", "First Name"], ["olga.qx@example.org", "Olgaqz"], ["piet.qx@example.org", "Pietqz"]];
    const ws = XLSX.utils.aoa_to_sheet(rows);
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, ws, "List");
    const file = join(dir, "older.xlsx");
    XLSX.writeFile(wb, file);
    const site = await pane({ mode: "sandbox", graphUrl: graph.url });
    // Outlook 2013's add-ins: Mailbox 1.1, no body to read from the compose form.
    const office = { language: "en-US", mailbox: "1.1", subject: "ignored", body: "<p>ignored</p>" };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    assert.match(await page.textContent("#from-item"), /does not let add-ins read the message/);
    assert.ok(await page.isVisible("#editor-fields"), "the pane's editor stands in");
    await page.fill("#subject", "Hello {{First Name}}");
    await page.click("#editor");
    await page.keyboard.type("Dear {{First Name}}");
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "2");
    assert.match(await page.frameLocator("#preview").locator("body").textContent(), /Dear Olgaqz/);
    assert.deepEqual(await axe(page), []);
    assert.deepEqual(leaks(requests, graph.host, ["Olgaqz", "Pietqz", "olga.qx@example.org"]), []);
    assert.deepEqual(offList(requests, { "Microsoft Graph": [graph.host], "Static host": [site.host], "Office's CDN": ["appsforoffice.microsoft.com"] }), []);
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });

  test("at 320 px, Outlook's narrowest pane, nothing needs a sideways scroll", async () => {
    const site = await pane({ mode: "sandbox", graphUrl: graph.url });
    const office = { language: "fr-FR", subject: "Bonjour {{First Name}}", body: "<p>Cher {{First Name}}</p>" };
    const { page, errors, context } = await openPane(b, site.url, { office, viewport: { width: 320, height: 900 } });
    const rows = [["Email", "First Name"], ["olga.qx@example.org", "Olgaqz"]];
    const ws = XLSX.utils.aoa_to_sheet(rows);
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, ws, "List");
    const file = join(dir, "narrow.xlsx");
    XLSX.writeFile(wb, file);
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "1");
    for (const open of ["#sources summary", "#suppress-box summary", "#settings summary"]) await page.click(open);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} (${Math.round(e.getBoundingClientRect().right)} px)`),
    );
    assert.deepEqual(wide, [], "elements beyond the pane's right edge");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    assert.deepEqual(await axe(page), []);
    await screenshot(page, "9-narrow-settings");
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });
});

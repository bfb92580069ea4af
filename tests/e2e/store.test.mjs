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

/** Olga and Piet (or the first `n` of them) as a one-sheet workbook written to `file`. */
function people(file, n = 2) {
  const rows = [["Email", "First Name"], ["olga.qx@example.org", "Olgaqz"], ["piet.qx@example.org", "Pietqz"]].slice(0, n + 1);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), "List");
  XLSX.writeFile(wb, file);
  return file;
}

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
    const file = people(join(dir, "older.xlsx"));
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
    const file = people(join(dir, "narrow.xlsx"), 1);
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "1");
    for (const open of ["#sources summary", "#suppress-box summary"]) await page.click(open);
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getClientRects().length > 0 && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
        .map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""} (${Math.round(e.getBoundingClientRect().right)} px)`),
    );
    assert.deepEqual(wide, [], "elements beyond the pane's right edge");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth));
    assert.deepEqual(await axe(page), []);
    await screenshot(page, "9-narrow");
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });

  test("with the keyboard alone: pick a file, step through the preview, reach Send; in high contrast too", async () => {
    const file = people(join(dir, "keyboard.xlsx"));
    const site = await pane({ mode: "sandbox", graphUrl: graph.url });
    const office = { language: "en-US", subject: "Hello {{First Name}}", body: "<p>Dear {{First Name}}</p>" };
    const { page, errors, context } = await openPane(b, site.url, { office });
    // Listening from the start lets playwright intercept the chooser before any key is pressed.
    const choosers = [];
    page.on("filechooser", (c) => choosers.push(c));
    await page.waitForTimeout(200);
    /** Presses Tab until `selector` has the focus; the ids passed on the way. */
    const tabTo = async (selector, most = 60) => {
      const seen = [];
      for (let i = 0; i < most; i++) {
        await page.keyboard.press("Tab");
        const here = await page.evaluate((sel) => {
          const a = document.activeElement;
          return { id: a?.id || a?.tagName.toLowerCase() || "", match: Boolean(a?.matches(sel)) };
        }, selector);
        seen.push(here.id);
        if (here.match) return seen;
      }
      throw new Error(`Tab never reached ${selector}: ${seen.join(" ")}`);
    };
    // The drop zone's button opens the file chooser with Enter.
    await tabTo("#pick");
    await page.keyboard.press("Enter");
    for (let i = 0; i < 100 && choosers.length === 0; i++) await page.waitForTimeout(100);
    assert.equal(choosers.length, 1, "Enter on the button opened the file chooser");
    await choosers[0].setFiles(file);
    await page.waitForFunction(() => document.body.dataset.messages === "2");
    // The preview's Next, with Space; then on to Send, past every control of the steps.
    await tabTo("#next");
    await page.keyboard.press("Space");
    await page.waitForFunction(() => /Message 2 of 2/.test(document.querySelector("#position")?.textContent ?? ""));
    const onTheWay = await tabTo("#send");
    assert.ok(["test", "fluent-radio", "from"].every((c) => onTheWay.includes(c)), onTheWay.join(" "));
    // The send modes are one radio group: arrows move within it.
    await page.focus("fluent-radio[value=now]");
    await page.keyboard.press("ArrowDown");
    assert.equal(await page.evaluate(() => document.querySelector("#mode").value), "schedule");
    assert.ok(await page.isVisible("#when-row"));
    // Windows high contrast: the system's colours, still clean for axe.
    await page.emulateMedia({ forcedColors: "active" });
    assert.deepEqual(await axe(page), []);
    await screenshot(page, "10-high-contrast");
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });
});

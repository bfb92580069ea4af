// The add-in end to end, in Debian's Chromium: the task pane over the WebAssembly core, an
// Office.js stand-in for Outlook's compose window, the Graph sandbox and the licensing
// server. Every test also proves privacy: no spreadsheet value, rendered text or address
// goes to any host but Graph.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import XLSX from "xlsx";
import { axe, browser, dist, identityProvider, leaks, licensing, offList, openPane, pane, sandbox, screenshot, skipReason, telemetryReports } from "./harness.mjs";

const skip = skipReason();
if (skip && process.env.CI) throw new Error(`the add-in's end-to-end tests cannot run: ${skip}`);

/** A workbook of `n` good rows, one bad address and one duplicate; values no request may carry. */
function workbook(n, file) {
  const rows = [["Email", "First Name", "City", "Amount"]];
  for (let i = 1; i <= n; i++) rows.push([`guest${i}.qx@example.org`, `Zephyrine${i}q`, `Vallorbe${i}z`, 1000 + i / 4]);
  rows.push(["not-an-address", "Brokenrow", "Nowhere", 1]);
  rows.push(["guest1.qx@example.org", "Twicerow", "Again", 2]);
  const ws = XLSX.utils.aoa_to_sheet(rows);
  for (let r = 2; r <= rows.length; r++) if (ws[`D${r}`]) ws[`D${r}`].z = "#,##0.00";
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, "Guests");
  XLSX.writeFile(wb, file);
  const secrets = rows.slice(1).flatMap((r) => [r[0], r[1], r[2]]).filter((s) => s.length > 6);
  return { file, secrets };
}

/**
 * A workbook of orders below a title row (the header on row 3), several per customer; one
 * customer is a colleague (the sandbox tenant's domain), the others external.
 */
function ordersWorkbook() {
  const rows = [["Orders of the quarter"], [], ["Email", "Customer", "Item", "Amount"]];
  const customers = [["olwen.qx@example.org", "Olwenqa"], ["pim.qx@example.net", "Pimqb"], ["colleague.qx@sandbox.localmerge.test", "Colleaguez"]];
  const items = ["Lanternqz", "Compassqz", "Ropeqz", "Kettleqz", "Tarpqz"];
  for (let i = 0; i < items.length; i++) {
    const [email, name] = customers[i % customers.length];
    rows.push([email, name, items[i], 10 * (i + 1)]);
  }
  const ws = XLSX.utils.aoa_to_sheet(rows);
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, "Orders");
  const bytes = XLSX.write(wb, { type: "buffer", bookType: "xlsx" });
  return { bytes, secrets: [...customers.flat(), ...items] };
}

/** The user's Outlook contacts: two in the category "Customers". */
const CONTACTS = [
  { givenName: "Quintessa", surname: "Qxcontact", emailAddresses: [{ address: "quintessa.qx@example.com" }], categories: ["Customers"] },
  { givenName: "Rutherford", surname: "Qxcontact", emailAddresses: [{ address: "rutherford.qx@example.com" }], categories: ["customers", "VIP"] },
  { givenName: "Sabinella", surname: "Qxcontact", emailAddresses: [{ address: "sabinella.qx@example.com" }], categories: ["Partners"] },
];

/** An address the sandbox bounces (a non-delivery report comes back). */
const GONE = "gone.qx@example.org";

/** The license requests to `base`, each asserted to carry no body (only its bearer token). */
function bodilessTo(requests, base) {
  const to = requests.filter((r) => r.url.startsWith(base) && !r.url.endsWith("/v1/telemetry"));
  for (const r of to) assert.ok(!r.body || r.body.length === 0, `${r.url} had a body`);
  return to;
}


async function send(page, expectTotal, { reloadAfter } = {}) {
  const before = await page.evaluate(() => document.body.dataset.campaign);
  await page.click("#send");
  // The pane shows its state as attributes: wait on them, not on words.
  await page.waitForFunction((id) => document.body.dataset.campaign !== id && ["running", "done"].includes(document.body.dataset.phase), before);
  if (reloadAfter !== undefined) {
    await page.waitForFunction((n) => Number(document.body.dataset.sent) >= n, reloadAfter);
    return;
  }
  await page.waitForSelector("body[data-phase=done]", { timeout: 120_000 });
  assert.ok(await page.isVisible("#report"));
  assert.match(await page.textContent("#report-text"), new RegExp(`${expectTotal} `));
}

/** The usage reports once `n` have been made (they are sent after a campaign ends, unawaited). */
async function reportsOnceThere(requests, base, n) {
  for (let i = 0; i < 100 && telemetryReports(requests, base).length < n; i++) await new Promise((r) => setTimeout(r, 100));
  return telemetryReports(requests, base);
}

describe("the Outlook add-in", { skip }, () => {
  let b, graph, idp, lic;
  /** docs/network.md's roles, as this test's hosts play them. */
  const roles = (site) => ({ "Microsoft Graph": [graph.host], "Static host": [site.host], "Licensing host": [lic.host], "Office's CDN": ["appsforoffice.microsoft.com"] });
  const dir = join(tmpdir(), `localmerge-e2e-${process.pid}`);
  mkdirSync(dir, { recursive: true });

  const orders = ordersWorkbook();

  before(async () => {
    [graph, idp] = await Promise.all([sandbox({ perMinute: 600, files: { "Orders Q4.xlsx": orders.bytes }, contacts: CONTACTS, bounce: [GONE] }), identityProvider()]);
    lic = await licensing(idp);
    b = await browser();
  });
  after(async () => {
    await b?.close();
    graph?.stop();
    lic?.stop();
    idp?.stop();
  });

  test("pick a file, fix the template, preview, send 100 once each, reload mid-campaign", async () => {
    const { file, secrets } = workbook(100, join(dir, "guests.xlsx"));
    // Signed in, without a seat: the licensing server says "free plan".
    const licensingToken = idp.token("t-e2e", "o-free");
    const site = await pane({ mode: "sandbox", graphUrl: graph.url, licensingUrl: lic.url, perMinute: 600, licensingToken });
    const office = {
      language: "en-US",
      subject: "Hello {{First Name}}",
      body: "<p>Dear {{First <b>Name</b>}},</p><p>See you in {{Citty}}. Your balance: {{Amount}}.</p>",
    };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    const violations = [];
    violations.push(...(await axe(page)));

    // 1. The template: a token split by formatting is found and mended.
    await page.waitForSelector("#fix-tokens");
    await screenshot(page, "1-template");
    await page.click("#fix-tokens");
    await page.waitForSelector("#fix-tokens", { state: "detached" });

    // 2. The data: the sheet is read in the page; the unknown column gets its fix.
    await page.setInputFiles("#file", file);
    await page.waitForSelector("#fix-column");
    assert.match(await page.textContent("#template-problems"), /Citty.*did you mean "City"/);
    await page.click("#fix-column");
    await page.waitForSelector("#fix-column", { state: "detached" });
    const body = await page.evaluate(() => JSON.parse(sessionStorage.getItem("office-stub")).body);
    assert.equal(body, "<p>Dear {{First Name}},</p><p>See you in {{City}}. Your balance: {{Amount}}.</p>");
    await page.waitForSelector("#problems:not([hidden])");
    const problems = await page.textContent("#problems");
    assert.match(problems, /102.*invalid address "not-an-address"/s);
    assert.match(problems, /103.*duplicate/is);
    assert.match(await page.textContent("#data-summary"), /100 messages ready/);
    violations.push(...(await axe(page)));
    await screenshot(page, "2-recipients");

    // 3. Preview: exactly what will be sent, footer included on the free plan.
    assert.match(await page.textContent("#position"), /Message 1 of 100/);
    await page.click("#next");
    assert.match(await page.textContent("#position"), /Message 2 of 100/);
    assert.match(await page.textContent("#envelope"), /guest2\.qx@example\.org.*Hello Zephyrine2q/s);
    const frame = page.frameLocator("#preview");
    assert.match(await frame.locator("body").textContent(), /Dear Zephyrine2q,.*Vallorbe2z.*1,000\.50.*Sent with localmerge/s);
    assert.match(await page.textContent("#plan"), /Free plan/);
    violations.push(...(await axe(page)));
    await screenshot(page, "3-preview");

    // Send a test to me: only the signed-in user gets it.
    await page.click("#test");
    await page.waitForFunction(() => /was sent to/.test(document.querySelector("#test-status")?.textContent ?? ""));
    assert.equal(await page.textContent("#test-status"), "A test of message 2 (row 3) was sent to me@sandbox.localmerge.test.");
    let delivered = await graph.deliveries();
    assert.equal(delivered.length, 1);
    assert.deepEqual(delivered[0].to, ["me@sandbox.localmerge.test"]);
    assert.match(delivered[0].subject, /^\[Test\] Hello Zephyrine2q$/);

    // 4. Send: refused until the problem rows are acknowledged; then sent, and the page is
    // reloaded mid-campaign (Outlook closed) — it resumes from its journal.
    await page.click("#send");
    await page.waitForFunction(() => /rows have problems/.test(document.querySelector("#send-error")?.textContent ?? ""));
    await page.click("#skip-problems");
    await send(page, 100, { reloadAfter: 25 });
    violations.push(...(await axe(page)));
    await screenshot(page, "4-sending");
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    // The pane is ready before it has looked for an unfinished campaign.
    // It names the campaign's own counts (rows left out are not counted).
    await page.waitForSelector("body[data-phase=running]");
    assert.match(await page.textContent("#banner"), /was interrupted: \d+ of 100 sent/);
    await page.waitForSelector("body[data-phase=done]", { timeout: 120_000 });
    assert.match(await page.textContent("#report-text"), /Done: 100 sent, 0 failed, 2 skipped/);
    assert.match(await page.textContent("#banner"), /was interrupted, then resumed where it stopped/);
    violations.push(...(await axe(page)));
    await screenshot(page, "5-report");

    delivered = (await graph.deliveries()).slice(1);
    const to = delivered.map((d) => d.to[0]).sort();
    assert.equal(delivered.length, 100, "every row delivered once");
    assert.equal(new Set(to).size, 100, "no row delivered twice");
    for (let i = 1; i <= 100; i++) assert.ok(to.includes(`guest${i}.qx@example.org`), `guest${i}`);
    const d7 = delivered.find((d) => d.to[0] === "guest7.qx@example.org");
    assert.equal(d7.subject, "Hello Zephyrine7q");
    assert.match(d7.body, /Dear Zephyrine7q,.*Vallorbe7z.*1,001\.75.*Sent with/s);

    // The report downloads as CSV.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const csv = await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c).toString());
    assert.match(csv, /^row,status,reason\r\n2,sent,\r\n/);
    assert.match(csv, /\r\n102,skipped,"Email: invalid address ""not-an-address""/);
    assert.equal(csv.match(/,sent,/g).length, 100);

    assert.deepEqual(leaks(requests, graph.host, secrets), []);
    assert.deepEqual(offList(requests, roles(site)), []);
    const toLicensing = bodilessTo(requests, lic.url);
    assert.ok(toLicensing.some((r) => r.url.endsWith("/v1/license/check")), "the licensing server was asked");
    // The usage counts went to the licensing host without a token: the campaign, once, its
    // 100 messages whether counted before or after the reload, nothing about anyone.
    const reports = await reportsOnceThere(requests, lic.url, 1);
    await page.waitForTimeout(500);
    const total = (name) => telemetryReports(requests, lic.url).reduce((n, r) => n + (r.counts[name] ?? 0), 0);
    assert.ok(reports.length >= 1);
    assert.deepEqual([total("campaigns_started"), total("campaigns_finished"), total("messages_sent")], [1, 1, 100]);
    for (const r of reports) assert.deepEqual([r.version, r.platform, r.day], ["0.1.0", "OfficeOnline", new Date().toISOString().slice(0, 10)]);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });

  test("a licensed user in French sends without the footer, even while licensing is down", async () => {
    const { file, secrets } = workbook(3, join(dir, "three.xlsx"));
    await lic.buy("t-e2e", "o-buyer");
    const token = idp.token("t-e2e", "o-buyer");
    const config = { mode: "sandbox", graphUrl: graph.url, licensingUrl: lic.url, perMinute: 600, licensingToken: token };
    const site = await pane(config);
    const office = { language: "fr-FR", dark: true, subject: "Bonjour {{First Name}}", body: "<p>Montant : {{Amount}}</p>" };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    assert.match(await page.textContent("#plan"), /Licence active/);
    assert.match(await page.textContent("#h-data"), /Destinataires/);
    // The user turns the usage counts off: nothing is sent for this campaign.
    await page.click("#settings summary");
    assert.equal(await page.isChecked("#telemetry-setting"), true);
    await page.click("#telemetry-setting");
    assert.equal(await page.evaluate(() => localStorage.getItem("localmerge.telemetry-off")), "1");
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "3");
    assert.match(await page.textContent("#data-summary"), /3 messages prêts/);
    // The column picker inserts a field at Outlook's cursor.
    await page.selectOption("#column-pick", "City");
    await page.click("#insert");
    await page.waitForFunction(() => JSON.parse(sessionStorage.getItem("office-stub")).body.includes("{{City}}"));
    assert.equal(await page.evaluate(() => JSON.parse(sessionStorage.getItem("office-stub")).body), "<p>Montant : {{Amount}}{{City}}</p>");
    // The checks speak French too.
    assert.match(await page.textContent("#problems"), /adresse invalide « not-an-address ».*destinataire en double guest1\.qx@example\.org \(déjà à la ligne 2\)/s);
    const html = await page.frameLocator("#preview").locator("body").innerHTML();
    assert.match(html, /Montant : 1\u202f000,25/);
    assert.doesNotMatch(html, /localmerge/);
    const violations = await axe(page);
    await screenshot(page, "6-french-dark");
    await page.click("#skip-problems");
    // Sent as the team's shared mailbox (the signed-in user has Send As rights on it).
    await page.fill("#from", "team@sandbox.localmerge.test");
    assert.match(await page.textContent("#account"), /Envoi depuis team@sandbox\.localmerge\.test, connecté en tant que me@/);
    const before = (await graph.deliveries()).length;
    await send(page, 3);
    assert.match(await page.textContent("#report-text"), /Terminé : 3 envoyés/);
    const mine = (await graph.deliveries()).slice(before);
    assert.equal(mine.length, 3);
    for (const d of mine) assert.doesNotMatch(d.body, /localmerge/);
    for (const d of mine) assert.equal(d.from, "team@sandbox.localmerge.test");

    // Licensing down: the kept statement still holds.
    lic.stop();
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    assert.match(await page.textContent("#plan"), /Licence active/);

    // The licensing server only ever received the bearer token, and no usage report.
    assert.ok(bodilessTo(requests, lic.url).length > 0);
    assert.deepEqual(telemetryReports(requests, lic.url), []);
    assert.equal(await page.isChecked("#telemetry-setting"), false, "the setting is kept");
    assert.deepEqual(leaks(requests, graph.host, secrets), []);
    assert.deepEqual(offList(requests, roles(site)), []);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });

  test("the pane loads only the module that reads and previews; a list fetches the send module, an ods or xls file the one that reads every format, each once", async () => {
    // The module the pane loads cannot make a request: none of the page's network API is imported.
    const network = (name) => WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(join(dist, `${name}_bg.wasm`)))).filter((i) => /fetch|headers/i.test(i.name));
    assert.deepEqual(network("localmerge_addin"), []);
    assert.ok(network("localmerge_addin_send").length > 0, "the send module fetches");
    const xlsx = workbook(3, join(dir, "formats.xlsx"));
    const ods = workbook(3, join(dir, "formats.ods"));
    const xls = workbook(3, join(dir, "formats.xls"));
    const site = await pane({ mode: "sandbox", graphUrl: graph.url, licensingUrl: lic.url, perMinute: 600 });
    const office = { language: "en-US", subject: "Formats {{First Name}}", body: "<p>{{City}}</p>" };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    const fetched = () => requests.filter((r) => /localmerge_addin_full_bg\.wasm$/.test(r.url)).length;
    const sendModule = () => requests.filter((r) => /localmerge_addin_send_bg\.wasm$/.test(r.url)).length;
    assert.equal(sendModule() + fetched(), 0, "the pane opens with the first module alone");
    assert.equal(requests.filter((r) => new URL(r.url).pathname.endsWith("/organization")).length, 0, "nothing asked of the tenant before a list is opened");
    const pick = async (file) => {
      await page.setInputFiles("#file", file);
      const name = file.split("/").pop();
      await page.waitForFunction((n) => (document.querySelector("#file-name")?.textContent ?? "").startsWith(n), name);
      await page.waitForFunction(() => /3 messages ready/.test(document.querySelector("#data-summary")?.textContent ?? ""));
    };
    await pick(xlsx.file);
    assert.equal(fetched(), 0, "an xlsx file is read by the module the pane loads");
    // The send module is fetched once a list is open, ahead of the send (and asks for the tenant's domains).
    await page.waitForFunction(() => performance.getEntriesByType("resource").some((e) => e.name.endsWith("localmerge_addin_send_bg.wasm")));
    assert.equal(sendModule(), 1);
    await pick(ods.file);
    assert.equal(fetched(), 1, "an ods file fetches the full module");
    assert.match(await page.frameLocator("#preview").locator("body").innerHTML(), /Vallorbe1z/);
    await pick(xls.file);
    assert.equal(fetched(), 1, "the full module is fetched once");
    assert.equal(sendModule(), 1, "the send module is fetched once");
    // A campaign from the full module sends like any other.
    await page.click("#skip-problems");
    const before = (await graph.deliveries()).length;
    await send(page, 3);
    const mine = (await graph.deliveries()).slice(before).filter((d) => d.subject.startsWith("Formats"));
    assert.deepEqual(mine.map((d) => d.to[0]).sort(), ["guest1.qx@example.org", "guest2.qx@example.org", "guest3.qx@example.org"]);
    assert.deepEqual(leaks(requests, graph.host, [...ods.secrets, ...xls.secrets]), []);
    assert.deepEqual(offList(requests, roles(site)), []);
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });

  test("pause holds the campaign, resume ends it exactly once; drafts for review send nothing", async () => {
    const { file, secrets } = workbook(6, join(dir, "six.xlsx"));
    // One message a second, so the campaign is still going when it is paused.
    const site = await pane({ mode: "sandbox", graphUrl: graph.url, licensingUrl: lic.url, perMinute: 60 });
    const office = { language: "en-US", subject: "Pause test {{First Name}}", body: "<p>{{City}}</p>" };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    const mine = async () => (await graph.deliveries()).filter((d) => d.subject.startsWith("Pause test"));
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "6");
    assert.match(await page.textContent("#data-summary"), /6 messages ready/);
    await page.click("#skip-problems");
    await send(page, 6, { reloadAfter: 1 });
    await page.click("#pause");
    await page.waitForSelector("body[data-phase=paused]");
    assert.match(await page.textContent("#progress-note"), /Paused/);
    assert.ok(await page.isVisible("#resume"));
    const atPause = (await mine()).length;
    assert.ok(atPause < 6, `paused after ${atPause} of 6`);
    // A request already on its way may still land; nothing new starts while paused.
    await new Promise((r) => setTimeout(r, 2500));
    const held = (await mine()).length;
    assert.ok(held <= atPause + 1, `${held - atPause} sent while paused`);
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal((await mine()).length, held, "nothing is sent while paused");
    // Closed while paused: reopened, the pane shows the campaign's own counts and waits.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    await page.waitForSelector("body[data-phase=paused]");
    assert.match(await page.textContent("#banner"), new RegExp(`is paused: ${held} of 6 sent`));
    assert.ok(await page.isVisible("#resume"));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await mine()).length, held, "a paused campaign stays paused when reopened");
    await page.click("#resume");
    await page.waitForSelector("body[data-phase=done]", { timeout: 60_000 });
    assert.match(await page.textContent("#report-text"), /Done: 6 sent, 0 failed, 2 skipped/);
    const to = (await mine()).map((d) => d.to[0]);
    assert.equal(to.length, 6);
    assert.equal(new Set(to).size, 6, "no row delivered twice");
    // The reopened pane has no file yet: pick it again for the next campaign.
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "6");
    assert.match(await page.textContent("#data-summary"), /6 messages ready/);
    await page.click("#skip-problems");

    // Drafts for review: every message becomes a draft in the mailbox; none is sent.
    const before = { delivered: (await graph.deliveries()).length, drafts: (await graph.stats()).drafts_created };
    await page.click('fluent-radio[value="drafts"]');
    const first = await page.evaluate(() => document.body.dataset.campaign);
    await page.click("#send");
    // The first campaign's report stays until the new one starts: wait for the drafts' own.
    await page.waitForFunction((id) => document.body.dataset.phase === "done" && document.body.dataset.campaign !== id, first, { timeout: 60_000 });
    assert.match(await page.textContent("#report-text"), /Done: 6 drafts created, 0 failed, 2 skipped/);
    assert.equal((await graph.deliveries()).length, before.delivered, "drafts are not sent");
    assert.equal((await graph.stats()).drafts_created - before.drafts, 6);

    assert.deepEqual(leaks(requests, graph.host, secrets), []);
    assert.deepEqual(offList(requests, roles(site)), []);
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });
  test("after the send: a reply, a bounce and an unsubscribe come back into the report and the do-not-contact list", async () => {
    const rows = [["Email", "First Name"], ["ulla.qx@example.org", "Ullaqz"], [GONE, "Gonezq"], ["rhea.qx@example.org", "Rheaqz"], ["otto.qx@example.org", "Ottoqz"]];
    const file = join(dir, "after.xlsx");
    const wb = XLSX.utils.book_new();
    XLSX.utils.book_append_sheet(wb, XLSX.utils.aoa_to_sheet(rows), "People");
    XLSX.writeFile(wb, file);
    const secrets = rows.slice(1).flat();
    const site = await pane({ mode: "sandbox", graphUrl: graph.url, licensingUrl: lic.url });
    const office = { language: "en-US", subject: "After test {{First Name}}", body: "<p>Hi {{First Name}}</p><p>{{unsubscribe}}</p>" };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    assert.ok(await page.isHidden("#step-after"), "nothing to check before a campaign");
    await page.setInputFiles("#file", file);
    await page.waitForFunction(() => document.body.dataset.messages === "4");
    // The preview links to the user's mailbox, naming no campaign yet.
    assert.match(await page.getAttribute("#preview", "srcdoc"), /mailto:me@sandbox\.localmerge\.test\?subject=Unsubscribe%20%5Bpreview%2F2%5D/);
    await send(page, 4);
    const id = await page.evaluate(() => document.body.dataset.campaign);
    const mine = (await graph.deliveries()).filter((d) => d.subject.startsWith("After test"));
    assert.equal(mine.length, 4);
    const to = (who) => mine.find((d) => d.to[0] === who);
    const link = `<a href="mailto:me@sandbox.localmerge.test?subject=Unsubscribe%20%5B${id}%2F2%5D">Unsubscribe</a>`;
    assert.ok(to("ulla.qx@example.org").body.includes(link), to("ulla.qx@example.org").body);
    // What comes back: Rhea replies, Otto is away, Ulla follows the link; Gone bounced.
    await graph.receive({ from: "rhea.qx@example.org", subject: "RE: After test Rheaqz", body: "Thanks", replyTo: to("rhea.qx@example.org").id });
    await graph.receive({ from: "otto.qx@example.org", subject: "Automatic reply", body: "Away", replyTo: to("otto.qx@example.org").id, class: "IPM.Note.Rules.OofTemplate.Microsoft" });
    await graph.receive({ from: "Ulla.QX@example.org", subject: `Unsubscribe [${id}/2]`, body: "" });
    assert.ok(await page.isVisible("#step-after"));
    const checked = async () => {
      const before = await page.textContent("#replies-text");
      await page.click("#check-replies");
      await page.waitForFunction((old) => {
        const text = document.getElementById("replies-text").textContent;
        return text !== old && !/…$|^$/.test(text);
      }, before);
      return page.textContent("#replies-text");
    };
    assert.match(await checked(), /4 sent\. New since the last check: 1 replied, 1 bounced, 1 unsubscribed\. 1 added to your do-not-contact list/);
    const got = await page.evaluate(() => ({ ...document.body.dataset }));
    assert.deepEqual([got.replied, got.bounced, got.unsubscribed], ["1", "1", "1"]);
    assert.match(await page.inputValue("#suppress-list"), /^ulla\.qx@example\.org$/m);
    await screenshot(page, "8-after");
    // The report names each row's response.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#after-download")]);
    const csv = await (await download.createReadStream()).toArray().then((c) => Buffer.concat(c).toString());
    assert.deepEqual(csv.trim().split("\r\n").slice(1).map((l) => l.split(",").slice(0, 2).join(" ")), ["2 unsubscribed", "3 bounced", "4 replied", "5 sent"]);
    // And as a workbook: the list itself with the outcome beside each row, made by a module
    // fetched only for it.
    const reportModule = () => requests.filter((r) => /localmerge_addin_report_bg\.wasm$/.test(r.url)).length;
    assert.equal(reportModule(), 0);
    const [xlsx] = await Promise.all([page.waitForEvent("download"), page.click("#after-download-xlsx")]);
    assert.match(xlsx.suggestedFilename(), /^localmerge-report-\d{4}-\d\d-\d\d\.xlsx$/);
    const book = XLSX.read(await (await xlsx.createReadStream()).toArray().then((c) => Buffer.concat(c)), { cellDates: true });
    const sheet = XLSX.utils.sheet_to_json(book.Sheets.People, { header: 1 });
    assert.deepEqual(sheet[0], ["Email", "First Name", "Status", "Sent at", "Message id", "Reason"]);
    assert.deepEqual(sheet.slice(1).map((r) => [r[0], r[2]]), [["ulla.qx@example.org", "unsubscribed"], [GONE, "bounced"], ["rhea.qx@example.org", "replied"], ["otto.qx@example.org", "sent"]]);
    assert.ok(sheet[1][3] instanceof Date, "Sent at is a date-time cell");
    assert.equal(reportModule(), 1);
    // Checked again, nothing is new; reopened, the pane still offers the check.
    assert.match(await checked(), /New since the last check: 0 replied, 0 bounced, 0 unsubscribed\.$/);
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    assert.ok(await page.isVisible("#step-after"));
    assert.match(await page.textContent("#after-text"), /After test \{\{First Name\}\}/);
    // A follow-up: the message being written goes as a reply in each conversation that got
    // no answer — Otto's (away is not an answer) — and to nobody who replied, bounced or left.
    await page.evaluate(
      () =>
        new Promise((done) =>
          Office.context.mailbox.item.subject.setAsync("Following up, {{First Name}}", () =>
            Office.context.mailbox.item.body.setAsync("<p>Any thoughts, {{First Name}}?</p>", { coercionType: "html" }, done),
          ),
        ),
    );
    await page.fill("#followup-days", "0");
    await page.click("#follow-up");
    await page.waitForFunction((first) => document.body.dataset.phase === "done" && document.body.dataset.campaign !== first, id, { timeout: 60_000 });
    assert.match(await page.textContent("#followup-text"), /Following up 1 messages; 3 answered, 0 not due yet/);
    const follow = (await graph.deliveries()).filter((d) => d.subject.startsWith("Following up"));
    assert.deepEqual(follow.map((d) => [d.to, d.subject, d.in_reply_to, d.conversation]), [[["otto.qx@example.org"], "Following up, Ottoqz", to("otto.qx@example.org").id, to("otto.qx@example.org").conversation]]);
    assert.match(follow[0].body, /Any thoughts, Ottoqz\?/);
    // The last campaign is now the follow-up: another one is due only a day after it.
    await page.fill("#followup-days", "1");
    await page.click("#follow-up");
    await page.waitForFunction(() => /No follow-up to send now: 0 answered, 1 not due yet/.test(document.getElementById("followup-text").textContent));
    assert.equal((await graph.deliveries()).filter((d) => d.subject.startsWith("Following up")).length, 1);
    assert.deepEqual(await axe(page), []);
    // Nothing read from the Inbox, no value and no address went anywhere but Graph.
    assert.deepEqual(leaks(requests, graph.host, [...secrets, "Thanks", "Away"]), []);
    assert.deepEqual(offList(requests, roles(site)), []);
    assert.deepEqual(errors, []);
    await context.close();
    site.stop();
  });

  test("a OneDrive workbook below a title row, one message per customer, planned against the daily budgets; then Outlook contacts", async () => {
    const site = await pane({ mode: "sandbox", graphUrl: graph.url, perMinute: 600 });
    const office = {
      language: "en-US",
      subject: "Your {{count rows}} orders, {{Customer}}",
      body: '<p>Dear {{Customer}},</p>{{#each rows}}<p>{{Item}}: {{Amount}}</p>{{/each}}<p>Total: {{sum rows "Amount"}}</p>',
    };
    const { page, requests, errors, context } = await openPane(b, site.url, { office });
    const violations = [];

    // Search the user's OneDrive, open the workbook: its bytes come from Graph's download link.
    await page.click("#sources summary");
    await page.fill("#drive-query", "orders");
    await page.click("#drive-find");
    await page.waitForSelector("#drive-results button.file");
    assert.match(await page.textContent("#drive-heading"), /1 spreadsheets found/);
    await page.click("#drive-results button.file");
    await page.waitForFunction(() => /Orders Q4\.xlsx/.test(document.querySelector("#file-name")?.textContent ?? ""));
    // The title row is not a header: the list starts on row 3.
    await page.fill("#header-row", "3");
    await page.locator("#header-row").blur();
    await page.waitForFunction(() => [...document.querySelectorAll("#group-by option")].some((o) => o.value === "Customer"));
    // Without grouping, {{#each rows}} is refused with its fix; one message per customer renders it.
    await page.selectOption("#group-by", "Email");
    await page.waitForFunction(() => document.body.dataset.messages === "3");
    const frame = page.frameLocator("#preview");
    assert.match(await frame.locator("body").textContent(), /Dear Olwenqa,\s*Lanternqz: 10\s*Kettleqz: 40\s*Total: 50/);
    assert.match(await page.textContent("#envelope"), /Your 2 orders, Olwenqa/);

    // The do-not-contact list (kept in this browser): a listed domain's message is left out.
    await page.click("#suppress-box summary");
    await page.fill("#suppress-list", "@EXAMPLE.net\nnot an entry");
    await page.locator("#suppress-list").blur();
    await page.waitForFunction(() => document.body.dataset.messages === "2");
    assert.match(await page.textContent("#data-summary"), /1 rows left out: on the do-not-contact list/);
    assert.match(await page.textContent("#suppress-errors"), /line 2: "not an entry"/);
    await page.fill("#suppress-list", "");
    await page.locator("#suppress-list").blur();
    await page.waitForFunction(() => document.body.dataset.messages === "3");

    // The plan: 3 recipients, 2 outside the tenant; a lower limit the admin set is remembered.
    await page.waitForFunction(() => document.body.dataset.external === "2");
    assert.match(await page.textContent("#plan-figures"), /3 messages to 3 recipients, 2 outside your organisation.*It fits in one day/);
    await page.fill("#daily-limit", "2");
    await page.locator("#daily-limit").blur();
    await page.waitForFunction(() => document.body.dataset.days === "2");
    assert.match(await page.textContent("#plan-figures"), /2 recipients for your mailbox.*It needs 2 days/);
    violations.push(...(await axe(page)));
    await screenshot(page, "7-onedrive-grouped");
    await page.fill("#daily-limit", "");
    await page.locator("#daily-limit").blur();
    await page.waitForFunction(() => document.body.dataset.days === "1");
    await page.fill("#daily-limit", "9000");
    await page.locator("#daily-limit").blur();

    const before = (await graph.deliveries()).length;
    await send(page, 3);
    const mine = (await graph.deliveries()).slice(before);
    assert.equal(mine.length, 3);
    const olwen = mine.find((d) => d.to[0] === "olwen.qx@example.org");
    assert.match(olwen.body, /Lanternqz: 10.*Kettleqz: 40.*Total: 50/s);
    assert.equal(new Set(mine.map((d) => d.to[0])).size, 3, "one message per customer");

    // Reopened: the file is among the recent ones, and the limit is remembered for this mailbox.
    await page.reload();
    await page.waitForSelector("body[data-ready=true]");
    assert.equal(await page.inputValue("#daily-limit"), "9000");
    await page.click("#sources summary");
    assert.match(await page.textContent("#drive-heading"), /Opened recently/);
    assert.match(await page.textContent("#drive-results"), /Orders Q4\.xlsx/);
    // A sharing link pasted in the search box opens the file it names.
    await page.fill("#drive-query", "https://sandbox-my.sharepoint.com/personal/me/Documents/Orders%20Q4.xlsx");
    await page.click("#drive-find");
    await page.waitForFunction(() => /Orders Q4\.xlsx · Orders/.test(document.querySelector("#file-name")?.textContent ?? ""));
    await page.fill("#drive-query", "https://sandbox-my.sharepoint.com/personal/me/Documents/Gone.xlsx");
    await page.click("#drive-find");
    await page.waitForFunction(() => /\(404\)/.test(document.querySelector("#source-error")?.textContent ?? ""));

    // Outlook contacts in a category, read by the module that reads every source.
    await page.fill("#contacts-category", "Customers");
    await page.click("#contacts-open");
    await page.waitForFunction(() => /Outlook contacts · Customers · 2/.test(document.querySelector("#file-name")?.textContent ?? ""));
    // A new source starts ungrouped: this template's {{#each rows}} is refused until a grouping is chosen.
    assert.equal(await page.inputValue("#group-by"), "");
    await page.waitForFunction(() => document.body.dataset.messages === "0" && document.querySelector("#template-problems")?.textContent !== "");
    assert.match(await page.textContent("#template-problems"), /group the rows by a column first .*One message per/);
    await context.close();

    // A plain template for the contacts.
    const second = await openPane(b, site.url, { office: { language: "en-US", subject: "Hello {{First Name}}", body: "<p>Dear {{First Name}} {{Last Name}}</p>" } });
    await second.page.click("#sources summary");
    await second.page.fill("#contacts-category", "customers");
    await second.page.click("#contacts-open");
    await second.page.waitForFunction(() => document.body.dataset.messages === "2");
    violations.push(...(await axe(second.page)));
    const start = (await graph.deliveries()).length;
    await send(second.page, 2);
    const sent = (await graph.deliveries()).slice(start);
    assert.deepEqual(sent.map((d) => d.to[0]).sort(), ["quintessa.qx@example.com", "rutherford.qx@example.com"]);
    assert.match(sent[0].body, /Dear (Quintessa|Rutherford) Qxcontact/);

    // Workbook values and contacts went only to Graph (the sandbox, which also serves the download link).
    const secrets = [...orders.secrets, "Quintessa", "Rutherford", "Sabinella", "Qxcontact", "quintessa.qx@example.com"];
    assert.deepEqual(leaks([...requests, ...second.requests], graph.host, secrets), []);
    assert.deepEqual(offList([...requests, ...second.requests], roles(site)), []);
    assert.deepEqual([...errors, ...second.errors], []);
    assert.deepEqual(violations, []);
    assert.deepEqual((await graph.stats()).violations, []);
    await second.context.close();
    site.stop();
  });
});

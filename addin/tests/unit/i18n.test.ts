// The pane's words: filled placeholders, French for any `fr` tag, core's problems translated.
import assert from "node:assert/strict";
import { test } from "node:test";

// setLanguage sets the page's `lang`: a page of one element is enough here.
(globalThis as { document?: unknown }).document = { documentElement: { lang: "" } };
const { issueText, setLanguage, t } = await import("../../pane/i18n");

test("placeholders are filled, and a missing argument leaves nothing", () => {
  setLanguage("en-GB");
  assert.equal(t("signedInAs", "ada@contoso.example"), "Sending as ada@contoso.example");
  assert.equal(t("hours", 2, 5), "2 h 5 min");
  assert.doesNotMatch(t("hours", 2), /\{\d\}/);
});

test("any French tag speaks French, and core's problems follow", () => {
  setLanguage("fr-CA");
  assert.equal(t("signedInAs", "ada@contoso.example"), "Envoi depuis ada@contoso.example");
  const issue = { code: "duplicate", args: ["a@b.c", "4"], message: "duplicate recipient a@b.c (already row 4)" };
  assert.equal(issueText(issue), "destinataire en double a@b.c (déjà à la ligne 4)");
  // A problem French does not know keeps core's English.
  assert.equal(issueText({ code: "newProblem", args: [], message: "core's words" }), "core's words");
  setLanguage("de-DE");
  assert.equal(issueText(issue), issue.message);
  assert.equal(t("signIn"), "Sign in");
});

test("counts take the word their number needs, by each language's plural rules", () => {
  setLanguage("en-US");
  assert.equal(t("ready", 1), "1 message ready");
  assert.equal(t("ready", 0), "0 messages ready");
  assert.equal(t("send", "10,000"), "Send 10,000 messages");
  assert.equal(t("problemsCount", 1), "1 row has a problem and will not be sent");
  setLanguage("fr-FR");
  // French's "one" covers 0 and 1.
  assert.equal(t("ready", 1), "1 message prêt");
  assert.equal(t("ready", 0), "0 message prêt");
  assert.equal(t("ready", 2), "2 messages prêts");
  assert.equal(t("send", "10\u202f000"), "Envoyer 10\u202f000 messages");
  assert.match(t("planFigures", 1, 1, 0, 5, 5, ""), /^1 message pour 1 destinataire, dont 0/);
});

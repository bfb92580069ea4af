// Step 1, the message: what is wrong with the template, each with its fix.

import type { BrokenToken, TemplateProblem } from "../../pkg/localmerge_addin.js";
import { t } from "../i18n.js";
import { $, button, paragraph } from "./dom.js";

export interface MessageActions {
  fixTokens(): void;
  useSuggestion(name: string, suggestion: string): void;
}

export function renderMessage(broken: BrokenToken[], error: TemplateProblem | undefined, act: MessageActions): void {
  const problems = $("template-problems");
  problems.replaceChildren();
  if (broken.length > 0) {
    problems.append(paragraph(t("brokenTokens", broken.length, broken[0].text), "problem"), button("fix-tokens", t("fixTokens"), act.fixTokens));
  }
  if (error) {
    problems.append(paragraph(t("templateError", error.message), "problem"));
    const { name, suggestion } = error;
    if (name && suggestion) problems.append(button("fix-column", t("useSuggestion", suggestion), () => act.useSuggestion(name, suggestion)));
  }
}

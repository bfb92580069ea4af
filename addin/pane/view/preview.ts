// Step 3, the preview: one message as it will be sent, in a frame that runs no script.

import type { Message } from "../../pkg/localmerge_addin.js";
import { t } from "../i18n.js";
import { $ } from "./dom.js";

/** The message shown and its body: the module hands over only this one. */
export interface Shown {
  message: Message;
  html: string;
}

/** Message `index` of `count`. */
export function renderPreview(count: number, index: number, shown: Shown | undefined): void {
  $("step-preview").hidden = count === 0;
  const m = shown?.message;
  $("position").textContent = m ? t("position", index + 1, count) : "";
  const dl = $("envelope");
  dl.replaceChildren();
  const frame = $<HTMLIFrameElement>("preview");
  if (!m) {
    frame.srcdoc = "";
    return;
  }
  const field = (label: string, value: string) => {
    if (!value) return;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = value;
    dl.append(dt, dd);
  };
  field(t("to"), m.to.join(", "));
  field(t("cc"), m.cc.join(", "));
  field(t("bcc"), m.bcc.join(", "));
  field(t("subject"), m.subject);
  const doc = `<!doctype html><meta charset="utf-8"><body style="font-family:Segoe UI,sans-serif;font-size:14px">${shown?.html ?? ""}`;
  // The pane re-checks whenever it regains focus: an unchanged message is not reloaded (no flicker).
  if (frame.srcdoc !== doc) frame.srcdoc = doc;
}

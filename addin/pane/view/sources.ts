// The drive files offered in step 2 (found by a search, or opened recently): one button per
// file, with when it last changed.

import type { DriveFile } from "../../pkg/localmerge_addin.js";
import { language } from "../i18n.js";
import { $ } from "./dom.js";

export function renderFiles(heading: string, files: DriveFile[], open: (file: DriveFile) => void): void {
  $("drive-heading").textContent = heading;
  $("drive-results").replaceChildren(
    ...files.map((file) => {
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "file";
      b.dataset.item = file.itemId;
      b.textContent = file.name;
      const when = file.modified ? new Date(file.modified) : undefined;
      if (when && !Number.isNaN(when.getTime())) {
        const small = document.createElement("span");
        small.className = "muted small";
        small.textContent = ` · ${when.toLocaleDateString(language())}`;
        b.append(small);
      }
      b.addEventListener("click", () => open(file));
      li.append(b);
      return li;
    }),
  );
}

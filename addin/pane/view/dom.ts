// The page's elements, found by id (a missing one is a bug in taskpane.html, said at once).

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from taskpane.html`);
  return el as T;
};

/** Fills a select; keeps the chosen value when it is still offered. */
export function options(select: HTMLSelectElement, values: string[], empty: string, keep = true): void {
  const before = select.value;
  select.replaceChildren(
    ...[empty ? new Option(empty, "") : null, ...values.map((v) => new Option(v, v))].filter((o): o is HTMLOptionElement => o !== null),
  );
  if (keep && values.includes(before)) select.value = before;
}

/**
 * A drop zone with its Fluent button: the button opens the (hidden) file input, files
 * dropped on the zone count as picked; `onFiles` gets them either way.
 */
export function dropZone(zone: HTMLElement, pick: HTMLElement, input: HTMLInputElement, onFiles: (files: File[]) => void): void {
  pick.addEventListener("click", () => input.click());
  input.addEventListener("change", () => onFiles([...(input.files ?? [])]));
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    onFiles([...(e.dataTransfer?.files ?? [])]);
  });
}

export function paragraph(text: string, className = ""): HTMLParagraphElement {
  const p = document.createElement("p");
  p.textContent = text;
  p.className = className;
  return p;
}

export function button(id: string, text: string, onClick: () => void): HTMLElement {
  const b = document.createElement("fluent-button");
  b.id = id;
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

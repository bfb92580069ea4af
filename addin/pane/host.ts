// Where the pane lives: inside Outlook (Office.js: the compose item is the template, the
// theme and language are Office's) or in a plain browser (an editor in the pane).

export interface TemplateSource {
  /** Whether the template is the Outlook item (the pane then hides its own editor). */
  readonly inOutlook: boolean;
  subject(): Promise<string>;
  body(): Promise<string>;
  setBody(html: string): Promise<void>;
  /** Inserts text at the cursor of the message body. */
  insert(text: string): Promise<void>;
  /** Called when the user may have changed the template. */
  onChange(listener: () => void): void;
}

export interface HostInfo {
  language: string;
  dark: boolean;
  /** Whether MSAL's nested app authentication can run here. */
  nestedAuth: boolean;
  /**
   * Outlook, but one that cannot read or write the message being composed (Mailbox 1.3,
   * which reading and writing the body need): the pane's own editor stands in.
   */
  olderOutlook: boolean;
  /** Office.js's platform (`OfficeOnline`, `PC`, `Mac`, …); absent outside Office. */
  platform?: string;
  template: TemplateSource;
}

function officeCall<T>(f: (cb: (r: Office.AsyncResult<T>) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    f((r) => (r.status === Office.AsyncResultStatus.Succeeded ? resolve(r.value) : reject(new Error(r.error?.message ?? "Office call failed")))),
  );
}

class OutlookItem implements TemplateSource {
  readonly inOutlook = true;
  private listeners: (() => void)[] = [];
  constructor(private readonly item: Office.MessageCompose) {
    // Outlook has no "body changed" event: the pane re-reads the item when it regains focus.
    window.addEventListener("focus", () => this.listeners.forEach((l) => l()));
  }
  subject(): Promise<string> {
    return officeCall<string>((cb) => this.item.subject.getAsync(cb));
  }
  body(): Promise<string> {
    return officeCall<string>((cb) => this.item.body.getAsync(Office.CoercionType.Html, cb));
  }
  async setBody(html: string): Promise<void> {
    await officeCall<void>((cb) => this.item.body.setAsync(html, { coercionType: Office.CoercionType.Html }, cb));
    this.listeners.forEach((l) => l());
  }
  async insert(text: string): Promise<void> {
    await officeCall<void>((cb) => this.item.body.setSelectedDataAsync(text, { coercionType: Office.CoercionType.Text }, cb));
    this.listeners.forEach((l) => l());
  }
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }
}

/** The pane's own editor: a subject field and a rich-text body. */
class PaneEditor implements TemplateSource {
  readonly inOutlook = false;
  private range: Range | null = null;
  constructor(
    private readonly subjectField: HTMLInputElement,
    private readonly editor: HTMLElement,
  ) {
    // Remember the caret so "Insert" (a button that takes focus) inserts where it was.
    document.addEventListener("selectionchange", () => {
      const sel = document.getSelection();
      if (sel && sel.rangeCount > 0 && editor.contains(sel.anchorNode)) this.range = sel.getRangeAt(0).cloneRange();
    });
  }
  async subject(): Promise<string> {
    return this.subjectField.value;
  }
  async body(): Promise<string> {
    return this.editor.innerHTML;
  }
  async setBody(html: string): Promise<void> {
    this.editor.innerHTML = html;
    this.editor.dispatchEvent(new Event("input"));
  }
  async insert(text: string): Promise<void> {
    const node = document.createTextNode(text);
    if (this.range && this.editor.contains(this.range.startContainer)) {
      this.range.deleteContents();
      this.range.insertNode(node);
      this.range.setStartAfter(node);
      this.range.collapse(true);
    } else {
      this.editor.append(node);
    }
    this.editor.dispatchEvent(new Event("input"));
  }
  onChange(listener: () => void): void {
    this.subjectField.addEventListener("input", listener);
    this.editor.addEventListener("input", listener);
  }
}

function isDark(color: string | undefined): boolean {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color ?? "");
  if (!m) return false;
  const [r, g, b] = m.slice(1).map((h) => parseInt(h, 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5;
}

/** Waits for Office.js when it loaded (inside Outlook), or describes the plain browser. */
export async function detectHost(subject: HTMLInputElement, editor: HTMLElement): Promise<HostInfo> {
  const office = (globalThis as { Office?: typeof Office }).Office;
  if (office?.onReady) {
    const info = await office.onReady();
    const item = office.context?.mailbox?.item as Office.MessageCompose | undefined;
    if (info.host === office.HostType.Outlook && item?.body) {
      // The theme needs Mailbox 1.14, which the manifest does not require: absent, light.
      const background = office.context.officeTheme?.bodyBackgroundColor;
      const body = office.context.requirements.isSetSupported("Mailbox", "1.3");
      return {
        language: office.context.displayLanguage,
        dark: isDark(background),
        nestedAuth: office.context.requirements.isSetSupported("NestedAppAuth", "1.1"),
        olderOutlook: !body,
        platform: String(info.platform),
        template: body ? new OutlookItem(item) : new PaneEditor(subject, editor),
      };
    }
  }
  return {
    language: navigator.language,
    dark: matchMedia("(prefers-color-scheme: dark)").matches,
    nestedAuth: false,
    olderOutlook: false,
    template: new PaneEditor(subject, editor),
  };
}

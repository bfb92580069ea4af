// A stand-in for Office.js as Outlook on the web loads it in a compose window: the item's
// subject and HTML body (kept in sessionStorage, so a reload finds the draft as Outlook
// would), Office's display language and theme, requirement sets, asynchronous callbacks.
// The end-to-end tests serve it in place of Microsoft's CDN script.
(() => {
  const settings = JSON.parse(sessionStorage.getItem("office-stub") ?? "null") ?? window.__officeStub ?? {};
  const save = () => sessionStorage.setItem("office-stub", JSON.stringify(settings));
  save();
  const ok = (value) => ({ status: "succeeded", value });
  const later = (cb, result) => setTimeout(() => cb && cb(result), 0);
  // The requirement sets this Outlook supports (`settings.mailbox` plays an older one).
  const sets = { Mailbox: settings.mailbox ?? "1.13", NestedAppAuth: settings.nestedAuth ? "1.1" : undefined };
  // "1.13" is above "1.5": versions compare part by part, not as decimals.
  const atLeast = (have, want) => {
    const [a, b] = [have, want].map((v) => String(v).split(".").map(Number));
    for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    return true;
  };
  const item = {
    itemType: "message",
    subject: {
      getAsync: (cb) => later(cb, ok(settings.subject ?? "")),
      setAsync: (s, opts, cb) => { settings.subject = s; save(); later(typeof opts === "function" ? opts : cb, ok()); },
    },
    body: {
      getAsync: (type, opts, cb) => {
        const callback = typeof opts === "function" ? opts : cb;
        if (type !== "html" && type !== "text") return later(callback, { status: "failed", error: { message: "bad coercion" } });
        later(callback, ok(type === "html" ? settings.body ?? "" : (settings.body ?? "").replace(/<[^>]*>/g, "")));
      },
      setAsync: (html, opts, cb) => { settings.body = html; save(); later(typeof opts === "function" ? opts : cb, ok()); },
      // The cursor is at the end of the body's last paragraph.
      setSelectedDataAsync: (text, opts, cb) => {
        const body = settings.body ?? "";
        const at = body.lastIndexOf("</p>");
        settings.body = at >= 0 ? body.slice(0, at) + text + body.slice(at) : body + text;
        save();
        later(typeof opts === "function" ? opts : cb, ok());
      },
    },
  };
  window.Office = {
    HostType: { Outlook: "Outlook" },
    PlatformType: { OfficeOnline: "OfficeOnline" },
    AsyncResultStatus: { Succeeded: "succeeded", Failed: "failed" },
    CoercionType: { Html: "html", Text: "text" },
    onReady(cb) {
      const info = { host: "Outlook", platform: "OfficeOnline" };
      return new Promise((resolve) => setTimeout(() => { if (cb) cb(info); resolve(info); }, 0));
    },
    context: {
      displayLanguage: settings.language ?? "en-US",
      officeTheme: { bodyBackgroundColor: settings.dark ? "#1f1f1f" : "#ffffff", bodyForegroundColor: settings.dark ? "#ffffff" : "#000000" },
      requirements: {
        isSetSupported(name, version) {
          const have = sets[name];
          return have !== undefined && atLeast(have, version ?? "1.0");
        },
      },
      mailbox: { item, userProfile: { emailAddress: settings.user ?? "me@sandbox.localmerge.test", displayName: "Me" } },
    },
  };
})();

// The pane's words in English and French, picked from Office's display language (or the
// browser's outside Office).

const en = {
  title: "localmerge",
  signedInAs: "Sending as {0}",
  notSignedIn: "Not signed in",
  signIn: "Sign in",
  planFree: "Free plan",
  planLicensed: "Licensed",
  freeFooter: "Free plan: each message ends with a short note about localmerge.",
  licensedFooter: "Licensed: messages are sent without the localmerge note.",
  privacy: "Your spreadsheet never leaves this computer: it is read here, and messages go straight to your mailbox.",
  stepMessage: "1. Message",
  subject: "Subject",
  body: "Message",
  fromItem: "The message you are writing in Outlook is the template.",
  olderOutlook: "This version of Outlook does not let add-ins read the message you are writing: write the template here instead.",
  settings: "Settings",
  reportFailed: "The report could not be made: {0}",
  telemetrySetting: "Send anonymous usage counts",
  telemetryNote: "Each day: campaigns, messages sent and errors by kind. Never a name, address, file or message.",
  telemetryOffByOrg: "Your organisation turned usage counts off.",
  privacyLink: "Privacy",
  column: "Column",
  insert: "Insert at cursor",
  brokenTokens: "{0} field(s) are split by formatting, e.g. {1}.",
  fixTokens: "Fix fields",
  templateError: "The template cannot be used: {0}",
  useSuggestion: "Use \u201c{0}\u201d",
  stepData: "2. Recipients",
  dropFile: "Drop a spreadsheet here (xlsx, xls, xlsb, ods, csv), or",
  chooseFile: "Choose a file",
  chooseFiles: "Choose files",
  attachmentsChosen: "{0} files: {1}",
  attachmentFiles: "Attachment files (optional: the files named in an Attachments column)",
  sheet: "Sheet",
  to: "To",
  cc: "Cc",
  bcc: "Bcc",
  none: "(none)",
  detect: "(detect)",
  readError: "{0} could not be read: {1}",
  ready: "{0} {0?message|messages} ready",
  problemsCount: "{0} {0?row has a problem and|rows have problems and} will not be sent",
  excludedCount: "{0} {0?row|rows} excluded",
  row: "Row",
  problem: "Problem",
  exclude: "Exclude",
  excludeProblems: "Send without the rows that have problems",
  stepPreview: "3. Preview",
  previous: "Previous",
  next: "Next",
  position: "Message {0} of {1}",
  previewFrame: "Message preview",
  sendTest: "Send a test to me",
  testSent: "A test of message {0} (row {1}) was sent to {2}.",
  stepSend: "4. Send",
  sendNow: "Send now",
  schedule: "Schedule",
  drafts: "Drafts for review",
  when: "Start at",
  sendAs: "Send as a shared mailbox (optional)",
  sendingAs: "Sending as {0}, signed in as {1}",
  badFrom: "\u201c{0}\u201d is not an email address.",
  send: "Send {0} {0?message|messages}",
  createDrafts: "Create {0} {0?draft|drafts}",
  pause: "Pause",
  resume: "Resume",
  cancel: "Cancel",
  progress: "{0} of {1} sent",
  progressDrafts: "{0} of {1} drafted",
  rate: "{0} per minute",
  eta: "about {0} left",
  throttled: "Microsoft 365 asked to slow down; waiting until {0}.",
  retrying: "A request failed ({0}); retrying.",
  paused: "Paused. Resume to go on where it stopped.",
  stopped: "Stopped: {0}",
  finished: "Done: {0} sent, {1} failed, {2} skipped.",
  finishedDrafts: "Done: {0} drafts created, {1} failed, {2} skipped.",
  failedRow: "Row {0}: {1}",
  download: "Download report (CSV)",
  resumeBanner: "Campaign \u201c{0}\u201d was interrupted: {1} of {2} sent. It resumes now.",
  resumeBannerPaused: "Campaign \u201c{0}\u201d is paused: {1} of {2} sent.",
  resumedDone: "Campaign \u201c{0}\u201d was interrupted, then resumed where it stopped.",
  canceled: "Canceled. Rows already sent stay sent.",
  needTemplate: "Write a subject and a message first.",
  needData: "Choose a spreadsheet first.",
  needAck: "Some rows have problems: tick \u201cSend without the rows that have problems\u201d or fix the spreadsheet.",
  minutes: "{0} min",
  hours: "{0} h {1} min",
  otherSources: "Or from OneDrive, SharePoint or Outlook contacts",
  driveSearch: "Search your files, or paste a sharing link",
  find: "Find",
  recentFiles: "Opened recently",
  foundFiles: "{0} spreadsheets found",
  noFiles: "No spreadsheet found.",
  contactsCategory: "Outlook contacts in the category (empty: all)",
  openContacts: "Use contacts",
  contactsName: "Outlook contacts",
  table: "Excel table",
  wholeSheet: "(the sheet)",
  headerRow: "Header row",
  groupBy: "One message per",
  eachRow: "(each row)",
  dailyLimit: "Your daily recipient limit (if your admin set a lower one)",
  planFigures: "{0} {0?message|messages} to {1} {1?recipient|recipients}, {2} outside your organisation. Daily budgets: {3} recipients for your mailbox, {4} external for your organisation. {5}",
  planOneDay: "It fits in one day.",
  planDays: "It needs {0} days; the last message goes about {1}.",
  suppressList: "Do-not-contact list",
  suppressHint: "One address, or @domain, per line: their rows are never sent (kept in this browser only)",
  suppressedCount: "{0} rows left out: on the do-not-contact list",
  suppressedReason: "{0} is on the do-not-contact list ({1})",
  afterTitle: "After your last campaign",
  downloadXlsx: "Download report (Excel)",
  afterText: "\u201c{0}\u201d, started {1}.",
  checkReplies: "Check replies",
  checking: "Reading your Inbox\u2026",
  repliesFound: "{0} sent. New since the last check: {1} replied, {2} bounced, {3} unsubscribed.",
  repliesListed: "{0} added to your do-not-contact list.",
  checkFailed: "Your Inbox could not be read: {0}",
  followupDays: "Days after the first message",
  followUp: "Follow up",
  followupHint: "The message you are writing in Outlook is the follow-up: a reply in each conversation that got no answer.",
  followupNone: "No follow-up to send now: {0} answered, {1} not due yet.",
  followupStarting: "Following up {0} messages; {1} answered, {2} not due yet.",
};

export type Key = keyof typeof en;

const fr: Record<Key, string> = {
  title: "localmerge",
  signedInAs: "Envoi depuis {0}",
  notSignedIn: "Non connecté",
  signIn: "Se connecter",
  planFree: "Offre gratuite",
  planLicensed: "Licence active",
  freeFooter: "Offre gratuite : chaque message se termine par une courte mention de localmerge.",
  licensedFooter: "Licence active : les messages partent sans la mention localmerge.",
  privacy: "Votre tableur ne quitte jamais cet ordinateur : il est lu ici, et les messages partent directement de votre boîte aux lettres.",
  stepMessage: "1. Message",
  subject: "Objet",
  body: "Message",
  fromItem: "Le message que vous rédigez dans Outlook sert de modèle.",
  olderOutlook: "Cette version d'Outlook ne laisse pas les compléments lire le message que vous rédigez : écrivez le modèle ici.",
  settings: "Paramètres",
  reportFailed: "Le rapport n'a pas pu être créé : {0}",
  telemetrySetting: "Envoyer des statistiques d'usage anonymes",
  telemetryNote: "Chaque jour : campagnes, messages envoyés et erreurs par type. Jamais un nom, une adresse, un fichier ni un message.",
  telemetryOffByOrg: "Votre organisation a désactivé les statistiques d'usage.",
  privacyLink: "Confidentialité",
  column: "Colonne",
  insert: "Insérer au curseur",
  brokenTokens: "{0} champ(s) coupé(s) par la mise en forme, par ex. {1}.",
  fixTokens: "Réparer les champs",
  templateError: "Le modèle ne peut pas être utilisé : {0}",
  useSuggestion: "Utiliser « {0} »",
  stepData: "2. Destinataires",
  dropFile: "Déposez un tableur ici (xlsx, xls, xlsb, ods, csv), ou",
  chooseFile: "Choisir un fichier",
  chooseFiles: "Choisir des fichiers",
  attachmentsChosen: "{0} fichiers : {1}",
  attachmentFiles: "Pièces jointes (facultatif : les fichiers nommés dans une colonne Attachments)",
  sheet: "Feuille",
  to: "À",
  cc: "Cc",
  bcc: "Cci",
  none: "(aucune)",
  detect: "(détecter)",
  readError: "Impossible de lire {0} : {1}",
  ready: "{0} {0?message prêt|messages prêts}",
  problemsCount: "{0} {0?ligne a un problème et ne sera pas envoyée|lignes ont des problèmes et ne seront pas envoyées}",
  excludedCount: "{0} {0?ligne exclue|lignes exclues}",
  row: "Ligne",
  problem: "Problème",
  exclude: "Exclure",
  excludeProblems: "Envoyer sans les lignes qui ont des problèmes",
  stepPreview: "3. Aperçu",
  previous: "Précédent",
  next: "Suivant",
  position: "Message {0} sur {1}",
  previewFrame: "Aperçu du message",
  sendTest: "M’envoyer un test",
  testSent: "Un test du message {0} (ligne {1}) a été envoyé à {2}.",
  stepSend: "4. Envoi",
  sendNow: "Envoyer maintenant",
  schedule: "Programmer",
  drafts: "Brouillons à relire",
  when: "Commencer le",
  sendAs: "Envoyer depuis une boîte partagée (facultatif)",
  sendingAs: "Envoi depuis {0}, connecté en tant que {1}",
  badFrom: "« {0} » n’est pas une adresse e-mail.",
  send: "Envoyer {0} {0?message|messages}",
  createDrafts: "Créer {0} {0?brouillon|brouillons}",
  pause: "Pause",
  resume: "Reprendre",
  cancel: "Annuler",
  progress: "{0} sur {1} envoyés",
  progressDrafts: "{0} sur {1} brouillons",
  rate: "{0} par minute",
  eta: "environ {0} restantes",
  throttled: "Microsoft 365 demande de ralentir ; attente jusqu’à {0}.",
  retrying: "Une requête a échoué ({0}) ; nouvel essai.",
  paused: "En pause. Reprenez pour continuer là où l’envoi s’est arrêté.",
  stopped: "Arrêté : {0}",
  finished: "Terminé : {0} envoyés, {1} en échec, {2} ignorés.",
  finishedDrafts: "Terminé : {0} brouillons créés, {1} en échec, {2} ignorés.",
  failedRow: "Ligne {0} : {1}",
  download: "Télécharger le rapport (CSV)",
  resumeBanner: "La campagne « {0} » a été interrompue : {1} sur {2} envoyés. Elle reprend maintenant.",
  resumeBannerPaused: "La campagne « {0} » est en pause : {1} sur {2} envoyés.",
  resumedDone: "La campagne « {0} » a été interrompue, puis a repris là où elle s’était arrêtée.",
  canceled: "Annulée. Les messages déjà envoyés le restent.",
  needTemplate: "Écrivez d’abord un objet et un message.",
  needData: "Choisissez d’abord un tableur.",
  needAck: "Certaines lignes ont des problèmes : cochez « Envoyer sans les lignes qui ont des problèmes » ou corrigez le tableur.",
  minutes: "{0} min",
  hours: "{0} h {1} min",
  otherSources: "Ou depuis OneDrive, SharePoint ou les contacts Outlook",
  driveSearch: "Cherchez vos fichiers, ou collez un lien de partage",
  find: "Chercher",
  recentFiles: "Ouverts récemment",
  foundFiles: "{0} tableurs trouvés",
  noFiles: "Aucun tableur trouvé.",
  contactsCategory: "Contacts Outlook de la catégorie (vide : tous)",
  openContacts: "Utiliser les contacts",
  contactsName: "Contacts Outlook",
  table: "Tableau Excel",
  wholeSheet: "(la feuille)",
  headerRow: "Ligne d’en-tête",
  groupBy: "Un message par",
  eachRow: "(chaque ligne)",
  dailyLimit: "Votre limite quotidienne de destinataires (si votre administrateur en a fixé une plus basse)",
  planFigures: "{0} {0?message|messages} pour {1} {1?destinataire|destinataires}, dont {2} hors de votre organisation. Budgets quotidiens : {3} destinataires pour votre boîte, {4} externes pour votre organisation. {5}",
  planOneDay: "Cela tient en un jour.",
  planDays: "Il faut {0} jours ; le dernier message part vers {1}.",
  suppressList: "Liste d’exclusion",
  suppressHint: "Une adresse, ou @domaine, par ligne : leurs lignes ne sont jamais envoyées (gardée dans ce navigateur seulement)",
  suppressedCount: "{0} lignes écartées : sur la liste d’exclusion",
  suppressedReason: "{0} est sur la liste d’exclusion ({1})",
  afterTitle: "Après votre dernière campagne",
  downloadXlsx: "Télécharger le rapport (Excel)",
  afterText: "« {0} », commencée le {1}.",
  checkReplies: "Voir les réponses",
  checking: "Lecture de votre boîte de réception\u2026",
  repliesFound: "{0} envoyés. Depuis la dernière fois : {1} réponses, {2} non distribués, {3} désabonnements.",
  repliesListed: "{0} ajoutés à votre liste d’exclusion.",
  checkFailed: "Votre boîte de réception n’a pas pu être lue : {0}",
  followupDays: "Jours après le premier message",
  followUp: "Relancer",
  followupHint: "Le message que vous rédigez dans Outlook est la relance : une réponse dans chaque conversation restée sans réponse.",
  followupNone: "Aucune relance à envoyer maintenant : {0} ont répondu, {1} pas encore dues.",
  followupStarting: "Relance de {0} messages ; {1} ont répondu, {2} pas encore dues.",
};

let words: Record<Key, string> = en;
let tag = "en-US";

/** Picks the language: French for any `fr` tag, English otherwise. */
export function setLanguage(language: string): void {
  tag = language || "en-US";
  words = tag.toLowerCase().startsWith("fr") ? fr : en;
  document.documentElement.lang = words === fr ? "fr" : "en";
}

export function language(): string {
  return tag;
}

/**
 * `{0}` is the first argument; `{0?one|other}` the word for its number in this language
 * (CLDR's plural rules through Intl: French says "1 message", "0 message", "2 messages").
 */
function fill(text: string, args: (string | number)[]): string {
  const rules = new Intl.PluralRules(words === fr ? "fr" : "en");
  return text.replace(/\{(\d)(?:\?([^|}]*)\|([^}]*))?\}/g, (_, i: string, one?: string, other?: string) => {
    const arg = args[Number(i)] ?? "";
    if (one === undefined) return String(arg);
    // A number the pane formatted for display ("10,000", "10 000") is read back as digits.
    const n = typeof arg === "number" ? arg : Number(String(arg).replace(/[^\d]/g, ""));
    return rules.select(n) === "one" ? one : (other ?? "");
  });
}

export function t(key: Key, ...args: (string | number)[]): string {
  return fill(words[key], args);
}

/**
 * The checks' problems in French; English is core's own wording (`message`). The reasons
 * core quotes from elsewhere (an address parser's, a format's) stay as they are.
 */
const issuesFr: Record<string, string> = {
  emptyAddress: "aucune adresse e-mail",
  invalidAddress: "adresse invalide « {0} » ({1})",
  duplicate: "destinataire en double {0} (déjà à la ligne {1})",
  emptyValue: "vide, alors que le modèle l’utilise (remplissez-la, ou utilisez {{default …}} ou {{#if …}})",
  errorValue: "cellule en erreur {0}, alors que le modèle l’utilise",
  tooManyRecipients: "{0} destinataires dans un message ; la limite est {1}",
  attachment: "pièce jointe « {0} » : {1}",
};

/** A problem of a cell, in the pane's language. */
export function issueText(issue: { code: string; args: string[]; message: string }): string {
  const french = words === fr ? issuesFr[issue.code] : undefined;
  return french ? fill(french, issue.args) : issue.message;
}

/** Fills every element with a `data-i18n` key (its text) or `data-i18n-label` (its aria-label). */
export function translatePage(root: ParentNode = document): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n]")) el.textContent = t(el.dataset.i18n as Key);
  for (const el of root.querySelectorAll<HTMLElement>("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel as Key));
  }
}

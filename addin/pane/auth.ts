// Tokens. In Outlook: MSAL's nested app authentication (the host signs the user in; no
// popup). In a browser: MSAL with a popup. Against the Graph sandbox: the sandbox's token
// from the pane's configuration (the sandbox has no identity provider).

import { createNestablePublicClientApplication, createStandardPublicClientApplication, type IPublicClientApplication } from "@azure/msal-browser";

export interface Config {
  /** "office": Microsoft 365 through MSAL; "sandbox": the local Graph sandbox. */
  mode: "office" | "sandbox";
  graphUrl?: string;
  licensingUrl?: string;
  clientId?: string;
  /** The licensing API's scope (`api://…/access_as_user`). */
  licensingScope?: string;
  /** Sandbox mode: the Graph token and (optionally) a licensing token. */
  graphToken?: string;
  licensingToken?: string;
  /** Messages per minute (Exchange Online: 30); the sandbox may allow more. */
  perMinute?: number;
  /** The tenant's external recipients a day, when its admin knows it (default: 10,000). */
  tenantExternal?: number;
}

/** What the user is about to read, each asked for only when used. */
export type Reading = "files" | "contacts" | "sharedMail";

/** Reading the user's own Inbox needs nothing more: Mail.ReadWrite (drafts) covers it. */
const READ_SCOPES: Record<Reading, string> = { files: "Files.Read.All", contacts: "Contacts.Read", sharedMail: "Mail.Read.Shared" };

export interface Tokens {
  graph(shared: boolean): Promise<string>;
  /** A Graph token that may also read the user's files or contacts. */
  reading(what: Reading): Promise<string>;
  /** A token for the licensing API, or undefined when there is none (free plan). */
  licensing(): Promise<string | undefined>;
}

const GRAPH_SCOPES = ["User.Read", "Mail.ReadWrite", "Mail.Send"];

class Msal implements Tokens {
  constructor(
    private readonly app: IPublicClientApplication,
    private readonly licensingScope: string | undefined,
  ) {}

  private async token(scopes: string[]): Promise<string> {
    const account = this.app.getActiveAccount() ?? this.app.getAllAccounts()[0];
    try {
      return (await this.app.acquireTokenSilent({ scopes, account })).accessToken;
    } catch {
      const r = await this.app.acquireTokenPopup({ scopes });
      this.app.setActiveAccount(r.account);
      return r.accessToken;
    }
  }

  graph(shared: boolean): Promise<string> {
    return this.token(shared ? [...GRAPH_SCOPES, "Mail.Send.Shared"] : GRAPH_SCOPES);
  }

  reading(what: Reading): Promise<string> {
    return this.token([...GRAPH_SCOPES, READ_SCOPES[what]]);
  }

  async licensing(): Promise<string | undefined> {
    return this.licensingScope ? this.token([this.licensingScope]) : undefined;
  }
}

class SandboxTokens implements Tokens {
  constructor(private readonly config: Config) {}
  async graph(): Promise<string> {
    return this.config.graphToken ?? "sandbox-token";
  }
  reading(): Promise<string> {
    return this.graph();
  }
  async licensing(): Promise<string | undefined> {
    return this.config.licensingToken;
  }
}

export async function signIn(config: Config, nestedAuth: boolean): Promise<Tokens> {
  if (config.mode === "sandbox") return new SandboxTokens(config);
  if (!config.clientId) throw new Error("config.json: clientId is missing");
  const auth = { clientId: config.clientId, authority: "https://login.microsoftonline.com/common" };
  const app = nestedAuth
    ? await createNestablePublicClientApplication({ auth })
    : await createStandardPublicClientApplication({ auth: { ...auth, redirectUri: location.origin + location.pathname } });
  return new Msal(app, config.licensingScope);
}

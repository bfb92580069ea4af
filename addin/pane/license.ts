// The plan: the licensing server answers with a signed statement (an Ed25519 JWS) that the
// pane verifies with the server's public key and keeps, so a licensing outage never breaks
// sending: the last valid statement holds until it expires, and without one the free plan
// applies. The server receives the bearer token and nothing else.

export interface Plan {
  licensed: boolean;
  plan: string;
  /** When the statement expires (ms), if there is one. */
  until?: number;
  /**
   * Whether the organisation allows the anonymous usage counts: what the server said just
   * now; absent when it did not answer (then nothing is counted).
   */
  telemetry?: boolean;
}

const CACHE = "localmerge.license";
const KEYS = "localmerge.license-keys";
const FREE: Plan = { licensed: false, plan: "free" };

function b64url(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

interface Jwk extends JsonWebKey {
  kid?: string;
}

/** The statement's claims when its signature is valid under one of `keys` and it has not expired. */
export async function verify(jws: string, keys: Jwk[], now = Date.now()): Promise<Plan | undefined> {
  const parts = jws.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(new TextDecoder().decode(b64url(parts[0]))) as { alg?: string; kid?: string };
    if (header.alg !== "EdDSA") return undefined;
    const jwk = keys.find((k) => k.kid === header.kid && k.kty === "OKP" && k.crv === "Ed25519");
    if (!jwk) return undefined;
    const key = await crypto.subtle.importKey("jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, false, ["verify"]);
    const ok = await crypto.subtle.verify({ name: "Ed25519" }, key, b64url(parts[2]), new TextEncoder().encode(`${parts[0]}.${parts[1]}`));
    if (!ok) return undefined;
    const claims = JSON.parse(new TextDecoder().decode(b64url(parts[1]))) as { plan?: string; exp?: number };
    const until = (claims.exp ?? 0) * 1000;
    if (until <= now || !claims.plan) return undefined;
    return { licensed: claims.plan !== "free", plan: claims.plan, until };
  } catch {
    return undefined;
  }
}

async function keys(base: string): Promise<Jwk[]> {
  try {
    const r = await fetch(`${base}/v1/license/public-key`);
    if (r.ok) {
      const set = (await r.json()) as { keys: Jwk[] };
      localStorage.setItem(KEYS, JSON.stringify(set.keys));
      return set.keys;
    }
  } catch {
    // offline: the kept keys below
  }
  return JSON.parse(localStorage.getItem(KEYS) ?? "[]") as Jwk[];
}

async function cached(base: string | undefined): Promise<Plan> {
  const jws = localStorage.getItem(CACHE);
  if (!jws || !base) return FREE;
  return (await verify(jws, JSON.parse(localStorage.getItem(KEYS) ?? "[]") as Jwk[])) ?? FREE;
}

/** Asks the licensing server; falls back on the kept statement, then on the free plan. */
export async function checkPlan(base: string | undefined, token: () => Promise<string | undefined>): Promise<Plan> {
  if (!base) return FREE;
  let bearer: string | undefined;
  try {
    bearer = await token();
  } catch {
    return cached(base);
  }
  if (!bearer) return FREE;
  try {
    const r = await fetch(`${base}/v1/license/check`, { method: "POST", headers: { Authorization: `Bearer ${bearer}` } });
    if (!r.ok) return cached(base);
    const answer = (await r.json()) as { license?: string; telemetry?: boolean };
    const plan = answer.license ? await verify(answer.license, await keys(base)) : undefined;
    if (!plan) return cached(base);
    localStorage.setItem(CACHE, answer.license as string);
    return { ...plan, telemetry: answer.telemetry === true };
  } catch {
    return cached(base);
  }
}

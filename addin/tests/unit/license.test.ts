// The license statement: an Ed25519 JWS verified with the licensing server's keys, offline.
import assert from "node:assert/strict";
import { test } from "node:test";
import { verify } from "../../pane/license";

const enc = (v: unknown) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

async function issuer(kid: string) {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = { ...(await crypto.subtle.exportKey("jwk", pair.publicKey)), kid, alg: "EdDSA", use: "sig" };
  const sign = async (claims: object, header: object = { alg: "EdDSA", kid }) => {
    const input = `${enc(header)}.${enc(claims)}`;
    const sig = await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, new TextEncoder().encode(input));
    return `${input}.${Buffer.from(sig).toString("base64url")}`;
  };
  return { jwk, sign };
}

test("a valid statement gives its plan until it expires", async () => {
  const { jwk, sign } = await issuer("k1");
  const now = 1_800_000_000_000;
  const jws = await sign({ sub: "t/u", plan: "pro", iat: now / 1000, exp: now / 1000 + 3600 });
  assert.deepEqual(await verify(jws, [jwk], now), { licensed: true, plan: "pro", until: now + 3_600_000 });
  assert.equal(await verify(jws, [jwk], now + 3_600_000), undefined, "expired");
  const free = await sign({ sub: "t/u", plan: "free", exp: now / 1000 + 60 });
  assert.deepEqual(await verify(free, [jwk], now), { licensed: false, plan: "free", until: now + 60_000 });
});

test("a statement is refused unless one of the server's keys signed it as EdDSA", async () => {
  const { jwk, sign } = await issuer("k1");
  const other = await issuer("k2");
  const now = 1_800_000_000_000;
  const claims = { sub: "t/u", plan: "pro", exp: now / 1000 + 3600 };
  const jws = await sign(claims);
  assert.equal(await verify(jws, [other.jwk], now), undefined, "unknown key id");
  assert.equal(await verify(await other.sign(claims, { alg: "EdDSA", kid: "k1" }), [jwk], now), undefined, "another key");
  const [h, , s] = jws.split(".");
  assert.equal(await verify(`${h}.${enc({ ...claims, plan: "team" })}.${s}`, [jwk], now), undefined, "tampered");
  assert.equal(await verify(`${enc({ alg: "none", kid: "k1" })}.${enc(claims)}.`, [jwk], now), undefined, "alg none");
  assert.equal(await verify("not.a.jws", [jwk], now), undefined);
  assert.equal(await verify("", [jwk], now), undefined);
});

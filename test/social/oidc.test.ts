import { randomBytes } from "node:crypto";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { storedProviderTokens } from "../../src/social/runtime.js";
import { anonymousClient, expectEnvelope, insertUser, loginClient, unique } from "../helpers/accounts.js";
import { clients, expectStatus, type TestClient } from "../helpers/client.js";
import { Client, startSecondLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { type Idp, type IdpAccount, type IdpClient, startIdp } from "./idp.js";
import {
  addressesOf,
  browse,
  CALLBACK,
  errorAt,
  expectAuthorizationRequest,
  idpApp,
  LOGIN_ERROR,
  postRedirect,
  socialRows,
} from "./support.js";

/**
 * A generic OpenID Connect provider against a real one (oidc-provider on loopback): discovery,
 * the whole redirect flow (form post → provider → backend callback → frontend URL → session),
 * the token flow with real id_tokens, and what each refuses.
 */

const REDIRECT_URI = "http://localhost:8000/accounts/oidc/idp/login/callback/";
const CLIENT: IdpClient = {
  client_id: "latchkey",
  client_secret: "latchkey-secret",
  redirect_uris: [REDIRECT_URI],
};
const OTHER: IdpClient = {
  client_id: "other-app",
  client_secret: "other-secret",
  redirect_uris: [REDIRECT_URI],
};
const TOKEN_KEY = randomBytes(32).toString("base64");

let idp: Idp;
beforeAll(async () => {
  idp = await startIdp([CLIENT, OTHER]);
});
afterAll(async () => {
  await idp.close();
});

function person(init: Partial<IdpAccount> = {}): IdpAccount {
  const id = unique("oidc");
  return {
    sub: `sub-${id}`,
    email: `${id}@example.org`,
    email_verified: true,
    name: "Ada Lovelace",
    given_name: "Ada",
    family_name: "Lovelace",
    preferred_username: id,
    ...init,
  };
}

const providerInfo = () => ({
  id: "idp",
  name: "Test IdP",
  flows: ["provider_redirect", "provider_token"],
  client_id: "latchkey",
  openid_configuration_url: `${idp.issuer}/.well-known/openid-configuration`,
});

/** Form post → provider (login and consent) → the URL it sends the browser back to. */
async function toProvider(c: TestClient, account: IdpAccount, process = "login"): Promise<URL> {
  const started = await postRedirect(c, { provider: "idp", process });
  expect(started.status, started.text).toBe(302);
  idp.loginAs(account);
  return idp.authorize(started.location!);
}

/** Latchkey with the provider as an OpenID Connect app, its tokens kept. */
const options = (): LatchkeyOptions => ({
  socialaccount: {
    providers: {
      openid_connect: {
        apps: [idpApp(CLIENT, idp.issuer)],
      },
    },
    storeTokens: true,
    tokenEncryptionKey: TOKEN_KEY,
  },
});

describe.each(dialects)("OpenID Connect provider (%s)", (dialect) => {
  const server = useLatchkey(dialect, options);

  it("sends the browser to the provider with state, nonce and PKCE S256", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const started = await postRedirect(c, { provider: "idp" });
    expect(started.status).toBe(302);
    const url = new URL(started.location!);
    expectAuthorizationRequest(url, idp.issuer, "latchkey", REDIRECT_URI);
    const q = url.searchParams;
    // Only the state's hash is stored, with the browser's binding.
    const rows = await socialRows(server, "social_state");
    expect(rows.some((r) => r.key_hash === q.get("state") || r.data.includes(q.get("state")!))).toBe(false);
  });

  it("completes the redirect flow: provider → backend callback → frontend URL → logged-in session", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const account = person();
    const back = await toProvider(c, account);
    expect(back.origin + back.pathname).toBe(REDIRECT_URI);
    expect(back.searchParams.get("iss")).toBe(idp.issuer);
    const landed = await browse(c, "GET", back.href);
    expect(landed.status, landed.text).toBe(302);
    expect(landed.location).toBe(CALLBACK);
    const session = await c.get("/auth/session");
    expectStatus(session, 200);
    expect(session.body.data.user).toMatchObject({
      email: account.email,
      username: account.preferred_username,
      has_usable_password: false,
    });
    expect(session.body.data.methods).toEqual([
      { method: "socialaccount", at: expect.any(Number), provider: "idp", uid: account.sub },
    ]);
    const userId: number = session.body.data.user.id;
    expect(await addressesOf(server, userId)).toEqual([
      { email: account.email, verified: true, primary: true },
    ]);
    const providers = await c.get("/account/providers");
    expectEnvelope(providers);
    expect(providers.body.data).toEqual([
      // allauth's display rule: a username-like field, else the address (preferred_username is neither).
      { uid: account.sub, provider: providerInfo(), display: account.email },
    ]);
    // The provider's tokens are kept encrypted, and read back with the key.
    const [stored] = (await socialRows(server, "social_token")).slice(-1);
    expect(stored!.token).toMatch(/^v1\./);
    const tokens = await storedProviderTokens(server.latchkey.runtime, userId, "idp");
    expect(tokens).toMatchObject({ clientId: "latchkey", accessToken: expect.any(String) });
    expect(stored!.token).not.toContain(tokens!.accessToken);
    // The state was single use.
    const replay = await browse(c, "GET", back.href);
    expect(replay.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
  });

  it("refuses a missing, unknown, expired or foreign state without completing anything", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const back = await toProvider(c, person());
    const withoutState = new URL(back);
    withoutState.searchParams.delete("state");
    expect((await browse(c, "GET", withoutState.href)).location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    const forged = new URL(back);
    forged.searchParams.set("state", randomBytes(32).toString("base64url"));
    expect((await browse(c, "GET", forged.href)).location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    // Another browser (a login CSRF), with flows of its own, gets nothing, and does not spend the state.
    const other = await anonymousClient(server, Client.BROWSER);
    await postRedirect(other, { provider: "idp" });
    expect((await browse(other, "GET", back.href)).location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    expectStatus(await other.get("/auth/session"), 401);
    expect((await browse(c, "GET", back.href)).location).toBe(CALLBACK);
    // A state past socialaccount.stateTimeout is lost.
    const late = await anonymousClient(server, Client.BROWSER);
    const lateBack = await toProvider(late, person());
    server.advance(601_000);
    try {
      expect((await browse(late, "GET", lateBack.href)).location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    } finally {
      server.advance(-601_000);
    }
  });

  it("refuses a tampered callback_url, and an authorization response with another issuer (mix-up)", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const tampered = await postRedirect(c, { provider: "idp", callback_url: "https://evil.example/cb" });
    expect(tampered.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    const back = await toProvider(c, person());
    back.searchParams.set("iss", "https://evil.example");
    expect((await browse(c, "GET", back.href)).location).toBe(errorAt(CALLBACK, "unknown"));
    expectStatus(await c.get("/auth/session"), 401);
  });

  it("reports a login declined at the provider as cancelled", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const started = await postRedirect(c, { provider: "idp", process: "connect" });
    idp.decline();
    const back = await idp.authorize(started.location!);
    expect(back.searchParams.get("error")).toBe("access_denied");
    expect((await browse(c, "GET", back.href)).location).toBe(errorAt(CALLBACK, "cancelled", "connect"));
  });

  it("connects through the redirect flow", async () => {
    const user = await insertUser(server);
    const c = await loginClient(server, Client.BROWSER, user);
    const account = person({ email_verified: false });
    const back = await toProvider(c, account, "connect");
    expect((await browse(c, "GET", back.href)).location).toBe(CALLBACK);
    const list = await c.get("/account/providers");
    expect(list.body.data.map((a: { uid: string }) => a.uid)).toEqual([account.sub]);
    const session = await c.get("/auth/session");
    expect(session.body.data.user.id).toBe(user.id);
  });

  it("does not spend the state on a HEAD of the callback", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const back = await toProvider(c, person());
    const head = await c.latchkey.handler(new Request(back, { method: "HEAD" }));
    expect(head.status).toBe(200);
    expect((await browse(c, "GET", back.href)).location).toBe(CALLBACK);
  });

  it("with a SameSite=Strict session cookie, hops once so the browser sends it", async () => {
    const strict = await startSecondLatchkey(server, {
      ...options(),
      sessions: { cookieSameSite: "Strict", cookieSecure: true },
    });
    const c = await anonymousClient(strict, Client.BROWSER);
    const back = await toProvider(c, person());
    // The provider's redirect is cross-site: the browser leaves the Strict cookie out.
    const cookieless = await browse(strict.client(Client.BROWSER), "GET", back.href);
    expect(cookieless.status).toBe(200);
    const hop = /url=([^"]+)"/.exec(cookieless.text)![1]!.replaceAll("&amp;", "&");
    expect(hop).toBe(`${back.pathname}${back.search}&_redir=`);
    // The hop starts from this site: the cookie comes along, and the flow completes.
    expect((await browse(c, "GET", hop)).location).toBe(CALLBACK);
    expectStatus(await c.get("/auth/session"), 200);
  });

  describe.each(clients)("%s client, token flow", (kind) => {
    const post = (c: TestClient, idToken: string, extra: Record<string, string> = {}) =>
      c.post("/auth/provider/token", {
        provider: "idp",
        process: "login",
        token: { client_id: "latchkey", id_token: idToken, ...extra },
      });

    it("logs in with a real id_token", async () => {
      const account = person();
      const idToken = await idp.idToken(CLIENT, account);
      const c = await anonymousClient(server, kind);
      const res = await post(c, idToken);
      expectStatus(res, 200);
      expect(res.body.data.user).toMatchObject({
        email: account.email,
        username: account.preferred_username,
      });
      expect(res.body.data.methods).toEqual([
        { method: "socialaccount", at: expect.any(Number), provider: "idp", uid: account.sub },
      ]);
    });

    it("refuses an id_token for another client, signed by another key, unsigned, or garbled", async () => {
      const c = await anonymousClient(server, kind);
      const account = person();
      const forOther = await idp.idToken(OTHER, account);
      for (const idToken of [forOther, "not.a.jwt", ""]) {
        const res = await post(c, idToken);
        expectStatus(res, 400);
        expect(res.body.errors[0]).toMatchObject({ param: "token" });
      }
      // Naming the other client: no such app here.
      const otherApp = await c.post("/auth/provider/token", {
        provider: "idp",
        process: "login",
        token: { client_id: "other-app", id_token: forOther },
      });
      expect(otherApp.body.errors).toEqual([
        { code: "invalid_token", param: "token", message: "Invalid token." },
      ]);
      // The same claims, signed by a key the provider does not publish (under its key id).
      const claims = decodeJwt(await idp.idToken(CLIENT, account));
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "idp-key" })
        .sign(privateKey);
      const res = await post(c, forged);
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([{ code: "invalid_token", param: "token", message: "Invalid token." }]);
      const unsigned = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
      expectStatus(await post(c, unsigned), 400);
      expectStatus(await c.get("/auth/session"), 401);
    });

    it("refuses an expired id_token", async () => {
      const idToken = await idp.idToken(CLIENT, person());
      const c = await anonymousClient(server, kind);
      const lifetime = ((decodeJwt(idToken).exp ?? 0) - Math.floor(Date.now() / 1000) + 120) * 1000;
      server.advance(lifetime);
      try {
        const res = await post(c, idToken);
        expectStatus(res, 400);
        expect(res.body.errors[0].code).toBe("invalid_token");
      } finally {
        server.advance(-lifetime);
      }
    });

    it("checks the nonce when the client gives it", async () => {
      const idToken = await idp.idToken(CLIENT, person(), { nonce: "nonce-1" });
      const c = await anonymousClient(server, kind);
      expectStatus(await post(c, idToken, { nonce: "nonce-2" }), 400);
      expectStatus(await post(c, idToken, { nonce: "nonce-1" }), 200);
    });
  });
});

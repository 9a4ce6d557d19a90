import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { countRows, unique } from "../helpers/accounts.js";
import { startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { freePort } from "../ops/support.js";
import { type Idp, type IdpAccount, type IdpClient, startIdp } from "../social/idp.js";
import { expectAuthorizationRequest, idpApp } from "../social/support.js";
import { CompactClient, expectError, expectTokens } from "./support.js";

/**
 * Provider logins through the compact API: the providers list; the token flow with the
 * development provider; the redirect flow without a browser session, with the development
 * provider and against a real OpenID provider (oidc-provider on loopback); provider signup.
 */

/** compactApi.providerCallbackUrl's default: the frontend page the provider sends the user back to. */
const CALLBACK = "http://localhost:3000/auth/callback";
const DUMMY: LatchkeyOptions = { socialaccount: { providers: { dummy: {} } } };

let serial = 0;
function dummyAccount(init: { email?: string; email_verified?: boolean; username?: string } = {}) {
  serial += 1;
  return { id: 7_000_000 + serial * 1000 + Math.floor(Math.random() * 1000), ...init };
}

/** Plays the user at the development provider's login page: where it sends them back to. */
async function atDummyLoginPage(
  server: TestServer,
  url: string,
  form: Record<string, string> | "cancel",
): Promise<URL> {
  const page = await server.latchkey.handler(new Request(url));
  expect(page.status).toBe(200);
  const body = new URLSearchParams(form === "cancel" ? { action: "cancel" } : form);
  const done = await server.latchkey.handler(
    new Request(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    }),
  );
  expect(done.status, await done.clone().text()).toBe(302);
  return new URL(done.headers.get("location")!);
}

describe.each(dialects)("compact API: providers (%s)", (dialect) => {
  const server = useLatchkey(dialect, DUMMY);

  it("lists the providers; without any, an empty list and no redirect routes", async () => {
    const c = new CompactClient(server);
    const listed = await c.get("/providers");
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      providers: [{ id: "dummy", name: "Dummy", flows: ["provider_redirect", "provider_token"] }],
    });
    const none = await startLatchkey(dialect);
    const bare = new CompactClient(none);
    expect((await bare.get("/providers")).body).toEqual({ providers: [] });
    expectError(await bare.post("/providers/dummy/redirect"), 404, "not_found");
    expectError(await bare.post("/providers/dummy/token", { id_token: "{}" }), 404, "not_found");
  });

  it("logs in by token: a new person signs up, then logs in again as the same user", async () => {
    const c = new CompactClient(server);
    const account = dummyAccount({ email: `${unique("dt")}@example.org`, email_verified: true });
    const first = await c.post("/providers/dummy/token", { id_token: JSON.stringify(account) });
    expectTokens(first);
    expect(first.body.user.email).toBe(account.email);
    const again = await new CompactClient(server, false).post("/providers/dummy/token", {
      id_token: JSON.stringify(account),
    });
    expectTokens(again);
    expect(again.body.user.id).toBe(first.body.user.id);
    expect((await c.get("/user")).body.id).toBe(first.body.user.id);
  });

  it("answers 502 when the provider cannot be reached to start a redirect", async () => {
    const port = await freePort();
    const down = await startLatchkey(dialect, {
      socialaccount: {
        providers: {
          openid_connect: {
            apps: [
              {
                providerId: "gone",
                name: "Gone",
                clientId: "x",
                secret: "y",
                settings: { serverUrl: `http://127.0.0.1:${port}` },
              },
            ],
          },
        },
      },
    });
    const res = await new CompactClient(down).post("/providers/gone/redirect");
    expectError(res, 502, "provider_unavailable");
    expect(await countRows(down, "session")).toBe(0);
  });

  it("refuses bad tokens and unknown providers, writing nothing", async () => {
    const c = new CompactClient(server);
    const users = await countRows(server, "user");
    const sessions = await countRows(server, "session");
    expectError(
      await c.post("/providers/dummy/token", { id_token: "not json" }),
      400,
      "invalid_token",
      "token",
    );
    expectError(await c.post("/providers/dummy/token", {}), 400, "token_required", "token");
    expectError(await c.post("/providers/dummy/token", { id_token: 5 }), 400, "token_required", "token");
    expectError(await c.post("/providers/github/token", { access_token: "x" }), 404, "not_found");
    expectError(await c.post("/providers/github/redirect"), 404, "not_found");
    expect(await countRows(server, "user")).toBe(users);
    expect(await countRows(server, "session")).toBe(sessions);
  });

  it("logs in by redirect without a browser session, through the development provider's page", async () => {
    const c = new CompactClient(server);
    const started = await c.post("/providers/dummy/redirect");
    expect(started.status, started.text).toBe(200);
    expect(Object.keys(started.body)).toEqual(["redirect_url"]);
    const url = new URL(started.body.redirect_url);
    expect(url.pathname).toBe("/accounts/dummy/login/");
    const state = url.searchParams.get("state")!;

    const account = dummyAccount({ email: `${unique("dr")}@example.org`, email_verified: true });
    const back = await atDummyLoginPage(server, url.href, {
      id: String(account.id),
      email: account.email!,
      email_verified: "on",
    });
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get("state")).toBe(state);
    const code = back.searchParams.get("code")!;

    expectError(
      await c.post("/providers/dummy/callback", { code: "wrong", state }),
      400,
      "invalid_token",
      "code",
    );
    // The state went with that attempt: single use.
    const second = await c.post("/providers/dummy/redirect");
    const secondUrl = new URL(second.body.redirect_url);
    const back2 = await atDummyLoginPage(server, secondUrl.href, {
      id: String(account.id),
      email: account.email!,
    });
    const done = await c.post("/providers/dummy/callback", {
      code: back2.searchParams.get("code"),
      state: back2.searchParams.get("state"),
    });
    expectTokens(done);
    expect(done.body.user.email).toBe(account.email);
    expectError(
      await c.post("/providers/dummy/callback", {
        code: back2.searchParams.get("code"),
        state: back2.searchParams.get("state"),
      }),
      400,
      "invalid_token",
      "state",
    );
    expectError(await c.post("/providers/dummy/callback", { code }), 400, "required", "state");

    // Cancelled at the provider: the frontend gets error=access_denied, and the state is spent.
    const third = new URL((await c.post("/providers/dummy/redirect")).body.redirect_url);
    const cancelled = await atDummyLoginPage(server, third.href, "cancel");
    expect(cancelled.searchParams.get("error")).toBe("access_denied");
    expectError(
      await c.post("/providers/dummy/callback", { code: "x", state: third.searchParams.get("state") }),
      400,
      "invalid_token",
      "state",
    );
  });

  it("keeps a browser's redirect states and the compact API's apart", async () => {
    const c = new CompactClient(server);
    const started = await c.post("/providers/dummy/redirect");
    const url = new URL(started.body.redirect_url);
    // The browser's callback page cannot complete a compact flow (no browser binding matches).
    const callback = await server.latchkey.handler(
      new Request(
        `http://localhost:8000/accounts/dummy/login/callback/?state=${url.searchParams.get("state")}&code=x`,
      ),
    );
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toContain("error=unknown");
    const back = await atDummyLoginPage(server, url.href, { id: String(dummyAccount().id) });
    expectTokens(
      await c.post("/providers/dummy/callback", {
        code: back.searchParams.get("code"),
        state: back.searchParams.get("state"),
      }),
    );
  });
});

describe.each(dialects)("compact API: provider signup (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    socialaccount: { providers: { dummy: {} }, autoSignup: false },
  });

  it("answers provider_signup with a signup_token; the signup completes with it, spending it", async () => {
    const c = new CompactClient(server);
    const account = dummyAccount({ email: `${unique("ps")}@example.org`, email_verified: true });
    const pending = await c.post("/providers/dummy/token", { id_token: JSON.stringify(account) });
    expect(pending.status, pending.text).toBe(200);
    expect(pending.body).toEqual({
      flow: "provider_signup",
      provider: { id: "dummy", name: "Dummy", flows: ["provider_redirect", "provider_token"] },
      signup_token: expect.stringMatching(/^\d+\.[\w-]{43}$/),
    });
    expect(c.access).toBeNull();
    const token: string = pending.body.signup_token;
    const done = await c.post("/providers/signup", { token, username: unique("ps"), email: account.email });
    expectTokens(done);
    expect(done.body.user.email).toBe(account.email);
    expectError(
      await c.post("/providers/signup", { token, username: unique("ps") }),
      400,
      "invalid_token",
      "token",
    );

    // A refused form leaves the signup pending, as allauth does: the token still completes it.
    const other = dummyAccount({ email: `${unique("ps")}@example.org`, email_verified: true });
    const second = await c.post("/providers/dummy/token", { id_token: JSON.stringify(other) });
    const retry = { token: second.body.signup_token, username: unique("ps") };
    expectError(
      await c.post("/providers/signup", { ...retry, email: "not-an-address" }),
      400,
      "invalid",
      "email",
    );
    expectError(
      await c.post("/providers/signup", { ...retry, username: 42, email: other.email }),
      400,
      "invalid",
      "username",
    );
    const completed = await c.post("/providers/signup", { ...retry, email: other.email });
    expectTokens(completed);
    expect(completed.body.user.email).toBe(other.email);
    expectError(
      await c.post("/providers/signup", { ...retry, email: other.email }),
      400,
      "invalid_token",
      "token",
    );
  });
});

const IDP_CLIENT: IdpClient = {
  client_id: "compact-spa",
  client_secret: "compact-secret",
  redirect_uris: [CALLBACK],
};

describe.each(dialects)("compact API: redirect against a real OpenID provider (%s)", (dialect) => {
  let idp: Idp;
  beforeAll(async () => {
    idp = await startIdp([IDP_CLIENT]);
  });
  afterAll(async () => {
    await idp.close();
  });
  const server = useLatchkey(dialect, () => ({
    socialaccount: {
      providers: {
        dummy: {},
        openid_connect: {
          apps: [idpApp(IDP_CLIENT, idp.issuer)],
        },
      },
    },
  }));

  function person(): IdpAccount {
    const id = unique("oidc");
    return { sub: `sub-${id}`, email: `${id}@example.org`, email_verified: true, preferred_username: id };
  }

  /** Redirect → the provider (logged in as `account`) → the frontend's callback URL it returns to. */
  async function throughProvider(c: CompactClient, account: IdpAccount): Promise<{ sent: URL; back: URL }> {
    const started = await c.post("/providers/idp/redirect");
    expect(started.status, started.text).toBe(200);
    const sent = new URL(started.body.redirect_url);
    idp.loginAs(account);
    return { sent, back: await idp.authorize(sent.href) };
  }

  it("sends the user to the provider with state, nonce and PKCE, back to the frontend's URL", async () => {
    const c = new CompactClient(server);
    const { sent, back } = await throughProvider(c, person());
    expectAuthorizationRequest(sent, idp.issuer, IDP_CLIENT.client_id, CALLBACK);
    expect(back.origin + back.pathname).toBe(CALLBACK);
    expect(back.searchParams.get("state")).toBe(sent.searchParams.get("state"));
    expect(back.searchParams.get("code")).toBeTruthy();
  });

  it("completes the login from the code and state the frontend posts back, once", async () => {
    const c = new CompactClient(server);
    const account = person();
    const { back } = await throughProvider(c, account);
    const code = back.searchParams.get("code")!;
    const state = back.searchParams.get("state")!;
    const done = await c.post("/providers/idp/callback", { code, state });
    expectTokens(done);
    expect(done.body.user.email).toBe(account.email);
    expect((await c.get("/user")).body.id).toBe(done.body.user.id);
    expectError(await c.post("/providers/idp/callback", { code, state }), 400, "invalid_token", "state");

    // With the iss the provider sent (RFC 9207) forwarded too; the same person logs in again.
    const again = await throughProvider(c, account);
    const forwarded = await c.post("/providers/idp/callback", Object.fromEntries(again.back.searchParams));
    expectTokens(forwarded);
    expect(forwarded.body.user.id).toBe(done.body.user.id);
  });

  it("refuses an unknown provider, another provider's state, a forged code, a code of another flow, a wrong issuer", async () => {
    const c = new CompactClient(server);
    const sessions = await countRows(server, "session");
    const one = await throughProvider(c, person());
    const answer = { code: one.back.searchParams.get("code"), state: one.back.searchParams.get("state") };
    expectError(await c.post("/providers/github/callback", answer), 404, "not_found");
    expectError(
      await c.post("/providers/idp/callback", { ...answer, code: "forged" }),
      400,
      "invalid_token",
      "code",
    );
    // That spent the state: the real code comes too late.
    expectError(await c.post("/providers/idp/callback", answer), 400, "invalid_token", "state");
    const other = await throughProvider(c, person());
    const otherAnswer = {
      code: other.back.searchParams.get("code"),
      state: other.back.searchParams.get("state"),
    };
    expectError(await c.post("/providers/dummy/callback", otherAnswer), 400, "invalid_token", "state");
    expectError(await c.post("/providers/idp/callback", otherAnswer), 400, "invalid_token", "state");
    const two = await throughProvider(c, person());
    const three = await throughProvider(c, person());
    expectError(
      await c.post("/providers/idp/callback", {
        code: two.back.searchParams.get("code"),
        state: three.back.searchParams.get("state"),
      }),
      400,
      "invalid_token",
      "code",
    );
    const four = await throughProvider(c, person());
    expectError(
      await c.post("/providers/idp/callback", {
        code: four.back.searchParams.get("code"),
        state: four.back.searchParams.get("state"),
        iss: "https://evil.example.org",
      }),
      400,
      "invalid_token",
      "code",
    );
    expect(await countRows(server, "session")).toBe(sessions);
  });
});

import { describe, expect, it } from "vitest";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import {
  anonymousClient,
  countRows,
  expectEnvelope,
  insertUser,
  loginClient,
  PASSWORD,
  unique,
} from "../helpers/accounts.js";
import { clients, expectStatus, TestClient } from "../helpers/client.js";
import { Client, startLatchkey, startSecondLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep, pendingFlow, userWithTotp } from "../helpers/totp.js";
import {
  addressesOf,
  browse,
  CALLBACK,
  errorAt,
  LOGIN_ERROR,
  postRedirect,
  queryOf,
  socialRows,
} from "./support.js";

/**
 * The social area through the development provider (no outside server): the redirect flow with
 * its login page, the token flow, provider signup, connections, the stages after a provider
 * login. The same flows against a real OpenID provider are in oidc.test.ts.
 */

const DUMMY: LatchkeyOptions = { socialaccount: { providers: { dummy: {} } } };
const DUMMY_INFO = { id: "dummy", name: "Dummy", flows: ["provider_redirect", "provider_token"] };

interface DummyAccount {
  id: number;
  email?: string;
  email_verified?: boolean;
  username?: string;
  first_name?: string;
}

let serial = 1000;
/** A provider account nobody has used yet. */
function newAccount(init: Omit<DummyAccount, "id"> = {}): DummyAccount {
  serial += 1;
  return { id: serial + Math.floor(Math.random() * 1_000_000) * 1000, ...init };
}

function formOf(account: DummyAccount): Record<string, string> {
  const form: Record<string, string> = { id: String(account.id) };
  if (account.email) form.email = account.email;
  if (account.email_verified) form.email_verified = "on";
  if (account.username) form.username = account.username;
  if (account.first_name) form.first_name = account.first_name;
  return form;
}

/** The whole redirect flow at the development provider: where the browser lands in the end. */
async function redirectLogin(c: TestClient, account: DummyAccount, process = "login", callback = CALLBACK) {
  const started = await postRedirect(c, { provider: "dummy", process, callback_url: callback });
  expect(started.status, started.text).toBe(302);
  expect(started.location).toMatch(/^\/accounts\/dummy\/login\/\?state=[\w-]{43}$/);
  const page = await browse(c, "GET", started.location!);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  const done = await browse(c, "POST", started.location!, formOf(account));
  expect(done.status, done.text).toBe(302);
  return done.location;
}

function tokenOf(account: DummyAccount) {
  return { id_token: JSON.stringify(account) };
}

async function tokenLogin(c: TestClient, account: DummyAccount, process = "login") {
  return c.post("/auth/provider/token", { provider: "dummy", process, token: tokenOf(account) });
}

function record(account: DummyAccount) {
  return { method: "socialaccount", at: expect.any(Number), provider: "dummy", uid: String(account.id) };
}

describe.each(dialects)("development provider (%s)", (dialect) => {
  const server = useLatchkey(dialect, DUMMY);

  it("lists the provider in /config and the flows of each tree", async () => {
    for (const kind of clients) {
      const c = await anonymousClient(server, kind);
      const config = await c.get("/config");
      expect(config.body.data.socialaccount).toEqual({ providers: [DUMMY_INFO] });
      const session = await c.get("/auth/session");
      expect(session.body.data.flows).toEqual([
        { id: "login" },
        { id: "signup" },
        ...(kind === Client.BROWSER ? [{ id: "provider_redirect", providers: ["dummy"] }] : []),
        { id: "provider_token", providers: ["dummy"] },
      ]);
    }
  });

  it("logs in through the redirect flow: login page, callback URL, session, connected account", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const email = `${unique("dummy")}@example.org`;
    const account = newAccount({ email, email_verified: true, username: unique("dum") });
    expect(await redirectLogin(c, account)).toBe(CALLBACK);
    const session = await c.get("/auth/session");
    expectStatus(session, 200);
    expect(session.body.data.user).toMatchObject({
      email,
      username: account.username,
      has_usable_password: false,
    });
    expect(session.body.data.methods).toEqual([record(account)]);
    expect(await addressesOf(server, session.body.data.user.id)).toEqual([
      { email, verified: true, primary: true },
    ]);
    const providers = await c.get("/account/providers");
    expectEnvelope(providers);
    expect(providers.body).toEqual({
      status: 200,
      data: [{ uid: String(account.id), provider: DUMMY_INFO, display: account.username }],
    });
    // The same provider account logs in to the same user next time.
    const again = await anonymousClient(server, Client.BROWSER);
    expect(await redirectLogin(again, account)).toBe(CALLBACK);
    expect((await again.get("/auth/session")).body.data.user.id).toBe(session.body.data.user.id);
  });

  it("renders the login page escaped, self-contained, and keeps a state a wrong form does not spend", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const started = await postRedirect(c, { provider: "dummy" });
    const page = await browse(c, "GET", started.location!);
    expect(page.text).toContain('<meta http-equiv="Content-Security-Policy"');
    expect(page.text).not.toMatch(/<(script|link|img)\b/);
    const wrong = await browse(c, "POST", started.location!, { id: "<b>x</b>", email: '"><script>' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(wrong.text).toContain("&quot;&gt;&lt;script&gt;");
    expect(wrong.text).not.toContain("<script>");
    const account = newAccount();
    const done = await browse(c, "POST", started.location!, formOf(account));
    expect(done.location).toBe(CALLBACK);
  });

  it("answers cancel with error=cancelled, and a spent, missing or foreign state with the error page", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const started = await postRedirect(c, { provider: "dummy", process: "connect" });
    const cancelled = await browse(c, "POST", started.location!, { action: "cancel" });
    expect(cancelled.location).toBe(errorAt(CALLBACK, "cancelled", "connect"));
    // The state is spent: replaying it is the error page's "unknown".
    const replay = await browse(c, "POST", started.location!, formOf(newAccount()));
    expect(replay.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    const missing = await browse(c, "POST", "/accounts/dummy/login/", formOf(newAccount()));
    expect(missing.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    // Another browser cannot complete (or spend) this one's state.
    const mine = await postRedirect(c, { provider: "dummy" });
    const other = await anonymousClient(server, Client.BROWSER);
    await postRedirect(other, { provider: "dummy" });
    const stolen = await browse(other, "POST", mine.location!, formOf(newAccount()));
    expect(stolen.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    expect((await other.get("/auth/session")).status).toBe(401);
    expect((await browse(c, "POST", mine.location!, formOf(newAccount()))).location).toBe(CALLBACK);
  });

  it("refuses an unsafe callback_url without redirecting to it", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    for (const callback of [
      "https://evil.example/cb",
      "//evil.example/cb",
      "///evil.example/cb",
      "/\\evil.example/cb",
      "\\\\evil.example/cb",
      "\t//evil.example/cb",
      "https://localhost:8000@evil.example/cb",
      "javascript:alert(1)",
      "http:///evil.example",
      "",
    ]) {
      const res = await postRedirect(c, { provider: "dummy", callback_url: callback });
      expect(res.status, callback).toBe(302);
      expect(res.location, callback).toBe(errorAt(LOGIN_ERROR, "unknown"));
    }
    for (const callback of ["/account/provider/callback", "http://localhost:8000/cb?x=1", "cb"]) {
      const res = await postRedirect(c, { provider: "dummy", callback_url: callback });
      expect(res.location, callback).toMatch(/^\/accounts\/dummy\/login\/\?state=/);
    }
    const unknown = await postRedirect(c, { provider: "nope" });
    expect(unknown.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    const badProcess = await postRedirect(c, { provider: "dummy", process: "redirect" });
    expect(badProcess.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
  });

  it("accepts a callback_url on a trusted origin", async () => {
    const trusted = await startLatchkey(dialect, {
      ...DUMMY,
      csrf: { trustedOrigins: ["https://app.example.org"] },
    });
    const c = await anonymousClient(trusted, Client.BROWSER);
    const ok = await postRedirect(c, { provider: "dummy", callback_url: "https://app.example.org/cb" });
    expect(ok.location).toMatch(/^\/accounts\/dummy\/login\//);
    const port = await postRedirect(c, { provider: "dummy", callback_url: "https://app.example.org:444/cb" });
    expect(port.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    expect(await redirectLogin(c, newAccount(), "login", "https://app.example.org/cb")).toBe(
      "https://app.example.org/cb",
    );
  });

  it("refuses the form post without its CSRF token", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    const res = await browse(c, "POST", c.url("/auth/provider/redirect"), {
      provider: "dummy",
      process: "login",
      callback_url: CALLBACK,
    });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.text).errors[0].code).toBe("csrf_failed");
  });

  describe.each(clients)("%s client", (kind) => {
    it("logs in with a token: 200, a socialaccount record, the address verified as the provider says", async () => {
      const c = await anonymousClient(server, kind);
      const email = `${unique("tok")}@example.org`;
      const account = newAccount({ email, email_verified: true });
      const res = await tokenLogin(c, account);
      expectStatus(res, 200);
      expectEnvelope(res);
      expect(res.body.data.methods).toEqual([record(account)]);
      expect(res.body.data.user.email).toBe(email);
      if (kind === Client.APP) expect(res.body.meta.session_token).toEqual(expect.any(String));
      expect(await addressesOf(server, res.body.data.user.id)).toEqual([
        { email, verified: true, primary: true },
      ]);
    });

    it("refuses malformed token requests with allauth's codes", async () => {
      const c = await anonymousClient(server, kind);
      const cases: [unknown, { code: string; param?: string }[]][] = [
        [
          {},
          [
            { code: "required", param: "provider" },
            { code: "required", param: "process" },
            { code: "required", param: "token" },
            { code: "invalid_token", param: "token" },
          ],
        ],
        [{ provider: "dummy", process: "login", token: "x" }, [{ code: "invalid_token", param: "token" }]],
        [
          { provider: "dummy", process: "redirect", token: { id_token: "{}" } },
          [{ code: "invalid_choice", param: "process" }],
        ],
        [
          { provider: "dummy", process: "login", token: { access_token: 5 } },
          [{ code: "token_required", param: "token" }],
        ],
        [
          { provider: "dummy", process: "login", token: { client_id: "x" } },
          [{ code: "token_required", param: "token" }],
        ],
        [
          { provider: "github", process: "login", token: { id_token: "x" } },
          [{ code: "client_id_required", param: "token" }],
        ],
        [
          { provider: "github", process: "login", token: { id_token: "x", client_id: "y" } },
          [{ code: "invalid_token", param: "token" }],
        ],
        [
          { provider: "dummy", process: "login", token: { id_token: "not json" } },
          [{ code: "invalid_token", param: "token" }],
        ],
        [
          { provider: "dummy", process: "login", token: { id_token: JSON.stringify({ id: "x" }) } },
          [{ code: "invalid_token", param: "token" }],
        ],
      ];
      for (const [body, errors] of cases) {
        const res = await c.post("/auth/provider/token", body);
        expectStatus(res, 400);
        expect(
          res.body.errors.map((e: { code: string; param?: string }) => ({ code: e.code, param: e.param })),
          JSON.stringify(body),
        ).toEqual(errors);
      }
      const res = await c.post("/auth/provider/token", {});
      expect(res.body.errors[3].message).toBe("Invalid token.");
    });

    it("auto signup with an address another account holds goes to the signup form, never into that account", async () => {
      const holder = await insertUser(server, { email: `${unique("held")}@example.org`, verified: true });
      const c = await anonymousClient(server, kind);
      const res = await tokenLogin(c, newAccount({ email: holder.email!, email_verified: true }));
      expectStatus(res, 401);
      expect(res.body.data.flows).toContainEqual(
        expect.objectContaining({ id: "provider_signup", is_pending: true }),
      );
      const info = await c.get("/auth/provider/signup");
      expect(info.body.data.email).toEqual([{ email: holder.email, verified: true, primary: true }]);
    });

    it("connects to the logged-in user; another user's account is connected_other", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const account = newAccount({ email: `${unique("conn")}@example.org`, email_verified: true });
      const connected = await tokenLogin(c, account, "connect");
      expectStatus(connected, 200);
      expect(connected.body.data.user.id).toBe(user.id);
      const list = await c.get("/account/providers");
      expect(list.body.data).toEqual([
        { uid: String(account.id), provider: DUMMY_INFO, display: account.email },
      ]);
      // The same account again: nothing changes.
      expectStatus(await tokenLogin(c, account, "connect"), 200);
      const other = await insertUser(server);
      const o = await loginClient(server, kind, other);
      const refused = await tokenLogin(o, account, "connect");
      expectStatus(refused, 400);
      expect(refused.body.errors).toEqual([
        {
          code: "connected_other",
          message: "The third-party account is already connected to a different account.",
        },
      ]);
      // Connecting needs a logged-in user.
      const anon = await anonymousClient(server, kind);
      expectStatus(await tokenLogin(anon, newAccount(), "connect"), 403);
      // A login with it logs in as its user.
      const back = await tokenLogin(await anonymousClient(server, kind), account);
      expect(back.body.data.user.id).toBe(user.id);
    });

    it("two first logins with one provider account at once make one user", async () => {
      const account = newAccount();
      const before = await countRows(server, "user");
      const [a, b] = await Promise.all([
        tokenLogin(await anonymousClient(server, kind), account),
        tokenLogin(await anonymousClient(server, kind), account),
      ]);
      expectStatus(a, 200);
      expectStatus(b, 200);
      expect(a.body.data.user.id).toBe(b.body.data.user.id);
      expect(await countRows(server, "user")).toBe(before + 1);
      const rows = await socialRows(server, "social_account");
      expect(rows.filter((r) => r.uid === String(account.id))).toHaveLength(1);
    });

    it("a provider login while logged in ends that login first (allauth logs out)", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const res = await tokenLogin(c, newAccount());
      expectStatus(res, 200);
      expect(res.body.data.user.id).not.toBe(user.id);
      expect((await c.get("/auth/session")).body.data.user.id).toBe(res.body.data.user.id);
    });

    it("disconnects by allauth's rules", async () => {
      const c = await anonymousClient(server, kind);
      const account = newAccount();
      const signed = await tokenLogin(c, account);
      expectStatus(signed, 200);
      const body = { provider: "dummy", account: String(account.id) };
      const unknownAccount = await c.delete("/account/providers", { provider: "dummy", account: "nope" });
      expectStatus(unknownAccount, 400);
      expect(unknownAccount.body.errors).toEqual([
        { code: "account_not_found", message: "Unknown account." },
      ]);
      const noPassword = await c.delete("/account/providers", body);
      expectStatus(noPassword, 400);
      expect(noPassword.body.errors).toEqual([
        { code: "no_password", message: "Your account has no password set up." },
      ]);
      expectStatus(await c.post("/account/password/change", { new_password: PASSWORD }), 200);
      const done = await c.delete("/account/providers", body);
      expectStatus(done, 200);
      expect(done.body.data).toEqual([]);
      const required = await c.delete("/account/providers", {});
      expectStatus(required, 400);
      expect(required.body.errors.map((e: { code: string }) => e.code)).toEqual(["required", "required"]);
    });

    it("keeps the last account where it is the only way in: no verified address, or socialaccount.only", async () => {
      const user = await insertUser(server, { verified: false });
      const c = await loginClient(server, kind, user);
      const account = newAccount();
      expectStatus(await tokenLogin(c, account, "connect"), 200);
      const body = { provider: "dummy", account: String(account.id) };
      // The same session at instances whose options make this account the way in.
      const elsewhere = async (options: LatchkeyOptions) => {
        const other = new TestClient((await startSecondLatchkey(server, options)).latchkey, kind);
        for (const [k, v] of c.cookies) other.cookies.set(k, v);
        other.token = c.token;
        return other;
      };
      const mandatory = await elsewhere({
        ...DUMMY,
        account: { emailVerification: "mandatory", signupFields: ["email*", "username*", "password1*"] },
      });
      const refused = await mandatory.delete("/account/providers", body);
      expectStatus(refused, 400);
      expect(refused.body.errors).toEqual([
        { code: "no_verified_email", message: "Your account has no verified email address." },
      ]);
      const only = await elsewhere({
        socialaccount: { providers: { dummy: {} }, only: true },
        account: { emailVerification: "none" },
        mfa: { enabled: false },
      });
      const last = await only.delete("/account/providers", body);
      expectStatus(last, 400);
      expect(last.body.errors).toEqual([
        {
          code: "disconnect_last",
          message: "You cannot disconnect your last remaining third-party account.",
        },
      ]);
      expectStatus(await c.delete("/account/providers", body), 200);
    });

    it("runs the stages after a provider login: MFA, then the session records both", async () => {
      const c = server.client(kind);
      const user = await userWithTotp(server, c);
      const account = newAccount();
      expectStatus(await tokenLogin(c, account, "connect"), 200);
      const fresh = await anonymousClient(server, kind);
      const res = await tokenLogin(fresh, account);
      expectStatus(res, 401);
      expect(pendingFlow(res)).toEqual({
        id: "mfa_authenticate",
        is_pending: true,
        types: ["recovery_codes", "totp"],
      });
      expectStatus(await fresh.get("/account/providers"), 401);
      nextStep(server);
      const done = await fresh.post("/auth/2fa/authenticate", { code: currentCode(server, user.secret) });
      expectStatus(done, 200);
      expect(done.body.data.user.username).toBe(user.username);
      expect(done.body.data.methods).toEqual([
        record(account),
        { method: "mfa", at: expect.any(Number), id: expect.any(Number), type: "totp" },
      ]);
    });
  });

  it("connects through the redirect flow, refusing another user's account and stale authentication", async () => {
    const user = await insertUser(server);
    const c = await loginClient(server, Client.BROWSER, user);
    const account = newAccount();
    expect(await redirectLogin(c, account, "connect")).toBe(CALLBACK);
    expect((await c.get("/account/providers")).body.data).toHaveLength(1);
    const other = await loginClient(server, Client.BROWSER, await insertUser(server));
    expect(await redirectLogin(other, account, "connect")).toBe(
      errorAt(CALLBACK, "connected_other", "connect"),
    );
    const anon = await anonymousClient(server, Client.BROWSER);
    expect(await redirectLogin(anon, newAccount(), "connect")).toBe(
      errorAt(CALLBACK, "permission_denied", "connect"),
    );
  });

  it("asks for reauthentication before connecting or disconnecting when the options require it", async () => {
    const strict = await startLatchkey(dialect, { ...DUMMY, account: { reauthenticationRequired: true } });
    const user = await insertUser(strict);
    const c = await loginClient(strict, Client.BROWSER, user);
    const account = newAccount();
    expect(await redirectLogin(c, account, "connect")).toBe(CALLBACK);
    strict.advance(301_000);
    expect(await redirectLogin(c, newAccount(), "connect")).toBe(
      errorAt(CALLBACK, "reauthentication_required", "connect"),
    );
    const token = await c.post("/auth/provider/token", {
      provider: "dummy",
      process: "connect",
      token: tokenOf(newAccount()),
    });
    expectStatus(token, 401);
    expect(token.body.meta.is_authenticated).toBe(true);
    const del = await c.delete("/account/providers", { provider: "dummy", account: String(account.id) });
    expectStatus(del, 401);
    expect(del.body.data.flows).toEqual([{ id: "reauthenticate" }]);
    expectStatus(await c.post("/auth/reauthenticate", { password: PASSWORD }), 200);
    expectStatus(
      await c.delete("/account/providers", { provider: "dummy", account: String(account.id) }),
      200,
    );
  });

  it("runs the account area's stages too: a login code required after a provider login", async () => {
    const coded = await startSecondLatchkey(server, {
      ...DUMMY,
      account: { loginByCode: { enabled: true, required: ["socialaccount"] } },
    });
    const email = `${unique("code")}@example.org`;
    const c = await anonymousClient(coded, Client.BROWSER);
    const res = await tokenLogin(c, newAccount({ email, email_verified: true }));
    expectStatus(res, 401);
    expect(pendingFlow(res)).toEqual({ id: "login_by_code", is_pending: true });
    expect(coded.lastMail(email).subject).toContain("Sign-In Code");
  });

  it("mails notifications on connect and disconnect when they are on", async () => {
    const notifying = await startLatchkey(dialect, { ...DUMMY, account: { emailNotifications: true } });
    const user = await insertUser(notifying);
    const c = await loginClient(notifying, Client.BROWSER, user);
    const account = newAccount();
    expectStatus(await tokenLogin(c, account, "connect"), 200);
    const connected = notifying.lastMail(user.email!);
    expect(connected.subject).toBe("[Latchkey] Third-Party Account Connected");
    expect(connected.text).toContain("A third-party account from Dummy has been connected to your account.");
    expect(connected.text).toContain("- IP address: 127.0.0.1");
    expectStatus(
      await c.delete("/account/providers", { provider: "dummy", account: String(account.id) }),
      200,
    );
    expect(notifying.lastMail(user.email!).subject).toBe("[Latchkey] Third-Party Account Disconnected");
  });

  it("with email authentication logs into the account that owns the verified address, wiping an unproven password", async () => {
    const emailAuth = await startLatchkey(dialect, {
      ...DUMMY,
      socialaccount: {
        providers: { dummy: {} },
        emailAuthentication: true,
        emailAuthenticationAutoConnect: true,
      },
    });
    const owner = await insertUser(emailAuth, { email: `${unique("own")}@example.org`, verified: true });
    const c = await anonymousClient(emailAuth, Client.APP);
    const account = newAccount({ email: owner.email!, email_verified: true });
    const res = await tokenLogin(c, account);
    expectStatus(res, 200);
    expect(res.body.data.user.id).toBe(owner.id);
    expect(res.body.data.user.has_usable_password).toBe(true);
    expect((await c.get("/account/providers")).body.data).toHaveLength(1);
    // An unverified local address: the squatter's password goes.
    const squatter = await insertUser(emailAuth, { email: `${unique("sq")}@example.org`, verified: false });
    const squatterSession = await loginClient(emailAuth, Client.APP, squatter);
    const victim = await anonymousClient(emailAuth, Client.APP);
    const taken = await tokenLogin(victim, newAccount({ email: squatter.email!, email_verified: true }));
    expectStatus(taken, 200);
    expect(taken.body.data.user).toMatchObject({ id: squatter.id, has_usable_password: false });
    expectStatus(await squatterSession.get("/auth/session"), 410);
    // An address the provider did not verify logs into nobody.
    const unverified = await tokenLogin(
      await anonymousClient(emailAuth, Client.APP),
      newAccount({ email: owner.email! }),
    );
    expectStatus(unverified, 401);
  });

  it("registers the redirect route in the app tree too, whose callback finds no browser session", async () => {
    const c = await anonymousClient(server, Client.APP);
    const res = await browse(c, "POST", c.url("/auth/provider/redirect"), {
      provider: "dummy",
      process: "login",
      callback_url: CALLBACK,
    });
    expect(res.status).toBe(302);
    const page = await browse(server.client(Client.BROWSER), "POST", res.location!, formOf(newAccount()));
    expect(page.location).toBe(errorAt(LOGIN_ERROR, "unknown"));
    expect(queryOf(page.location).get("error")).toBe("unknown");
  });
});

describe.each(dialects)("provider signup (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    ...DUMMY,
    account: { signupFields: ["email*", "username*", "password1*"], emailVerification: "mandatory" },
  });
  const open = useLatchkey(dialect, {
    socialaccount: { providers: { dummy: {} }, autoSignup: false },
    account: { preventEnumeration: false },
  });

  describe.each(clients)("%s client", (kind) => {
    it("without an address (required by the options) waits for the provider signup form", async () => {
      const c = await anonymousClient(server, kind);
      const account = newAccount();
      const res = await tokenLogin(c, account);
      expectStatus(res, 401);
      const flow = { id: "provider_signup", provider: DUMMY_INFO, is_pending: true };
      expect(res.body.data.flows).toContainEqual(flow);
      expect((await c.get("/auth/session")).body.data.flows).toContainEqual(flow);
      const info = await c.get("/auth/provider/signup");
      expect(info.body).toEqual({
        status: 200,
        data: {
          user: { display: "user", has_usable_password: false },
          account: { uid: String(account.id), provider: DUMMY_INFO, display: "Dummy" },
          email: [],
        },
      });
      const missing = await c.post("/auth/provider/signup", {});
      expectStatus(missing, 400);
      expect(missing.body.errors.map((e: { param: string }) => e.param)).toEqual(["email", "username"]);
      const email = `${unique("signup")}@example.org`;
      const signed = await c.post("/auth/provider/signup", { email, username: unique("u") });
      expectStatus(signed, 401);
      expect(signed.body.data.flows).toContainEqual({ id: "verify_email", is_pending: true });
      expect(signed.body.data.flows.some((f: { id: string }) => f.id === "provider_signup")).toBe(false);
      expect(server.lastMail(email).subject).toContain("Confirm Your Email Address");
      expectStatus(await c.get("/auth/provider/signup"), 409);
      expectStatus(await c.post("/auth/provider/signup", { email }), 409);
      // The provider account was connected to the new user.
      const rows = await socialRows(server, "social_account");
      expect(rows.some((r) => r.uid === String(account.id))).toBe(true);
    });

    it("a taken address is email_taken in the provider's wording, or hidden behind a decoy", async () => {
      const owner = await insertUser(open, { email: `${unique("taken")}@example.org`, verified: true });
      const c = await anonymousClient(open, kind);
      expectStatus(await tokenLogin(c, newAccount()), 401);
      const res = await c.post("/auth/provider/signup", { email: owner.email, username: "bad name!" });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([
        {
          code: "email_taken",
          param: "email",
          message:
            "An account already exists with this email address. Please sign in to that account first, then connect your Dummy account.",
        },
        expect.objectContaining({ code: "invalid", param: "username" }),
      ]);
      // Still pending: another address goes through.
      const signed = await c.post("/auth/provider/signup", {
        email: `${unique("ok")}@example.org`,
        username: unique("u"),
      });
      expectStatus(signed, 200);
      expect(signed.body.data.methods).toEqual([expect.objectContaining({ method: "socialaccount" })]);
      // With enumeration prevention and mandatory verification the answer is a signup's (a decoy),
      // here also for the automatic signup.
      const victim = await insertUser(server, { email: `${unique("victim")}@example.org`, verified: true });
      const d = await anonymousClient(server, kind);
      const decoy = await tokenLogin(d, newAccount({ email: victim.email!, email_verified: true }));
      expectStatus(decoy, 401);
      expect(decoy.body.data.flows).toContainEqual({ id: "verify_email", is_pending: true });
      expect(server.lastMail(victim.email!).subject).toContain("Account Already Exists");
      const e = await anonymousClient(server, kind);
      expectStatus(await tokenLogin(e, newAccount()), 401);
      const formDecoy = await e.post("/auth/provider/signup", { email: victim.email, username: unique("u") });
      expectStatus(formDecoy, 401);
      expect(formDecoy.body.data.flows).toContainEqual({ id: "verify_email", is_pending: true });
    });

    it("answers 403 when signups are closed, before and during a provider signup", async () => {
      const closed = await startSecondLatchkey(open, {
        ...DUMMY,
        socialaccount: { providers: { dummy: {} }, isOpenForSignup: false },
      });
      expectStatus(await tokenLogin(await anonymousClient(closed, kind), newAccount()), 403);
      const c = await anonymousClient(open, kind);
      expectStatus(await tokenLogin(c, newAccount()), 401);
      // The same session on an instance whose signups closed meanwhile.
      const same = new TestClient(closed.latchkey, kind);
      for (const [k, v] of c.cookies) same.cookies.set(k, v);
      same.token = c.token;
      expectStatus(await same.get("/auth/provider/signup"), 403);
      expectStatus(await same.post("/auth/provider/signup", { email: "bad" }), 403);
      expectStatus(await c.get("/auth/provider/signup"), 200);
    });
  });

  it("ends a redirect flow at the callback URL with the provider signup pending", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    expect(await redirectLogin(c, newAccount())).toBe(CALLBACK);
    const session = await c.get("/auth/session");
    expectStatus(session, 401);
    expect(pendingFlow(session)).toEqual({ id: "provider_signup", provider: DUMMY_INFO, is_pending: true });
    const closed = await startSecondLatchkey(open, { ...DUMMY, account: { isOpenForSignup: false } });
    const d = await anonymousClient(closed, Client.BROWSER);
    expect(await redirectLogin(d, newAccount())).toBe(errorAt(CALLBACK, "signup_closed"));
  });
});

describe("social area off", () => {
  const server = useLatchkey("sqlite");

  it("has no provider routes, no socialaccount config and no dummy page without providers", async () => {
    const c = await anonymousClient(server, Client.BROWSER);
    expect((await c.get("/config")).body.data.socialaccount).toBeUndefined();
    expectStatus(await c.post("/auth/provider/token", {}), 404);
    expect((await browse(c, "GET", "/accounts/dummy/login/")).status).toBe(404);
  });
});

import { randomBytes } from "node:crypto";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import {
  type AuthState,
  authState,
  createAllauthClient,
  memoryStorage,
  type TokenStorage,
} from "../../src/client/index.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep } from "../helpers/totp.js";
import {
  answeredTogether,
  freshUser,
  installWebLocks,
  PASSWORD,
  recordingFetch,
  useHttp,
  verificationKey,
} from "./support.js";

/**
 * The typed allauth client, app kind, through Node's fetch against a real HTTP server: the
 * session token bookkeeping, the pending flows as typed values, the auth-change notifications,
 * and (JWT strategy) the access token with its refresh.
 */

describe.each(dialects)("typed client, app kind (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: {
      emailVerification: "mandatory",
      loginOnEmailConfirmation: true,
      loginMethods: ["email", "username"],
      signupFields: ["email*", "username*", "password1*"],
    },
    socialaccount: { providers: { dummy: {} }, autoSignup: false },
  });
  const http = useHttp(server);

  function appClient(storage: TokenStorage = memoryStorage()) {
    const client = createAllauthClient({ kind: "app", baseUrl: `${http.origin}/_allauth`, storage });
    const states: AuthState[] = [];
    client.onAuthChange((state) => states.push(state));
    return { client, states, storage };
  }

  /** Signs up and verifies the address through the client: the user ends up logged in. */
  async function signedUp() {
    const app = appClient();
    const user = freshUser();
    const signup = await app.client.signup({ ...user, password: PASSWORD });
    expect(signup.status, JSON.stringify(signup)).toBe(401);
    expect((await app.client.verifyEmail({ key: verificationKey(server, user.email) })).status).toBe(200);
    return { ...app, user };
  }

  it("signs up with verify_email pending, verifies the key, keeps the newest session token, logs out", async () => {
    const { client, states } = appClient();
    expect(client.url).toBe(`${http.origin}/_allauth/app/v1`);
    const user = freshUser();

    const signup = await client.signup({ ...user, password: PASSWORD });
    expect(signup.status).toBe(401);
    expect(authState(signup)).toEqual({
      status: "pending",
      flow: { id: "verify_email" },
      flows: expect.arrayContaining([{ id: "verify_email", is_pending: true }]),
    });
    const pendingToken = await client.getSessionToken();
    expect(pendingToken).toEqual(expect.any(String));

    const key = verificationKey(server, user.email);
    const info = await client.getEmailVerification(key);
    expect(info.status).toBe(200);
    if (info.status !== 200) return;
    expect(info.data).toMatchObject({ email: user.email, user: { username: user.username } });
    expect(info.meta).toEqual({ is_authenticating: true });

    const verified = await client.verifyEmail({ key });
    expect(verified.status).toBe(200);
    // The login rotates the session token; the client sends the new one from now on.
    const loggedInToken = await client.getSessionToken();
    expect(loggedInToken).toEqual(expect.any(String));
    expect(loggedInToken).not.toBe(pendingToken);

    const session = await client.getSession();
    expect(session.status).toBe(200);
    if (session.status !== 200) return;
    expect(session.data.user).toMatchObject({ email: user.email, username: user.username });
    expect(client.getAuthState()).toMatchObject({ status: "authenticated", user: { email: user.email } });

    const logout = await client.logout();
    expect(logout.status).toBe(401);
    expect(await client.getSessionToken()).toBeNull();
    expect(states.map((s) => s.status)).toEqual(["pending", "authenticated", "authenticated", "anonymous"]);
    expect((await client.getSession()).status).toBe(401);
  });

  it("drops a session token the server no longer knows (410), then asks anonymously", async () => {
    const storage = memoryStorage();
    storage.set("latchkey.session_token", "no-such-session");
    const { client, states } = appClient(storage);
    const gone = await client.getSession();
    expect(gone.status).toBe(410);
    expect(await client.getSessionToken()).toBeNull();
    expect(states).toEqual([{ status: "anonymous", flows: expect.any(Array) }]);
    expect((await client.getSession()).status).toBe(401);
  });

  it("answers refusals as typed errors", async () => {
    const { client } = appClient();
    const wrong = await client.login({ email: "nobody@example.org", password: "not-the-password" });
    expect(wrong.status).toBe(400);
    if (wrong.status !== 400) return;
    expect(wrong.errors?.[0]?.code).toBe("email_password_mismatch");
    expect(authState(wrong)).toBeNull();
    const anonymous = await client.listEmails();
    expect(anonymous.status).toBe(401);
  });

  it("logs in with TOTP: the pending mfa_authenticate flow is a typed value, then the second factor", async () => {
    const setup = await signedUp();
    expect((await setup.client.reauthenticate({ password: PASSWORD })).status).toBe(200);
    const totp = await setup.client.getTotp();
    expect(totp.status).toBe(404);
    if (totp.status !== 404) return;
    const secret = totp.meta.secret;
    expect(totp.meta.totp_url).toMatch(/^otpauth:\/\/totp\//);
    const activated = await setup.client.activateTotp({ code: currentCode(server, secret) });
    expect(activated.status).toBe(200);
    if (activated.status !== 200) return;
    expect(activated.data.type).toBe("totp");
    const codes = await setup.client.getRecoveryCodes();
    expect(codes.status).toBe(200);
    if (codes.status === 200) expect(codes.data.unused_codes).toHaveLength(codes.data.total_code_count);
    nextStep(server);

    const { client, states } = appClient();
    const login = await client.login({ username: setup.user.username, password: PASSWORD });
    expect(login.status).toBe(401);
    const state = authState(login);
    expect(state).toMatchObject({
      status: "pending",
      flow: { id: "mfa_authenticate", types: ["recovery_codes", "totp"] },
    });
    if (state?.status === "pending" && state.flow.id === "mfa_authenticate") {
      expect(state.flow.types).toContain("totp");
    }
    const pendingToken = await client.getSessionToken();

    const code = currentCode(server, secret);
    const wrong = await client.mfaAuthenticate({ code: code === "000000" ? "111111" : "000000" });
    expect(wrong.status).toBe(400);
    if (wrong.status === 400)
      expect(wrong.errors?.[0]).toMatchObject({ code: "incorrect_code", param: "code" });

    const done = await client.mfaAuthenticate({ code });
    expect(done.status).toBe(200);
    if (done.status !== 200) return;
    expect(done.data.user.username).toBe(setup.user.username);
    expect(done.data.methods.map((m) => m.method)).toEqual(["password", "mfa"]);
    expect(await client.getSessionToken()).not.toBe(pendingToken);
    expect(states.map((s) => s.status)).toEqual(["pending", "authenticated"]);
    const authenticators = await client.listAuthenticators();
    expect(authenticators.status).toBe(200);
    if (authenticators.status === 200) {
      expect(authenticators.data.map((a) => a.type).sort()).toEqual(["recovery_codes", "totp"]);
    }
  });

  it("logs in with a provider's token: provider_signup pending with the provider, then the username", async () => {
    const { client, states } = appClient();
    const { username, email } = freshUser("token");
    const id = Date.now();
    const started = await client.providerToken({
      provider: "dummy",
      process: "login",
      token: { id_token: JSON.stringify({ id, email, email_verified: true }) },
    });
    expect(started.status, JSON.stringify(started)).toBe(401);
    const state = authState(started);
    expect(state).toMatchObject({ status: "pending", flow: { id: "provider_signup" } });
    if (state?.status === "pending" && state.flow.id === "provider_signup") {
      expect(state.flow.provider).toMatchObject({ id: "dummy", name: "Dummy" });
    }
    const signup = await client.getProviderSignup();
    expect(signup.status).toBe(200);
    if (signup.status === 200) {
      expect(signup.data.account).toMatchObject({ uid: String(id), provider: { id: "dummy" } });
      expect(signup.data.email).toEqual([{ email, verified: true, primary: true }]);
    }
    const done = await client.providerSignup({ email, username });
    expect(done.status, JSON.stringify(done)).toBe(200);
    expect(states.map((s) => s.status)).toEqual(["pending", "authenticated"]);
    const accounts = await client.listProviderAccounts();
    expect(accounts.status).toBe(200);
    if (accounts.status === 200)
      expect(accounts.data).toEqual([expect.objectContaining({ uid: String(id) })]);
  });

  it("manages email addresses: list, add, remove", async () => {
    const { client, user } = await signedUp();
    const listed = await client.listEmails();
    expect(listed).toEqual({
      status: 200,
      data: [{ email: user.email, primary: true, verified: true }],
    });
    const other = freshUser().email;
    const added = await client.addEmail({ email: other });
    expect(added.status).toBe(200);
    if (added.status === 200)
      expect(added.data).toContainEqual({ email: other, primary: false, verified: false });
    const primary = await client.markEmailPrimary({ email: other });
    expect(primary.status).toBe(400);
    if (primary.status === 400) expect(primary.errors?.[0]?.code).toBe("unverified_primary_email");
    const removed = await client.removeEmail({ email: other });
    expect(removed).toEqual({ status: 200, data: [{ email: user.email, primary: true, verified: true }] });
    const config = await client.getConfig();
    expect(config.status).toBe(200);
    if (config.status === 200) expect(config.data.account.login_methods).toEqual(["email", "username"]);
  });
});

describe.each(dialects)("typed client, app kind with the JWT strategy (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: randomBytes(32).toString("hex") } },
  });
  const http = useHttp(server);

  async function loggedIn() {
    const recorder = recordingFetch();
    const client = createAllauthClient({
      kind: "app",
      baseUrl: `${http.origin}/_allauth`,
      storage: memoryStorage(),
      fetch: recorder.fetch,
    });
    const user = freshUser("jwt");
    expect((await client.signup({ ...user, password: PASSWORD })).status).toBe(200);
    return { client, user, requests: recorder.requests };
  }

  it("the access token replaces the session token and is sent as Bearer", async () => {
    const { client, user } = await loggedIn();
    expect(await client.getSessionToken()).toBeNull();
    const access = await client.getAccessToken();
    expect(access).toMatch(/^ey/);
    const session = await client.getSession();
    expect(session.status).toBe(200);
    if (session.status === 200) {
      expect(session.data.user.username).toBe(user.username);
      // The server only names the session token when the request did not carry one: it sent none.
      expect(session.meta).not.toHaveProperty("session_token");
    }
  });

  it("refreshes an expired access token once and repeats the request", async () => {
    const { client, requests } = await loggedIn();
    const access = await client.getAccessToken();
    server.advance(301_000);
    requests.length = 0;
    const session = await client.getSession();
    expect(session.status).toBe(200);
    expect(requests).toEqual([
      "GET /_allauth/app/v1/auth/session",
      "POST /_allauth/app/v1/tokens/refresh",
      "GET /_allauth/app/v1/auth/session",
    ]);
    expect(await client.getAccessToken()).not.toBe(access);
    // Gated routes are repeated too, whatever their method.
    server.advance(301_000);
    requests.length = 0;
    expect((await client.reauthenticate({ password: PASSWORD })).status).toBe(200);
    expect(requests).toHaveLength(3);
  });

  it("concurrent refreshes share one request (a rotating refresh token is spent once)", async () => {
    const { client, requests } = await loggedIn();
    requests.length = 0;
    const [first, second] = await Promise.all([client.refreshTokens(), client.refreshTokens()]);
    expect(first.status).toBe(200);
    expect(second).toBe(first);
    expect(requests).toEqual(["POST /_allauth/app/v1/tokens/refresh"]);
    // Both expired calls at once: each is answered.
    server.advance(301_000);
    const answers = await Promise.all([client.getSession(), client.listEmails()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
  });

  it("two tabs on one storage whose access tokens expired together: one refresh, both answered", async () => {
    const locks = installWebLocks();
    const storage = memoryStorage();
    const baseUrl = `${http.origin}/_allauth`;
    const signup = createAllauthClient({ kind: "app", baseUrl, storage });
    expect((await signup.signup({ ...freshUser("tabs"), password: PASSWORD })).status).toBe(200);
    const network = answeredTogether(2, "GET /_allauth/app/v1/auth/session");
    const tabs = [0, 1].map(() =>
      createAllauthClient({ kind: "app", baseUrl, storage, fetch: network.fetch }),
    );
    server.advance(301_000);
    const answers = await Promise.all(tabs.map((tab) => tab.getSession()));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(network.requests.filter((r) => r === "POST /_allauth/app/v1/tokens/refresh")).toHaveLength(1);
    expect(locks).toEqual([`latchkey-refresh:${baseUrl}/app/v1`, `latchkey-refresh:${baseUrl}/app/v1`]);
    // The session lives on: the stored pair works, and refreshes again.
    for (const tab of tabs) expect((await tab.getSession()).status).toBe(200);
    expect((await tabs[1]!.refreshTokens()).status).toBe(200);
    expect((await tabs[0]!.listEmails()).status).toBe(200);
  });

  it("a tab that still reads the refresh token another replaced is refused, ends nothing, and takes the new pair", async () => {
    const storage = memoryStorage();
    const baseUrl = `${http.origin}/_allauth`;
    const first = createAllauthClient({ kind: "app", baseUrl, storage });
    expect((await first.signup({ ...freshUser("lag"), password: PASSWORD })).status).toBe(200);
    const replaced = await storage.get("latchkey.refresh_token");
    const refreshed = await first.refreshTokens();
    expect(refreshed.status).toBe(200);
    // The other tab's view of localStorage lags behind the first tab's write for two reads.
    let staleReads = 2;
    const lagging: TokenStorage = {
      get: (key) => (key === "latchkey.refresh_token" && staleReads-- > 0 ? replaced : storage.get(key)),
      set: (key, value) => storage.set(key, value),
      remove: (key) => storage.remove(key),
    };
    const network = recordingFetch();
    const second = createAllauthClient({ kind: "app", baseUrl, storage: lagging, fetch: network.fetch });
    const taken = await second.refreshTokens();
    expect(network.requests).toEqual(["POST /_allauth/app/v1/tokens/refresh"]);
    expect(taken).toEqual({ status: 200, data: refreshed.status === 200 ? refreshed.data : {} });
    // Nothing ended: both tabs go on with the pair the first stored.
    expect((await second.getSession()).status).toBe(200);
    expect((await first.refreshTokens()).status).toBe(200);
  });

  it("forgets the tokens when the refresh token is refused too: the answer is anonymous", async () => {
    const { client } = await loggedIn();
    server.advance(86_401_000);
    const session = await client.getSession();
    expect(session.status).toBe(401);
    expect(authState(session)).toMatchObject({ status: "anonymous" });
    expect(await client.getAccessToken()).toBeNull();
    expect((await client.refreshTokens()).status).toBe(400);
  });

  it("an outage during the refresh is not a logout: the tokens are kept", async () => {
    const storage = memoryStorage();
    const client = createAllauthClient({ kind: "app", baseUrl: `${http.origin}/_allauth`, storage });
    expect((await client.signup({ ...freshUser("down"), password: PASSWORD })).status).toBe(200);
    const access = await client.getAccessToken();
    const down = createAllauthClient({
      kind: "app",
      baseUrl: `${http.origin}/_allauth`,
      storage,
      fetch: async (input, init) =>
        String(input).endsWith("/tokens/refresh")
          ? new Response(JSON.stringify({ status: 503 }), { status: 503 })
          : fetch(input, init),
    });
    server.advance(301_000);
    expect((await down.getSession()).status).toBe(401);
    expect(await down.getAccessToken()).toBe(access);
    expect((await client.getSession()).status).toBe(200);
  });

  it("does not repeat a refused ungated POST, and forgets the tokens at logout", async () => {
    const { client, requests } = await loggedIn();
    server.advance(301_000);
    requests.length = 0;
    // The expired token made the request anonymous; a login attempt is answered as such, once.
    const login = await client.login({ email: "nobody@example.org", password: "not-the-password" });
    expect(login.status).toBe(400);
    expect(requests).toEqual(["POST /_allauth/app/v1/auth/login"]);
    expect((await client.logout()).status).toBe(401);
    expect(await client.getAccessToken()).toBeNull();
  });
  describe("on a clock of its own", () => {
    const fresh = useLatchkey(dialect, {
      tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: randomBytes(32).toString("hex") } },
    });
    const freshHttp = useHttp(fresh);

    it("refreshes an access token that expires soon by this device's clock before sending it", async () => {
      const storage = memoryStorage();
      const recorder = recordingFetch();
      const client = createAllauthClient({
        kind: "app",
        baseUrl: `${freshHttp.origin}/_allauth`,
        storage,
        fetch: recorder.fetch,
      });
      expect((await client.signup({ ...freshUser("soon"), password: PASSWORD })).status).toBe(200);
      const access = (await client.getAccessToken())!;
      const { exp } = JSON.parse(Buffer.from(access.split(".")[1]!, "base64url").toString()) as {
        exp: number;
      };
      // Five seconds before expiry on both clocks: the client's Date, and the server's (it reads Date).
      vi.useFakeTimers({ toFake: ["Date"], now: exp * 1000 - 5_000 });
      onTestFinished(() => {
        vi.useRealTimers();
      });
      recorder.requests.length = 0;
      // A logout cannot be repeated after a refusal (the server answers it as it answers an
      // expired token): the token must be fresh when it goes, or the session would live on.
      expect((await client.logout()).status).toBe(401);
      expect(recorder.requests).toEqual([
        "POST /_allauth/app/v1/tokens/refresh",
        "DELETE /_allauth/app/v1/auth/session",
      ]);
      expect(await client.getAccessToken()).toBeNull();
    });
  });
});

import { describe, expect, it } from "vitest";
import { AuthAPI, AuthError, memoryStorage, type TokenStorage } from "../../src/client/index.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep, verifyAllEmails } from "../helpers/totp.js";
import {
  answeredTogether,
  atDummyLoginPage,
  freshUser,
  installWebLocks,
  mailedCode,
  PASSWORD,
  recordingFetch,
  useHttp,
  verificationKey,
  wrongCode,
} from "./support.js";

/**
 * AuthAPI through Node's fetch against the compact API of a real HTTP server: the tokens it keeps,
 * the refresh on 401 `invalid_token`, the pending steps as values and the refusals as AuthError.
 */

describe.each(dialects)("AuthAPI (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: { loginMethods: ["email", "username"] },
    socialaccount: { providers: { dummy: {} }, autoSignup: false },
  });
  const http = useHttp(server);

  function authApi(storage: TokenStorage = memoryStorage()) {
    const recorder = recordingFetch();
    const auth = new AuthAPI(`${http.origin}/auth/`, { storage, fetch: recorder.fetch });
    return { auth, storage, requests: recorder.requests };
  }

  async function signedUp() {
    const api = authApi();
    const user = freshUser("api");
    const signup = await api.auth.signup(user.email, PASSWORD, user.username);
    expect(signup).toMatchObject({ user: { email: user.email }, verification_sent: true });
    return { ...api, user };
  }

  it("signs up, logs in by email or username, keeps the tokens under auth_token, logs out", async () => {
    const { auth, storage, user } = await signedUp();
    expect(auth.baseURL).toBe(`${http.origin}/auth`);
    const signupToken = await storage.get("auth_token");
    expect(signupToken).toEqual(expect.any(String));
    expect(await auth.getUser()).toMatchObject({ username: user.username, email: user.email });

    await auth.logout();
    expect(await storage.get("auth_token")).toBeUndefined();
    expect(await storage.get("auth_refresh_token")).toBeUndefined();
    expect(await auth.getUser()).toBeNull();

    const byEmail = await auth.login(user.email, PASSWORD);
    expect(byEmail).toMatchObject({
      token_type: "Bearer",
      expires_in: 3600,
      user: { username: user.username },
    });
    if (!("access_token" in byEmail)) throw new Error("not logged in");
    expect(await auth.getToken()).toBe(byEmail.access_token);
    expect(await storage.get("auth_refresh_token")).toBe(byEmail.refresh_token);
    const byUsername = await authApi().auth.login(user.username, PASSWORD);
    expect(byUsername).toMatchObject({ user: { email: user.email } });
  });

  it("logs in with { username } a username that contains @, and with { email }", async () => {
    const { auth } = authApi();
    const user = freshUser("at");
    const username = `${user.username}@home`;
    expect(await auth.signup(user.email, PASSWORD, username)).toMatchObject({ user: { username } });
    await auth.logout();
    // As a bare string it is taken for an address, which has no account.
    await expect(auth.login(username, PASSWORD)).rejects.toMatchObject({ status: 400 });
    expect(await auth.login({ username }, PASSWORD)).toMatchObject({ user: { email: user.email } });
    expect(await authApi().auth.login({ email: user.email }, PASSWORD)).toMatchObject({ user: { username } });
  });

  it("refuses with AuthError: status, errors and the first code", async () => {
    const { auth } = authApi();
    const error = await auth.login("nobody@example.org", "not-the-password").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ status: 400, code: "email_password_mismatch" });
    expect((error as AuthError).errors).toHaveLength(1);
    expect(await auth.getToken()).toBeNull();
  });

  it("refreshes once on 401 invalid_token and repeats the call", async () => {
    const { auth, requests, storage } = await signedUp();
    const access = await auth.getToken();
    const refresh = await storage.get("auth_refresh_token");
    server.advance(3_601_000);
    requests.length = 0;
    expect(await auth.getUser()).not.toBeNull();
    expect(requests).toEqual(["GET /auth/user/", "POST /auth/token/refresh/", "GET /auth/user/"]);
    expect(await auth.getToken()).not.toBe(access);
    expect(await storage.get("auth_refresh_token")).not.toBe(refresh);
  });

  it("concurrent refreshes share one request (a refresh token is spent once)", async () => {
    const { auth, requests } = await signedUp();
    requests.length = 0;
    expect(await Promise.all([auth.refresh(), auth.refresh()])).toEqual([true, true]);
    expect(requests).toEqual(["POST /auth/token/refresh/"]);
    server.advance(3_601_000);
    const users = await Promise.all([auth.getUser(), auth.getUser()]);
    expect(users.map((u) => u?.id)).toEqual([users[0]!.id, users[0]!.id]);
  });

  it("two tabs on one storage whose tokens expired together: one refresh, both get the user", async () => {
    const locks = installWebLocks();
    const { storage, user } = await signedUp();
    const spent = await storage.get("auth_refresh_token");
    const network = answeredTogether(2, "GET /auth/user/");
    const tabs = [0, 1].map(() => new AuthAPI(`${http.origin}/auth`, { storage, fetch: network.fetch }));
    server.advance(3_601_000);
    const users = await Promise.all(tabs.map((tab) => tab.getUser()));
    expect(users.map((u) => u?.username)).toEqual([user.username, user.username]);
    // The tab that waited for the lock found the pair the other stored and spent nothing.
    expect(network.requests.filter((r) => r === "POST /auth/token/refresh/")).toHaveLength(1);
    expect(locks).toEqual([`latchkey-refresh:${http.origin}/auth`, `latchkey-refresh:${http.origin}/auth`]);
    expect(await storage.get("auth_refresh_token")).not.toBe(spent);
    // The session lives on: the stored pair works, and refreshes again.
    for (const tab of tabs) expect(await tab.getUser()).toMatchObject({ username: user.username });
    expect(await tabs[1]!.refresh()).toBe(true);
    expect(await tabs[0]!.getUser()).toMatchObject({ username: user.username });
  });

  it("forgets the tokens when the refresh is refused: getUser is null", async () => {
    const { auth, storage } = await signedUp();
    // Another holder of the refresh token spends it first; the server then refuses ours.
    const copy = memoryStorage();
    await copy.set("auth_refresh_token", (await storage.get("auth_refresh_token"))!);
    expect(await authApi(copy).auth.refresh()).toBe(true);
    server.advance(3_601_000);
    expect(await auth.getUser()).toBeNull();
    expect(await auth.getToken()).toBeNull();
    expect(await storage.get("auth_refresh_token")).toBeUndefined();
  });

  it("an outage during the refresh is not a logout: AuthError, the tokens kept", async () => {
    const { storage } = await signedUp();
    const access = await storage.get("auth_token");
    const down: typeof fetch = async (input, init) =>
      String(input).endsWith("/token/refresh/")
        ? new Response(JSON.stringify({ status: 503 }), { status: 503 })
        : fetch(input, init);
    const auth = new AuthAPI(`${http.origin}/auth`, { storage, fetch: down });
    server.advance(3_601_000);
    await expect(auth.getUser()).rejects.toMatchObject({ name: "AuthError", status: 503 });
    expect(await auth.getToken()).toBe(access);
    expect(await storage.get("auth_refresh_token")).toEqual(expect.any(String));
  });

  it("asks for a recent login with flow reauthenticate; adds TOTP; logs in with it", async () => {
    const { auth, user } = await signedUp();
    await verifyAllEmails(server, user.email);
    const setup = await auth.addTotp();
    expect(setup.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
    // A fresh signup has not authenticated recently enough to activate an authenticator.
    const stale = await auth
      .confirmTotp(setup.secret, currentCode(server, setup.secret))
      .catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(AuthError);
    expect(stale).toMatchObject({ status: 401, flow: "reauthenticate" });
    await auth.reauthenticate(PASSWORD);
    const code = currentCode(server, setup.secret);
    const wrong = await auth
      .confirmTotp(setup.secret, code === "000000" ? "111111" : "000000")
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ status: 400, code: "incorrect_code" });
    const confirmed = await auth.confirmTotp(setup.secret, code);
    expect(confirmed.recovery_codes.length).toBeGreaterThan(0);
    await auth.logout();
    nextStep(server);

    const pending = await auth.login(user.email, PASSWORD);
    expect(pending).toEqual({
      flow: "mfa_authenticate",
      types: ["recovery_codes", "totp"],
      mfa_token: expect.any(String),
    });
    expect(await auth.getToken()).toBeNull();
    const right = currentCode(server, setup.secret);
    await expect(auth.mfaAuthenticate(right === "000000" ? "111111" : "000000")).rejects.toMatchObject({
      status: 400,
      code: "incorrect_code",
    });
    // The mfa_token of the login is remembered, and a wrong code leaves it good.
    const done = await auth.mfaAuthenticate(right);
    expect(done).toMatchObject({ token_type: "Bearer", user: { email: user.email } });
    expect(await auth.getUser()).toMatchObject({ email: user.email });
  });

  it("changes the password; requests a password reset", async () => {
    const { auth, user } = await signedUp();
    await auth.changePassword(PASSWORD, "Another-Correct-Horse-7");
    await auth.logout();
    await expect(auth.login(user.email, PASSWORD)).rejects.toMatchObject({ status: 400 });
    expect(await auth.login(user.email, "Another-Correct-Horse-7")).toMatchObject({
      user: { email: user.email },
    });
    await auth.requestPasswordReset(user.email);
    expect(server.lastMail(user.email).text).toMatch(/password/i);
  });

  it("lists the providers; logs in with a provider's token, signing up with the missing username", async () => {
    const { auth } = authApi();
    expect(await auth.providers()).toEqual([expect.objectContaining({ id: "dummy", name: "Dummy" })]);
    const redirect = new URL(await auth.providerRedirect("dummy"));
    expect(redirect.pathname).toBe("/accounts/dummy/login/");
    const { username, email } = freshUser("token");
    const started = await auth.providerToken("dummy", {
      id_token: JSON.stringify({ id: Date.now(), email, email_verified: true }),
    });
    expect(started).toMatchObject({
      flow: "provider_signup",
      provider: { id: "dummy" },
      signup_token: expect.any(String),
    });
    // The signup_token of the answer is remembered.
    const done = await auth.providerSignup({ username });
    expect(done).toMatchObject({ token_type: "Bearer", user: { username, email } });
    expect(await auth.getUser()).toMatchObject({ username });
  });

  it("logs in by provider redirect: only the callback that brings back the state it kept", async () => {
    const { auth, storage, requests } = authApi();
    const url = new URL(await auth.providerRedirect("dummy"));
    expect(url.pathname).toBe("/accounts/dummy/login/");
    const state = url.searchParams.get("state");
    expect(state).toEqual(expect.any(String));
    expect(await storage.get("auth_provider_state")).toBe(state);

    // Someone else's provider login, their code and state handed to this client (login CSRF).
    const other = authApi();
    const theirs = await atDummyLoginPage(await other.auth.providerRedirect("dummy"), {
      id: String(Date.now()),
      email: freshUser("attacker").email,
    });
    const forged = { code: theirs.searchParams.get("code")!, state: theirs.searchParams.get("state")! };
    requests.length = 0;
    const refused = await auth.providerCallback("dummy", forged).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AuthError);
    expect(refused).toMatchObject({ status: 400, code: "state_mismatch" });
    // Refused here: the server never saw it (their state is still good), and ours is still kept.
    expect(requests).toEqual([]);
    expect(await storage.get("auth_provider_state")).toBe(state);
    // A client that started no provider login keeps no state: it refuses any callback.
    await expect(authApi().auth.providerCallback("dummy", forged)).rejects.toMatchObject({
      code: "state_mismatch",
    });
    expect(await other.auth.providerCallback("dummy", forged)).toMatchObject({ flow: "provider_signup" });

    const { email } = freshUser("redirect");
    const back = await atDummyLoginPage(url.href, {
      id: String(Date.now() + 1),
      email,
      email_verified: "on",
    });
    expect(back.origin + back.pathname).toBe("http://localhost:3000/auth/callback");
    const pending = await auth.providerCallbackFromUrl("dummy", back.href);
    expect(pending).toMatchObject({ flow: "provider_signup", provider: { id: "dummy" } });
    expect(requests).toEqual(["POST /auth/providers/dummy/callback/"]);
    // The state is used once: the same callback again is refused here.
    expect(await storage.get("auth_provider_state")).toBeUndefined();
    await expect(auth.providerCallbackFromUrl("dummy", back.href)).rejects.toMatchObject({
      code: "state_mismatch",
    });
    expect(await auth.providerSignup({ username: freshUser("redirect").username })).toMatchObject({
      token_type: "Bearer",
      user: { email },
    });
  });

  it("a login cancelled at the provider is an AuthError with the provider's error", async () => {
    const { auth, requests } = authApi();
    const back = await atDummyLoginPage(await auth.providerRedirect("dummy"), "cancel");
    requests.length = 0;
    const cancelled = await auth.providerCallbackFromUrl("dummy", back.href).catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(AuthError);
    expect(cancelled).toMatchObject({ status: 400, code: "access_denied" });
    expect(requests).toEqual([]);
  });

  it("a user without a password reauthenticates with a code: flow mfa_reauthenticate", async () => {
    const { auth } = authApi();
    const { username, email } = freshUser("mfareauth");
    await auth.providerToken("dummy", {
      id_token: JSON.stringify({ id: Date.now(), email, email_verified: true }),
    });
    await auth.providerSignup({ username });
    // Just logged in by the provider: recent enough to activate TOTP.
    const first = await auth.addTotp();
    const { recovery_codes } = await auth.confirmTotp(first.secret, currentCode(server, first.secret));
    // The TOTP is removed behind the compact API (which has no route for that); the recovery codes stay.
    const user = await auth.getUser();
    await server.latchkey.runtime.store.db
      .deleteFrom("authenticator")
      .where("user_id", "=", user!.id)
      .where("type", "=", "totp")
      .execute();
    server.advance((server.latchkey.options.account.reauthenticationTimeout + 1) * 1000);
    const again = await auth.addTotp();
    const stale = await auth
      .confirmTotp(again.secret, currentCode(server, again.secret))
      .catch((e: unknown) => e);
    expect(stale).toMatchObject({ name: "AuthError", status: 401, flow: "mfa_reauthenticate" });
    await expect(auth.mfaReauthenticate("not-a-code")).rejects.toMatchObject({
      status: 400,
      code: "incorrect_code",
    });
    await auth.mfaReauthenticate(recovery_codes[0]!);
    const confirmed = await auth.confirmTotp(again.secret, currentCode(server, again.secret));
    expect(confirmed.recovery_codes.length).toBeGreaterThan(0);
  });
});

describe.each(dialects)("AuthAPI with mandatory email verification (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: {
      emailVerification: "mandatory",
      loginOnEmailConfirmation: true,
      signupFields: ["email*", "password1*"],
      loginMethods: ["email"],
    },
  });
  const http = useHttp(server);

  it("a login waits for verify_email; the mailed key verifies the address", async () => {
    const auth = new AuthAPI(`${http.origin}/auth`, { storage: memoryStorage() });
    const { email } = freshUser("verify");
    expect(await auth.signup(email, PASSWORD)).toEqual({ flow: "verify_email", verification_sent: true });
    expect(await auth.getToken()).toBeNull();
    expect(await auth.login(email, PASSWORD)).toEqual({ flow: "verify_email" });
    // Verified outside a login: nothing to log in with; then the login goes through.
    expect(await auth.verifyEmail(verificationKey(server, email))).toEqual({});
    expect(await auth.login(email, PASSWORD)).toMatchObject({ user: { email } });
  });
});

describe.each(dialects)("AuthAPI with verification and password reset by code (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: {
      emailVerification: "mandatory",
      emailVerificationByCode: { enabled: true },
      passwordResetByCode: { enabled: true },
      signupFields: ["email*", "password1*"],
      loginMethods: ["email"],
    },
  });
  const http = useHttp(server);
  const authApi = () => new AuthAPI(`${http.origin}/auth`, { storage: memoryStorage() });

  it("a signup waits for verify_email; its verification_token survives a wrong code; the code logs in", async () => {
    const auth = authApi();
    const { email } = freshUser("code");
    expect(await auth.signup(email, PASSWORD)).toEqual({
      flow: "verify_email",
      verification_sent: true,
      verification_token: expect.any(String),
    });
    const code = mailedCode(server, email);
    await expect(auth.verifyEmail(wrongCode(code))).rejects.toMatchObject({
      status: 400,
      code: "incorrect_code",
    });
    // The remembered verification_token goes with the code.
    expect(await auth.verifyEmail(code)).toMatchObject({ token_type: "Bearer", user: { email } });
    expect(await auth.getUser()).toMatchObject({ email });
  });

  it("a login of an unverified address hands out a verification_token another client can continue with", async () => {
    const { email } = freshUser("codelogin");
    await authApi().signup(email, PASSWORD);
    const login = await authApi().login(email, PASSWORD);
    expect(login).toEqual({ flow: "verify_email", verification_token: expect.any(String) });
    const token = (login as { verification_token: string }).verification_token;
    const elsewhere = authApi();
    // Without the token a code belongs to no login.
    await expect(elsewhere.verifyEmail(mailedCode(server, email))).rejects.toMatchObject({ status: 400 });
    expect(await elsewhere.verifyEmail(mailedCode(server, email), token)).toMatchObject({
      token_type: "Bearer",
      user: { email },
    });
  });

  it("resets the password with the mailed code and the reset_token; a wrong code keeps the token", async () => {
    const auth = authApi();
    const { email } = freshUser("reset");
    await auth.signup(email, PASSWORD);
    await auth.verifyEmail(mailedCode(server, email));
    await auth.logout();

    const unknown = await authApi().requestPasswordReset(freshUser("nobody").email);
    expect(unknown).toEqual({ flow: "password_reset_by_code", reset_token: expect.any(String) });
    expect(await auth.requestPasswordReset(email)).toEqual({
      flow: "password_reset_by_code",
      reset_token: expect.any(String),
    });
    const code = mailedCode(server, email);
    const NEW_PASSWORD = "Another-Correct-Horse-7";
    await expect(auth.confirmPasswordReset(wrongCode(code), NEW_PASSWORD)).rejects.toMatchObject({
      status: 400,
      code: "incorrect_code",
    });
    // The remembered reset_token goes with the code.
    expect(await auth.confirmPasswordReset(code, NEW_PASSWORD)).toEqual({});
    await expect(auth.login(email, PASSWORD)).rejects.toMatchObject({ status: 400 });
    expect(await auth.login(email, NEW_PASSWORD)).toMatchObject({ user: { email } });
  });
});

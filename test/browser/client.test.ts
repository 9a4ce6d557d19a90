import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toNodeListener } from "../../src/adapters/node.js";
import type { AllauthClient, AuthAnswer, AuthAPI, AuthState } from "../../src/client/index.js";
import { addVirtualAuthenticator, launchChromium, skipTestsWithoutChromium } from "../helpers/chromium.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { currentCode, nextStep, verifyAllEmails } from "../helpers/totp.js";
import { freePort } from "../ops/support.js";

/**
 * latchkey/client in a real browser against the real server, page and API on one origin:
 * Debian's Chromium loads the client (bundled with esbuild at test start) and drives the typed
 * allauth client (browser kind: cookies, CSRF, the allauth.auth.change event, TOTP, a passkey
 * with a CDP virtual authenticator) and the compact API's AuthAPI (its token in localStorage).
 */

const PAGE = readFileSync(new URL("./client.html", import.meta.url), "utf8");
const PASSWORD = "Correct-Horse-Battery-9";
const skip = skipTestsWithoutChromium("the client browser test");

declare global {
  interface Window {
    latchkey: typeof import("../../src/client/index.js");
    allauth: AllauthClient;
    auth: AuthAPI;
    authEvents: AuthAnswer[];
    authStates: AuthState[];
    clientReady: boolean;
  }
}

let serial = 0;
function freshUser(prefix: string) {
  serial += 1;
  const username = `${prefix}${serial}x${Math.random().toString(36).slice(2, 7)}`;
  return { username, email: `${username}@example.org`, password: PASSWORD };
}

describe.skipIf(skip)("latchkey/client in Chromium", () => {
  // The port comes first: the compact API's provider callback URL is the test page on it.
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
  });
  const server = useLatchkey("sqlite", () => ({
    account: { loginMethods: ["email", "username"] },
    socialaccount: { providers: { dummy: {} } },
    mfa: { supportedTypes: ["recovery_codes", "totp", "webauthn"], passkeyLogin: true },
    compactApi: { providerCallbackUrl: `http://localhost:${port}/callback` },
  }));
  let http: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL("../../src/client/index.ts", import.meta.url))],
      bundle: true,
      format: "esm",
      target: "es2022",
      write: false,
      logLevel: "silent",
    });
    const script = bundle.outputFiles[0]!.text;
    const api = toNodeListener(server.latchkey);
    http = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      // The test page is also the frontend's provider callback page.
      if (path === "/" || path === "/callback") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(PAGE);
      } else if (req.url === "/client.js") {
        res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
        res.end(script);
      } else {
        api(req, res);
      }
    });
    await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
    // localhost is a secure context, as WebAuthn requires; the RP id becomes "localhost".
    origin = `http://localhost:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  /** A fresh browser profile (no cookies, empty localStorage) on the test page, the client loaded. */
  async function openPage(): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requests: string[] = [];
    page.on("request", (request) => {
      const path = new URL(request.url()).pathname;
      if (path === "/" || path === "/client.js") return;
      const csrf = request.headers()["x-csrftoken"];
      requests.push(`${request.method()} ${path}${csrf ? ` [csrf ${csrf}]` : ""}`);
    });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => window.clientReady === true);
    return { context, page, requests };
  }

  async function csrfCookie(context: BrowserContext): Promise<string | undefined> {
    return (await context.cookies()).find((c) => c.name === "csrftoken")?.value;
  }

  describe("the typed allauth client, browser kind", () => {
    it("signs up (fetching the CSRF cookie first), follows the token login rotates, fires allauth.auth.change", async () => {
      const { context, page, requests } = await openPage();
      const user = freshUser("spa");
      expect(await csrfCookie(context)).toBeUndefined();

      const signup = await page.evaluate((u) => window.allauth.signup(u), user);
      expect(signup.status, JSON.stringify(signup)).toBe(200);
      expect(requests).toEqual([
        "GET /_allauth/browser/v1/config",
        expect.stringMatching(/^POST \/_allauth\/browser\/v1\/auth\/signup \[csrf \w+\]$/),
      ]);
      // The signup logged in, which rotated the token: the one sent is not the cookie any more.
      const firstToken = (await csrfCookie(context))!;
      expect(requests[1]).not.toContain(firstToken);

      expect((await page.evaluate(() => window.allauth.logout())).status).toBe(401);
      const login = await page.evaluate(
        ([username, password]) => window.allauth.login({ username, password }),
        [user.username, user.password] as const,
      );
      expect(login.status).toBe(200);
      // Login rotates the CSRF token: the next unsafe request must carry the new one.
      const rotated = (await csrfCookie(context))!;
      expect(rotated).not.toBe(firstToken);
      const reauth = await page.evaluate(
        (password) => window.allauth.reauthenticate({ password }),
        user.password,
      );
      expect(reauth.status, JSON.stringify(reauth)).toBe(200);
      expect(requests.at(-1)).toBe(`POST /_allauth/browser/v1/auth/reauthenticate [csrf ${rotated}]`);

      const session = await page.evaluate(() => window.allauth.getSession());
      expect(session.status).toBe(200);
      const events = await page.evaluate(() => window.authEvents);
      expect(events.map((e) => e.status)).toEqual([200, 401, 200, 200, 200]);
      expect(events.at(-1)).toEqual(session);
      const states = await page.evaluate(() => window.authStates);
      expect(states.map((s) => s.status)).toEqual([
        "authenticated",
        "anonymous",
        "authenticated",
        "authenticated",
        "authenticated",
      ]);
      expect(states.at(-1)).toMatchObject({ user: { username: user.username, email: user.email } });
      await context.close();
    });

    it("logs in with TOTP as the second factor: the pending flow, then the code", async () => {
      const { context, page } = await openPage();
      const user = freshUser("totp");
      expect((await page.evaluate((u) => window.allauth.signup(u), user)).status).toBe(200);
      await verifyAllEmails(server, user.email);
      expect(
        (await page.evaluate((p) => window.allauth.reauthenticate({ password: p }), user.password)).status,
      ).toBe(200);
      const setup = await page.evaluate(() => window.allauth.getTotp());
      expect(setup.status).toBe(404);
      const secret = (setup as { meta: { secret: string } }).meta.secret;
      const code = currentCode(server, secret);
      expect((await page.evaluate((c) => window.allauth.activateTotp({ code: c }), code)).status).toBe(200);
      expect((await page.evaluate(() => window.allauth.logout())).status).toBe(401);
      nextStep(server);

      const pending = await page.evaluate(
        ([username, password]) => window.allauth.login({ username, password }),
        [user.username, user.password] as const,
      );
      expect(pending.status).toBe(401);
      const state = await page.evaluate(() => window.allauth.getAuthState());
      expect(state).toMatchObject({
        status: "pending",
        flow: { id: "mfa_authenticate", types: ["recovery_codes", "totp"] },
      });
      const done = await page.evaluate(
        (c) => window.allauth.mfaAuthenticate({ code: c }),
        currentCode(server, secret),
      );
      expect(done.status, JSON.stringify(done)).toBe(200);
      expect(await page.evaluate(() => window.allauth.getAuthState()?.status)).toBe("authenticated");
      await context.close();
    });

    it("registers a passkey and logs in with it (CDP virtual authenticator)", async () => {
      const { context, page } = await openPage();
      const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
      const user = freshUser("passkey");
      expect((await page.evaluate((u) => window.allauth.signup(u), user)).status).toBe(200);
      await verifyAllEmails(server, user.email);
      expect(
        (await page.evaluate((p) => window.allauth.reauthenticate({ password: p }), user.password)).status,
      ).toBe(200);

      const added = await page.evaluate(async () => {
        const options = await window.allauth.getWebAuthnCreationOptions(true);
        if (options.status !== 200) return options;
        const credential = await window.latchkey.createWebAuthnCredential(options.data);
        return window.allauth.addWebAuthnCredential({ name: "Chromium", credential });
      });
      expect(added.status, JSON.stringify(added)).toBe(200);
      expect(added).toMatchObject({ data: { type: "webauthn", name: "Chromium", is_passwordless: true } });
      expect((await page.evaluate(() => window.allauth.logout())).status).toBe(401);

      const login = await page.evaluate(async () => {
        const options = await window.allauth.getWebAuthnLoginOptions();
        if (options.status !== 200) return options;
        const credential = await window.latchkey.getWebAuthnCredential(options.data);
        return window.allauth.loginWithWebAuthn({ credential });
      });
      expect(login.status, JSON.stringify(login)).toBe(200);
      expect(login).toMatchObject({
        data: {
          user: { username: user.username },
          methods: [{ method: "mfa", type: "webauthn", passwordless: true }],
        },
      });
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
      await context.close();
    });

    it("logs in at a provider: the form post carries the CSRF token, the provider returns to the callback", async () => {
      const { context, page } = await openPage();
      // The call navigates away: it is not awaited in the page.
      await page.evaluate(() => {
        void window.allauth.redirectToProvider({ provider: "dummy", callback_url: "/callback" });
      });
      await page.waitForURL(/\/accounts\/dummy\/login\/\?state=/);
      const { email } = freshUser("provider");
      await page.fill("#id", String(Date.now()));
      await page.fill("#email", email);
      await page.click('button:not([value="cancel"])');
      await page.waitForURL(`${origin}/callback`);
      await page.waitForFunction(() => window.clientReady === true);
      const session = await page.evaluate(() => window.allauth.getSession());
      expect(session.status, JSON.stringify(session)).toBe(200);
      expect(session).toMatchObject({
        data: { user: { email }, methods: [{ method: "socialaccount", provider: "dummy" }] },
      });
      await context.close();
    });
  });

  describe("AuthAPI against the compact API", () => {
    it("logs in, gets the user, keeps the token across a reload, logs out (the token refused afterwards)", async () => {
      const { context, page } = await openPage();
      const user = freshUser("compact");
      const signup = await page.evaluate((u) => window.auth.signup(u.email, u.password, u.username), user);
      expect(signup).toMatchObject({ user: { email: user.email, username: user.username } });
      await page.evaluate(() => window.auth.logout());
      expect(await page.evaluate(() => localStorage.getItem("auth_token"))).toBeNull();

      const login = await page.evaluate((u) => window.auth.login(u.email, u.password), user);
      expect(login).toMatchObject({ token_type: "Bearer", user: { email: user.email } });
      const token = await page.evaluate(() => localStorage.getItem("auth_token"));
      expect(token).toEqual(expect.any(String));
      expect(await page.evaluate(() => window.auth.getUser())).toMatchObject({ username: user.username });

      await page.reload();
      await page.waitForFunction(() => window.clientReady === true);
      expect(await page.evaluate(() => localStorage.getItem("auth_token"))).toBe(token);
      expect(await page.evaluate(() => window.auth.getUser())).toMatchObject({ username: user.username });

      await page.evaluate(() => window.auth.logout());
      expect(await page.evaluate(() => localStorage.getItem("auth_token"))).toBeNull();
      expect(await page.evaluate(() => window.auth.getUser())).toBeNull();
      const refused = await page.evaluate(async (old) => {
        const response = await fetch("/auth/user/", { headers: { authorization: `Bearer ${old}` } });
        return { status: response.status, body: await response.json() };
      }, token);
      expect(refused.status).toBe(401);
      expect(refused.body.errors[0].code).toBe("invalid_token");
      await context.close();
    });

    it("two tabs whose tokens expired together: one refresh under the Web Lock, both get the user", async () => {
      const { context, page } = await openPage();
      const user = freshUser("tabs");
      await page.evaluate((u) => window.auth.signup(u.email, u.password, u.username), user);
      const other = await context.newPage();
      await other.goto(`${origin}/`);
      await other.waitForFunction(() => window.clientReady === true);
      // Both tabs' refused calls are answered at once, so both go for a refresh.
      const held: (() => void)[] = [];
      await context.route("**/auth/user/", async (route) => {
        const response = await route.fetch();
        if (held.length < 2) {
          await new Promise<void>((resolve) => {
            held.push(resolve);
            if (held.length === 2) for (const release of held) release();
          });
        }
        await route.fulfill({ response });
      });
      // The second tab may not see the first's new pair yet when it takes the lock (localStorage
      // writes reach other tabs a moment later): it may present the replaced token, which the
      // server refuses without ending the session. Either way the session is rotated once.
      const rotations: number[] = [];
      context.on("response", (response) => {
        if (new URL(response.url()).pathname === "/auth/token/refresh/") rotations.push(response.status());
      });
      server.advance(3_601_000);
      const users = await Promise.all([page, other].map((tab) => tab.evaluate(() => window.auth.getUser())));
      expect(users.map((u) => u?.username)).toEqual([user.username, user.username]);
      expect(rotations.filter((status) => status === 200)).toHaveLength(1);
      // The session lives on in both tabs.
      await other.reload();
      await other.waitForFunction(() => window.clientReady === true);
      for (const tab of [page, other]) {
        expect(await tab.evaluate(() => window.auth.getUser())).toMatchObject({ username: user.username });
      }
      await context.close();
    });

    it("logs in with TOTP: mfa_authenticate, then the code", async () => {
      const { context, page } = await openPage();
      const user = freshUser("compactmfa");
      // The signup logs in (verification is optional); a fresh signup must reauthenticate to add TOTP.
      const signup = await page.evaluate((u) => window.auth.signup(u.email, u.password, u.username), user);
      expect(signup).toMatchObject({ token_type: "Bearer" });
      await verifyAllEmails(server, user.email);
      await page.evaluate((p) => window.auth.reauthenticate(p), user.password);
      const setup = await page.evaluate(() => window.auth.addTotp());
      expect(setup.totp_url).toMatch(/^otpauth:\/\/totp\//);
      const confirmed = await page.evaluate(([secret, code]) => window.auth.confirmTotp(secret, code), [
        setup.secret,
        currentCode(server, setup.secret),
      ] as const);
      expect(confirmed.recovery_codes.length).toBeGreaterThan(0);
      await page.evaluate(() => window.auth.logout());
      nextStep(server);

      const pending = await page.evaluate((u) => window.auth.login(u.email, u.password), user);
      expect(pending).toMatchObject({ flow: "mfa_authenticate", mfa_token: expect.any(String) });
      expect(await page.evaluate(() => localStorage.getItem("auth_token"))).toBeNull();
      const done = await page.evaluate(
        (code) => window.auth.mfaAuthenticate(code),
        currentCode(server, setup.secret),
      );
      expect(done).toMatchObject({ token_type: "Bearer", user: { email: user.email } });
      expect(await page.evaluate(() => window.auth.getUser())).toMatchObject({ email: user.email });
      await context.close();
    });

    it("logs in at a provider: the state kept in localStorage across the trip, checked on the way back", async () => {
      const { context, page } = await openPage();
      const url = await page.evaluate(() => window.auth.providerRedirect("dummy"));
      const state = new URL(url).searchParams.get("state");
      expect(await page.evaluate(() => localStorage.getItem("auth_provider_state"))).toBe(state);
      await page.goto(url);
      const { email } = freshUser("compactprovider");
      await page.fill("#id", String(Date.now()));
      await page.fill("#email", email);
      await page.check('input[name="email_verified"]');
      await page.click('button:not([value="cancel"])');
      await page.waitForURL(`${origin}/callback?*`);
      await page.waitForFunction(() => window.clientReady === true);
      const login = await page.evaluate(() => window.auth.providerCallbackFromUrl("dummy"));
      expect(login).toMatchObject({ token_type: "Bearer", user: { email } });
      expect(await page.evaluate(() => localStorage.getItem("auth_provider_state"))).toBeNull();
      expect(await page.evaluate(() => window.auth.getUser())).toMatchObject({ email });
      // The same callback again (or one a stranger hands over): refused in the page.
      await page.evaluate(() => window.auth.logout());
      const replayed = await page.evaluate(() =>
        window.auth.providerCallbackFromUrl("dummy").catch((e: { code: string; status: number }) => ({
          code: e.code,
          status: e.status,
        })),
      );
      expect(replayed).toEqual({ code: "state_mismatch", status: 400 });
      await context.close();
    });
  });
});

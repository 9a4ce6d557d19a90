import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toNodeListener } from "../../src/adapters/node.js";
import { addVirtualAuthenticator, launchChromium, skipTestsWithoutChromium } from "../helpers/chromium.js";
import { useLatchkey } from "../helpers/latchkey.js";

/**
 * A real browser against the real API: Debian's Chromium with a CDP virtual authenticator
 * (ctap2, internal, resident keys, user verification) registers a passkey through
 * `PublicKeyCredential.parseCreationOptionsFromJSON` / `toJSON()`, then logs in with it and
 * uses it as a second factor — for the browser (cookies + CSRF) and the app (session token) client.
 */

const PAGE = readFileSync(new URL("./passkey.html", import.meta.url), "utf8");
const PASSWORD = "Correct-Horse-Battery-9";
const skip = skipTestsWithoutChromium("the passkey browser test");

interface ApiBody {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  data?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  meta?: any;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  errors?: any[];
}

type ClientKind = "browser" | "app";

declare global {
  interface Window {
    passkeyTest: {
      api(client: ClientKind, method: string, path: string, body?: unknown): Promise<ApiBody>;
      addPasskey(client: ClientKind, name: string): Promise<ApiBody>;
      loginWithPasskey(client: ClientKind): Promise<ApiBody>;
      authenticateWithKey(client: ClientKind): Promise<ApiBody>;
    };
  }
}

describe.skipIf(skip)("passkeys in Chromium (virtual authenticator)", () => {
  const server = useLatchkey("sqlite", {
    mfa: { supportedTypes: ["recovery_codes", "totp", "webauthn"], passkeyLogin: true },
  });
  let http: Server;
  let origin: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    const api = toNodeListener(server.latchkey);
    http = createServer((req, res) => {
      if (req.url === "/" || req.url === "/index.html") {
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(PAGE);
        return;
      }
      api(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    // localhost is a secure context, as WebAuthn requires; the RP id becomes "localhost".
    origin = `http://localhost:${(http.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${origin}/`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  });

  const call = (client: ClientKind, method: string, path: string, body?: unknown) =>
    page.evaluate(([c, m, p, b]) => window.passkeyTest.api(c, m, p, b), [
      client,
      method,
      path,
      body,
    ] as const);

  it.each<ClientKind>(["browser", "app"])(
    "%s client: signs up, reauthenticates, registers a passkey, logs in with it and uses it for 2FA",
    async (client) => {
      const { cdp, authenticatorId } = await addVirtualAuthenticator(page);
      try {
        const username = `chromium${client}`;
        const email = `${username}@example.org`;
        await call(client, "GET", "/auth/session");
        const signup = await call(client, "POST", "/auth/signup", { email, username, password: PASSWORD });
        expect(signup.status, JSON.stringify(signup)).toBe(200);
        // Email verification is another area; adding an authenticator needs a verified address.
        await server.latchkey.runtime.store.db
          .updateTable("email_address")
          .set({ verified: 1 })
          .where("email_lower", "=", email)
          .execute();

        // A fresh signup has no authentication record: reauthenticate first.
        expect((await call(client, "GET", "/account/authenticators/webauthn")).status).toBe(401);
        expect((await call(client, "POST", "/auth/reauthenticate", { password: PASSWORD })).status).toBe(200);

        const added = await page.evaluate((c) => window.passkeyTest.addPasskey(c, "Chromium"), client);
        expect(added.status, JSON.stringify(added)).toBe(200);
        expect(added.data).toMatchObject({ type: "webauthn", name: "Chromium", is_passwordless: true });
        expect(added.meta).toEqual({ recovery_codes_generated: true });
        const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
        expect(credentials).toHaveLength(1);
        expect(credentials[0]!.isResidentCredential).toBe(true);

        expect((await call(client, "DELETE", "/auth/session")).status).toBe(401);
        const login = await page.evaluate((c) => window.passkeyTest.loginWithPasskey(c), client);
        expect(login.status, JSON.stringify(login)).toBe(200);
        expect(login.data.user).toMatchObject({ email, username });
        expect(login.data.methods).toEqual([
          { method: "mfa", at: expect.any(Number), id: added.data.id, type: "webauthn", passwordless: true },
        ]);

        // The same key as a second factor after a password login.
        expect((await call(client, "DELETE", "/auth/session")).status).toBe(401);
        const password = await call(client, "POST", "/auth/login", { username, password: PASSWORD });
        expect(password.status).toBe(401);
        expect(password.data.flows).toContainEqual({
          id: "mfa_authenticate",
          is_pending: true,
          types: ["recovery_codes", "webauthn"],
        });
        const second = await page.evaluate((c) => window.passkeyTest.authenticateWithKey(c), client);
        expect(second.status, JSON.stringify(second)).toBe(200);
        expect(second.data.methods.map((m: { method: string }) => m.method)).toEqual(["password", "mfa"]);
        expect((await call(client, "DELETE", "/auth/session")).status).toBe(401);
      } finally {
        await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
        await cdp.detach();
      }
    },
    120_000,
  );
});

import { describe, expect, it } from "vitest";
import { anonymousClient, expectEnvelope, unique } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { Client, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/**
 * socialaccount.only: a provider is the only way in. allauth then serves no password login,
 * signup, password, address or phone endpoints, and lists neither login nor signup as flows.
 */
describe.each(dialects)("socialaccount.only (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    socialaccount: { providers: { dummy: {} }, only: true },
    account: { emailVerification: "none", passwordResetByCode: { enabled: true } },
    mfa: { enabled: false },
  });

  describe.each(clients)("%s client", (kind) => {
    it("serves no login, signup, password, address or reset endpoint", async () => {
      const c = await anonymousClient(server, kind);
      for (const [method, path] of [
        ["POST", "/auth/login"],
        ["POST", "/auth/signup"],
        ["POST", "/auth/password/request"],
        ["POST", "/auth/password/reset"],
        ["GET", "/auth/password/reset"],
        ["POST", "/auth/email/verify"],
        ["POST", "/account/password/change"],
        ["GET", "/account/email"],
      ] as const) {
        const res = await c.request(method, path, method === "POST" ? { email: "a@example.org" } : undefined);
        expectStatus(res, 404);
        expectEnvelope(res);
      }
    });

    it("lists only the provider flows, and a provider login still works", async () => {
      const c = await anonymousClient(server, kind);
      const session = await c.get("/auth/session");
      expectStatus(session, 401);
      expect(session.body.data.flows).toEqual([
        ...(kind === Client.BROWSER ? [{ id: "provider_redirect", providers: ["dummy"] }] : []),
        { id: "provider_token", providers: ["dummy"] },
      ]);
      const account = { id: Math.floor(Math.random() * 1e9), email: `${unique("only")}@example.org` };
      const login = await c.post("/auth/provider/token", {
        provider: "dummy",
        process: "login",
        token: { id_token: JSON.stringify(account) },
      });
      expectStatus(login, 200);
      expect(login.body.data.user.email).toBe(account.email);
      expectStatus(await c.get("/account/providers"), 200);
    });
  });
});

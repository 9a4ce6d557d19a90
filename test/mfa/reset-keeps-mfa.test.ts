import { describe, expect, it } from "vitest";
import { anonymousClient } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { currentCode, nextStep, pendingFlow, userWithTotp } from "../helpers/totp.js";

/** A password reset proves the mailbox, not the second factor: MFA still stands after it. */
describe.each(dialects)("password reset and MFA (%s)", (dialect) => {
  const NEW_PASSWORD = "Another-Horse-Battery-7";

  function resetKey(text: string): string {
    const key = /reset\/key\/([^\s/]+)/.exec(text)?.[1];
    if (!key) throw new Error(`no reset link in ${text}`);
    return decodeURIComponent(key);
  }

  describe.each(clients)("%s client", (kind) => {
    describe("with account.loginOnPasswordReset", () => {
      const server = useLatchkey(dialect, { account: { loginOnPasswordReset: true } });

      it("the login after the reset stops at mfa_authenticate, and the authenticators stay", async () => {
        const user = await userWithTotp(server, server.client(kind));
        const c = await anonymousClient(server, kind);
        expectStatus(await c.post("/auth/password/request", { email: user.email }), 200);
        const reset = await c.post("/auth/password/reset", {
          key: resetKey(server.lastMail(user.email).text),
          password: NEW_PASSWORD,
        });
        expectStatus(reset, 401);
        expect(pendingFlow(reset)).toMatchObject({ id: "mfa_authenticate", is_pending: true });
        nextStep(server);
        const done = await c.post("/auth/2fa/authenticate", { code: currentCode(server, user.secret) });
        expectStatus(done, 200);
        expect(done.body.data.methods.map((m: { method: string }) => m.method)).toEqual([
          "password_reset",
          "mfa",
        ]);
      });
    });

    describe("without it", () => {
      const server = useLatchkey(dialect);

      it("the next password login still asks for the code", async () => {
        const user = await userWithTotp(server, server.client(kind));
        const c = await anonymousClient(server, kind);
        expectStatus(await c.post("/auth/password/request", { email: user.email }), 200);
        const key = resetKey(server.lastMail(user.email).text);
        expectStatus(await c.post("/auth/password/reset", { key, password: NEW_PASSWORD }), 401);
        const login = await c.post("/auth/login", { username: user.username, password: NEW_PASSWORD });
        expectStatus(login, 401);
        expect(pendingFlow(login)).toMatchObject({ id: "mfa_authenticate", is_pending: true });
      });
    });
  });
});

import { describe, expect, it } from "vitest";
import { insertUser, loginClient } from "../helpers/accounts.js";
import { clients, expectStatus } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/**
 * A session row keeps a copy of what its user shows, so that a session check reads one row. Every
 * write that changes the user refreshes the copies of all its sessions: another session of the
 * same user sees the change on its next check.
 */
describe.each(dialects)("the session's copy of its user (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: { loginMethods: ["email"], signupFields: ["email*", "password1*"] },
    usersessions: { endOthersOnPasswordChange: false },
  });

  const userOf = async (c: {
    get(path: string): Promise<{ status: number; body: { data: { user: unknown } } }>;
  }) => {
    const res = await c.get("/auth/session");
    expect(res.status).toBe(200);
    return res.body.data.user as Record<string, unknown>;
  };

  describe.each(clients)("%s client", (kind) => {
    it("shows a password set in another session", async () => {
      const user = await insertUser(server, { verified: true });
      const here = await loginClient(server, kind, user);
      const there = await loginClient(server, kind, user);
      // The password cleared (as an administrator would), then set again by its user.
      await server.latchkey.runtime.users.setPassword(user.id, null);
      expect((await userOf(there)).has_usable_password).toBe(false);
      expectStatus(
        await here.post("/account/password/change", { new_password: "Another-Horse-Battery-7" }),
        200,
      );
      expect((await userOf(there)).has_usable_password).toBe(true);
    });

    it("shows a new primary address, and the one left after a removal", async () => {
      const user = await insertUser(server, { verified: true });
      const here = await loginClient(server, kind, user);
      const there = await loginClient(server, kind, user);
      const second = `second-${user.id}@example.org`;
      expectStatus(await here.post("/account/email", { email: second }), 200);
      // Proven by its link, then made primary.
      const link = /verify-email\/(\S+)/.exec(server.lastMail(second).text)![1]!;
      expectStatus(await here.post("/auth/email/verify", { key: link }), 200);
      expect((await userOf(there)).email).toBe(user.email);
      expectStatus(await here.patch("/account/email", { email: second, primary: true }), 200);
      expect((await userOf(there)).email).toBe(second);
      expectStatus(await here.delete("/account/email", { email: user.email }), 200);
      expect((await userOf(there)).email).toBe(second);
    });
  });
});

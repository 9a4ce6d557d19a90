import { describe, expect, it } from "vitest";
import {
  ANONYMOUS_FLOWS,
  anonymousClient,
  expectEnvelope,
  insertUser,
  loginClient,
  PASSWORD,
  userBody,
} from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const INCORRECT = { message: "Incorrect password.", code: "incorrect_password", param: "password" };
const ANONYMOUS = { status: 401, data: { flows: ANONYMOUS_FLOWS }, meta: { is_authenticated: false } };

describe.each(dialects)("POST /auth/reauthenticate (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    const server = useLatchkey(dialect);

    it("adds a reauthenticated password record", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const before = await c.get("/auth/session");
      expect(before.body.data.methods).toHaveLength(1);
      server.advance(10_000);
      const res = await c.post("/auth/reauthenticate", { password: PASSWORD });
      expectEnvelope(res);
      expect(res.status).toBe(200);
      expect(res.body.data.user).toEqual(userBody(user));
      expect(res.body.meta.is_authenticated).toBe(true);
      const methods = res.body.data.methods;
      expect(methods).toHaveLength(2);
      expect(methods[0]).toEqual(before.body.data.methods[0]);
      expect(methods[1]).toEqual({ method: "password", at: expect.any(Number), reauthenticated: true });
      expect(methods[1].at).toBeGreaterThanOrEqual(methods[0].at + 9);
      const after = await c.get("/auth/session");
      expect(after.status).toBe(200);
      expect(after.body.data.methods).toEqual(methods);
      // Each reauthentication adds one more.
      await c.post("/auth/reauthenticate", { password: PASSWORD });
      expect((await c.get("/auth/session")).body.data.methods).toHaveLength(3);
    });

    it("answers a wrong password with 400 incorrect_password and records nothing", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      for (const password of ["wrong", ` ${PASSWORD}`, PASSWORD.toLowerCase()]) {
        const res = await c.post("/auth/reauthenticate", { password });
        expectEnvelope(res);
        expect(res.body).toEqual({ status: 400, errors: [INCORRECT] });
      }
      expect((await c.get("/auth/session")).body.data.methods).toHaveLength(1);
    });

    it("requires the password", async () => {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      for (const body of [{}, { password: "" }, { password: null }]) {
        const res = await c.post("/auth/reauthenticate", body);
        expect(res.body).toEqual({
          status: 400,
          errors: [{ message: "This field is required.", code: "required", param: "password" }],
        });
      }
    });

    it("refuses every password of a user without a usable one", async () => {
      const withPassword = await insertUser(server);
      const logged = await loginClient(server, kind, withPassword);
      await server.latchkey.runtime.store.db
        .updateTable("user")
        .set({ password: null })
        .where("id", "=", withPassword.id)
        .execute();
      const res = await logged.post("/auth/reauthenticate", { password: PASSWORD });
      expect(res.body).toEqual({ status: 400, errors: [INCORRECT] });
    });

    it("answers 401 with the flows to an anonymous caller", async () => {
      const c = await anonymousClient(server, kind);
      const res = await c.post("/auth/reauthenticate", { password: PASSWORD });
      expectEnvelope(res);
      expect(res.body).toEqual(ANONYMOUS);
    });

    it("answers 401 to an anonymous caller even with an invalid body", async () => {
      const c = await anonymousClient(server, kind);
      expect((await c.post("/auth/reauthenticate", {})).body).toEqual(ANONYMOUS);
    });
  });

  it.each(clients)("the reauthenticate rate limit gives 429 (%s client)", async (kind) => {
    const server = await startLatchkey(dialect, { rateLimits: { actions: { reauthenticate: "1/m/ip" } } });
    const user = await insertUser(server);
    const c = await loginClient(server, kind, user);
    expect((await c.post("/auth/reauthenticate", { password: PASSWORD })).status).toBe(200);
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await c.post("/auth/reauthenticate", { password: PASSWORD });
      expectEnvelope(res);
      expect(res.body).toEqual({ status: 429 });
    }
    expect((await c.get("/auth/session")).body.data.methods).toHaveLength(2);
  });
});

import { describe, expect, it } from "vitest";
import {
  ANONYMOUS_FLOWS,
  anonymousClient,
  expectEnvelope,
  insertUser,
  loginClient,
  PASSWORD,
  sessionRows,
  storedPasswordHash,
  type TestUser,
  userBody,
} from "../helpers/accounts.js";
import { clients, type TestClient } from "../helpers/client.js";
import { Client, startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const NEW_PASSWORD = "Another-Strong-Secret-42";
const REQUIRED = "This field is required.";
const ANONYMOUS = { status: 401, data: { flows: ANONYMOUS_FLOWS }, meta: { is_authenticated: false } };
const GONE = { status: 410, data: { flows: ANONYMOUS_FLOWS }, meta: { is_authenticated: null } };

function heldToken(c: TestClient): string | undefined {
  return c.client === Client.APP ? (c.token ?? undefined) : c.cookies.get("sessionid");
}

describe.each(dialects)("POST /account/password/change (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    const server = useLatchkey(dialect, { account: { emailNotifications: true } });

    const mailsTo = (user: TestUser) => server.mailsTo(user.email!);

    /** A logged-in user whose password is `password` (null: no usable password). */
    async function setup(password: string | null = PASSWORD) {
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      if (password === null) {
        await server.latchkey.runtime.store.db
          .updateTable("user")
          .set({ password: null })
          .where("id", "=", user.id)
          .execute();
        user.password = null;
      }
      const hash = await storedPasswordHash(server, user.id);
      return { user, c, hash };
    }

    const failures: [string, Record<string, unknown>, unknown[]][] = [
      [
        "wrong current password",
        { current_password: "wrong", new_password: NEW_PASSWORD },
        [
          {
            message: "Please type your current password.",
            code: "enter_current_password",
            param: "current_password",
          },
        ],
      ],
      [
        "new password too short",
        { current_password: PASSWORD, new_password: "a" },
        [
          {
            message: "This password is too short. It must contain at least 8 characters.",
            code: "password_too_short",
            param: "new_password",
          },
        ],
      ],
      [
        "empty new password",
        { current_password: PASSWORD, new_password: "" },
        [{ message: REQUIRED, code: "required", param: "new_password" }],
      ],
      [
        "empty current password",
        { current_password: "", new_password: NEW_PASSWORD },
        [{ message: REQUIRED, code: "required", param: "current_password" }],
      ],
      [
        "missing current password",
        { new_password: NEW_PASSWORD },
        [{ message: REQUIRED, code: "required", param: "current_password" }],
      ],
      [
        "several validator problems",
        { current_password: PASSWORD, new_password: "1234" },
        [
          {
            message: "This password is too short. It must contain at least 8 characters.",
            code: "password_too_short",
            param: "new_password",
          },
          { message: "This password is too common.", code: "password_too_common", param: "new_password" },
          {
            message: "This password is entirely numeric.",
            code: "password_entirely_numeric",
            param: "new_password",
          },
        ],
      ],
    ];

    it.each(failures)("%s: 400, password kept, no mail", async (_name, body, errors) => {
      const { user, c, hash } = await setup();
      const token = heldToken(c);
      const res = await c.post("/account/password/change", body);
      expectEnvelope(res);
      expect(res.body).toEqual({ status: 400, errors });
      expect(await storedPasswordHash(server, user.id)).toBe(hash);
      expect(heldToken(c)).toBe(token);
      expect(mailsTo(user)).toEqual([]);
    });

    it("checks the new password's similarity to the user", async () => {
      const { user, c } = await setup();
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: `${user.username}1`,
      });
      expect(res.body.errors).toEqual([
        {
          message: "The password is too similar to the username.",
          code: "password_too_similar",
          param: "new_password",
        },
      ]);
    });

    it("changes the password, keeps the user logged in with a new token, and mails a notification", async () => {
      const { user, c, hash } = await setup();
      const before = heldToken(c)!;
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expectEnvelope(res);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        user: userBody(user),
        methods: [{ method: "password", at: expect.any(Number), username: user.username }],
      });
      if (kind === Client.APP) {
        expect(res.body.meta).toEqual({ is_authenticated: true, session_token: expect.any(String) });
        expect(res.body.meta.session_token).not.toBe(before);
      } else {
        expect(res.body.meta).toEqual({ is_authenticated: true });
        expect(c.cookies.get("sessionid")).not.toBe(before);
      }
      expect((await c.get("/auth/session")).status).toBe(200);
      const stale = server.client(kind);
      if (kind === Client.APP) {
        stale.token = before;
        expect((await stale.get("/auth/session")).body).toEqual(GONE);
      } else {
        stale.cookies.set("sessionid", before);
        expect((await stale.get("/auth/session")).body).toEqual(ANONYMOUS);
      }

      expect(await storedPasswordHash(server, user.id)).not.toBe(hash);
      const old = await anonymousClient(server, kind);
      expect((await old.post("/auth/login", { username: user.username, password: PASSWORD })).status).toBe(
        400,
      );
      expect(
        (await old.post("/auth/login", { username: user.username, password: NEW_PASSWORD })).status,
      ).toBe(200);
      const mails = mailsTo(user);
      expect(mails).toHaveLength(1);
    });

    it.each([
      ["an empty current password", { current_password: "", new_password: NEW_PASSWORD }],
      ["no current password", { new_password: NEW_PASSWORD }],
    ])("sets a first password with %s when the user has none", async (_name, body) => {
      const { user, c } = await setup(null);
      const res = await c.post("/account/password/change", body);
      expect(res.status).toBe(200);
      expect(res.body.data.user).toEqual(userBody(user, true));
      expect(res.body.meta.is_authenticated).toBe(true);
      expect(await storedPasswordHash(server, user.id)).toMatch(/^\$argon2id\$/);
      const again = await anonymousClient(server, kind);
      expect(
        (await again.post("/auth/login", { username: user.username, password: NEW_PASSWORD })).status,
      ).toBe(200);
      expect(mailsTo(user)).toHaveLength(1);
    });

    it("refuses a non-blank current password of a user who has none", async () => {
      const { user, c } = await setup(null);
      const res = await c.post("/account/password/change", {
        current_password: "whatever",
        new_password: NEW_PASSWORD,
      });
      expect(res.body).toEqual({
        status: 400,
        errors: [
          {
            message: "Please type your current password.",
            code: "enter_current_password",
            param: "current_password",
          },
        ],
      });
      expect(await storedPasswordHash(server, user.id)).toBeNull();
    });

    it("ends the user's other sessions, keeping this one (usersessions.endOthersOnPasswordChange)", async () => {
      const { user, c } = await setup();
      const otherBrowser = await loginClient(server, Client.BROWSER, user);
      const otherApp = await loginClient(server, Client.APP, user);
      const bystander = await insertUser(server);
      const bystanderClient = await loginClient(server, kind, bystander);
      expect((await sessionRows(server)).filter((r) => r.user_id === user.id)).toHaveLength(3);
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(res.status).toBe(200);
      expect((await sessionRows(server)).filter((r) => r.user_id === user.id)).toHaveLength(1);
      expect((await c.get("/auth/session")).status).toBe(200);
      expect((await otherBrowser.get("/auth/session")).status).toBe(401);
      expect((await otherApp.get("/auth/session")).status).toBe(410);
      expect((await bystanderClient.get("/auth/session")).status).toBe(200);
    });

    it("answers 401 with the flows to an anonymous caller", async () => {
      const c = await anonymousClient(server, kind);
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expectEnvelope(res);
      expect(res.body).toEqual(ANONYMOUS);
    });

    it("answers 401 to an anonymous caller even with an invalid body", async () => {
      const c = await anonymousClient(server, kind);
      expect((await c.post("/account/password/change", {})).body).toEqual(ANONYMOUS);
    });

    it("reports problems with both fields at once, in field order", async () => {
      const { c } = await setup();
      expect((await c.post("/account/password/change", {})).body).toEqual({
        status: 400,
        errors: [
          { message: REQUIRED, code: "required", param: "current_password" },
          { message: REQUIRED, code: "required", param: "new_password" },
        ],
      });
      expect(
        (await c.post("/account/password/change", { current_password: "wrong", new_password: "a" })).body,
      ).toEqual({
        status: 400,
        errors: [
          {
            message: "Please type your current password.",
            code: "enter_current_password",
            param: "current_password",
          },
          {
            message: "This password is too short. It must contain at least 8 characters.",
            code: "password_too_short",
            param: "new_password",
          },
        ],
      });
    });
  });

  describe.each(clients)("%s client, other options", (kind) => {
    it("account.logoutOnPasswordChange: answers 401 and ends the session", async () => {
      const server = await startLatchkey(dialect, { account: { logoutOnPasswordChange: true } });
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const token = heldToken(c)!;
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expectEnvelope(res);
      expect(res.body).toEqual(ANONYMOUS);
      expect((await sessionRows(server)).filter((r) => r.user_id === user.id)).toEqual([]);
      if (kind === Client.BROWSER) {
        expect(res.headers.getSetCookie().find((x) => x.startsWith("sessionid="))).toMatch(
          /^sessionid=; Max-Age=0/,
        );
      } else {
        const stale = server.client(kind);
        stale.token = token;
        expect((await stale.get("/auth/session")).status).toBe(410);
      }
      const again = await anonymousClient(server, kind);
      expect(
        (await again.post("/auth/login", { username: user.username, password: NEW_PASSWORD })).status,
      ).toBe(200);
    });

    it("the change_password rate limit gives 429", async () => {
      const server = await startLatchkey(dialect, { rateLimits: { actions: { change_password: "1/m/ip" } } });
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const first = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(first.status).toBe(200);
      const second = await c.post("/account/password/change", {
        current_password: NEW_PASSWORD,
        new_password: PASSWORD,
      });
      expectEnvelope(second);
      expect(second.body).toEqual({ status: 429 });
      expect((await c.get("/auth/session")).status).toBe(200);
    });

    it("sends no mail without account.emailNotifications", async () => {
      const server = await startLatchkey(dialect);
      const user = await insertUser(server);
      const c = await loginClient(server, kind, user);
      const res = await c.post("/account/password/change", {
        current_password: PASSWORD,
        new_password: NEW_PASSWORD,
      });
      expect(res.status).toBe(200);
      expect(server.mails()).toEqual([]);
    });
  });
});

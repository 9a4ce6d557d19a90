import { beforeAll, describe, expect, it } from "vitest";
import {
  anonymousClient,
  countRows,
  expectEnvelope,
  insertUser,
  loginClient,
  PASSWORD,
  unique,
} from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import { Client, startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

const REQUIRED = "This field is required.";
const EMAIL_TAKEN = {
  message: "A user is already registered with this email address.",
  code: "email_taken",
  param: "email",
};
const USERNAME_TAKEN = {
  message: "A user with that username already exists.",
  code: "username_taken",
  param: "username",
};
const USERNAME_INVALID = {
  message: "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
  code: "invalid",
  param: "username",
};
const TOO_SHORT = {
  message: "This password is too short. It must contain at least 8 characters.",
  code: "password_too_short",
  param: "password",
};
const TOO_COMMON = {
  message: "This password is too common.",
  code: "password_too_common",
  param: "password",
};
const NUMERIC = {
  message: "This password is entirely numeric.",
  code: "password_entirely_numeric",
  param: "password",
};

type Db = TestServer["latchkey"]["runtime"]["store"]["db"];

async function userByUsername(db: Db, username: string) {
  return db
    .selectFrom("user")
    .selectAll()
    .where("username_lower", "=", username.toLowerCase())
    .executeTakeFirst();
}

async function addressesOf(db: Db, userId: number) {
  return db.selectFrom("email_address").selectAll().where("user_id", "=", userId).execute();
}

describe.each(dialects)("POST /auth/signup (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    describe("with the default signup fields", () => {
      const server = useLatchkey(dialect, {
        account: { usernameMinLength: 3, usernameBlacklist: ["admin", "Root"] },
      });
      let db: Db;
      beforeAll(() => {
        db = server.latchkey.runtime.store.db;
      });

      const signup = async (body: Record<string, unknown>) =>
        (await anonymousClient(server, kind)).post("/auth/signup", body);

      it("creates the user and logs in, with no authentication record", async () => {
        const username = unique("Wizard");
        const email = `${username.toLowerCase()}@example.org`;
        const c = await anonymousClient(server, kind);
        const res = await c.post("/auth/signup", {
          username,
          email: email.toUpperCase(),
          password: PASSWORD,
        });
        expectEnvelope(res);
        expect(res.status).toBe(200);
        const row = (await userByUsername(db, username))!;
        expect(row).toBeDefined();
        expect(row.username).toBe(username);
        expect(row.password).toMatch(/^\$argon2id\$/);
        expect(row.is_active).toBe(1);
        const addresses = await addressesOf(db, row.id);
        expect(addresses.map((a) => [a.email, a.verified, a.is_primary])).toEqual([[email, 0, 1]]);
        expect(res.body).toEqual({
          status: 200,
          data: {
            user: { id: row.id, display: username, email, username, has_usable_password: true },
            methods: [],
          },
          meta:
            kind === Client.APP
              ? { is_authenticated: true, session_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) }
              : { is_authenticated: true },
        });
        if (kind === Client.BROWSER) expect(c.cookies.get("sessionid")).toBeTruthy();
        const session = await c.get("/auth/session");
        expect(session.body).toEqual({ ...res.body, meta: { is_authenticated: true } });
        // The new account can log in.
        const again = await anonymousClient(server, kind);
        expect((await again.post("/auth/login", { username, password: PASSWORD })).status).toBe(200);
      });

      it("signs up without the optional email", async () => {
        const username = unique();
        for (const email of [undefined, "", null, "   "]) {
          const name = `${username}${String(email).length}`;
          const res = await signup({
            username: name,
            password: PASSWORD,
            ...(email === undefined ? {} : { email }),
          });
          expect(res.status, String(email)).toBe(200);
          expect(res.body.data.user).toEqual({
            id: expect.any(Number),
            display: name,
            username: name,
            has_usable_password: true,
          });
          expect(await addressesOf(db, res.body.data.user.id)).toEqual([]);
        }
      });

      it("ignores unknown fields and password2", async () => {
        const username = unique();
        const res = await signup({
          username,
          password: PASSWORD,
          password2: "something else",
          is_staff: true,
          id: 1,
          is_active: false,
        });
        expect(res.status).toBe(200);
        const row = (await userByUsername(db, username))!;
        expect(row.is_active).toBe(1);
        expect(row.id).not.toBe(1);
      });

      it("requires username and password, in the form's order", async () => {
        const res = await signup({});
        expectEnvelope(res);
        expect(res.body).toEqual({
          status: 400,
          errors: [
            { message: REQUIRED, code: "required", param: "username" },
            { message: REQUIRED, code: "required", param: "password" },
          ],
        });
        const invalid = await signup({ email: "not-an-email" });
        expect(invalid.body.errors.map((e: { param: string; code: string }) => [e.param, e.code])).toEqual([
          ["email", "invalid"],
          ["username", "required"],
          ["password", "required"],
        ]);
        expect(invalid.body.errors[0].message).toBe("Enter a valid email address.");
      });

      it("lists every problem in the form's field order: email, username, password", async () => {
        const existing = await insertUser(server);
        const before = await countRows(server, "user");
        const res = await signup({
          password: "1234",
          username: existing.username!.toUpperCase(),
          email: existing.email!.toUpperCase(),
        });
        expect(res.body).toEqual({
          status: 400,
          errors: [EMAIL_TAKEN, USERNAME_TAKEN, TOO_SHORT, TOO_COMMON, NUMERIC],
        });
        expect(await countRows(server, "user")).toBe(before);
      });

      it("checks usernames: characters, length, blacklist, taken (case-insensitively)", async () => {
        const taken = await insertUser(server, { username: unique("Taken") });
        const cases: [string, unknown][] = [
          ["a b", USERNAME_INVALID],
          ["bad!name", USERNAME_INVALID],
          ["emoji😀", USERNAME_INVALID],
          ["tab\tname", USERNAME_INVALID],
          [
            "ab",
            {
              message: "Ensure this value has at least 3 characters (it has 2).",
              code: "min_length",
              param: "username",
            },
          ],
          [
            "a!",
            {
              message: "Ensure this value has at least 3 characters (it has 2).",
              code: "min_length",
              param: "username",
            },
          ],
          [
            "u".repeat(151),
            {
              message: "Ensure this value has at most 150 characters (it has 151).",
              code: "max_length",
              param: "username",
            },
          ],
          [
            "ADMIN",
            {
              message: "Username can not be used. Please use other username.",
              code: "username_blacklisted",
              param: "username",
            },
          ],
          [
            "root",
            {
              message: "Username can not be used. Please use other username.",
              code: "username_blacklisted",
              param: "username",
            },
          ],
          [taken.username!.toLowerCase(), USERNAME_TAKEN],
          [taken.username!.toUpperCase(), USERNAME_TAKEN],
        ];
        const before = await countRows(server, "user");
        for (const [username, error] of cases) {
          const res = await signup({ username, password: PASSWORD });
          expect(res.body, username).toEqual({ status: 400, errors: [error] });
        }
        expect(await countRows(server, "user")).toBe(before);
        // Letters of any script are fine, and surrounding spaces are stripped.
        const name = unique("jürgen.ø_");
        const ok = await signup({ username: `  ${name}  `, password: PASSWORD });
        expect(ok.status).toBe(200);
        expect(ok.body.data.user.username).toBe(name);
      });

      it("accepts and refuses addresses as Django's EmailValidator does", async () => {
        const invalid = { message: "Enter a valid email address.", code: "invalid", param: "email" };
        for (const email of [
          "plain",
          "a@example",
          "a@b.c",
          "a..b@example.org",
          ".a@example.org",
          "a@-example.org",
          "a@example.org.",
          "jürgen@example.org",
          '"a b"@example.org',
          // Quoted local parts are refused (mail libraries rewrite them), plain as they look.
          '"plain"@example.org',
          "a@[999.1.1.1]",
          "a@b@example.org",
        ]) {
          const res = await signup({ email, username: unique(), password: PASSWORD });
          expect(res.body, email).toEqual({ status: 400, errors: [invalid] });
        }
        for (const email of [
          `${unique()}@localhost`,
          `${unique()}@exämple.org`,
          `${unique()}@[192.0.2.1]`,
          `o'${unique()}+tag@sub.example.co.uk`,
          `${unique()}@123.123.123.123`,
        ]) {
          const res = await signup({ email, username: unique(), password: PASSWORD });
          expect(res.status, email).toBe(200);
          expect(res.body.data.user.email).toBe(email.toLowerCase());
        }
      });

      it("refuses a taken email (verification is optional), whatever its case", async () => {
        const existing = await insertUser(server);
        const unverifiedOwner = await insertUser(server, { verified: false });
        for (const email of [existing.email!, existing.email!.toUpperCase(), ` ${unverifiedOwner.email} `]) {
          const res = await signup({ email, username: unique(), password: PASSWORD });
          expect(res.body, email).toEqual({ status: 400, errors: [EMAIL_TAKEN] });
        }
      });

      it("applies the password validators with Django's messages", async () => {
        const username = unique("johnsmith");
        const cases: [Record<string, string>, unknown[]][] = [
          [{ password: "a" }, [TOO_SHORT]],
          [{ password: "password" }, [TOO_COMMON]],
          [{ password: "87239481" }, [NUMERIC]],
          [{ password: "1234" }, [TOO_SHORT, TOO_COMMON, NUMERIC]],
          [
            { password: `${username}1` },
            [
              {
                message: "The password is too similar to the username.",
                code: "password_too_similar",
                param: "password",
              },
            ],
          ],
          [
            { password: "example-org-1", email: "someone@example-org.com" },
            [
              {
                message: "The password is too similar to the email address.",
                code: "password_too_similar",
                param: "password",
              },
            ],
          ],
        ];
        for (const [fields, errors] of cases) {
          const res = await signup({ username, ...fields });
          expect(res.body, JSON.stringify(fields)).toEqual({ status: 400, errors });
        }
        expect(await userByUsername(db, username)).toBeUndefined();
        // Passwords are not stripped, and may be any script.
        const ok = await signup({ username, password: "  ünïcödé-πάσσωορδ  " });
        expect(ok.status).toBe(200);
        const again = await anonymousClient(server, kind);
        expect((await again.post("/auth/login", { username, password: "ünïcödé-πάσσωορδ" })).status).toBe(
          400,
        );
        expect((await again.post("/auth/login", { username, password: "  ünïcödé-πάσσωορδ  " })).status).toBe(
          200,
        );
      });

      it("refuses wrong types and overlong values, writing nothing", async () => {
        const before = await countRows(server, "user");
        const cases: [Record<string, unknown>, [string, string][]][] = [
          [{ email: 1, username: unique(), password: PASSWORD }, [["email", "invalid"]]],
          [{ email: ["a@example.org"], username: unique(), password: PASSWORD }, [["email", "invalid"]]],
          [{ username: { name: "x" }, password: PASSWORD }, [["username", "invalid"]]],
          [{ username: unique(), password: 12345678 }, [["password", "invalid"]]],
          [{ username: unique(), password: ["x"] }, [["password", "invalid"]]],
          [{ username: unique(), password: "p".repeat(4097) }, [["password", "max_length"]]],
          [
            { email: `${"e".repeat(250)}@example.org`, username: unique(), password: PASSWORD },
            [["email", "max_length"]],
          ],
          [{ username: "x".repeat(10_000), password: PASSWORD }, [["username", "max_length"]]],
        ];
        for (const [body, expected] of cases) {
          const res = await signup(body);
          expect(res.status).toBe(400);
          expect(res.body.errors.map((e: { param: string; code: string }) => [e.param, e.code])).toEqual(
            expected,
          );
        }
        expect(await countRows(server, "user")).toBe(before);
        expect(await countRows(server, "email_address")).toBeGreaterThanOrEqual(0);
      });

      it("answers exactly {status: 409} when logged in", async () => {
        const user = await insertUser(server);
        const c = await loginClient(server, kind, user);
        const before = await countRows(server, "user");
        const res = await c.post("/auth/signup", {
          username: unique(),
          email: `${unique()}@example.org`,
          password: PASSWORD,
        });
        expectEnvelope(res);
        expect(res.body).toEqual({ status: 409 });
        expect(await countRows(server, "user")).toBe(before);
        expect((await c.get("/auth/session")).body.data.user.id).toBe(user.id);
      });
    });

    describe("when closed (account.isOpenForSignup: false)", () => {
      const server = useLatchkey(dialect, { account: { isOpenForSignup: false } });

      it("answers exactly {status: 403} and creates no user", async () => {
        const c = await anonymousClient(server, kind);
        const username = unique();
        const res = await c.post("/auth/signup", {
          username,
          email: `${username}@example.org`,
          password: PASSWORD,
        });
        expectEnvelope(res);
        expect(res.body).toEqual({ status: 403 });
        expect(await countRows(server, "user")).toBe(0);
        expect(await countRows(server, "email_address")).toBe(0);
      });

      it("still validates first", async () => {
        const c = await anonymousClient(server, kind);
        expect((await c.post("/auth/signup", {})).status).toBe(400);
      });

      it("offers no signup flow", async () => {
        const c = await anonymousClient(server, kind);
        const res = await c.get("/auth/session");
        expect(res.body).toEqual({
          status: 401,
          data: { flows: [{ id: "login" }] },
          meta: { is_authenticated: false },
        });
      });
    });

    it("the signup rate limit gives 429 {status: 429}", async () => {
      const server = await startLatchkey(dialect, { rateLimits: { actions: { signup: "1/m/ip" } } });
      const c = await anonymousClient(server, kind);
      const first = await c.post("/auth/signup", { username: unique(), password: PASSWORD });
      expect(first.status).toBe(200);
      const other = await anonymousClient(server, kind);
      const second = await other.post("/auth/signup", { username: unique(), password: PASSWORD });
      expectEnvelope(second);
      expect(second.body).toEqual({ status: 429 });
      expect(await countRows(server, "user")).toBe(1);
    });

    describe("other signup fields", () => {
      it("email only: the username is generated from the address", async () => {
        const server = await startLatchkey(dialect, {
          account: {
            loginMethods: ["email"],
            signupFields: ["email*", "password1*"],
            usernameBlacklist: ["admin"],
          },
        });
        const required = await (await anonymousClient(server, kind)).post("/auth/signup", {});
        expect(required.body.errors.map((e: { param: string }) => e.param)).toEqual(["email", "password"]);

        const first = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email: "Mary.Jane+news@Example.org",
          password: PASSWORD,
          username: "ignored",
        });
        expect(first.status).toBe(200);
        expect(first.body.data.user).toEqual({
          id: expect.any(Number),
          display: "mary.jane+news",
          email: "mary.jane+news@example.org",
          username: "mary.jane+news",
          has_usable_password: true,
        });
        // Taken: a suffix makes it unique.
        const second = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email: "MARY.JANE+news@other.example.org",
          password: PASSWORD,
        });
        expect(second.status).toBe(200);
        expect(second.body.data.user.username).toMatch(/^mary\.jane\+news\d+$/);
        // A blacklisted local part falls back to "user".
        const fourth = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email: "admin@example.org",
          password: PASSWORD,
        });
        expect(fourth.status).toBe(200);
        expect(fourth.body.data.user.username).toMatch(/^user\d*$/);
        // They log in by email.
        const login = await (await anonymousClient(server, kind)).post("/auth/login", {
          email: "mary.jane+news@example.org",
          password: PASSWORD,
        });
        expect(login.status).toBe(200);
      });

      it("optional password: the user gets no usable password", async () => {
        const server = await startLatchkey(dialect, {
          account: { signupFields: ["email*", "username*", "password1"] },
        });
        const username = unique();
        const c = await anonymousClient(server, kind);
        const res = await c.post("/auth/signup", { email: `${username}@example.org`, username });
        expect(res.status).toBe(200);
        expect(res.body.data.user).toEqual({
          id: expect.any(Number),
          display: username,
          email: `${username}@example.org`,
          username,
          has_usable_password: false,
        });
        const row = (await userByUsername(server.latchkey.runtime.store.db, username))!;
        expect(row.password).toBeNull();
        // With a password given, it is validated and usable.
        const weak = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email: `${username}x@example.org`,
          username: `${username}x`,
          password: "1",
        });
        expect(weak.body.errors[0].code).toBe("password_too_short");
        const required = await (await anonymousClient(server, kind)).post("/auth/signup", {});
        expect(required.body.errors.map((e: { param: string }) => e.param)).toEqual(["email", "username"]);
      });

      it("email2: the address must be typed twice", async () => {
        const server = await startLatchkey(dialect, {
          account: { signupFields: ["email*", "email2*", "username*", "password1*"] },
        });
        const username = unique();
        const email = `${username}@example.org`;
        const mismatch = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email,
          email2: `x${email}`,
          username,
          password: PASSWORD,
        });
        expect(mismatch.body).toEqual({
          status: 400,
          errors: [
            { message: "You must type the same email each time.", code: "email_mismatch", param: "email2" },
          ],
        });
        const missing = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email,
          username,
          password: PASSWORD,
        });
        expect(missing.body.errors).toEqual([{ message: REQUIRED, code: "required", param: "email2" }]);
        const ok = await (await anonymousClient(server, kind)).post("/auth/signup", {
          email,
          email2: email.toUpperCase(),
          username,
          password: PASSWORD,
        });
        expect(ok.status).toBe(200);
      });
    });
  });
});

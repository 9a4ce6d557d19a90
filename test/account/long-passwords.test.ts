import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { anonymousClient, countRows, expectEnvelope, unique } from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/** The longest password the input schema takes (`field.password()`); 4097 characters get max_length. */
const MAX_PASSWORD_LENGTH = 4096;

/** A random password of exactly `length` characters, some of them outside ASCII. */
function passwordOf(length: number): string {
  const ascii = randomBytes(length)
    .toString("base64url")
    .slice(0, length - 2);
  return `${ascii}é€`;
}

/**
 * Long passwords (ASVS 6.2.9: 64 characters and more must be allowed): accepted whole at signup
 * and login, every character counting, up to the schema's maximum; a body over http.maxBodyBytes
 * is refused with the envelope.
 */
describe.each(dialects)("long passwords (%s)", (dialect) => {
  describe.each(clients)("%s client", (kind) => {
    const server = useLatchkey(dialect);

    it.each([64, MAX_PASSWORD_LENGTH])(
      "signs up and logs in with a %i-character password",
      async (length) => {
        const password = passwordOf(length);
        expect(password).toHaveLength(length);
        const username = unique("long");
        const signup = await (await anonymousClient(server, kind)).post("/auth/signup", {
          username,
          password,
        });
        expectEnvelope(signup);
        expect(signup.status, JSON.stringify(signup.body)).toBe(200);

        const login = await (await anonymousClient(server, kind)).post("/auth/login", { username, password });
        expectEnvelope(login);
        expect(login.status).toBe(200);
        expect(login.body.data.user.username).toBe(username);

        // Every character counts: the same password with its last character changed is wrong.
        const altered = `${password.slice(0, -1)}x`;
        const wrong = await (await anonymousClient(server, kind)).post("/auth/login", {
          username,
          password: altered,
        });
        expect(wrong.status).toBe(400);
        expect(wrong.body.errors.map((e: { code: string }) => e.code)).toEqual([
          "username_password_mismatch",
        ]);
      },
    );

    it("refuses one character over the maximum at login with max_length", async () => {
      const res = await (await anonymousClient(server, kind)).post("/auth/login", {
        username: unique("long"),
        password: passwordOf(MAX_PASSWORD_LENGTH + 1),
      });
      expectEnvelope(res);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { param: string; code: string }) => [e.param, e.code])).toEqual([
        ["password", "max_length"],
      ]);
    });

    it("refuses a password longer than http.maxBodyBytes with 413 in the envelope, writing nothing", async () => {
      const limit = server.latchkey.options.http.maxBodyBytes;
      const before = await countRows(server, "user");
      const password = "p".repeat(limit + 1);
      for (const path of ["/auth/signup", "/auth/login"]) {
        const res = await (await anonymousClient(server, kind)).post(path, {
          username: unique("long"),
          password,
        });
        expectEnvelope(res);
        expect(res.status).toBe(413);
        expect(res.body).toEqual({
          status: 413,
          errors: [{ message: "The request body is too large.", code: "payload_too_large" }],
        });
      }
      expect(await countRows(server, "user")).toBe(before);
    });
  });
});

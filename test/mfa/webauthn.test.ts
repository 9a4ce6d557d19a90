import { describe, expect, it } from "vitest";
import { sha256 } from "../../src/core/crypto.js";
import { Client } from "../../src/core/enums.js";
import { insertUser, loginClient, PASSWORD, sessionRows, type TestUser } from "../helpers/accounts.js";
import { clients, expectStatus, heldBodies, type TestClient, type TestResponse } from "../helpers/client.js";
import { startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { SoftAuthenticator } from "../helpers/soft-authenticator.js";
import { dialects } from "../helpers/stores.js";

/**
 * WebAuthn security keys and passkeys (ALLAUTH-BEHAVIOUR §4 rows 25–33 and 50–53, §4.3, §7
 * items 78–86), driven by a software authenticator as a browser would drive a real one.
 */

const ORIGIN = "http://localhost:8000";
const STALE = 301_000;
const UNVERIFIED_MESSAGE =
  "You cannot activate two-factor authentication until you have verified your email address.";
const INCORRECT = { code: "incorrect_code", message: "Incorrect code." };
const INCORRECT_CREDENTIAL = { ...INCORRECT, param: "credential" };

const MFA = {
  supportedTypes: ["recovery_codes", "totp", "webauthn"] as ("recovery_codes" | "totp" | "webauthn")[],
};

// biome-ignore lint/suspicious/noExplicitAny: flow objects are asserted field by field
const pending = (res: TestResponse): any[] => (res.body?.data?.flows ?? []).filter((f: any) => f.is_pending);

/** A client that has loaded the session first (the browser gets its CSRF cookie that way). */
async function fresh(server: TestServer, kind: Client, ip?: string): Promise<TestClient> {
  const c = server.client(kind, ip);
  await c.get("/auth/session");
  return c;
}

/** A verified user, logged in with the password (recently authenticated). */
async function loggedIn(server: TestServer, kind: Client, init: { verified?: boolean } = {}) {
  const user = await insertUser(server, { verified: init.verified ?? true });
  const client = await loginClient(server, kind, user);
  return { user, client };
}

/** GET creation options, let the authenticator create a credential, POST it. */
async function addKey(
  client: TestClient,
  auth: SoftAuthenticator,
  opts: { passwordless?: boolean; name?: string; asString?: boolean } = {},
): Promise<TestResponse> {
  const options = await client.get(
    `/account/authenticators/webauthn${opts.passwordless ? "?passwordless" : ""}`,
  );
  expectStatus(options, 200);
  const credential = auth.register(options.body.data.creation_options.publicKey);
  const res = await client.post("/account/authenticators/webauthn", {
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    credential: opts.asString ? JSON.stringify(credential) : credential,
  });
  expectStatus(res, 200);
  return res;
}

/** A logged-in user with one key (and the recovery codes that come with it). */
async function userWithKey(server: TestServer, kind: Client, opts: { passwordless?: boolean } = {}) {
  const { user, client } = await loggedIn(server, kind);
  const auth = new SoftAuthenticator({ origin: ORIGIN });
  const added = await addKey(client, auth, opts);
  return { user, client, auth, keyId: added.body.data.id as number };
}

async function authenticatorRows(server: TestServer, userId: number) {
  return server.latchkey.runtime.store.db
    .selectFrom("authenticator")
    .selectAll()
    .where("user_id", "=", userId)
    .orderBy("id")
    .execute();
}

async function dropRecoveryCodes(server: TestServer, userId: number): Promise<void> {
  await server.latchkey.runtime.store.db
    .deleteFrom("authenticator")
    .where("user_id", "=", userId)
    .where("type", "=", "recovery_codes")
    .execute();
}

/** How long a WebAuthn ceremony may take. */
const CEREMONY_MS = 300_000;

function now(server: TestServer): number {
  return server.latchkey.runtime.now();
}

/** The session row of the client's current session token or cookie. */
async function sessionRow(server: TestServer, client: TestClient) {
  const token = client.client === Client.APP ? client.token : client.cookies.get("sessionid");
  if (!token) return undefined;
  return server.latchkey.runtime.store.db
    .selectFrom("session")
    .selectAll()
    .where("token_hash", "=", sha256(token))
    .executeTakeFirst();
}

async function sessionRowById(server: TestServer, id: number) {
  return server.latchkey.runtime.store.db
    .selectFrom("session")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
}

async function passwordLogin(
  server: TestServer,
  kind: Client,
  user: TestUser,
): Promise<[TestClient, TestResponse]> {
  const c = await fresh(server, kind);
  const res = await c.post("/auth/login", { username: user.username, password: user.password });
  return [c, res];
}

describe.each(dialects)("WebAuthn (%s)", (dialect) => {
  const server = useLatchkey(dialect, { mfa: { ...MFA, passkeyLogin: true } });

  describe.each(clients)("%s client", (kind) => {
    it("answers 401 (not authenticated) to anonymous callers", async () => {
      const c = await fresh(server, kind);
      for (const res of [
        await c.get("/account/authenticators/webauthn"),
        await c.post("/account/authenticators/webauthn", { credential: { id: "x" } }),
        await c.put("/account/authenticators/webauthn", { id: 1, name: "x" }),
        await c.delete("/account/authenticators/webauthn", { authenticators: [1] }),
        await c.get("/auth/webauthn/reauthenticate"),
        await c.post("/auth/webauthn/reauthenticate", { credential: { id: "x" } }),
      ]) {
        expectStatus(res, 401);
        expect(res.body.meta.is_authenticated).toBe(false);
        expect(res.body.data.flows.map((f: { id: string }) => f.id)).toContain("mfa_login_webauthn");
      }
    });

    it("adds a security key after reauthentication; the first key brings recovery codes (item 83)", async () => {
      const { user, client } = await loggedIn(server, kind);
      server.advance(STALE);
      const stale = await client.get("/account/authenticators/webauthn");
      expectStatus(stale, 401);
      expect(stale.body.meta.is_authenticated).toBe(true);
      expect(stale.body.data.flows).toEqual([{ id: "reauthenticate" }]);
      expectStatus(await client.post("/auth/reauthenticate", { password: PASSWORD }), 200);

      const options = await client.get("/account/authenticators/webauthn");
      expectStatus(options, 200);
      const publicKey = options.body.data.creation_options.publicKey;
      expect(publicKey.rp).toEqual({ id: "localhost", name: "Latchkey" });
      expect(publicKey.user.id).toBe(Buffer.from(String(user.id)).toString("base64url"));
      expect(publicKey.user.name).toBe(user.email);
      expect(publicKey.challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(publicKey.authenticatorSelection).toMatchObject({
        residentKey: "discouraged",
        userVerification: "discouraged",
      });
      expect(publicKey.extensions).toEqual({ credProps: true });
      expect(publicKey.excludeCredentials).toEqual([]);
      expect(publicKey.pubKeyCredParams).toContainEqual({ alg: -7, type: "public-key" });

      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const res = await client.post("/account/authenticators/webauthn", {
        credential: auth.register(publicKey),
      });
      expectStatus(res, 200);
      expect(res.body.data).toEqual({
        type: "webauthn",
        id: expect.any(Number),
        name: "Master key",
        created_at: expect.any(Number),
        last_used_at: null,
        is_passwordless: false,
      });
      expect(res.body.data.created_at).toBeCloseTo(server.latchkey.runtime.now() / 1000, 0);
      expect(res.body.meta).toEqual({ recovery_codes_generated: true });
      const types = (await authenticatorRows(server, user.id)).map((r) => r.type);
      expect(types.sort()).toEqual(["recovery_codes", "webauthn"]);

      // A passkey: resident key and user verification required; the first key is excluded. The
      // credential may come as a JSON string (Django JSONField).
      const second = await client.get("/account/authenticators/webauthn?passwordless");
      const pk2 = second.body.data.creation_options.publicKey;
      expect(pk2.authenticatorSelection).toMatchObject({
        residentKey: "required",
        userVerification: "required",
      });
      expect(pk2.excludeCredentials).toEqual([
        { id: [...auth.credentials.keys()][0], type: "public-key", transports: ["internal"] },
      ]);
      // The browser refuses to register an excluded credential again.
      expect(() => auth.register(pk2)).toThrow(/InvalidStateError/);
      const phone = new SoftAuthenticator({ origin: ORIGIN });
      const passkey = await client.post("/account/authenticators/webauthn", {
        name: "  Phone ",
        credential: JSON.stringify(phone.register(pk2)),
      });
      expectStatus(passkey, 200);
      expect(passkey.body.data).toMatchObject({ name: "Phone", is_passwordless: true });
      expect(passkey.body.meta).toEqual({ recovery_codes_generated: false });

      // Without credProps the passkey flag is unknown, and absent; default names go on counting.
      const quiet = new SoftAuthenticator({ origin: ORIGIN, reportCredProps: false });
      const third = await addKey(client, quiet);
      expect(third.body.data.name).toBe("Key nr. 3");
      expect(third.body.data).not.toHaveProperty("is_passwordless");

      const list = await client.get("/account/authenticators");
      expectStatus(list, 200);
      const webauthn = list.body.data.filter((a: { type: string }) => a.type === "webauthn");
      expect(webauthn.map((a: { name: string }) => a.name)).toEqual(["Master key", "Phone", "Key nr. 3"]);
    });

    it("refuses registrations that do not verify: 400 incorrect_code (form-level, as allauth)", async () => {
      const { client } = await loggedIn(server, kind);
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const get = async (query = "") =>
        (await client.get(`/account/authenticators/webauthn${query}`)).body.data.creation_options.publicKey;
      const post = (credential: unknown) => client.post("/account/authenticators/webauthn", { credential });

      // No ceremony started.
      const unasked = {
        challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        rp: { id: "localhost", name: "Latchkey" },
        user: { id: "MQ", name: "x", displayName: "x" },
      };
      let res = await post(auth.register(unasked));
      expectStatus(res, 400);
      const publicKey = await get();
      expectStatus(await post(auth.register(publicKey, { origin: "https://evil.example" })), 400);
      // The challenge was used up by that attempt.
      res = await post(auth.register(publicKey));
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([INCORRECT]);
      expectStatus(
        await post(auth.register(await get(), { challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" })),
        400,
      );
      expectStatus(await post(auth.register(await get(), { rpId: "example.com" })), 400);
      expectStatus(await post(auth.register(await get(), { type: "webauthn.get" })), 400);
      // A passkey must verify the user.
      expectStatus(await post(auth.register(await get("?passwordless"), { userVerified: false })), 400);
      expectStatus(await post({ id: "abc", response: { clientDataJSON: 5 } }), 400);
      expectStatus(await post(12), 400);

      // Field errors.
      for (const [body, error] of [
        [{}, { code: "required", message: "This field is required.", param: "credential" }],
        [{ credential: {} }, { code: "required", message: "This field is required.", param: "credential" }],
        [{ credential: "" }, { code: "required", message: "This field is required.", param: "credential" }],
        [{ credential: "{nope" }, { code: "invalid", message: "Enter a valid JSON.", param: "credential" }],
        [
          { credential: { a: 1 }, name: "x".repeat(101) },
          expect.objectContaining({ code: "max_length", param: "name" }),
        ],
      ] as const) {
        const r = await client.post("/account/authenticators/webauthn", body);
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([error]);
      }
      expect((await client.get("/account/authenticators")).body.data).toEqual([]);
    });

    it("refuses users with an unverified address: 409 on GET and POST, before reauthentication", async () => {
      const { client } = await loggedIn(server, kind, { verified: false });
      for (const res of [
        await client.get("/account/authenticators/webauthn"),
        await client.get("/account/authenticators/webauthn?passwordless"),
        await client.post("/account/authenticators/webauthn", { credential: { id: "x" } }),
      ]) {
        expectStatus(res, 409);
        expect(res.body.errors).toEqual([{ code: "unverified_email", message: UNVERIFIED_MESSAGE }]);
      }
      server.advance(STALE);
      expectStatus(await client.get("/account/authenticators/webauthn"), 409);
    });

    it("renames a key: input checked first, then reauthentication (item 81)", async () => {
      const { client, keyId } = await userWithKey(server, kind);
      const other = await userWithKey(server, kind);
      server.advance(STALE);
      const put = (body: unknown) => client.put("/account/authenticators/webauthn", body);

      const stale = await put({ id: keyId, name: "Renamed!" });
      expectStatus(stale, 401);
      expect(stale.body.data.flows).toEqual([
        { id: "reauthenticate" },
        { id: "mfa_reauthenticate", types: ["recovery_codes", "webauthn"] },
      ]);
      const invalidChoice = {
        code: "invalid_choice",
        message: "Select a valid choice. That choice is not one of the available choices.",
        param: "id",
      };
      for (const [body, errors] of [
        [{ id: other.keyId, name: "Mine now" }, [invalidChoice]],
        [{ id: 999_999, name: "x" }, [invalidChoice]],
        [{ id: "abc", name: "x" }, [invalidChoice]],
        [
          {},
          [
            { code: "required", message: "This field is required.", param: "id" },
            { code: "required", message: "This field is required.", param: "name" },
          ],
        ],
        [
          { id: keyId, name: "   " },
          [{ code: "required", message: "This field is required.", param: "name" }],
        ],
        [
          { id: keyId, name: "x".repeat(101) },
          [expect.objectContaining({ code: "max_length", param: "name" })],
        ],
      ] as const) {
        const r = await put(body);
        expectStatus(r, 400);
        expect(r.body.errors).toEqual(errors);
      }

      expectStatus(await client.post("/auth/reauthenticate", { password: PASSWORD }), 200);
      const res = await put({ id: String(keyId), name: "Renamed!" });
      expectStatus(res, 200);
      expect(res.body.data).toMatchObject({
        type: "webauthn",
        id: keyId,
        name: "Renamed!",
        is_passwordless: false,
      });
      const list = await client.get("/account/authenticators");
      expect(list.body.data.find((a: { id?: number }) => a.id === keyId).name).toBe("Renamed!");
    });

    it("deletes keys: input checked first, then reauthentication; recovery codes go with the last key (item 82)", async () => {
      const { user, client, keyId } = await userWithKey(server, kind);
      const other = await userWithKey(server, kind);
      server.advance(STALE);
      const del = (body: unknown) => client.delete("/account/authenticators/webauthn", body);

      expectStatus(await del({ authenticators: [keyId] }), 401);
      for (const [body, error] of [
        [{}, { code: "required", message: "This field is required.", param: "authenticators" }],
        [
          { authenticators: [] },
          { code: "required", message: "This field is required.", param: "authenticators" },
        ],
        [
          { authenticators: "x" },
          { code: "invalid_list", message: "Enter a list of values.", param: "authenticators" },
        ],
        [
          { authenticators: ["abc"] },
          { code: "invalid_pk_value", message: "“abc” is not a valid value.", param: "authenticators" },
        ],
        [
          { authenticators: [keyId, other.keyId] },
          {
            code: "invalid_choice",
            message: `Select a valid choice. ${other.keyId} is not one of the available choices.`,
            param: "authenticators",
          },
        ],
      ] as const) {
        const r = await del(body);
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([error]);
      }

      expectStatus(await client.post("/auth/reauthenticate", { password: PASSWORD }), 200);
      const res = await del({ authenticators: [keyId] });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 200 });
      expect(await authenticatorRows(server, user.id)).toEqual([]);
      expect((await authenticatorRows(server, other.user.id)).length).toBe(2);
    });

    it("completes the mfa_authenticate stage with a key (item 84)", async () => {
      const { user, auth, keyId } = await userWithKey(server, kind);
      await dropRecoveryCodes(server, user.id);

      const [c, login] = await passwordLogin(server, kind, user);
      expectStatus(login, 401);
      expect(pending(login)).toEqual([{ id: "mfa_authenticate", is_pending: true, types: ["webauthn"] }]);

      const options = await c.get("/auth/webauthn/authenticate");
      expectStatus(options, 200);
      const publicKey = options.body.data.request_options.publicKey;
      expect(publicKey).toMatchObject({
        rpId: "localhost",
        userVerification: "preferred",
        allowCredentials: [
          { id: [...auth.credentials.keys()][0], type: "public-key", transports: ["internal"] },
        ],
      });

      // A wrong answer keeps the stage pending; a new challenge is needed after it.
      const wrong = await c.post("/auth/webauthn/authenticate", {
        credential: auth.authenticate(publicKey, { origin: "https://evil.example" }),
      });
      expectStatus(wrong, 400);
      expect(wrong.body.errors).toEqual([INCORRECT_CREDENTIAL]);
      const again = await c.post("/auth/webauthn/authenticate", { credential: auth.authenticate(publicKey) });
      expectStatus(again, 400);

      const fresh2 = (await c.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
      const res = await c.post("/auth/webauthn/authenticate", { credential: auth.authenticate(fresh2) });
      expectStatus(res, 200);
      expect(res.body.meta.is_authenticated).toBe(true);
      expect(res.body.data.user.id).toBe(user.id);
      expect(res.body.data.methods).toEqual([
        { method: "password", at: expect.any(Number), username: user.username },
        { method: "mfa", at: expect.any(Number), id: keyId, type: "webauthn" },
      ]);
      if (kind === Client.APP) expect(res.body.meta.session_token).toEqual(expect.any(String));
      expectStatus(await c.get("/auth/session"), 200);
      const row = (await authenticatorRows(server, user.id)).find((r) => r.id === keyId)!;
      expect(row.last_used_at).not.toBeNull();
      // The soft authenticator counted every signature, including the refused ones.
      expect(JSON.parse(row.data).counter).toBe(auth.credentials.values().next().value!.signCount);

      // Not pending any more (and for a stranger): 401 with is_authenticated null.
      for (const client of [c, await fresh(server, kind)]) {
        for (const r of [
          await client.get("/auth/webauthn/authenticate"),
          await client.post("/auth/webauthn/authenticate", { credential: { id: "x" } }),
        ]) {
          expectStatus(r, 401);
          expect(r.body.meta.is_authenticated).toBeNull();
        }
      }
    });

    it("rejects a replayed or lower signature counter, wrong challenge, origin and RP", async () => {
      const { user, auth } = await userWithKey(server, kind);
      const credentialId = [...auth.credentials.keys()][0]!;
      const [c, login] = await passwordLogin(server, kind, user);
      expectStatus(login, 401);
      const options = async () =>
        (await c.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
      const post = (credential: unknown) => c.post("/auth/webauthn/authenticate", { credential });

      expectStatus(await post(auth.authenticate(await options(), { signCount: 5 })), 200);
      expectStatus(await c.delete("/auth/session"), 401);
      const [c2] = await passwordLogin(server, kind, user);
      const options2 = async () =>
        (await c2.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
      const post2 = (credential: unknown) => c2.post("/auth/webauthn/authenticate", { credential });
      for (const overrides of [
        { signCount: 5 }, // replayed counter
        { signCount: 4 }, // went backwards (a cloned key)
        { signCount: 0 }, // stopped counting
        { signCount: 9, challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
        { signCount: 9, origin: "http://localhost:9999" },
        { signCount: 9, rpId: "example.com" },
        { signCount: 9, type: "webauthn.create" },
      ]) {
        const r = await post2(auth.authenticate(await options2(), { credentialId, ...overrides }));
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([INCORRECT_CREDENTIAL]);
      }
      // A credential of another user's authenticator, and garbage.
      const stranger = await userWithKey(server, kind);
      const strangerId = [...stranger.auth.credentials.keys()][0]!;
      expectStatus(
        await post2(stranger.auth.authenticate(await options2(), { credentialId: strangerId })),
        400,
      );
      for (const credential of [{ id: credentialId }, [1, 2], 7, "null"]) {
        await options2();
        expectStatus(await post2(credential), 400);
      }
      const ok = await post2(auth.authenticate(await options2(), { credentialId, signCount: 6 }));
      expectStatus(ok, 200);

      // One assertion sent twice at once, both requests holding the pending login when they read
      // it: the counter update lets exactly one of them log in.
      const [c3] = await passwordLogin(server, kind, user);
      const publicKey = (await c3.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
      const assertion = auth.authenticate(publicKey, { credentialId });
      const loggedInSessions = async () =>
        (await sessionRows(server)).filter((r) => r.user_id === user.id).length;
      const before = await loggedInSessions();
      const held = heldBodies(2);
      const send = () =>
        c3
          .post("/auth/webauthn/authenticate", undefined, { stream: held.body({ credential: assertion }) })
          .finally(held.release);
      const raced = await Promise.all([send(), send()]);
      expect(raced.filter((r) => r.status === 200)).toHaveLength(1);
      const refused = raced.find((r) => r.status !== 200)!;
      expectStatus(refused, 400);
      expect(refused.body.errors).toEqual([INCORRECT_CREDENTIAL]);
      // The refused request must not undo the login: the winner's session stays logged in.
      expectStatus(await c3.get("/auth/session"), 200);
      expect(await loggedInSessions()).toBe(before + 1);
    });

    it("expires a challenge after five minutes", async () => {
      const { user, auth } = await userWithKey(server, kind);
      const [c] = await passwordLogin(server, kind, user);
      const old = (await c.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
      server.advance(301_000);
      expectStatus(await c.post("/auth/webauthn/authenticate", { credential: auth.authenticate(old) }), 400);
      const current = (await c.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
      expectStatus(
        await c.post("/auth/webauthn/authenticate", { credential: auth.authenticate(current) }),
        200,
      );
    });

    it("accepts authenticators that never count (counter stays 0)", async () => {
      const { user, auth } = await userWithKey(server, kind);
      for (let i = 0; i < 2; i++) {
        const [c] = await passwordLogin(server, kind, user);
        const publicKey = (await c.get("/auth/webauthn/authenticate")).body.data.request_options.publicKey;
        expectStatus(
          await c.post("/auth/webauthn/authenticate", {
            credential: auth.authenticate(publicKey, { signCount: 0 }),
          }),
          200,
        );
      }
    });

    it("reauthenticates with a key: a new mfa record, and the session key cycles (item 80)", async () => {
      const { client, auth, keyId } = await userWithKey(server, kind);
      server.advance(STALE);
      const codes = await client.get("/account/authenticators/recovery-codes");
      expectStatus(codes, 401);
      expect(codes.body.data.flows).toContainEqual({
        id: "mfa_reauthenticate",
        types: ["recovery_codes", "webauthn"],
      });

      const options = await client.get("/auth/webauthn/reauthenticate");
      expectStatus(options, 200);
      const publicKey = options.body.data.request_options.publicKey;
      expect(publicKey.allowCredentials).toHaveLength(1);
      expect(publicKey.userVerification).toBe("preferred");

      const wrong = await client.post("/auth/webauthn/reauthenticate", {
        credential: auth.authenticate(publicKey, {
          challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        }),
      });
      expectStatus(wrong, 400);
      expect(wrong.body.errors).toEqual([INCORRECT_CREDENTIAL]);
      expectStatus(await client.post("/auth/webauthn/reauthenticate", {}), 400);

      const before = kind === Client.APP ? client.token : client.cookies.get("sessionid");
      const again = (await client.get("/auth/webauthn/reauthenticate")).body.data.request_options.publicKey;
      const res = await client.post("/auth/webauthn/reauthenticate", {
        credential: JSON.stringify(auth.authenticate(again)),
      });
      expectStatus(res, 200);
      const methods = res.body.data.methods;
      expect(methods[methods.length - 1]).toEqual({
        method: "mfa",
        at: expect.any(Number),
        id: keyId,
        type: "webauthn",
        reauthenticated: true,
      });
      const after = kind === Client.APP ? client.token : client.cookies.get("sessionid");
      expect(after).toBeTruthy();
      expect(after).not.toBe(before);
      expectStatus(await client.get("/account/authenticators/recovery-codes"), 200);
    });

    it("logs in with a passkey; the MFA stage is skipped (items 78, 79)", async () => {
      const { user, client, auth, keyId } = await userWithKey(server, kind, { passwordless: true });
      expectStatus(await client.delete("/auth/session"), 401);

      const c = server.client(kind);
      const options = await c.get("/auth/webauthn/login");
      expect(options.status).toBe(200);
      expect(options.body).toEqual({
        status: 200,
        data: { request_options: { publicKey: expect.any(Object) } },
        ...(kind === Client.APP ? { meta: { session_token: expect.any(String) } } : {}),
      });
      const publicKey = options.body.data.request_options.publicKey;
      expect(publicKey).toMatchObject({
        rpId: "localhost",
        allowCredentials: [],
        userVerification: "preferred",
      });

      const res = await c.post("/auth/webauthn/login", { credential: auth.authenticate(publicKey) });
      expectStatus(res, 200);
      expect(res.body.data.user.id).toBe(user.id);
      expect(res.body.data.methods).toEqual([
        { method: "mfa", at: expect.any(Number), id: keyId, type: "webauthn", passwordless: true },
      ]);
      // Logged in: another passkey login is a conflict.
      expectStatus(await c.post("/auth/webauthn/login", { credential: { id: "x" } }), 409);
    });

    it("refuses passkey logins that do not verify", async () => {
      const passkeyUser = await userWithKey(server, kind, { passwordless: true });
      const keyUser = await userWithKey(server, kind); // a security key: not discoverable, no userHandle
      const c = await fresh(server, kind);
      const options = async () => (await c.get("/auth/webauthn/login")).body.data.request_options.publicKey;
      const post = (credential: unknown) => c.post("/auth/webauthn/login", { credential });

      expectStatus(await post(passkeyUser.auth.authenticate({ challenge: "x", rpId: "localhost" })), 400);
      for (const credential of [
        passkeyUser.auth.authenticate(await options(), { userVerified: false }),
        passkeyUser.auth.authenticate(await options(), { origin: "https://evil.example" }),
        keyUser.auth.authenticate(await options(), {
          credentialId: [...keyUser.auth.credentials.keys()][0]!,
        }),
      ]) {
        const r = await post(credential);
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([INCORRECT_CREDENTIAL]);
      }
      // A userHandle naming another user than the credential's owner.
      const forged = passkeyUser.auth.authenticate(await options());
      forged.response.userHandle = Buffer.from(String(keyUser.user.id)).toString("base64url");
      expectStatus(await post(forged), 400);
      expectStatus(await post("{"), 400);
      const ok = await post(passkeyUser.auth.authenticate(await options()));
      expectStatus(ok, 200);
    });

    it("keeps an anonymous passkey-login challenge no longer than the ceremony; a login gets the normal lifetime", async () => {
      const { user, client, auth } = await userWithKey(server, kind, { passwordless: true });
      expectStatus(await client.delete("/auth/session"), 401);
      const c = server.client(kind);
      const options = await c.get("/auth/webauthn/login");
      expectStatus(options, 200);
      const issuedAt = now(server);
      const anonymous = await sessionRow(server, c);
      expect(anonymous?.user_id).toBeNull();
      expect(anonymous!.expires_at).toBeGreaterThan(issuedAt);
      expect(anonymous!.expires_at).toBeLessThanOrEqual(issuedAt + CEREMONY_MS);

      // A failed attempt leaves the row as short-lived as before.
      expectStatus(await c.post("/auth/webauthn/login", { credential: { id: "x" } }), 400);
      expect((await sessionRow(server, c))!.expires_at).toBeLessThanOrEqual(issuedAt + CEREMONY_MS);

      const publicKey = (await c.get("/auth/webauthn/login")).body.data.request_options.publicKey;
      const res = await c.post("/auth/webauthn/login", { credential: auth.authenticate(publicKey) });
      expectStatus(res, 200);
      const row = await sessionRow(server, c);
      expect(row).toMatchObject({ id: anonymous!.id, user_id: user.id });
      const { idleTimeout } = server.latchkey.options.sessions;
      expect(row!.expires_at).toBeGreaterThanOrEqual(now(server) + idleTimeout * 1000 - 60_000);
      expect(Object.keys(JSON.parse(row!.data))).not.toContain("session.short_life");
      server.advance(CEREMONY_MS + 1000);
      await server.latchkey.purgeExpired();
      expectStatus(await c.get("/auth/session"), 200);
    });

    it("an abandoned passkey-login challenge's session is purged after five minutes", async () => {
      const c = server.client(kind);
      expectStatus(await c.get("/auth/webauthn/login"), 200);
      const row = await sessionRow(server, c);
      expect(row).toBeDefined();
      server.advance(CEREMONY_MS - 1000);
      await server.latchkey.purgeExpired();
      expect(await sessionRowById(server, row!.id)).toBeDefined();
      server.advance(2000);
      await server.latchkey.purgeExpired();
      expect(await sessionRowById(server, row!.id)).toBeUndefined();
      // The app client is told its token is gone; the browser starts afresh.
      expectStatus(await c.get("/auth/session"), kind === Client.APP ? 410 : 401);
    });

    it("a challenge in a session that holds a pending login keeps the session's normal lifetime", async () => {
      const { user } = await userWithKey(server, kind);
      const [c, login] = await passwordLogin(server, kind, user);
      expectStatus(login, 401);
      expectStatus(await c.get("/auth/webauthn/login"), 200);
      const { idleTimeout } = server.latchkey.options.sessions;
      expect((await sessionRow(server, c))!.expires_at).toBeGreaterThan(now(server) + CEREMONY_MS);
      expect((await sessionRow(server, c))!.expires_at).toBeGreaterThanOrEqual(
        now(server) + idleTimeout * 1000 - 60_000,
      );
    });

    it("answers 401 to a passkey login of an inactive user", async () => {
      const { user, client, auth } = await userWithKey(server, kind, { passwordless: true });
      expectStatus(await client.delete("/auth/session"), 401);
      await server.latchkey.runtime.store.db
        .updateTable("user")
        .set({ is_active: 0 })
        .where("id", "=", user.id)
        .execute();
      const c = server.client(kind);
      const publicKey = (await c.get("/auth/webauthn/login")).body.data.request_options.publicKey;
      const res = await c.post("/auth/webauthn/login", { credential: auth.authenticate(publicKey) });
      expectStatus(res, 401);
      expect(res.body.meta.is_authenticated).toBe(false);
    });
  });
});

describe.each(dialects)("Passkey signup (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    account: {
      signupFields: ["email*", "username*", "password1*"],
      emailVerification: "mandatory",
      emailVerificationByCode: { enabled: true },
    },
    mfa: { ...MFA, passkeyLogin: true, passkeySignup: true },
    // Item 86: the login options work with the JWT strategy too.
    tokens: { strategy: "jwt", jwt: { algorithm: "HS256", privateKey: "x".repeat(40) } },
    rateLimits: { actions: { login_failed: "3/300s/key", signup: "2/m/ip" } },
  });
  let ipSerial = 0;
  const ip = () => `10.9.${Math.floor(++ipSerial / 250)}.${ipSerial % 250}`;

  function verificationCode(email: string): string {
    const { text } = server.lastMail(email);
    const code = /\b[A-Z0-9]{4}-[A-Z0-9]{4}\b/.exec(text)?.[0];
    if (!code) throw new Error(`no code in ${text}`);
    return code;
  }

  describe.each(clients)("%s client", (kind) => {
    it("signs up with a passkey: verify_email, then mfa_signup_webauthn, then authenticated (item 85)", async () => {
      const c = await fresh(server, kind, ip());
      const email = `pass${Math.random().toString(36).slice(2, 8)}@key.org`;
      const username = `passkey${Math.random().toString(36).slice(2, 8)}`;

      expectStatus(await c.get("/auth/webauthn/signup"), 409);
      const started = await c.post("/auth/webauthn/signup", { email, username, password: "ignored" });
      expectStatus(started, 401);
      expect(pending(started)).toEqual([{ id: "verify_email", is_pending: true }]);
      expect((await c.get("/auth/webauthn/signup")).body).toEqual({ status: 409 });

      const verified = await c.post("/auth/email/verify", { key: verificationCode(email) });
      expectStatus(verified, 401);
      expect(pending(verified)).toEqual([{ id: "mfa_signup_webauthn", is_pending: true }]);

      const options = await c.get("/auth/webauthn/signup");
      expectStatus(options, 200);
      const publicKey = options.body.data.creation_options.publicKey;
      expect(publicKey.authenticatorSelection).toMatchObject({
        residentKey: "required",
        userVerification: "required",
      });
      expect(publicKey.user.name).toBe(email);

      const auth = new SoftAuthenticator({ origin: ORIGIN });
      const stray = new SoftAuthenticator({ origin: ORIGIN });
      const wrong = await c.put("/auth/webauthn/signup", {
        credential: stray.register(publicKey, { origin: "https://evil.example" }),
      });
      expectStatus(wrong, 400);
      expect(wrong.body.errors).toEqual([INCORRECT]);
      expect(pending(await c.get("/auth/session"))).toEqual([
        { id: "mfa_signup_webauthn", is_pending: true },
      ]);

      const again = (await c.get("/auth/webauthn/signup")).body.data.creation_options.publicKey;
      const done = await c.put("/auth/webauthn/signup", {
        name: "Some key",
        credential: auth.register(again),
      });
      expectStatus(done, 200);
      expect(done.body.meta.is_authenticated).toBe(true);
      expect(done.body.data.user).toMatchObject({ email, username, has_usable_password: false });
      if (kind === Client.APP) expect(done.body.meta.access_token).toEqual(expect.any(String));
      const rows = await authenticatorRows(server, done.body.data.user.id);
      expect(rows.map((r) => r.type)).toEqual(["webauthn"]);
      expect(JSON.parse(rows[0]!.data)).toMatchObject({ name: "Some key", passwordless: true });

      // Not pending any more.
      expectStatus(await c.put("/auth/webauthn/signup", { credential: stray.register(again) }), 409);
      expect((await c.post("/auth/webauthn/signup", { email: "x@y.org", username: "xy" })).body).toEqual({
        status: 409,
      });

      // The passkey logs in.
      expectStatus(await c.delete("/auth/session"), 401);
      const c2 = server.client(kind, ip());
      const login = await c2.get("/auth/webauthn/login");
      expect(login.status).toBe(200);
      const res = await c2.post("/auth/webauthn/login", {
        credential: auth.authenticate(login.body.data.request_options.publicKey),
      });
      expectStatus(res, 200);
      expect(res.body.data.user.email).toBe(email);
    });

    it("validates the passkey signup like a signup without password", async () => {
      const c = await fresh(server, kind, ip());
      const res = await c.post("/auth/webauthn/signup", { username: "" });
      expectStatus(res, 400);
      expect(res.body.errors).toEqual([
        { code: "required", message: "This field is required.", param: "email" },
        { code: "required", message: "This field is required.", param: "username" },
      ]);
      expectStatus(await c.put("/auth/webauthn/signup", {}), 400);
      expectStatus(await c.put("/auth/webauthn/signup", { credential: { id: "x" } }), 409);
    });

    it("rate limits passkey signups (signup action, 429)", async () => {
      const address = ip();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await fresh(server, kind, address);
        const n = Math.random().toString(36).slice(2, 8);
        statuses.push(
          (await c.post("/auth/webauthn/signup", { email: `rl${n}@key.org`, username: `rl${n}` })).status,
        );
      }
      expect(statuses).toEqual([401, 401, 429]);
    });

    it("a passkey login of an unverified user stops at verify_email; failures are rate limited per user", async () => {
      const user = await insertUser(server, { verified: true });
      const client = await fresh(server, kind, ip());
      const login = await client.post("/auth/login", { username: user.username, password: PASSWORD });
      expectStatus(login, 200);
      const auth = new SoftAuthenticator({ origin: ORIGIN });
      await addKey(client, auth, { passwordless: true });
      expectStatus(await client.delete("/auth/session"), 401);
      await server.latchkey.runtime.store.db
        .updateTable("email_address")
        .set({ verified: 0 })
        .where("user_id", "=", user.id)
        .execute();

      const c = server.client(kind, ip());
      const options = async () => (await c.get("/auth/webauthn/login")).body.data.request_options.publicKey;
      const res = await c.post("/auth/webauthn/login", { credential: auth.authenticate(await options()) });
      expectStatus(res, 401);
      expect(pending(res)).toEqual([{ id: "verify_email", is_pending: true }]);

      // Naming the user without one of their credentials costs them nothing (no lockout by user id).
      for (let i = 0; i < 4; i++) {
        const forged = auth.authenticate(await options());
        forged.id = forged.rawId = Buffer.from(`not-a-key-${i}`).toString("base64url");
        const r = await c.post("/auth/webauthn/login", { credential: forged });
        expect(r.body.errors[0].code).toBe("incorrect_code");
      }
      // login_failed is 3/300s per user here: the 4th try is refused whatever it holds.
      const errors = [];
      for (let i = 0; i < 4; i++) {
        const r = await c.post("/auth/webauthn/login", {
          credential: auth.authenticate(await options(), { userVerified: false }),
        });
        errors.push(r.body.errors[0].code);
      }
      expect(errors).toEqual([
        "incorrect_code",
        "incorrect_code",
        "incorrect_code",
        "too_many_login_attempts",
      ]);
      const blocked = await c.post("/auth/webauthn/login", {
        credential: auth.authenticate(await options()),
      });
      expect(blocked.body.errors).toEqual([
        {
          code: "too_many_login_attempts",
          message: "Too many failed login attempts. Try again later.",
          param: "credential",
        },
      ]);
    });

    it("serves passkey login options under the JWT strategy (item 86)", async () => {
      const c = server.client(kind, ip());
      const res = await c.get("/auth/webauthn/login");
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.data)).toEqual(["request_options"]);
      if (kind === Client.APP) expect(res.body.meta).toEqual({ session_token: expect.any(String) });
      else expect(res.body.meta).toBeUndefined();
    });
  });
});

describe.each(dialects)("Passkey login options are rate limited per IP (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    mfa: { ...MFA, passkeyLogin: true },
    rateLimits: { actions: { login: "3/m/ip" } },
  });

  it.each(clients)(
    "%s client: GET /auth/webauthn/login counts against `login`, with /auth/login",
    async (kind) => {
      const address = kind === Client.APP ? "10.8.0.1" : "10.8.0.2";
      const rowsBefore = (await server.latchkey.runtime.store.db.selectFrom("session").select("id").execute())
        .length;
      for (let i = 0; i < 2; i++)
        expectStatus(await server.client(kind, address).get("/auth/webauthn/login"), 200);
      const user = await insertUser(server);
      const c = await fresh(server, kind, address);
      expectStatus(await c.post("/auth/login", { username: user.username, password: PASSWORD }), 200);
      const limited = await server.client(kind, address).get("/auth/webauthn/login");
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ status: 429 });
      // Refused without creating a session.
      const rowsAfter = (await server.latchkey.runtime.store.db.selectFrom("session").select("id").execute())
        .length;
      expect(rowsAfter).toBe(rowsBefore + 3);
      expectStatus(await server.client(kind, "10.8.0.3").get("/auth/webauthn/login"), 200);
    },
  );
});

describe("WebAuthn options and gating (sqlite)", () => {
  it("has no WebAuthn routes unless webauthn is a supported type, and passkey routes only when enabled", async () => {
    const plain = await startLatchkey("sqlite");
    const keysOnly = await startLatchkey("sqlite", { mfa: MFA });
    for (const kind of clients) {
      const c = plain.client(kind);
      expect((await c.get("/account/authenticators/webauthn")).status).toBe(404);
      expect((await c.get("/auth/webauthn/authenticate")).status).toBe(404);
      const k = keysOnly.client(kind);
      expect((await k.get("/auth/webauthn/authenticate")).status).toBe(401);
      expect((await k.get("/auth/webauthn/login")).status).toBe(404);
      expect((await k.get("/auth/webauthn/signup")).status).toBe(404);
      const flows = (await k.get("/auth/session")).body.data.flows.map((f: { id: string }) => f.id);
      expect(flows).not.toContain("mfa_login_webauthn");
    }
  });

  it("uses the configured relying party and origins; allowInsecureOrigin skips the origin check", async () => {
    const server = await startLatchkey("sqlite", {
      mfa: {
        ...MFA,
        webauthn: { rpId: "example.test", rpName: "Example", origins: ["https://app.example.test"] },
      },
    });
    const insecure = await startLatchkey("sqlite", {
      mfa: { ...MFA, webauthn: { allowInsecureOrigin: true } },
    });
    for (const kind of clients) {
      const { client } = await loggedIn(server, kind);
      const publicKey = (await client.get("/account/authenticators/webauthn")).body.data.creation_options
        .publicKey;
      expect(publicKey.rp).toEqual({ id: "example.test", name: "Example" });
      const local = new SoftAuthenticator({ origin: ORIGIN });
      expectStatus(
        await client.post("/account/authenticators/webauthn", { credential: local.register(publicKey) }),
        400,
      );
      const app = new SoftAuthenticator({ origin: "https://app.example.test" });
      const again = (await client.get("/account/authenticators/webauthn")).body.data.creation_options
        .publicKey;
      expectStatus(
        await client.post("/account/authenticators/webauthn", { credential: app.register(again) }),
        200,
      );

      const other = await loggedIn(insecure, kind);
      const anywhere = new SoftAuthenticator({ origin: "http://anything.invalid:1234" });
      await addKey(other.client, anywhere);
    }
  });

  it("accepts the SPA's origin when it is a trusted (CORS or CSRF) origin", async () => {
    const server = await startLatchkey("sqlite", {
      mfa: MFA,
      cors: { allowedOrigins: ["http://localhost:3000"] },
    });
    const { client } = await loggedIn(server, Client.APP);
    await addKey(client, new SoftAuthenticator({ origin: "http://localhost:3000" }));
    const evil = new SoftAuthenticator({ origin: "http://localhost:3001" });
    const publicKey = (await client.get("/account/authenticators/webauthn")).body.data.creation_options
      .publicKey;
    expectStatus(
      await client.post("/account/authenticators/webauthn", { credential: evil.register(publicKey) }),
      400,
    );
  });

  it("refuses passkey signup when signup is closed (403)", async () => {
    const server = await startLatchkey("sqlite", {
      account: {
        signupFields: ["email*", "password1*"],
        loginMethods: ["email"],
        emailVerification: "mandatory",
        emailVerificationByCode: { enabled: true },
        isOpenForSignup: false,
      },
      mfa: { ...MFA, passkeySignup: true },
    });
    for (const kind of clients) {
      const c = await fresh(server, kind);
      const res = await c.post("/auth/webauthn/signup", { email: "closed@key.org" });
      expect(res.body).toEqual({ status: 403 });
    }
  });
});

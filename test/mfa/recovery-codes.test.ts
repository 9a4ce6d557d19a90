import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { clients, expectStatus } from "../helpers/client.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { passwordLogin, pendingFlow, signUp, userWithTotp } from "../helpers/totp.js";

const STALE = 301_000;
const CANNOT_GENERATE =
  "You cannot generate recovery codes without having two-factor authentication enabled.";

async function authenticatorRow(server: TestServer, username: string, type: string) {
  const db = server.latchkey.runtime.store.db;
  const user = await db
    .selectFrom("user")
    .select("id")
    .where("username", "=", username)
    .executeTakeFirstOrThrow();
  return db
    .selectFrom("authenticator")
    .selectAll()
    .where("user_id", "=", user.id)
    .where("type", "=", type)
    .executeTakeFirst();
}

describe.each(dialects)("recovery codes (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  describe.each(clients)("%s client", (kind) => {
    it("answers 401 to anonymous callers", async () => {
      const c = server.client(kind);
      const get = await c.get("/account/authenticators/recovery-codes");
      expectStatus(get, 401);
      expect(get.body.meta.is_authenticated).toBe(false);
      expectStatus(await c.post("/account/authenticators/recovery-codes"), 401);
    });

    it("is 404 without recovery codes and refuses to generate them without another authenticator", async () => {
      const c = server.client(kind);
      await signUp(server, c);
      const get = await c.get("/account/authenticators/recovery-codes");
      expect(get.status).toBe(404);
      expect(get.body).toEqual({ status: 404 });
      // Validation comes before the reauthentication check: this fresh signup is not recent.
      const post = await c.post("/account/authenticators/recovery-codes");
      expectStatus(post, 400);
      expect(post.body.errors).toEqual([
        { code: "cannot_generate_recovery_codes", message: CANNOT_GENERATE },
      ]);
    });

    it("shows 10 eight-digit codes, needs reauthentication, and a recovery code reauthenticates once", async () => {
      const c = server.client(kind);
      const { username } = await userWithTotp(server, c);
      const first = await c.get("/account/authenticators/recovery-codes");
      expectStatus(first, 200);
      const data = first.body.data;
      expect(Object.keys(data)).toEqual([
        "type",
        "created_at",
        "last_used_at",
        "total_code_count",
        "unused_code_count",
        "unused_codes",
      ]);
      expect(data.type).toBe("recovery_codes");
      expect(data.last_used_at).toBeNull();
      expect(data.total_code_count).toBe(10);
      expect(data.unused_code_count).toBe(10);
      const codes: string[] = data.unused_codes;
      expect(codes).toHaveLength(10);
      for (const code of codes) expect(code).toMatch(/^\d{8}$/);
      expect(new Set(codes).size).toBe(10);

      // Stored hashed: no code appears in the row, only hashes (plus the copy shown while showOnce is off).
      const row = await authenticatorRow(server, username, "recovery_codes");
      const stored = JSON.parse(row!.data);
      expect(stored.hashes).toHaveLength(10);
      for (const h of stored.hashes) expect(codes).not.toContain(h);

      server.advance(STALE);
      const stale = await c.get("/account/authenticators/recovery-codes");
      expectStatus(stale, 401);
      expect(stale.body.meta.is_authenticated).toBe(true);
      expect(stale.body.data.flows).toEqual([
        { id: "reauthenticate" },
        { id: "mfa_reauthenticate", types: ["recovery_codes", "totp"] },
      ]);

      const re = await c.post("/auth/2fa/reauthenticate", { code: codes[3] });
      expectStatus(re, 200);
      const last = re.body.data.methods.at(-1);
      expect(last).toEqual({ method: "mfa", at: expect.any(Number), id: row!.id, type: "recovery_codes" });
      expect(last.reauthenticated).toBeUndefined();

      const after = await c.get("/account/authenticators/recovery-codes");
      expectStatus(after, 200);
      expect(after.body.data.unused_code_count).toBe(9);
      expect(after.body.data.total_code_count).toBe(10);
      expect(after.body.data.unused_codes).toEqual(codes.filter((_, i) => i !== 3));
      expect(after.body.data.last_used_at).toBeCloseTo(last.at, 0);

      // Single use: the same code is refused the second time.
      const again = await c.post("/auth/2fa/reauthenticate", { code: codes[3] });
      expectStatus(again, 400);
      expect(again.body.errors).toEqual([
        { code: "incorrect_code", message: "Incorrect code.", param: "code" },
      ]);

      // The list never shows the codes.
      const list = await c.get("/account/authenticators");
      const rc = list.body.data.find((a: { type: string }) => a.type === "recovery_codes");
      expect(rc.unused_codes).toBeUndefined();
      expect(rc.unused_code_count).toBe(9);
    });

    it("regenerates: new codes replace the old ones (reauthentication required)", async () => {
      const c = server.client(kind);
      const { username, password } = await userWithTotp(server, c);
      const old: string[] = (await c.get("/account/authenticators/recovery-codes")).body.data.unused_codes;
      server.advance(STALE);
      expectStatus(await c.post("/account/authenticators/recovery-codes"), 401);
      expectStatus(await c.post("/auth/reauthenticate", { password }), 200);
      const r = await c.post("/account/authenticators/recovery-codes", {});
      expectStatus(r, 200);
      expect(r.body.data.total_code_count).toBe(10);
      expect(r.body.data.unused_code_count).toBe(10);
      expect(r.body.data.last_used_at).toBeNull();
      const fresh: string[] = r.body.data.unused_codes;
      expect(fresh).toHaveLength(10);
      expect(fresh).not.toEqual(old);
      const rows = await server.latchkey.runtime.store.db
        .selectFrom("authenticator")
        .select("id")
        .where("type", "=", "recovery_codes")
        .where("user_id", "=", (await authenticatorRow(server, username, "recovery_codes"))!.user_id)
        .execute();
      expect(rows).toHaveLength(1);
      // Old codes are dead; a new one works.
      const stillOld = old.find((code) => !fresh.includes(code))!;
      expectStatus(await c.post("/auth/2fa/reauthenticate", { code: stillOld }), 400);
      expectStatus(await c.post("/auth/2fa/reauthenticate", { code: fresh[0] }), 200);
    });

    it("logs in with a recovery code as the second factor, once", async () => {
      const c = server.client(kind);
      const { username, password } = await userWithTotp(server, c);
      const codes: string[] = (await c.get("/account/authenticators/recovery-codes")).body.data.unused_codes;
      const login = server.client(kind);
      const pending = await passwordLogin(login, username, password);
      expectStatus(pending, 401);
      expect(pendingFlow(pending)).toEqual({
        id: "mfa_authenticate",
        is_pending: true,
        types: ["recovery_codes", "totp"],
      });
      const r = await login.post("/auth/2fa/authenticate", { code: codes[0] });
      expectStatus(r, 200);
      expect(r.body.data.methods.map((m: { method: string; type?: string }) => m.type ?? m.method)).toEqual([
        "password",
        "recovery_codes",
      ]);
      const second = server.client(kind);
      expectStatus(await passwordLogin(second, username, password), 401);
      expectStatus(await second.post("/auth/2fa/authenticate", { code: codes[0] }), 400);
      expectStatus(await second.post("/auth/2fa/authenticate", { code: codes[1] }), 200);
    });

    it("with TOTP but no recovery codes: GET 404, POST creates 10", async () => {
      const c = server.client(kind);
      const { username } = await userWithTotp(server, c);
      const row = await authenticatorRow(server, username, "recovery_codes");
      await server.latchkey.runtime.store.db.deleteFrom("authenticator").where("id", "=", row!.id).execute();
      expect((await c.get("/account/authenticators/recovery-codes")).body).toEqual({ status: 404 });
      const r = await c.post("/account/authenticators/recovery-codes");
      expectStatus(r, 200);
      expect(r.body.data.unused_codes).toHaveLength(10);
      expectStatus(await c.get("/account/authenticators/recovery-codes"), 200);
    });
  });
});

describe.each(dialects)("recovery codes shown once (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    mfa: { recoveryCodes: { showOnce: true, count: 5, digits: 12 } },
  });

  it("shows the codes on the first view only and then keeps only their hashes", async () => {
    const c = server.client(Client.BROWSER);
    const { username } = await userWithTotp(server, c);
    const first = await c.get("/account/authenticators/recovery-codes");
    expectStatus(first, 200);
    const codes: string[] = first.body.data.unused_codes;
    expect(codes).toHaveLength(5);
    for (const code of codes) expect(code).toMatch(/^\d{12}$/);
    const second = await c.get("/account/authenticators/recovery-codes");
    expectStatus(second, 200);
    expect(second.body.data.unused_codes).toBeUndefined();
    expect(second.body.data.unused_code_count).toBe(5);
    expect(second.body.data.total_code_count).toBe(5);

    const row = await authenticatorRow(server, username, "recovery_codes");
    for (const code of codes) expect(row!.data).not.toContain(code);
    // Hashed codes still work.
    expectStatus(await c.post("/auth/2fa/reauthenticate", { code: codes[2] }), 200);
    expect((await c.get("/account/authenticators/recovery-codes")).body.data.unused_code_count).toBe(4);

    // A regenerated set is shown by the POST, and once more by the first GET (as allauth does).
    const regenerated = await c.post("/account/authenticators/recovery-codes");
    expectStatus(regenerated, 200);
    const fresh: string[] = regenerated.body.data.unused_codes;
    expect(fresh).toHaveLength(5);
    expect((await c.get("/account/authenticators/recovery-codes")).body.data.unused_codes).toEqual(fresh);
    expect((await c.get("/account/authenticators/recovery-codes")).body.data.unused_codes).toBeUndefined();
  });

  it("works the same for the app client", async () => {
    const c = server.client(Client.APP);
    await userWithTotp(server, c);
    expect((await c.get("/account/authenticators/recovery-codes")).body.data.unused_codes).toHaveLength(5);
    expect((await c.get("/account/authenticators/recovery-codes")).body.data.unused_codes).toBeUndefined();
  });
});

import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { clients, expectStatus } from "../helpers/client.js";
import { useLatchkey } from "../helpers/latchkey.js";
import { dialects, storelessDialects } from "../helpers/stores.js";
import {
  currentCode,
  passwordLogin,
  reauthenticate,
  serverNow,
  signUp,
  totpCode,
  userWithTotp,
} from "../helpers/totp.js";

const STALE = 301_000;
const UNVERIFIED_MESSAGE =
  "You cannot activate two-factor authentication until you have verified your email address.";

describe.each(dialects)("TOTP (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  describe.each(clients)("%s client", (kind) => {
    it("answers 401 to anonymous callers", async () => {
      const c = server.client(kind);
      expect((await c.get("/account/authenticators/totp")).status).toBe(401);
      const post = await c.post("/account/authenticators/totp", { code: "123456" });
      expectStatus(post, 401);
      expect(post.body.meta.is_authenticated).toBe(false);
      expect((await c.delete("/account/authenticators/totp")).status).toBe(401);
      expect((await c.get("/account/authenticators")).status).toBe(401);
    });

    it("offers a secret, URL and QR code while inactive (404), without reauthentication", async () => {
      const c = server.client(kind);
      const { email } = await signUp(server, c);
      const r = await c.get("/account/authenticators/totp");
      expectStatus(r, 404);
      expect(r.body.data).toBeUndefined();
      const { secret, totp_url, qr_code_svg } = r.body.meta;
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(totp_url).toBe(`otpauth://totp/${email.replace("@", "%40")}?secret=${secret}&issuer=Latchkey`);
      expect(qr_code_svg).toMatch(/^<svg[^>]*>/);
      expect(qr_code_svg).toContain("</svg>");
      // Each GET offers a new secret.
      const again = await c.get("/account/authenticators/totp");
      expect(again.body.meta.secret).not.toBe(secret);
    });

    it("refuses users with an unverified address: 409 on GET, 400 (param code) on POST", async () => {
      const c = server.client(kind);
      await signUp(server, c, { verified: false });
      const r = await c.get("/account/authenticators/totp");
      expectStatus(r, 409);
      expect(r.body.errors).toEqual([{ code: "unverified_email", message: UNVERIFIED_MESSAGE }]);
      const post = await c.post("/account/authenticators/totp", { code: "123456" });
      expectStatus(post, 400);
      expect(post.body.errors).toEqual([
        { code: "unverified_email", message: UNVERIFIED_MESSAGE, param: "code" },
      ]);
    });

    it("validates input before reauthentication: wrong code 400, right code 401 until reauthenticated", async () => {
      const c = server.client(kind);
      const { password } = await signUp(server, c);
      const setup = await c.get("/account/authenticators/totp");
      const secret: string = setup.body.meta.secret;

      const wrong = await c.post("/account/authenticators/totp", {
        code: "000000" === currentCode(server, secret) ? "111111" : "000000",
      });
      expectStatus(wrong, 400);
      expect(wrong.body.errors).toEqual([
        { code: "incorrect_code", message: "Incorrect code.", param: "code" },
      ]);

      // A fresh signup has no methods: reauthentication is required (ALLAUTH-BEHAVIOUR §2.5).
      const stale = await c.post("/account/authenticators/totp", { code: currentCode(server, secret) });
      expectStatus(stale, 401);
      expect(stale.body.meta.is_authenticated).toBe(true);
      expect(stale.body.data.flows).toEqual([{ id: "reauthenticate" }]);
      expect(stale.body.data.user.username).toBeDefined();

      await reauthenticate(c, password);
      const r = await c.post("/account/authenticators/totp", { code: currentCode(server, secret) });
      expectStatus(r, 200);
      expect(Object.keys(r.body.data)).toEqual(["type", "created_at", "last_used_at"]);
      expect(r.body.data.type).toBe("totp");
      expect(r.body.data.last_used_at).toBeNull();
      expect(r.body.data.created_at).toBeCloseTo(serverNow(server) / 1000, -1);
      expect(r.body.meta).toBeUndefined();

      // Active: GET shows it.
      const active = await c.get("/account/authenticators/totp");
      expectStatus(active, 200);
      expect(active.body.data).toEqual(r.body.data);
      // The secret offered before is spent: activating again is refused.
      const twice = await c.post("/account/authenticators/totp", { code: currentCode(server, secret) });
      expectStatus(twice, 400);
      // Recently authenticated: deactivation needs nothing more.
      expect((await c.delete("/account/authenticators/totp")).body).toEqual({ status: 200 });
      expectStatus(await c.get("/account/authenticators/totp"), 404);
    });

    it("rejects bad inputs", async () => {
      const c = server.client(kind);
      await signUp(server, c);
      for (const [body, code] of [
        [{}, "required"],
        [{ code: null }, "required"],
        [{ code: "  " }, "required"],
        [{ code: 123456 }, "invalid"],
        [{ code: ["123456"] }, "invalid"],
        [{ code: { a: 1 } }, "invalid"],
      ] as const) {
        const r = await c.post("/account/authenticators/totp", body);
        expectStatus(r, 400);
        expect(r.body.errors).toEqual([expect.objectContaining({ code, param: "code" })]);
      }
      // Without a GET first there is no secret to activate: any code is wrong.
      const r = await c.post("/account/authenticators/totp", { code: "123456" });
      expectStatus(r, 400);
      expect(r.body.errors[0].code).toBe("incorrect_code");
      const bad = await c.post("/account/authenticators/totp", undefined, { raw: "{nope" });
      expectStatus(bad, 400);
    });

    it("creates recovery codes with TOTP and lists both without codes", async () => {
      const c = server.client(kind);
      await userWithTotp(server, c);
      const list = await c.get("/account/authenticators");
      expectStatus(list, 200);
      expect(list.body.data).toHaveLength(2);
      const [totp, rc] = list.body.data;
      expect(Object.keys(totp)).toEqual(["type", "created_at", "last_used_at"]);
      expect(totp.type).toBe("totp");
      expect(rc).toEqual({
        type: "recovery_codes",
        created_at: expect.any(Number),
        last_used_at: null,
        total_code_count: 10,
        unused_code_count: 10,
      });
    });

    it("deactivates: 401 with both reauthentication flows when stale, 200 after 2fa/reauthenticate", async () => {
      const c = server.client(kind);
      const { secret } = await userWithTotp(server, c);
      server.advance(STALE);
      const stale = await c.delete("/account/authenticators/totp");
      expectStatus(stale, 401);
      expect(stale.body.meta.is_authenticated).toBe(true);
      expect(stale.body.data.flows).toEqual([
        { id: "reauthenticate" },
        { id: "mfa_reauthenticate", types: ["recovery_codes", "totp"] },
      ]);
      const re = await c.post("/auth/2fa/reauthenticate", { code: currentCode(server, secret) });
      expectStatus(re, 200);
      const r = await c.delete("/account/authenticators/totp");
      expectStatus(r, 200);
      expect(r.body).toEqual({ status: 200 });
      // Recovery codes alone are no second factor: they go too.
      const list = await c.get("/account/authenticators");
      expect(list.body.data).toEqual([]);
      expectStatus(await c.get("/account/authenticators/totp"), 404);
      // Deleting when there is nothing to delete is still 200, even when stale.
      server.advance(STALE);
      const none = await c.delete("/account/authenticators/totp");
      expect(none.body).toEqual({ status: 200 });
    });

    it("binds the offered secret to the session that asked for it", async () => {
      const c = server.client(kind);
      const { username, password } = await signUp(server, c);
      const other = server.client(kind);
      expectStatus(await passwordLogin(other, username, password), 200);
      const setup = await c.get("/account/authenticators/totp");
      const secret: string = setup.body.meta.secret;
      const r = await other.post("/account/authenticators/totp", { code: currentCode(server, secret) });
      expectStatus(r, 400);
      expect(r.body.errors[0].code).toBe("incorrect_code");
    });
  });
});

describe.each(dialects)("TOTP options (%s)", (dialect) => {
  const server = useLatchkey(dialect, {
    siteName: "Ignored Site",
    mfa: {
      supportedTypes: ["totp"],
      allowUnverifiedEmail: true,
      totp: { issuer: "My Site/Ü", digits: 8, period: 60, tolerance: 1 },
    },
  });

  it("builds the URL with issuer, digits and period, and checks codes with them", async () => {
    const c = server.client(Client.BROWSER);
    const { username, email, password } = await signUp(server, c, { verified: false });
    await reauthenticate(c, password);
    const setup = await c.get("/account/authenticators/totp");
    expectStatus(setup, 404);
    const secret: string = setup.body.meta.secret;
    expect(setup.body.meta.totp_url).toBe(
      `otpauth://totp/${email.replace("@", "%40")}?secret=${secret}&issuer=My+Site%2F%C3%9C&digits=8&period=60`,
    );
    // Tolerance 1: the previous step's code still works.
    const previous = totpCode(secret, serverNow(server) - 60_000, { digits: 8, period: 60 });
    const r = await c.post("/account/authenticators/totp", { code: previous });
    expectStatus(r, 200);
    // Only TOTP is supported: no recovery codes, and no recovery-code routes.
    const list = await c.get("/account/authenticators");
    expect(list.body.data.map((a: { type: string }) => a.type)).toEqual(["totp"]);
    expectStatus(await c.get("/account/authenticators/recovery-codes"), 404);
    expect(username).toBeDefined();
  });

  it("refuses codes two steps away with tolerance 1, and 6-digit codes when 8 are configured", async () => {
    const c = server.client(Client.APP);
    const { password } = await signUp(server, c, { verified: false });
    await reauthenticate(c, password);
    const setup = await c.get("/account/authenticators/totp");
    const secret: string = setup.body.meta.secret;
    const old = totpCode(secret, serverNow(server) - 120_000, { digits: 8, period: 60 });
    expectStatus(await c.post("/account/authenticators/totp", { code: old }), 400);
    const six = totpCode(secret, serverNow(server), { digits: 6, period: 60 });
    expectStatus(await c.post("/account/authenticators/totp", { code: six }), 400);
  });
});

describe.each(storelessDialects)("MFA disabled (%s)", (dialect) => {
  const server = useLatchkey(dialect, { mfa: { enabled: false } });

  it("has no MFA routes", async () => {
    const c = server.client(Client.BROWSER);
    for (const path of [
      "/account/authenticators",
      "/account/authenticators/totp",
      "/account/authenticators/recovery-codes",
    ]) {
      expectStatus(await c.get(path), 404);
    }
    expectStatus(await c.post("/auth/2fa/authenticate", { code: "123456" }), 404);
    expectStatus(await c.post("/auth/2fa/reauthenticate", { code: "123456" }), 404);
  });
});

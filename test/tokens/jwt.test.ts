import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { decodeJwt, newUser, privateKeyFor, type SigningAlgorithm } from "./support.js";

const ALGORITHMS: SigningAlgorithm[] = ["RS256", "ES256", "EdDSA", "HS256"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A logged-in app user with the tokens of its login response. */
async function appLogin(server: TestServer) {
  const user = await newUser(server, server.client(Client.APP), "jwt");
  const r = await user.client.get("/auth/session");
  expect(r.status).toBe(200);
  // The signup response carried the tokens; log in again on another client to see them in full.
  const app = server.client(Client.APP);
  const login = await app.post("/auth/login", {
    username: user.username,
    password: "Correct-Horse-Battery-9",
  });
  expect(login.status).toBe(200);
  const meta = login.body.meta as {
    is_authenticated: boolean;
    session_token: string;
    access_token: string;
    refresh_token: string;
  };
  return { ...user, app, meta };
}

/** A client that holds no session token, sending only the given Authorization header. */
function bearer(server: TestServer, token: string, scheme = "Bearer") {
  const client = server.client(Client.APP);
  return {
    client,
    get: (path: string) => client.get(path, { headers: { authorization: `${scheme} ${token}` } }),
  };
}

describe.each(dialects)("JWT token strategy (%s)", (dialect) => {
  describe.each(ALGORITHMS)("%s", (algorithm) => {
    const server = useLatchkey(dialect, {
      tokens: { strategy: "jwt", jwt: { algorithm, privateKey: privateKeyFor(algorithm) } },
    });

    it("issues access and refresh tokens with allauth's claims on login (app)", async () => {
      const { meta, id, app } = await appLogin(server);
      expect(meta.is_authenticated).toBe(true);
      expect(typeof meta.session_token).toBe("string");
      const access = decodeJwt(meta.access_token);
      const refresh = decodeJwt(meta.refresh_token);
      expect(access.header.alg).toBe(algorithm);
      expect(access.header.typ).toBe("JWT");
      if (algorithm === "HS256") {
        expect(access.header.kid).toBeUndefined();
      } else {
        const jwks = await server.latchkey.jwks();
        expect(jwks.keys).toHaveLength(1);
        expect(access.header.kid).toBe(await calculateJwkThumbprint(jwks.keys[0]!, "sha256"));
        expect(jwks.keys[0]!.kid).toBe(access.header.kid);
        expect(jwks.keys[0]).not.toHaveProperty("d");
      }
      const p = access.payload;
      expect(p.token_use).toBe("access");
      expect(p.sub).toBe(String(id));
      expect(p.jti).toMatch(UUID);
      expect(p.exp).toBe((p.iat as number) + 300);
      expect(p).not.toHaveProperty("iss");
      // sid names the session row (the id /auth/sessions lists), never the session token.
      const sessions = await app.get("/auth/sessions");
      const current = sessions.body.data.find((s: { is_current: boolean }) => s.is_current);
      expect(p.sid).toBe(String(current.id));
      expect(p.sid).not.toBe(meta.session_token);
      expect(refresh.payload.token_use).toBe("refresh");
      expect(refresh.payload.sid).toBe(p.sid);
      expect(refresh.payload.sub).toBe(p.sub);
      expect(refresh.payload.jti).not.toBe(p.jti);
      expect(refresh.payload.exp).toBe((refresh.payload.iat as number) + 86_400);
    });

    it("the signup response that logs in carries the tokens too; later responses do not", async () => {
      const app = server.client(Client.APP);
      const r = await app.post("/auth/signup", {
        username: `su${algorithm}${dialect}`,
        email: `su${algorithm}${dialect}@example.com`,
        password: "Correct-Horse-Battery-9",
      });
      expect(r.status).toBe(200);
      expect(typeof r.body.meta.access_token).toBe("string");
      expect(typeof r.body.meta.refresh_token).toBe("string");
      const again = await app.get("/auth/session");
      expect(again.status).toBe(200);
      expect(again.body.meta).not.toHaveProperty("access_token");
      expect(again.body.meta).not.toHaveProperty("refresh_token");
    });

    it("serves a JWKS that verifies issued access tokens", async () => {
      const { meta } = await appLogin(server);
      const jwks = await server.latchkey.jwks();
      const viaApi = await server.client(Client.APP).get("/tokens/jwks");
      expect(viaApi.status).toBe(200);
      expect(viaApi.body.data).toEqual({ keys: jwks.keys });
      if (algorithm === "HS256") {
        expect(jwks.keys).toEqual([]);
        return;
      }
      const { payload, protectedHeader } = await jwtVerify(meta.access_token, createLocalJWKSet(jwks));
      expect(payload.token_use).toBe("access");
      expect(protectedHeader.kid).toBe(jwks.keys[0]!.kid);
      expect(await server.client(Client.BROWSER).get("/tokens/jwks")).toMatchObject({ status: 404 });
    });

    it("accepts the access token as Bearer on allauth endpoints (scheme case-insensitive)", async () => {
      const { meta, id } = await appLogin(server);
      for (const scheme of ["Bearer", "bearer", "BEARER"]) {
        const r = await bearer(server, meta.access_token, scheme).get("/auth/session");
        expect(r.status).toBe(200);
        expect(r.body.data.user.id).toBe(id);
        expect(r.body.meta).not.toHaveProperty("session_token");
      }
      expect((await bearer(server, meta.access_token).get("/auth/sessions")).status).toBe(200);
    });

    it("ignores a wrong scheme, a refresh token and garbage: anonymous 401, not 410", async () => {
      const { meta } = await appLogin(server);
      for (const [scheme, token] of [
        ["Token", meta.access_token],
        ["Basic", meta.access_token],
        ["Bearer", meta.refresh_token],
        ["Bearer", "not.a.jwt"],
        ["Bearer", `${meta.access_token}x`],
      ] as const) {
        const r = await bearer(server, token, scheme).get("/auth/session");
        expect(r.status, `${scheme} ${token.slice(0, 10)}`).toBe(401);
        expect(r.body.meta.is_authenticated).toBe(false);
      }
      const three = await server
        .client(Client.APP)
        .get("/auth/session", { headers: { authorization: `Bearer ${meta.access_token} extra` } });
      expect(three.status).toBe(401);
    });

    it("an X-Session-Token wins over the Authorization header", async () => {
      const { meta, id } = await appLogin(server);
      const r = await server.client(Client.APP).get("/auth/session", {
        headers: { "x-session-token": meta.session_token, authorization: "Bearer garbage" },
      });
      expect(r.status).toBe(200);
      expect(r.body.data.user.id).toBe(id);
    });

    it("refresh rotates: a new pair, and the old refresh token is refused", async () => {
      const { meta } = await appLogin(server);
      const app = server.client(Client.APP);
      const first = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(first.status).toBe(200);
      expect(Object.keys(first.body)).toEqual(["status", "data"]);
      const { access_token, refresh_token } = first.body.data;
      expect(typeof access_token).toBe("string");
      expect(typeof refresh_token).toBe("string");
      expect(decodeJwt(access_token).payload.sid).toBe(decodeJwt(meta.access_token).payload.sid);
      expect((await bearer(server, access_token).get("/auth/session")).status).toBe(200);

      const next = await app.post("/tokens/refresh", { refresh_token });
      expect(next.status).toBe(200);
    });

    it("reusing a rotated-out refresh token ends the session", async () => {
      const { meta } = await appLogin(server);
      const app = server.client(Client.APP);
      const first = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(first.status).toBe(200);
      // Within 10 s of its replacement it is taken for another tab's copy: refused, nothing ends.
      server.advance(9_000);
      const early = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(early.body).toEqual({ status: 400 });
      expect((await bearer(server, first.body.data.access_token).get("/auth/session")).status).toBe(200);
      server.advance(1_000);
      const reused = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(reused.status).toBe(400);
      expect(reused.body).toEqual({ status: 400 });
      // Two parties held the family: neither keeps the session.
      const session = await server
        .client(Client.APP)
        .get("/auth/session", { headers: { "x-session-token": meta.session_token } });
      expect(session.status).toBe(410);
      const second = await app.post("/tokens/refresh", { refresh_token: first.body.data.refresh_token });
      expect(second.status).toBe(400);
      expect(second.body).toEqual({ status: 400 });
      // The access tokens name a gone session (410 here; 401 under stateful validation).
      expect((await bearer(server, first.body.data.access_token).get("/auth/session")).status).toBe(410);
    });

    it("refresh: of concurrent refreshes with one token one succeeds; the others are refused and the session lives on", async () => {
      const { meta } = await appLogin(server);
      const app = server.client(Client.APP);
      const results = await Promise.all(
        [0, 1, 2].map(() => app.post("/tokens/refresh", { refresh_token: meta.refresh_token })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 400, 400]);
      const winner = results.find((r) => r.status === 200)!;
      const after = await app.post("/tokens/refresh", { refresh_token: winner.body.data.refresh_token });
      expect(after.status).toBe(200);
    });

    it("refresh input errors: missing is `required`, other bad values a bare 400", async () => {
      const { meta } = await appLogin(server);
      const app = server.client(Client.APP);
      for (const body of [{}, { refresh_token: "" }, { refresh_token: null }]) {
        const r = await app.post("/tokens/refresh", body);
        expect(r.status).toBe(400);
        expect(r.body.errors).toEqual([
          { message: "This field is required.", code: "required", param: "refresh_token" },
        ]);
      }
      for (const body of [
        { refresh_token: "garbage" },
        { refresh_token: 12 },
        { refresh_token: true },
        { refresh_token: meta.access_token },
      ]) {
        const r = await app.post("/tokens/refresh", body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body).toEqual({ status: 400 });
      }
      const list = await app.post("/tokens/refresh", { refresh_token: ["x"] });
      expect(list.status).toBe(400);
      expect(list.body.errors[0].param).toBe("refresh_token");
      expect((await app.post("/tokens/refresh", undefined, { raw: "{" })).status).toBe(400);
    });

    it("refresh exists on the app tree only", async () => {
      const browser = server.client(Client.BROWSER);
      await browser.get("/config");
      expect((await browser.post("/tokens/refresh", { refresh_token: "x" })).status).toBe(404);
    });

    it("tokens expire: the access token after 300 s, the refresh token after a day", async () => {
      server.freezeClock();
      const { meta } = await appLogin(server);
      server.advance(299_000);
      expect((await bearer(server, meta.access_token).get("/auth/session")).status).toBe(200);
      server.advance(2_000);
      const expired = await bearer(server, meta.access_token).get("/auth/session");
      expect(expired.status).toBe(401);
      expect(await server.latchkey.verifyAccessToken(meta.access_token)).toBeNull();
      const app = server.client(Client.APP);
      const refreshed = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(refreshed.status).toBe(200);
      server.advance(86_400_000);
      const late = await app.post("/tokens/refresh", { refresh_token: refreshed.body.data.refresh_token });
      expect(late.status).toBe(400);
    });

    it("after logout the refresh token is refused and the old access token gives 410 (stateless)", async () => {
      const { meta, app } = await appLogin(server);
      expect((await app.delete("/auth/session")).status).toBe(401);
      const refresh = await server
        .client(Client.APP)
        .post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(refresh.status).toBe(400);
      expect(refresh.body).toEqual({ status: 400 });
      const old = await bearer(server, meta.access_token).get("/auth/session");
      expect(old.status).toBe(410);
      expect(old.body.meta.is_authenticated).toBeNull();
      // Stateless verification for your own API does not read the database: the token stays valid until it expires.
      expect(await server.latchkey.verifyAccessToken(meta.access_token)).not.toBeNull();
    });

    it("verifyAccessToken returns the user, the session row and the claims", async () => {
      const { meta, id } = await appLogin(server);
      const verified = await server.latchkey.verifyAccessToken(meta.access_token);
      expect(verified).toMatchObject({ userId: id, claims: { sub: String(id), token_use: "access" } });
      expect(String(verified!.sessionId)).toBe(verified!.claims.sid);
      expect(await server.latchkey.verifyAccessToken(meta.refresh_token)).toBeNull();
      expect(await server.latchkey.verifyAccessToken("")).toBeNull();
    });

    it("browser clients never get tokens", async () => {
      const browser = server.client(Client.BROWSER);
      await browser.get("/config");
      const user = await newUser(server, browser, "br");
      const again = server.client(Client.BROWSER);
      await again.get("/config");
      const r = await again.post("/auth/login", {
        username: user.username,
        password: "Correct-Horse-Battery-9",
      });
      expect(r.status).toBe(200);
      expect(r.body.meta).toEqual({ is_authenticated: true });
      // And an access token in a browser request's Authorization header means nothing there.
      const { meta } = await appLogin(server);
      const b = server.client(Client.BROWSER);
      expect(
        (await b.get("/auth/session", { headers: { authorization: `Bearer ${meta.access_token}` } })).status,
      ).toBe(401);
    });
  });
});

describe.each(dialects)("JWT options (%s)", (dialect) => {
  describe("rotateRefreshToken: false", () => {
    const server = useLatchkey(dialect, {
      tokens: {
        strategy: "jwt",
        jwt: { algorithm: "ES256", privateKey: privateKeyFor("ES256"), rotateRefreshToken: false },
      },
    });

    it("refresh returns only an access token, and the refresh token keeps working", async () => {
      const { meta } = await appLogin(server);
      const app = server.client(Client.APP);
      for (let i = 0; i < 2; i++) {
        const r = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
        expect(r.status).toBe(200);
        expect(Object.keys(r.body.data)).toEqual(["access_token"]);
        expect((await bearer(server, r.body.data.access_token).get("/auth/session")).status).toBe(200);
      }
    });
  });

  describe("statefulValidation, custom scheme, issuer and audience", () => {
    const secret = privateKeyFor("HS256");
    const server = useLatchkey(dialect, {
      tokens: {
        strategy: "jwt",
        jwt: {
          algorithm: "HS256",
          privateKey: secret,
          statefulValidation: true,
          authorizationHeaderScheme: "JWT",
          issuer: "https://auth.example.com",
          audience: "https://api.example.com",
          accessTokenExpiresIn: 60,
          refreshTokenExpiresIn: 600,
        },
      },
    });

    it("uses the configured scheme, issuer, audience and lifetimes", async () => {
      const { meta } = await appLogin(server);
      const { header, payload } = decodeJwt(meta.access_token);
      expect(header).toEqual({ alg: "HS256", typ: "JWT" });
      expect(payload.iss).toBe("https://auth.example.com");
      expect(payload.aud).toBe("https://api.example.com");
      expect(payload.exp).toBe((payload.iat as number) + 60);
      expect(decodeJwt(meta.refresh_token).payload.exp).toBe((payload.iat as number) + 600);
      expect((await bearer(server, meta.access_token, "jwt").get("/auth/session")).status).toBe(200);
      expect((await bearer(server, meta.access_token, "Bearer").get("/auth/session")).status).toBe(401);
    });

    it("a reused refresh token kills the session's access tokens", async () => {
      const { meta } = await appLogin(server);
      const app = server.client(Client.APP);
      const first = await app.post("/tokens/refresh", { refresh_token: meta.refresh_token });
      expect(first.status).toBe(200);
      const access = first.body.data.access_token;
      expect((await bearer(server, access, "JWT").get("/auth/session")).status).toBe(200);
      server.advance(10_000);
      expect((await app.post("/tokens/refresh", { refresh_token: meta.refresh_token })).status).toBe(400);
      expect(await server.latchkey.verifyAccessToken(access)).toBeNull();
      expect((await bearer(server, access, "JWT").get("/auth/session")).status).toBe(401);
    });

    it("a well-signed refresh token that was never issued is refused and ends nothing", async () => {
      const { meta } = await appLogin(server);
      const key = new TextEncoder().encode(secret);
      const forged = await new SignJWT({ ...decodeJwt(meta.refresh_token).payload, jti: "never-issued" })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .sign(key);
      const app = server.client(Client.APP);
      const r = await app.post("/tokens/refresh", { refresh_token: forged });
      expect(r.body).toEqual({ status: 400 });
      expect((await bearer(server, meta.access_token, "JWT").get("/auth/session")).status).toBe(200);
      expect((await app.post("/tokens/refresh", { refresh_token: meta.refresh_token })).status).toBe(200);
    });

    it("after logout the old access token is invalid: 401, not 410", async () => {
      const { meta, app } = await appLogin(server);
      expect(await server.latchkey.verifyAccessToken(meta.access_token)).not.toBeNull();
      await app.delete("/auth/session");
      const old = await bearer(server, meta.access_token, "JWT").get("/auth/session");
      expect(old.status).toBe(401);
      expect(old.body.meta.is_authenticated).toBe(false);
      expect(await server.latchkey.verifyAccessToken(meta.access_token)).toBeNull();
    });

    it("refuses well-signed tokens with the wrong issuer, audience, use or claims", async () => {
      const { meta } = await appLogin(server);
      const good = decodeJwt(meta.access_token).payload;
      const key = new TextEncoder().encode(secret);
      const forge = (payload: Record<string, unknown>) =>
        new SignJWT(payload).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(key);
      // The control: re-signing the same claims is accepted.
      expect(await server.latchkey.verifyAccessToken(await forge(good))).not.toBeNull();
      for (const payload of [
        { ...good, iss: "https://evil.example.com" },
        { ...good, aud: "https://other-api.example.com" },
        { ...good, aud: undefined },
        { ...good, token_use: "refresh" },
        { ...good, sid: Number(good.sid) },
        { ...good, sub: Number(good.sub) },
        { ...good, jti: undefined },
        { ...good, sid: "abc" },
        { ...good, exp: undefined },
        { ...good, sub: "999999" },
      ]) {
        const token = await forge(payload);
        expect(await server.latchkey.verifyAccessToken(token), JSON.stringify(payload)).toBeNull();
        expect((await bearer(server, token, "JWT").get("/auth/session")).status).toBe(401);
      }
      const unsigned = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify(good)).toString("base64url")}.`;
      expect(await server.latchkey.verifyAccessToken(unsigned)).toBeNull();
    });
  });

  describe("session strategy", () => {
    const server = useLatchkey(dialect);

    it("hands out no access tokens, answers refresh with 400, has no JWKS route", async () => {
      const { meta } = await appLogin(server);
      expect(meta).not.toHaveProperty("access_token");
      expect(meta).not.toHaveProperty("refresh_token");
      const app = server.client(Client.APP);
      const r = await app.post("/tokens/refresh", { refresh_token: meta.session_token });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ status: 400 });
      expect((await app.post("/tokens/refresh", {})).body.errors[0]).toMatchObject({
        code: "required",
        param: "refresh_token",
      });
      expect((await app.get("/tokens/jwks")).status).toBe(404);
      expect(await server.latchkey.jwks()).toEqual({ keys: [] });
      expect(await server.latchkey.verifyAccessToken(meta.session_token)).toBeNull();
      // A Bearer header means nothing to the session strategy.
      expect((await bearer(server, meta.session_token).get("/auth/session")).status).toBe(401);
    });
  });
});

describe("JWT key checks", () => {
  const make = (algorithm: SigningAlgorithm, privateKey: string) =>
    import("../../src/latchkey.js").then(({ createLatchkey }) =>
      createLatchkey({
        database: { url: "sqlite::memory:" },
        tokens: { strategy: "jwt", jwt: { algorithm, privateKey } },
      }),
    );

  it("refuses a key that does not fit the algorithm", async () => {
    await expect(make("ES256", privateKeyFor("RS256"))).rejects.toThrow(/ES256 needs an EC P-256 key/);
    await expect(make("RS256", privateKeyFor("EdDSA"))).rejects.toThrow(/RS256 needs an RSA key/);
    await expect(make("EdDSA", privateKeyFor("ES256"))).rejects.toThrow(/EdDSA needs an Ed25519 key/);
    await expect(
      make("RS256", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"),
    ).rejects.toThrow(/tokens\.jwt\.privateKey/);
  });

  it("accepts a matching key", async () => {
    const latchkey = await make("EdDSA", privateKeyFor("EdDSA"));
    expect((await latchkey.jwks()).keys[0]).toMatchObject({
      kty: "OKP",
      crv: "Ed25519",
      alg: "EdDSA",
      use: "sig",
    });
    await latchkey.close();
  });
});

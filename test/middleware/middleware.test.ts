import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { requireUser as requireUserExpress } from "../../src/middleware/express.js";
import { type LatchkeyVariables, requireUser as requireUserHono } from "../../src/middleware/hono.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { newUser, PASSWORD, privateKeyFor } from "../tokens/support.js";

type Call = (headers: Record<string, string>) => Promise<{ status: number; body: unknown }>;

/** Your own API, protected by the Express middleware, listening on a real port. */
async function expressApi(server: TestServer): Promise<{ call: Call; close: () => Promise<void> }> {
  const app = express();
  app.get("/api/me", requireUserExpress(server.latchkey), (req, res) => {
    res.json({ caller: req.latchkeyUser });
  });
  const http: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = http.address() as AddressInfo;
  return {
    async call(headers) {
      const r = await fetch(`http://127.0.0.1:${port}/api/me`, { headers });
      return { status: r.status, body: await r.json() };
    },
    close: () => new Promise<void>((resolve, reject) => http.close((e) => (e ? reject(e) : resolve()))),
  };
}

/** Your own API, protected by the Hono middleware, called through the app's fetch. */
async function honoApi(server: TestServer): Promise<{ call: Call; close: () => Promise<void> }> {
  const app = new Hono<{ Variables: LatchkeyVariables }>();
  app.use("/api/*", requireUserHono(server.latchkey));
  app.get("/api/me", (c) => c.json({ caller: c.get("latchkeyUser") }));
  return {
    async call(headers) {
      const r = await app.fetch(new Request("http://localhost/api/me", { headers }));
      return { status: r.status, body: await r.json() };
    },
    close: async () => {},
  };
}

const frameworks = [
  ["Express", expressApi],
  ["Hono", honoApi],
] as const;

describe.each(dialects)("requireUser middleware (%s)", (dialect) => {
  describe.each(frameworks)("%s", (_name, mount) => {
    describe("JWT strategy", () => {
      const server = useLatchkey(dialect, {
        tokens: { strategy: "jwt", jwt: { algorithm: "ES256", privateKey: privateKeyFor("ES256") } },
      });
      let api: Awaited<ReturnType<typeof mount>>;
      beforeAll(async () => {
        api = await mount(server);
      });
      afterAll(() => api.close());

      async function login() {
        const { username, id } = await newUser(server, server.client(Client.APP), "mw");
        const app = server.client(Client.APP);
        const r = await app.post("/auth/login", { username, password: PASSWORD });
        expect(r.status).toBe(200);
        return { id, app, meta: r.body.meta as { session_token: string; access_token: string } };
      }

      it("answers 401 {status:401} without credentials or with bad ones", async () => {
        const cases: Record<string, string>[] = [
          {},
          { "x-session-token": "nope" },
          { authorization: "Bearer nope" },
          { authorization: "Bearer" },
          { authorization: "" },
        ];
        for (const headers of cases) {
          const r = await api.call(headers);
          expect(r.status, JSON.stringify(headers)).toBe(401);
          expect(r.body).toEqual({ status: 401 });
        }
      });

      it("accepts X-Session-Token and sets the caller with the user", async () => {
        const { id, meta } = await login();
        const r = await api.call({ "x-session-token": meta.session_token });
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({
          caller: { userId: id, via: "session_token", user: { id, has_usable_password: true } },
        });
      });

      it("accepts Authorization: Bearer <access token> (scheme case-insensitive) with the claims", async () => {
        const { id, meta } = await login();
        for (const scheme of ["Bearer", "bearer"]) {
          const r = await api.call({ authorization: `${scheme} ${meta.access_token}` });
          expect(r.status).toBe(200);
          expect(r.body).toMatchObject({
            caller: { userId: id, via: "access_token", claims: { sub: String(id), token_use: "access" } },
          });
          const caller = (r.body as { caller: { sessionId: number; claims: { sid: string } } }).caller;
          expect(String(caller.sessionId)).toBe(caller.claims.sid);
        }
        expect((await api.call({ authorization: `Token ${meta.access_token}` })).status).toBe(401);
      });

      it("an invalid X-Session-Token is not rescued by a valid Bearer token", async () => {
        const { meta } = await login();
        const r = await api.call({ "x-session-token": "nope", authorization: `Bearer ${meta.access_token}` });
        expect(r.status).toBe(401);
      });

      it("refuses an expired access token, and a session token after logout", async () => {
        const { meta, app } = await login();
        expect((await api.call({ "x-session-token": meta.session_token })).status).toBe(200);
        await app.delete("/auth/session");
        expect((await api.call({ "x-session-token": meta.session_token })).status).toBe(401);
        // Stateless validation reads no database: the access token lives until it expires.
        expect((await api.call({ authorization: `Bearer ${meta.access_token}` })).status).toBe(200);
        server.advance(301_000);
        expect((await api.call({ authorization: `Bearer ${meta.access_token}` })).status).toBe(401);
      });
    });

    describe("session strategy", () => {
      const server = useLatchkey(dialect);
      let api: Awaited<ReturnType<typeof mount>>;
      beforeAll(async () => {
        api = await mount(server);
      });
      afterAll(() => api.close());

      it("accepts session tokens only", async () => {
        const { client, id } = await newUser(server, server.client(Client.APP), "mws");
        const token = client.token!;
        expect(await api.call({ "x-session-token": token })).toMatchObject({
          status: 200,
          body: { caller: { userId: id, via: "session_token" } },
        });
        expect((await api.call({ authorization: `Bearer ${token}` })).status).toBe(401);
      });
    });
  });
});

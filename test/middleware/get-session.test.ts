import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { TestClient } from "../helpers/client.js";
import { startLatchkey, type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { newUser, PASSWORD, privateKeyFor } from "../tokens/support.js";

function cookieOf(browser: TestClient): string {
  return [...browser.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
}

/** Counts the session reads getSession makes (the prepared session queries). */
function countReads(server: TestServer): () => number {
  const store = server.latchkey.runtime.store;
  const read = store.preparedRow.bind(store);
  let reads = 0;
  store.preparedRow = (name, query) => {
    reads += 1;
    return read(name, query);
  };
  return () => reads;
}

describe.each(dialects)("latchkey.getSession (%s)", (dialect) => {
  describe("session strategy", () => {
    const server = useLatchkey(dialect);

    it("finds a browser's session by its cookie, in every form the headers come in, with one read", async () => {
      const { id, client } = await newUser(server, server.client(Client.BROWSER), "gs");
      const cookie = cookieOf(client);
      const reads = countReads(server);
      const session = await server.latchkey.getSession(
        new Request("http://localhost/api/me", { headers: { cookie } }),
      );
      expect(reads()).toBe(1);
      expect(session).toMatchObject({
        user: { id, has_usable_password: true },
        session: { via: "cookie", id: expect.any(Number) },
        methods: [],
      });
      for (const source of [
        new Headers({ cookie }),
        { cookie },
        { headers: { cookie } },
        { headers: { cookie: [cookie] } },
        { get: (name: string) => (name === "cookie" ? cookie : null) },
      ]) {
        expect((await server.latchkey.getSession(source))?.user.id).toBe(id);
      }
    });

    it("lists the methods as GET /auth/session does, and follows logout", async () => {
      const { username } = await newUser(server, server.client(Client.BROWSER), "gsm");
      const browser = server.client(Client.BROWSER);
      await browser.get("/config");
      expect((await browser.post("/auth/login", { username, password: PASSWORD })).status).toBe(200);
      const own = await browser.get("/auth/session");
      const session = await server.latchkey.getSession({ cookie: cookieOf(browser) });
      expect(session?.methods).toEqual(own.body.data.methods);
      expect(session?.user).toEqual(own.body.data.user);
      await browser.delete("/auth/session");
      expect(await server.latchkey.getSession({ cookie: cookieOf(browser) })).toBeNull();
    });

    it("finds an app's session by X-Session-Token; a bad token is not rescued by a good cookie", async () => {
      const app = await newUser(server, server.client(Client.APP), "gsa");
      const browser = await newUser(server, server.client(Client.BROWSER), "gsb");
      const found = await server.latchkey.getSession({ "x-session-token": app.client.token! });
      expect(found).toMatchObject({ user: { id: app.id }, session: { via: "session_token" } });
      expect(
        await server.latchkey.getSession({ "x-session-token": "nope", cookie: cookieOf(browser.client) }),
      ).toBeNull();
    });

    it("null without a session, for an anonymous one, and for an unknown token", async () => {
      const anonymous = server.client(Client.BROWSER);
      await anonymous.get("/config");
      expect(await server.latchkey.getSession({})).toBeNull();
      expect(await server.latchkey.getSession({ cookie: cookieOf(anonymous) })).toBeNull();
      expect(await server.latchkey.getSession({ cookie: "sessionid=nope" })).toBeNull();
      expect(await server.latchkey.getSession({ authorization: "Bearer nope" })).toBeNull();
    });

    it("ignores the cookie when the browser client is off", async () => {
      const appOnly = await startLatchkey(dialect, { clients: ["app"] });
      const { client } = await newUser(appOnly, appOnly.client(Client.APP), "gso");
      const token = client.token!;
      expect(await appOnly.latchkey.getSession({ cookie: `sessionid=${token}` })).toBeNull();
      expect(await appOnly.latchkey.getSession({ "x-session-token": token })).not.toBeNull();
    });
  });

  describe("JWT strategy", () => {
    const server = useLatchkey(dialect, {
      tokens: { strategy: "jwt", jwt: { algorithm: "EdDSA", privateKey: privateKeyFor("EdDSA") } },
    });

    it("finds the session of an access token, with its claims", async () => {
      const { username, id } = await newUser(server, server.client(Client.APP), "gsj");
      const app = server.client(Client.APP);
      const login = await app.post("/auth/login", { username, password: PASSWORD });
      const token = login.body.meta.access_token as string;
      const session = await server.latchkey.getSession({ authorization: `Bearer ${token}` });
      expect(session).toMatchObject({
        user: { id },
        session: { via: "access_token" },
        methods: [{ method: "password" }],
        claims: { sub: String(id), token_use: "access" },
      });
      expect(String(session!.session.id)).toBe(session!.claims!.sid);
      await app.delete("/auth/session");
      expect(await server.latchkey.getSession({ authorization: `Bearer ${token}` })).toBeNull();
    });
  });
});

import { describe, expect, it } from "vitest";
import { Client } from "../../src/core/enums.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { newUser } from "./support.js";

describe.each(dialects)("session tokens for your own API (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  const deactivate = (id: number) => server.latchkey.runtime.users.setActive(id, false);

  it("validateSessionToken: the user and session of a logged-in token", async () => {
    const { client, id, username } = await newUser(server, server.client(Client.APP));
    const owner = await server.latchkey.validateSessionToken(client.token!);
    expect(owner).not.toBeNull();
    expect(owner!.user).toMatchObject({
      id,
      username,
      email: `${username}@example.com`,
      has_usable_password: true,
    });
    expect(owner!.user).not.toHaveProperty("password");
    const sessions = await client.get("/auth/sessions");
    expect(owner!.sessionId).toBe(sessions.body.data[0].id);
  });

  it("validateSessionToken: null for unknown, empty, logged-out, anonymous and inactive", async () => {
    expect(await server.latchkey.validateSessionToken("")).toBeNull();
    expect(await server.latchkey.validateSessionToken("x".repeat(43))).toBeNull();
    const { client, id } = await newUser(server, server.client(Client.APP));
    const token = client.token!;
    await client.delete("/auth/session");
    expect(await server.latchkey.validateSessionToken(token)).toBeNull();

    const other = await newUser(server, server.client(Client.APP));
    expect(await server.latchkey.validateSessionToken(other.client.token!)).not.toBeNull();
    await deactivate(other.id);
    expect(await server.latchkey.validateSessionToken(other.client.token!)).toBeNull();
    expect(id).not.toBe(other.id);
  });

  it("validateSessionToken: a browser's session cookie works too, and expiry is honoured", async () => {
    const browser = server.client(Client.BROWSER);
    await browser.get("/config");
    const { client } = await newUser(server, browser);
    const cookie = client.cookies.get("sessionid")!;
    expect(await server.latchkey.validateSessionToken(cookie)).not.toBeNull();
    server.advance(server.latchkey.options.sessions.idleTimeout * 1000 + 1000);
    expect(await server.latchkey.validateSessionToken(cookie)).toBeNull();
  });

  it("createSessionToken: a logged-in session usable by both trees, listed among the user's sessions", async () => {
    const { id, client } = await newUser(server, server.client(Client.APP));
    const token = await server.latchkey.createSessionToken(id);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const app = server.client(Client.APP);
    app.token = token;
    const r = await app.get("/auth/session");
    expect(r.status).toBe(200);
    expect(r.body.data).toMatchObject({ user: { id }, methods: [] });
    const browser = server.client(Client.BROWSER);
    browser.cookies.set("sessionid", await server.latchkey.createSessionToken(id, Client.BROWSER));
    expect((await browser.get("/auth/session")).status).toBe(200);
    expect((await client.get("/auth/sessions")).body.data).toHaveLength(3);
    expect((await server.latchkey.validateSessionToken(token))!.user.id).toBe(id);
  });

  it("createSessionToken: refuses unknown and inactive users", async () => {
    await expect(server.latchkey.createSessionToken(987_654)).rejects.toThrow(/no active user/);
    const { id } = await newUser(server, server.client(Client.APP));
    await deactivate(id);
    await expect(server.latchkey.createSessionToken(id)).rejects.toThrow(/no active user/);
  });
});

describe("createSessionToken with one client tree", () => {
  it("refuses a tree that is not enabled", async () => {
    const server = await startLatchkey("sqlite", { clients: ["app"] });
    const { id } = await newUser(server, server.client(Client.APP));
    await expect(server.latchkey.createSessionToken(id, Client.BROWSER)).rejects.toThrow(/not enabled/);
    expect(typeof (await server.latchkey.createSessionToken(id, Client.APP))).toBe("string");
  });
});

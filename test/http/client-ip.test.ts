import { describe, expect, it } from "vitest";
import { insertUser, PASSWORD, sessionRows } from "../helpers/accounts.js";
import { clients } from "../helpers/client.js";
import type { Client } from "../helpers/latchkey.js";
import { type TestServer, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";

/** Logs a new user in and returns the ip recorded on the new session row. */
async function sessionIp(
  server: TestServer,
  kind: Client,
  remoteAddress: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const user = await insertUser(server);
  const c = server.client(kind, remoteAddress);
  await c.get("/config");
  const res = await c.post("/auth/login", { username: user.username, password: PASSWORD }, { headers });
  expect(res.status).toBe(200);
  const row = (await sessionRows(server)).find((r) => r.user_id === user.id);
  return row!.ip;
}

describe.each(dialects)("client IP (%s)", (dialect) => {
  const plain = useLatchkey(dialect);
  const oneProxy = useLatchkey(dialect, { proxy: { trustedProxyCount: 1 } });
  const limited = useLatchkey(dialect, { rateLimits: { actions: { login: "1/m/ip" } } });
  const limitedBehindProxy = useLatchkey(dialect, {
    proxy: { trustedProxyCount: 1 },
    rateLimits: { actions: { login: "1/m/ip" } },
  });
  const twoProxies = useLatchkey(dialect, { proxy: { trustedProxyCount: 2 } });
  const header = useLatchkey(dialect, { proxy: { trustedClientIpHeader: "CF-Connecting-IP" } });

  describe.each(clients)("%s client", (kind) => {
    it("uses the socket address and ignores X-Forwarded-For by default", async () => {
      expect(await sessionIp(plain, kind, "10.1.1.1")).toBe("10.1.1.1");
      expect(await sessionIp(plain, kind, "10.1.1.2", { "x-forwarded-for": "203.0.113.9" })).toBe("10.1.1.2");
      expect(await sessionIp(plain, kind, "::ffff:10.1.1.3")).toBe("10.1.1.3");
      expect(await sessionIp(plain, kind, "2001:db8::1")).toBe("2001:db8::1");
    });

    it("takes the address the trusted proxies saw from X-Forwarded-For", async () => {
      expect(
        await sessionIp(oneProxy, kind, "10.0.0.1", { "x-forwarded-for": "198.51.100.7, 203.0.113.5" }),
      ).toBe("203.0.113.5");
      expect(await sessionIp(oneProxy, kind, "10.0.0.1", { "x-forwarded-for": "203.0.113.6" })).toBe(
        "203.0.113.6",
      );
      expect(await sessionIp(oneProxy, kind, "10.0.0.9")).toBe("10.0.0.9");
      expect(
        await sessionIp(twoProxies, kind, "10.0.0.1", {
          "x-forwarded-for": "1.1.1.1, 198.51.100.7, 203.0.113.5",
        }),
      ).toBe("198.51.100.7");
    });

    it("reads the trusted client IP header when configured", async () => {
      expect(
        await sessionIp(header, kind, "10.0.0.1", {
          "cf-connecting-ip": "192.0.2.44",
          "x-forwarded-for": "198.51.100.7",
        }),
      ).toBe("192.0.2.44");
      expect(await sessionIp(header, kind, "10.0.0.2")).toBe("10.0.0.2");
    });

    it("keys ip rate limits by the client IP, not by a forged header", async () => {
      const user = await insertUser(limited);
      const body = { username: user.username, password: "wrong" };
      const address = `10.2.0.${kind.length}`;
      const first = limited.client(kind, address);
      await first.get("/config");
      expect((await first.post("/auth/login", body)).status).toBe(400);
      const forged = await first.post("/auth/login", body, {
        headers: { "x-forwarded-for": "203.0.113.77" },
      });
      expect(forged.status).toBe(429);
      expect(forged.body).toEqual({ status: 429 });
      const neighbour = limited.client(kind, `10.3.0.${kind.length}`);
      await neighbour.get("/config");
      expect((await neighbour.post("/auth/login", body)).status).toBe(400);

      // Behind one trusted proxy, clients are told apart by X-Forwarded-For.
      const behind = limitedBehindProxy.client(kind, "10.9.9.9");
      await behind.get("/config");
      const a = { "x-forwarded-for": `198.51.100.${kind.length}` };
      const b = { "x-forwarded-for": `198.51.100.${kind.length + 100}` };
      expect((await behind.post("/auth/login", body, { headers: a })).status).toBe(400);
      expect((await behind.post("/auth/login", body, { headers: a })).status).toBe(429);
      expect((await behind.post("/auth/login", body, { headers: b })).status).toBe(400);
    });
  });
});

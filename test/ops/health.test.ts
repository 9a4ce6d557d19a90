import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { serve } from "../../src/adapters/node.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { dialects } from "../helpers/stores.js";
import { apiRequest, freePort } from "./support.js";

const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** Whether something accepts connections at the Redis URL (CI starts Redis; elsewhere it may be absent). */
const redisListening = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = connect(Number(port || 6379), hostname);
  socket.once("connect", () => {
    socket.destroy();
    resolve(true);
  });
  socket.once("error", () => resolve(false));
});

const health = (base = "/_allauth", path = "/health", method = "GET") =>
  apiRequest("", { base: `${base}${path}`, method });

describe.each(dialects)("health endpoints (%s)", (dialect) => {
  const server = useLatchkey(dialect);

  it("GET {base}/health and {base}/health/ready answer 200 {status:200}, never cached", async () => {
    for (const path of ["/health", "/health/ready"]) {
      const response = await server.latchkey.handler(health("/_allauth", path));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 200 });
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("cache-control")).toContain("no-store");
    }
  });

  it("HEAD answers without a body; other methods 405 with Allow", async () => {
    const head = await server.latchkey.handler(health("/_allauth", "/health/ready", "HEAD"));
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
    const post = await server.latchkey.handler(health("/_allauth", "/health", "POST"));
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    expect((await post.json()).errors[0].code).toBe("method_not_allowed");
  });

  it("lies outside the client trees: /{client}/v1/health is not a route", async () => {
    const response = await server.latchkey.handler(apiRequest("/health"));
    expect(response.status).toBe(404);
  });

  it("follows basePath, and is served by serve()", async () => {
    const moved = await startLatchkey(dialect, { basePath: "/auth" });
    expect((await moved.latchkey.handler(health("/auth"))).status).toBe(200);
    expect((await moved.latchkey.handler(health("/_allauth"))).status).toBe(404);
    const running = await serve(moved.latchkey, { port: 0 });
    try {
      const response = await fetch(`${running.url}/auth/health/ready`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 200 });
    } finally {
      await running.close();
    }
  });

  it("ready is 503 while the Redis rate-limit store does not answer (the API itself still works)", async () => {
    const port = await freePort();
    const unreachable = await startLatchkey(dialect, {
      rateLimits: { store: "redis", redisUrl: `redis://127.0.0.1:${port}` },
    });
    const ready = await unreachable.latchkey.handler(health("/_allauth", "/health/ready"));
    expect(ready.status).toBe(503);
    expect(ready.headers.get("retry-after")).toMatch(/^\d+$/);
    expect((await ready.json()).errors[0].code).toBe("service_unavailable");
    expect((await unreachable.latchkey.handler(health())).status).toBe(200);
    // Rate limits fail open: the API answers.
    expect((await unreachable.latchkey.handler(apiRequest("/config"))).status).toBe(200);
  });

  it.skipIf(!redisListening && !process.env.CI)(
    "ready is 200 with a Redis rate-limit store that answers",
    async () => {
      const withRedis = await startLatchkey(dialect, { rateLimits: { store: "redis", redisUrl: REDIS_URL } });
      expect((await withRedis.latchkey.handler(health("/_allauth", "/health/ready"))).status).toBe(200);
    },
  );

  it.runIf(dialect === "postgres")("ready is 200 with the PostgreSQL rate-limit store", async () => {
    const withPostgres = await startLatchkey(dialect, { rateLimits: { store: "postgres" } });
    expect((await withPostgres.latchkey.handler(health("/_allauth", "/health/ready"))).status).toBe(200);
  });
});

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { ServiceUnavailableError } from "../../src/core/availability.js";
import type { Latchkey } from "../../src/latchkey.js";
import { PASSWORD, unique } from "../helpers/accounts.js";
import { createTestDatabase, postgresAvailable } from "../helpers/stores.js";
import { apiRequest, clockedLatchkey, freePort, TcpProxy } from "./support.js";

/** A 503 in the envelope, with a Retry-After in whole seconds. */
async function expectUnavailable(response: Response): Promise<void> {
  expect(response.status).toBe(503);
  expect(response.headers.get("content-type")).toBe("application/json");
  expect(response.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
  const body = await response.json();
  expect(body).toEqual({
    status: 503,
    errors: [{ code: "service_unavailable", message: expect.stringContaining("unavailable") }],
  });
}

/** Every kind of API answer that needs the store, for both client trees, answers 503. */
async function expectEveryAnswerUnavailable(latchkey: Latchkey): Promise<void> {
  for (const base of ["/_allauth/app/v1", "/_allauth/browser/v1"]) {
    await expectUnavailable(await latchkey.handler(apiRequest("/config", { base })));
    await expectUnavailable(await latchkey.handler(apiRequest("/auth/session", { base })));
    await expectUnavailable(
      await latchkey.handler(apiRequest("/auth/login", { base, body: { username: "x", password: "y" } })),
    );
  }
  expect((await latchkey.handler(apiRequest("", { base: "/_allauth/health" }))).status).toBe(200);
  await expectUnavailable(await latchkey.handler(apiRequest("", { base: "/_allauth/health/ready" })));
  await expect(latchkey.getSession(new Headers({ "x-session-token": "t" }))).rejects.toBeInstanceOf(
    ServiceUnavailableError,
  );
}

async function signUp(latchkey: Latchkey): Promise<void> {
  const response = await latchkey.handler(
    apiRequest("/auth/signup", { body: { username: unique("back"), password: PASSWORD } }),
  );
  expect(response.status, await response.clone().text()).toBe(200);
}

describe("a start that fails is tried again (SQLite)", () => {
  it("answers 503 while the database file cannot be opened, then works once it can, without a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-start-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const server = clockedLatchkey({ database: { url: `sqlite:${join(dir, "later", "db.sqlite3")}` } });

    await expect(server.latchkey.ready()).rejects.toThrow(/directory does not exist/);
    await expectEveryAnswerUnavailable(server.latchkey);

    mkdirSync(join(dir, "later"));
    // Within the backoff the last failure stands; past it, the next request starts again.
    await expectUnavailable(await server.latchkey.handler(apiRequest("/config")));
    server.advance(1000);
    expect((await server.latchkey.handler(apiRequest("/config"))).status).toBe(200);
    await server.latchkey.ready();
    await signUp(server.latchkey);
    expect((await server.latchkey.handler(apiRequest("", { base: "/_allauth/health/ready" }))).status).toBe(
      200,
    );
  });

  it("waits longer after each failure, up to 30 s", async () => {
    const dir = mkdtempSync(join(tmpdir(), "latchkey-start-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const server = clockedLatchkey({ database: { url: `sqlite:${join(dir, "later", "db.sqlite3")}` } });
    const retryAfter = async () =>
      Number((await server.latchkey.handler(apiRequest("/config"))).headers.get("retry-after"));

    await server.latchkey.ready().catch(() => {});
    const waits: number[] = [];
    for (let failure = 0; failure < 7; failure++) {
      const wait = await retryAfter();
      waits.push(wait);
      server.advance(wait * 1000);
      await server.latchkey.ready().catch(() => {});
    }
    expect(waits).toEqual([1, 2, 4, 8, 16, 30, 30]);
  });
});

describe.skipIf(!postgresAvailable)("a start that fails is tried again (PostgreSQL)", () => {
  it("answers 503 while PostgreSQL is down, recovers when it is back, and answers 503 (not 500) when it goes away mid-run", async () => {
    const database = await createTestDatabase("postgres");
    onTestFinished(() => database.cleanup());
    const real = new URL(database.url);
    const port = await freePort();
    const proxy = new TcpProxy(port, { host: real.hostname, port: Number(real.port || 5432) });
    onTestFinished(() => proxy.stop());
    const down = new URL(database.url);
    down.port = String(port);
    const server = clockedLatchkey({ database: { url: down.href } });

    const failure = await server.latchkey.ready().then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toMatchObject({ code: "ECONNREFUSED" });
    // handler() never rejects with the raw connection error: every answer is the 503 envelope.
    await expectEveryAnswerUnavailable(server.latchkey);

    await proxy.start();
    server.advance(1000);
    expect((await server.latchkey.handler(apiRequest("/config"))).status).toBe(200);
    await signUp(server.latchkey);
    expect((await server.latchkey.handler(apiRequest("", { base: "/_allauth/health/ready" }))).status).toBe(
      200,
    );

    // The database goes away after the start: the requests that meet it answer 503, not 500.
    await proxy.stop();
    await expectUnavailable(
      await server.latchkey.handler(
        apiRequest("/auth/login", { body: { username: "nobody", password: PASSWORD } }),
      ),
    );
    await expectUnavailable(
      await server.latchkey.handler(apiRequest("", { base: "/_allauth/health/ready" })),
    );
    await expect(server.latchkey.getSession(new Headers({ "x-session-token": "t" }))).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    await proxy.start();
    await signUp(server.latchkey);
  });
});

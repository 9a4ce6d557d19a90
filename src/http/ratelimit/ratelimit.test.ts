import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  DEFAULT_RATE_LIMITS,
  parseRateSpec,
  RATE_LIMIT_ACTIONS,
  type RateLimitAction,
  RateLimiter,
  type RateLimitStore,
} from "./index.js";

const POSTGRES_URL = process.env.LATCHKEY_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.LATCHKEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const runId = randomBytes(6).toString("hex");

async function postgresReachable(): Promise<boolean> {
  const pool = new pg.Pool({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000, max: 1 });
  try {
    await pool.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await pool.end();
  }
}

async function redisReachable(): Promise<boolean> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

const [hasPostgres, hasRedis] = await Promise.all([postgresReachable(), redisReachable()]);

/** Without the service: fail on CI, where it must be there; elsewhere skip and say why. */
function requireService(name: string, available: boolean, url: string): void {
  if (available) return;
  if (process.env.CI) {
    describe(`${name} rate limit store`, () => {
      it(`${name} is reachable at ${url}`, () => {
        throw new Error(`${name} is not reachable at ${url}, and CI is set`);
      });
    });
  } else {
    console.warn(`[ratelimit.test] ${name} is not reachable at ${url}: skipping its tests`);
  }
}
requireService("PostgreSQL", hasPostgres, POSTGRES_URL);
requireService("Redis", hasRedis, REDIS_URL);

const memory: RateLimitStore = { kind: "memory" };

async function consumeTimes(
  limiter: RateLimiter,
  action: RateLimitAction,
  subject: Parameters<RateLimiter["consume"]>[1],
  times: number,
): Promise<boolean[]> {
  const verdicts: boolean[] = [];
  for (let i = 0; i < times; i++) verdicts.push(await limiter.consume(action, subject));
  return verdicts;
}

/**
 * reward() and clear() on some rules only, as a successful login uses them (the IP's point given
 * back, the account's count cleared); each store runs these.
 */
function selectiveOperations(store: () => RateLimitStore, onError?: () => void) {
  it("reward() gives back one point, to the selected rules only", async () => {
    const limiter = await RateLimiter.create({ login_failed: "1/m/ip,1/m/key" }, store(), { onError });
    const ip = "192.0.2.40";
    const alice = { ip, key: "alice" };
    expect(await limiter.consume("login_failed", alice)).toBe(true);
    await limiter.reward("login_failed", alice, { only: ["ip"] });
    // The IP's point came back: another key passes...
    expect(await limiter.consume("login_failed", { ip, key: "bob" })).toBe(true);
    // ...and alice's did not.
    expect(await limiter.consume("login_failed", alice)).toBe(false);
    // Without a selection every rule gets its point back.
    const carol = { ip: "192.0.2.41", key: "carol" };
    expect(await limiter.consume("login_failed", carol)).toBe(true);
    await limiter.reward("login_failed", carol);
    expect(await limiter.consume("login_failed", carol)).toBe(true);
    await limiter.close();
  });

  it("clear() with a selection resets those rules and keeps the others", async () => {
    const limiter = await RateLimiter.create({ login_failed: "1/m/ip,1/m/key" }, store(), { onError });
    const ip = "192.0.2.42";
    const dan = { ip, key: "dan" };
    expect(await consumeTimes(limiter, "login_failed", dan, 2)).toEqual([true, false]);
    await limiter.clear("login_failed", dan, { only: ["key"] });
    // The IP is still over its limit for any key.
    expect(await limiter.consume("login_failed", { ip, key: "erin" })).toBe(false);
    await limiter.clear("login_failed", dan, { only: ["ip"] });
    expect(await limiter.consume("login_failed", dan)).toBe(true);
    await limiter.close();
  });
}

describe("parseRateSpec", () => {
  it("parses allauth's syntax", () => {
    expect(parseRateSpec("10/m/ip,5/300s/key")).toEqual([
      { points: 10, durationSeconds: 60, keyType: "ip" },
      { points: 5, durationSeconds: 300, keyType: "key" },
    ]);
    expect(parseRateSpec("5/m/user")).toEqual([{ points: 5, durationSeconds: 60, keyType: "user" }]);
    expect(parseRateSpec("3/2h/key")).toEqual([{ points: 3, durationSeconds: 7200, keyType: "key" }]);
    expect(parseRateSpec("1/d/user")).toEqual([{ points: 1, durationSeconds: 86400, keyType: "user" }]);
    expect(parseRateSpec("4/1.5m/ip")).toEqual([{ points: 4, durationSeconds: 90, keyType: "ip" }]);
    expect(parseRateSpec("4/0.1h")).toEqual([{ points: 4, durationSeconds: 360, keyType: "ip" }]);
  });

  it("defaults the key type to ip, as allauth does", () => {
    expect(parseRateSpec("20/m")).toEqual([{ points: 20, durationSeconds: 60, keyType: "ip" }]);
  });

  it("ignores blanks around rates, and reads an empty spec as no rules", () => {
    expect(parseRateSpec("  10/m/ip ,  5/30s/key ")).toHaveLength(2);
    expect(parseRateSpec("")).toEqual([]);
    expect(parseRateSpec("   ")).toEqual([]);
  });

  it.each([
    ["10", /not of the form/],
    ["10/m/ip/extra", /not of the form/],
    ["ten/m", /amount "ten"/],
    ["-1/m", /amount "-1"/],
    ["1.5/m", /amount "1.5"/],
    ["10/x", /unknown period unit "x"/],
    ["10/", /period ""/],
    ["10/5", /period "5"/],
    ["10/m/host", /unknown key type "host"/],
    ["10/0s", /whole number of seconds/],
    ["10/0.5s", /whole number of seconds/],
    ["10/m,", /empty rate/],
    ["10/m,,5/s", /empty rate/],
  ])("rejects %j, naming the spec", (spec, reason) => {
    expect(() => parseRateSpec(spec)).toThrow(reason);
    expect(() => parseRateSpec(spec)).toThrow(`Invalid rate limit spec ${JSON.stringify(spec)}`);
  });

  it("parses every default", () => {
    expect(RATE_LIMIT_ACTIONS).toHaveLength(14);
    for (const action of RATE_LIMIT_ACTIONS) {
      expect(parseRateSpec(DEFAULT_RATE_LIMITS[action]).length, action).toBeGreaterThan(0);
    }
    expect(DEFAULT_RATE_LIMITS.confirm_email).toBe("1/180s/key");
    expect(parseRateSpec(DEFAULT_RATE_LIMITS.login_failed)).toEqual([
      { points: 10, durationSeconds: 60, keyType: "ip" },
      { points: 5, durationSeconds: 300, keyType: "key" },
    ]);
  });
});

describe("RateLimiter, in memory", () => {
  selectiveOperations(() => memory);

  it("refuses once a rule is exhausted, and clear() resets it", async () => {
    const limiter = await RateLimiter.create({ login: "2/m/ip" }, memory);
    const subject = { ip: "192.0.2.1" };
    expect(await consumeTimes(limiter, "login", subject, 3)).toEqual([true, true, false]);
    await limiter.clear("login", subject);
    expect(await limiter.consume("login", subject)).toBe(true);
    await limiter.close();
  });

  it("applies allauth's defaults when nothing is overridden", async () => {
    const limiter = await RateLimiter.create({}, memory);
    const verdicts = await consumeTimes(limiter, "login_failed", { ip: "192.0.2.2", key: "alice" }, 6);
    expect(verdicts).toEqual([true, true, true, true, true, false]); // 5/300s/key
    await limiter.close();
  });

  it("keeps counters apart per key, per IP, per user and per action", async () => {
    const limiter = await RateLimiter.create(
      { reset_password: "100/m/ip,2/m/key", change_password: "1/m/user", manage_email: "1/m/user" },
      memory,
    );
    const ip = "192.0.2.3";
    expect(await consumeTimes(limiter, "reset_password", { ip, key: "a@example.com" }, 3)).toEqual([
      true,
      true,
      false,
    ]);
    expect(await limiter.consume("reset_password", { ip, key: "b@example.com" })).toBe(true);

    const ipLimited = await RateLimiter.create({ login: "1/m/ip" }, memory);
    expect(await ipLimited.consume("login", { ip: "192.0.2.4" })).toBe(true);
    expect(await ipLimited.consume("login", { ip: "192.0.2.4" })).toBe(false);
    expect(await ipLimited.consume("login", { ip: "2001:db8::4" })).toBe(true);

    expect(await consumeTimes(limiter, "change_password", { ip, user: 1 }, 2)).toEqual([true, false]);
    expect(await limiter.consume("change_password", { ip, user: 2 })).toBe(true);
    expect(await limiter.consume("manage_email", { ip, user: 1 })).toBe(true);
    await limiter.close();
    await ipLimited.close();
  });

  it("clear() resets every rule of the action for the subject, and only the subject", async () => {
    const limiter = await RateLimiter.create({ login_failed: "2/m/ip,1/m/key" }, memory);
    const alice = { ip: "192.0.2.5", key: "alice" };
    const bob = { ip: "192.0.2.6", key: "bob" };
    expect(await consumeTimes(limiter, "login_failed", alice, 2)).toEqual([true, false]);
    expect(await consumeTimes(limiter, "login_failed", bob, 2)).toEqual([true, false]);
    await limiter.clear("login_failed", alice);
    expect(await limiter.consume("login_failed", alice)).toBe(true);
    expect(await limiter.consume("login_failed", bob)).toBe(false);
    await limiter.close();
  });

  it("skips user rules without a user and key rules without a key", async () => {
    const limiter = await RateLimiter.create(
      { change_password: "1/m/user", confirm_email: "1/m/key" },
      memory,
    );
    expect(await consumeTimes(limiter, "change_password", { ip: "192.0.2.7" }, 5)).toEqual(
      Array(5).fill(true),
    );
    expect(await consumeTimes(limiter, "change_password", { ip: "192.0.2.7", user: null }, 2)).toEqual([
      true,
      true,
    ]);
    expect(await consumeTimes(limiter, "confirm_email", { ip: "192.0.2.7", key: null }, 3)).toEqual([
      true,
      true,
      true,
    ]);
    expect(await consumeTimes(limiter, "change_password", { ip: "192.0.2.7", user: "u1" }, 2)).toEqual([
      true,
      false,
    ]);
    await limiter.close();
  });

  it("limits nothing when given false", async () => {
    const limiter = await RateLimiter.create(false, memory);
    for (const action of RATE_LIMIT_ACTIONS) {
      const subject = { ip: "192.0.2.8", user: 1, key: "k" };
      expect(await consumeTimes(limiter, action, subject, 40)).toEqual(Array(40).fill(true));
    }
    await limiter.clear("login", { ip: "192.0.2.8" });
    await limiter.close();
  });

  it("turns off an action overridden to false or an empty string, and keeps the others", async () => {
    const limiter = await RateLimiter.create({ change_phone: false, confirm_email: "" }, memory);
    const subject = { ip: "192.0.2.9", user: 7, key: "a@example.com" };
    expect(await consumeTimes(limiter, "change_phone", subject, 5)).toEqual(Array(5).fill(true));
    expect(await consumeTimes(limiter, "confirm_email", subject, 5)).toEqual(Array(5).fill(true));
    // change_password keeps its default, 5/m/user
    expect(await consumeTimes(limiter, "change_password", subject, 6)).toEqual([
      ...Array(5).fill(true),
      false,
    ]);
    await limiter.close();
  });

  it("uses the strictest of two rules with the same key type and window", async () => {
    const limiter = await RateLimiter.create({ login: "3/m/ip,2/m/ip,5/h/ip" }, memory);
    expect(await consumeTimes(limiter, "login", { ip: "192.0.2.10" }, 3)).toEqual([true, true, false]);
    await limiter.close();
  });

  it("starts a new window when the period is over", async () => {
    const limiter = await RateLimiter.create({ signup: "1/1s/ip" }, memory);
    const subject = { ip: "192.0.2.11" };
    expect(await consumeTimes(limiter, "signup", subject, 2)).toEqual([true, false]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await limiter.consume("signup", subject)).toBe(true);
    await limiter.close();
  });

  it("rejects a bad spec or an unknown action at creation", async () => {
    await expect(RateLimiter.create({ login: "30/minute/ip" }, memory)).rejects.toThrow(
      'Invalid rate limit spec "30/minute/ip"',
    );
    await expect(
      RateLimiter.create({ logout: "1/m" } as unknown as Parameters<typeof RateLimiter.create>[0], memory),
    ).rejects.toThrow('Unknown rate limit action "logout"');
  });

  it("accepts any IP, user id or key value, however long or odd", async () => {
    const limiter = await RateLimiter.create(
      { login_failed: "1/m/ip,1/m/key", change_password: "1/m/user" },
      memory,
    );
    const odd = { ip: "x".repeat(5000), user: "ü:".repeat(300), key: "K\u0000".repeat(5000) };
    expect(await consumeTimes(limiter, "login_failed", odd, 2)).toEqual([true, false]);
    expect(await consumeTimes(limiter, "change_password", odd, 2)).toEqual([true, false]);
    await limiter.close();
  });
});

describe.skipIf(!hasRedis)("RateLimiter, on Redis", () => {
  const keyPrefix = `latchkey-test:${runId}`;
  const store: RateLimitStore = { kind: "redis", url: REDIS_URL, keyPrefix };
  const onError = vi.fn();
  selectiveOperations(() => store, onError);

  afterAll(async () => {
    expect(onError).not.toHaveBeenCalled();
    const client = new Redis(REDIS_URL);
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await client.scan(cursor, "MATCH", `${keyPrefix}:*`, "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    if (keys.length > 0) await client.del(...keys);
    await client.quit();
  });

  it("shares counters between two instances with their own connections", async () => {
    const onError = vi.fn();
    const [first, second] = await Promise.all([
      RateLimiter.create({ login_failed: "3/m/ip,2/m/key" }, store, { onError }),
      RateLimiter.create({ login_failed: "3/m/ip,2/m/key" }, store, { onError }),
    ]);
    const alice = { ip: "198.51.100.1", key: "alice@example.com" };
    expect(await first.consume("login_failed", alice)).toBe(true);
    expect(await second.consume("login_failed", alice)).toBe(true);
    expect(await first.consume("login_failed", alice)).toBe(false); // key rule: 2/m
    expect(await second.consume("login_failed", alice)).toBe(false);
    // the ip rule has counted all four
    expect(await second.consume("login_failed", { ip: alice.ip, key: "bob@example.com" })).toBe(false);

    await second.clear("login_failed", alice);
    expect(await first.consume("login_failed", alice)).toBe(true);
    expect(onError).not.toHaveBeenCalled();
    await Promise.all([first.close(), second.close()]);
  });

  it("stores a bounded key for a long key value", async () => {
    const limiter = await RateLimiter.create({ reset_password: "1/m/key" }, store);
    const subject = { ip: "198.51.100.2", key: "k".repeat(10_000) };
    expect(await consumeTimes(limiter, "reset_password", subject, 2)).toEqual([true, false]);
    const client = new Redis(REDIS_URL);
    const [, keys] = await client.scan("0", "MATCH", `${keyPrefix}:reset_password:*`, "COUNT", 1000);
    await client.quit();
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key.length).toBeLessThan(200);
    await limiter.close();
  });
});

describe("RateLimiter, with Redis unreachable", () => {
  it("allows requests (fails open), reports the error, and does not hang", async () => {
    const onError = vi.fn();
    const started = Date.now();
    const limiter = await RateLimiter.create(
      { login: "1/m/ip" },
      { kind: "redis", url: "redis://127.0.0.1:1", connectTimeoutMs: 500 },
      { onError, timeoutMs: 500 },
    );
    const subject = { ip: "198.51.100.3" };
    expect(await consumeTimes(limiter, "login", subject, 3)).toEqual([true, true, true]);
    await limiter.clear("login", subject);
    expect(onError).toHaveBeenCalled();
    await limiter.close();
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe.skipIf(!hasPostgres)("RateLimiter, on PostgreSQL", () => {
  const tableName = `latchkey_rl_test_${runId}`;
  let pool: pg.Pool;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
  });

  const onError = vi.fn();
  selectiveOperations(() => ({ kind: "postgres", pool, tableName }), onError);

  afterAll(async () => {
    expect(onError).not.toHaveBeenCalled();
    await pool.query(`DROP TABLE IF EXISTS "${tableName}"`);
    await pool.end();
  });

  it("creates its table once and shares counters between two instances", async () => {
    const onError = vi.fn();
    const store: RateLimitStore = { kind: "postgres", pool, tableName };
    // Created concurrently: both race to create the table.
    const [first, second] = await Promise.all([
      RateLimiter.create({ request_login_code: "3/m/ip,2/m/key" }, store, { onError }),
      RateLimiter.create({ request_login_code: "3/m/ip,2/m/key" }, store, { onError }),
    ]);
    const tables = await pool.query("SELECT 1 FROM pg_tables WHERE tablename = $1", [tableName]);
    expect(tables.rowCount).toBe(1);

    const alice = { ip: "203.0.113.1", key: "alice@example.com" };
    expect(await first.consume("request_login_code", alice)).toBe(true);
    expect(await second.consume("request_login_code", alice)).toBe(true);
    expect(await first.consume("request_login_code", alice)).toBe(false);
    expect(await second.consume("request_login_code", { ip: alice.ip, key: "bob@example.com" })).toBe(false);

    await first.clear("request_login_code", alice);
    expect(await second.consume("request_login_code", alice)).toBe(true);

    const longKey = { ip: "203.0.113.2", key: "k".repeat(10_000) };
    expect(await consumeTimes(first, "request_login_code", longKey, 3)).toEqual([true, true, false]);
    expect(onError).not.toHaveBeenCalled();

    await Promise.all([first.close(), second.close()]);
    // the pool was passed in, so it is still usable
    await expect(pool.query("SELECT 1")).resolves.toBeDefined();
  });

  it("fails open when the database errors", async () => {
    const ownPool = new pg.Pool({ connectionString: POSTGRES_URL, max: 1 });
    const onError = vi.fn();
    const limiter = await RateLimiter.create(
      { signup: "1/m/ip" },
      { kind: "postgres", pool: ownPool, tableName },
      { onError },
    );
    await ownPool.end();
    expect(await consumeTimes(limiter, "signup", { ip: "203.0.113.3" }, 2)).toEqual([true, true]);
    expect(onError).toHaveBeenCalledTimes(1); // throttled: one report per outage burst
    await limiter.close();
  });

  it("rejects an unsafe table name", async () => {
    await expect(
      RateLimiter.create({}, { kind: "postgres", pool, tableName: 'x"; DROP TABLE users; --' }),
    ).rejects.toThrow("Invalid rate limit table name");
  });
});

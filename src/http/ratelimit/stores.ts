/**
 * Where the counters live: one process's memory, or a store that several Latchkey instances share
 * (PostgreSQL, Redis) so that a limit holds across all of them.
 */

import type { RateLimiterAbstract, RateLimiterPostgres } from "rate-limiter-flexible";
import { importOptional } from "../../core/peer.js";

/**
 * rate-limiter-flexible, loaded when a store opens (while Latchkey starts): its index loads every
 * store it supports, which `latchkey check` and servers without rate limits need not pay for.
 */
const flexible = () => import("rate-limiter-flexible");

export type RateLimitStore =
  | { kind: "memory" }
  /**
   * Memory counters kept by the node:cluster primary for all its workers (`latchkey serve
   * --workers`): the primary must run serveClusterRateLimits(), or every call times out and fails open.
   */
  | { kind: "cluster" }
  | {
      kind: "postgres";
      /**
       * A pg `Pool`: used, never closed (it belongs to the caller). Typed loosely, so that the
       * declarations need no pg types.
       */
      pool: PostgresQueryable;
      /** Created if missing. Default `latchkey_rate_limit`. */
      tableName?: string;
    }
  | {
      kind: "redis";
      url: string;
      /** Prepended to every key, so Latchkey can share a Redis with other programs. Default `latchkey:rl`. */
      keyPrefix?: string;
      /** How long to wait for a connection before giving up (and retrying in the background). Default 5000 ms. */
      connectTimeoutMs?: number;
    };

/** A pg Pool, as far as this module knows it: rate-limiter-flexible runs its queries, and a ping checks it answers. */
export interface PostgresQueryable {
  query(text: string): Promise<unknown>;
}

type Flexible = Awaited<ReturnType<typeof flexible>>;

export const DEFAULT_POSTGRES_TABLE = "latchkey_rate_limit";
export const DEFAULT_REDIS_KEY_PREFIX = "latchkey:rl";

/** The counters of one store; each rule of each action gets its own counter. */
export interface CounterStore {
  /** True for stores reached over the network, whose calls are bounded by a timeout. */
  readonly remote: boolean;
  counter(name: string, points: number, durationSeconds: number): RateLimiterAbstract;
  /** One round trip to the store (health checks); rejects when it does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOpenOptions {
  reportError: (err: unknown) => void;
  /** Per-command timeout for Redis. */
  commandTimeoutMs: number;
}

export async function openCounterStore(
  store: RateLimitStore,
  options: StoreOpenOptions,
): Promise<CounterStore> {
  switch (store.kind) {
    case "memory":
      return openMemory(await flexible());
    case "cluster":
      return openCluster(await flexible(), options.commandTimeoutMs);
    case "postgres":
      return openPostgres(store.pool, store.tableName ?? DEFAULT_POSTGRES_TABLE);
    case "redis":
      return openRedis(store, options);
    default:
      throw new Error(`Unknown rate limit store kind: ${JSON.stringify((store as { kind: unknown }).kind)}`);
  }
}

function openMemory({ RateLimiterMemory }: Flexible): CounterStore {
  return {
    remote: false,
    counter: (name, points, duration) => new RateLimiterMemory({ keyPrefix: name, points, duration }),
    ping: async () => {},
    close: async () => {},
  };
}

function openCluster({ RateLimiterCluster }: Flexible, timeoutMs: number): CounterStore {
  return {
    // Each call is a round trip to the primary process, bounded like a network store's.
    remote: true,
    counter: (name, points, duration) =>
      new RateLimiterCluster({ keyPrefix: name, points, duration, timeoutMs }),
    ping: async () => {},
    close: async () => {},
  };
}

/**
 * Keeps the counters of every worker's cluster store (see RateLimitStore), in this process: run
 * it in the node:cluster primary before forking. The counters are memory ones, each key dropped
 * when its window ends.
 */
export async function serveClusterRateLimits(): Promise<void> {
  const { RateLimiterClusterMaster } = await flexible();
  new RateLimiterClusterMaster();
}

// rate-limiter-flexible pastes the table name into SQL between double quotes without escaping it.
const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const CLEANUP_INTERVAL_MS = 5 * 60_000;
const CLEANUP_AGE_MS = 60 * 60_000;

async function openPostgres(pool: PostgresQueryable, tableName: string): Promise<CounterStore> {
  const { RateLimiterPostgres } = await flexible();
  if (!SQL_IDENTIFIER.test(tableName)) {
    throw new Error(
      `Invalid rate limit table name ${JSON.stringify(tableName)}: use letters, digits and _ (at most 63)`,
    );
  }
  // The first limiter built on a table creates it (CREATE TABLE IF NOT EXISTS; the library treats a
  // concurrent creation by another instance as success) and reports through its callback. Awaiting it
  // here means no counter is used before its table exists; the rule counters are then told the table
  // exists, so they do not each issue the DDL again.
  const housekeeper = await new Promise<RateLimiterPostgres>((resolve, reject) => {
    const limiter: RateLimiterPostgres = new RateLimiterPostgres(
      {
        storeClient: pool,
        storeType: "pool",
        tableName,
        points: 1,
        duration: 1,
        clearExpiredByTimeout: false,
      },
      (err) => (err ? reject(err) : resolve(limiter)),
    );
  });
  // Rows are not removed when they expire. The library can sweep them on a timer per limiter, but
  // that is one sweep per rule over the same table and a timer that outlives close(); one sweep per
  // store, stopped by close(), does the same work.
  const sweeper = housekeeper as unknown as { clearExpired(expiredBefore: number): Promise<void> };
  const sweepTimer = setInterval(() => {
    void sweeper.clearExpired(Date.now() - CLEANUP_AGE_MS); // never rejects
  }, CLEANUP_INTERVAL_MS);
  sweepTimer.unref();

  return {
    remote: true,
    counter: (name, points, duration) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: "pool",
        tableName,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: name,
        points,
        duration,
      }),
    async ping() {
      await pool.query("select 1");
    },
    close: async () => clearInterval(sweepTimer),
  };
}

async function openRedis(
  store: Extract<RateLimitStore, { kind: "redis" }>,
  options: StoreOpenOptions,
): Promise<CounterStore> {
  const { RateLimiterRedis } = await flexible();
  const keyPrefix = store.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  const connectTimeoutMs = store.connectTimeoutMs ?? 5000;
  const { Redis } = await importOptional("ioredis", () => import("ioredis"));
  const client = new Redis(store.url, {
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs,
    // While Redis is down a command fails at once instead of waiting in a queue for a reconnect, so
    // requests are not held up: the limiter lets them through (fails open) until Redis is back.
    enableOfflineQueue: false,
    // A command already sent when the connection drops fails after one reconnection attempt
    // (ioredis' default is 20 attempts).
    maxRetriesPerRequest: 1,
    // The default retryStrategy reconnects forever with backoff, so a Redis restart heals by itself.
  });

  let connectionHealthy = true;
  client.on("error", (err: unknown) => {
    // ioredis emits an error on every failed reconnection attempt: report an outage once.
    if (connectionHealthy) options.reportError(err);
    connectionHealthy = false;
  });
  client.on("ready", () => {
    connectionHealthy = true;
  });

  // Without the offline queue, commands sent before the first connection is ready would fail, so
  // wait for it. If Redis is unreachable, carry on: counters fail open and ioredis keeps reconnecting.
  await new Promise<void>((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      client.off("ready", settle);
      client.off("error", settle);
      client.off("end", settle);
      resolve();
    };
    const timer = setTimeout(settle, connectTimeoutMs);
    client.once("ready", settle);
    client.once("error", settle);
    client.once("end", settle);
  });

  return {
    remote: true,
    counter: (name, points, duration) =>
      new RateLimiterRedis({
        storeClient: client,
        keyPrefix: `${keyPrefix}:${name}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
      }),
    async ping() {
      await client.ping();
    },
    close: async () => {
      if (client.status === "ready") {
        try {
          await client.quit();
          return;
        } catch {
          // fall through to a hard disconnect
        }
      }
      client.disconnect();
    },
  };
}

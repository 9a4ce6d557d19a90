import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { pino } from "pino";
import { onTestFinished } from "vitest";
import { createLatchkey, type Latchkey } from "../../src/latchkey.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { FAST_HASHING } from "../helpers/latchkey.js";

/** A port nothing listens on (yet). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A TCP proxy on `port` to `target`: stands in for a database that comes back (start it) or goes
 * away with its connections (stop it), without touching the machine's real server.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and cuts every connection, as a database going down does. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export interface ClockedLatchkey {
  latchkey: Latchkey;
  advance(ms: number): void;
}

/**
 * A Latchkey that may fail to start (so not through the test helpers, which wait for the start),
 * with a clock that stands still until the test moves it (past the retry backoff); closed when
 * the test ends.
 */
export function clockedLatchkey(options: LatchkeyOptions): ClockedLatchkey {
  const start = Date.now();
  let offset = 0;
  const latchkey = createLatchkey(
    { rateLimits: false, password: { hashing: FAST_HASHING }, ...options },
    {
      now: () => start + offset,
      logger: pino({ level: process.env.LATCHKEY_TEST_LOG ?? "silent" }),
      sendMail: async () => {},
    },
  );
  onTestFinished(() => latchkey.close());
  return {
    latchkey,
    advance(ms) {
      offset += ms;
    },
  };
}

/** A JSON request to the API (app tree unless said otherwise). */
export function apiRequest(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; base?: string } = {},
): Request {
  const headers = new Headers(init.headers);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  return new Request(`http://localhost:8000${init.base ?? "/_allauth/app/v1"}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

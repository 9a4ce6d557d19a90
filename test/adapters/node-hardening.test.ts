import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { fetchToNodeListener, type RunningServer, serve, toNodeListener } from "../../src/adapters/node.js";
import type { Latchkey } from "../../src/latchkey.js";
import type { LatchkeyOptions } from "../../src/options/schema.js";
import { startLatchkey, useLatchkey } from "../helpers/latchkey.js";
import { listen } from "./scenario.js";

/**
 * serve() facing clients that misbehave: bodies left unread, requests Node's parser refuses,
 * slow or vanishing clients, too many connections. Spoken over raw sockets, as a proxy that
 * reuses connections would speak.
 */

interface LogLine {
  level: number;
  msg: string;
}

const ERROR_LEVEL = 50;

interface Served {
  latchkey: Latchkey;
  running: RunningServer;
  origin: string;
  /** Everything logged at debug level and above, oldest first. */
  logs: LogLine[];
}

/** A logger that keeps every line at debug level and above in `logs`. */
function keptLog(logs: LogLine[]) {
  return pino({ level: "debug" }, { write: (line: string) => logs.push(JSON.parse(line)) });
}

/** serve() on a free port for a Latchkey on a temporary SQLite file, for the tests of this describe block. */
function useServed(): Served {
  const logs: LogLine[] = [];
  const auth = useLatchkey("sqlite", {}, { logger: keptLog(logs) });
  const served = { logs } as Served;
  beforeAll(async () => {
    served.latchkey = auth.latchkey;
    served.running = await serve(auth.latchkey, { port: 0 });
    served.origin = served.running.url;
  });
  afterAll(() => served.running.close());
  return served;
}

/** serve() on a free port for a Latchkey with these options, for the running test alone. */
async function startServed(options: LatchkeyOptions): Promise<Served> {
  const logs: LogLine[] = [];
  const { latchkey } = await startLatchkey("sqlite", options, { logger: keptLog(logs) });
  const running = await serve(latchkey, { port: 0 });
  onTestFinished(() => running.close());
  return { latchkey, running, origin: running.url, logs };
}

interface RawAnswer {
  status: number;
  /** Lowercase names; a repeated header keeps its last value. */
  headers: Map<string, string>;
  body: string;
}

/** One HTTP/1.1 connection, written and read as raw bytes. */
class RawConnection {
  private received = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.notify();
    });
    // The server may close while a body it will not read is still being written: what it
    // answered before is what the tests look at.
    socket.on("error", () => {});
  }

  static async open(origin: string): Promise<RawConnection> {
    const { hostname, port } = new URL(origin);
    const socket = connect(Number(port), hostname);
    await once(socket, "connect");
    return new RawConnection(socket);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** The next answer on the connection; fails when the server closes the connection first. */
  async answer(): Promise<RawAnswer> {
    for (;;) {
      const parsed = parseAnswer(this.received);
      if (parsed) {
        this.received = this.received.subarray(parsed.length);
        return parsed.answer;
      }
      if (this.ended) throw new Error(`the connection closed with no (complete) answer: "${this.received}"`);
      await this.next();
    }
  }

  /** Waits until the server has closed the connection; returns what it sent after the last answer read. */
  async closed(): Promise<string> {
    while (!this.ended) await this.next();
    return this.received.toString();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

function parseAnswer(buffer: Buffer): { answer: RawAnswer; length: number } | null {
  const headEnd = buffer.indexOf("\r\n\r\n");
  if (headEnd === -1) return null;
  const [statusLine, ...lines] = buffer.subarray(0, headEnd).toString("latin1").split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const bodyStart = headEnd + 4;
  const end = bodyStart + Number(headers.get("content-length") ?? 0);
  if (buffer.length < end) return null;
  const status = Number(statusLine!.split(" ")[1]);
  return { answer: { status, headers, body: buffer.subarray(bodyStart, end).toString("utf8") }, length: end };
}

const CONFIG = "/_allauth/app/v1/config";
const GET_CONFIG = `GET ${CONFIG} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

/** The head of a JSON POST. */
function post(path: string, contentLength: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${contentLength}\r\n\r\n`
  );
}

/** The three headers every answer on an API path carries. */
function expectSecurityHeaders(
  headers: { get(name: string): string | null | undefined },
  what: string,
): void {
  expect(headers.get("x-content-type-options"), what).toBe("nosniff");
  expect(headers.get("referrer-policy"), what).toBe("no-referrer");
  expect(headers.get("cache-control"), what).toMatch(/(^|, )no-store(,|$)/);
}

function expectEnvelope(answer: RawAnswer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get("content-type")).toBe("application/json");
  const body = JSON.parse(answer.body);
  expect(body).toEqual({ status, errors: [{ message: expect.any(String), code }] });
}

describe("latchkey/node: serve() against misbehaving clients", () => {
  const server = useServed();

  describe("a body answered before it was read", () => {
    const LARGE = 300_000;
    // Answered before the body: unknown path (404), wrong method (405), declared size over
    // http.maxBodyBytes (413), authentication required (401).
    const early = [
      { path: "/_allauth/app/v1/nowhere", status: 404 },
      { path: CONFIG, status: 405 },
      { path: "/_allauth/app/v1/auth/login", status: 413 },
      { path: "/_allauth/app/v1/auth/reauthenticate", status: 401 },
    ];

    it.each(early)(
      "$status for a large body: the answer says Connection: close and the connection closes",
      async ({ path, status }) => {
        const connection = await RawConnection.open(server.origin);
        connection.write(post(path, LARGE));
        connection.write(Buffer.alloc(LARGE, 0x20));
        // A proxy reusing the connection: without Connection: close this request would wait
        // behind the unread body and never be answered.
        connection.write(GET_CONFIG);
        const first = await connection.answer();
        expect(first.status).toBe(status);
        expect(first.headers.get("connection")).toBe("close");
        expect(await connection.closed()).toBe("");
      },
    );

    it.each(early.filter((e) => e.status !== 413))(
      "$status for a small body: the rest is read and dropped, the connection serves the next request",
      async ({ path, status }) => {
        const small = 60_000;
        const connection = await RawConnection.open(server.origin);
        connection.write(post(path, small));
        connection.write(Buffer.alloc(1000, 0x20));
        // Answered while most of the body is still to come.
        const first = await connection.answer();
        expect(first.status).toBe(status);
        expect(first.headers.get("connection")).toBe("keep-alive");
        connection.write(Buffer.alloc(small - 1000, 0x20));
        connection.write(GET_CONFIG);
        const second = await connection.answer();
        expect(second.status).toBe(200);
        connection.destroy();
      },
    );

    it("a body the pipeline read in full leaves the connection open", async () => {
      const body = JSON.stringify({ username: "nobody", password: "wrong-password" });
      const connection = await RawConnection.open(server.origin);
      connection.write(post("/_allauth/app/v1/auth/login", Buffer.byteLength(body)) + body);
      const first = await connection.answer();
      expect(JSON.parse(first.body).errors[0].code).toBe("username_password_mismatch");
      expect(first.headers.get("connection")).toBe("keep-alive");
      connection.write(GET_CONFIG);
      expect((await connection.answer()).status).toBe(200);
      connection.destroy();
    });

    it("413 for an oversized chunked body (length unknown): Connection: close", async () => {
      const connection = await RawConnection.open(server.origin);
      connection.write(
        "POST /_allauth/app/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n" +
          "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      );
      const chunk = `${(16_000).toString(16)}\r\n${"x".repeat(16_000)}\r\n`;
      for (let i = 0; i < 10; i++) connection.write(chunk);
      connection.write(`0\r\n\r\n${GET_CONFIG}`);
      const first = await connection.answer();
      expectEnvelope(first, 413, "payload_too_large");
      expect(first.headers.get("connection")).toBe("close");
      expect(await connection.closed()).toBe("");
    });

    it("the same through fetchToNodeListener (the Web Response path Express, Hono and Next share)", async () => {
      const { latchkey } = server;
      const web = await listen(fetchToNodeListener((request) => latchkey.handler(request)));
      try {
        const connection = await RawConnection.open(web.origin);
        connection.write(post("/_allauth/app/v1/nowhere", LARGE));
        connection.write(Buffer.alloc(LARGE, 0x20));
        connection.write(GET_CONFIG);
        const first = await connection.answer();
        expect(first.status).toBe(404);
        expect(first.headers.get("connection")).toBe("close");
        expect(await connection.closed()).toBe("");
      } finally {
        await web.close();
      }
    });
  });

  describe("requests Node's parser refuses get the JSON envelope", () => {
    const refused: { what: string; request: string; status: number; code: string }[] = [
      {
        what: "a lowercase method",
        request: `get ${CONFIG} HTTP/1.1\r\nHost: x\r\n\r\n`,
        status: 400,
        code: "bad_request",
      },
      {
        what: "an unknown method",
        request: `FROB ${CONFIG} HTTP/1.1\r\nHost: x\r\n\r\n`,
        status: 400,
        code: "bad_request",
      },
      {
        what: "two Content-Length headers",
        request: `POST ${CONFIG} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}`,
        status: 400,
        code: "bad_request",
      },
      {
        what: "Content-Length with Transfer-Encoding",
        request: `POST ${CONFIG} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        status: 400,
        code: "bad_request",
      },
      {
        what: "a NUL in the path",
        request: `GET ${CONFIG}\0 HTTP/1.1\r\nHost: x\r\n\r\n`,
        status: 400,
        code: "bad_request",
      },
      {
        what: "headers over 16 KB",
        request: `GET ${CONFIG} HTTP/1.1\r\nHost: x\r\nX-Padding: ${"a".repeat(20_000)}\r\n\r\n`,
        status: 431,
        code: "request_header_fields_too_large",
      },
    ];

    it.each(refused)(
      "$what: $status $code, then the connection closes",
      async ({ request, status, code }) => {
        const connection = await RawConnection.open(server.origin);
        connection.write(request);
        const answer = await connection.answer();
        expectEnvelope(answer, status, code);
        expect(answer.headers.get("connection")).toBe("close");
        expectSecurityHeaders(answer.headers, request.slice(0, 20));
        expect(await connection.closed()).toBe("");
      },
    );

    it("an HTTP/1.1 request without Host: 400 invalid", async () => {
      const connection = await RawConnection.open(server.origin);
      connection.write(`GET ${CONFIG} HTTP/1.1\r\n\r\n`);
      const answer = await connection.answer();
      expectEnvelope(answer, 400, "invalid");
      expectSecurityHeaders(answer.headers, "no Host");
      connection.destroy();
    });

    it("an HTTP/1.0 request without Host is served (HTTP/1.0 has no Host)", async () => {
      const connection = await RawConnection.open(server.origin);
      connection.write(`GET ${CONFIG} HTTP/1.0\r\n\r\n`);
      expect((await connection.answer()).status).toBe(200);
      connection.destroy();
    });
  });

  it("a client that goes away mid-body is logged at debug level, not as an error, and the server keeps serving", async () => {
    const before = server.logs.length;
    const connection = await RawConnection.open(server.origin);
    const dispatched = once(server.running.server, "request");
    connection.write(post("/_allauth/app/v1/auth/login", 1000));
    connection.write('{"username": "half');
    await dispatched;
    connection.destroy();
    await vi.waitFor(() => {
      const after = server.logs.slice(before);
      expect(after.some((l) => l.msg === "request aborted by the client" || l.level >= ERROR_LEVEL)).toBe(
        true,
      );
    });
    expect(server.logs.slice(before).filter((l) => l.level >= ERROR_LEVEL)).toEqual([]);
    expect((await fetch(`${server.origin}${CONFIG}`)).status).toBe(200);
  });

  describe("every answer carries nosniff, no-referrer and no-store", () => {
    it.each([
      { what: "200", path: CONFIG, init: {}, status: 200 },
      { what: "401", path: "/_allauth/app/v1/auth/session", init: {}, status: 401 },
      { what: "404", path: "/_allauth/app/v1/nowhere", init: {}, status: 404 },
      { what: "404 outside the base path", path: "/elsewhere", init: {}, status: 404 },
      { what: "405", path: CONFIG, init: { method: "DELETE" }, status: 405 },
      {
        what: "413",
        path: "/_allauth/app/v1/auth/login",
        init: { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(70_000) },
        status: 413,
      },
      { what: "OPTIONS", path: CONFIG, init: { method: "OPTIONS" }, status: 204 },
    ])("$what", async ({ what, path, init, status }) => {
      const response = await fetch(`${server.origin}${path}`, init);
      expect(response.status).toBe(status);
      expectSecurityHeaders(response.headers, what);
      await response.arrayBuffer();
    });

    it("the 400 the node adapter answers for an invalid Host", async () => {
      const connection = await RawConnection.open(server.origin);
      connection.write(`GET ${CONFIG} HTTP/1.1\r\nHost: user@example.com\r\n\r\n`);
      const answer = await connection.answer();
      expectEnvelope(answer, 400, "invalid");
      expectSecurityHeaders(answer.headers, "invalid Host");
      connection.destroy();
    });

    it("the 500 the node adapter answers when the pipeline fails", async () => {
      const failing = { ...server.latchkey, respond: async () => Promise.reject(new Error("boom")) };
      const broken = await listen(toNodeListener(failing as Latchkey));
      try {
        const response = await fetch(`${broken.origin}${CONFIG}`);
        expect(response.status).toBe(500);
        expectSecurityHeaders(response.headers, "500");
        await response.arrayBuffer();
      } finally {
        await broken.close();
      }
    });
  });
});

describe("latchkey/node: serve()'s timeouts and connection limit", () => {
  it("408 JSON when the headers or the body take too long, and the pipeline logs no error", async () => {
    const server = await startServed({ http: { headersTimeoutMs: 100, requestTimeoutMs: 300 } });
    const slowHeaders = await RawConnection.open(server.origin);
    slowHeaders.write(`GET ${CONFIG} HTTP/1.1\r\nHost: x\r\n`);
    const headersAnswer = await slowHeaders.answer();
    expectEnvelope(headersAnswer, 408, "request_timeout");
    expect(headersAnswer.headers.get("connection")).toBe("close");
    expectSecurityHeaders(headersAnswer.headers, "408");
    expect(await slowHeaders.closed()).toBe("");

    const slowBody = await RawConnection.open(server.origin);
    slowBody.write(post("/_allauth/app/v1/auth/login", 100));
    slowBody.write('{"username": ');
    expectEnvelope(await slowBody.answer(), 408, "request_timeout");
    expect(await slowBody.closed()).toBe("");
    await vi.waitFor(() => expect(server.logs.map((l) => l.msg)).toContain("request aborted by the client"));
    expect(server.logs.filter((l) => l.level >= ERROR_LEVEL)).toEqual([]);
  });

  it("closes connections over http.maxConnections unanswered, and says so in the log", async () => {
    const server = await startServed({ http: { maxConnections: 1 } });
    const first = await RawConnection.open(server.origin);
    first.write(GET_CONFIG);
    expect((await first.answer()).status).toBe(200);
    const second = await RawConnection.open(server.origin);
    expect(await second.closed()).toBe("");
    expect(server.logs.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      expect.stringContaining("http.maxConnections"),
    ]);
    // The first connection still works.
    first.write(GET_CONFIG);
    expect((await first.answer()).status).toBe(200);
    first.destroy();
  });
});

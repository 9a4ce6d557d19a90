import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { TLSSocket } from "node:tls";
import type { ApiAnswer, ApiRequest } from "../http/exchange.js";
import type { Latchkey } from "../latchkey.js";

/**
 * `latchkey/node`: Latchkey on plain `node:http` (and the shared Web ⇄ Node conversions the
 * Express and Fastify adapters build on).
 */

export interface NodeListenerOptions {
  /**
   * Take the scheme (http/https) from `X-Forwarded-Proto`. Turn on only behind a proxy that
   * sets it: the scheme decides the API's own origin, which the browser CSRF check compares with `Origin`.
   */
  trustForwardedProto?: boolean;
}

export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A Web-standard handler that may also look at the Node request it came from. */
export type NodeFetchHandler = (request: Request, req: IncomingMessage) => Promise<Response>;

export interface FetchToNodeOptions extends NodeListenerOptions {
  /** Called when the handler throws; the client gets a 500 JSON envelope. */
  onError?: (error: unknown) => void;
}

/** The request parts a caller may replace (Express: the mount-stripped URL, a body already parsed). */
export interface WebRequestOverrides {
  /** Path and query as the client sent them (default `req.url`). */
  path?: string;
  /** A body already read off the socket by someone else. */
  body?: string | Uint8Array;
}

const EMPTY_BODY_METHODS = new Set(["GET", "HEAD"]);
/** The headers of the answers this adapter writes itself, as the pipeline sends them with its own. */
const OWN_ANSWER_HEADERS = {
  "content-type": "application/json",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};
const INTERNAL_ERROR = envelope(500, "internal_error", "Internal server error.");
const BAD_REQUEST = envelope(400, "invalid", "The request URL or Host header is invalid.");

/** What Node's parser refuses, by error code: the status Node answers, in Latchkey's envelope. */
const CLIENT_ERRORS = new Map([
  [
    "HPE_HEADER_OVERFLOW",
    rawAnswer(431, "request_header_fields_too_large", "The request headers are too large."),
  ],
  ["HPE_CHUNK_EXTENSIONS_OVERFLOW", rawAnswer(413, "payload_too_large", "The request body is too large.")],
  ["ERR_HTTP_REQUEST_TIMEOUT", rawAnswer(408, "request_timeout", "The request took too long to arrive.")],
]);
const MALFORMED_REQUEST = rawAnswer(400, "bad_request", "The request is malformed.");

/**
 * The most of a body the pipeline left unread (by its declared length) that is read off the
 * connection and dropped to keep the connection open; a larger one closes it.
 */
const DRAIN_LIMIT = 65_536;

/**
 * Request bodies streamed to the pipeline and not yet read to their end, each with what drops
 * the rest of it. A body left on the connection would stop the next request there from ever
 * being read (the stream is paused for backpressure), so every answer settles it.
 */
const unreadBodies = new WeakMap<IncomingMessage, () => void>();

/**
 * A `node:http` request listener serving Latchkey; the socket's peer address is passed on as
 * the client IP. It feeds the pipeline a light request over IncomingMessage and writes its
 * answer directly: no Web Request or Response is built on this path. On a server of your own,
 * create it with `requireHostHeader: false` and install `answerClientError`, as serve() does,
 * so that what Node itself would answer (without a body) is answered in the envelope too.
 */
export function toNodeListener(latchkey: Latchkey, options: NodeListenerOptions = {}): NodeListener {
  const logger = latchkey.runtime.logger;
  return (req, res) => {
    let request: ApiRequest;
    try {
      request = toApiRequest(req, options);
    } catch {
      sendJson(res, 400, BAD_REQUEST);
      return;
    }
    latchkey.respond(request, remoteInfo(req)).then(
      (answer) => writeAnswer(res, answer),
      (err: unknown) => {
        logger.error({ err }, "request failed in the node adapter");
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, INTERNAL_ERROR);
      },
    );
  };
}

/** The pipeline's view of a Node request: headers read in place, the body streamed only if there is one. */
export function toApiRequest(req: IncomingMessage, options: NodeListenerOptions = {}): ApiRequest {
  const method = req.method ?? "GET";
  const url = requestUrl(req, options);
  const incoming = req.headers;
  const headers = {
    get(name: string): string | null {
      const value = incoming[name.toLowerCase()];
      if (value === undefined) return null;
      return Array.isArray(value) ? value.join(", ") : value;
    },
  };
  const hasBody =
    !EMPTY_BODY_METHODS.has(method) &&
    incoming["content-length"] !== "0" &&
    (incoming["content-length"] !== undefined || incoming["transfer-encoding"] !== undefined);
  return { method, url, headers, body: hasBody ? bodyStream(req) : null };
}

/** Writes a pipeline answer: one writeHead, one end, each Set-Cookie on its own line. */
export function writeAnswer(res: ServerResponse, answer: ApiAnswer): void {
  settleUnreadBody(res);
  const headers: (string | string[])[] = [];
  const cookies: string[] = [];
  for (const [name, value] of answer.headers) {
    if (name === "set-cookie") cookies.push(value);
    else headers.push(name, value);
  }
  // One entry holding every cookie: Node replaces rather than appends repeated names when
  // headers were set before (Express does).
  if (cookies.length > 0) headers.push("set-cookie", cookies);
  if (answer.body === null) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  headers.push("content-length", String(Buffer.byteLength(answer.body)));
  res.writeHead(answer.status, headers);
  // A string body goes out in the same write as the headers (a Buffer would take a second one).
  res.end(answer.body);
}

/** Bridges any Web-standard handler (a Hono app's fetch, Next-style route handlers…) to `node:http`. */
export function fetchToNodeListener(
  handler: NodeFetchHandler,
  options: FetchToNodeOptions = {},
): NodeListener {
  return (req, res) => {
    let request: Request;
    try {
      request = toWebRequest(req, options);
    } catch {
      sendJson(res, 400, BAD_REQUEST);
      return;
    }
    handler(request, req)
      .then((response) => writeWebResponse(res, response))
      .catch((err: unknown) => {
        options.onError?.(err);
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, INTERNAL_ERROR);
      });
  };
}

/** `{ remoteAddress }` of the socket, as `latchkey.handler` takes it. */
export function remoteInfo(req: IncomingMessage): { remoteAddress?: string } {
  const remoteAddress = req.socket.remoteAddress;
  return remoteAddress === undefined ? {} : { remoteAddress };
}

/** True when the path (with its query) lies under the base path, e.g. "/_allauth/app/v1/config". */
export function isUnder(pathWithQuery: string, base: string): boolean {
  if (base === "") return true;
  if (!pathWithQuery.startsWith(base)) return false;
  const next = pathWithQuery.charCodeAt(base.length);
  // End of string, "/", "?"
  return Number.isNaN(next) || next === 47 || next === 63;
}

/**
 * Converts a Node request to a Web Request: method, absolute URL (scheme from the socket, or
 * X-Forwarded-Proto when trusted; host from the Host header), headers, and the body as a
 * stream (none for GET/HEAD). Throws TypeError on a URL that cannot be parsed.
 */
export function toWebRequest(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
  overrides: WebRequestOverrides = {},
): Request {
  const method = req.method ?? "GET";
  const url = requestUrl(req, options, overrides.path);

  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // HTTP/2 pseudo-headers (":path"…) are not headers of the Web request.
    if (name.charCodeAt(0) !== 58) headers.append(name, raw[i + 1]!);
  }

  if (EMPTY_BODY_METHODS.has(method)) return new Request(url, { method, headers });
  if (overrides.body !== undefined) {
    headers.delete("transfer-encoding");
    headers.set("content-length", String(Buffer.byteLength(overrides.body)));
    // Buffers from body parsers sit on plain ArrayBuffers; the DOM typing only admits those.
    return new Request(url, { method, headers, body: overrides.body as string | Uint8Array<ArrayBuffer> });
  }
  if (
    req.headers["content-length"] === "0" ||
    (!req.headers["content-length"] && !req.headers["transfer-encoding"])
  ) {
    return new Request(url, { method, headers });
  }
  return new Request(url, { method, headers, body: bodyStream(req), duplex: "half" } as RequestInit);
}

/**
 * The absolute URL of a Node request: the scheme from the socket (or X-Forwarded-Proto when
 * trusted), the host from the Host header, then the path (default `req.url`). Throws TypeError
 * on a Host header that is not a host.
 */
export function requestUrl(
  req: IncomingMessage,
  options: NodeListenerOptions = {},
  path: string = req.url ?? "/",
): string {
  return path.startsWith("/") ? `${scheme(req, options)}://${hostOf(req)}${path}` : path;
}

function scheme(req: IncomingMessage, options: NodeListenerOptions): "http" | "https" {
  if (options.trustForwardedProto) {
    const forwarded = req.headers["x-forwarded-proto"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
    if (first === "https" || first === "http") return first;
  }
  return (req.socket as TLSSocket).encrypted ? "https" : "http";
}

/** Host names, IPv4 and [IPv6] with an optional port: nothing that could move the path or add credentials. */
const VALID_HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

function hostOf(req: IncomingMessage): string {
  const host = req.headers.host ?? req.headers[":authority"];
  if (typeof host === "string" && host !== "") {
    if (!VALID_HOST.test(host)) throw new TypeError("invalid Host header");
    return host;
  }
  // HTTP/1.1 requires Host (serve() leaves the check to this adapter, so that it answers JSON).
  if (req.httpVersion === "1.1") throw new TypeError("missing Host header");
  const { localAddress, localPort } = req.socket;
  if (!localAddress) return "localhost";
  return `${localAddress.includes(":") ? `[${localAddress}]` : localAddress}:${localPort}`;
}

/**
 * The request body as a Web stream, with backpressure. Cancelling it (Latchkey does when a body
 * is too large) discards the rest instead of destroying the socket, so the 413 answer still arrives.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let finished = false;
  const discard = () => {
    finished = true;
    req.resume();
  };
  unreadBodies.set(req, discard);
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        req.on("data", (chunk: Buffer) => {
          if (finished) return;
          controller.enqueue(chunk);
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.once("end", () => {
          unreadBodies.delete(req);
          if (finished) return;
          finished = true;
          controller.close();
        });
        req.on("error", (err) => {
          if (finished) return;
          finished = true;
          controller.error(err);
        });
        req.once("close", () => {
          // The client went away before the body was complete.
          if (finished || req.complete) return;
          finished = true;
          controller.error(new Error("request aborted"));
        });
      },
      pull() {
        req.resume();
      },
      cancel() {
        discard();
      },
    },
    { highWaterMark: 4 },
  );
}

/**
 * Called as an answer starts. A body the pipeline left unread is read off the connection and
 * dropped once the answer is out; the connection stays open only when the body is declared
 * small enough for that to be cheap, otherwise (or when its length is unknown) the answer says
 * `Connection: close` and the connection ends after it.
 */
function settleUnreadBody(res: ServerResponse): void {
  const req = res.req;
  const discard = unreadBodies.get(req);
  if (discard === undefined) return;
  unreadBodies.delete(req);
  const declared = req.headers["content-length"];
  if (declared === undefined || Number(declared) > DRAIN_LIMIT) res.setHeader("connection", "close");
  res.once("finish", discard);
}

/**
 * Writes a Web Response to a Node response: status, headers (each Set-Cookie on its own line)
 * and body — a body that arrives in one chunk is sent with Content-Length in one write,
 * longer ones are streamed with backpressure.
 */
export async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  settleUnreadBody(res);
  // A flat [name, value, …] list; Set-Cookie as one entry holding every cookie, because Node
  // replaces rather than appends repeated names when headers were set before (Express does).
  const headers: (string | string[])[] = [];
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") headers.push(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers.push("set-cookie", cookies);
  const status = response.status;
  const body = response.body;
  if (body === null) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const reader = body.getReader();
  try {
    const first = await reader.read();
    if (first.done) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const second = await reader.read();
    if (second.done) {
      if (!response.headers.has("content-length"))
        headers.push("content-length", String(first.value.byteLength));
      res.writeHead(status, headers);
      res.end(first.value);
      return;
    }
    res.writeHead(status, headers);
    let chunk: ReadableStreamReadResult<Uint8Array> = second;
    if (!(await write(res, first.value))) return;
    while (!chunk.done) {
      if (!(await write(res, chunk.value))) return;
      chunk = await reader.read();
    }
    res.end();
  } catch (err) {
    if (res.headersSent) res.destroy(err instanceof Error ? err : undefined);
    else sendJson(res, 500, INTERNAL_ERROR);
  } finally {
    // Stops a streaming body whose client went away.
    reader.cancel().catch(() => {});
  }
}

/** Writes one chunk, waiting for drain; false when the connection closed first. */
function write(res: ServerResponse, chunk: Uint8Array): Promise<boolean> | boolean {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (drained: boolean) => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(drained);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}

function sendJson(res: ServerResponse, status: number, body: string): void {
  settleUnreadBody(res);
  res.writeHead(status, { ...OWN_ANSWER_HEADERS, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function envelope(status: number, code: string, message: string): string {
  return JSON.stringify({ status, errors: [{ message, code }] });
}

/** A whole HTTP answer, for a socket no ServerResponse writes to; the connection closes after it. */
function rawAnswer(status: number, code: string, message: string): Buffer {
  const body = envelope(status, code, message);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n`;
  for (const [name, value] of Object.entries(OWN_ANSWER_HEADERS)) head += `${name}: ${value}\r\n`;
  head += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  return Buffer.from(head + body);
}

/**
 * A `clientError` listener for a `node:http` server. Requests Node's parser refuses, and requests
 * past the server's timeouts, get Latchkey's envelope with the status Node would answer (400
 * `bad_request`; 431 `request_header_fields_too_large`; 413 `payload_too_large` for oversized chunk
 * extensions; 408 `request_timeout`) and `Connection: close`, instead of Node's empty answer.
 * serve() installs it; on a server of your own: `server.on("clientError", answerClientError)`.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // As Node itself does: no answer once one has begun on the connection (it would corrupt that
  // one), nor to a connection the client reset.
  const answering = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || answering?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(CLIENT_ERRORS.get(err.code ?? "") ?? MALFORMED_REQUEST, () => socket.destroy());
}

export interface ServeOptions extends NodeListenerOptions {
  /** Default 8000; 0 picks a free port. */
  port?: number;
  /** Default "127.0.0.1" (this machine only); "0.0.0.0" or "::" to listen on every interface. */
  host?: string;
  /** How long `close()` waits for requests in flight before dropping their connections (default 10 s). */
  closeTimeoutMs?: number;
}

/** Connections refused for http.maxConnections are logged once a minute at most: they come in floods. */
function warnOfRefusedConnections(server: Server, latchkey: Latchkey, maxConnections: number): void {
  let lastWarning = Number.NEGATIVE_INFINITY;
  server.on("drop", () => {
    const now = Date.now();
    if (now - lastWarning < 60_000) return;
    lastWarning = now;
    latchkey.runtime.logger.warn(
      { maxConnections },
      "connection refused: http.maxConnections connections are open (further refusals within a minute are not logged)",
    );
  });
}

export interface RunningServer {
  server: Server;
  /** `http://host:port`, the port being the one actually bound. */
  url: string;
  /** Stops accepting connections and resolves when the last request has finished. Does not close Latchkey. */
  close(): Promise<void>;
}

/**
 * Waits for Latchkey to be ready (migrations applied), then listens, with the timeouts and
 * connection limit of the `http` options. Rejects if the store cannot be opened or the address
 * cannot be bound.
 */
export async function serve(latchkey: Latchkey, options: ServeOptions = {}): Promise<RunningServer> {
  const port = options.port ?? 8000;
  const host = options.host ?? "127.0.0.1";
  await latchkey.ready();
  const limits = latchkey.options.http;
  // Node refuses a headers timeout longer than the whole-request one.
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const server = createServer(
    {
      // The listener answers a missing Host itself, in the envelope.
      requireHostHeader: false,
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // How often Node looks for requests past those timeouts (every 30 s by default).
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    },
    toNodeListener(latchkey, options),
  );
  server.on("clientError", answerClientError);
  if (limits.maxConnections !== null) {
    server.maxConnections = limits.maxConnections;
    warnOfRefusedConnections(server, latchkey, limits.maxConnections);
  }
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), options.closeTimeoutMs ?? 10_000);
        force.unref();
        server.close((err) => {
          clearTimeout(force);
          if (err) reject(err);
          else resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

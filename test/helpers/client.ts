import { expect } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { Latchkey } from "../../src/latchkey.js";

export interface TestResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
  headers: Headers;
  text: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A raw body (string) instead of JSON. */
  raw?: string;
  /** A body stream instead of JSON, e.g. one of `heldBodies`. */
  stream?: ReadableStream<Uint8Array>;
  /** Leave out the CSRF header even though the client holds a token. */
  noCsrf?: boolean;
}

/**
 * A frontend as allauth's example SPA behaves: the browser client keeps its cookies and sends
 * X-CSRFToken from the csrftoken cookie; the app client replays the newest meta.session_token
 * and drops it on 410.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  token: string | null = null;

  constructor(
    readonly latchkey: Latchkey,
    readonly client: Client,
    readonly origin = "http://localhost:8000",
    readonly remoteAddress = "127.0.0.1",
  ) {}

  url(path: string): string {
    return `${this.origin}${this.latchkey.options.basePath}/${this.client}/v1${path}`;
  }

  get(path: string, opts?: RequestOptions) {
    return this.request("GET", path, undefined, opts);
  }
  post(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request("POST", path, body, opts);
  }
  put(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request("PUT", path, body, opts);
  }
  patch(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request("PATCH", path, body, opts);
  }
  delete(path: string, body?: unknown, opts?: RequestOptions) {
    return this.request("DELETE", path, body, opts);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    opts: RequestOptions = {},
  ): Promise<TestResponse> {
    const headers = new Headers(opts.headers);
    if (this.client === Client.BROWSER) {
      if (this.cookies.size > 0) {
        headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "));
      }
      const csrf = this.cookies.get("csrftoken");
      if (csrf && !opts.noCsrf && method !== "GET") headers.set("x-csrftoken", csrf);
    } else if (this.token && !headers.has("x-session-token")) {
      headers.set("x-session-token", this.token);
    }
    const url = path.startsWith("http") ? path : this.url(path);
    const response = await sendToHandler(this.latchkey, method, url, headers, body, opts, this.remoteAddress);
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = decodeURIComponent(pair!.slice(eq + 1));
      if (/max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const parsed = response.body;
    if (this.client === Client.APP && parsed) {
      if (parsed.meta?.session_token) this.token = parsed.meta.session_token;
      if (response.status === 410) this.token = null;
    }
    return response;
  }
}

/**
 * A request straight to the handler, with the caller's headers: the body as JSON (or `raw` or
 * `stream` as it is, with the JSON content type all the same); the answer read and parsed.
 */
export async function sendToHandler(
  latchkey: Latchkey,
  method: string,
  url: string,
  headers: Headers,
  body: unknown,
  opts: { raw?: string; stream?: ReadableStream<Uint8Array> },
  remoteAddress: string,
): Promise<TestResponse> {
  if (body !== undefined || opts.raw !== undefined || opts.stream !== undefined) {
    headers.set("content-type", "application/json");
  }
  const request = new Request(url, {
    method,
    headers,
    body: opts.stream ?? opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    // A stream body is sent as it is read (Node's fetch requires saying so).
    ...(opts.stream ? { duplex: "half" } : {}),
  } as RequestInit);
  const response = await latchkey.handler(request, { remoteAddress });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers, text };
}

export const clients: Client[] = [Client.BROWSER, Client.APP];

/**
 * JSON bodies for `count` concurrent requests, each held back until every one of them is being
 * read: the requests are then all past what the pipeline does before reading a body (routing,
 * loading the session) before any of them goes on. A request answered without reading its body
 * would hold the others forever: `release` lets them go (call it as each request ends).
 */
export function heldBodies(count: number): {
  body(json: unknown): ReadableStream<Uint8Array>;
  release(): void;
} {
  let waiting = count;
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    body(json) {
      const bytes = new TextEncoder().encode(JSON.stringify(json));
      return new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            waiting -= 1;
            if (waiting === 0) release();
            await released;
            controller.enqueue(bytes);
            controller.close();
          },
        },
        // Nothing is pulled before the handler reads.
        { highWaterMark: 0 },
      );
    },
    release: () => release(),
  };
}

/** Asserts the HTTP status and the envelope's `status` agree, showing the body when they do not. */
export function expectStatus(res: TestResponse, status: number): void {
  expect(res.status, res.text).toBe(status);
  expect(res.body?.status).toBe(status);
}

/**
 * Sends `count` wrong codes at once: how many were checked (400 `incorrect_code`) and how many
 * refused unchecked (409, the code's attempts used up); any other answer fails the test.
 */
export async function wrongCodeWave(
  count: number,
  send: (i: number) => Promise<TestResponse>,
): Promise<{ checked: number; refused: number }> {
  const answers = await Promise.all(Array.from({ length: count }, (_, i) => send(i)));
  let checked = 0;
  let refused = 0;
  for (const res of answers) {
    if (res.status === 400 && res.body.errors?.[0]?.code === "incorrect_code") checked += 1;
    else if (res.status === 409) refused += 1;
    else throw new Error(`unexpected answer ${res.status}: ${res.text}`);
  }
  return { checked, refused };
}

import { expect } from "vitest";
import { sendToHandler, type TestResponse } from "../helpers/client.js";
import type { TestServer } from "../helpers/latchkey.js";

/**
 * A client of the compact API as the AuthAPI class uses it: JSON bodies, the newest access token
 * in `Authorization: Bearer`, the tokens of every answer kept. `slash` picks the path form
 * (`/auth/login/` or `/auth/login`).
 */
export class CompactClient {
  access: string | null = null;
  refresh: string | null = null;

  constructor(
    readonly server: TestServer,
    readonly slash = true,
    readonly remoteAddress = "127.0.0.1",
  ) {}

  url(path: string): string {
    const base = this.server.latchkey.options.compactApi.basePath;
    return `http://localhost:8000${base}${path}${this.slash ? "/" : ""}`;
  }

  get(path: string, opts?: CompactRequestOptions) {
    return this.request("GET", path, undefined, opts);
  }

  post(path: string, body?: unknown, opts?: CompactRequestOptions) {
    return this.request("POST", path, body, opts);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    opts: CompactRequestOptions = {},
  ): Promise<TestResponse> {
    const headers = new Headers(opts.headers);
    const token = opts.token === undefined ? this.access : opts.token;
    if (token !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
    const url = path.startsWith("http") ? path : this.url(path);
    const response = await sendToHandler(
      this.server.latchkey,
      method,
      url,
      headers,
      body,
      opts,
      this.remoteAddress,
    );
    const parsed = response.body;
    if (typeof parsed?.access_token === "string") this.access = parsed.access_token;
    if (typeof parsed?.refresh_token === "string") this.refresh = parsed.refresh_token;
    return response;
  }
}

export interface CompactRequestOptions {
  headers?: Record<string, string>;
  /** A raw body instead of JSON. */
  raw?: string;
  /** A body stream instead of JSON, e.g. one of `heldBodies`. */
  stream?: ReadableStream<Uint8Array>;
  /** The Bearer token to send instead of the newest access token (null: none). */
  token?: string | null;
}

/** Asserts a compact error answer: the status, the envelope `{status, errors}`, the first error's code (and param). */
export function expectError(res: TestResponse, status: number, code: string, param?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  expect(res.body.status).toBe(status);
  expect(res.body.errors.length).toBeGreaterThan(0);
  for (const error of res.body.errors) expect(typeof error.message).toBe("string");
  expect(res.body.errors[0].code).toBe(code);
  if (param !== undefined) expect(res.body.errors[0].param).toBe(param);
}

/** Asserts a login answer: the token pair, its type and lifetime, and the user. */
export function expectTokens(res: TestResponse, lifetime = 3600): void {
  expect(res.status, res.text).toBe(200);
  expect(res.body).toMatchObject({
    access_token: expect.stringMatching(/^\d+\.[\w-]{43}$/),
    refresh_token: expect.stringMatching(/^\d+\.[\w-]{43}$/),
    token_type: "Bearer",
    expires_in: lifetime,
    user: expect.objectContaining({ id: expect.any(Number) }),
  });
}

import { expect } from "vitest";
import { Client } from "../../src/core/enums.js";
import type { TestClient } from "../helpers/client.js";
import type { TestServer } from "../helpers/latchkey.js";
import type { IdpClient } from "./idp.js";

/** The frontend's callback page, as allauth's example SPA names it. */
export const CALLBACK = "http://localhost:8000/account/provider/callback";
/** frontendUrls.socialaccountLoginError's default. */
export const LOGIN_ERROR = "http://localhost:3000/account/provider/callback";

export interface PageResponse {
  status: number;
  location: string | null;
  text: string;
  headers: Headers;
}

/**
 * A top-level browser request to the server (a form post, a page, a callback): the client's
 * cookies go along and come back updated, as TestClient does for API calls.
 */
export async function browse(
  client: TestClient,
  method: "GET" | "POST",
  url: string,
  form?: Readonly<Record<string, string>>,
): Promise<PageResponse> {
  const headers = new Headers();
  if (client.client === Client.BROWSER && client.cookies.size > 0) {
    headers.set("cookie", [...client.cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; "));
  }
  if (client.client === Client.APP && client.token) headers.set("x-session-token", client.token);
  if (form) headers.set("content-type", "application/x-www-form-urlencoded");
  const target = new URL(url, client.origin);
  const response = await client.latchkey.handler(
    new Request(target, { method, headers, body: form ? new URLSearchParams(form).toString() : null }),
    { remoteAddress: client.remoteAddress },
  );
  const text = await response.text();
  if (client.client === Client.BROWSER) {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = decodeURIComponent(pair!.slice(eq + 1));
      if (/max-age=0/i.test(cookie)) client.cookies.delete(name);
      else client.cookies.set(name, value);
    }
  }
  return {
    status: response.status,
    location: response.headers.get("location"),
    text,
    headers: response.headers,
  };
}

/** POST /auth/provider/redirect as allauth's SPA posts it: a form with the CSRF token. */
export function postRedirect(
  client: TestClient,
  fields: { provider: string; callback_url?: string; process?: string },
): Promise<PageResponse> {
  return browse(client, "POST", client.url("/auth/provider/redirect"), {
    provider: fields.provider,
    callback_url: fields.callback_url ?? CALLBACK,
    process: fields.process ?? "login",
    csrfmiddlewaretoken: client.cookies.get("csrftoken") ?? "",
  });
}

/** The query parameters of a redirect. */
export function queryOf(location: string | null): URLSearchParams {
  expect(location).toBeTruthy();
  return new URL(location!, "http://localhost:8000").searchParams;
}

/** The frontend's callback URL with allauth's error parameters. */
export function errorAt(base: string, error: string, process = "login"): string {
  return `${base}?${new URLSearchParams({ error, error_process: process })}`;
}

/** The OpenID Connect app "idp" on the provider at `serverUrl`, as `client` is registered there. */
export function idpApp(client: IdpClient, serverUrl: string) {
  return {
    providerId: "idp",
    name: "Test IdP",
    clientId: client.client_id,
    secret: client.client_secret,
    settings: { serverUrl },
  };
}

/**
 * Asserts the provider's authorization request: its endpoint, the client, the callback, and
 * state, nonce and PKCE S256.
 */
export function expectAuthorizationRequest(
  url: URL,
  issuer: string,
  clientId: string,
  redirectUri: string,
): void {
  expect(url.origin + url.pathname).toBe(`${issuer}/auth`);
  expect(Object.fromEntries(url.searchParams)).toEqual({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: "code",
    scope: "openid profile email",
    state: expect.stringMatching(/^[\w-]{43}$/),
    nonce: expect.any(String),
    code_challenge: expect.stringMatching(/^[\w-]{43}$/),
    code_challenge_method: "S256",
  });
}

/** Rows of the social tables, for assertions. */
export function socialRows(server: TestServer, table: "social_account" | "social_token" | "social_state") {
  return server.latchkey.runtime.store.db.selectFrom(table).selectAll().orderBy("id").execute();
}

/** The addresses of a user as stored. */
export async function addressesOf(server: TestServer, userId: number) {
  const rows = await server.latchkey.runtime.store.db
    .selectFrom("email_address")
    .select(["email", "verified", "is_primary"])
    .where("user_id", "=", userId)
    .orderBy("id")
    .execute();
  return rows.map((r) => ({ email: r.email, verified: r.verified === 1, primary: r.is_primary === 1 }));
}

import type { Context, MiddlewareHandler } from "hono";
import type { CsrfCheckedRequest } from "../latchkey.js";
import {
  admitCaller,
  csrfRefusal,
  type LatchkeyCaller,
  type LatchkeyVerifier,
  type Refusal,
} from "./caller.js";

export type { LatchkeyCaller, LatchkeyVerifier } from "./caller.js";

/** The Hono variables requireUser() sets: `c.get("latchkeyUser")`. */
export interface LatchkeyVariables {
  latchkeyUser: LatchkeyCaller;
}

/**
 * Hono middleware for your own routes: lets through requests that name a logged-in session —
 * the browser's session cookie, an `X-Session-Token`, or (JWT strategy) `Authorization: Bearer
 * <access token>` — with `c.get("latchkeyUser")` set. Anything else gets 401 `{"status":401}`; a
 * cookie caller's POST, PUT, PATCH or DELETE that fails the CSRF check gets 403 (see csrfProtect);
 * 503 with Retry-After while the database cannot be reached.
 */
export function requireUser(latchkey: LatchkeyVerifier): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  return async (c, next) => {
    const decided = await admitCaller(latchkey, ownRequest(c));
    if (decided.refusal) return send(decided.refusal);
    c.set("latchkeyUser", decided.caller);
    await next();
  };
}

/**
 * Django's CSRF check for your own state-changing routes that browsers call with their session
 * cookie (requireUser already applies it to the requests it lets through): on POST, PUT, PATCH
 * and DELETE the X-CSRFToken header must equal the csrftoken cookie Latchkey sets, and the Origin
 * must be the app's own or in csrf.trustedOrigins or cors.allowedOrigins; otherwise 403 in the
 * API's envelope.
 */
export function csrfProtect(latchkey: LatchkeyVerifier): MiddlewareHandler {
  return async (c, next) => {
    const refusal = csrfRefusal(latchkey, ownRequest(c));
    if (refusal) return send(refusal);
    await next();
  };
}

function ownRequest(c: Context): CsrfCheckedRequest {
  return { method: c.req.method, url: c.req.url, headers: c.req.raw.headers };
}

function send(refusal: Refusal): Response {
  return new Response(JSON.stringify(refusal.body), {
    status: refusal.status,
    headers: { ...refusal.headers, "content-type": "application/json" },
  });
}

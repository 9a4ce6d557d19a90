import type { FastifyReply, FastifyRequest } from "fastify";
import type { CsrfCheckedRequest } from "../latchkey.js";
import {
  admitCaller,
  csrfRefusal,
  formCsrfToken,
  type LatchkeyCaller,
  type LatchkeyVerifier,
  type Refusal,
} from "./caller.js";

export type { LatchkeyCaller, LatchkeyVerifier } from "./caller.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Set by latchkey's requireUser(): who is calling. */
    latchkeyUser?: LatchkeyCaller;
  }
}

/** A Fastify hook (preHandler or onRequest): answers the request itself, or lets it go on. */
export type LatchkeyHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * A Fastify hook for your own routes, as `preHandler` (`app.get("/api/me", { preHandler:
 * requireUser(latchkey) }, …)` or `app.addHook("preHandler", …)`): lets through requests that
 * name a logged-in session — the browser's session cookie, an `X-Session-Token`, or (JWT
 * strategy) `Authorization: Bearer <access token>` — with `request.latchkeyUser` set. Anything
 * else gets 401 `{"status":401}`; a cookie caller's POST, PUT, PATCH or DELETE that fails the
 * CSRF check gets 403 (see csrfProtect); 503 with Retry-After while the database cannot be reached.
 */
export function requireUser(latchkey: LatchkeyVerifier): LatchkeyHook {
  return async (request, reply) => {
    const decided = await admitCaller(latchkey, ownRequest(request), formCsrfToken(request.body));
    if (decided.refusal) {
      await send(reply, decided.refusal);
      return;
    }
    request.latchkeyUser = decided.caller;
  };
}

/**
 * Django's CSRF check for your own state-changing routes that browsers call with their session
 * cookie (requireUser already applies it to the requests it lets through), as a `preHandler`
 * hook: on POST, PUT, PATCH and DELETE the X-CSRFToken header (or a parsed form's
 * `csrfmiddlewaretoken`) must equal the csrftoken cookie Latchkey sets, and the Origin must be
 * the app's own or in csrf.trustedOrigins or cors.allowedOrigins; otherwise 403 in the API's
 * envelope. Behind a proxy, set Fastify's `trustProxy` so that the scheme is the browser's.
 */
export function csrfProtect(latchkey: LatchkeyVerifier): LatchkeyHook {
  return async (request, reply) => {
    const refusal = csrfRefusal(latchkey, ownRequest(request), formCsrfToken(request.body));
    if (refusal) await send(reply, refusal);
  };
}

function ownRequest(request: FastifyRequest): CsrfCheckedRequest {
  return {
    method: request.method,
    url: `${request.protocol}://${request.host}${request.url}`,
    headers: request.headers,
  };
}

async function send(reply: FastifyReply, refusal: Refusal): Promise<void> {
  await reply.code(refusal.status).headers(refusal.headers).type("application/json").send(refusal.body);
}

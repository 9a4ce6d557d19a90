import type { IncomingMessage, ServerResponse } from "node:http";
import { type NodeListenerOptions, requestUrl } from "../adapters/node.js";
import type { CsrfCheckedRequest } from "../latchkey.js";
import { admitCaller, csrfRefusal, type LatchkeyCaller, type LatchkeyVerifier } from "./caller.js";
import { sendRefusal } from "./send-refusal.js";

export type { LatchkeyCaller, LatchkeyVerifier } from "./caller.js";

/**
 * For your own routes on plain `node:http`: resolves to the caller when the request names a
 * logged-in session — the browser's session cookie, an `X-Session-Token`, or (JWT strategy)
 * `Authorization: Bearer <access token>`. Otherwise it answers the request itself (401
 * `{"status":401}`; 403 for a cookie caller's POST, PUT, PATCH or DELETE that fails the CSRF
 * check; 503 with Retry-After while the database cannot be reached) and resolves to null:
 *
 * ```ts
 * const caller = await requireUser(latchkey)(req, res);
 * if (!caller) return;
 * ```
 */
export function requireUser(
  latchkey: LatchkeyVerifier,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<LatchkeyCaller | null> {
  return async (req, res) => {
    const decided = await admitCaller(latchkey, ownRequest(req, options));
    if (!decided.refusal) return decided.caller;
    sendRefusal(res, decided.refusal);
    return null;
  };
}

/**
 * Django's CSRF check for your own state-changing routes that browsers call with their session
 * cookie (requireUser already applies it to the requests it lets through): true when the request
 * may go on; otherwise it answers 403 in the API's envelope and returns false. On POST, PUT,
 * PATCH and DELETE the X-CSRFToken header must equal the csrftoken cookie Latchkey sets, and the
 * Origin must be the server's own or in csrf.trustedOrigins or cors.allowedOrigins.
 */
export function csrfProtect(
  latchkey: LatchkeyVerifier,
  options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const refusal = csrfRefusal(latchkey, ownRequest(req, options));
    if (refusal) sendRefusal(res, refusal);
    return refusal === null;
  };
}

function ownRequest(req: IncomingMessage, options: NodeListenerOptions): CsrfCheckedRequest {
  return { method: req.method ?? "GET", url: requestUrl(req, options), headers: req.headers };
}

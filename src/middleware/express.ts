import type { IncomingMessage, ServerResponse } from "node:http";
import { requestUrl } from "../adapters/node.js";
import type { CsrfCheckedRequest } from "../latchkey.js";
import {
  type Admission,
  admitCaller,
  csrfRefusal,
  formCsrfToken,
  type LatchkeyCaller,
  type LatchkeyVerifier,
  type Refusal,
} from "./caller.js";
import { sendRefusal } from "./send-refusal.js";

export type { LatchkeyCaller, LatchkeyVerifier } from "./caller.js";

declare global {
  namespace Express {
    interface Request {
      /** Set by latchkey's requireUser(): who is calling. */
      latchkeyUser?: LatchkeyCaller;
    }
  }
}

/**
 * An Express request, typed structurally so that this module needs no Express types: an
 * IncomingMessage with what Express adds.
 */
export interface ExpressLikeRequest extends IncomingMessage {
  /** The URL before Express stripped a mount path. */
  originalUrl?: string;
  /** "http" or "https", after Express' `trust proxy` setting. */
  protocol?: string;
  /** Set by body parsers such as express.json() and express.urlencoded(). */
  body?: unknown;
  latchkeyUser?: LatchkeyCaller;
}

export type ExpressHandler = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Express middleware for your own routes: lets through requests that name a logged-in session —
 * the browser's session cookie, an `X-Session-Token`, or (JWT strategy) `Authorization: Bearer
 * <access token>` — with `req.latchkeyUser` set. Anything else gets 401 `{"status":401}`; a
 * cookie caller's POST, PUT, PATCH or DELETE that fails the CSRF check gets 403 (see csrfProtect);
 * 503 with Retry-After while the database cannot be reached.
 */
export function requireUser(latchkey: LatchkeyVerifier): ExpressHandler {
  return (req, res, next) => {
    let admission: Promise<Admission>;
    try {
      admission = admitCaller(latchkey, ownRequest(req), formCsrfToken(req.body));
    } catch (err) {
      next(err);
      return;
    }
    admission.then((decided) => {
      if (decided.refusal) {
        sendRefusal(res, decided.refusal);
        return;
      }
      req.latchkeyUser = decided.caller;
      next();
    }, next);
  };
}

/**
 * Django's CSRF check for your own state-changing routes that browsers call with their session
 * cookie (requireUser already applies it to the requests it lets through): on POST, PUT, PATCH
 * and DELETE the X-CSRFToken header (or a parsed form's `csrfmiddlewaretoken`) must equal the
 * csrftoken cookie Latchkey sets, and the Origin must be the app's own or in csrf.trustedOrigins
 * or cors.allowedOrigins; otherwise 403 in the API's envelope. Use it with `app.set("trust
 * proxy", …)` behind a proxy, so that `req.protocol` is the scheme the browser used.
 */
export function csrfProtect(latchkey: LatchkeyVerifier): ExpressHandler {
  return (req, res, next) => {
    let refusal: Refusal | null;
    try {
      refusal = csrfRefusal(latchkey, ownRequest(req), formCsrfToken(req.body));
    } catch (err) {
      next(err);
      return;
    }
    if (refusal) sendRefusal(res, refusal);
    else next();
  };
}

function ownRequest(req: ExpressLikeRequest): CsrfCheckedRequest {
  const path = req.originalUrl ?? req.url ?? "/";
  const url =
    req.protocol && req.headers.host
      ? `${req.protocol}://${req.headers.host}${path}`
      : requestUrl(req, {}, path);
  return { method: req.method ?? "GET", url, headers: req.headers };
}

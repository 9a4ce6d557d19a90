import { ServiceUnavailableError } from "../core/availability.js";
import type { AuthenticationMethod, User } from "../core/wire.js";
import type { CsrfCheckedRequest, Latchkey } from "../latchkey.js";
import type { AccessTokenClaims } from "../sessions/tokens/strategy.js";

/** Who is calling your own route, as requireUser() finds out (latchkey.getSession, flattened). */
export interface LatchkeyCaller {
  userId: number;
  /** The session row id (as GET /auth/sessions lists it). */
  sessionId: number;
  /** How the caller named its session: the browser's session cookie, an X-Session-Token, or a JWT access token. */
  via: "cookie" | "session_token" | "access_token";
  /** The user as the API shows it. */
  user: User;
  /** How the user authenticated in this session, as GET /auth/session lists them. */
  methods: AuthenticationMethod[];
  /** The verified access token's claims, when an access token named the session. */
  claims?: AccessTokenClaims;
}

/** The part of Latchkey the middleware needs. */
export type LatchkeyVerifier = Pick<Latchkey, "getSession" | "checkCsrf">;

/** An answer the middleware sends instead of calling the route: status, headers and JSON body. */
export interface Refusal {
  status: number;
  headers: Record<string, string>;
  body: object;
}

/** What requireUser decides: the caller goes on, or gets the refusal. */
export type Admission = { caller: LatchkeyCaller; refusal?: undefined } | { refusal: Refusal };

const NO_STORE = { "cache-control": "no-store" };
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * requireUser's decision, the same for every framework: the session a request names
 * (latchkey.getSession) or 401 `{"status":401}`; a browser calling with its session cookie must
 * also pass the CSRF check on state-changing methods, as Django's session authentication enforces
 * it (403 in the envelope); 503 with Retry-After while the database cannot be reached.
 */
export async function admitCaller(
  latchkey: LatchkeyVerifier,
  request: CsrfCheckedRequest,
  formToken?: string | null,
): Promise<Admission> {
  let found: Awaited<ReturnType<Latchkey["getSession"]>>;
  try {
    found = await latchkey.getSession(request);
  } catch (err) {
    const refusal = unavailable(err);
    if (refusal) return { refusal };
    throw err;
  }
  if (!found) return { refusal: { status: 401, headers: NO_STORE, body: { status: 401 } } };
  if (found.session.via === "cookie" && UNSAFE.has(request.method.toUpperCase())) {
    const refusal = csrfRefusal(latchkey, request, formToken);
    if (refusal) return { refusal };
  }
  return {
    caller: {
      userId: found.user.id,
      sessionId: found.session.id,
      via: found.session.via,
      user: found.user,
      methods: found.methods,
      ...(found.claims ? { claims: found.claims } : {}),
    },
  };
}

/** csrfProtect's decision: null when the request may go on, else the 403 to send. */
export function csrfRefusal(
  latchkey: LatchkeyVerifier,
  request: CsrfCheckedRequest,
  formToken?: string | null,
): Refusal | null {
  const refused = latchkey.checkCsrf(request, formToken);
  return refused ? { status: 403, headers: NO_STORE, body: refused } : null;
}

/** The 503 of an unreachable database, or null for any other error. */
function unavailable(err: unknown): Refusal | null {
  if (!(err instanceof ServiceUnavailableError)) return null;
  return {
    status: 503,
    headers: { ...NO_STORE, "retry-after": String(err.retryAfterSeconds) },
    body: err.answer,
  };
}

/** A form's CSRF field (Django's `csrfmiddlewaretoken`) in a body a parser already read, if any. */
export function formCsrfToken(body: unknown): string | null {
  const value = (body as { csrfmiddlewaretoken?: unknown } | null | undefined)?.csrfmiddlewaretoken;
  return typeof value === "string" ? value : null;
}

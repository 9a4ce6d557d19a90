import type { UserRecord } from "../account/users.js";
import { randomString } from "../core/crypto.js";
import { Client } from "../core/enums.js";
import type { Runtime } from "../runtime.js";
import type { Session } from "../sessions/session.js";
import type { ApiRequest } from "./exchange.js";
import type { RateLimitAction } from "./ratelimit/index.js";

const CSRF_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** One request as handlers see it: who is calling, through which tree, with which session. */
export class Context {
  /** Headers the response should carry besides the pipeline's own (e.g. Set-Cookie from an area). */
  readonly extraCookies: string[] = [];
  /** The CSRF token the browser should hold after this response. */
  csrfToken: string | null;

  constructor(
    readonly rt: Runtime,
    readonly request: ApiRequest,
    readonly client: Client,
    readonly ip: string,
    /** The session (loaded, or fresh and unsaved). */
    public session: Session,
    /** The authenticated user, or null. */
    public user: UserRecord | null,
    /** The token the client sent (app), to tell whether a new one must be handed out. */
    readonly sentToken: string | null,
    readonly cookies: Map<string, string>,
  ) {
    this.csrfToken = client === Client.BROWSER ? (cookies.get(rt.options.csrf.cookieName) ?? null) : null;
  }

  get options() {
    return this.rt.options;
  }

  get db() {
    return this.rt.store.db;
  }

  get userAgent(): string {
    return this.request.headers.get("user-agent") ?? "";
  }

  now(): number {
    return this.rt.now();
  }

  /** A new CSRF token, as Django does at login: tokens seen before login stop working. */
  rotateCsrf(): void {
    if (this.client === Client.BROWSER) this.csrfToken = newCsrfToken();
  }

  /**
   * Consumes one attempt of a rate-limited action for this caller (ip, user, and `key` when the
   * action has per-key rules). False means the limit is reached.
   */
  async rateLimit(action: RateLimitAction, key?: string | null): Promise<boolean> {
    const limiter = this.rt.rateLimiter;
    if (!limiter) return true;
    return limiter.consume(action, { ip: this.ip, user: this.user?.id ?? null, key: key ?? null });
  }
}

export function newCsrfToken(): string {
  return randomString(32, CSRF_ALPHABET);
}

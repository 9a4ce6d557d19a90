import type { z } from "zod";
import type { Client } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { Context } from "./context.js";
import type { RateLimitAction } from "./ratelimit/index.js";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * One endpoint, as data (DESIGN §3): the router, the served OpenAPI document and the tests are
 * all built from these. `path` is relative to `/{base}/{client}/v1`.
 */
export interface Route<I = unknown> {
  method: Method;
  path: string;
  /** The trees that have this endpoint (default: both). */
  clients?: readonly Client[];
  /** The JSON body's schema (validated before the handler runs). */
  input?: z.ZodType<I>;
  /** An ip/user-keyed rate limit consumed before the body is read (429 when reached). */
  rateLimit?: RateLimitAction;
  /**
   * Only for a logged-in caller (allauth `AuthenticatedAPIView`): anyone else gets the 401 flows
   * answer before the body is validated (after the route's rate limit, as allauth orders them).
   */
  requiresAuthentication?: boolean;
  summary: string;
  handler: (ctx: Context, input: I) => Promise<Result>;
}

/** Declares a route, keeping its input type tied to its handler. */
export function route<I>(def: Route<I>): Route {
  return def as unknown as Route;
}

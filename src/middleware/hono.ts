import type { MiddlewareHandler } from "hono";
import { authenticateCaller, type LatchkeyCaller, type LatchkeyVerifier } from "./caller.js";

export type { LatchkeyCaller, LatchkeyVerifier } from "./caller.js";

/** The Hono variables requireUser() sets: `c.get("latchkeyUser")`. */
export interface LatchkeyVariables {
  latchkeyUser: LatchkeyCaller;
}

/**
 * Hono middleware for your own API: lets through requests with a valid `X-Session-Token` or
 * (JWT strategy) `Authorization: Bearer <access token>`, with `c.get("latchkeyUser")` set;
 * answers anything else with 401 `{"status":401}`.
 */
export function requireUser(latchkey: LatchkeyVerifier): MiddlewareHandler<{ Variables: LatchkeyVariables }> {
  return async (c, next) => {
    const caller = await authenticateCaller(latchkey, {
      sessionToken: c.req.header("x-session-token"),
      authorization: c.req.header("authorization"),
    });
    if (!caller) return c.json({ status: 401 }, 401);
    c.set("latchkeyUser", caller);
    await next();
  };
}

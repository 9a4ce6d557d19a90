import type { Latchkey } from "../latchkey.js";

/**
 * `latchkey/next`: route handlers for the Next.js App Router.
 *
 * ```ts
 * // app/%5Fallauth/[...path]/route.ts — "%5F" because Next treats folders starting with "_" as
 * // private (not routed); %5F is Next's documented way to get a URL segment that starts with "_".
 * import { toNextHandlers } from "latchkey/next";
 * import { latchkey } from "@/lib/latchkey"; // one createLatchkey() per process
 * export const { GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD } = toNextHandlers(latchkey);
 * export const runtime = "nodejs"; // the SQLite and PostgreSQL drivers need Node, not the Edge runtime
 * export const dynamic = "force-dynamic";
 * ```
 *
 * Next does not expose the client's socket address to route handlers, so the client IP (rate
 * limits, the sessions list) comes from Latchkey's proxy options: set `proxy.trustedProxyCount`
 * (X-Forwarded-For, e.g. 1 behind Vercel or one reverse proxy) or `proxy.trustedClientIpHeader`.
 */

export type NextRouteHandler = (request: Request) => Promise<Response>;

export interface NextHandlers {
  GET: NextRouteHandler;
  HEAD: NextRouteHandler;
  POST: NextRouteHandler;
  PUT: NextRouteHandler;
  PATCH: NextRouteHandler;
  DELETE: NextRouteHandler;
  OPTIONS: NextRouteHandler;
}

export function toNextHandlers(latchkey: Latchkey): NextHandlers {
  // Next passes a second argument (route params); Latchkey routes on the URL alone.
  const handle: NextRouteHandler = (request) => latchkey.handler(request);
  return {
    GET: handle,
    HEAD: handle,
    POST: handle,
    PUT: handle,
    PATCH: handle,
    DELETE: handle,
    OPTIONS: handle,
  };
}

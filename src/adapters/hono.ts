import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import type { Latchkey } from "../latchkey.js";
import { isUnder } from "./node.js";

/**
 * `latchkey/hono`: Latchkey as a Hono handler, mounted with
 * `app.all("/_allauth/*", latchkeyHono(latchkey))` (or `app.use(latchkeyHono(latchkey))`:
 * requests outside the paths Latchkey serves go on to `next()`).
 */

export interface LatchkeyHonoOptions {
  /**
   * The client's socket address. By default it is read from `@hono/node-server`'s
   * `c.env.incoming`; on other runtimes pass e.g. `(c) => getConnInfo(c).remote.address`.
   */
  remoteAddress?: (c: Context) => string | undefined;
}

export function latchkeyHono(latchkey: Latchkey, options: LatchkeyHonoOptions = {}): MiddlewareHandler {
  const prefixes = latchkey.prefixes;
  const remoteAddressOf = options.remoteAddress ?? nodeServerRemoteAddress;
  return async (c, next) => {
    if (!prefixes.some((prefix) => isUnder(c.req.path, prefix))) {
      await next();
      return;
    }
    const remoteAddress = remoteAddressOf(c);
    return latchkey.handler(await unreadRequest(c), remoteAddress === undefined ? {} : { remoteAddress });
  };
}

function nodeServerRemoteAddress(c: Context): string | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming?.socket?.remoteAddress;
}

/** The raw Request, or a copy carrying the body again when earlier middleware already read it (c.req.json()…). */
async function unreadRequest(c: Context): Promise<Request> {
  const raw = c.req.raw;
  if (!raw.bodyUsed) return raw;
  // Hono caches what was read and converts between forms, so the text is still available.
  const body = await c.req.text();
  const headers = new Headers(raw.headers);
  headers.delete("transfer-encoding");
  headers.delete("content-length");
  return new Request(raw.url, { method: raw.method, headers, body });
}

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Latchkey } from "../latchkey.js";
import { isUnder, type NodeListenerOptions, remoteInfo, toWebRequest, writeWebResponse } from "./node.js";

/**
 * `latchkey/express`: Latchkey as Express middleware. Typed structurally so that this module
 * needs no Express types: an Express request is an IncomingMessage with `originalUrl` and `body`.
 */

export interface ExpressLikeRequest extends IncomingMessage {
  /** The URL before Express stripped a mount path. */
  originalUrl?: string;
  /** Set by body parsers such as express.json(). */
  body?: unknown;
}

export type ExpressMiddleware = (
  req: ExpressLikeRequest,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/**
 * Answers requests under the paths Latchkey serves (`latchkey.prefixes`: the API base, and the
 * pages outside it such as provider callbacks) and passes every other request to `next()`.
 * Mount it at the app's root: `app.use(latchkeyExpress(latchkey))`. Put it before `express.json()`
 * when you can: a body that a parser already consumed is re-serialised from `req.body`, and a parser's
 * own size limit answers before Latchkey's 413.
 */
export function latchkeyExpress(latchkey: Latchkey, options: NodeListenerOptions = {}): ExpressMiddleware {
  const prefixes = latchkey.prefixes;
  return (req, res, next) => {
    const path = req.originalUrl ?? req.url ?? "/";
    if (!prefixes.some((prefix) => isUnder(path, prefix))) {
      next();
      return;
    }
    let request: Request;
    try {
      request = toWebRequest(req, options, { path, ...consumedBody(req) });
    } catch (err) {
      next(err);
      return;
    }
    latchkey
      .handler(request, remoteInfo(req))
      .then((response) => writeWebResponse(res, response))
      .catch((err: unknown) => {
        if (res.headersSent) res.destroy();
        else next(err);
      });
  };
}

/** The body a parser already read off the socket, as text again; none when the stream is untouched. */
function consumedBody(req: ExpressLikeRequest): { body?: string | Uint8Array } {
  const parsed = (req as { _body?: unknown })._body === true || req.readableEnded;
  if (!parsed || req.method === "GET" || req.method === "HEAD") return {};
  const body = req.body;
  if (body === undefined || body === null) return { body: "" };
  if (typeof body === "string" || body instanceof Uint8Array) return { body };
  return { body: JSON.stringify(body) };
}

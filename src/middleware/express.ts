import type { NextFunction, Request, RequestHandler, Response } from "express";
import { authenticateCaller, type LatchkeyCaller, type LatchkeyVerifier } from "./caller.js";

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
 * Express middleware for your own API: lets through requests with a valid `X-Session-Token`
 * or (JWT strategy) `Authorization: Bearer <access token>`, with `req.latchkeyUser` set;
 * answers anything else with 401 `{"status":401}`.
 */
export function requireUser(latchkey: LatchkeyVerifier): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    authenticateCaller(latchkey, {
      sessionToken: req.get("x-session-token"),
      authorization: req.get("authorization"),
    }).then((caller) => {
      if (!caller) {
        res.status(401).json({ status: 401 });
        return;
      }
      req.latchkeyUser = caller;
      next();
    }, next);
  };
}

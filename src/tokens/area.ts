import { z } from "zod";
import type { Area } from "../base/area.js";
import { type Route, route } from "../base/route.js";
import { Client } from "../core/enums.js";
import { field } from "../core/input.js";
import { ok } from "../core/responses.js";
import { Answers, okAnswer } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";

/**
 * POST /tokens/refresh `{refresh_token}`. Django's CharField takes numbers and booleans as their
 * text, so those reach the strategy (and fail there as a bare 400) rather than failing as input.
 */
export const RefreshTokenInput = z.object({
  refresh_token: z.preprocess(
    (v) => (typeof v === "number" || typeof v === "boolean" ? String(v) : v),
    field.text(),
  ),
});
export type RefreshTokenInput = z.infer<typeof RefreshTokenInput>;

function tokenRoutes(o: ResolvedOptions): Route[] {
  const routes: Route[] = [
    route({
      method: "POST",
      path: "/tokens/refresh",
      summary: "Exchange a refresh token for a new access token",
      responses: {
        200: okAnswer(
          "A new access token, and a new refresh token when they rotate.",
          z.object({ access_token: z.string(), refresh_token: z.string().optional() }),
        ),
        400: Answers.error,
      },
      clients: [Client.APP],
      input: RefreshTokenInput,
      async handler(ctx, input: RefreshTokenInput) {
        // Any failure (bad signature, expired, rotated out, session gone, no JWT strategy) is a bare 400.
        const tokens = ctx.rt.tokens.refresh ? await ctx.rt.tokens.refresh(input.refresh_token) : null;
        return tokens ? ok(tokens) : { status: 400 };
      },
    }),
  ];
  if (o.tokens.strategy === "jwt") {
    routes.push(
      route({
        method: "GET",
        path: "/tokens/jwks",
        summary: "The public keys that verify access tokens (JWKS, inside the envelope)",
        responses: {
          200: okAnswer(
            "The JSON Web Key Set (empty for HS256).",
            z.object({ keys: z.array(z.record(z.string(), z.unknown())) }),
          ),
        },
        clients: [Client.APP],
        async handler(ctx) {
          const jwks = ctx.rt.tokens.jwks ? await ctx.rt.tokens.jwks() : { keys: [] };
          return ok({ keys: jwks.keys });
        },
      }),
    );
  }
  return routes;
}

/** Token endpoints of the app tree (refresh, and the JWKS with the JWT strategy). */
export const tokensArea: Area = {
  name: "tokens",
  routes: tokenRoutes,
};

import { z } from "zod";
import type { Context } from "../base/context.js";
import { type Route, route } from "../base/route.js";
import { field } from "../core/input.js";
import { ok, type Result } from "../core/responses.js";
import {
  completeUnboundRedirect,
  startUnboundRedirect,
  type UnboundFailure,
} from "../social/flows/redirect.js";
import { outcomeResult } from "../social/flows/token.js";
import { configuredProviders, visibleApp } from "../social/providers/registry.js";
import { providerInfo } from "../social/serialize.js";
import { refreshTokens } from "./tokens.js";

/**
 * The compact routes the app tree has no route for: the refresh of its own tokens, the providers
 * of both flows, and the provider redirect without a browser session. They run like app routes
 * (input schema, rate limit, handler); a 200's `data` is the compact answer.
 */

/** POST /auth/token/refresh/. */
export const CompactRefreshInput = z.object({ refresh_token: field.text() });
export type CompactRefreshInput = z.infer<typeof CompactRefreshInput>;

/** POST /auth/providers/<id>/callback/: what the provider sent back to the frontend. */
export const CompactCallbackInput = z.object({
  code: field.text(),
  state: field.text(),
  /** The `iss` the provider sent along (RFC 9207), when the frontend forwards it. */
  iss: field.optionalText(),
});
export type CompactCallbackInput = z.infer<typeof CompactCallbackInput>;

export const refreshRoute: Route = route({
  method: "POST",
  path: "/token/refresh",
  summary: "A new token pair for a refresh token",
  input: CompactRefreshInput,
  async handler(ctx, input: CompactRefreshInput) {
    const tokens = await refreshTokens(ctx.rt, input.refresh_token);
    return tokens ? ok(tokens) : ctx.invalid("invalid_token.refresh", "refresh_token");
  },
});

/** The configured providers clients can use, by either flow, sorted by name (as GET /config lists them). */
export const providersRoute: Route = route({
  method: "GET",
  path: "/providers",
  summary: "The social providers",
  async handler(ctx) {
    const providers = configuredProviders(ctx.options)
      .flatMap((p) => {
        const app = visibleApp(p);
        return app && (app.spec.redirect || app.spec.token) ? [providerInfo(app)] : [];
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return ok({ providers });
  },
});

function unboundFailure(ctx: Context, failed: UnboundFailure, param: string): Result {
  switch (failed) {
    case "unknown_provider":
      return { status: 404, errors: [ctx.error("not_found")] };
    case "state_lost":
      return ctx.invalid("invalid_token.state", "state");
    case "provider_failed":
      return ctx.invalid("invalid_token", param);
  }
}

export const providerRedirectRoute: Route = route({
  method: "POST",
  path: "/providers/:provider/redirect",
  summary: "Start a provider login; the provider returns to compactApi.providerCallbackUrl",
  // Starting a provider login is a login, as for the app tree's redirect: it writes a state.
  rateLimit: "login",
  async handler(ctx, input: { provider: string }) {
    const started = await startUnboundRedirect(
      ctx,
      input.provider,
      ctx.options.compactApi.providerCallbackUrl,
    );
    if ("failed" in started) {
      return started.failed === "provider_failed"
        ? { status: 502, errors: [ctx.error("provider_unavailable")] }
        : unboundFailure(ctx, started.failed, "provider");
    }
    return ok({ redirect_url: started.url });
  },
});

export const providerCallbackRoute: Route = route({
  method: "POST",
  path: "/providers/:provider/callback",
  summary: "Complete a provider login with the code and state the provider sent back",
  rateLimit: "login",
  input: CompactCallbackInput.extend({ provider: z.string() }),
  async handler(ctx, input: CompactCallbackInput & { provider: string }) {
    const callback = new URLSearchParams({ code: input.code, state: input.state });
    if (input.iss !== undefined) callback.set("iss", input.iss);
    const outcome = await completeUnboundRedirect(ctx, input.provider, callback);
    if ("failed" in outcome) return unboundFailure(ctx, outcome.failed, "code");
    return outcomeResult(ctx, outcome);
  },
});

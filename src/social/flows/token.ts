import { ReauthenticationRequired } from "../../base/auth.js";
import type { Context } from "../../base/context.js";
import { badRequest, forbidden, type Result } from "../../core/responses.js";
import { readTokenRequest } from "../inputs.js";
import { callProvider, logProviderFailure } from "../runtime.js";
import { type SocialLogin, socialLoginFrom } from "../sociallogin.js";
import { completeSocialLogin } from "./complete.js";
import type { SocialOutcome } from "./connect.js";

/**
 * POST /auth/provider/token (allauth ProviderTokenView): a token the client got from the provider
 * itself (a mobile SDK, Google One Tap) is verified with the provider (an id_token against its
 * keys, an access token with its API), then the person logs in, signs up or is connected.
 */
export async function providerToken(ctx: Context, body: Record<string, unknown>): Promise<Result> {
  const request = readTokenRequest(ctx, body);
  if (Array.isArray(request)) return badRequest(request);
  const { provider, process, token } = request;
  let login: SocialLogin;
  try {
    const data = await provider.spec.verifyToken!(callProvider(ctx, provider), token);
    login = socialLoginFrom(
      provider,
      data,
      token.accessToken ? { accessToken: token.accessToken, refreshToken: null, expiresAt: null } : null,
    );
  } catch (err) {
    logProviderFailure(ctx, provider.id, err, "provider token refused");
    return ctx.invalid("invalid_token", "token");
  }
  return outcomeResult(ctx, await completeSocialLogin(ctx, login, process));
}

/** The answer to a provider login that was not completed by a redirect (allauth's token view answers). */
export function outcomeResult(ctx: Context, outcome: SocialOutcome): Result {
  if ("result" in outcome) return outcome.result;
  switch (outcome.refused) {
    case "signup_closed":
    case "permission_denied":
      return forbidden();
    case "connected_other":
      return ctx.invalid("connected_other");
    case "reauthentication_required":
      throw new ReauthenticationRequired();
  }
}

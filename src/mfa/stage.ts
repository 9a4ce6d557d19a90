import { unauthenticated } from "../account/auth-state.js";
import { completeStage, pendingLogin } from "../account/flows/login.js";
import type { Stage } from "../account/stages.js";
import { AuthenticatorType, Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { Context } from "../http/context.js";
import type { AuthRecord } from "../sessions/session.js";
import { authenticatorTypes } from "./authenticators.js";
import { isTrustedBrowser, offerTrust } from "./trust.js";

/**
 * mfa.AuthenticateStage: after any first factor, a user with TOTP or WebAuthn must present a
 * second one — unless the first factor was a passkey (already two factors) or this browser is
 * trusted for the user's current setup.
 */
export const mfaAuthenticateStage: Stage = {
  key: Flow.MFA_AUTHENTICATE,
  async applies(ctx, login, user) {
    if (!ctx.options.mfa.enabled) return false;
    if (login.records.some((r) => r.method === "mfa" && r.passwordless)) return false;
    const types = await authenticatorTypes(ctx.db, user.id);
    if (!types.includes(AuthenticatorType.TOTP) && !types.includes(AuthenticatorType.WEBAUTHN)) return false;
    return !(await isTrustedBrowser(ctx, user));
  },
  async start(_ctx, login) {
    offerTrust(login);
  },
  async describe(ctx, login) {
    return { types: await authenticatorTypes(ctx.db, login.userId) };
  },
};

/**
 * Completes a pending mfa_authenticate stage with the record of the authenticator used
 * (TOTP, recovery code or WebAuthn). Answers 401 with `is_authenticated: null` when the stage
 * is not pending, as allauth does.
 */
export async function completeMfaAuthentication(ctx: Context, record: AuthRecord): Promise<Result> {
  const login = pendingLogin(ctx);
  if (!login || login.stage !== Flow.MFA_AUTHENTICATE) return unauthenticated(ctx, { isAuthenticated: null });
  return completeStage(ctx, login, record);
}

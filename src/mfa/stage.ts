import type { Stage } from "../base/context.js";
import { AuthenticatorType, Flow } from "../core/enums.js";
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
    const types = await authenticatorTypes(ctx, user.id);
    if (!types.includes(AuthenticatorType.TOTP) && !types.includes(AuthenticatorType.WEBAUTHN)) return false;
    return !(await isTrustedBrowser(ctx, user));
  },
  async start(_ctx, login) {
    offerTrust(login);
  },
  async describe(ctx, login) {
    return { types: await authenticatorTypes(ctx, login.userId) };
  },
};

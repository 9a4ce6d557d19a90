import type { Stage } from "../../base/context.js";
import { Flow } from "../../core/enums.js";
import type { PendingLogin } from "../../sessions/session.js";

/** `login.state` key marking a login that began as a passkey signup (allauth `login.state["passkey_signup"]`). */
export const PASSKEY_SIGNUP = "passkey_signup";

export function markPasskeySignup(login: PendingLogin): void {
  login.state[PASSKEY_SIGNUP] = true;
}

/**
 * allauth PasskeySignupStage: a signup begun with POST /auth/webauthn/signup ends by creating the
 * passkey (GET/PUT /auth/webauthn/signup), after the email is verified (STAGE_ORDER puts it last).
 */
export const passkeySignupStage: Stage = {
  key: Flow.MFA_SIGNUP_WEBAUTHN,
  async applies(ctx, login) {
    return ctx.options.mfa.passkeySignup && login.state[PASSKEY_SIGNUP] === true;
  },
};

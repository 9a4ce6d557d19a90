import { z } from "zod";
import type { Area } from "../base/area.js";
import type { AuthenticatedContext } from "../base/context.js";
import type { LatchkeyHooks } from "../base/hooks.js";
import { authenticated, pendingStage, type Route, route } from "../base/route.js";
import { AuthenticatorType, Client, Flow } from "../core/enums.js";
import { ok } from "../core/responses.js";
import type { FlowInfo } from "../core/wire.js";
import {
  Answers,
  answer,
  okAnswer,
  SensitiveRecoveryCodesAuthenticator,
  TOTPAuthenticator,
} from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import { authenticateWithCode, reauthenticateWithCode } from "./authenticate.js";
import { authenticatorTypes, serializeAuthenticator } from "./authenticators.js";
import { CodeInput, TrustInput } from "./inputs.js";
import { mfaMessages } from "./messages.js";
import { checkMfaOptions, mfaOptions } from "./options.js";
import { regenerateRecoveryCodes, viewRecoveryCodes } from "./recovery-codes.js";
import { mfaAuthenticateStage } from "./stage.js";
import { activateTotp, deactivateTotp, getTotp } from "./totp.js";
import { answerTrust, mfaTrustStage } from "./trust.js";
import { webauthnRoutes } from "./webauthn/routes.js";
import { passkeySignupStage } from "./webauthn/stage.js";

const totpAnswer = okAnswer("The active TOTP authenticator.", TOTPAuthenticator);
const recoveryCodesAnswer = okAnswer("The recovery codes.", SensitiveRecoveryCodesAuthenticator);

/** The MFA endpoints: which exist follows mfa.enabled, mfa.supportedTypes and mfa.trust. */
function mfaRoutes(o: ResolvedOptions, hooks: LatchkeyHooks): Route[] {
  if (!o.mfa.enabled) return [];
  const types = o.mfa.supportedTypes;
  const routes: Route[] = [
    route({
      method: "POST",
      path: "/auth/2fa/authenticate",
      summary: "Two-factor authentication (TOTP or recovery code)",
      responses: { 200: Answers.authenticated, 400: Answers.error, 401: Answers.authentication },
      gate: pendingStage(Flow.MFA_AUTHENTICATE, "unauthenticated"),
      input: CodeInput,
      handler: authenticateWithCode,
    }),
    route({
      method: "POST",
      path: "/auth/2fa/reauthenticate",
      summary: "Reauthenticate with a TOTP or recovery code",
      responses: { 200: Answers.authenticated, 400: Answers.error },
      gate: authenticated,
      input: CodeInput,
      handler: reauthenticateWithCode,
    }),
    route({
      method: "GET",
      path: "/account/authenticators",
      summary: "List authenticators",
      responses: { 200: Answers.authenticators },
      gate: authenticated,
      handler: async (ctx: AuthenticatedContext) =>
        ok((await ctx.rt.authenticators.list(ctx.user.id)).map((row) => serializeAuthenticator(row))),
    }),
  ];
  if (o.mfa.trust.enabled) {
    routes.push(
      route({
        method: "POST",
        path: "/auth/2fa/trust",
        clients: [Client.BROWSER],
        summary: "Trust this browser (skip MFA on later logins)",
        responses: {
          200: Answers.authenticated,
          400: Answers.error,
          401: Answers.authentication,
        },
        gate: pendingStage(Flow.MFA_TRUST, "unauthenticated"),
        input: TrustInput,
        handler: answerTrust,
      }),
    );
  }
  if (types.includes(AuthenticatorType.TOTP)) {
    routes.push(
      route({
        method: "GET",
        path: "/account/authenticators/totp",
        summary: "TOTP authenticator status",
        responses: {
          200: totpAnswer,
          404: answer(
            "No TOTP yet: a new secret to set one up with (activate it with a code of the app that scanned it).",
            z.object({
              status: z.literal(404),
              meta: z.object({
                secret: z.string(),
                totp_url: z.string().describe("The otpauth:// URI of the secret."),
                qr_code_svg: z.string().describe("The otpauth:// URI as a QR code (an SVG document)."),
              }),
            }),
          ),
          409: Answers.conflict,
        },
        gate: authenticated,
        handler: getTotp,
      }),
      route({
        method: "POST",
        path: "/account/authenticators/totp",
        summary: "Activate TOTP",
        responses: {
          200: totpAnswer,
          400: Answers.error,
          401: Answers.authenticationOrReauthentication,
          409: Answers.conflict,
        },
        gate: authenticated,
        input: CodeInput,
        handler: activateTotp,
      }),
      route({
        method: "DELETE",
        path: "/account/authenticators/totp",
        summary: "Deactivate TOTP",
        responses: { 200: Answers.statusOK, 401: Answers.authenticationOrReauthentication },
        gate: authenticated,
        handler: deactivateTotp,
      }),
    );
  }
  if (types.includes(AuthenticatorType.RECOVERY_CODES)) {
    routes.push(
      route({
        method: "GET",
        path: "/account/authenticators/recovery-codes",
        summary: "List recovery codes",
        responses: {
          200: recoveryCodesAnswer,
          401: Answers.authenticationOrReauthentication,
          404: Answers.notFound,
        },
        gate: authenticated,
        handler: viewRecoveryCodes,
      }),
      route({
        method: "POST",
        path: "/account/authenticators/recovery-codes",
        summary: "Regenerate recovery codes",
        responses: {
          200: recoveryCodesAnswer,
          400: Answers.error,
          401: Answers.authenticationOrReauthentication,
          409: Answers.conflict,
        },
        gate: authenticated,
        handler: regenerateRecoveryCodes,
      }),
    );
  }
  if (types.includes(AuthenticatorType.WEBAUTHN)) routes.push(...webauthnRoutes(o, hooks));
  return routes;
}

/**
 * allauth's mfa app: TOTP, recovery codes, WebAuthn security keys and passkeys, trusted browsers;
 * the mfa_authenticate, mfa_trust and mfa_signup_webauthn stages.
 */
export const mfaArea: Area = {
  name: "mfa",
  options: { mfa: mfaOptions },
  checkOptions: checkMfaOptions,
  routes: mfaRoutes,
  stages: [mfaAuthenticateStage, mfaTrustStage, passkeySignupStage],
  config: (o) =>
    o.mfa.enabled
      ? {
          key: "mfa",
          value: { supported_types: o.mfa.supportedTypes, passkey_login_enabled: o.mfa.passkeyLogin },
        }
      : undefined,
  async flows(ctx) {
    const m = ctx.options.mfa;
    if (!m.enabled) return [];
    const flows: FlowInfo[] = [];
    if (ctx.user) {
      const types = await authenticatorTypes(ctx, ctx.user.id);
      if (types.length > 0) flows.push({ id: Flow.MFA_REAUTHENTICATE, types });
    } else if (m.passkeyLogin) {
      flows.push({ id: Flow.MFA_LOGIN_WEBAUTHN });
    }
    return flows;
  },
  messages: mfaMessages,
  hooks: {
    /**
     * allauth.mfa's `_add_email` receiver: an account protected by two-factor authentication may
     * not add an address it has not proven (links could be followed by whoever holds the
     * mailbox), unless mfa.allowUnverifiedEmail.
     */
    async refuseAddingEmail(ctx, user) {
      const m = ctx.options.mfa;
      if (!m.enabled || m.allowUnverifiedEmail) return null;
      const types = await authenticatorTypes(ctx, user.id);
      const protectedBy =
        types.includes(AuthenticatorType.TOTP) || types.includes(AuthenticatorType.WEBAUTHN);
      return protectedBy ? ctx.error("add_email_blocked", "email") : null;
    },
  },
};

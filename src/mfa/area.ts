import { unauthenticated } from "../account/auth-state.js";
import type { Area } from "../area.js";
import { AuthenticatorType, Client } from "../core/enums.js";
import { ok } from "../core/responses.js";
import { type Route, route } from "../http/route.js";
import type { ResolvedOptions } from "../options/schema.js";
import { authenticateWithCode, reauthenticateWithCode } from "./authenticate.js";
import { loadAuthenticators, serializeAuthenticator } from "./authenticators.js";
import { CodeInput, TrustInput } from "./inputs.js";
import { regenerateRecoveryCodes, viewRecoveryCodes } from "./recovery-codes.js";
import { mfaAuthenticateStage } from "./stage.js";
import { activateTotp, deactivateTotp, getTotp } from "./totp.js";
import { answerTrust, mfaTrustStage } from "./trust.js";

/** allauth `headless/mfa/urls.py`: which MFA endpoints exist follows mfa.enabled, supportedTypes and trust. */
function mfaRoutes(o: ResolvedOptions): Route[] {
  if (!o.mfa.enabled) return [];
  const types = o.mfa.supportedTypes;
  const routes: Route[] = [
    route({
      method: "POST",
      path: "/auth/2fa/authenticate",
      summary: "Two-factor authentication (TOTP or recovery code)",
      input: CodeInput,
      handler: authenticateWithCode,
    }),
    route({
      method: "POST",
      path: "/auth/2fa/reauthenticate",
      summary: "Reauthenticate with a TOTP or recovery code",
      input: CodeInput,
      handler: reauthenticateWithCode,
    }),
    route({
      method: "GET",
      path: "/account/authenticators",
      summary: "List authenticators",
      handler: async (ctx) => {
        if (!ctx.user) return unauthenticated(ctx);
        const rows = await loadAuthenticators(ctx.db, ctx.user.id);
        return ok(rows.map((row) => serializeAuthenticator(row)));
      },
    }),
  ];
  if (o.mfa.trust.enabled) {
    routes.push(
      route({
        method: "POST",
        path: "/auth/2fa/trust",
        clients: [Client.BROWSER],
        summary: "Trust this browser (skip MFA on later logins)",
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
        handler: getTotp,
      }),
      route({
        method: "POST",
        path: "/account/authenticators/totp",
        summary: "Activate TOTP",
        input: CodeInput,
        handler: activateTotp,
      }),
      route({
        method: "DELETE",
        path: "/account/authenticators/totp",
        summary: "Deactivate TOTP",
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
        handler: viewRecoveryCodes,
      }),
      route({
        method: "POST",
        path: "/account/authenticators/recovery-codes",
        summary: "Regenerate recovery codes",
        handler: regenerateRecoveryCodes,
      }),
    );
  }
  return routes;
}

/** MFA: TOTP, recovery codes, the mfa_authenticate and mfa_trust stages, 2FA endpoints. */
export const mfaArea: Area = {
  name: "mfa",
  routes: mfaRoutes,
  stages: [mfaAuthenticateStage, mfaTrustStage],
};

import type { LatchkeyHooks } from "../../base/hooks.js";
import { authenticated, pendingStage, type Route, route } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import type { ResolvedOptions } from "../../options/schema.js";
import {
  addAuthenticator,
  addOptions,
  authenticate,
  authenticateOptions,
  beginPasskeySignup,
  completePasskeySignup,
  deleteAuthenticators,
  login,
  loginOptions,
  passkeySignupOptions,
  reauthenticate,
  reauthenticateOptions,
  renameAuthenticator,
} from "./flows.js";
import {
  AddWebAuthnInput,
  CredentialInput,
  DeleteWebAuthnInput,
  passkeySignupInput,
  UpdateWebAuthnInput,
} from "./inputs.js";

/** The WebAuthn endpoints: present with "webauthn" in mfa.supportedTypes. */
export function webauthnRoutes(o: ResolvedOptions, hooks: LatchkeyHooks): Route[] {
  const secondFactor = pendingStage(Flow.MFA_AUTHENTICATE, "unauthenticated");
  const passkeySignup = pendingStage(Flow.MFA_SIGNUP_WEBAUTHN, "conflict");
  const routes: Route[] = [
    route({
      method: "GET",
      path: "/account/authenticators/webauthn",
      summary: "WebAuthn credential creation options (?passwordless for a passkey)",
      gate: authenticated,
      handler: addOptions,
    }),
    route({
      method: "POST",
      path: "/account/authenticators/webauthn",
      summary: "Add a WebAuthn credential",
      gate: authenticated,
      input: AddWebAuthnInput,
      handler: addAuthenticator,
    }),
    route({
      method: "PUT",
      path: "/account/authenticators/webauthn",
      summary: "Rename a WebAuthn credential",
      gate: authenticated,
      input: UpdateWebAuthnInput,
      handler: renameAuthenticator,
    }),
    route({
      method: "DELETE",
      path: "/account/authenticators/webauthn",
      summary: "Delete WebAuthn credentials",
      gate: authenticated,
      input: DeleteWebAuthnInput,
      handler: deleteAuthenticators,
    }),
    route({
      method: "GET",
      path: "/auth/webauthn/authenticate",
      summary: "WebAuthn request options for two-factor authentication",
      gate: secondFactor,
      handler: authenticateOptions,
    }),
    route({
      method: "POST",
      path: "/auth/webauthn/authenticate",
      summary: "Two-factor authentication with a WebAuthn credential",
      gate: secondFactor,
      input: CredentialInput,
      handler: authenticate,
    }),
    route({
      method: "GET",
      path: "/auth/webauthn/reauthenticate",
      summary: "WebAuthn request options for reauthentication",
      gate: authenticated,
      handler: reauthenticateOptions,
    }),
    route({
      method: "POST",
      path: "/auth/webauthn/reauthenticate",
      summary: "Reauthenticate with a WebAuthn credential",
      gate: authenticated,
      input: CredentialInput,
      handler: reauthenticate,
    }),
  ];
  if (o.mfa.passkeyLogin) {
    routes.push(
      route({
        method: "GET",
        path: "/auth/webauthn/login",
        summary: "WebAuthn request options for passkey login",
        // Each passkey login needs a fresh challenge (single use), so this counts passkey logins
        // against the same per-IP budget as password logins, and bounds the sessions one IP can
        // create here.
        rateLimit: "login",
        handler: loginOptions,
      }),
      route({
        method: "POST",
        path: "/auth/webauthn/login",
        summary: "Log in with a passkey",
        input: CredentialInput,
        handler: login,
      }),
    );
  }
  if (o.mfa.passkeySignup) {
    routes.push(
      route({
        method: "POST",
        path: "/auth/webauthn/signup",
        summary: "Start a passkey signup (signup fields without a password)",
        input: passkeySignupInput(o, hooks.signupFields),
        rateLimit: "signup",
        handler: beginPasskeySignup,
      }),
      route({
        method: "GET",
        path: "/auth/webauthn/signup",
        summary: "WebAuthn creation options for the passkey of a signup",
        gate: passkeySignup,
        handler: passkeySignupOptions,
      }),
      route({
        method: "PUT",
        path: "/auth/webauthn/signup",
        summary: "Complete a passkey signup with the new credential",
        // allauth validates the new credential's input before it looks for the stage.
        gate: pendingStage(Flow.MFA_SIGNUP_WEBAUTHN, "conflict", { afterInput: true }),
        input: AddWebAuthnInput,
        handler: completePasskeySignup,
      }),
    );
  }
  return routes;
}

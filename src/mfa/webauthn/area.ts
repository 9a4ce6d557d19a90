import type { Area } from "../../area.js";
import { AuthenticatorType } from "../../core/enums.js";
import { type Route, route } from "../../http/route.js";
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
import { passkeySignupStage } from "./stage.js";

/** allauth `headless/mfa/urls.py`, WebAuthn part: present with "webauthn" in mfa.supportedTypes. */
function webauthnRoutes(o: ResolvedOptions): Route[] {
  if (!o.mfa.enabled || !o.mfa.supportedTypes.includes(AuthenticatorType.WEBAUTHN)) return [];
  const routes: Route[] = [
    route({
      method: "GET",
      path: "/account/authenticators/webauthn",
      summary: "WebAuthn credential creation options (?passwordless for a passkey)",
      handler: addOptions,
    }),
    route({
      method: "POST",
      path: "/account/authenticators/webauthn",
      summary: "Add a WebAuthn credential",
      input: AddWebAuthnInput,
      handler: addAuthenticator,
    }),
    route({
      method: "PUT",
      path: "/account/authenticators/webauthn",
      summary: "Rename a WebAuthn credential",
      input: UpdateWebAuthnInput,
      handler: renameAuthenticator,
    }),
    route({
      method: "DELETE",
      path: "/account/authenticators/webauthn",
      summary: "Delete WebAuthn credentials",
      input: DeleteWebAuthnInput,
      handler: deleteAuthenticators,
    }),
    route({
      method: "GET",
      path: "/auth/webauthn/authenticate",
      summary: "WebAuthn request options for two-factor authentication",
      handler: authenticateOptions,
    }),
    route({
      method: "POST",
      path: "/auth/webauthn/authenticate",
      summary: "Two-factor authentication with a WebAuthn credential",
      input: CredentialInput,
      handler: authenticate,
    }),
    route({
      method: "GET",
      path: "/auth/webauthn/reauthenticate",
      summary: "WebAuthn request options for reauthentication",
      handler: reauthenticateOptions,
    }),
    route({
      method: "POST",
      path: "/auth/webauthn/reauthenticate",
      summary: "Reauthenticate with a WebAuthn credential",
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
        input: passkeySignupInput(o),
        rateLimit: "signup",
        handler: beginPasskeySignup,
      }),
      route({
        method: "GET",
        path: "/auth/webauthn/signup",
        summary: "WebAuthn creation options for the passkey of a signup",
        handler: passkeySignupOptions,
      }),
      route({
        method: "PUT",
        path: "/auth/webauthn/signup",
        summary: "Complete a passkey signup with the new credential",
        input: AddWebAuthnInput,
        handler: completePasskeySignup,
      }),
    );
  }
  return routes;
}

/** WebAuthn security keys and passkeys: registration, 2FA, reauthentication, passkey login and signup. */
export const webauthnArea: Area = {
  name: "webauthn",
  routes: webauthnRoutes,
  stages: [passkeySignupStage],
};

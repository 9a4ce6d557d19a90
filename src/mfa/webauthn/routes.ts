import { z } from "zod";
import type { LatchkeyHooks } from "../../base/hooks.js";
import { authenticated, pendingStage, type Route, route } from "../../base/route.js";
import { Flow } from "../../core/enums.js";
import { Answers, okAnswer, WebAuthnAuthenticator } from "../../core/wire-schemas.js";
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
      responses: {
        200: Answers.webauthnCreationOptions,
        401: Answers.authenticationOrReauthentication,
        409: Answers.conflict,
      },
      reads: {
        query: z.object({
          passwordless: z
            .string()
            .optional()
            .describe("Present (with any value): options for a passkey (a discoverable credential)."),
        }),
      },
      gate: authenticated,
      handler: addOptions,
    }),
    route({
      method: "POST",
      path: "/account/authenticators/webauthn",
      summary: "Add a WebAuthn credential",
      responses: {
        200: okAnswer(
          "The new credential; `recovery_codes_generated`: whether recovery codes were made along with it.",
          WebAuthnAuthenticator,
          z.object({ recovery_codes_generated: z.boolean() }),
        ),
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
        409: Answers.conflict,
      },
      gate: authenticated,
      input: AddWebAuthnInput,
      handler: addAuthenticator,
    }),
    route({
      method: "PUT",
      path: "/account/authenticators/webauthn",
      summary: "Rename a WebAuthn credential",
      responses: {
        200: okAnswer("The renamed credential.", WebAuthnAuthenticator),
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
      },
      gate: authenticated,
      input: UpdateWebAuthnInput,
      handler: renameAuthenticator,
    }),
    route({
      method: "DELETE",
      path: "/account/authenticators/webauthn",
      summary: "Delete WebAuthn credentials",
      responses: {
        200: Answers.statusOK,
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
      },
      gate: authenticated,
      input: DeleteWebAuthnInput,
      handler: deleteAuthenticators,
    }),
    route({
      method: "GET",
      path: "/auth/webauthn/authenticate",
      summary: "WebAuthn request options for two-factor authentication",
      responses: { 200: Answers.webauthnRequestOptions },
      gate: secondFactor,
      handler: authenticateOptions,
    }),
    route({
      method: "POST",
      path: "/auth/webauthn/authenticate",
      summary: "Two-factor authentication with a WebAuthn credential",
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
      },
      gate: secondFactor,
      input: CredentialInput,
      handler: authenticate,
    }),
    route({
      method: "GET",
      path: "/auth/webauthn/reauthenticate",
      summary: "WebAuthn request options for reauthentication",
      responses: { 200: Answers.webauthnRequestOptions },
      gate: authenticated,
      handler: reauthenticateOptions,
    }),
    route({
      method: "POST",
      path: "/auth/webauthn/reauthenticate",
      summary: "Reauthenticate with a WebAuthn credential",
      responses: { 200: Answers.authenticated, 400: Answers.error },
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
        responses: { 200: Answers.webauthnRequestOptions },
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
        responses: {
          200: Answers.authenticated,
          400: Answers.error,
          401: Answers.authentication,
          409: Answers.conflict,
        },
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
        responses: {
          400: Answers.error,
          401: Answers.authentication,
          403: Answers.forbidden,
          409: Answers.conflict,
        },
        input: passkeySignupInput(o, hooks.signupFields),
        rateLimit: "signup",
        handler: beginPasskeySignup,
      }),
      route({
        method: "GET",
        path: "/auth/webauthn/signup",
        summary: "WebAuthn creation options for the passkey of a signup",
        responses: {
          200: Answers.webauthnCreationOptions,
          409: Answers.conflict,
        },
        gate: passkeySignup,
        handler: passkeySignupOptions,
      }),
      route({
        method: "PUT",
        path: "/auth/webauthn/signup",
        summary: "Complete a passkey signup with the new credential",
        responses: {
          200: Answers.authenticated,
          400: Answers.error,
          401: Answers.authentication,
          409: Answers.conflict,
        },
        // allauth validates the new credential's input before it looks for the stage.
        gate: pendingStage(Flow.MFA_SIGNUP_WEBAUTHN, "conflict", { afterInput: true }),
        input: AddWebAuthnInput,
        handler: completePasskeySignup,
      }),
    );
  }
  return routes;
}

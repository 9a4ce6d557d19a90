import { z } from "zod";
import { safeEqual } from "../core/crypto.js";
import { Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import { conflict } from "../core/responses.js";
import type { User } from "../core/wire.js";
import { Provider, User as UserSchema } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import { SessionKey } from "../sessions/keys.js";
import { configuredProviders, findProvider, visibleApp } from "../social/providers/registry.js";
import {
  CompactCallbackInput,
  providerCallbackRoute,
  providerRedirectRoute,
  providersRoute,
  refreshRoute,
} from "./own-routes.js";
import {
  CompactDone,
  CompactLogin,
  CompactPendingFlow,
  CompactTokens,
  compactOk,
  compactResponses,
  loggedInOrPending,
} from "./schemas.js";
import { answerOk, type CompactRoute, failure, type Translated } from "./translate.js";

/**
 * The compact API, route by route: the app-tree route each translates to, how its input maps onto
 * that route's, and what of that route's answer it answers (the common rules are in translate.ts).
 * A route is served when the route it translates to is (e.g. the MFA routes with mfa.enabled).
 */

/** The named fields of a body, those it has. */
function only(body: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.filter((n) => Object.hasOwn(body, n)).map((n) => [n, body[n]]));
}

/** Only these fields of the compact body go on. */
function pick(...names: string[]) {
  return (body: Record<string, unknown>): Translated => ({ body: only(body, names) });
}

/** The body without the pending-login token (which named the session). */
function withoutToken(body: Record<string, unknown>): Translated {
  const { token: _, ...rest } = body;
  return { body: rest };
}

const userOf = (result: Result) => (result.data as { user: User }).user;

export const COMPACT_ROUTES: readonly CompactRoute[] = [
  {
    method: "POST",
    path: "/signup",
    summary: "Sign up (the signup fields of account.signupFields)",
    responses: compactResponses(loggedInOrPending, 400, 403),
    runs: "POST /auth/signup",
    credential: "none",
    // A signup with an address mails a verification unless verification is off (also when the
    // address is taken and enumeration is prevented, where the owner is mailed instead).
    extra: (ctx, body) => ({
      verification_sent:
        ctx.options.account.emailVerification !== "none" &&
        typeof body.email === "string" &&
        body.email.trim() !== "",
    }),
  },
  {
    method: "POST",
    path: "/email/verify",
    summary:
      "Verify an email address: the key of the mailed link; in code mode the mailed code, with the verification_token of the signup or login",
    responses: compactResponses(
      compactOk(
        "Done (a link's key); or logged in, or a flow to go on with (a code goes on with its login).",
        z.union([CompactDone, CompactLogin, CompactPendingFlow]),
      ),
      400,
      409,
    ),
    runs: "POST /auth/email/verify",
    // A code belongs to the pending login it was mailed for, which the token names; a link's key
    // works from anywhere.
    credential: (o) => (o.account.emailVerificationByCode.enabled ? "pending" : "none"),
    continues: { flow: Flow.VERIFY_EMAIL, token: "verification_token" },
    input: pick("key"),
    anonymousIsDone: true,
  },
  {
    method: "POST",
    path: "/login",
    summary: "Log in with a password",
    responses: compactResponses(loggedInOrPending, 400, 401),
    runs: "POST /auth/login",
    credential: "none",
  },
  {
    method: "POST",
    path: "/mfa/authenticate",
    summary: "Complete a login with a TOTP or recovery code (the mfa_token of the login)",
    responses: compactResponses(loggedInOrPending, 400),
    runs: "POST /auth/2fa/authenticate",
    credential: "pending",
    continues: { flow: Flow.MFA_AUTHENTICATE, token: "mfa_token" },
    input: pick("code"),
  },
  {
    method: "GET",
    path: "/user",
    summary: "The logged-in user",
    responses: compactResponses(compactOk("The user.", UserSchema)),
    runs: "GET /auth/session",
    credential: "access",
    done: (_ctx, result) => userOf(result),
  },
  {
    method: "POST",
    path: "/logout",
    summary: "Log out (the access and refresh tokens stop working)",
    responses: compactResponses(compactOk("Logged out.", CompactDone)),
    runs: "DELETE /auth/session",
    credential: "access",
    anonymousIsDone: true,
  },
  {
    method: "POST",
    path: "/token/refresh",
    summary: "A new token pair for a refresh token (the old pair stops working)",
    responses: compactResponses(compactOk("The new token pair.", CompactTokens), 400),
    runs: refreshRoute,
    credential: "none",
  },
  {
    method: "POST",
    path: "/reauthenticate",
    summary: "Reauthenticate with the password",
    responses: compactResponses(compactOk("Reauthenticated.", z.object({ user: UserSchema })), 400),
    runs: "POST /auth/reauthenticate",
    credential: "access",
    input: pick("password"),
    done: (_ctx, result) => ({ user: userOf(result) }),
  },
  {
    method: "POST",
    path: "/mfa/reauthenticate",
    summary: "Reauthenticate with a TOTP or recovery code",
    responses: compactResponses(compactOk("Reauthenticated.", z.object({ user: UserSchema })), 400),
    runs: "POST /auth/2fa/reauthenticate",
    credential: "access",
    input: pick("code"),
    done: (_ctx, result) => ({ user: userOf(result) }),
  },
  {
    method: "POST",
    path: "/mfa/totp/add",
    summary: "Start setting up TOTP: a new secret (confirm it with /mfa/totp/confirm/)",
    responses: compactResponses(
      compactOk(
        "The secret, as a QR code (an SVG data: URL) and as an otpauth:// URI.",
        z.object({ secret: z.string(), qr_code: z.string(), totp_url: z.string() }),
      ),
      409,
    ),
    runs: "GET /account/authenticators/totp",
    credential: "access",
    // allauth offers a new secret with a 404 (no TOTP yet), and answers an active TOTP with 200.
    answer(ctx, result) {
      const meta = result.meta ?? {};
      if (result.status === 404 && typeof meta.secret === "string") {
        const svg = String(meta.qr_code_svg);
        return answerOk({
          secret: meta.secret,
          qr_code: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`,
          totp_url: meta.totp_url,
        });
      }
      return result.status === 200 ? failure(ctx, conflict()) : undefined;
    },
  },
  {
    method: "POST",
    path: "/mfa/totp/confirm",
    summary: "Activate TOTP with the secret /mfa/totp/add/ offered and a code of it",
    request: z.object({
      secret: z.string().describe("The secret the last /mfa/totp/add/ of this session offered."),
      code: z.string(),
    }),
    responses: compactResponses(
      compactOk(
        "TOTP is active; the recovery codes made along with it (shown this once).",
        z.object({ recovery_codes: z.array(z.string()) }),
      ),
      400,
      401,
      409,
    ),
    runs: "POST /account/authenticators/totp",
    credential: "access",
    // The secret is the one the last add offered this session (allauth keeps it in the session):
    // a code for any other would activate a secret the user's app does not have.
    input(body, ctx) {
      const secret = body.secret;
      if (secret === undefined || secret === null || secret === "") {
        return { refuse: ctx.invalid("required", "secret") };
      }
      const offered = ctx.session.get<string>(SessionKey.TOTP_PENDING_SECRET);
      if (typeof secret !== "string" || offered === undefined || !safeEqual(secret, offered)) {
        return { refuse: ctx.invalid("invalid", "secret") };
      }
      return pick("code")(body);
    },
    // Activation makes the recovery codes (when they are a supported type): they are shown now.
    async done(_ctx, _result, run) {
      const codes = await run("GET /account/authenticators/recovery-codes");
      const data = codes?.status === 200 ? (codes.data as { unused_codes?: string[] }) : undefined;
      return { recovery_codes: data?.unused_codes ?? [] };
    },
  },
  {
    method: "POST",
    path: "/password/reset",
    summary: "Request a password reset (the same answer whether or not the address has an account)",
    responses: compactResponses(
      compactOk(
        "Requested; in code mode, the password_reset_by_code flow with its reset_token.",
        z.union([CompactDone, CompactPendingFlow]),
      ),
      400,
      429,
    ),
    runs: "POST /auth/password/request",
    credential: "none",
    input: pick("email"),
  },
  {
    method: "POST",
    path: "/password/reset/confirm",
    summary:
      "Reset the password: the key of the mailed link, or in code mode the mailed code with the reset_token of the request; and the new password",
    responses: compactResponses(
      compactOk(
        "Done; or, with account.loginOnPasswordReset, logged in or a flow to go on with.",
        z.union([CompactDone, CompactLogin, CompactPendingFlow]),
      ),
      400,
      409,
    ),
    runs: "POST /auth/password/reset",
    // The app route checks the code (each guess counted) before it sets the password.
    credential: (o) => (o.account.passwordResetByCode.enabled ? "pending" : "none"),
    continues: { flow: Flow.PASSWORD_RESET_BY_CODE, token: "reset_token" },
    input: pick("key", "password"),
    anonymousIsDone: true,
  },
  {
    method: "POST",
    path: "/password/change",
    summary: "Change (or set) the password",
    responses: compactResponses(compactOk("Changed.", CompactDone), 400),
    runs: "POST /account/password/change",
    credential: "access",
    input: pick("current_password", "new_password"),
    // With account.logoutOnPasswordChange the change ends the session (and its tokens).
    anonymousIsDone: true,
  },
  {
    method: "GET",
    path: "/providers",
    summary: "The social providers",
    responses: compactResponses(compactOk("The providers.", z.object({ providers: z.array(Provider) }))),
    runs: providersRoute,
    credential: "none",
  },
  {
    method: "POST",
    path: "/providers/:provider/redirect",
    summary:
      "Start a provider login: the provider's authorization URL (it returns to compactApi.providerCallbackUrl)",
    responses: compactResponses(
      compactOk("Where to send the user.", z.object({ redirect_url: z.string() })),
      404,
      502,
    ),
    runs: providerRedirectRoute,
    credential: "none",
    input: (_body, _ctx, params) => ({ body: { provider: params.provider } }),
    when: hasProviders,
  },
  {
    method: "POST",
    path: "/providers/:provider/callback",
    summary: "Complete a provider login with the code and state the provider sent back",
    request: CompactCallbackInput,
    responses: compactResponses(loggedInOrPending, 400, 403, 404),
    runs: providerCallbackRoute,
    credential: "none",
    input: (body, _ctx, params) => ({
      body: { ...only(body, ["code", "state", "iss"]), provider: params.provider },
    }),
    when: hasProviders,
  },
  {
    method: "POST",
    path: "/providers/:provider/token",
    summary: "Log in or sign up with a token from the provider",
    request: z.object({
      id_token: z.string().optional(),
      access_token: z.string().optional(),
      nonce: z.string().optional().describe("When given, the id_token's `nonce` claim must equal it."),
      client_id: z.string().optional().describe("The app's client id (default: the provider's visible app)."),
    }),
    responses: compactResponses(loggedInOrPending, 400, 403, 404),
    runs: "POST /auth/provider/token",
    credential: "none",
    // allauth's token input names the app by its client id; the compact route, the provider's
    // visible app unless the client says which.
    input(body, ctx, params) {
      const configured = findProvider(ctx.options, params.provider!);
      const app = configured && visibleApp(configured);
      if (!app) return { refuse: { status: 404, errors: [ctx.error("not_found")] } };
      const token = only(body, ["id_token", "access_token", "nonce", "client_id"]);
      if (!token.id_token && !token.access_token) return { refuse: ctx.invalid("token_required", "token") };
      if (token.client_id === undefined && app.app) token.client_id = app.app.clientId;
      return { body: { provider: params.provider, process: "login", token } };
    },
  },
  {
    method: "POST",
    path: "/providers/signup",
    summary: "Complete a provider signup (the signup_token of the login)",
    responses: compactResponses(loggedInOrPending, 400, 403, 409),
    runs: "POST /auth/provider/signup",
    credential: "pending",
    continues: { flow: Flow.PROVIDER_SIGNUP, token: "signup_token" },
    input: withoutToken,
  },
];

/** The redirect flow's routes, with a provider configured (the token route follows the app tree's). */
function hasProviders(o: ResolvedOptions): boolean {
  return configuredProviders(o).length > 0;
}

import { z } from "zod";
import type { AuthenticatedContext } from "../base/context.js";
import type { LatchkeyHooks } from "../base/hooks.js";
import { authenticated, type PageRoute, type Route, route } from "../base/route.js";
import {
  Answers,
  EmailAddress,
  okAnswer,
  ProviderAccount,
  type ResponseDoc,
  type Responses,
} from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import { disconnectAccount, listAccounts } from "./flows/connect.js";
import { describeSignup, signupErrorsBesides, signupPending, submitSignup } from "./flows/provider-signup.js";
import {
  DUMMY_LOGIN_PATH,
  dummyLogin,
  dummyLoginForm,
  providerCallback,
  startRedirect,
} from "./flows/redirect.js";
import { providerToken } from "./flows/token.js";
import {
  DeleteProviderAccountInput,
  ProviderRedirectInput,
  type ProviderSignupInput,
  ProviderTokenInput,
  providerSignupInput,
} from "./inputs.js";
import { findProvider } from "./providers/registry.js";

/** The social endpoints, relative to /{client}/v1 (allauth's headless socialaccount urls). */
export function socialRoutes(o: ResolvedOptions, hooks: LatchkeyHooks): Route[] {
  return [
    route({
      method: "POST",
      path: "/auth/provider/redirect",
      summary: "Start a provider login or connection (a browser form post; answers 302)",
      responses: {
        302: {
          description:
            "To the provider's authorization page (or, when the form is refused, to callback_url or frontendUrls.socialaccountLoginError with `?error=`).",
          redirect: true,
        },
      },
      reads: { body: ProviderRedirectInput },
      body: "form",
      // Starting a provider login is a login (allauth has no limit here): it writes a state.
      rateLimit: "login",
      handler: startRedirect,
    }),
    route({
      method: "POST",
      path: "/auth/provider/token",
      summary: "Log in, sign up or connect with a token from the provider",
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
        403: Answers.forbidden,
      },
      reads: { body: ProviderTokenInput },
      // A token login is a login (allauth has no limit here): it calls the provider.
      rateLimit: "login",
      handler: providerToken,
    }),
    route({
      method: "GET",
      path: "/auth/provider/signup",
      summary: "The pending provider signup",
      responses: {
        200: okAnswer(
          "What the provider gave so far: the user to be, the provider account and its addresses.",
          z.object({
            user: z.object({
              display: z.string(),
              has_usable_password: z.boolean(),
              username: z.string().optional(),
            }),
            account: ProviderAccount,
            email: z.array(EmailAddress),
          }),
        ),
        403: Answers.forbidden,
        409: Answers.conflict,
      },
      gate: signupPending,
      handler: describeSignup,
    }),
    route({
      method: "POST",
      path: "/auth/provider/signup",
      summary: "Complete the pending provider signup",
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
        403: Answers.forbidden,
        409: Answers.conflict,
      },
      gate: signupPending,
      input: providerSignupInput(o, hooks.signupFields),
      onInvalidInput: signupErrorsBesides,
      handler: (ctx, input: ProviderSignupInput) => submitSignup(ctx, input),
    }),
    route({
      method: "GET",
      path: "/account/providers",
      summary: "List the connected provider accounts",
      responses: { 200: Answers.providerAccounts },
      gate: authenticated,
      handler: listAccounts,
    }),
    route({
      method: "DELETE",
      path: "/account/providers",
      summary: "Disconnect a provider account",
      responses: {
        200: Answers.providerAccounts,
        400: Answers.error,
        401: Answers.authenticationOrReauthentication,
      },
      gate: authenticated,
      input: DeleteProviderAccountInput,
      handler: (ctx: AuthenticatedContext, input: DeleteProviderAccountInput) =>
        disconnectAccount(ctx, input),
    }),
  ];
}

/** What a provider's callback answers. */
const CALLBACK = {
  200: {
    description:
      "A page that sends the browser on to the same URL, when it withheld the session cookie (SameSite=Strict).",
    html: true,
  },
  302: {
    description:
      "To the frontend's callback_url (with `?error=` when the login was refused), or to frontendUrls.socialaccountLoginError when the state is unknown.",
    redirect: true,
  },
} as const satisfies Responses;

const LOGIN_PAGE: ResponseDoc = { description: "The development provider's login form.", html: true };

/** The pages outside the API base: the providers' callbacks, and the development provider's login page. */
export function socialPages(o: ResolvedOptions): PageRoute[] {
  const s = o.socialaccount;
  const pages: PageRoute[] = [];
  for (const template of new Set([s.callbackPath, s.oidcCallbackPath])) {
    const path = template.replace("{provider}", ":provider");
    pages.push(
      {
        method: "GET",
        path,
        summary: "A provider's callback",
        responses: CALLBACK,
        handler: providerCallback,
      },
      {
        method: "POST",
        path,
        summary: "A provider's callback (form_post)",
        responses: { 302: CALLBACK[302] },
        handler: providerCallback,
      },
    );
  }
  if (findProvider(o, "dummy")) {
    pages.push(
      {
        method: "GET",
        path: DUMMY_LOGIN_PATH,
        summary: "The development provider's login page",
        responses: { 200: LOGIN_PAGE, 302: CALLBACK[302] },
        handler: dummyLoginForm,
      },
      {
        method: "POST",
        path: DUMMY_LOGIN_PATH,
        summary: "Log in at the development provider",
        responses: { 302: CALLBACK[302], 400: LOGIN_PAGE },
        handler: dummyLogin,
      },
    );
  }
  return pages;
}

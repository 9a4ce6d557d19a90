import type { AuthenticatedContext } from "../base/context.js";
import type { LatchkeyHooks } from "../base/hooks.js";
import { authenticated, type PageRoute, type Route, route } from "../base/route.js";
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
import { DeleteProviderAccountInput, type ProviderSignupInput, providerSignupInput } from "./inputs.js";
import { findProvider } from "./providers/registry.js";

/** The social endpoints, relative to /{client}/v1 (allauth's headless socialaccount urls). */
export function socialRoutes(o: ResolvedOptions, hooks: LatchkeyHooks): Route[] {
  return [
    route({
      method: "POST",
      path: "/auth/provider/redirect",
      summary: "Start a provider login or connection (a browser form post; answers 302)",
      body: "form",
      // Starting a provider login is a login (allauth has no limit here): it writes a state.
      rateLimit: "login",
      handler: startRedirect,
    }),
    route({
      method: "POST",
      path: "/auth/provider/token",
      summary: "Log in, sign up or connect with a token from the provider",
      // A token login is a login (allauth has no limit here): it calls the provider.
      rateLimit: "login",
      handler: providerToken,
    }),
    route({
      method: "GET",
      path: "/auth/provider/signup",
      summary: "The pending provider signup",
      gate: signupPending,
      handler: describeSignup,
    }),
    route({
      method: "POST",
      path: "/auth/provider/signup",
      summary: "Complete the pending provider signup",
      gate: signupPending,
      input: providerSignupInput(o, hooks.signupFields),
      onInvalidInput: signupErrorsBesides,
      handler: (ctx, input: ProviderSignupInput) => submitSignup(ctx, input),
    }),
    route({
      method: "GET",
      path: "/account/providers",
      summary: "List the connected provider accounts",
      gate: authenticated,
      handler: listAccounts,
    }),
    route({
      method: "DELETE",
      path: "/account/providers",
      summary: "Disconnect a provider account",
      gate: authenticated,
      input: DeleteProviderAccountInput,
      handler: (ctx: AuthenticatedContext, input: DeleteProviderAccountInput) =>
        disconnectAccount(ctx, input),
    }),
  ];
}

/** The pages outside the API base: the providers' callbacks, and the development provider's login page. */
export function socialPages(o: ResolvedOptions): PageRoute[] {
  const s = o.socialaccount;
  const pages: PageRoute[] = [];
  for (const template of new Set([s.callbackPath, s.oidcCallbackPath])) {
    const path = template.replace("{provider}", ":provider");
    pages.push(
      { method: "GET", path, summary: "A provider's callback", handler: providerCallback },
      { method: "POST", path, summary: "A provider's callback (form_post)", handler: providerCallback },
    );
  }
  if (findProvider(o, "dummy")) {
    pages.push(
      {
        method: "GET",
        path: DUMMY_LOGIN_PATH,
        summary: "The development provider's login page",
        handler: dummyLoginForm,
      },
      {
        method: "POST",
        path: DUMMY_LOGIN_PATH,
        summary: "Log in at the development provider",
        handler: dummyLogin,
      },
    );
  }
  return pages;
}

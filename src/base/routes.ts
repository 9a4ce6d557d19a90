import type { Area } from "../area.js";
import { ok } from "../core/responses.js";
import { type Route, route } from "../http/route.js";
import type { ResolvedOptions } from "../options/schema.js";

/** allauth's legacy `authentication_method`, present only when email and/or username log in. */
function authenticationMethod(methods: readonly string[]): string | undefined {
  const email = methods.includes("email");
  const username = methods.includes("username");
  if (email && username) return "username_email";
  if (email) return "email";
  if (username) return "username";
  return undefined;
}

/** GET /config: what the frontend needs to know about this server (ALLAUTH-BEHAVIOUR §4.2). */
export function configuration(o: ResolvedOptions): Record<string, unknown> {
  const method = authenticationMethod(o.account.loginMethods);
  const config: Record<string, unknown> = {
    account: {
      login_methods: o.account.loginMethods,
      is_open_for_signup: o.account.isOpenForSignup,
      email_verification_by_code_enabled: o.account.emailVerificationByCode.enabled,
      login_by_code_enabled: o.account.loginByCode.enabled,
      password_reset_by_code_enabled: o.account.passwordResetByCode.enabled,
      ...(method ? { authentication_method: method } : {}),
    },
  };
  if (o.mfa.enabled) {
    config.mfa = { supported_types: o.mfa.supportedTypes, passkey_login_enabled: o.mfa.passkeyLogin };
  }
  if (o.usersessions.enabled) config.usersessions = { track_activity: o.usersessions.trackActivity };
  return config;
}

function baseRoutes(o: ResolvedOptions): Route[] {
  // The answer depends only on the options: build it once.
  const config = configuration(o);
  return [
    route({
      method: "GET",
      path: "/config",
      summary: "Get the configuration",
      handler: async () => ok(config),
    }),
  ];
}

export const baseArea: Area = { name: "base", routes: baseRoutes };

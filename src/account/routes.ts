import type { Area } from "../area.js";
import { type Route, route } from "../http/route.js";
import type { ResolvedOptions } from "../options/schema.js";
import { authenticated, unauthenticated } from "./auth-state.js";
import { logout } from "./flows/login.js";
import { changePassword, login, reauthenticate } from "./flows/password.js";
import { signup } from "./flows/signup.js";
import { ChangePasswordInput, loginInput, ReauthenticateInput, signupInput } from "./inputs.js";

/** The account area's core endpoints (allauth `headless/account/urls.py`), relative to /{client}/v1. */
function accountRoutes(o: ResolvedOptions): Route[] {
  return [
    route({
      method: "GET",
      path: "/auth/session",
      summary: "Get the authentication status",
      handler: async (ctx) => (ctx.user ? authenticated(ctx) : unauthenticated(ctx)),
    }),
    route({
      method: "DELETE",
      path: "/auth/session",
      summary: "Log out",
      handler: async (ctx) => logout(ctx),
    }),
    route({
      method: "POST",
      path: "/auth/login",
      summary: "Log in with a password",
      input: loginInput(o),
      rateLimit: "login",
      handler: login,
    }),
    route({
      method: "POST",
      path: "/auth/signup",
      summary: "Sign up",
      input: signupInput(o),
      rateLimit: "signup",
      handler: signup,
    }),
    route({
      method: "POST",
      path: "/auth/reauthenticate",
      requiresAuthentication: true,
      summary: "Reauthenticate with the password",
      input: ReauthenticateInput,
      handler: reauthenticate,
    }),
    route({
      method: "POST",
      path: "/account/password/change",
      requiresAuthentication: true,
      summary: "Change (or set) the password",
      input: ChangePasswordInput,
      handler: changePassword,
    }),
  ];
}

export const accountArea: Area = { name: "account", routes: accountRoutes };

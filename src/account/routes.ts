import { authenticationState } from "../base/auth.js";
import { logout } from "../base/login.js";
import { authenticated, type Route, route } from "../base/route.js";
import type { ResolvedOptions } from "../options/schema.js";
import { changePassword, login, reauthenticate } from "./flows/password.js";
import { signup, signupErrorsBesides } from "./flows/signup.js";
import { ChangePasswordInput, loginInput, ReauthenticateInput, signupInput } from "./inputs.js";

/** The account area's core endpoints, relative to /{client}/v1. */
export function accountRoutes(o: ResolvedOptions): Route[] {
  return [
    route({
      method: "GET",
      path: "/auth/session",
      summary: "Get the authentication status",
      handler: async (ctx) => authenticationState(ctx),
    }),
    route({
      method: "DELETE",
      path: "/auth/session",
      summary: "Log out",
      handler: logout,
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
      onInvalidInput: signupErrorsBesides,
      handler: signup,
    }),
    route({
      method: "POST",
      path: "/auth/reauthenticate",
      summary: "Reauthenticate with the password",
      gate: authenticated,
      rateLimit: "reauthenticate",
      input: ReauthenticateInput,
      handler: reauthenticate,
    }),
    route({
      method: "POST",
      path: "/account/password/change",
      summary: "Change (or set) the password",
      gate: authenticated,
      rateLimit: "change_password",
      input: ChangePasswordInput,
      handler: changePassword,
    }),
  ];
}

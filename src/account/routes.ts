import { authenticationState } from "../base/auth.js";
import type { LatchkeyHooks } from "../base/hooks.js";
import { logout } from "../base/login.js";
import { authenticated, type Route, route } from "../base/route.js";
import { Answers } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import { changePassword, login, reauthenticate } from "./flows/password.js";
import { signup, signupErrorsBesides } from "./flows/signup.js";
import { ChangePasswordInput, loginInput, ReauthenticateInput, signupInput } from "./inputs.js";

/** The session endpoints and reauthentication, relative to /{client}/v1: there with any way in. */
export function sessionRoutes(): Route[] {
  return [
    route({
      method: "GET",
      path: "/auth/session",
      summary: "Get the authentication status",
      responses: { 200: Answers.authenticated, 401: Answers.authentication },
      handler: async (ctx) => authenticationState(ctx),
    }),
    route({
      method: "DELETE",
      path: "/auth/session",
      summary: "Log out",
      responses: { 401: Answers.authentication },
      handler: logout,
    }),
    route({
      method: "POST",
      path: "/auth/reauthenticate",
      summary: "Reauthenticate with the password",
      responses: { 200: Answers.authenticated, 400: Answers.error },
      gate: authenticated,
      rateLimit: "reauthenticate",
      input: ReauthenticateInput,
      handler: reauthenticate,
    }),
  ];
}

/** Password login, signup and password change, relative to /{client}/v1: local accounts only. */
export function localAccountRoutes(o: ResolvedOptions, hooks: LatchkeyHooks): Route[] {
  return [
    route({
      method: "POST",
      path: "/auth/login",
      summary: "Log in with a password",
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
        409: Answers.conflict,
      },
      input: loginInput(o),
      rateLimit: "login",
      handler: login,
    }),
    route({
      method: "POST",
      path: "/auth/signup",
      summary: "Sign up",
      responses: {
        200: Answers.authenticated,
        400: Answers.error,
        401: Answers.authentication,
        403: Answers.forbidden,
        409: Answers.conflict,
      },
      input: signupInput(o, hooks.signupFields),
      rateLimit: "signup",
      onInvalidInput: signupErrorsBesides,
      handler: signup,
    }),
    route({
      method: "POST",
      path: "/account/password/change",
      summary: "Change (or set) the password",
      responses: { 200: Answers.authenticated, 400: Answers.error, 401: Answers.authentication },
      gate: authenticated,
      rateLimit: "change_password",
      input: ChangePasswordInput,
      handler: changePassword,
    }),
  ];
}

import type { Area } from "../base/area.js";
import { Flow } from "../core/enums.js";
import type { FlowInfo } from "../core/wire.js";
import type { ResolvedOptions } from "../options/schema.js";
import { emailRoutes } from "./email/routes.js";
import { verifyEmailStage } from "./email/stage.js";
import { loginByCodeRoutes } from "./login-by-code/routes.js";
import { loginByCodeStage } from "./login-by-code/stage.js";
import { accountMessages } from "./messages.js";
import {
  accountOptions,
  checkAccountOptions,
  passwordOptions,
  signupFieldSet,
  smsOptions,
} from "./options.js";
import { phoneRoutes } from "./phone/routes.js";
import { verifyPhoneStage } from "./phone/stage.js";
import { isResetByCodePending } from "./reset/by-code.js";
import { passwordResetRoutes } from "./reset/routes.js";
import { localAccountRoutes, sessionRoutes } from "./routes.js";

/** allauth's legacy `authentication_method`, present only when email and/or username log in. */
function authenticationMethod(methods: readonly string[]): string | undefined {
  const email = methods.includes("email");
  const username = methods.includes("username");
  if (email && username) return "username_email";
  if (email) return "email";
  if (username) return "username";
  return undefined;
}

/** The `account` section of GET /config. */
function accountConfig(o: ResolvedOptions) {
  const method = authenticationMethod(o.account.loginMethods);
  return {
    key: "account",
    value: {
      login_methods: o.account.loginMethods,
      is_open_for_signup: o.account.isOpenForSignup,
      email_verification_by_code_enabled: o.account.emailVerificationByCode.enabled,
      login_by_code_enabled: o.account.loginByCode.enabled,
      password_reset_by_code_enabled: o.account.passwordResetByCode.enabled,
      ...(method ? { authentication_method: method } : {}),
    },
  };
}

/** The phone endpoints, with `phone` in account.signupFields (allauth: "`phone` enables the phone flows"). */
function phoneEnabled(o: ResolvedOptions): boolean {
  return signupFieldSet(o.account.signupFields).has("phone");
}

/**
 * Whether accounts of this server's own exist: not with socialaccount.only, where a provider is
 * the only way in and allauth serves no login, signup, password, address or phone endpoints.
 */
function localAccounts(o: ResolvedOptions): boolean {
  return !o.socialaccount.only;
}

/**
 * allauth's account app: login, signup, logout, reauthentication, password change, email
 * verification and addresses, phone numbers, password reset, login by code; the login_by_code,
 * verify_phone and verify_email stages.
 */
export const accountArea: Area = {
  name: "account",
  options: { account: accountOptions, password: passwordOptions, sms: smsOptions },
  checkOptions: checkAccountOptions,
  routes: (o, hooks) => [
    ...sessionRoutes(),
    ...(localAccounts(o)
      ? [
          ...localAccountRoutes(o, hooks),
          ...emailRoutes(),
          ...(phoneEnabled(o) ? phoneRoutes(o) : []),
          ...passwordResetRoutes(),
        ]
      : []),
    ...loginByCodeRoutes(o),
  ],
  stages: [loginByCodeStage, verifyPhoneStage, verifyEmailStage],
  config: accountConfig,
  async flows(ctx) {
    const a = ctx.options.account;
    const flows: FlowInfo[] = [];
    if (ctx.user) {
      if (ctx.user.hasPassword) flows.push({ id: Flow.REAUTHENTICATE });
    } else {
      const local = localAccounts(ctx.options);
      if (local) flows.push({ id: Flow.LOGIN });
      if (a.loginByCode.enabled) flows.push({ id: Flow.LOGIN_BY_CODE });
      if (local && a.isOpenForSignup) flows.push({ id: Flow.SIGNUP });
    }
    if (localAccounts(ctx.options) && a.passwordResetByCode.enabled) {
      flows.push({ id: Flow.PASSWORD_RESET_BY_CODE, is_pending: await isResetByCodePending(ctx) });
    }
    return flows;
  },
  messages: accountMessages,
  rateLimitDefaults(o) {
    // allauth's confirm_email default depends on the verification mode.
    const a = o.account;
    return {
      confirm_email: a.emailVerificationByCode.enabled
        ? "1/10s/key"
        : a.emailConfirmationCooldown > 0
          ? `1/${a.emailConfirmationCooldown}s/key`
          : false,
    };
  },
};

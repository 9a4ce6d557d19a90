import { Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { Context } from "../http/context.js";
import { authenticatorTypes } from "../mfa/authenticators.js";
import { SessionKey } from "../sessions/keys.js";
import type { AuthRecord } from "../sessions/session.js";
import { pendingLogin } from "./flows/login.js";
import { isResetByCodePending } from "./reset/by-code.js";
import { serializeUser } from "./users.js";

export interface FlowObject {
  id: Flow;
  is_pending?: boolean;
  providers?: string[];
  types?: string[];
  [key: string]: unknown;
}

/** 200: the caller is logged in (allauth `AuthenticationResponse`). No `flows` key. */
export function authenticated(ctx: Context): Result {
  const user = ctx.user!;
  return {
    status: 200,
    data: { user: serializeUser(user), methods: ctx.session.get<AuthRecord[]>(SessionKey.METHODS) ?? [] },
    meta: { is_authenticated: true },
  };
}

/**
 * 401 for an anonymous caller: what it can do next, with the pending stage marked.
 * `isAuthenticated: null` reproduces allauth's quirk for 410 and "stage not pending" answers.
 */
export async function unauthenticated(
  ctx: Context,
  opts: { isAuthenticated?: false | null } = {},
): Promise<Result> {
  return {
    status: 401,
    data: { flows: await buildFlows(ctx) },
    meta: { is_authenticated: opts.isAuthenticated === undefined ? false : opts.isAuthenticated },
  };
}

/** 401 for a logged-in caller whose last authentication is too old for what it asked. */
export async function reauthenticationRequired(ctx: Context): Promise<Result> {
  const user = ctx.user!;
  return {
    status: 401,
    data: {
      user: serializeUser(user),
      methods: ctx.session.get<AuthRecord[]>(SessionKey.METHODS) ?? [],
      flows: await buildFlows(ctx),
    },
    meta: { is_authenticated: true },
  };
}

/** The flow list exactly as allauth's `_get_flows` builds it (ALLAUTH-BEHAVIOUR §2.2). */
export async function buildFlows(ctx: Context): Promise<FlowObject[]> {
  const o = ctx.options;
  const flows: FlowObject[] = [];
  const user = ctx.user;
  if (user) {
    if (user.password !== null) flows.push({ id: Flow.REAUTHENTICATE });
    if (o.mfa.enabled) {
      const types = await authenticatorTypes(ctx.db, user.id);
      if (types.length > 0) flows.push({ id: Flow.MFA_REAUTHENTICATE, types });
    }
  } else {
    flows.push({ id: Flow.LOGIN });
    if (o.account.loginByCode.enabled) flows.push({ id: Flow.LOGIN_BY_CODE });
    if (o.account.isOpenForSignup) flows.push({ id: Flow.SIGNUP });
    if (o.mfa.enabled && o.mfa.passkeyLogin) flows.push({ id: Flow.MFA_LOGIN_WEBAUTHN });
    const login = pendingLogin(ctx);
    if (login?.stage) {
      const stage = ctx.rt.stages.find((s) => s.key === login.stage);
      const extra = stage?.describe ? await stage.describe(ctx, login) : {};
      const pending: FlowObject = { id: login.stage as Flow, is_pending: true, ...extra };
      const existing = flows.findIndex((f) => f.id === pending.id);
      if (existing === -1) flows.push(pending);
      else flows[existing] = { ...flows[existing], ...pending };
    }
  }
  if (o.account.passwordResetByCode.enabled) {
    flows.push({
      id: Flow.PASSWORD_RESET_BY_CODE,
      is_pending: await isResetByCodePending(ctx),
    });
  }
  return flows;
}

/**
 * Whether the session's last authentication is within account.reauthenticationTimeout.
 * A user with nothing to reauthenticate with (no password, no authenticator) always counts as
 * recent, as in allauth.
 */
export async function isRecentlyAuthenticated(ctx: Context): Promise<boolean> {
  const user = ctx.user;
  if (!user) return false;
  const methods = ctx.session.get<AuthRecord[]>(SessionKey.METHODS) ?? [];
  const last = methods[methods.length - 1];
  if (last && ctx.now() / 1000 - last.at <= ctx.options.account.reauthenticationTimeout) return true;
  if (user.password !== null) return false;
  return !ctx.options.mfa.enabled || (await authenticatorTypes(ctx.db, user.id)).length === 0;
}

import { Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { AuthenticationMethod } from "../core/wire.js";
import { SessionKey } from "../sessions/keys.js";
import type { PendingLogin } from "../sessions/session.js";
import { sessionUser, type UserRecord } from "../store/users.js";
import { authenticated, unauthenticated } from "./auth.js";
import type { Context, Stage } from "./context.js";
import { abortLogin } from "./pending.js";

/**
 * The login pipeline (allauth's LoginStageController): after a first factor, the stages run in
 * allauth's order; the first that applies becomes pending (401 naming it) until its endpoint
 * completes it, and when none is left the user is logged in.
 */

/** allauth's stage order; each area brings its own stages, which take their place here. */
export const STAGE_ORDER: readonly Flow[] = [
  Flow.LOGIN_BY_CODE,
  Flow.VERIFY_PHONE,
  Flow.VERIFY_EMAIL,
  Flow.MFA_AUTHENTICATE,
  Flow.MFA_TRUST,
  Flow.MFA_SIGNUP_WEBAUTHN,
];

/** The areas' stages in STAGE_ORDER; a stage without a place is a wiring mistake. */
export function orderStages(stages: readonly Stage[]): Stage[] {
  for (const stage of stages) {
    if (!STAGE_ORDER.includes(stage.key)) throw new Error(`stage ${stage.key} has no place in STAGE_ORDER`);
  }
  return [...stages].sort((a, b) => STAGE_ORDER.indexOf(a.key) - STAGE_ORDER.indexOf(b.key));
}

/** A first factor succeeded (or a signup happened): start the stage pipeline for this user. */
export async function beginLogin(
  ctx: Context,
  user: UserRecord,
  record: AuthenticationMethod | null,
  opts: { signup?: boolean; email?: string; state?: Record<string, unknown> } = {},
): Promise<Result> {
  const login: PendingLogin = {
    userId: user.id,
    records: record ? [record] : [],
    stage: null,
    done: [],
    startedAt: ctx.now(),
    signup: opts.signup ?? false,
    state: opts.state ?? {},
    ...(opts.email ? { email: opts.email } : {}),
  };
  ctx.session.set(SessionKey.LOGIN, login);
  return continueLogin(ctx, login, user);
}

/** Runs the remaining stages: the first that applies becomes pending (401), else the login completes. */
export async function continueLogin(ctx: Context, login: PendingLogin, user?: UserRecord): Promise<Result> {
  const current = user ?? (await ctx.rt.users.findById(login.userId));
  if (!current?.isActive) {
    abortLogin(ctx);
    return unauthenticated(ctx);
  }
  for (const stage of ctx.rt.stages) {
    if (login.done.includes(stage.key)) continue;
    if (await stage.applies(ctx, login, current)) {
      login.stage = stage.key;
      const refusal = await stage.start?.(ctx, login, current);
      if (refusal) {
        abortLogin(ctx);
        return refusal;
      }
      ctx.session.touch();
      return unauthenticated(ctx);
    }
    login.done.push(stage.key);
  }
  return completeLogin(ctx, current, login.records);
}

/** The pending stage is done: record what it earned and run the rest of the pipeline. */
export async function completeStage(
  ctx: Context,
  login: PendingLogin,
  record?: AuthenticationMethod,
): Promise<Result> {
  if (login.stage) login.done.push(login.stage);
  login.stage = null;
  if (record) login.records.push(record);
  ctx.session.touch();
  return continueLogin(ctx, login);
}

/** Logs the user in: new session token, new CSRF token, `methods` recorded, last_login updated. */
export async function completeLogin(
  ctx: Context,
  user: UserRecord,
  records: AuthenticationMethod[],
): Promise<Result> {
  const session = ctx.session;
  session.delete(SessionKey.LOGIN);
  session.setUser(sessionUser(user));
  session.set(SessionKey.METHODS, records);
  session.cycleKey();
  ctx.user = session.user;
  ctx.rotateCsrf();
  await ctx.rt.users.recordLogin(user.id, ctx.now());
  await ctx.emit("login", ctx.user, { methods: records.map((r) => r.method) });
  return authenticated(ctx);
}

/** Ends the session (allauth logout): pending flows go with it. */
export async function logout(ctx: Context): Promise<Result> {
  const user = ctx.user;
  ctx.session.flush(ctx.now());
  ctx.user = null;
  if (user) await ctx.emit("logout", user);
  return unauthenticated(ctx);
}

/** Appends an authentication record to a logged-in session (reauthentication) and rotates its token. */
export function recordAuthentication(ctx: Context, record: AuthenticationMethod): void {
  const methods = ctx.session.get<AuthenticationMethod[]>(SessionKey.METHODS) ?? [];
  ctx.session.set(SessionKey.METHODS, [...methods, record]);
  ctx.session.cycleKey();
}

/** allauth's float Unix timestamp. */
export function authTime(ctx: Context): number {
  return ctx.now() / 1000;
}

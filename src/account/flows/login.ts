import type { Result } from "../../core/responses.js";
import type { Context } from "../../http/context.js";
import { SessionKey } from "../../sessions/keys.js";
import type { AuthRecord, PendingLogin } from "../../sessions/session.js";
import { authenticated, unauthenticated } from "../auth-state.js";
import { findUserById, type UserRecord } from "../users.js";

const LOGIN_KEY = SessionKey.LOGIN;

/** The staged login in progress, unless it ran past account.loginTimeout. */
export function pendingLogin(ctx: Context): PendingLogin | null {
  const login = ctx.session.get<PendingLogin>(LOGIN_KEY);
  if (!login) return null;
  if (ctx.now() - login.startedAt > ctx.options.account.loginTimeout * 1000) {
    ctx.session.delete(LOGIN_KEY);
    return null;
  }
  return login;
}

/** A first factor succeeded (or a signup happened): start the stage pipeline for this user. */
export async function beginLogin(
  ctx: Context,
  user: UserRecord,
  record: AuthRecord | null,
  opts: { signup?: boolean; email?: string } = {},
): Promise<Result> {
  const login: PendingLogin = {
    userId: user.id,
    records: record ? [record] : [],
    stage: null,
    done: [],
    startedAt: ctx.now(),
    signup: opts.signup ?? false,
    state: {},
    ...(opts.email ? { email: opts.email } : {}),
  };
  ctx.session.set(LOGIN_KEY, login);
  return continueLogin(ctx, login, user);
}

/** Runs the remaining stages: the first that applies becomes pending (401), else the login completes. */
export async function continueLogin(ctx: Context, login: PendingLogin, user?: UserRecord): Promise<Result> {
  const current = user ?? (await findUserById(ctx.db, login.userId));
  if (!current?.isActive) {
    ctx.session.delete(LOGIN_KEY);
    return unauthenticated(ctx);
  }
  for (const stage of ctx.rt.stages) {
    if (login.done.includes(stage.key)) continue;
    if (await stage.applies(ctx, login, current)) {
      login.stage = stage.key;
      const refusal = await stage.start?.(ctx, login, current);
      if (refusal) {
        ctx.session.delete(LOGIN_KEY);
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
export async function completeStage(ctx: Context, login: PendingLogin, record?: AuthRecord): Promise<Result> {
  if (login.stage) login.done.push(login.stage);
  login.stage = null;
  if (record) login.records.push(record);
  ctx.session.touch();
  return continueLogin(ctx, login);
}

/** Logs the user in: new session token, new CSRF token, `methods` recorded, last_login updated. */
export async function completeLogin(ctx: Context, user: UserRecord, records: AuthRecord[]): Promise<Result> {
  const session = ctx.session;
  session.delete(LOGIN_KEY);
  session.userId = user.id;
  session.set(SessionKey.METHODS, records);
  session.cycleKey();
  ctx.user = user;
  ctx.rotateCsrf();
  await ctx.db.updateTable("user").set({ last_login: ctx.now() }).where("id", "=", user.id).execute();
  return authenticated(ctx);
}

/** Ends the session (allauth logout): pending flows go with it. */
export async function logout(ctx: Context): Promise<Result> {
  ctx.session.flush(ctx.now());
  ctx.user = null;
  return unauthenticated(ctx);
}

/** Appends an authentication record to a logged-in session (reauthentication, 2FA reauth). */
export function recordAuthentication(ctx: Context, record: AuthRecord): void {
  const methods = ctx.session.get<AuthRecord[]>(SessionKey.METHODS) ?? [];
  ctx.session.set(SessionKey.METHODS, [...methods, record]);
}

/** allauth's float Unix timestamp. */
export function authTime(ctx: Context): number {
  return ctx.now() / 1000;
}

import { Flow } from "../core/enums.js";
import type { Result } from "../core/responses.js";
import type { AuthenticationMethod, FlowInfo } from "../core/wire.js";
import { SessionKey } from "../sessions/keys.js";
import { toWireUser } from "../store/users.js";
import type { AuthenticatedContext, Context } from "./context.js";
import { pendingLogin } from "./pending.js";

/**
 * The three answers about authentication (allauth's BaseAuthenticationResponse): 200 logged in,
 * 401 with the flows the caller can take next, 401 for a reauthentication.
 */

function methods(ctx: Context): AuthenticationMethod[] {
  return ctx.session.get<AuthenticationMethod[]>(SessionKey.METHODS) ?? [];
}

/** 200: the caller is logged in. No `flows` key. */
export function authenticated(ctx: Context): Result {
  return {
    status: 200,
    data: { user: toWireUser(ctx.user!), methods: methods(ctx) },
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

/** 200 for a logged-in caller, else the 401 flows (allauth's AuthenticationResponse). */
export function authenticationState(ctx: Context): Promise<Result> | Result {
  return ctx.user ? authenticated(ctx) : unauthenticated(ctx);
}

/** 401 for a logged-in caller whose last authentication is too old for what it asked. */
export async function reauthenticationRequired(ctx: Context): Promise<Result> {
  return {
    status: 401,
    data: { user: toWireUser(ctx.user!), methods: methods(ctx), flows: await buildFlows(ctx) },
    meta: { is_authenticated: true },
  };
}

/**
 * allauth's order of the flow list. The pending stage of a login takes the place of its own
 * entry when the list has one; `password_reset_by_code` always comes last.
 */
const FLOW_ORDER: readonly Flow[] = [
  Flow.REAUTHENTICATE,
  Flow.MFA_REAUTHENTICATE,
  Flow.LOGIN,
  Flow.LOGIN_BY_CODE,
  Flow.SIGNUP,
  Flow.PROVIDER_REDIRECT,
  Flow.PROVIDER_TOKEN,
  Flow.PROVIDER_SIGNUP,
  Flow.MFA_LOGIN_WEBAUTHN,
  Flow.VERIFY_PHONE,
  Flow.VERIFY_EMAIL,
  Flow.MFA_AUTHENTICATE,
  Flow.MFA_TRUST,
  Flow.MFA_SIGNUP_WEBAUTHN,
  Flow.PASSWORD_RESET_BY_CODE,
];

/** The flows that reauthenticate a logged-in user. */
const REAUTHENTICATION: ReadonlySet<string> = new Set([Flow.REAUTHENTICATE, Flow.MFA_REAUTHENTICATE]);

/**
 * The flow list exactly as allauth's `_get_flows` builds it: each area lists its entries for the
 * caller (a logged-in one gets the reauthentication flows), then the pending stage of a login is
 * marked, its own entry updated in place when the list has one.
 */
export async function buildFlows(ctx: Context): Promise<FlowInfo[]> {
  const flows: FlowInfo[] = [];
  for (const source of ctx.rt.flowSources) flows.push(...(await source(ctx)));
  const login = ctx.user ? null : pendingLogin(ctx);
  if (login?.stage) {
    const stage = ctx.rt.stages.find((s) => s.key === login.stage);
    const extra = stage?.describe ? await stage.describe(ctx, login) : {};
    const pending: FlowInfo = { id: login.stage as Flow, is_pending: true, ...extra };
    const existing = flows.findIndex((f) => f.id === pending.id);
    if (existing === -1) flows.push(pending);
    else flows[existing] = { ...flows[existing], ...pending };
  }
  return flows.sort((a, b) => FLOW_ORDER.indexOf(a.id) - FLOW_ORDER.indexOf(b.id));
}

/**
 * Thrown where an action needs a recent authentication the session does not have; the pipeline
 * answers it with the reauthentication 401. It may be thrown after the input is checked, as
 * allauth checks it after validating the input.
 */
export class ReauthenticationRequired extends Error {
  constructor() {
    super("reauthentication required");
    this.name = "ReauthenticationRequired";
  }
}

/**
 * Whether the session's last authentication is within account.reauthenticationTimeout. A user
 * with nothing to reauthenticate with (no reauthentication flow: no password, no authenticator)
 * always counts as recent, as in allauth.
 */
export async function isRecentlyAuthenticated(ctx: AuthenticatedContext): Promise<boolean> {
  const last = methods(ctx).at(-1);
  if (last && ctx.now() / 1000 - last.at <= ctx.options.account.reauthenticationTimeout) return true;
  return !(await buildFlows(ctx)).some((f) => REAUTHENTICATION.has(f.id));
}

/** Throws ReauthenticationRequired unless the caller authenticated recently. */
export async function requireRecentAuthentication(ctx: AuthenticatedContext): Promise<void> {
  if (!(await isRecentlyAuthenticated(ctx))) throw new ReauthenticationRequired();
}

import { z } from "zod";
import { unauthenticated } from "../base/auth.js";
import type { AuthenticatedContext } from "../base/context.js";
import { Context } from "../base/context.js";
import type { MountedAnswer, MountedApi, MountedCall, MountedRoute } from "../base/pipeline.js";
import type { Method, Route } from "../base/route.js";
import { Client } from "../core/enums.js";
import { apiError, type MessageId } from "../core/errors.js";
import { isPage, isRedirect, type Result } from "../core/responses.js";
import type { FlowInfo } from "../core/wire.js";
import type { ResponseDoc, Responses } from "../core/wire-schemas.js";
import type { ResolvedOptions } from "../options/schema.js";
import { Session } from "../sessions/session.js";
import type { LoadedSession } from "../sessions/store.js";
import { authorizationCredential } from "../sessions/tokens/strategy.js";
import { toWireUser } from "../store/users.js";
import { compactRefusal } from "./schemas.js";
import {
  type ClaimedPendingToken,
  claimPendingToken,
  issuePendingToken,
  issueTokens,
  restorePendingToken,
  sessionOfAccessToken,
} from "./tokens.js";

/**
 * The compact API as a translation: each of its routes runs one route of the app tree (or a
 * route of its own, for what the app tree has no route for), in an app-client context whose
 * session its own tokens name; the app route's gate, rate limit, input schema and handler do all
 * the work, and its Result is turned into the compact answer by the rules below.
 */

/** How a compact route knows its caller. */
export type Credential =
  /** An access token in `Authorization: Bearer` (401 `invalid_token` when it is not valid). */
  | "access"
  /**
   * The `token` field: the token of the pending flow the route continues (`mfa_token`,
   * `signup_token`, `verification_token`, `reset_token`; see `continues`).
   */
  | "pending"
  /** Nobody: the route starts from a fresh session (a Bearer token sent along is ignored). */
  | "none";

/** The run route's body, from the compact request; or the answer that refuses the request first. */
export type Translated = { body: Record<string, unknown> } | { refuse: Result };

/** Runs another app-tree route ("GET /path") in the same context; null when it is not served. */
export type RunApp = (target: string) => Promise<Result | null>;

/** One route of the compact API, as data. */
export interface CompactRoute {
  method: Method;
  /** Relative to compactApi.basePath, without the trailing slash (served with and without it). */
  path: string;
  /** The app-tree route it translates to ("POST /auth/login"), or a route of its own. */
  runs: string | Route;
  /** How it knows its caller; by the options where a flow has a token only in some mode (a code mode). */
  credential: Credential | ((o: ResolvedOptions) => Credential);
  /** What it does, for the OpenAPI document. */
  summary: string;
  /** Its body's schema, for the OpenAPI document (default: the run route's input). */
  request?: z.ZodType;
  /** What it answers, by status (see schemas.ts), for the OpenAPI document. */
  responses: Responses;
  /**
   * The pending flow this route continues when its credential is "pending", and the name of the
   * token for it in the answers that name the flow (a login, a signup, a reset request). A
   * refusal that leaves the flow pending (a wrong code) leaves the token valid.
   */
  continues?: { flow: FlowInfo["id"]; token: string };
  /** The run route's body from the compact request (default: the request's body as it is). */
  input?(
    body: Record<string, unknown>,
    ctx: Context,
    params: Readonly<Record<string, string>>,
  ): Translated | Promise<Translated>;
  /**
   * The compact body of the run route's 200 (default: a route of its own answers its `data`, a
   * translation `{}`).
   */
  done?(ctx: AuthenticatedContext, result: Result, run: RunApp): unknown;
  /** An answer the rules below do not give (TOTP setup's 404 is its success); undefined lets them answer. */
  answer?(ctx: Context, result: Result): MountedAnswer | undefined;
  /** Fields added to the answer that logs in or names a pending flow (signup's `verification_sent`). */
  extra?(ctx: Context, body: Record<string, unknown>): Record<string, unknown>;
  /** The run route's 401 without a pending flow is this route's success (logout, verification, reset): `{}`. */
  anonymousIsDone?: true;
  /** Whether the route is served besides its app route being served (default: always). */
  when?(o: ResolvedOptions): boolean;
}

/** The bare statuses allauth answers without an error object, and the compact API's message for each. */
const BARE: Readonly<Record<number, MessageId>> = {
  400: "invalid",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  429: "too_many_requests",
};

const REAUTHENTICATION_FLOWS: readonly string[] = ["reauthenticate", "mfa_reauthenticate"];

/** 200 with a compact body. */
export function answerOk(body: unknown): MountedAnswer {
  return { status: 200, body };
}

/** The compact error answer of a refusal: its status and errors, a message of its own for a bare status. */
export function failure(ctx: Context, result: Result): MountedAnswer {
  const errors =
    result.errors && result.errors.length > 0 ? result.errors : [ctx.error(BARE[result.status] ?? "invalid")];
  return {
    status: result.status,
    body: { status: result.status, errors },
    ...(result.status === 401 ? { headers: [["www-authenticate", "Bearer"]] } : {}),
  };
}

/** A 400 about the pending-login token, before any route runs. */
function tokenRefused(call: MountedCall, id: MessageId): MountedAnswer {
  return { status: 400, body: { status: 400, errors: [apiError(call.rt.messages, id, "token")] } };
}

/** A 401 about the access token (RFC 6750: `invalid_token` tells the client to refresh). */
function unauthorized(call: MountedCall, id: MessageId, challenge: string): MountedAnswer {
  return {
    status: 401,
    body: { status: 401, errors: [apiError(call.rt.messages, id)] },
    headers: [["www-authenticate", challenge]],
  };
}

/** A compact request as the app routes see it: an app client, with the session its credential named (or a fresh one). */
function contextOf(call: MountedCall, loaded: LoadedSession | null): Context {
  const session = loaded?.session ?? Session.fresh(call.rt.now());
  return new Context(
    call.rt,
    call.request,
    Client.APP,
    call.ip,
    session,
    loaded?.user ?? null,
    null,
    new Map(),
  );
}

/** A request to a compact route, and the app routes it may run besides its own. */
interface CompactCall extends MountedCall {
  routeNamed(name: string): Route | undefined;
}

/** The pending flow of an allauth 401, if any. */
function pendingFlowOf(result: Result): FlowInfo | undefined {
  if (result.status !== 401 || result.meta?.is_authenticated === true) return undefined;
  const flows = (result.data as { flows?: FlowInfo[] } | undefined)?.flows ?? [];
  return flows.find((f) => f.is_pending === true);
}

/** The flow the session has pending now, as the app tree's 401 would mark it. */
async function pendingFlowNow(ctx: Context): Promise<string | undefined> {
  return pendingFlowOf(await unauthenticated(ctx))?.id;
}

/** A compact route served with these options: the route it runs, how it knows its caller. */
interface Served {
  def: CompactRoute;
  target: Route;
  credential: Credential;
}

/**
 * One compact request: the caller's session from its credential, the run route's input from the
 * body, the route run, the session saved, the answer translated:
 * - the request logged the caller in: `{access_token, refresh_token, token_type, expires_in, user}`;
 * - a login stopped at a stage (or a provider signup waits, or a reset by code): `{flow, …}` with
 *   the flow's details, and the token of the route that continues it when there is one;
 * - a reauthentication is needed: 401 `{status, errors, flow: "reauthenticate"}`;
 * - another refusal: its status and errors;
 * - a 200: the route's own answer.
 * A compact client holds no session but through its tokens: an anonymous session that no token
 * continues is not kept.
 */
async function handle(
  { def, target, credential }: Served,
  call: CompactCall,
  continued: ReadonlyMap<string, string>,
): Promise<MountedAnswer> {
  const rt = call.rt;
  let loaded: LoadedSession | null = null;
  let claimed: ClaimedPendingToken | null = null;
  if (credential === "access") {
    const bearer = authorizationCredential(call.request.headers.get("authorization"), "Bearer");
    if (bearer === null) return unauthorized(call, "not_authenticated", "Bearer");
    loaded = await sessionOfAccessToken(rt, bearer);
    if (!loaded) return unauthorized(call, "invalid_token.access", 'Bearer error="invalid_token"');
  } else if (credential === "pending") {
    const token = call.body.token;
    if (token === undefined || token === null || token === "") return tokenRefused(call, "required");
    if (typeof token !== "string") return tokenRefused(call, "invalid");
    claimed = await claimPendingToken(rt, token, def.continues!.flow);
    if (!claimed) return tokenRefused(call, "invalid_token.pending");
    loaded = claimed.loaded;
  }
  const ctx = contextOf(call, loaded);
  const userAtStart = ctx.user?.id ?? null;
  const translated = def.input ? await def.input(call.body, ctx, call.params) : { body: call.body };
  const run = (route: Route, body: Record<string, unknown>) => call.run(route, ctx, body);
  const answer = "refuse" in translated ? translated.refuse : await run(target, translated.body);
  if (isRedirect(answer) || isPage(answer)) {
    throw new Error(`compact route ${def.method} ${def.path} ran a route that answers a page`);
  }
  const result: Result = answer;

  const loggedIn = ctx.user !== null && ctx.user.id !== userAtStart && result.status === 200;
  const pending = ctx.user ? undefined : pendingFlowOf(result);
  const tokenName = pending ? continued.get(pending.id) : undefined;
  // A refused attempt (a wrong code, a refused form) after which the token's flow is still
  // pending keeps the token, as allauth keeps the pending flow; whatever ended the flow spends it.
  const retry =
    claimed !== null &&
    !ctx.user &&
    pending === undefined &&
    result.status !== 200 &&
    (await pendingFlowNow(ctx)) === claimed.held.flow;
  if (retry) restorePendingToken(ctx.session, claimed!);
  else if (!ctx.user && tokenName === undefined) ctx.session.flush(ctx.now());
  const client = { ip: ctx.ip, userAgent: ctx.userAgent };
  await rt.sessions.commit(ctx.session, client, rt.now());

  let reply: MountedAnswer;
  if (loggedIn) {
    reply = answerOk({
      ...issueTokens(ctx.session, rt, rt.now()),
      user: toWireUser(ctx.user!),
      ...def.extra?.(ctx, call.body),
    });
  } else if (pending) {
    const { id, is_pending: _, ...details } = pending;
    reply = answerOk({
      flow: id,
      ...details,
      ...(tokenName !== undefined ? { [tokenName]: issuePendingToken(ctx, id) } : {}),
      ...def.extra?.(ctx, call.body),
    });
  } else {
    reply = await translateRest(def, ctx, result, async (name) => {
      const other = call.routeNamed(name);
      if (!other) return null;
      const done = await run(other, {});
      return isRedirect(done) || isPage(done) ? null : done;
    });
  }
  await rt.sessions.commit(ctx.session, client, rt.now());
  return reply;
}

/** The answers besides a login and a pending flow. */
async function translateRest(
  def: CompactRoute,
  ctx: Context,
  result: Result,
  run: RunApp,
): Promise<MountedAnswer> {
  if (result.status === 401 && result.meta?.is_authenticated === true) {
    const flows = (result.data as { flows?: FlowInfo[] } | undefined)?.flows ?? [];
    const flow = flows.find((f) => REAUTHENTICATION_FLOWS.includes(f.id))?.id ?? "reauthenticate";
    return {
      status: 401,
      body: { status: 401, errors: [ctx.error("reauthentication_required")], flow },
      headers: [["www-authenticate", "Bearer"]],
    };
  }
  const own = def.answer?.(ctx, result);
  if (own) return own;
  if (result.status === 401) {
    if (def.anonymousIsDone) return answerOk({});
    // A login that ended without logging in and without a stage to go on with (an inactive account).
    return failure(ctx, { status: 401, errors: [ctx.error("invalid_login")] });
  }
  if (result.status !== 200) return failure(ctx, result);
  if (def.done) return answerOk(await def.done(ctx as AuthenticatedContext, result, run));
  return answerOk(typeof def.runs === "string" ? {} : (result.data ?? {}));
}

/** `METHOD /path` of a route. */
function routeName(route: Pick<Route, "method" | "path">): string {
  return `${route.method} ${route.path}`;
}

/**
 * The compact API over the app routes served with these options: each compact route whose app
 * route is served. It hands out Bearer tokens, an app client's credential: it is served only when
 * `clients` includes "app" (an operator who keeps to cookie sessions gets no tokens).
 */
export function mountCompactApi(
  o: ResolvedOptions,
  table: readonly CompactRoute[],
  appRoutes: readonly Route[],
): MountedApi | null {
  const basePath = o.compactApi.basePath;
  if (basePath === false || !o.clients.includes(Client.APP)) return null;
  const byName = new Map(
    appRoutes
      .filter((r) => r.clients === undefined || r.clients.includes(Client.APP))
      .map((r) => [routeName(r), r] as const),
  );
  const served = table.flatMap((def): Served[] => {
    const target = typeof def.runs === "string" ? byName.get(def.runs) : def.runs;
    const credential = typeof def.credential === "function" ? def.credential(o) : def.credential;
    if (credential === "pending" && !def.continues) {
      throw new Error(`compact route ${def.method} ${def.path} takes a pending token but continues no flow`);
    }
    return target && (def.when?.(o) ?? true) ? [{ def, target, credential }] : [];
  });
  // The flows a served route continues: the answers that name one hand out its token.
  const continued = new Map(
    served.flatMap(({ def, credential }) =>
      credential === "pending" && def.continues ? [[def.continues.flow, def.continues.token] as const] : [],
    ),
  );
  const routes: MountedRoute[] = served.map((entry) => ({
    method: entry.def.method,
    path: entry.def.path,
    doc: documentation(entry),
    handle: (call) => handle(entry, { ...call, routeNamed: (name) => byName.get(name) }, continued),
  }));
  return { basePath, routes };
}

/**
 * A compact route as the OpenAPI document shows it: its body (the `token` of the pending flow
 * added where it continues one), its answers, and the refusals of its credential, of reading its
 * body and of the run route's rate limit.
 */
function documentation({ def, target, credential }: Served): MountedRoute["doc"] {
  const declared = def.request ?? (def.method === "GET" ? undefined : target.input);
  const token = z.object({
    token: z
      .string()
      .describe(
        `The \`${def.continues?.token}\` of the answer that named the \`${def.continues?.flow}\` flow.`,
      ),
  });
  const input = credential !== "pending" ? declared : declared ? token.and(declared) : token;
  const responses: Record<number, ResponseDoc> = { ...def.responses };
  const add = (status: number) => {
    responses[status] ??= compactRefusal(status);
  };
  if (credential === "access") add(401);
  if (def.method !== "GET") add(400);
  if (target.rateLimit) add(429);
  return { summary: def.summary, input, responses, bearer: credential === "access" };
}

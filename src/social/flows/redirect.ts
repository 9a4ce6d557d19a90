import type { Context } from "../../base/context.js";
import { pendingLogin } from "../../base/pending.js";
import type { PageRequest } from "../../base/route.js";
import { randomToken, safeEqual, sha256 } from "../../core/crypto.js";
import { type Answer, type Redirect, redirect } from "../../core/responses.js";
import { SessionKey } from "../../sessions/keys.js";
import { readRedirectForm } from "../inputs.js";
import { dummyLoginPage, sameSiteHopPage } from "../pages.js";
import { dummyAccount } from "../providers/dummy.js";
import { authorizationRequest, exchangeCode } from "../providers/oauth2.js";
import { appByClientId, findProvider, visibleApp } from "../providers/registry.js";
import type { ProviderApp, ProviderData } from "../providers/types.js";
import { callProvider, logProviderFailure, socialStore } from "../runtime.js";
import { isSafeUrl } from "../safe-url.js";
import { type SocialLogin, socialLoginFrom } from "../sociallogin.js";
import { completeSocialLogin, type Process } from "./complete.js";
import type { SocialOutcome } from "./connect.js";
import { pendingSignup } from "./signup.js";

/**
 * The redirect flow (browser): POST /auth/provider/redirect sends the browser to the provider;
 * the provider calls back `/accounts/<provider>/login/callback/`; the browser lands on the
 * frontend's callback_url, with `?error=…&error_process=…` when it went wrong.
 *
 * The state is 256 random bits; the database keeps its hash with the flow (provider, process,
 * callback_url, redirect_uri, PKCE verifier, nonce) and the hash of the browser binding of the
 * session that started it. A callback is completed only in that session, once, before the state
 * expires. The state alone finds the flow, so a form-posted callback (Apple), which arrives
 * cross-site without the session cookie, is taken in and sent on to the same callback by GET,
 * where the cookie comes along.
 */

/** The development provider's login page. */
export const DUMMY_LOGIN_PATH = "/accounts/dummy/login/";
/** Marks the second visit of a callback after the same-site hop. */
const HOPPED = "_redir";

/** What a redirect state holds until its callback. */
interface FlowState extends ProviderData {
  provider: string;
  clientId: string | null;
  process: Process;
  next: string;
  redirectUri: string;
  codeVerifier: string | null;
  nonce: string | null;
  /** What the provider form-posted besides the code (Apple's `user`, sent on a first login only). */
  posted?: Record<string, string>;
  /** A redirect without a browser session (see startUnboundRedirect). */
  unbound?: true;
  /** The development provider, unbound: the hash of the code its login page handed out, and the account entered. */
  dummyCode?: string;
  dummyAccount?: ProviderData;
}

/**
 * The binding hash of redirects without a browser session: no browser binding (256 random bits)
 * hashes to it, so only the unbound flow's own callback can claim their states.
 */
const UNBOUND_BINDING = sha256("latchkey.social.unbound-redirect");

/** allauth's `add_query_params`: the URL with the parameters set (a relative URL stays relative). */
function addQueryParams(url: string, params: Readonly<Record<string, string>>): string {
  const hash = url.indexOf("#");
  const fragment = hash === -1 ? "" : url.slice(hash);
  const rest = hash === -1 ? url : url.slice(0, hash);
  const q = rest.indexOf("?");
  const search = new URLSearchParams(q === -1 ? "" : rest.slice(q + 1));
  for (const [k, v] of Object.entries(params)) search.set(k, v);
  return `${q === -1 ? rest : rest.slice(0, q)}?${search.toString()}${fragment}`;
}

function errorRedirect(next: string, error: string, process: Process): Redirect {
  return redirect(addQueryParams(next, { error, error_process: process }));
}

/** The state is lost (unknown, spent, expired, another browser's): the frontend's error page (allauth, headless only). */
function stateLost(ctx: Context): Redirect {
  return errorRedirect(ctx.options.frontendUrls.socialaccountLoginError, "unknown", "login");
}

/** The provider's callback URL (allauth's, under callbackOrigin or the request's origin). */
function callbackUrl(ctx: Context, provider: ProviderApp): string {
  const s = ctx.options.socialaccount;
  const template = provider.spec.discovery ? s.oidcCallbackPath : s.callbackPath;
  const origin = s.callbackOrigin ?? new URL(ctx.request.url).origin;
  return origin + template.replace("{provider}", encodeURIComponent(provider.id));
}

function bindingOf(ctx: Context, create: boolean): string | null {
  let binding = ctx.session.get<string>(SessionKey.SOCIAL_BINDING) ?? null;
  if (binding === null && create) {
    binding = randomToken();
    ctx.session.set(SessionKey.SOCIAL_BINDING, binding);
  }
  return binding;
}

/**
 * POST /auth/provider/redirect (allauth RedirectToProviderView, headless only): a valid form with a
 * safe callback_url answers 302 to the provider; anything else 302 to the frontend's error page
 * (never to the callback_url given, which may not be safe).
 */
export async function startRedirect(ctx: Context, body: Record<string, unknown>): Promise<Answer> {
  const form = readRedirectForm(body);
  if (!form || !isSafeUrl(ctx, form.callback_url)) return stateLost(ctx);
  const configured = findProvider(ctx.options, form.provider);
  const provider = configured && visibleApp(configured);
  if (!provider?.spec.redirect) return stateLost(ctx);
  const process = form.process as Process;
  const location = await openFlow(
    ctx,
    provider,
    { process, next: form.callback_url, redirectUri: callbackUrl(ctx, provider) },
    () => sha256(bindingOf(ctx, true)!),
    "",
  );
  if (location === null) return errorRedirect(form.callback_url, "unknown", process);
  return redirect(location);
}

/**
 * Opens a redirect flow: a new state; the provider's authorization URL, with the PKCE verifier
 * and nonce it needs kept (for the development provider, its login page under `pagesOrigin`);
 * and the flow kept under the state's hash, bound to `bindingHash()` (asked only once the
 * provider answered, so a failed start leaves the session untouched). Null when the provider
 * could not be reached (logged).
 */
async function openFlow(
  ctx: Context,
  provider: ProviderApp,
  flow: Pick<FlowState, "process" | "next" | "redirectUri" | "unbound">,
  bindingHash: () => string,
  pagesOrigin: string,
): Promise<string | null> {
  const state = randomToken();
  let location = `${pagesOrigin}${DUMMY_LOGIN_PATH}?state=${state}`;
  let secrets: { codeVerifier: string | null; nonce: string | null } = { codeVerifier: null, nonce: null };
  if (provider.spec.usesApps) {
    try {
      ({ url: location, secrets } = await authorizationRequest(callProvider(ctx, provider), {
        state,
        redirectUri: flow.redirectUri,
      }));
    } catch (err) {
      logProviderFailure(ctx, provider.id, err, "provider redirect failed");
      return null;
    }
  }
  const kept: FlowState = {
    provider: provider.id,
    clientId: provider.app?.clientId ?? null,
    ...flow,
    ...secrets,
  };
  await socialStore(ctx.rt).states.create(
    sha256(state),
    bindingHash(),
    kept,
    ctx.now(),
    ctx.options.socialaccount.stateTimeout * 1000,
  );
  return location;
}

/** The flow of a state, taken for good when this browser started it. */
async function claimFlow(ctx: Context, state: string): Promise<FlowState | null> {
  const binding = bindingOf(ctx, false);
  if (binding === null) return null;
  return (await socialStore(ctx.rt).states.claim(
    sha256(state),
    sha256(binding),
    ctx.now(),
  )) as FlowState | null;
}

/**
 * allauth's headless `complete_login`: the provider's person logs in, signs up or is connected,
 * and the browser goes to the callback_url; with `?error=` when that was refused, or when it
 * ended neither logged in nor with a flow pending (a signup, a stage).
 */
async function finish(ctx: Context, login: SocialLogin, flow: FlowState): Promise<Answer> {
  const outcome = await completeSocialLogin(ctx, login, flow.process);
  if ("refused" in outcome) return errorRedirect(flow.next, outcome.refused, flow.process);
  if (!ctx.user && !pendingSignup(ctx) && !pendingLogin(ctx)?.stage) {
    return errorRedirect(flow.next, "unknown", flow.process);
  }
  return redirect(flow.next);
}

/**
 * GET and POST of a provider's callback. A POST (response_mode=form_post) is sent on as a GET to
 * the same URL, what it carried besides the code kept with the flow. A GET completes the flow in
 * the session that started it.
 */
export async function providerCallback(ctx: Context, page: PageRequest): Promise<Answer> {
  const method = ctx.request.method.toUpperCase();
  // A HEAD (a link checker, a prefetch) must not spend the state the browser's GET will need.
  if (method === "HEAD") return { status: 200, html: "" };
  const posted = method === "POST";
  const params = posted ? new URLSearchParams(page.form) : new URLSearchParams(page.query);
  const state = params.get("state");
  if (!state) return stateLost(ctx);
  const states = socialStore(ctx.rt).states;
  const path = new URL(ctx.request.url).pathname;
  if (posted) {
    const flow = (await states.find(sha256(state), ctx.now())) as FlowState | null;
    if (!flow) return stateLost(ctx);
    const kept: Record<string, string> = {};
    const forward = new URLSearchParams();
    for (const [k, v] of params) {
      if (k === "user") kept[k] = v;
      else forward.set(k, v);
    }
    if (Object.keys(kept).length > 0)
      await states.attach(sha256(state), { ...flow, posted: kept }, ctx.now());
    return redirect(`${path}?${forward.toString()}`);
  }
  if (
    !ctx.sentToken &&
    !params.has(HOPPED) &&
    ctx.options.sessions.cookieSameSite === "Strict" &&
    (await states.find(sha256(state), ctx.now()))
  ) {
    params.set(HOPPED, "");
    return sameSiteHopPage(`${path}?${params.toString()}`);
  }
  const flow = await claimFlow(ctx, state);
  if (!flow) return stateLost(ctx);
  const configured = findProvider(ctx.options, flow.provider);
  const provider = configured && appByClientId(configured, flow.clientId ?? undefined);
  // The code must come back to the callback of the provider the flow went to (mix-up defence).
  if (!provider || new URL(flow.redirectUri).pathname !== path) {
    return errorRedirect(flow.next, "unknown", flow.process);
  }
  if (params.has("error") || !params.has("code")) {
    // allauth: the user declining at the provider is "cancelled", anything else "unknown".
    return errorRedirect(
      flow.next,
      params.get("error") === "access_denied" ? "cancelled" : "unknown",
      flow.process,
    );
  }
  params.delete(HOPPED);
  const login = await exchangeForLogin(ctx, provider, flow, state, params);
  if (!login) return errorRedirect(flow.next, "unknown", flow.process);
  return finish(ctx, login, flow);
}

/**
 * The provider's side of a callback: the code exchanged with the flow's PKCE verifier and nonce,
 * and the person's profile read; null when the provider refused or could not be reached (logged).
 * `assumeIssuer`: a callback without `iss` is taken to come from the provider the state went to,
 * when the provider sends `iss` (a client handing the callback on may leave it out).
 */
async function exchangeForLogin(
  ctx: Context,
  provider: ProviderApp,
  flow: FlowState,
  state: string,
  callback: URLSearchParams,
  assumeIssuer = false,
): Promise<SocialLogin | null> {
  try {
    const call = callProvider(ctx, provider);
    if (assumeIssuer && !callback.has("iss")) {
      const as = await call.metadata();
      if (as.authorization_response_iss_parameter_supported) callback.set("iss", as.issuer);
    }
    const tokens = await exchangeCode(call, callback, {
      state,
      redirectUri: flow.redirectUri,
      secrets: { codeVerifier: flow.codeVerifier, nonce: flow.nonce },
    });
    const data = await provider.spec.profile(call, tokens, flow.posted ?? {});
    return socialLoginFrom(provider, data, {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? null,
      expiresAt: tokens.expires_in !== undefined ? ctx.now() + tokens.expires_in * 1000 : null,
    });
  } catch (err) {
    logProviderFailure(ctx, provider.id, err, "provider callback failed");
    return null;
  }
}

/** Why an unbound redirect could not start or complete. */
export type UnboundFailure =
  /** No such provider offers the redirect flow. */
  | "unknown_provider"
  /** The state is unknown, spent, expired, or another provider's. */
  | "state_lost"
  /** The provider could not be reached, or refused the code. */
  | "provider_failed";

/**
 * The redirect flow for a client without a browser session (the compact API): the authorization
 * request (state, PKCE verifier, nonce) is kept under the state's hash, bound to no session, and
 * the provider sends the user back to `redirectUri`, a page of the client's, which hands the code
 * and state to completeUnboundRedirect. The state (256 random bits, single use, expiring) is the
 * only link to the client that started it; that client must check the state it gets back is the
 * one it sent (login CSRF). With the development provider, its login page sends the user back the
 * same way.
 */
export async function startUnboundRedirect(
  ctx: Context,
  providerId: string,
  redirectUri: string,
): Promise<{ url: string } | { failed: UnboundFailure }> {
  const configured = findProvider(ctx.options, providerId);
  const provider = configured && visibleApp(configured);
  if (!provider?.spec.redirect) return { failed: "unknown_provider" };
  const location = await openFlow(
    ctx,
    provider,
    { process: "login", next: redirectUri, redirectUri, unbound: true },
    () => UNBOUND_BINDING,
    new URL(ctx.request.url).origin,
  );
  if (location === null) return { failed: "provider_failed" };
  return { url: location };
}

/**
 * The callback of an unbound redirect: the state claimed (once, for the provider it went to), the
 * code exchanged with the verifier and nonce kept, and the person logged in or signed up exactly
 * as a token login does. `callback` holds `code`, `state` and, when the client forwards it, `iss`;
 * without one, the issuer expected is assumed: the state already ties the answer to this provider.
 */
export async function completeUnboundRedirect(
  ctx: Context,
  providerId: string,
  callback: URLSearchParams,
): Promise<SocialOutcome | { failed: UnboundFailure }> {
  const known = findProvider(ctx.options, providerId);
  if (!known || !visibleApp(known)?.spec.redirect) return { failed: "unknown_provider" };
  const state = callback.get("state") ?? "";
  const flow = (await socialStore(ctx.rt).states.claim(
    sha256(state),
    UNBOUND_BINDING,
    ctx.now(),
  )) as FlowState | null;
  if (!flow || flow.provider !== providerId) return { failed: "state_lost" };
  const configured = findProvider(ctx.options, flow.provider);
  const provider = configured && appByClientId(configured, flow.clientId ?? undefined);
  if (!provider) return { failed: "state_lost" };
  let login: SocialLogin;
  if (!provider.spec.usesApps) {
    const code = callback.get("code") ?? "";
    if (!flow.dummyCode || !flow.dummyAccount || !safeEqual(flow.dummyCode, sha256(code))) {
      return { failed: "provider_failed" };
    }
    login = socialLoginFrom(provider, flow.dummyAccount, null);
  } else {
    const exchanged = await exchangeForLogin(ctx, provider, flow, state, callback, true);
    if (!exchanged) return { failed: "provider_failed" };
    login = exchanged;
  }
  return completeSocialLogin(ctx, login, "login");
}

/**
 * The development provider's login page, posted for an unbound flow: the account entered is kept
 * with the state and the user sent to the client's page with a one-time code for it (or with
 * `error=access_denied`), as a provider would.
 */
async function dummyLoginUnbound(
  ctx: Context,
  state: string,
  flow: FlowState,
  account: ProviderData | null,
): Promise<Answer> {
  if (!account) {
    await socialStore(ctx.rt).states.claim(sha256(state), UNBOUND_BINDING, ctx.now());
    return redirect(addQueryParams(flow.redirectUri, { error: "access_denied", state }));
  }
  const code = randomToken();
  await socialStore(ctx.rt).states.attach(
    sha256(state),
    { ...flow, dummyCode: sha256(code), dummyAccount: account },
    ctx.now(),
  );
  return redirect(addQueryParams(flow.redirectUri, { code, state }));
}

function formValues(form: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of ["id", "email", "email_verified", "username", "first_name", "last_name"]) {
    if (form[name] !== undefined) values[name] = form[name];
  }
  return values;
}

/** GET /accounts/dummy/login/?state=…: the development provider's login form. */
export async function dummyLoginForm(ctx: Context, page: PageRequest): Promise<Answer> {
  const state = page.query.get("state");
  if (!state || !(await socialStore(ctx.rt).states.find(sha256(state), ctx.now()))) return stateLost(ctx);
  return dummyLoginPage(`${DUMMY_LOGIN_PATH}?${new URLSearchParams({ state }).toString()}`, {});
}

/** POST /accounts/dummy/login/?state=…: logs in as the account entered (or cancels), completing the flow. */
export async function dummyLogin(ctx: Context, page: PageRequest): Promise<Answer> {
  const state = page.query.get("state");
  if (!state) return stateLost(ctx);
  const cancelled = page.form.action === "cancel";
  const account = cancelled ? null : dummyAccount(page.form);
  if (!cancelled && !account) {
    if (!(await socialStore(ctx.rt).states.find(sha256(state), ctx.now()))) return stateLost(ctx);
    return dummyLoginPage(
      `${DUMMY_LOGIN_PATH}?${new URLSearchParams({ state }).toString()}`,
      formValues(page.form),
      "Enter a whole number as the account ID, and a valid email address or none.",
    );
  }
  const unbound = (await socialStore(ctx.rt).states.find(sha256(state), ctx.now())) as FlowState | null;
  if (unbound?.unbound) return dummyLoginUnbound(ctx, state, unbound, account);
  const flow = await claimFlow(ctx, state);
  if (!flow) return stateLost(ctx);
  if (cancelled) return errorRedirect(flow.next, "cancelled", flow.process);
  const configured = findProvider(ctx.options, flow.provider);
  const provider = configured && appByClientId(configured, undefined);
  if (!provider || provider.spec.usesApps) return errorRedirect(flow.next, "unknown", flow.process);
  return finish(ctx, socialLoginFrom(provider, account!, null), flow);
}

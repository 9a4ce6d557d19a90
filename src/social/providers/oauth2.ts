import * as oauth from "oauth4webapi";
import type { ResolvedOptions } from "../../options/schema.js";
import { type ProviderApp, type ProviderCall, type ProviderData, ProviderError } from "./types.js";

/**
 * The authorization code flow with any preset, through oauth4webapi: the authorization URL
 * (state, PKCE S256, nonce), the callback's validation (state, `iss`), the code exchange with the
 * app's client authentication, and the id_token's claims (issuer, audience, expiry, nonce).
 */

/** What a redirect must remember until its callback. */
export interface AuthorizationSecrets {
  codeVerifier: string | null;
  nonce: string | null;
}

/** The scope asked for: the app's or provider's setting, else the preset's default (allauth `get_scope`). */
export function scopeOf(provider: ProviderApp, o: ResolvedOptions): string[] {
  return [...new Set(provider.settings.scope ?? provider.spec.scope(o))];
}

async function usesPkce(call: ProviderCall): Promise<boolean> {
  const { settings, spec } = call.provider;
  if (settings.pkce !== undefined) return settings.pkce;
  if (spec.discovery)
    return ((await call.metadata()).code_challenge_methods_supported ?? []).includes("S256");
  return spec.pkce;
}

/** Whether the token endpoint answers with an id_token that must carry our nonce. */
function usesNonce(provider: ProviderApp, scope: readonly string[]): boolean {
  return provider.spec.idToken === true || (provider.spec.discovery === true && scope.includes("openid"));
}

/** The URL to send the browser to, and the secrets the callback will need. */
export async function authorizationRequest(
  call: ProviderCall,
  init: { state: string; redirectUri: string },
): Promise<{ url: string; secrets: AuthorizationSecrets }> {
  const { provider, options } = call;
  const as = await call.metadata();
  if (!as.authorization_endpoint) throw new ProviderError(`${provider.id} has no authorization endpoint`);
  const scope = scopeOf(provider, options);
  const params = new URLSearchParams({
    client_id: provider.app!.clientId,
    redirect_uri: init.redirectUri,
    response_type: "code",
    state: init.state,
  });
  if (scope.length > 0) params.set("scope", scope.join(" "));
  if (provider.spec.formPost) params.set("response_mode", "form_post");
  let codeVerifier: string | null = null;
  if (await usesPkce(call)) {
    codeVerifier = oauth.generateRandomCodeVerifier();
    params.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
    params.set("code_challenge_method", "S256");
  }
  const nonce = usesNonce(provider, scope) ? oauth.generateRandomNonce() : null;
  if (nonce !== null) params.set("nonce", nonce);
  for (const [k, v] of Object.entries({ ...provider.spec.authParams, ...provider.settings.authParams })) {
    params.set(k, v);
  }
  const url = new URL(as.authorization_endpoint);
  for (const [k, v] of params) url.searchParams.set(k, v);
  // Spaces as %20 rather than "+": some providers (Apple) read "+" literally in the scope.
  url.search = url.searchParams.toString().replace(/\+/g, "%20");
  return { url: url.href, secrets: { codeVerifier, nonce } };
}

async function clientAuthentication(
  call: ProviderCall,
  as: oauth.AuthorizationServer,
): Promise<oauth.ClientAuth> {
  const { spec, settings, app } = call.provider;
  const secret = spec.clientSecret ? await spec.clientSecret(call) : app!.secret;
  // An app without a secret is a public client: PKCE is what protects its code.
  if (secret === "") return oauth.None();
  let method = settings.tokenAuthMethod ?? spec.clientAuth;
  if (method === undefined && spec.discovery) {
    // allauth: Basic only when the server takes Basic and not the form (a colon in a client id breaks Basic).
    const supported = as.token_endpoint_auth_methods_supported ?? [];
    method =
      !supported.includes("client_secret_post") && supported.includes("client_secret_basic")
        ? "client_secret_basic"
        : "client_secret_post";
  }
  return method === "client_secret_basic" ? basicAsProvidersRead(secret) : oauth.ClientSecretPost(secret);
}

/**
 * HTTP Basic client authentication with the id and secret as they are, as allauth (requests)
 * sends them. oauth4webapi form-encodes both first, as RFC 6749 says, but providers that take
 * Basic (X, Reddit, Zoom) compare what they get with the id they issued, and their ids contain
 * "-" and "_", which that encoding escapes.
 */
function basicAsProvidersRead(secret: string): oauth.ClientAuth {
  return (_as, client, _body, headers) => {
    headers.set("authorization", `Basic ${Buffer.from(`${client.client_id}:${secret}`).toString("base64")}`);
  };
}

/**
 * The callback's parameters validated (state, and `iss` where the provider sends it) and the code
 * exchanged for tokens; the id_token's claims are validated when one was expected or came.
 */
export async function exchangeCode(
  call: ProviderCall,
  callback: URLSearchParams,
  flow: { state: string; redirectUri: string; secrets: AuthorizationSecrets },
): Promise<oauth.TokenEndpointResponse> {
  const as = await call.metadata();
  const client = call.client();
  const parameters = oauth.validateAuthResponse(as, client, callback, flow.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    await clientAuthentication(call, as),
    parameters,
    flow.redirectUri,
    flow.secrets.codeVerifier ?? oauth.nopkce,
    call.http,
  );
  return oauth.processAuthorizationCodeResponse(as, client, await withScopeAsText(response), {
    expectedNonce: flow.secrets.nonce ?? oauth.expectNoNonce,
    requireIdToken: flow.secrets.nonce !== null,
  });
}

/**
 * RFC 6749 makes a token response's `scope` a space-separated string; some providers (Twitch)
 * answer a list, which oauth4webapi rightly refuses. The list is read as the string it stands for.
 */
async function withScopeAsText(response: Response): Promise<Response> {
  if (!(response.headers.get("content-type") ?? "").includes("json")) return response;
  const text = await response.text();
  const rebuilt = (body: string) => {
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return rebuilt(text);
  }
  const scope = body !== null && typeof body === "object" ? (body as { scope?: unknown }).scope : undefined;
  if (!Array.isArray(scope)) return rebuilt(text);
  return rebuilt(
    JSON.stringify({ ...(body as object), scope: scope.filter((s) => typeof s === "string").join(" ") }),
  );
}

/** The validated claims of the id_token a code exchange returned, if any. */
export function idTokenClaims(tokens: oauth.TokenEndpointResponse): ProviderData | undefined {
  return oauth.getValidatedIdTokenClaims(tokens) as ProviderData | undefined;
}

/** The OpenID Connect userinfo of an access token, its `sub` checked against the id_token's. */
export async function userinfo(
  call: ProviderCall,
  tokens: oauth.TokenEndpointResponse,
): Promise<ProviderData> {
  const as = await call.metadata();
  const client = call.client();
  const response = await oauth.userInfoRequest(as, client, tokens.access_token, call.http);
  const sub = idTokenClaims(tokens)?.sub;
  return (await oauth.processUserInfoResponse(
    as,
    client,
    typeof sub === "string" ? sub : oauth.skipSubjectCheck,
    response,
  )) as ProviderData;
}

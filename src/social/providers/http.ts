import type { createRemoteJWKSet, JWTPayload } from "jose";
import * as oauth from "oauth4webapi";
import type { ResolvedOptions } from "../../options/schema.js";
import {
  type ApiCallInit,
  type IdTokenCheck,
  type ProviderApp,
  type ProviderCall,
  type ProviderData,
  ProviderError,
} from "./types.js";

/** The largest answer a provider may give (a profile, a key set, a discovery document). */
const MAX_RESPONSE_BYTES = 1_048_576;
/** How long a discovery document is used before it is fetched again. */
const DISCOVERY_TTL_MS = 3_600_000;

const METADATA_FIELDS: Readonly<Record<string, keyof oauth.AuthorizationServer>> = {
  authorization: "authorization_endpoint",
  token: "token_endpoint",
  userinfo: "userinfo_endpoint",
  jwks: "jwks_uri",
  issuer: "issuer",
};

/** Whether a URL's host is this machine (where plain http is allowed: tests and local servers). */
export function isLoopback(url: URL): boolean {
  const host = url.hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Whether a provider URL may be called: https, or http on the loopback interface. */
export function isAllowedProviderUrl(url: URL): boolean {
  return url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url));
}

/**
 * fetch for everything that talks to providers: https only (http on loopback), no redirects
 * followed, at most `timeoutMs` per call including the body, and answers over 1 MiB refused, so a
 * slow or hostile provider cannot hold a request or fill memory.
 */
export function providerFetch(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (!isAllowedProviderUrl(url)) throw new ProviderError(`refusing to call ${url.origin} (not https)`);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const response = await fetch(input, { ...init, redirect: "manual", signal });
    const declared = Number(response.headers.get("content-length") ?? 0);
    if (declared > MAX_RESPONSE_BYTES) {
      await response.body?.cancel().catch(() => {});
      throw new ProviderError(`${url.origin} answered more than ${MAX_RESPONSE_BYTES} bytes`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > MAX_RESPONSE_BYTES) {
          await reader.cancel().catch(() => {});
          throw new ProviderError(`${url.origin} answered more than ${MAX_RESPONSE_BYTES} bytes`);
        }
        chunks.push(value);
      }
    }
    const empty = response.status === 204 || response.status === 304;
    return new Response(empty ? null : Buffer.concat(chunks, size), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** What one Latchkey keeps between calls to providers: discovery documents and key sets. */
interface ProviderCaches {
  discovery: Map<string, { metadata: oauth.AuthorizationServer; until: number }>;
  keySets: Map<string, ReturnType<typeof createRemoteJWKSet>>;
}

/** One set of caches per Latchkey (its options object is its own), never shared between instances. */
const cachesByInstance = new WeakMap<ResolvedOptions, ProviderCaches>();

function cachesOf(o: ResolvedOptions): ProviderCaches {
  let caches = cachesByInstance.get(o);
  if (!caches) {
    caches = { discovery: new Map(), keySets: new Map() };
    cachesByInstance.set(o, caches);
  }
  return caches;
}

/** The issuer a `serverUrl` names (it may be the discovery document's URL itself, as allauth allows). */
export function issuerOfServerUrl(serverUrl: string): string {
  const at = serverUrl.indexOf("/.well-known/");
  return at === -1 ? serverUrl.replace(/\/$/, "") : serverUrl.slice(0, at);
}

/** The discovery document's URL of a `serverUrl` (allauth's `wk_server_url`). */
export function discoveryUrlOf(serverUrl: string): string {
  return serverUrl.includes("/.well-known/")
    ? serverUrl
    : `${serverUrl.replace(/\/$/, "")}/.well-known/openid-configuration`;
}

async function discover(call: ProviderCall, serverUrl: string): Promise<oauth.AuthorizationServer> {
  const caches = cachesOf(call.options);
  const cached = caches.discovery.get(serverUrl);
  if (cached && cached.until > Date.now()) return cached.metadata;
  const issuer = new URL(issuerOfServerUrl(serverUrl));
  const response = await call.fetch(discoveryUrlOf(serverUrl), { headers: { accept: "application/json" } });
  // The document must name the issuer it was found at (the mix-up defence of discovery).
  const metadata = await oauth.processDiscoveryResponse(issuer, response);
  for (const field of Object.values(METADATA_FIELDS)) {
    const value = metadata[field];
    if (typeof value === "string" && !isAllowedProviderUrl(new URL(value))) {
      throw new ProviderError(`${field} of ${issuer.href} is not an https URL`);
    }
  }
  caches.discovery.set(serverUrl, { metadata, until: Date.now() + DISCOVERY_TTL_MS });
  return metadata;
}

/** The endpoint of a preset as configured: the override, else the default from the settings. */
export function endpointOf(provider: ProviderApp, name: string): string | undefined {
  return provider.settings.endpoints?.[name] ?? provider.spec.endpoints[name]?.(provider.settings);
}

function staticMetadata(provider: ProviderApp): oauth.AuthorizationServer {
  const fields: Record<string, string> = {};
  for (const [name, field] of Object.entries(METADATA_FIELDS)) {
    const url = endpointOf(provider, name);
    if (url !== undefined) fields[field] = url;
  }
  // A plain OAuth 2.0 provider has no issuer: its authorization server's origin stands for it, so
  // an `iss` it might send (RFC 9207) is still checked against something it cannot choose.
  const issuer = fields.issuer ?? new URL(fields.authorization_endpoint ?? fields.token_endpoint!).origin;
  return { ...fields, issuer };
}

/** What the caller keeps for the calls: which id_token ids were used already. */
export interface CallHooks {
  /** Records an id_token's id (issuer, jti) until it expires; false when it was used before. */
  firstUse(issuer: string, jti: string, expiresAt: number): Promise<boolean>;
}

/** The call context of one provider for one request. */
export function providerCall(
  o: ResolvedOptions,
  provider: ProviderApp,
  now: () => number,
  hooks: CallHooks,
): ProviderCall {
  const fetchImpl = providerFetch(o.socialaccount.requestTimeoutMs);
  // providerFetch refuses plain http beyond loopback itself, so oauth4webapi need not.
  const http = {
    [oauth.customFetch]: (url: string, options: oauth.CustomFetchOptions<string, unknown>) =>
      fetchImpl(url, options as RequestInit),
    [oauth.allowInsecureRequests]: true,
  };
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  const call: ProviderCall = {
    provider,
    options: o,
    fetch: fetchImpl,
    http,
    now,
    endpoint(name) {
      const url = endpointOf(provider, name);
      if (url === undefined) throw new ProviderError(`${provider.id} has no ${name} endpoint configured`);
      return url;
    },
    metadata() {
      metadata ??= (async () => {
        if (!provider.spec.discovery) return staticMetadata(provider);
        const discovered = await discover(call, provider.settings.serverUrl!);
        const overrides: Record<string, string> = {};
        for (const [name, field] of Object.entries(METADATA_FIELDS)) {
          const url = provider.settings.endpoints?.[name];
          if (url !== undefined) overrides[field] = url;
        }
        return { ...discovered, ...overrides };
      })();
      return metadata;
    },
    client() {
      return {
        client_id: provider.app?.clientId ?? provider.id,
        // oauth4webapi checks id_token times against the real clock; Latchkey's may be moved (tests).
        [oauth.clockSkew]: Math.round((now() - Date.now()) / 1000),
      };
    },
    async api(url, accessToken, init: ApiCallInit = {}) {
      const target = new URL(url);
      for (const [k, v] of Object.entries(init.query ?? {})) target.searchParams.set(k, v);
      const headers = new Headers({ accept: "application/json", ...init.headers });
      const response = await oauth.protectedResourceRequest(
        accessToken,
        init.method ?? "GET",
        target,
        headers,
        null,
        http,
      );
      if (init.allowStatus?.includes(response.status)) return null;
      if (!response.ok)
        throw new ProviderError(`${target.origin}${target.pathname} answered ${response.status}`);
      let body: unknown;
      try {
        body = await response.json();
      } catch (cause) {
        throw new ProviderError(`${target.origin}${target.pathname} answered no JSON`, { cause });
      }
      return body;
    },
    async verifyIdToken(idToken, check: IdTokenCheck) {
      // Imported here, not with the module: a server that never verifies an id_token never loads it.
      const {
        createRemoteJWKSet,
        customFetch: joseFetch,
        errors: joseErrors,
        jwtVerify,
      } = await import("jose");
      const caches = cachesOf(o);
      let keys = caches.keySets.get(check.jwksUrl);
      if (!keys) {
        keys = createRemoteJWKSet(new URL(check.jwksUrl), {
          [joseFetch]: fetchImpl,
          timeoutDuration: o.socialaccount.requestTimeoutMs,
        });
        caches.keySets.set(check.jwksUrl, keys);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(idToken, keys, {
          issuer: check.issuer as string | string[],
          audience: check.audience as string | string[],
          algorithms: [
            "RS256",
            "RS384",
            "RS512",
            "PS256",
            "PS384",
            "PS512",
            "ES256",
            "ES384",
            "ES512",
            "EdDSA",
          ],
          currentDate: new Date(now()),
          requiredClaims: ["sub", "exp", "iat"],
        }));
      } catch (cause) {
        const why = cause instanceof joseErrors.JOSEError ? cause.code : String(cause);
        throw new ProviderError(`id_token refused: ${why}`, { cause });
      }
      if (check.nonce !== undefined && payload.nonce !== check.nonce) {
        throw new ProviderError("id_token refused: nonce mismatch");
      }
      if (
        typeof payload.jti === "string" &&
        typeof payload.iss === "string" &&
        typeof payload.exp === "number"
      ) {
        if (!(await hooks.firstUse(payload.iss, payload.jti, payload.exp * 1000))) {
          throw new ProviderError("id_token refused: used before");
        }
      }
      return payload as ProviderData;
    },
  };
  return call;
}

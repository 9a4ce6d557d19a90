import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";

/**
 * A real OpenID provider for the tests: oidc-provider on loopback (port 0), with clients given,
 * whose interaction logs in the account chosen with `loginAs` and grants consent at once (or
 * declines, with `decline`). `authorize` plays the browser at the provider; `idToken` runs a
 * whole code flow to get a real id_token for a client.
 */

export interface IdpAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
  family_name?: string;
  preferred_username?: string;
}

export interface IdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export interface Idp {
  issuer: string;
  /** Who logs in at the next authorizations. */
  loginAs(account: IdpAccount): void;
  /** The next authorization is declined by the user (access_denied). */
  decline(): void;
  /** Follows an authorization URL through the provider, a fresh browser each time: where it sends back. */
  authorize(url: string): Promise<URL>;
  /** A real id_token for the client and account (a code flow against the provider). */
  idToken(client: IdpClient, account: IdpAccount, opts?: { nonce?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIdp(clients: IdpClient[]): Promise<Idp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const accounts = new Map<string, IdpAccount>();
  let current: IdpAccount = { sub: "nobody" };
  let declineNext = false;

  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: "idp-key", alg: "RS256", use: "sig" };
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      ...c,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name", "preferred_username"],
    },
    features: { devInteractions: { enabled: false } },
    // The scopes' claims go into the id_token too (as most providers do), not only into userinfo.
    conformIdTokenClaims: false,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ ...account }) };
    },
  });
  provider.use(async (ctx, next) => {
    if (ctx.method !== "GET" || !ctx.path.startsWith("/interaction/")) return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (declineNext) {
      declineNext = false;
      return provider.interactionFinished(
        ctx.req,
        ctx.res,
        { error: "access_denied" },
        { mergeWithLastSubmission: false },
      );
    }
    if (details.prompt.name === "login") {
      accounts.set(current.sub, current);
      return provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: current.sub } });
    }
    const grant = new provider.Grant({
      accountId: details.session!.accountId!,
      clientId: details.params.client_id,
    });
    grant.addOIDCScope(String(details.params.scope ?? "openid"));
    const missing = details.prompt.details.missingOIDCClaims;
    if (Array.isArray(missing)) grant.addOIDCClaims(missing as string[]);
    return provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId: await grant.save() } });
  });
  server.on("request", provider.callback());

  async function authorize(url: string): Promise<URL> {
    const jar = new Map<string, string>();
    let next = new URL(url);
    for (let hop = 0; hop < 10; hop++) {
      const response = await fetch(next, {
        redirect: "manual",
        headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") },
      });
      for (const cookie of response.headers.getSetCookie()) {
        const [pair] = cookie.split(";");
        const eq = pair!.indexOf("=");
        jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
      const location = response.headers.get("location");
      if (!location) throw new Error(`the provider answered ${response.status}: ${await response.text()}`);
      await response.body?.cancel();
      next = new URL(location, next);
      if (next.origin !== issuer) return next;
    }
    throw new Error("the provider kept redirecting");
  }

  return {
    issuer,
    loginAs(account) {
      current = account;
    },
    decline() {
      declineNext = true;
    },
    authorize,
    async idToken(client, account, opts = {}) {
      current = account;
      const redirectUri = client.redirect_uris[0]!;
      const params = new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: redirectUri,
        response_type: "code",
        scope: "openid email profile",
        state: randomBytes(8).toString("hex"),
        ...(opts.nonce ? { nonce: opts.nonce } : {}),
      });
      const back = await authorize(`${issuer}/auth?${params}`);
      const code = back.searchParams.get("code");
      if (!code) throw new Error(`no code: ${back.href}`);
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          redirect_uri: redirectUri,
          client_id: client.client_id,
          client_secret: client.client_secret,
        }),
      });
      const body = (await response.json()) as { id_token?: string };
      if (!body.id_token) throw new Error(`no id_token: ${JSON.stringify(body)}`);
      return body.id_token;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

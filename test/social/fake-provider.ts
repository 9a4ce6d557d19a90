import { createHash, createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportPKCS8, generateKeyPair, type JWK, jwtVerify, SignJWT } from "jose";

/**
 * A stand-in for the providers' servers, on loopback: it answers each preset's token endpoint and
 * APIs with the provider's documented response shapes, after checking what the provider checks
 * (the code, redirect_uri and PKCE verifier; the client authentication; the Bearer token).
 */

export interface TokenRequestCheck {
  /** How the client must authenticate: the secret in the body, in Basic, or Apple's signed JWT. */
  auth: "post" | "basic" | "apple";
  clientId: string;
  secret: string;
}

export interface Expected {
  redirectUri: string;
  codeChallenge: string | null;
  nonce: string | null;
}

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: IncomingMessage["headers"];
}

type Answer = { status?: number; json: unknown };
type Handler = (request: RecordedRequest, form: URLSearchParams) => Answer | Promise<Answer>;

export interface FakeProvider {
  base: string;
  /** The key that signs its id_tokens, published at `${base}/jwks`. */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** Serves `path` (relative to base). */
  route(path: string, handler: Handler): void;
  /** A token endpoint at `path` that gives `tokens` for one code issued with `expected`. */
  tokenEndpoint(
    path: string,
    check: TokenRequestCheck,
    tokens: (expected: Expected) => Promise<unknown>,
  ): void;
  /** A code the token endpoint will take once, with what the authorization request carried. */
  issueCode(expected: Expected): string;
  /** The requests received, newest last. */
  requests: RecordedRequest[];
  /** Apple's key pair: the private key Latchkey signs client secrets with, as PEM. */
  applePrivateKeyPem: string;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startFakeProvider(): Promise<FakeProvider> {
  const handlers = new Map<string, Handler>();
  const codes = new Map<string, Expected>();
  const requests: RecordedRequest[] = [];
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid: "fake-key", alg: "RS256", use: "sig" };
  const apple = await generateKeyPair("ES256", { extractable: true });
  const applePrivateKeyPem = await exportPKCS8(apple.privateKey);

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const recorded: RecordedRequest = { method: req.method ?? "GET", url, headers: req.headers };
    requests.push(recorded);
    const form = new URLSearchParams(req.method === "POST" ? await readBody(req) : "");
    const handler = handlers.get(url.pathname);
    const out = handler ? await handler(recorded, form) : { status: 404, json: { error: "not_found" } };
    res.writeHead(out.status ?? 200, { "content-type": "application/json" });
    res.end(JSON.stringify(out.json));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handlers.set("/jwks", () => ({ json: { keys: [publicJwk] } }));

  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: "fake-key" }).sign(privateKey);

  return {
    base,
    sign,
    requests,
    applePrivateKeyPem,
    route(path, handler) {
      handlers.set(path, handler);
    },
    issueCode(expected) {
      const code = randomBytes(12).toString("hex");
      codes.set(code, expected);
      return code;
    },
    tokenEndpoint(path, check, tokens) {
      handlers.set(path, async (request, form) => {
        const refuse = (error: string) => ({ status: 400, json: { error } });
        const expected = codes.get(form.get("code") ?? "");
        if (!expected) return refuse("invalid_grant");
        codes.delete(form.get("code")!);
        if (form.get("grant_type") !== "authorization_code") return refuse("unsupported_grant_type");
        if (form.get("redirect_uri") !== expected.redirectUri) return refuse("invalid_grant");
        const verifier = form.get("code_verifier");
        if (expected.codeChallenge !== null) {
          const challenge = createHash("sha256")
            .update(verifier ?? "")
            .digest("base64url");
          if (challenge !== expected.codeChallenge) return refuse("invalid_grant");
        } else if (verifier !== null) {
          return refuse("invalid_request");
        }
        if (check.auth === "basic") {
          const basic = `Basic ${Buffer.from(`${check.clientId}:${check.secret}`).toString("base64")}`;
          if (request.headers.authorization !== basic || form.has("client_secret"))
            return refuse("invalid_client");
        } else if (check.auth === "post") {
          if (form.get("client_id") !== check.clientId || form.get("client_secret") !== check.secret) {
            return refuse("invalid_client");
          }
        } else {
          // Apple: the client secret is an ES256 JWT by the team, for the client, signed with its key.
          try {
            const { payload, protectedHeader } = await jwtVerify(
              form.get("client_secret") ?? "",
              apple.publicKey,
              {
                issuer: "TEAMID1234",
                subject: check.clientId,
                audience: "https://appleid.apple.com",
              },
            );
            if (
              protectedHeader.kid !== check.secret ||
              (payload.exp ?? 0) - (payload.iat ?? 0) > 15_777_000
            ) {
              return refuse("invalid_client");
            }
          } catch {
            return refuse("invalid_client");
          }
          if (form.get("client_id") !== check.clientId) return refuse("invalid_client");
        }
        return { json: await tokens(expected) };
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Facebook's appsecret_proof for a token. */
export function appsecretProof(secret: string, token: string): string {
  return createHmac("sha256", secret).update(token).digest("hex");
}

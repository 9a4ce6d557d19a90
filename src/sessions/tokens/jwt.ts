import { createPrivateKey, createPublicKey, type KeyObject, randomUUID } from "node:crypto";
import type { JSONWebKeySet, JWK, JWTPayload } from "jose";
import { OptionsError } from "../../options/resolve.js";
import type { ResolvedOptions } from "../../options/schema.js";
import { SessionKey } from "../keys.js";
import type { Session } from "../session.js";
import {
  type AccessTokenClaims,
  authorizationCredential,
  JUST_REPLACED_REFRESH_MS,
  type RefreshedTokens,
  type TokenStrategy,
  type TokenStrategyDeps,
  type VerifiedAccessToken,
} from "./strategy.js";

type JwtOptions = ResolvedOptions["tokens"]["jwt"];
type Algorithm = JwtOptions["algorithm"];
type TokenUse = "access" | "refresh";

/** Refresh-token jti → expiry (epoch seconds), kept in the session. */
type RefreshJtis = Record<string, number>;

/**
 * Session-data key of the refresh tokens rotation replaced (jti → expiry), kept until they expire:
 * one of them coming back means two parties hold the session's refresh tokens.
 */
const ROTATED_REFRESH_TOKENS = "tokens.refresh_rotated";
/** Session-data key of the refresh token the last rotation replaced, and when (epoch ms). */
const LAST_ROTATION = "tokens.refresh_last_rotation";

interface SigningKeys {
  algorithm: Algorithm;
  signingKey: KeyObject | Uint8Array;
  verifyingKey: KeyObject | Uint8Array;
  /** RFC 7638 thumbprint of the public key; null for HS256 (allauth sends no kid then). */
  kid: Promise<string> | null;
  /** The public key as published in the JWKS; null for HS256. */
  publicJwk: JWK | null;
}

interface DecodedToken {
  claims: JWTPayload & { jti: string; sub: string; sid: string; token_use: TokenUse };
  userId: number;
  rowId: number;
}

const ID = /^[1-9][0-9]{0,14}$/;

let joseModule: Promise<typeof import("jose")> | undefined;

/** jose, imported when the JWT strategy first needs it: servers on the session strategy never load it. */
function jose(): Promise<typeof import("jose")> {
  joseModule ??= import("jose");
  return joseModule;
}

/**
 * The JWT strategy (allauth's JWTTokenStrategy): on login, app clients also get a short-lived
 * access token and a refresh token. The access token works as the session credential on the
 * API (`Authorization: Bearer …`) and can be verified by other services from the JWKS.
 *
 * `sid` is the session row id: never the session token, so a leaked access token cannot be
 * replayed as X-Session-Token. Refresh tokens are allowed only while their jti is in the
 * session's allow-list, so logout (the row goes) and rotation revoke them. A rotated-out refresh
 * token that comes back was stolen, or the client's copy was: either way the family is no longer
 * the client's alone, so its session ends (refresh-token reuse detection).
 */
export function createJwtStrategy(o: ResolvedOptions, deps: TokenStrategyDeps): TokenStrategy {
  const jwt = o.tokens.jwt;
  const keys = loadKeys(jwt);
  const jwks: Promise<JSONWebKeySet> = (async () => ({
    keys: keys.publicJwk
      ? [{ ...keys.publicJwk, kid: await keys.kid!, alg: keys.algorithm, use: "sig" }]
      : [],
  }))();

  async function sign(
    use: TokenUse,
    userId: number,
    rowId: number,
    now: number,
  ): Promise<{ token: string; jti: string; exp: number }> {
    const iat = Math.floor(now / 1000);
    const exp = iat + (use === "access" ? jwt.accessTokenExpiresIn : jwt.refreshTokenExpiresIn);
    const jti = randomUUID();
    const payload: JWTPayload = {
      ...(jwt.issuer !== null ? { iss: jwt.issuer } : {}),
      ...(jwt.audience !== null ? { aud: jwt.audience } : {}),
      iat,
      exp,
      sid: String(rowId),
      jti,
      token_use: use,
      sub: String(userId),
    };
    const { SignJWT } = await jose();
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: keys.algorithm, typ: "JWT", ...(keys.kid ? { kid: await keys.kid } : {}) })
      .sign(keys.signingKey);
    return { token, jti, exp };
  }

  /** Signature, expiry, issuer and audience (when set), `token_use`, and string `jti`/`sub`/`sid` naming a user and a row. */
  async function decode(token: string, use: TokenUse, now: number): Promise<DecodedToken | null> {
    const { jwtVerify } = await jose();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.verifyingKey, {
        algorithms: [keys.algorithm],
        currentDate: new Date(now),
        requiredClaims: ["exp"],
        ...(jwt.issuer !== null ? { issuer: jwt.issuer } : {}),
        ...(jwt.audience !== null ? { audience: jwt.audience } : {}),
      }));
    } catch {
      return null;
    }
    const { jti, sub, sid } = payload;
    if (payload.token_use !== use) return null;
    if (typeof jti !== "string" || typeof sub !== "string" || typeof sid !== "string") return null;
    if (!ID.test(sub) || !ID.test(sid)) return null;
    return {
      claims: payload as DecodedToken["claims"],
      userId: Number(sub),
      rowId: Number(sid),
    };
  }

  async function verifyAccessToken(token: string): Promise<VerifiedAccessToken | null> {
    const now = deps.now();
    const decoded = await decode(token, "access", now);
    if (!decoded) return null;
    // Stateful validation costs one read; stateless validation none (allauth: 1 vs 0 queries).
    if (jwt.statefulValidation && (await deps.sessions.liveUserId(decoded.rowId, now)) !== decoded.userId) {
      return null;
    }
    return {
      userId: decoded.userId,
      sessionId: decoded.rowId,
      claims: decoded.claims as AccessTokenClaims,
    };
  }

  return {
    async lookup(request) {
      // allauth's order: an X-Session-Token wins; the access token is read only without one.
      const sessionToken = request.headers.get("x-session-token");
      if (sessionToken) return { kind: "token", token: sessionToken };
      const credential = authorizationCredential(
        request.headers.get("authorization"),
        jwt.authorizationHeaderScheme,
      );
      if (credential === null) return { kind: "none" };
      const verified = await verifyAccessToken(credential);
      return verified ? { kind: "row", rowId: verified.sessionId } : { kind: "invalid" };
    },

    async issue({ session, user, now }) {
      if (session.rowId === null) return {};
      const access = await sign("access", user.id, session.rowId, now);
      const refresh = await sign("refresh", user.id, session.rowId, now);
      const allowList = liveJtis(session, SessionKey.REFRESH_TOKENS, now);
      allowList[refresh.jti] = refresh.exp;
      session.set(SessionKey.REFRESH_TOKENS, allowList);
      return { access_token: access.token, refresh_token: refresh.token };
    },

    async refresh(refreshToken: string): Promise<RefreshedTokens | null> {
      const now = deps.now();
      const decoded = await decode(refreshToken, "refresh", now);
      if (!decoded) return null;
      // Read, check, write only if unchanged; a lost race re-reads, so of two refreshes of one
      // token that arrive together only one rotates it and the other is a reuse.
      for (let attempt = 0; attempt < 3; attempt++) {
        // The token's own session, loaded apart from the request's: the pipeline never writes it back.
        const loaded = await deps.sessions.loadByRow(decoded.rowId, now);
        if (!loaded?.user || loaded.user.id !== decoded.userId) return null;
        const session = loaded.session;
        const stored = JSON.stringify(session.data);
        const allowList = liveJtis(session, SessionKey.REFRESH_TOKENS, now);
        const rotated = liveJtis(session, ROTATED_REFRESH_TOKENS, now);
        const jti = decoded.claims.jti;
        if (!Object.hasOwn(allowList, jti)) {
          const last = session.get<{ jti: string; at: number }>(LAST_ROTATION);
          if (last?.jti === jti && now - last.at < JUST_REPLACED_REFRESH_MS) return null;
          if (Object.hasOwn(rotated, jti)) {
            await deps.sessions.deleteRowsForUser(decoded.userId, [decoded.rowId]);
            deps.logger.warn(
              { userId: decoded.userId, sessionId: decoded.rowId },
              "a rotated-out refresh token was used again: its session is ended",
            );
          }
          return null;
        }

        let next: { token: string; jti: string; exp: number } | null = null;
        if (jwt.rotateRefreshToken) {
          rotated[jti] = allowList[jti]!;
          delete allowList[jti];
          session.data[ROTATED_REFRESH_TOKENS] = rotated;
          session.data[LAST_ROTATION] = { jti, at: now };
          next = await sign("refresh", decoded.userId, decoded.rowId, now);
          allowList[next.jti] = next.exp;
        }
        session.data[SessionKey.REFRESH_TOKENS] = allowList;
        const updated = JSON.stringify(session.data);
        if (updated !== stored && !(await deps.sessions.replaceData(decoded.rowId, stored, updated)))
          continue;
        const access = await sign("access", decoded.userId, decoded.rowId, now);
        return next
          ? { access_token: access.token, refresh_token: next.token }
          : { access_token: access.token };
      }
      return null;
    },

    verifyAccessToken,

    jwks: () => jwks,
  };
}

/** The session's jtis under `key` without expired entries (a copy). */
function liveJtis(session: Session, key: string, now: number): RefreshJtis {
  const stored = session.get<RefreshJtis>(key);
  const live: RefreshJtis = {};
  if (stored && typeof stored === "object") {
    for (const [jti, exp] of Object.entries(stored)) {
      if (typeof exp === "number" && exp * 1000 > now) live[jti] = exp;
    }
  }
  return live;
}

/** Loads and checks the configured key once, at startup, so a wrong key fails fast. */
function loadKeys(jwt: JwtOptions): SigningKeys {
  const algorithm = jwt.algorithm;
  const material = jwt.privateKey;
  if (!material) throw new OptionsError("tokens.jwt.privateKey", 'is required by tokens.strategy "jwt"');
  if (algorithm === "HS256") {
    const secret = new Uint8Array(Buffer.from(material, "utf8"));
    return { algorithm, signingKey: secret, verifyingKey: secret, kid: null, publicJwk: null };
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: material, format: "pem" });
  } catch (err) {
    throw new OptionsError(
      "tokens.jwt.privateKey",
      `is not a readable PEM private key (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const type = privateKey.asymmetricKeyType;
  const details = privateKey.asymmetricKeyDetails;
  const problem =
    algorithm === "RS256"
      ? type !== "rsa"
        ? "RS256 needs an RSA key"
        : (details?.modulusLength ?? 0) < 2048
          ? "RS256 needs an RSA key of at least 2048 bits"
          : null
      : algorithm === "ES256"
        ? type !== "ec" || details?.namedCurve !== "prime256v1"
          ? "ES256 needs an EC P-256 key"
          : null
        : type !== "ed25519"
          ? "EdDSA needs an Ed25519 key"
          : null;
  if (problem) throw new OptionsError("tokens.jwt.privateKey", problem);
  const publicKey = createPublicKey(privateKey);
  const publicJwk = publicKey.export({ format: "jwk" }) as JWK;
  return {
    algorithm,
    signingKey: privateKey,
    verifyingKey: publicKey,
    kid: jose().then(({ calculateJwkThumbprint }) => calculateJwkThumbprint(publicJwk, "sha256")),
    publicJwk,
  };
}

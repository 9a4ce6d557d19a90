import { queryEmail } from "../options.js";
import { flag, object, primaryEmail, text } from "./claims.js";
import { verifyProviderIdToken } from "./idtoken.js";
import { idTokenClaims, userinfo } from "./oauth2.js";
import type { ProviderData, ProviderSpec } from "./types.js";

/**
 * Google: OpenID Connect with its published endpoints. The profile is the id_token's claims (the
 * token endpoint's answer, validated), with the picture from userinfo when `fetchUserinfo` asks
 * for it and the id_token has none.
 */
export const google: ProviderSpec = {
  id: "google",
  name: "Google",
  usesApps: true,
  redirect: true,
  token: true,
  endpoints: {
    authorization: () => "https://accounts.google.com/o/oauth2/v2/auth",
    token: () => "https://oauth2.googleapis.com/token",
    userinfo: () => "https://openidconnect.googleapis.com/v1/userinfo",
    jwks: () => "https://www.googleapis.com/oauth2/v3/certs",
    issuer: () => "https://accounts.google.com",
  },
  scope: (o) => ["openid", "profile", ...(queryEmail(o) ? ["email"] : [])],
  pkce: true,
  idToken: true,
  async profile(call, tokens) {
    const claims = idTokenClaims(tokens) ?? {};
    if (call.provider.settings.fetchUserinfo && claims.picture === undefined) {
      const picture = (await userinfo(call, tokens)).picture;
      if (picture !== undefined) return { ...claims, picture };
    }
    return claims;
  },
  map: (d) => ({
    uid: d.sub ?? d.id,
    email: d.email,
    emails: primaryEmail(d.email, flag(d.email_verified) || flag(d.verified_email)),
    name: d.name,
    firstName: d.given_name,
    lastName: d.family_name,
    picture: d.picture,
  }),
  verifyToken(call, token) {
    // Google's id_tokens name their issuer with or without the scheme.
    const issuer = call.endpoint("issuer");
    return verifyProviderIdToken(call, token, { issuer: [issuer, issuer.replace(/^https:\/\//, "")] });
  },
};

/** The `user` Apple form-posts on a first login only (the name is never sent again). */
function appleUser(extra: ProviderData): ProviderData {
  try {
    return object(JSON.parse(typeof extra.user === "string" ? extra.user : "{}"));
  } catch {
    return {};
  }
}

/**
 * Sign in with Apple: the authorization response is form-posted; the app authenticates with a
 * client secret that is an ES256 JWT signed with its private key (`secret` is the key id, `key`
 * the team id, `settings.certificateKey` the PEM, as in allauth); the id_token carries the user.
 */
export const apple: ProviderSpec = {
  id: "apple",
  name: "Apple",
  usesApps: true,
  redirect: true,
  token: true,
  required: ["secret", "key", "certificateKey"],
  endpoints: {
    authorization: () => "https://appleid.apple.com/auth/authorize",
    token: () => "https://appleid.apple.com/auth/token",
    jwks: () => "https://appleid.apple.com/auth/keys",
    issuer: () => "https://appleid.apple.com",
  },
  scope: (o) => ["name", ...(queryEmail(o) ? ["email"] : [])],
  pkce: false,
  idToken: true,
  formPost: true,
  async clientSecret(call) {
    const app = call.provider.app!;
    const now = Math.floor(call.now() / 1000);
    // Imported here, not with the module: only Sign in with Apple signs its client secret.
    const { importPKCS8, SignJWT } = await import("jose");
    return new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: app.secret })
      .setIssuer(app.key)
      .setSubject(app.clientId)
      .setAudience("https://appleid.apple.com")
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(await importPKCS8(call.provider.settings.certificateKey!, "ES256"));
  },
  async profile(_call, tokens, extra) {
    return { ...appleUser(extra), ...idTokenClaims(tokens) };
  },
  map: (d) => {
    const name = object(d.name);
    return {
      uid: d.sub,
      email: d.email,
      emails: primaryEmail(d.email, d.email_verified),
      firstName: name.firstName,
      lastName: name.lastName,
    };
  },
  verifyToken: (call, token) => verifyProviderIdToken(call, token),
  display(extra) {
    const email = text(extra.email);
    if (email && !email.toLowerCase().endsWith("@privaterelay.appleid.com")) return email;
    const name = object(extra.name);
    const full = [text(name.firstName), text(name.lastName)].filter(Boolean).join(" ");
    return full || undefined;
  },
};

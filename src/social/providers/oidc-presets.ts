import type { ProviderSettings } from "../options.js";
import { object, primaryEmail, standardClaims, text } from "./claims.js";
import { verifyProviderIdToken } from "./idtoken.js";
import { idTokenClaims, userinfo } from "./oauth2.js";
import type { ProviderData, ProviderSpec } from "./types.js";
import { ProviderError } from "./types.js";

/**
 * The OpenID Connect presets: the token endpoint's id_token is validated (issuer, audience,
 * expiry, nonce) and the person read from userinfo, its `sub` checked against the id_token's.
 */

const OIDC_SCOPE = ["openid", "profile", "email"];

/** A base URL setting without its trailing slash. */
function base(s: ProviderSettings): string {
  return s.baseUrl!.replace(/\/+$/, "");
}

/** The data of a generic OpenID Connect login: userinfo and the id_token's claims (allauth's shape). */
function oidcData(data: ProviderData): ProviderData {
  const info = object(data.userinfo);
  return Object.keys(info).length > 0 ? info : object(data.id_token);
}

/** Userinfo (when asked for, or when no id_token came) beside the id_token's claims. */
async function userinfoAndIdToken(
  call: Parameters<ProviderSpec["profile"]>[0],
  tokens: Parameters<ProviderSpec["profile"]>[1],
): Promise<ProviderData> {
  const claims = idTokenClaims(tokens);
  const data: ProviderData = {};
  if (call.provider.settings.fetchUserinfo !== false || claims === undefined) {
    data.userinfo = await userinfo(call, tokens);
  }
  if (claims !== undefined) data.id_token = claims;
  return data;
}

/**
 * Any OpenID Connect provider, found by discovery at `serverUrl` (the issuer, or its
 * `/.well-known/openid-configuration`). Each app is a provider of its own, named by its
 * `providerId` and `name`.
 */
export const openidConnect: ProviderSpec = {
  id: "openid_connect",
  name: "OpenID Connect",
  usesApps: true,
  redirect: true,
  token: true,
  required: ["serverUrl"],
  discovery: true,
  endpoints: {},
  scope: () => OIDC_SCOPE,
  pkce: true,
  profile: userinfoAndIdToken,
  map: (d, provider) => standardClaims(oidcData(d), provider.settings.uidField),
  async verifyToken(call, token) {
    const as = await call.metadata();
    if (!as.jwks_uri) throw new ProviderError(`${call.provider.id} publishes no jwks_uri`);
    const claims = await verifyProviderIdToken(call, token, { jwksUrl: as.jwks_uri, issuer: as.issuer });
    return { id_token: claims };
  },
  userData: oidcData,
};

const keycloakIssuer = (s: ProviderSettings) => `${base(s)}/realms/${encodeURIComponent(s.realm!)}`;

/** Keycloak: the realm `realm` of the server at `baseUrl`. */
export const keycloak: ProviderSpec = {
  id: "keycloak",
  name: "Keycloak",
  usesApps: true,
  redirect: true,
  token: true,
  required: ["baseUrl", "realm"],
  endpoints: {
    authorization: (s) => `${keycloakIssuer(s)}/protocol/openid-connect/auth`,
    token: (s) => `${keycloakIssuer(s)}/protocol/openid-connect/token`,
    userinfo: (s) => `${keycloakIssuer(s)}/protocol/openid-connect/userinfo`,
    jwks: (s) => `${keycloakIssuer(s)}/protocol/openid-connect/certs`,
    issuer: keycloakIssuer,
  },
  scope: () => OIDC_SCOPE,
  pkce: true,
  idToken: true,
  profile: userinfoAndIdToken,
  map: (d, provider) => standardClaims(oidcData(d), provider.settings.uidField),
  verifyToken: async (call, token) => ({ id_token: await verifyProviderIdToken(call, token) }),
  userData: oidcData,
};

/** Auth0: the tenant at `baseUrl` (e.g. https://example.eu.auth0.com). */
export const auth0: ProviderSpec = {
  id: "auth0",
  name: "Auth0",
  usesApps: true,
  redirect: true,
  token: false,
  required: ["baseUrl"],
  endpoints: {
    authorization: (s) => `${base(s)}/authorize`,
    token: (s) => `${base(s)}/oauth/token`,
    userinfo: (s) => `${base(s)}/userinfo`,
    jwks: (s) => `${base(s)}/.well-known/jwks.json`,
    // Auth0's issuer ends with a slash.
    issuer: (s) => `${base(s)}/`,
  },
  scope: () => OIDC_SCOPE,
  pkce: true,
  idToken: true,
  profile: (call, tokens) => userinfo(call, tokens),
  // As in allauth, Auth0's email_verified is not taken: an Auth0 tenant may federate any login.
  map: (d) => ({ uid: d.sub, email: d.email, username: d.username, name: d.name, picture: d.picture }),
};

/** Okta: the org authorization server at `baseUrl` (e.g. https://dev-123456.okta.com). */
export const okta: ProviderSpec = {
  id: "okta",
  name: "Okta",
  usesApps: true,
  redirect: true,
  token: false,
  required: ["baseUrl"],
  endpoints: {
    authorization: (s) => `${base(s)}/oauth2/v1/authorize`,
    token: (s) => `${base(s)}/oauth2/v1/token`,
    userinfo: (s) => `${base(s)}/oauth2/v1/userinfo`,
    jwks: (s) => `${base(s)}/oauth2/v1/keys`,
    issuer: (s) => base(s),
  },
  scope: () => [...OIDC_SCOPE, "offline_access"],
  pkce: true,
  idToken: true,
  profile: (call, tokens) => userinfo(call, tokens),
  map: (d, provider) => ({
    uid: d[provider.settings.uidField ?? "sub"],
    email: d.email,
    emails: primaryEmail(d.email, d.email_verified),
    firstName: d.given_name,
    lastName: d.family_name,
    username: text(d.preferred_username)?.split("@")[0],
  }),
};

/**
 * Amazon Cognito: the user pool's domain at `baseUrl`; its issuer
 * (https://cognito-idp.<region>.amazonaws.com/<user pool id>) must be given as `endpoints.issuer`.
 */
export const amazonCognito: ProviderSpec = {
  id: "amazon_cognito",
  name: "Amazon Cognito",
  usesApps: true,
  redirect: true,
  token: false,
  required: ["baseUrl"],
  endpoints: {
    authorization: (s) => `${base(s)}/oauth2/authorize`,
    token: (s) => `${base(s)}/oauth2/token`,
    userinfo: (s) => `${base(s)}/oauth2/userInfo`,
    issuer: () => undefined,
    jwks: (s) =>
      s.endpoints?.issuer ? `${s.endpoints.issuer.replace(/\/+$/, "")}/.well-known/jwks.json` : undefined,
  },
  scope: () => OIDC_SCOPE,
  pkce: true,
  idToken: true,
  profile: (call, tokens) => userinfo(call, tokens),
  map: (d) => ({
    uid: d.sub,
    email: d.email,
    emails: primaryEmail(d.email, d.email_verified),
    firstName: d.given_name,
    lastName: d.family_name,
    picture: d.picture,
  }),
};

/** Sign in with Slack (OpenID Connect); the uid is the team and the user, as in allauth. */
export const slack: ProviderSpec = {
  id: "slack",
  name: "Slack",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://slack.com/openid/connect/authorize",
    token: () => "https://slack.com/api/openid.connect.token",
    userinfo: () => "https://slack.com/api/openid.connect.userInfo",
    jwks: () => "https://slack.com/openid/connect/keys",
    issuer: () => "https://slack.com",
  },
  scope: () => OIDC_SCOPE,
  pkce: false,
  idToken: true,
  profile: (call, tokens) => userinfo(call, tokens),
  map(d) {
    const team = text(d["https://slack.com/team_id"]) ?? object(d.team).id;
    const user = text(d["https://slack.com/user_id"]) ?? object(d.user).id;
    return {
      ...standardClaims(d),
      uid: team !== undefined && user !== undefined ? `${String(team)}_${String(user)}` : undefined,
      username: undefined,
    };
  },
};

/** Sign In with LinkedIn using OpenID Connect (allauth's linkedin_oauth2 id, so accounts carry over). */
export const linkedin: ProviderSpec = {
  id: "linkedin_oauth2",
  name: "LinkedIn",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://www.linkedin.com/oauth/v2/authorization",
    token: () => "https://www.linkedin.com/oauth/v2/accessToken",
    userinfo: () => "https://api.linkedin.com/v2/userinfo",
    jwks: () => "https://www.linkedin.com/oauth/openid/jwks",
    issuer: () => "https://www.linkedin.com/oauth",
  },
  scope: () => OIDC_SCOPE,
  pkce: false,
  idToken: true,
  profile: (call, tokens) => userinfo(call, tokens),
  map: (d) => standardClaims(d),
};

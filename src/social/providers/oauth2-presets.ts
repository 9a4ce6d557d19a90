import { createHmac } from "node:crypto";
import { queryEmail } from "../options.js";
import { flag, object, primaryEmail, text } from "./claims.js";
import { verifyProviderIdToken } from "./idtoken.js";
import type { ApiCallInit, ProviderCall, ProviderData, ProviderEmail, ProviderSpec } from "./types.js";
import { ProviderError } from "./types.js";

/**
 * The OAuth 2.0 presets: after the code exchange each reads the person from its own API, as
 * allauth's adapter for it does (same endpoints, scopes and fields), with Bearer authentication.
 */

/** A base URL setting without its trailing slash, or the default. */
function base(url: string | undefined, fallback: string): string {
  return (url ?? fallback).replace(/\/+$/, "");
}

/** The JSON object an API of the provider answered with the access token. */
async function apiObject(
  call: ProviderCall,
  endpoint: string,
  accessToken: string,
  init?: ApiCallInit,
): Promise<ProviderData> {
  return object(await call.api(call.endpoint(endpoint), accessToken, init));
}

/** A profile that must carry `field` (the provider's error answers do not). */
function requireField(data: ProviderData, field: string, provider: string): ProviderData {
  if (data[field] === undefined || data[field] === null)
    throw new ProviderError(`${provider} answered no ${field}`);
  return data;
}

const githubWeb = (s: { baseUrl?: string }) => base(s.baseUrl, "https://github.com");
const githubApi = (s: { baseUrl?: string }) =>
  s.baseUrl === undefined ? "https://api.github.com" : `${githubWeb(s)}/api/v3`;

/** GitHub (or GitHub Enterprise at `baseUrl`): the profile, and the emails API for verified addresses. */
export const github: ProviderSpec = {
  id: "github",
  name: "GitHub",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: (s) => `${githubWeb(s)}/login/oauth/authorize`,
    token: (s) => `${githubWeb(s)}/login/oauth/access_token`,
    userinfo: (s) => `${githubApi(s)}/user`,
    emails: (s) => `${githubApi(s)}/user/emails`,
  },
  scope: (o) => (queryEmail(o) ? ["user:email"] : []),
  pkce: true,
  async profile(call, tokens) {
    const user = requireField(await apiObject(call, "userinfo", tokens.access_token), "id", "GitHub");
    if (!queryEmail(call.options)) return user;
    // A 404 is documented for accounts whose emails the token may not read.
    const emails = await call.api(call.endpoint("emails"), tokens.access_token, { allowStatus: [404] });
    return Array.isArray(emails) ? { ...user, emails } : user;
  },
  map(d) {
    const emails: ProviderEmail[] = [];
    for (const e of Array.isArray(d.emails) ? d.emails : []) {
      const entry = object(e);
      const email = text(entry.email);
      if (email) emails.push({ email, verified: flag(entry.verified), primary: flag(entry.primary) });
    }
    const { emails: _, ...extraData } = d;
    return {
      uid: d.id,
      email: d.email,
      emails,
      username: d.login,
      name: d.name,
      picture: d.avatar_url,
      extraData,
    };
  },
};

const gitlabBase = (s: { baseUrl?: string }) => base(s.baseUrl, "https://gitlab.com");

/** GitLab.com, or a self-hosted GitLab at `baseUrl`. */
export const gitlab: ProviderSpec = {
  id: "gitlab",
  name: "GitLab",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: (s) => `${gitlabBase(s)}/oauth/authorize`,
    token: (s) => `${gitlabBase(s)}/oauth/token`,
    userinfo: (s) => `${gitlabBase(s)}/api/v4/user`,
  },
  scope: () => ["read_user"],
  pkce: true,
  profile: async (call, tokens) =>
    requireField(await apiObject(call, "userinfo", tokens.access_token), "id", "GitLab"),
  map: (d) => ({ uid: d.id, email: d.email, username: d.username, name: d.name, picture: d.avatar_url }),
};

const MICROSOFT_FIELDS =
  "businessPhones,displayName,givenName,id,jobTitle,mail,mobilePhone,officeLocation,preferredLanguage,surname,userPrincipalName,mailNickname,companyName";

/** Microsoft (Entra ID; `tenant`: "common", "organizations", "consumers" or a tenant id): Graph's /me. */
export const microsoft: ProviderSpec = {
  id: "microsoft",
  name: "Microsoft",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: (s) => `https://login.microsoftonline.com/${s.tenant ?? "common"}/oauth2/v2.0/authorize`,
    token: (s) => `https://login.microsoftonline.com/${s.tenant ?? "common"}/oauth2/v2.0/token`,
    userinfo: () => "https://graph.microsoft.com/v1.0/me",
  },
  scope: () => ["User.Read"],
  pkce: true,
  profile: async (call, tokens) =>
    requireField(
      await apiObject(call, "userinfo", tokens.access_token, { query: { $select: MICROSOFT_FIELDS } }),
      "id",
      "Microsoft Graph",
    ),
  // Graph's `mail` is whatever the tenant set: never taken as verified.
  map: (d) => ({
    uid: d.id,
    email: text(d.mail) ?? d.userPrincipalName,
    username: d.mailNickname,
    name: d.displayName,
    firstName: d.givenName,
    lastName: d.surname,
  }),
};

const GRAPH = "https://graph.facebook.com/v23.0";
const FACEBOOK_FIELDS =
  "id,email,name,first_name,last_name,verified,locale,timezone,link,gender,updated_time";
/** Limited Login id_token claims → the Graph fields they stand for (allauth's map). */
const LIMITED_LOGIN_FIELDS: Readonly<Record<string, string>> = {
  sub: "id",
  email: "email",
  given_name: "first_name",
  family_name: "last_name",
  name: "name",
  user_link: "link",
};

async function facebookMe(call: ProviderCall, accessToken: string): Promise<ProviderData> {
  // appsecret_proof: Graph refuses a token stolen from another app's client when the app requires it.
  const proof = createHmac("sha256", call.provider.app!.secret).update(accessToken).digest("hex");
  return requireField(
    await apiObject(call, "userinfo", accessToken, {
      query: { fields: FACEBOOK_FIELDS, appsecret_proof: proof },
    }),
    "id",
    "Facebook",
  );
}

/**
 * Facebook Login. The token flow takes an access token (checked with Graph's debug_token to be
 * valid and issued to this app) or a Limited Login id_token.
 */
export const facebook: ProviderSpec = {
  id: "facebook",
  name: "Facebook",
  usesApps: true,
  redirect: true,
  token: true,
  endpoints: {
    authorization: () => "https://www.facebook.com/v23.0/dialog/oauth",
    token: () => `${GRAPH}/oauth/access_token`,
    userinfo: () => `${GRAPH}/me`,
    debugToken: () => `${GRAPH}/debug_token`,
    jwks: () => "https://limited.facebook.com/.well-known/oauth/openid/jwks/",
    issuer: () => "https://www.facebook.com",
  },
  scope: (o) => (queryEmail(o) ? ["email"] : []),
  pkce: false,
  profile: (call, tokens) => facebookMe(call, tokens.access_token),
  // Facebook's `verified` says nothing about the address: never taken as verified.
  map: (d) => ({
    uid: d.id,
    email: d.email,
    username: d.username,
    name: d.name,
    firstName: d.first_name,
    lastName: d.last_name,
  }),
  async verifyToken(call, token) {
    const app = call.provider.app!;
    if (token.accessToken) {
      // The app's own token is "<app id>|<app secret>".
      const debug = await apiObject(call, "debugToken", `${app.clientId}|${app.secret}`, {
        query: { input_token: token.accessToken },
      });
      const data = object(debug.data);
      if (data.is_valid !== true || String(data.app_id) !== app.clientId) {
        throw new ProviderError("the access token is not valid for this app");
      }
      return facebookMe(call, token.accessToken);
    }
    const claims = await verifyProviderIdToken(call, token);
    const fields: ProviderData = {};
    for (const [claim, field] of Object.entries(LIMITED_LOGIN_FIELDS)) {
      if (claims[claim] !== undefined) fields[field] = claims[claim];
    }
    return fields;
  },
};

/** allauth's Discord display: the global name (new usernames), else username#discriminator. */
function discordDisplay(extra: ProviderData): string | undefined {
  const username = text(extra.username);
  const discriminator = text(extra.discriminator);
  if (discriminator && /^\d{4}$/.test(discriminator) && username) {
    return `${username}#${discriminator}`;
  }
  return text(extra.global_name) ?? username;
}

export const discord: ProviderSpec = {
  id: "discord",
  name: "Discord",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://discord.com/oauth2/authorize",
    token: () => "https://discord.com/api/oauth2/token",
    userinfo: () => "https://discord.com/api/users/@me",
  },
  scope: () => ["email", "identify"],
  pkce: false,
  profile: async (call, tokens) =>
    requireField(await apiObject(call, "userinfo", tokens.access_token), "id", "Discord"),
  map: (d) => ({
    uid: d.id,
    email: d.email,
    emails: flag(d.verified) ? primaryEmail(d.email, true) : [],
    username: d.username,
    name: text(d.global_name) ?? d.username,
    picture:
      text(d.avatar) && d.id !== undefined
        ? `https://cdn.discordapp.com/avatars/${String(d.id)}/${text(d.avatar)}.png`
        : undefined,
  }),
  display: discordDisplay,
};

export const twitter: ProviderSpec = {
  id: "twitter_oauth2",
  name: "X",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://x.com/i/oauth2/authorize",
    token: () => "https://api.x.com/2/oauth2/token",
    userinfo: () => "https://api.x.com/2/users/me",
  },
  scope: () => ["users.read", "tweet.read"],
  pkce: true,
  clientAuth: "client_secret_basic",
  async profile(call, tokens) {
    const answer = await apiObject(call, "userinfo", tokens.access_token, {
      query: { "user.fields": "id,name,username,verified,profile_image_url,created_at" },
    });
    return requireField(object(answer.data), "id", "X");
  },
  // X gives no address.
  map: (d) => ({ uid: d.id, username: d.username, name: d.name, picture: d.profile_image_url }),
};

export const twitch: ProviderSpec = {
  id: "twitch",
  name: "Twitch",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://id.twitch.tv/oauth2/authorize",
    token: () => "https://id.twitch.tv/oauth2/token",
    userinfo: () => "https://api.twitch.tv/helix/users",
  },
  scope: () => ["user:read:email"],
  pkce: false,
  async profile(call, tokens) {
    const answer = await apiObject(call, "userinfo", tokens.access_token, {
      headers: { "client-id": call.provider.app!.clientId },
    });
    const first = Array.isArray(answer.data) ? object(answer.data[0]) : {};
    return requireField(first, "id", "Twitch");
  },
  map: (d) => ({
    uid: d.id,
    email: d.email,
    username: d.login,
    name: d.display_name,
    picture: d.profile_image_url,
  }),
  display: (extra) => text(extra.login),
};

export const spotify: ProviderSpec = {
  id: "spotify",
  name: "Spotify",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://accounts.spotify.com/authorize",
    token: () => "https://accounts.spotify.com/api/token",
    userinfo: () => "https://api.spotify.com/v1/me",
  },
  scope: (o) => (queryEmail(o) ? ["user-read-email"] : []),
  pkce: true,
  profile: async (call, tokens) =>
    requireField(await apiObject(call, "userinfo", tokens.access_token), "id", "Spotify"),
  map: (d) => ({
    uid: d.id,
    email: d.email,
    name: d.display_name,
    picture: Array.isArray(d.images) ? object(d.images[0]).url : undefined,
  }),
};

export const reddit: ProviderSpec = {
  id: "reddit",
  name: "Reddit",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://www.reddit.com/api/v1/authorize",
    token: () => "https://www.reddit.com/api/v1/access_token",
    userinfo: () => "https://oauth.reddit.com/api/v1/me",
  },
  scope: () => ["identity"],
  pkce: false,
  clientAuth: "client_secret_basic",
  // Reddit refuses API calls without a User-Agent of the application's own.
  profile: async (call, tokens) =>
    requireField(
      await apiObject(call, "userinfo", tokens.access_token, { headers: { "user-agent": "Latchkey" } }),
      "name",
      "Reddit",
    ),
  // Reddit's uid is the account name (as in allauth); it gives no address.
  map: (d) => ({ uid: d.name, username: d.name, picture: d.icon_img }),
};

export const bitbucket: ProviderSpec = {
  id: "bitbucket_oauth2",
  name: "Bitbucket",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://bitbucket.org/site/oauth2/authorize",
    token: () => "https://bitbucket.org/site/oauth2/access_token",
    userinfo: () => "https://api.bitbucket.org/2.0/user",
    emails: () => "https://api.bitbucket.org/2.0/user/emails",
  },
  scope: () => [],
  pkce: false,
  async profile(call, tokens) {
    const user = requireField(
      await apiObject(call, "userinfo", tokens.access_token),
      "username",
      "Bitbucket",
    );
    if (!queryEmail(call.options)) return user;
    const values = (await apiObject(call, "emails", tokens.access_token)).values;
    const emails = Array.isArray(values) ? values.map(object) : [];
    const email = text((emails.find((e) => flag(e.is_primary)) ?? emails[0])?.email);
    return email ? { ...user, email } : user;
  },
  map: (d) => ({
    uid: d.username,
    email: d.email,
    username: d.username,
    name: d.display_name,
    picture: object(object(d.links).avatar).href,
  }),
};

export const amazon: ProviderSpec = {
  id: "amazon",
  name: "Amazon",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://www.amazon.com/ap/oa",
    token: () => "https://api.amazon.com/auth/o2/token",
    userinfo: () => "https://api.amazon.com/user/profile",
  },
  scope: () => ["profile"],
  pkce: true,
  async profile(call, tokens) {
    const answer = await apiObject(call, "userinfo", tokens.access_token);
    // The older profile shape nests the fields.
    const legacy = object(answer.Profile);
    const data =
      answer.Profile !== undefined
        ? { user_id: legacy.CustomerId, name: legacy.Name, email: legacy.PrimaryEmail }
        : answer;
    return requireField(data, "user_id", "Amazon");
  },
  map(d) {
    const name = text(d.name) ?? "";
    const space = name.indexOf(" ");
    return {
      uid: d.user_id,
      email: d.email,
      name,
      firstName: space === -1 ? name : name.slice(0, space),
      lastName: space === -1 ? "" : name.slice(space + 1),
    };
  },
};

export const dropbox: ProviderSpec = {
  id: "dropbox",
  name: "Dropbox",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://www.dropbox.com/oauth2/authorize",
    token: () => "https://api.dropboxapi.com/oauth2/token",
    userinfo: () => "https://api.dropboxapi.com/2/users/get_current_account",
  },
  scope: () => [],
  pkce: true,
  profile: async (call, tokens) =>
    requireField(
      await apiObject(call, "userinfo", tokens.access_token, { method: "POST" }),
      "account_id",
      "Dropbox",
    ),
  map: (d) => ({
    uid: d.account_id,
    email: d.email,
    name: object(d.name).display_name,
    picture: d.profile_photo_url,
  }),
};

export const zoom: ProviderSpec = {
  id: "zoom",
  name: "Zoom",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://zoom.us/oauth/authorize",
    token: () => "https://zoom.us/oauth/token",
    userinfo: () => "https://api.zoom.us/v2/users/me",
  },
  scope: () => [],
  pkce: true,
  clientAuth: "client_secret_basic",
  profile: async (call, tokens) =>
    requireField(await apiObject(call, "userinfo", tokens.access_token), "id", "Zoom"),
  map: (d) => ({
    uid: d.id,
    email: d.email,
    emails: d.verified ? primaryEmail(d.email, true) : [],
    firstName: d.first_name,
    lastName: d.last_name,
    picture: d.pic_url,
  }),
};

export const atlassian: ProviderSpec = {
  id: "atlassian",
  name: "Atlassian",
  usesApps: true,
  redirect: true,
  token: false,
  endpoints: {
    authorization: () => "https://auth.atlassian.com/authorize",
    token: () => "https://auth.atlassian.com/oauth/token",
    userinfo: () => "https://api.atlassian.com/me",
  },
  scope: () => ["read:me"],
  pkce: false,
  authParams: { audience: "api.atlassian.com", prompt: "consent" },
  profile: async (call, tokens) =>
    requireField(await apiObject(call, "userinfo", tokens.access_token), "account_id", "Atlassian"),
  map: (d) => ({
    uid: d.account_id,
    email: d.email,
    emailVerified: d.email_verified,
    name: d.name,
    username: d.nickname,
    picture: d.picture,
  }),
};

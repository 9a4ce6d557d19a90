/**
 * SOCIALACCOUNT_PROVIDERS as allauth writes it (`{"google": {"APPS": [{"client_id", "secret",
 * "key", "settings": {…}}], "SCOPE": […], "AUTH_PARAMS": {…}, "VERIFIED_EMAIL": …}}`) → Latchkey's
 * `socialaccount.providers` (`{"google": {"apps": [{"clientId", "secret", "key", "settings"}],
 * "scope", "authParams", "verifiedEmail"}}`). Only the keys are renamed here; the values are
 * checked by the options schema afterwards, as when written in Latchkey's own shape.
 */

type Json = Record<string, unknown>;

/** A key renamed, its value converted on the way when allauth writes it otherwise. */
interface Key {
  key: string;
  convert?: (value: unknown) => unknown;
}

/** Provider-level keys every provider reads (allauth: `provider.get_settings()`). */
const PROVIDER_KEYS: Readonly<Record<string, Key>> = {
  SCOPE: { key: "scope" },
  AUTH_PARAMS: { key: "authParams" },
  VERIFIED_EMAIL: { key: "verifiedEmail" },
  EMAIL_AUTHENTICATION: { key: "emailAuthentication" },
  OAUTH_PKCE_ENABLED: { key: "pkce" },
};

/** An app's `settings` keys every provider reads (allauth: `app.settings`). */
const APP_SETTING_KEYS: Readonly<Record<string, Key>> = {
  scope: { key: "scope" },
  auth_params: { key: "authParams" },
  oauth_pkce_enabled: { key: "pkce" },
  verified_email: { key: "verifiedEmail" },
  email_authentication: { key: "emailAuthentication" },
  hidden: { key: "hidden" },
  server_url: { key: "serverUrl" },
  token_auth_method: { key: "tokenAuthMethod" },
  fetch_userinfo: { key: "fetchUserinfo" },
  uid_field: { key: "uidField" },
  certificate_key: { key: "certificateKey" },
};

/** allauth's Okta setting is a host name ("dev-123.okta.com"); Latchkey's baseUrl is a URL. */
const withHttps = (value: unknown) =>
  typeof value === "string" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? `https://${value}` : value;

/** Keys only one provider reads, at the provider's level and in its apps' settings. */
const PROVIDER_SPECIFIC: Readonly<
  Record<string, { provider?: Record<string, Key>; app?: Record<string, Key> }>
> = {
  github: { provider: { GITHUB_URL: { key: "baseUrl" } } },
  gitlab: { provider: { GITLAB_URL: { key: "baseUrl" } }, app: { gitlab_url: { key: "baseUrl" } } },
  microsoft: {
    provider: { TENANT: { key: "tenant" }, tenant: { key: "tenant" } },
    app: { tenant: { key: "tenant" } },
  },
  okta: { provider: { OKTA_BASE_URL: { key: "baseUrl", convert: withHttps } } },
  auth0: { provider: { AUTH0_URL: { key: "baseUrl" } } },
  amazon_cognito: { provider: { DOMAIN: { key: "baseUrl" } } },
  // allauth's own keycloak provider (before it became an OpenID Connect app).
  keycloak: { provider: { KEYCLOAK_URL: { key: "baseUrl" }, KEYCLOAK_REALM: { key: "realm" } } },
};

/** An app's own keys (allauth's SocialApp fields). */
const APP_KEYS: Readonly<Record<string, Key>> = {
  client_id: { key: "clientId" },
  secret: { key: "secret" },
  key: { key: "key" },
  name: { key: "name" },
  provider_id: { key: "providerId" },
};

/** A value allauth wrote where Latchkey cannot take it; `where` is its place in SOCIALACCOUNT_PROVIDERS. */
export class ProviderSettingError extends Error {
  constructor(where: string, reason: string) {
    super(`${where}: ${reason}`);
  }
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(where: string, value: unknown): Json {
  if (!isObject(value)) throw new ProviderSettingError(where, "expected an object");
  return value;
}

/** Renames the keys of `source` by `keys`; a key it does not know is an error naming it. */
function renamed(where: string, source: Json, keys: Readonly<Record<string, Key>>, target: Json = {}): Json {
  for (const [name, value] of Object.entries(source)) {
    const known = keys[name];
    if (!known) {
      throw new ProviderSettingError(
        where,
        `"${name}" is not supported by Latchkey (it reads ${Object.keys(keys).join(", ")})`,
      );
    }
    target[known.key] = known.convert ? known.convert(value) : value;
  }
  return target;
}

function convertApp(where: string, provider: string, value: unknown): Json {
  const { settings, certificate_key: certificateKey, ...fields } = objectAt(where, value);
  const app = renamed(where, fields, APP_KEYS);
  const settingKeys = { ...APP_SETTING_KEYS, ...PROVIDER_SPECIFIC[provider]?.app };
  const converted =
    settings === undefined
      ? {}
      : renamed(`${where}.settings`, objectAt(`${where}.settings`, settings), settingKeys);
  // allauth still takes an app's certificate_key beside its settings (with a warning).
  if (certificateKey !== undefined) converted.certificateKey = certificateKey;
  if (settings !== undefined || certificateKey !== undefined) app.settings = converted;
  return app;
}

/** allauth's older OpenID Connect form, `SERVERS: [{id, name, server_url, token_auth_method, APP}]`, as its apps. */
function serversAsApps(where: string, servers: unknown): unknown[] {
  if (!Array.isArray(servers)) throw new ProviderSettingError(where, "expected a list");
  return servers.map((value, i) => {
    const { id, name, server_url, token_auth_method, APP, ...rest } = objectAt(`${where}[${i}]`, value);
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined) {
      throw new ProviderSettingError(`${where}[${i}]`, `"${unknown}" is not supported by Latchkey`);
    }
    return {
      ...objectAt(`${where}[${i}].APP`, APP),
      name: name ?? "",
      provider_id: id,
      settings: { server_url, ...(token_auth_method === undefined ? {} : { token_auth_method }) },
    };
  });
}

/** One provider's entry of SOCIALACCOUNT_PROVIDERS, in Latchkey's shape. */
export function convertProvider(provider: string, value: unknown): Json {
  const { APPS, APP, SERVERS, ...rest } = objectAt(provider, value);
  const out = renamed(provider, rest, { ...PROVIDER_KEYS, ...PROVIDER_SPECIFIC[provider]?.provider });
  const given = [APPS, APP, SERVERS].filter((v) => v !== undefined).length;
  if (given > 1) throw new ProviderSettingError(provider, "give one of APPS, APP and SERVERS");
  if (APPS !== undefined) {
    if (!Array.isArray(APPS)) throw new ProviderSettingError(`${provider}.APPS`, "expected a list of apps");
    out.apps = APPS.map((app, i) => convertApp(`${provider}.APPS[${i}]`, provider, app));
  } else if (APP !== undefined) {
    out.apps = [convertApp(`${provider}.APP`, provider, APP)];
  } else if (SERVERS !== undefined) {
    const servers = serversAsApps(`${provider}.SERVERS`, SERVERS);
    out.apps = servers.map((app, i) => convertApp(`${provider}.SERVERS[${i}]`, provider, app));
  }
  return out;
}

import { createPrivateKey } from "node:crypto";
import { OptionsError } from "../../options/resolve.js";
import type { ResolvedOptions } from "../../options/schema.js";
import type { AppOptions, ProviderOptions } from "../options.js";
import { dummy } from "./dummy.js";
import { apple, google } from "./google-apple.js";
import { endpointOf, isAllowedProviderUrl } from "./http.js";
import {
  amazon,
  atlassian,
  bitbucket,
  discord,
  dropbox,
  facebook,
  github,
  gitlab,
  microsoft,
  reddit,
  spotify,
  twitch,
  twitter,
  zoom,
} from "./oauth2-presets.js";
import { amazonCognito, auth0, keycloak, linkedin, okta, openidConnect, slack } from "./oidc-presets.js";
import type { ProviderApp, ProviderSpec } from "./types.js";

/** Every provider Latchkey knows, by allauth's provider id. */
export const PRESETS: ReadonlyMap<string, ProviderSpec> = new Map(
  [
    amazon,
    amazonCognito,
    apple,
    atlassian,
    auth0,
    bitbucket,
    discord,
    dropbox,
    dummy,
    facebook,
    github,
    gitlab,
    google,
    keycloak,
    linkedin,
    microsoft,
    okta,
    openidConnect,
    reddit,
    slack,
    spotify,
    twitch,
    twitter,
    zoom,
  ].map((spec) => [spec.id, spec]),
);

/** A configured provider: what clients see as one provider, with its apps (hidden ones included). */
export interface ConfiguredProvider {
  id: string;
  name: string;
  spec: ProviderSpec;
  /** One entry per app (a single app-less entry for the development provider); the visible one first. */
  apps: ProviderApp[];
}

function providerApp(
  spec: ProviderSpec,
  id: string,
  name: string,
  config: ProviderOptions,
  app: AppOptions | null,
) {
  const { apps: _, ...providerSettings } = config;
  const appSettings = app?.settings ?? {};
  const settings = {
    ...providerSettings,
    ...appSettings,
    endpoints: { ...providerSettings.endpoints, ...appSettings.endpoints },
  };
  return { id, name, spec, app, settings } satisfies ProviderApp;
}

/** The providers the options configure, in the order they are written (allauth's `list_providers`). */
function buildProviders(o: ResolvedOptions): ConfiguredProvider[] {
  const out: ConfiguredProvider[] = [];
  for (const [key, config] of Object.entries(o.socialaccount.providers)) {
    const spec = PRESETS.get(key);
    if (!spec) continue;
    if (!spec.usesApps) {
      out.push({
        id: spec.id,
        name: spec.name,
        spec,
        apps: [providerApp(spec, spec.id, spec.name, config, null)],
      });
    } else if (spec.id === openidConnect.id) {
      // Each OpenID Connect app is a provider of its own (allauth's sub-providers).
      for (const app of config.apps) {
        const id = app.providerId!;
        const name = app.name ?? id;
        out.push({ id, name, spec, apps: [providerApp(spec, id, name, config, app)] });
      }
    } else {
      const apps = [...config.apps]
        .sort((a, b) => Number(a.settings.hidden === true) - Number(b.settings.hidden === true))
        .map((app) => providerApp(spec, spec.id, spec.name, config, app));
      out.push({ id: spec.id, name: spec.name, spec, apps });
    }
  }
  return out;
}

const providersByOptions = new WeakMap<ResolvedOptions, ConfiguredProvider[]>();

/** The configured providers (built once per options object). */
export function configuredProviders(o: ResolvedOptions): ConfiguredProvider[] {
  let providers = providersByOptions.get(o);
  if (!providers) {
    providers = buildProviders(o);
    providersByOptions.set(o, providers);
  }
  return providers;
}

export function findProvider(o: ResolvedOptions, id: string): ConfiguredProvider | undefined {
  return configuredProviders(o).find((p) => p.id === id);
}

/** The app the browser flows and listings use: the provider's one visible app. */
export function visibleApp(provider: ConfiguredProvider): ProviderApp | undefined {
  const app = provider.apps[0];
  return app && app.settings.hidden !== true ? app : undefined;
}

/** The app a token names by its client id (hidden apps included: they exist for tokens). */
export function appByClientId(
  provider: ConfiguredProvider,
  clientId: string | undefined,
): ProviderApp | undefined {
  if (!provider.spec.usesApps) return provider.apps[0];
  if (clientId === undefined) return visibleApp(provider);
  return provider.apps.find((a) => a.app?.clientId === clientId);
}

/** Whether the providers' flows are offered in this tree: redirects in the browser's, tokens in the app's. */
export function listedProviders(o: ResolvedOptions, browser: boolean): ConfiguredProvider[] {
  return configuredProviders(o).filter(
    (p) => visibleApp(p) !== undefined && (browser ? p.spec.redirect : p.spec.token),
  );
}

function checkUrl(path: string, value: string | undefined): void {
  if (value !== undefined && !isAllowedProviderUrl(new URL(value))) {
    throw new OptionsError(path, "must be an https:// URL (http:// only on localhost)");
  }
}

function checkApp(path: string, appPath: string, provider: ProviderApp): void {
  const { spec, settings, app } = provider;
  for (const required of spec.required ?? []) {
    const onApp = required === "secret" || required === "key";
    const value = onApp ? app?.[required] : settings[required];
    if (value === undefined || value === "") {
      throw new OptionsError(
        onApp ? `${appPath}.${required}` : `${path}.${required}`,
        `is required by ${spec.id}`,
      );
    }
  }
  for (const name of Object.keys(spec.endpoints)) {
    const url = endpointOf(provider, name);
    if (url === undefined) throw new OptionsError(`${path}.endpoints.${name}`, `is required by ${spec.id}`);
    checkUrl(`${path}.endpoints.${name}`, url);
  }
  checkUrl(`${path}.baseUrl`, settings.baseUrl);
  checkUrl(`${path}.serverUrl`, settings.serverUrl);
  if (settings.certificateKey !== undefined) {
    let key: ReturnType<typeof createPrivateKey> | undefined;
    try {
      key = createPrivateKey(settings.certificateKey);
    } catch {
      // reported below
    }
    if (key?.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new OptionsError(
        `${appPath}.settings.certificateKey`,
        "must be an EC P-256 private key in PEM (PKCS#8)",
      );
    }
  }
}

/** What an OpenID Connect app may override of its discovered metadata. */
const DISCOVERY_ENDPOINTS = ["authorization", "token", "userinfo", "jwks", "issuer"];

/** Endpoint overrides must name endpoints the preset has. */
function checkEndpointNames(
  path: string,
  spec: ProviderSpec,
  endpoints: Readonly<Record<string, string>> = {},
): void {
  for (const name of Object.keys(endpoints)) {
    if (name in spec.endpoints || (spec.discovery && DISCOVERY_ENDPOINTS.includes(name))) continue;
    const known = spec.discovery ? DISCOVERY_ENDPOINTS : Object.keys(spec.endpoints);
    throw new OptionsError(`${path}.${name}`, `${spec.id} has the endpoints ${known.join(", ")}`);
  }
}

/** The provider options' checks: known ids, what each preset needs, https endpoints, unique ids. */
export function checkProviderOptions(o: ResolvedOptions): void {
  const seen = new Set<string>();
  for (const [key, config] of Object.entries(o.socialaccount.providers)) {
    const path = `socialaccount.providers.${key}`;
    const spec = PRESETS.get(key);
    if (!spec) {
      throw new OptionsError(path, `unknown provider; one of ${[...PRESETS.keys()].join(", ")}`);
    }
    checkEndpointNames(`${path}.endpoints`, spec, config.endpoints);
    if (!spec.usesApps) {
      if (config.apps.length > 0) throw new OptionsError(`${path}.apps`, `${spec.id} has no apps`);
      continue;
    }
    if (config.apps.length === 0) throw new OptionsError(`${path}.apps`, "needs at least one app");
    const visible = config.apps.filter((a) => a.settings.hidden !== true);
    if (spec.id !== openidConnect.id && visible.length > 1) {
      throw new OptionsError(`${path}.apps`, 'at most one app may be visible (mark the others "hidden")');
    }
    config.apps.forEach((app, i) => {
      const appPath = `${path}.apps.${i}`;
      if (spec.id === openidConnect.id) {
        if (app.providerId === undefined) throw new OptionsError(`${appPath}.providerId`, "is required");
        if (PRESETS.has(app.providerId) || seen.has(app.providerId)) {
          throw new OptionsError(`${appPath}.providerId`, `"${app.providerId}" names another provider`);
        }
        seen.add(app.providerId);
      } else if (app.providerId !== undefined) {
        throw new OptionsError(`${appPath}.providerId`, "is for openid_connect apps only");
      }
      const clientIds = config.apps.map((a) => a.clientId);
      if (clientIds.indexOf(app.clientId) !== i && spec.id !== openidConnect.id) {
        throw new OptionsError(`${appPath}.clientId`, "is the client id of another app");
      }
      checkEndpointNames(`${appPath}.settings.endpoints`, spec, app.settings.endpoints);
      checkApp(path, appPath, providerApp(spec, app.providerId ?? spec.id, spec.name, config, app));
    });
  }
}

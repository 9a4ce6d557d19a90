import { Flow } from "../core/enums.js";
import type { ProviderAccountInfo, ProviderInfo } from "../core/wire.js";
import type { ResolvedOptions } from "../options/schema.js";
import { discoveryUrlOf } from "./providers/http.js";
import { findProvider, PRESETS, visibleApp } from "./providers/registry.js";
import type { ProviderApp } from "./providers/types.js";
import { accountDisplay } from "./sociallogin.js";
import type { SocialAccount } from "./store.js";

export function providerInfo(provider: ProviderApp): ProviderInfo {
  const { spec, app } = provider;
  const info: ProviderInfo = { id: provider.id, name: provider.name, flows: [] };
  if (spec.redirect) info.flows.push(Flow.PROVIDER_REDIRECT);
  if (spec.token) info.flows.push(Flow.PROVIDER_TOKEN);
  if (app) info.client_id = app.clientId;
  if (spec.discovery && provider.settings.serverUrl) {
    info.openid_configuration_url = discoveryUrlOf(provider.settings.serverUrl);
  }
  return info;
}

/**
 * A connected account as listed (allauth `_socialaccount_data`). An account of a provider no
 * longer configured is still listed (so it can be disconnected), under its provider id.
 */
export function accountInfo(o: ResolvedOptions, account: SocialAccount): ProviderAccountInfo {
  const configured = findProvider(o, account.provider);
  const app = configured ? (visibleApp(configured) ?? configured.apps[0]) : undefined;
  if (!app) {
    return {
      uid: account.uid,
      provider: { id: account.provider, name: account.provider, flows: [] },
      display: accountDisplay(
        { name: account.provider, spec: PRESETS.get(account.provider) },
        account.extraData,
      ),
    };
  }
  return { uid: account.uid, provider: providerInfo(app), display: accountDisplay(app, account.extraData) };
}

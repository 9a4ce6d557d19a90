import type { Area } from "../base/area.js";
import { Client, Flow } from "../core/enums.js";
import type { FlowInfo } from "../core/wire.js";
import type { ResolvedOptions } from "../options/schema.js";
import { pendingSignup } from "./flows/signup.js";
import { socialMessages } from "./messages.js";
import { checkSocialOptions, socialaccountOptions } from "./options.js";
import {
  checkProviderOptions,
  configuredProviders,
  listedProviders,
  visibleApp,
} from "./providers/registry.js";
import { socialPages, socialRoutes } from "./routes.js";
import { providerInfo } from "./serialize.js";

/** The area is on when a provider is configured (allauth.socialaccount installed with providers). */
function enabled(o: ResolvedOptions): boolean {
  return configuredProviders(o).length > 0;
}

/** The providers a tree offers, as /config lists them: sorted by name (allauth `get_config_data`). */
function socialConfig(o: ResolvedOptions, client: Client) {
  if (!enabled(o)) return undefined;
  const providers = listedProviders(o, client === Client.BROWSER)
    .map((p) => providerInfo(visibleApp(p)!))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { key: "socialaccount", value: { providers } };
}

/**
 * allauth's socialaccount app: provider login and signup by redirect (browser) and by token, the
 * provider signup flow, connected accounts; the providers are presets (Google, Apple, GitHub, …),
 * any number of OpenID Connect servers, and the development provider.
 */
export const socialArea: Area = {
  name: "social",
  options: { socialaccount: socialaccountOptions },
  checkOptions(o) {
    checkSocialOptions(o);
    checkProviderOptions(o);
  },
  routes: (o, hooks) => (enabled(o) ? socialRoutes(o, hooks) : []),
  pages: (o) => (enabled(o) ? socialPages(o) : []),
  config: socialConfig,
  /**
   * allauth `provider_flows`: for an anonymous caller, provider_redirect (browser only) and
   * provider_token with the providers the tree offers, and a pending provider_signup.
   */
  flows(ctx) {
    if (ctx.user || !enabled(ctx.options)) return [];
    const providers = listedProviders(ctx.options, ctx.client === Client.BROWSER);
    if (providers.length === 0) return [];
    const flows: FlowInfo[] = [];
    const redirect = providers.filter((p) => p.spec.redirect).map((p) => p.id);
    const token = providers.filter((p) => p.spec.token).map((p) => p.id);
    if (redirect.length > 0 && ctx.client === Client.BROWSER)
      flows.push({ id: Flow.PROVIDER_REDIRECT, providers: redirect });
    if (token.length > 0) flows.push({ id: Flow.PROVIDER_TOKEN, providers: token });
    const pending = pendingSignup(ctx);
    if (pending) {
      flows.push({
        id: Flow.PROVIDER_SIGNUP,
        provider: providerInfo(pending.provider) as unknown as Record<string, unknown>,
        is_pending: true,
      });
    }
    return flows;
  },
  messages: socialMessages,
};

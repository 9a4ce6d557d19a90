import type { Context, Runtime } from "../base/context.js";
import { sha256 } from "../core/crypto.js";
import { TokenCipher } from "./cipher.js";
import { tokenKeyBytes } from "./options.js";
import { providerCall } from "./providers/http.js";
import { type ProviderApp, type ProviderCall, ProviderError } from "./providers/types.js";
import { SocialAccounts, SocialStates } from "./store.js";

/** The social area's repositories over the runtime's database. */
export interface SocialStore {
  accounts: SocialAccounts;
  states: SocialStates;
  /** Encrypts provider tokens kept (null unless socialaccount.storeTokens). */
  cipher: TokenCipher | null;
}

const stores = new WeakMap<Runtime, SocialStore>();

/** The social repositories of this Latchkey (made once per runtime). */
export function socialStore(rt: Runtime): SocialStore {
  let store = stores.get(rt);
  if (!store) {
    const s = rt.options.socialaccount;
    const key = s.storeTokens && s.tokenEncryptionKey !== null ? tokenKeyBytes(s.tokenEncryptionKey) : null;
    const cipher = key ? new TokenCipher(key) : null;
    store = {
      accounts: new SocialAccounts(rt.store.db, cipher),
      states: new SocialStates(rt.store.db),
      cipher,
    };
    stores.set(rt, store);
  }
  return store;
}

/** Calls to one provider for this request, on the server's clock, id_token ids spent once. */
export function callProvider(ctx: Context, provider: ProviderApp): ProviderCall {
  const states = socialStore(ctx.rt).states;
  return providerCall(ctx.options, provider, () => ctx.now(), {
    // allauth's verify_jti: an id_token with an id is accepted once (until it expires).
    firstUse: (issuer, jti, expiresAt) =>
      states.remember(sha256(`jti ${issuer} ${jti}`), expiresAt, ctx.now()),
  });
}

/**
 * A provider call that failed: a refusal (a bad token, an error answer) is logged at info, anything
 * else (unreachable, timed out, malformed) at warn with the error. Either way the flow answers as
 * allauth does for a provider failure, never with a 500.
 */
export function logProviderFailure(ctx: Context, provider: string, err: unknown, message: string): void {
  if (err instanceof ProviderError) {
    ctx.rt.logger.info({ provider, reason: err.message }, message);
    return;
  }
  // Name, code and message only: the errors of token processing carry the provider's answer
  // (claims, addresses) in their other fields.
  const { name, message: reason, code } = err instanceof Error ? (err as Error & { code?: unknown }) : {};
  ctx.rt.logger.warn({ provider, error: { name, code, reason: reason ?? String(err) } }, message);
}

/**
 * For your own calls to a provider's API (socialaccount.storeTokens): the access and refresh
 * tokens it gave at the user's latest login with it, decrypted; null when none are kept.
 */
export function storedProviderTokens(
  rt: Runtime,
  userId: number,
  provider: string,
): Promise<{
  clientId: string;
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number | null;
} | null> {
  return socialStore(rt).accounts.tokens(userId, provider);
}

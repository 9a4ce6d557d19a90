import { type ClientToken, type ProviderCall, type ProviderData, ProviderError } from "./types.js";

/**
 * The token flow of a provider that issues id_tokens: the token must be an id_token signed by one
 * of the provider's keys, issued by it, for the app the client named, unexpired (and carrying the
 * client's nonce when it gave one).
 */
export async function verifyProviderIdToken(
  call: ProviderCall,
  token: ClientToken,
  check: { jwksUrl?: string; issuer?: string | readonly string[] } = {},
): Promise<ProviderData> {
  if (!token.idToken) throw new ProviderError("an id_token is required");
  return call.verifyIdToken(token.idToken, {
    jwksUrl: check.jwksUrl ?? call.endpoint("jwks"),
    issuer: check.issuer ?? call.endpoint("issuer"),
    audience: call.provider.app!.clientId,
    ...(token.nonce !== undefined ? { nonce: token.nonce } : {}),
  });
}

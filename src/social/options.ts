import { z } from "zod";
import { signupFieldSet } from "../account/options.js";
import { seconds } from "../options/fields.js";
import { OptionsError } from "../options/resolve.js";
import type { ResolvedOptions } from "../options/schema.js";

/** An endpoint of a provider: https, or plain http on the loopback interface (tests, local servers). */
const providerUrl = z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" });

/**
 * What a provider entry and each of its apps may set (allauth: the provider's settings and the
 * app's `settings`; an app's value wins over its provider's).
 */
const settingsShape = {
  scope: z.array(z.string().min(1)).optional(),
  authParams: z.record(z.string(), z.string()).optional(),
  pkce: z.boolean().optional(),
  verifiedEmail: z.union([z.boolean(), z.array(z.string().min(1))]).optional(),
  emailAuthentication: z.boolean().optional(),
  endpoints: z.record(z.string(), providerUrl).optional(),
  baseUrl: providerUrl.optional(),
  tenant: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { message: "a tenant id or domain" })
    .optional(),
  realm: z.string().min(1).optional(),
  serverUrl: providerUrl.optional(),
  tokenAuthMethod: z.enum(["client_secret_basic", "client_secret_post"]).optional(),
  fetchUserinfo: z.boolean().optional(),
  uidField: z.string().min(1).optional(),
  certificateKey: z.string().min(1).optional(),
};

export const providerSettingsSchema = z.object(settingsShape).strict();

const appSchema = z
  .object({
    clientId: z.string().min(1),
    secret: z.string().default(""),
    key: z.string().default(""),
    name: z.string().min(1).optional(),
    providerId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,100}$/, { message: "letters, digits, _ and - only" })
      .optional(),
    settings: z
      .object({ ...settingsShape, hidden: z.boolean().optional() })
      .strict()
      .prefault({}),
  })
  .strict();

const providerSchema = z.object({ ...settingsShape, apps: z.array(appSchema).default([]) }).strict();

export type ProviderSettings = z.output<typeof providerSettingsSchema>;
export type AppOptions = z.output<typeof appSchema>;
export type ProviderOptions = z.output<typeof providerSchema>;

/** The social area's options: allauth's SOCIALACCOUNT_* settings, in camelCase. */
export const socialaccountOptions = z
  .object({
    /**
     * SOCIALACCOUNT_PROVIDERS, by provider id ("google", "github", "openid_connect", "dummy", …):
     * `{apps: [{clientId, secret, key?, name?, providerId?, settings?}], scope?, authParams?, pkce?,
     * verifiedEmail?, emailAuthentication?, endpoints?, baseUrl?, tenant?, realm?, …}`; an app's
     * `settings` override its provider's. Each `openid_connect` app is a provider of its own, named by
     * its `providerId`. No providers: the area is off (no routes, no `socialaccount` in /config).
     */
    providers: z.record(z.string(), providerSchema).default({}),
    /** SOCIALACCOUNT_ONLY: third-party accounts are the only way in (no local login, signup or passwords). */
    only: z.boolean().default(false),
    /** SOCIALACCOUNT_AUTO_SIGNUP: sign up new provider users without asking, when their data suffices. */
    autoSignup: z.boolean().default(true),
    /** SOCIALACCOUNT_EMAIL_REQUIRED (null: whether "email*" is in account.signupFields). */
    emailRequired: z.boolean().nullable().default(null),
    /** SOCIALACCOUNT_EMAIL_VERIFICATION (null: account.emailVerification, "none" with `only`). */
    emailVerification: z.enum(["none", "optional", "mandatory"]).nullable().default(null),
    /** SOCIALACCOUNT_EMAIL_AUTHENTICATION: a provider-verified address logs into the local account that has it. Trust every provider you enable before turning this on. */
    emailAuthentication: z.boolean().default(false),
    /** SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT: such a login also connects the provider account. */
    emailAuthenticationAutoConnect: z.boolean().default(false),
    /** SOCIALACCOUNT_QUERY_EMAIL: ask providers for the address (null: as emailRequired). */
    queryEmail: z.boolean().nullable().default(null),
    /** SOCIALACCOUNT_STORE_TOKENS: keep the providers' access and refresh tokens, encrypted with tokenEncryptionKey. */
    storeTokens: z.boolean().default(false),
    /** 32 random bytes, base64 or hex: the AES-256-GCM key that encrypts stored provider tokens (required by storeTokens). */
    tokenEncryptionKey: z.string().nullable().default(null),
    /** Adapter `is_open_for_signup` for provider signups (null: account.isOpenForSignup). */
    isOpenForSignup: z.boolean().nullable().default(null),
    /** Origin (scheme://host[:port]) of the callback URL given to providers (null: the origin of the request that starts the flow). Set it behind a proxy. */
    callbackOrigin: z.string().nullable().default(null),
    /** Where providers call back; `{provider}` is the provider id (allauth's `/accounts/<provider>/login/callback/`). */
    callbackPath: z.string().default("/accounts/{provider}/login/callback/"),
    /** Where OpenID Connect apps call back (allauth's `/accounts/oidc/<provider_id>/login/callback/`). */
    oidcCallbackPath: z.string().default("/accounts/oidc/{provider}/login/callback/"),
    /** How long a redirect to a provider may take until its callback, seconds. */
    stateTimeout: seconds(600),
    /** SOCIALACCOUNT_REQUESTS_TIMEOUT: the longest one call to a provider may take, milliseconds. */
    requestTimeoutMs: z.number().int().min(1).default(5000),
  })
  .strict()
  .prefault({});

declare module "../options/schema.js" {
  interface AreaOptions {
    socialaccount: z.output<typeof socialaccountOptions>;
  }
  interface AreaOptionsInput {
    socialaccount?: z.input<typeof socialaccountOptions>;
  }
}

/** SOCIALACCOUNT_EMAIL_REQUIRED, its default resolved. */
export function emailRequired(o: ResolvedOptions): boolean {
  return o.socialaccount.emailRequired ?? signupFieldSet(o.account.signupFields).get("email") === true;
}

/** SOCIALACCOUNT_QUERY_EMAIL, its default resolved. */
export function queryEmail(o: ResolvedOptions): boolean {
  return o.socialaccount.queryEmail ?? emailRequired(o);
}

/** SOCIALACCOUNT_EMAIL_VERIFICATION, its default resolved. */
export function emailVerification(o: ResolvedOptions): "none" | "optional" | "mandatory" {
  return o.socialaccount.emailVerification ?? (o.socialaccount.only ? "none" : o.account.emailVerification);
}

/** The social adapter's `is_open_for_signup`. */
export function isOpenForSignup(o: ResolvedOptions): boolean {
  return o.socialaccount.isOpenForSignup ?? o.account.isOpenForSignup;
}

/** The AES-256 key of tokenEncryptionKey: 32 bytes given as base64, base64url or hex; null when malformed. */
export function tokenKeyBytes(text: string): Buffer | null {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)
      ? Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64")
      : null;
  return bytes?.length === 32 ? bytes : null;
}

/** A `{provider}` path template: absolute, one whole `{provider}` segment, outside the API base. */
function checkCallbackPath(o: ResolvedOptions, name: "callbackPath" | "oidcCallbackPath"): void {
  const path = o.socialaccount[name];
  const segments = path.split("/");
  if (
    !path.startsWith("/") ||
    segments.filter((s) => s === "{provider}").length !== 1 ||
    path.split("{provider}").length !== 2 ||
    /[?#]/.test(path)
  ) {
    throw new OptionsError(
      `socialaccount.${name}`,
      'must be a path starting with "/" with "{provider}" as one whole segment',
    );
  }
  if (o.basePath !== "" && (path === o.basePath || path.startsWith(`${o.basePath}/`))) {
    throw new OptionsError(`socialaccount.${name}`, "must lie outside basePath");
  }
}

/** allauth's system checks of the social settings (the providers are checked in providers/registry.ts). */
export function checkSocialOptions(o: ResolvedOptions): void {
  const s = o.socialaccount;
  if (s.storeTokens) {
    if (s.tokenEncryptionKey === null) {
      throw new OptionsError("socialaccount.tokenEncryptionKey", "is required by socialaccount.storeTokens");
    }
    if (tokenKeyBytes(s.tokenEncryptionKey) === null) {
      throw new OptionsError("socialaccount.tokenEncryptionKey", "must be 32 bytes, base64 or hex encoded");
    }
  }
  if (s.only) {
    if (emailVerification(o) !== "none") {
      throw new OptionsError("socialaccount.emailVerification", 'socialaccount.only requires "none"');
    }
    if (o.account.emailVerification !== "none") {
      throw new OptionsError("account.emailVerification", 'socialaccount.only requires "none"');
    }
    if (o.account.loginByCode.enabled) {
      throw new OptionsError("account.loginByCode.enabled", "does not work with socialaccount.only");
    }
    if (o.mfa.enabled) throw new OptionsError("mfa.enabled", "does not work with socialaccount.only");
  }
  if (s.callbackOrigin !== null) {
    let origin: string | null = null;
    try {
      origin = new URL(s.callbackOrigin).origin;
    } catch {
      // reported below
    }
    if (origin !== s.callbackOrigin || !/^https?:/.test(s.callbackOrigin)) {
      throw new OptionsError(
        "socialaccount.callbackOrigin",
        `"${s.callbackOrigin}" is not an origin like "https://api.example.com"`,
      );
    }
  }
  checkCallbackPath(o, "callbackPath");
  checkCallbackPath(o, "oidcCallbackPath");
}

import { z } from "zod";
import { signupFieldSet } from "../account/options.js";
import { cookieSameSite, seconds } from "../options/fields.js";
import { OptionsError } from "../options/resolve.js";
import type { ResolvedOptions } from "../options/schema.js";

/** The MFA area's options: allauth's MFA_* settings, in camelCase. */
export const mfaOptions = z
  .object({
    /** The MFA area (allauth.mfa installed). */
    enabled: z.boolean().default(true),
    /** MFA_SUPPORTED_TYPES. */
    supportedTypes: z
      .array(z.enum(["recovery_codes", "totp", "webauthn"]))
      .default(["recovery_codes", "totp"]),
    /** MFA_ALLOW_UNVERIFIED_EMAIL. */
    allowUnverifiedEmail: z.boolean().default(false),
    /** MFA_TOTP_*. */
    totp: z
      .object({
        /** Issuer shown by authenticator apps (default: siteName). */
        issuer: z.string().nullable().default(null),
        digits: z.number().int().min(6).max(8).default(6),
        period: z.number().int().min(15).max(120).default(30),
        /** Steps of clock drift accepted either side. */
        tolerance: z.number().int().min(0).max(5).default(0),
      })
      .strict()
      .prefault({}),
    /** MFA_RECOVERY_CODE_*. */
    recoveryCodes: z
      .object({
        count: z.number().int().min(1).max(100).default(10),
        digits: z.number().int().min(6).max(16).default(8),
        /** MFA_RECOVERY_CODES_SHOW_ONCE. */
        showOnce: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** MFA_PASSKEY_LOGIN_ENABLED (needs "webauthn"). */
    passkeyLogin: z.boolean().default(false),
    /** MFA_PASSKEY_SIGNUP_ENABLED (needs "webauthn", "email*", mandatory verification by code). */
    passkeySignup: z.boolean().default(false),
    webauthn: z
      .object({
        /** Relying-party id; default: the request's host name. */
        rpId: z.string().nullable().default(null),
        /** Relying-party name; default: siteName. */
        rpName: z.string().nullable().default(null),
        /** Origins accepted in client data; default: the request's own origin. */
        origins: z.array(z.string()).default([]),
        /** MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: skip the origin check (development only). */
        allowInsecureOrigin: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** MFA_TRUST_*: "trust this browser" after MFA (browser client only). */
    trust: z
      .object({
        enabled: z.boolean().default(false),
        cookieName: z.string().default("mfa_trusted"),
        /** Seconds (14 days). */
        cookieAge: seconds(1_209_600),
        cookieDomain: z.string().nullable().default(null),
        cookiePath: z.string().default("/"),
        cookieSecure: z.boolean().default(false),
        cookieSameSite: cookieSameSite.default("Lax"),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

declare module "../options/schema.js" {
  interface AreaOptions {
    mfa: z.output<typeof mfaOptions>;
  }
  interface AreaOptionsInput {
    mfa?: z.input<typeof mfaOptions>;
  }
}

/** allauth's system checks of the MFA settings. */
export function checkMfaOptions(o: ResolvedOptions): void {
  const m = o.mfa;
  const webauthn = m.supportedTypes.includes("webauthn");
  if (m.passkeyLogin && !webauthn) {
    throw new OptionsError("mfa.passkeyLogin", 'requires "webauthn" in mfa.supportedTypes');
  }
  if (m.passkeySignup) {
    if (!webauthn) throw new OptionsError("mfa.passkeySignup", 'requires "webauthn" in mfa.supportedTypes');
    const a = o.account;
    if (
      signupFieldSet(a.signupFields).get("email") !== true ||
      a.emailVerification !== "mandatory" ||
      !a.emailVerificationByCode.enabled
    ) {
      throw new OptionsError(
        "mfa.passkeySignup",
        'requires "email*" in account.signupFields, account.emailVerification "mandatory" and account.emailVerificationByCode.enabled',
      );
    }
  }
  if (m.trust.cookieSameSite === "None" && !m.trust.cookieSecure) {
    throw new OptionsError("mfa.trust.cookieSameSite", '"None" requires mfa.trust.cookieSecure');
  }
}

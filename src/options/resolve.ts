import type { z } from "zod";
import { type LatchkeyOptions, optionsSchema, type ResolvedOptions } from "./schema.js";

/** Refusal of an invalid option or combination; `path` names the option as written in the options object. */
export class OptionsError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`Invalid Latchkey option ${path}: ${reason}`);
    this.name = "OptionsError";
  }
}

/** Parses options, fills in defaults and applies allauth's system checks. Throws OptionsError. */
export function resolveOptions(input: LatchkeyOptions = {}): ResolvedOptions {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    if (issue.code === "unrecognized_keys") {
      // Name the unknown key itself (e.g. "account.loginMethod"), not the object holding it.
      const path = [...issue.path, issue.keys[0]!].join(".");
      throw new OptionsError(path, `unknown option(s) ${issue.keys.join(", ")}`);
    }
    throw new OptionsError(issue.path.join(".") || "(root)", issue.message);
  }
  const options = parsed.data;
  checkCombinations(options);
  return options;
}

function checkCombinations(o: ResolvedOptions): void {
  const fields = signupFieldSet(o.account.signupFields);
  if (o.account.loginMethods.includes("email") && !o.account.uniqueEmail) {
    throw new OptionsError(
      "account.loginMethods",
      '"email" as a login method requires account.uniqueEmail to be true',
    );
  }
  if (o.account.loginMethods.includes("email") && !fields.has("email")) {
    throw new OptionsError(
      "account.loginMethods",
      '"email" as a login method requires "email" in account.signupFields',
    );
  }
  if (o.account.loginMethods.includes("username") && !fields.has("username")) {
    throw new OptionsError(
      "account.loginMethods",
      '"username" as a login method requires "username" in account.signupFields',
    );
  }
  if (o.account.emailVerification === "mandatory" && fields.get("email") !== true) {
    throw new OptionsError(
      "account.emailVerification",
      '"mandatory" requires a required email field ("email*") in account.signupFields',
    );
  }
  if (fields.has("phone")) {
    throw new OptionsError("account.signupFields", '"phone" is not supported yet');
  }
  if (fields.has("email2") && !fields.has("email")) {
    throw new OptionsError("account.signupFields", '"email2" requires "email"');
  }
  if (o.account.usernameMinLength > o.account.usernameMaxLength) {
    throw new OptionsError("account.usernameMinLength", "is larger than account.usernameMaxLength");
  }
  if (o.sessions.idleTimeout > o.sessions.maxAge) {
    throw new OptionsError("sessions.idleTimeout", "is longer than sessions.maxAge");
  }
  for (const [path, origins] of [
    ["csrf.trustedOrigins", o.csrf.trustedOrigins],
    ["cors.allowedOrigins", o.cors.allowedOrigins],
  ] as const) {
    for (const origin of origins) {
      if (!isOrigin(origin)) {
        throw new OptionsError(path, `"${origin}" is not an origin like "https://app.example.com"`);
      }
    }
  }
  if (o.sessions.cookieSameSite === "None" && !o.sessions.cookieSecure) {
    throw new OptionsError(
      "sessions.cookieSameSite",
      '"None" requires sessions.cookieSecure (browsers refuse it otherwise)',
    );
  }
  if (o.account.emailVerificationByCode.enabled && o.account.emailVerification !== "mandatory") {
    throw new OptionsError(
      "account.emailVerificationByCode.enabled",
      'requires account.emailVerification "mandatory"',
    );
  }
  if (o.account.loginByCode.trustEnabled && !(o.mfa.enabled && o.mfa.trust.enabled)) {
    throw new OptionsError("account.loginByCode.trustEnabled", "requires mfa.enabled and mfa.trust.enabled");
  }
  if (o.account.loginByCode.required !== false && !o.account.loginByCode.enabled) {
    throw new OptionsError("account.loginByCode.required", "requires account.loginByCode.enabled");
  }
  const webauthn = o.mfa.supportedTypes.includes("webauthn");
  if (o.mfa.passkeyLogin && !webauthn) {
    throw new OptionsError("mfa.passkeyLogin", 'requires "webauthn" in mfa.supportedTypes');
  }
  if (o.mfa.passkeySignup) {
    if (!webauthn) throw new OptionsError("mfa.passkeySignup", 'requires "webauthn" in mfa.supportedTypes');
    if (
      fields.get("email") !== true ||
      o.account.emailVerification !== "mandatory" ||
      !o.account.emailVerificationByCode.enabled
    ) {
      throw new OptionsError(
        "mfa.passkeySignup",
        'requires "email*" in account.signupFields, account.emailVerification "mandatory" and account.emailVerificationByCode.enabled',
      );
    }
  }
  if (o.mfa.trust.cookieSameSite === "None" && !o.mfa.trust.cookieSecure) {
    throw new OptionsError("mfa.trust.cookieSameSite", '"None" requires mfa.trust.cookieSecure');
  }
  if (o.tokens.strategy === "jwt") {
    const key = o.tokens.jwt.privateKey;
    if (!key) throw new OptionsError("tokens.jwt.privateKey", 'is required by tokens.strategy "jwt"');
    if (o.tokens.jwt.algorithm === "HS256" && Buffer.byteLength(key) < 32) {
      throw new OptionsError("tokens.jwt.privateKey", "an HS256 secret must be at least 32 bytes");
    }
    if (o.tokens.jwt.algorithm !== "HS256" && !key.includes("-----BEGIN")) {
      throw new OptionsError("tokens.jwt.privateKey", `${o.tokens.jwt.algorithm} needs a PEM private key`);
    }
  }
  const url = o.database.url;
  if (!url.startsWith("sqlite:") && !/^postgres(ql)?:\/\//.test(url)) {
    throw new OptionsError("database.url", 'must start with "sqlite:" or "postgres://"');
  }
  if (o.rateLimits !== false && o.rateLimits.store === "postgres" && !/^postgres(ql)?:\/\//.test(url)) {
    throw new OptionsError("rateLimits.store", '"postgres" requires a PostgreSQL database.url');
  }
}

function isOrigin(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "http:" || u.protocol === "https:") && u.origin === value;
  } catch {
    return false;
  }
}

/** Signup field name → required. */
export function signupFieldSet(entries: readonly string[]): Map<string, boolean> {
  const map = new Map<string, boolean>();
  for (const entry of entries) {
    const required = entry.endsWith("*");
    map.set(required ? entry.slice(0, -1) : entry, required);
  }
  return map;
}

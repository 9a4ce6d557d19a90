import { z } from "zod";
import { countOrBoolean, seconds } from "../options/fields.js";
import { OptionsError } from "../options/resolve.js";
import type { ResolvedOptions } from "../options/schema.js";
import { isKnownRegion } from "./phone/numbers.js";

/** ALLAUTH_USER_CODE_FORMAT's shape. */
const codeFormat = z
  .object({
    alphabet: z.string().min(10).default("BCDFGHJKLMNPQRSTVWXZ"),
    length: z.number().int().min(4).max(32).default(8),
    dashed: z.boolean().default(true),
  })
  .strict();

const signupField = z.string().regex(/^(email|email2|username|password1|password2|phone)\*?$/, {
  message:
    'each entry is one of "email", "email2", "username", "password1", "password2", "phone", optionally with "*"',
});

/** The account area's options: allauth's ACCOUNT_* settings, in camelCase. */
export const accountOptions = z
  .object({
    /** ACCOUNT_LOGIN_METHODS. */
    loginMethods: z
      .array(z.enum(["email", "username", "phone"]))
      .min(1)
      .default(["username"]),
    /** ACCOUNT_SIGNUP_FIELDS; `*` marks a required field. `password1` is the `password` input; `password2` is ignored by headless clients, as in allauth; `phone` enables the phone flows. */
    signupFields: z.array(signupField).min(1).default(["email", "username*", "password1*", "password2*"]),
    /** Adapter `is_open_for_signup`: false answers 403 to signups. */
    isOpenForSignup: z.boolean().default(true),
    /** ACCOUNT_EMAIL_VERIFICATION. */
    emailVerification: z.enum(["none", "optional", "mandatory"]).default("optional"),
    /** ACCOUNT_PREVENT_ENUMERATION: `true` hides taken emails where a real signup would not log in; "strict" always. */
    preventEnumeration: z.union([z.boolean(), z.literal("strict")]).default(true),
    /** ACCOUNT_UNIQUE_EMAIL. */
    uniqueEmail: z.boolean().default(true),
    /** ACCOUNT_REAUTHENTICATION_TIMEOUT: how long an authentication counts as recent. */
    reauthenticationTimeout: seconds(300),
    /** ACCOUNT_REAUTHENTICATION_REQUIRED: reauthenticate before email and phone changes. */
    reauthenticationRequired: z.boolean().default(false),
    /** ACCOUNT_LOGIN_TIMEOUT: the longest a staged login may take. */
    loginTimeout: seconds(900),
    /** ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE. */
    logoutOnPasswordChange: z.boolean().default(false),
    /** ACCOUNT_USERNAME_MIN_LENGTH. */
    usernameMinLength: z.number().int().min(1).default(1),
    /** Django's username max_length. */
    usernameMaxLength: z.number().int().min(1).max(150).default(150),
    /** ACCOUNT_USERNAME_BLACKLIST (compared case-insensitively). */
    usernameBlacklist: z.array(z.string()).default([]),
    /** ACCOUNT_PRESERVE_USERNAME_CASING: false stores usernames lowercased. */
    preserveUsernameCasing: z.boolean().default(true),
    /** ACCOUNT_EMAIL_VERIFICATION_BY_CODE_*: verify with a mailed code instead of a link (requires "mandatory"). */
    emailVerificationByCode: z
      .object({
        enabled: z.boolean().default(false),
        maxAttempts: z.number().int().min(1).default(3),
        timeout: seconds(900),
      })
      .strict()
      .prefault({}),
    /** ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_CHANGE: how many times the address may be changed during signup verification (true = 2). */
    emailVerificationSupportsChange: countOrBoolean,
    /** ACCOUNT_EMAIL_VERIFICATION_SUPPORTS_RESEND: how many resends (true = 2). */
    emailVerificationSupportsResend: countOrBoolean,
    /** ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: validity of verification links. */
    emailConfirmationExpireDays: z.number().int().min(1).default(3),
    /** ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN: seconds between verification mails to one address (link mode; code mode uses 10). */
    emailConfirmationCooldown: z.number().int().min(0).default(180),
    /** ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION: link verification during a login completes it. */
    loginOnEmailConfirmation: z.boolean().default(false),
    /** ACCOUNT_LOGIN_ON_PASSWORD_RESET. */
    loginOnPasswordReset: z.boolean().default(false),
    /** Django PASSWORD_RESET_TIMEOUT: validity of reset links, seconds. */
    passwordResetTimeout: seconds(259_200),
    /** ACCOUNT_PASSWORD_RESET_BY_CODE_*. */
    passwordResetByCode: z
      .object({
        enabled: z.boolean().default(false),
        maxAttempts: z.number().int().min(1).default(3),
        timeout: seconds(180),
      })
      .strict()
      .prefault({}),
    /** ACCOUNT_LOGIN_BY_CODE_*. `required`: true, or the first factors after which a code is also required. */
    loginByCode: z
      .object({
        enabled: z.boolean().default(false),
        required: z
          .union([z.boolean(), z.array(z.enum(["password", "mfa", "socialaccount"]))])
          .default(false),
        maxAttempts: z.number().int().min(1).default(3),
        timeout: seconds(180),
        supportsResend: countOrBoolean,
      })
      .strict()
      .prefault({}),
    /** ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS: mail unknown addresses that ask for a reset. */
    emailUnknownAccounts: z.boolean().default(true),
    /** ACCOUNT_CHANGE_EMAIL: one address per account; verifying a new one replaces it. */
    changeEmail: z.boolean().default(false),
    /** ACCOUNT_MAX_EMAIL_ADDRESSES (null: no limit). */
    maxEmailAddresses: z.number().int().min(1).nullable().default(null),
    /** ACCOUNT_EMAIL_NOTIFICATIONS: security notification mails (password changed, email added/removed/primary). */
    emailNotifications: z.boolean().default(false),
    /** ALLAUTH_USER_CODE_FORMAT: codes sent to people (login, verification, reset). */
    userCodeFormat: codeFormat.prefault({}),
    /** ACCOUNT_PHONE_VERIFICATION_*: phone numbers are verified with a texted code. */
    phoneVerification: z
      .object({
        /** ACCOUNT_PHONE_VERIFICATION_ENABLED: a login whose user has an unverified number stops at verify_phone until the texted code is entered. */
        enabled: z.boolean().default(true),
        maxAttempts: z.number().int().min(1).default(3),
        timeout: seconds(900),
        /** ACCOUNT_PHONE_VERIFICATION_SUPPORTS_CHANGE: how many times the number may be changed during signup verification (true = 2). */
        supportsChange: countOrBoolean,
        /** ACCOUNT_PHONE_VERIFICATION_SUPPORTS_RESEND: how many resends (true = 2). */
        supportsResend: countOrBoolean,
        /** ACCOUNT_PHONE_VERIFICATION_CODE_FORMAT: texted codes (phone verification, and login codes sent by text); null: account.userCodeFormat. */
        codeFormat: codeFormat.nullable().default(null),
      })
      .strict()
      .prefault({}),
    /** Region (ISO 3166 code, e.g. "NL") of phone numbers entered without their country code; null: numbers must start with "+" and the country code. Numbers are stored in E.164 form. */
    phoneDefaultRegion: z
      .string()
      .nullable()
      .default(null)
      .refine((v) => v === null || isKnownRegion(v), {
        message: "must be a two-letter region code libphonenumber knows (e.g. NL or US)",
      }),
    /** Tell a number without an account that asked for a login code, by text, that it has none (as account.emailUnknownAccounts does by mail). */
    phoneUnknownAccounts: z.boolean().default(true),
  })
  .strict()
  .prefault({});

/** Password policy and hashing (Django's AUTH_PASSWORD_VALIDATORS and hasher). */
export const passwordOptions = z
  .object({
    /** Django MinimumLengthValidator. */
    minLength: z.number().int().min(1).default(8),
    /** Django UserAttributeSimilarityValidator max_similarity; false turns it off. */
    userAttributeSimilarity: z.union([z.number().min(0.1).max(1), z.literal(false)]).default(0.7),
    /** Django CommonPasswordValidator (a list of over 20,000 shipped in data/). */
    commonPasswords: z.boolean().default(true),
    /** Django NumericPasswordValidator. */
    numeric: z.boolean().default(true),
    breached: z
      .object({
        /** Refuse passwords seen in data breaches (`password_breached`) at signup, change and reset, asking a k-anonymity range API: only the first 5 hex digits of the password's SHA-1 are sent. */
        enabled: z.boolean().default(false),
        /** Range endpoint in Have I Been Pwned's format; the 5-digit prefix is appended. */
        url: z
          .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
          .default("https://api.pwnedpasswords.com/range/"),
        /** The longest a lookup may take; a lookup that times out, fails or answers other than 200 lets the password through and logs a warning. */
        timeoutMs: z.number().int().min(1).default(1500),
        /** How many sightings in breaches make a password refused. */
        minCount: z.number().int().min(1).default(1),
      })
      .strict()
      .prefault({}),
    /** argon2id parameters (OWASP minimum by default). Stored hashes with other parameters are rehashed at login. */
    hashing: z
      .object({
        memoryCost: z.number().int().min(1024).default(19456),
        timeCost: z.number().int().min(1).default(2),
        parallelism: z.number().int().min(1).default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/** How texts reach phones (phone verification and login codes), as `mail` configures mail. */
export const smsOptions = z
  .object({
    /** "console" prints texts (the default for `npm start`), "file" writes one JSON file per text to fileDirectory, "webhook" posts each text to your own gateway, "twilio" sends through Twilio's Messages API. */
    transport: z.enum(["console", "file", "webhook", "twilio"]).default("console"),
    /** Folder of the "file" transport (one JSON file `{to, body, kind, date}` per text). */
    fileDirectory: z.string().default(".latchkey/sms"),
    /** The longest a response waits for a send; a slower send finishes (or fails, logged) in the background. */
    sendTimeoutMs: z.number().int().min(1).default(5000),
    /** "webhook" and "twilio": the longest one HTTP request may take. */
    requestTimeoutMs: z.number().int().min(1).default(5000),
    /** "webhook" and "twilio": further attempts after a network error, a timeout, 408, 429 or 5xx. */
    retries: z.number().int().min(0).max(10).default(2),
    /** "webhook" and "twilio": the wait before the first retry, doubled before each next one. */
    retryDelayMs: z.number().int().min(0).default(500),
    webhook: z
      .object({
        /** Where each text is POSTed as JSON `{to, body, kind}` (https://, or http:// to this machine). */
        url: z.string().nullable().default(null),
        /** Key of the X-Latchkey-Signature header: "sha256=" and the hex HMAC-SHA256 of the raw body (at least 16 characters). */
        secret: z.string().nullable().default(null),
      })
      .strict()
      .prefault({}),
    twilio: z
      .object({
        /** The account SID (AC…). */
        accountSid: z.string().nullable().default(null),
        /** The auth token; with the account SID, the basic-auth credentials. */
        authToken: z.string().nullable().default(null),
        /** The sender: a Twilio number (E.164) or an alphanumeric sender ID. */
        from: z.string().nullable().default(null),
        /** A Messaging Service SID (MG…), sent instead of `from` when set. */
        messagingServiceSid: z.string().nullable().default(null),
        /** The API's base URL (https://, or http:// to this machine). */
        baseUrl: z.string().default("https://api.twilio.com"),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

declare module "../options/schema.js" {
  interface AreaOptions {
    account: z.output<typeof accountOptions>;
    password: z.output<typeof passwordOptions>;
    sms: z.output<typeof smsOptions>;
  }
  interface AreaOptionsInput {
    account?: z.input<typeof accountOptions>;
    password?: z.input<typeof passwordOptions>;
    sms?: z.input<typeof smsOptions>;
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

/** allauth's system checks of the account settings. */
export function checkAccountOptions(o: ResolvedOptions): void {
  const a = o.account;
  const fields = signupFieldSet(a.signupFields);
  if (a.loginMethods.includes("email") && !a.uniqueEmail) {
    throw new OptionsError(
      "account.loginMethods",
      '"email" as a login method requires account.uniqueEmail to be true',
    );
  }
  if (a.loginMethods.includes("email") && !fields.has("email")) {
    throw new OptionsError(
      "account.loginMethods",
      '"email" as a login method requires "email" in account.signupFields',
    );
  }
  if (a.loginMethods.includes("username") && !fields.has("username")) {
    throw new OptionsError(
      "account.loginMethods",
      '"username" as a login method requires "username" in account.signupFields',
    );
  }
  if (a.emailVerification === "mandatory" && fields.get("email") !== true) {
    throw new OptionsError(
      "account.emailVerification",
      '"mandatory" requires a required email field ("email*") in account.signupFields',
    );
  }
  if (a.loginMethods.includes("phone") && !fields.has("phone")) {
    throw new OptionsError(
      "account.loginMethods",
      '"phone" as a login method requires "phone" in account.signupFields',
    );
  }
  if (fields.has("email2") && !fields.has("email")) {
    throw new OptionsError("account.signupFields", '"email2" requires "email"');
  }
  if (a.usernameMinLength > a.usernameMaxLength) {
    throw new OptionsError("account.usernameMinLength", "is larger than account.usernameMaxLength");
  }
  if (a.emailVerificationByCode.enabled && a.emailVerification !== "mandatory") {
    throw new OptionsError(
      "account.emailVerificationByCode.enabled",
      'requires account.emailVerification "mandatory"',
    );
  }
  if (a.loginByCode.required !== false && !a.loginByCode.enabled) {
    throw new OptionsError("account.loginByCode.required", "requires account.loginByCode.enabled");
  }
  checkSmsOptions(o);
}

/** An http(s) URL that keeps a secret on the wire: https, or http to this machine. */
function isSafeGatewayUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
}

/** What the chosen SMS transport needs. */
function checkSmsOptions(o: ResolvedOptions): void {
  const s = o.sms;
  if (s.transport === "webhook") {
    if (s.webhook.url === null || !isSafeGatewayUrl(s.webhook.url)) {
      throw new OptionsError(
        "sms.webhook.url",
        "the webhook transport needs an https:// URL (http:// only to localhost)",
      );
    }
    if (s.webhook.secret === null || s.webhook.secret.length < 16) {
      throw new OptionsError(
        "sms.webhook.secret",
        "the webhook transport needs a secret of at least 16 characters",
      );
    }
  }
  if (s.transport === "twilio") {
    if (!s.twilio.accountSid)
      throw new OptionsError("sms.twilio.accountSid", "the twilio transport needs it");
    if (!s.twilio.authToken) throw new OptionsError("sms.twilio.authToken", "the twilio transport needs it");
    if (!s.twilio.from && !s.twilio.messagingServiceSid) {
      throw new OptionsError(
        "sms.twilio.from",
        "the twilio transport needs a sender (or sms.twilio.messagingServiceSid)",
      );
    }
    if (!isSafeGatewayUrl(s.twilio.baseUrl)) {
      throw new OptionsError("sms.twilio.baseUrl", "must be an https:// URL (http:// only to localhost)");
    }
  }
}

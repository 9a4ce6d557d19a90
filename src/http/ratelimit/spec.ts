import { OptionsError } from "../../options/resolve.js";
import type { ResolvedOptions } from "../../options/schema.js";

/**
 * allauth's rate-limit configuration (its ACCOUNT_RATE_LIMITS setting): the actions, their
 * defaults, and the rate syntax.
 */

export type RateKeyType = "ip" | "user" | "key";

export interface RateRule {
  points: number;
  durationSeconds: number;
  keyType: RateKeyType;
}

/**
 * allauth's `ACCOUNT_RATE_LIMITS` defaults. `login_failed` is derived from the deprecated
 * `LOGIN_ATTEMPTS_LIMIT/TIMEOUT` (5/300); `confirm_email` from `EMAIL_CONFIRMATION_COOLDOWN` (180 s).
 * In email-verification-by-code mode allauth uses `1/10s/key` for `confirm_email`: the caller
 * overrides it, since that depends on other options.
 */
export const DEFAULT_RATE_LIMITS = Object.freeze({
  login: "30/m/ip",
  login_failed: "10/m/ip,5/300s/key",
  signup: "20/m/ip",
  reset_password: "20/m/ip,5/m/key",
  reset_password_from_key: "20/m/ip",
  change_password: "5/m/user",
  manage_email: "10/m/user",
  change_phone: "1/m/user",
  reauthenticate: "10/m/user",
  request_login_code: "20/m/ip,3/m/key",
  confirm_email: "1/180s/key",
  verify_phone: "1/30s/key,3/m/ip",
  // Latchkey's own: every attempt at a mailed code or key, per client IP (allauth has no limit here).
  confirm_code: "20/m/ip",
  // Latchkey's own: failed logins of one account from anywhere, cleared by its next success.
  login_failed_account: "100/d/key",
} as const);

/**
 * Every rate-limit action. An area with actions of its own adds them by declaration merging and
 * lists their defaults in Area.rateLimits.
 */
export interface RateLimitCatalog extends Record<keyof typeof DEFAULT_RATE_LIMITS, string> {}

export type RateLimitAction = keyof RateLimitCatalog & string;

export const RATE_LIMIT_ACTIONS: readonly RateLimitAction[] = Object.freeze(
  Object.keys(DEFAULT_RATE_LIMITS) as RateLimitAction[],
);

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const AMOUNT = /^\d+$/;
const PERIOD = /^(\d+(?:\.\d+)?)?([a-zA-Z])$/;

/**
 * Parses allauth's rate syntax: `"<n>/<period><unit s|m|h|d>[/<ip|user|key>]"`, comma-separated,
 * e.g. `"10/m/ip,5/300s/key"`. The period number is optional (`m` = one minute) and may be a
 * decimal (`1.5m`); a missing key type means `ip`, as in allauth. An empty or blank spec means no
 * rules. Stricter than allauth in two ways, so a typo fails at startup rather than at the first
 * request: the key type is checked here, and a period must come to a whole number of seconds
 * (at least 1), because the Redis store keeps whole-second expiries and a 0 s expiry would make a
 * counter never expire.
 */
export function parseRateSpec(spec: string): RateRule[] {
  const trimmed = spec.trim();
  if (trimmed === "") return [];
  return trimmed.split(",").map((part) => parseRate(part.trim(), spec));
}

function invalidSpec(spec: string, why: string): Error {
  return new Error(`Invalid rate limit spec ${JSON.stringify(spec)}: ${why}`);
}

function parseRate(rate: string, spec: string): RateRule {
  if (rate === "") throw invalidSpec(spec, "empty rate (stray comma?)");
  const parts = rate.split("/");
  if (parts.length !== 2 && parts.length !== 3) {
    throw invalidSpec(spec, `${JSON.stringify(rate)} is not of the form "<n>/<period>[/<ip|user|key>]"`);
  }
  const [amount = "", period = "", keyType = "ip"] = parts;
  if (!AMOUNT.test(amount)) throw invalidSpec(spec, `amount ${JSON.stringify(amount)} is not a whole number`);
  const points = Number(amount);
  if (!Number.isSafeInteger(points)) throw invalidSpec(spec, `amount ${JSON.stringify(amount)} is too large`);

  const periodMatch = PERIOD.exec(period);
  if (!periodMatch) {
    throw invalidSpec(spec, `period ${JSON.stringify(period)} is not of the form "[<number>]<s|m|h|d>"`);
  }
  const [, count, unit = ""] = periodMatch;
  const unitSeconds = UNIT_SECONDS[unit];
  if (unitSeconds === undefined) {
    throw invalidSpec(spec, `unknown period unit ${JSON.stringify(unit)} (expected s, m, h or d)`);
  }
  const rawSeconds = (count === undefined ? 1 : Number(count)) * unitSeconds;
  // 0.1h is 360.00000000000006 in floating point: round away the noise before checking.
  const durationSeconds = Math.round(rawSeconds * 1000) / 1000;
  if (!Number.isSafeInteger(durationSeconds) || durationSeconds < 1) {
    throw invalidSpec(spec, `period ${JSON.stringify(period)} must be a whole number of seconds, at least 1`);
  }

  if (keyType !== "ip" && keyType !== "user" && keyType !== "key") {
    throw invalidSpec(spec, `unknown key type ${JSON.stringify(keyType)} (expected ip, user or key)`);
  }
  return { points, durationSeconds, keyType };
}

/**
 * The check of `rateLimits.actions`: every rule well-formed, so a typo fails at start (and in
 * `latchkey check`), naming the option. (An unknown action is already an unknown option.)
 */
export function checkRateLimitOptions(o: ResolvedOptions): void {
  if (o.rateLimits === false) return;
  for (const [action, spec] of Object.entries(o.rateLimits.actions)) {
    if (spec === undefined || spec === false) continue;
    try {
      parseRateSpec(spec);
    } catch (err) {
      throw new OptionsError(`rateLimits.actions.${action}`, (err as Error).message);
    }
  }
}

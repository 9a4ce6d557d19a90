import type { z } from "zod";
import { composeOptionsSchema, type LatchkeyOptions, type ResolvedOptions } from "./schema.js";

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

/** What the areas add to the options: their sections and their cross-option checks. */
export interface OptionsComposition {
  sections: Readonly<Record<string, z.ZodType>>;
  /** Every rate-limit action (the keys `rateLimits.actions` takes). */
  rateLimitActions: readonly string[];
  /** allauth's system checks: each throws OptionsError naming the option to change. */
  checks: readonly ((o: ResolvedOptions) => void)[];
}

/** Parses options, fills in defaults and applies the checks. Throws OptionsError. */
export function resolveWith(composition: OptionsComposition, input: LatchkeyOptions = {}): ResolvedOptions {
  const parsed = composeOptionsSchema(composition.sections, composition.rateLimitActions).safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    if (issue.code === "unrecognized_keys") {
      // Name the unknown key itself (e.g. "account.loginMethod"), not the object holding it.
      const path = [...issue.path, issue.keys[0]!].join(".");
      throw new OptionsError(path, `unknown option(s) ${issue.keys.join(", ")}`);
    }
    throw new OptionsError(issue.path.join(".") || "(root)", issue.message);
  }
  const options = parsed.data as unknown as ResolvedOptions;
  checkCore(options);
  for (const check of composition.checks) check(options);
  return options;
}

/** The checks of the core's own sections. */
function checkCore(o: ResolvedOptions): void {
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

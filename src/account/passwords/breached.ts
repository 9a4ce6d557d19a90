import { createHash } from "node:crypto";
import type { ResolvedOptions } from "../../options/schema.js";

/** The password.breached options: a k-anonymity range API in Have I Been Pwned's format. */
export type BreachedPasswordOptions = ResolvedOptions["password"]["breached"];

/** Where failed lookups are reported (a pino logger fits). */
export interface BreachLookupLogger {
  warn(obj: object, msg: string): void;
}

/** One line of a range answer: the other 35 hex digits of a SHA-1, and how often it was seen. */
const RANGE_LINE = /^[0-9A-F]{35}:\d+$/i;

/**
 * Whether the password has been seen in at least `minCount` breaches, asked of the range API.
 * Only the first five hex digits of the password's SHA-1 leave the process; the API answers with
 * every suffix it knows under that prefix (padded with zero-count decoys, so the answer's size
 * does not tell the prefix either), and the match is made here.
 *
 * Fails open: when the API does not answer in time, cannot be reached, answers other than 200
 * or not in the range format, the password counts as not breached and a warning is logged, so
 * an outage of the API never stops signups or password changes.
 */
export async function isBreachedPassword(
  password: string,
  options: BreachedPasswordOptions,
  logger: BreachLookupLogger,
): Promise<boolean> {
  const sha1 = createHash("sha1").update(password, "utf8").digest("hex").toUpperCase();
  const prefix = sha1.slice(0, 5);
  const suffix = sha1.slice(5);
  const failed = (details: object): false => {
    logger.warn(
      { ...details, url: options.url, timeoutMs: options.timeoutMs },
      "breached-password lookup failed; the password was accepted unchecked",
    );
    return false;
  };

  let body: string;
  try {
    const response = await fetch(`${options.url}${prefix}`, {
      headers: { "Add-Padding": "true" },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      return failed({ status: response.status });
    }
    body = await response.text();
  } catch (error) {
    return failed({ err: errorDetails(error) });
  }

  // A misconfigured URL answering 200 with something else must not pass for "never breached".
  const lines = body.split(/\r?\n/).filter((line) => line !== "");
  if (lines.length === 0 || !lines.every((line) => RANGE_LINE.test(line))) {
    return failed({ reason: "the answer is not in the range format" });
  }
  const sighting = lines.find((line) => line.slice(0, 35).toUpperCase() === suffix);
  return sighting !== undefined && Number(sighting.slice(36)) >= options.minCount;
}

function errorDetails(error: unknown): object {
  if (!(error instanceof Error)) return { message: String(error) };
  // fetch reports network failures as "fetch failed" with the reason as the cause.
  const cause = error.cause instanceof Error ? { cause: error.cause.message } : {};
  return { name: error.name, message: error.message, ...cause };
}
